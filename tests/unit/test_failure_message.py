import json
from collections.abc import Sequence

from bwp_privacy import bwp_api
from bwp_privacy.bwp_api import DeletionTask
from bwp_privacy.bwp_api.models import MAX_TASK_ERRORS, MAX_TASK_ERRORS_BYTES, MESSAGE_LIMIT
from bwp_privacy.contract import LookupOutcome, LookupStatus, TaskError, TaskFailure


def failure(errors: list[TaskError]) -> TaskFailure:
    return TaskFailure(
        event_id="e1",
        event_time="2026-11-20T12:34:56Z",
        detail_type="PERSONAL_DATA_DELETION_TASK_FAILED",
        business_product_id="bp-1",
        task_id="t1",
        errors=errors,
        lookup=LookupOutcome(status=LookupStatus.OK),
        received_at="2026-11-20T12:35:00Z",
    )


def test_error_codes_are_distinct_with_placeholders_for_null_and_none() -> None:
    codes = failure(
        [
            TaskError(code="ORDERS_NOT_CLOSED", message="a"),
            TaskError(code=None, message="b"),
            TaskError(code="ORDERS_NOT_CLOSED", message="c"),
        ]
    ).error_codes
    assert codes == ["ORDERS_NOT_CLOSED", "UNSPECIFIED"]
    assert failure([]).error_codes == ["NONE"]


def test_published_json_is_the_documented_contract() -> None:
    body = failure([TaskError(code="ORDERS_NOT_CLOSED", message="open orders")]).to_json_dict()
    assert body["schema"] == "bwp-privacy.deletion-task-failure"
    assert body["schemaVersion"] == "1.2"
    assert body["taskKind"] == "deletion"
    assert body["errorsOmitted"] == 0
    assert body["errors"] == [{"code": "ORDERS_NOT_CLOSED", "message": "open orders"}]
    assert body["lookup"] == {"status": "OK", "errorType": None, "errorCode": None, "message": None}
    assert set(body) >= {
        "eventId",
        "eventTime",
        "businessProductId",
        "taskId",
        "status",
        "receivedAt",
    }


def test_task_model_drops_unrequested_fields_and_masks_messages() -> None:
    task = DeletionTask.model_validate(
        {
            "taskId": "t1",
            "status": "FAILED",
            "dataSubject": {"type": "SHOPPER", "email": "shopper@example.com"},
            "errors": [None, {"code": None, "message": "orders open for shopper@example.com"}],
        }
    )
    dumped = task.model_dump_json()
    assert "example.com" not in dumped
    expected = bwp_api.TaskError(code=None, message="orders open for <email redacted>")
    assert task.errors == [expected]


def test_a_1_0_message_still_reads_as_a_deletion() -> None:
    body = failure([]).to_json_dict()
    body["schemaVersion"] = "1.0"
    del body["taskKind"]
    assert TaskFailure.model_validate(body).task_kind == "deletion"


def test_a_1_1_message_left_no_error_out() -> None:
    body = failure([TaskError(code="ORDERS_NOT_CLOSED", message="open orders")]).to_json_dict()
    body["schemaVersion"] = "1.1"
    del body["errorsOmitted"]
    assert TaskFailure.model_validate(body).errors_omitted == 0


def _task(errors: Sequence[object]) -> DeletionTask:
    return DeletionTask.model_validate({"taskId": "t1", "status": "FAILED", "errors": list(errors)})


def test_only_the_first_errors_are_kept_and_the_others_counted() -> None:
    listed = [{"code": f"CODE_{n}", "message": f"error {n}"} for n in range(5000)]
    task = _task([None, *listed])
    assert [e.code for e in task.errors] == [f"CODE_{n}" for n in range(MAX_TASK_ERRORS)]
    assert task.errors_omitted == 5000 - MAX_TASK_ERRORS


def test_long_errors_are_kept_within_a_byte_budget_as_published() -> None:
    # Beyond the BMP: 12 bytes each once JSON escapes them, the largest a character gets.
    listed = [{"code": "ORDERS_NOT_CLOSED", "message": "\U0001f642" * 1000} for _ in range(30)]
    task = _task(listed)
    published = json.dumps([e.model_dump() for e in task.errors], separators=(",", ":"))
    assert 1 <= len(task.errors) < MAX_TASK_ERRORS
    assert len(published) <= MAX_TASK_ERRORS_BYTES
    assert task.errors_omitted == 30 - len(task.errors)


def test_the_first_error_is_kept_whatever_its_size() -> None:
    task = _task([{"code": "X" * 64, "message": "\U0001f642" * 9000}] * 3)
    assert [e.code for e in task.errors] == ["X" * 64]
    assert task.errors_omitted == 2


def test_a_message_is_cut_to_its_limit_even_when_masks_lengthen_it() -> None:
    # 1,024 short addresses in 4,096 characters: each mask is longer than what it hides.
    [error] = _task([{"code": None, "message": "a@b " * 1024}]).errors
    assert len(error.message) == MESSAGE_LIMIT
    assert "@" not in error.message


def test_an_address_the_cut_falls_in_is_masked_whole() -> None:
    message = "x" * (MESSAGE_LIMIT - 5) + " jane.shopper@example.com"
    [error] = _task([{"code": None, "message": message}]).errors
    assert "jane" not in error.message
    assert error.message.endswith(" <em…")  # the mask, cut, and the sign that it was
