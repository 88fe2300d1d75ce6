"""Whether the functions may use the KMS key a secret or a topic is encrypted with: an AWS
managed key they may, a customer managed key only when the stack grants it
(CustomerManagedKeyArn), or every read of the secret (or publish to the topic) is refused."""

from __future__ import annotations

from botocore.exceptions import ClientError

from bwp_privacy_cli.doctor.findings import Finding, aws_reason, failed, warned
from bwp_privacy_cli.doctor.view import StackView

PARAMETER = "CustomerManagedKeyArn"


def key_problem(view: StackView, check: str, key_id: str | None, what: str) -> Finding | None:
    """A FAIL when ``what`` is encrypted with a key the functions may not use (a WARN when
    the key cannot be read); None when they may."""
    if not key_id:
        return None
    try:
        metadata = view.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        return warned(
            check,
            f"{what} is encrypted with {key_id}, which could not be read: {aws_reason(error)}",
            "let your AWS credentials kms:DescribeKey it, then run doctor again",
        )
    if metadata.get("KeyManager") == "AWS":
        return None
    arn = str(metadata["Arn"])
    if view.target.parameters.get(PARAMETER) == arn:
        return None
    return failed(
        check,
        f"{what} is encrypted with the customer managed key {arn}, which the stack grants no"
        " function: every use of it would be refused",
        f"deploy with {PARAMETER}={arn}",
    )
