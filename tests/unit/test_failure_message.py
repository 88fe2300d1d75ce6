from bwp_privacy import bwp_api
from bwp_privacy.bwp_api import DeletionTask
from bwp_privacy.contract import DeletionFailure, LookupOutcome, LookupStatus, TaskError


def failure(errors: list[TaskError]) -> DeletionFailure:
    return DeletionFailure(
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
    assert body["schemaVersion"] == "1.1"
    assert body["taskKind"] == "deletion"
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
    assert DeletionFailure.model_validate(body).task_kind == "deletion"
