import pytest

from bwp_privacy.recorder import ResourceFormatError, parse_resource

BP = "bp-30b55436-0c3e-4a5c-9e2f-5d1b8f4c7a11"


@pytest.mark.parametrize(
    ("resource", "pairs"),
    [
        (
            f"businessProduct/{BP}/personalDataDeletionTask/4a1d2f3e-5b6c",
            [("personalDataDeletionTask", "4a1d2f3e-5b6c")],
        ),
        (
            f"businessProduct/{BP}/personalDataRetrievalTask/abc",
            [("personalDataRetrievalTask", "abc")],
        ),
        (f"businessProduct/{BP}/items/SKU-1", [("items", "SKU-1")]),
        (f"businessProduct/{BP}/item-quantities/SKU.2", [("item-quantities", "SKU.2")]),
        (f"businessProduct/{BP}/order/o1", [("order", "o1")]),
        (f"businessProduct/{BP}/order/o1/delivery/d1", [("order", "o1"), ("delivery", "d1")]),
        (f"businessProduct/{BP}/order/o1/return/r1", [("order", "o1"), ("return", "r1")]),
        (f"businessProduct/{BP}/order/o1/refund/f1", [("order", "o1"), ("refund", "f1")]),
        (
            f"businessProduct/{BP}/carrier/UPS/tracker/1Z999AA10123456784",
            [("carrier", "UPS"), ("tracker", "1Z999AA10123456784")],
        ),
    ],
)
def test_parses_every_documented_shape(resource: str, pairs: list[tuple[str, str]]) -> None:
    parsed = parse_resource(resource)
    assert parsed.business_product_id == BP
    assert list(parsed.pairs) == pairs
    assert parsed.get(pairs[-1][0]) == pairs[-1][1]
    assert parsed.get("absent") is None


@pytest.mark.parametrize(
    ("resource", "message"),
    [
        ("", "must start with 'businessProduct/'"),
        ("arn:aws:events:us-east-1:1:rule/x", "must start with 'businessProduct/'"),
        (f"businessProduct/{BP}", "at least one key/id pair"),
        (f"businessProduct/{BP}/order", "at least one key/id pair"),
        (f"businessProduct/{BP}/order/o1/delivery", "key without an id"),
        ("businessProduct//order/o1", "business product id (segment 2) is empty"),
        (f"businessProduct/{BP}/order/", "id of 'order' (segment 4) is empty"),
        (f"businessProduct/{BP}//o1", "key (segment 3) is empty"),
        (f"businessProduct/{BP}/personalDataDeletionTask/a b", "does not match"),
        (f'businessProduct/{BP}/personalDataDeletionTask/x"){{__schema}}', "does not match"),
        (f"businessProduct/{BP}/9order/o1", "key (segment 3)"),
        (f"businessProduct/{BP}/order/" + "x" * 2000, "at most 1024 allowed"),
    ],
)
def test_rejects_malformed_resources_saying_what_is_wrong(resource: str, message: str) -> None:
    with pytest.raises(ResourceFormatError, match=None) as caught:
        parse_resource(resource)
    assert message in str(caught.value)


def test_error_message_is_bounded_for_huge_segments() -> None:
    with pytest.raises(ResourceFormatError) as caught:
        parse_resource(f"businessProduct/{BP}/order/" + "é" * 900)
    assert len(str(caught.value)) < 400
