"""The SNS message attributes published with each failure: part of the contract, because
subscription filter policies match on them (docs/message-schemas.md)."""

from __future__ import annotations

import json

from bwp_privacy.contract.failure import TaskFailure


def message_attributes(failure: TaskFailure) -> dict[str, dict[str, str]]:
    """The attributes of ``failure``'s message, as SNS Publish takes them."""
    return {
        "errorCode": {"DataType": "String.Array", "StringValue": json.dumps(failure.error_codes)},
        "businessProductId": {"DataType": "String", "StringValue": failure.business_product_id},
        "lookupStatus": {"DataType": "String", "StringValue": failure.lookup.status.value},
        "detailType": {"DataType": "String", "StringValue": failure.detail_type},
        "taskKind": {"DataType": "String", "StringValue": failure.task_kind},
        "schemaVersion": {"DataType": "String", "StringValue": failure.schema_version},
    }
