"""Whether the functions may use the KMS key a secret or a topic is encrypted with: an AWS
managed key they may, a customer managed key only when the stack grants it
(CustomerManagedKeyArn), or every read of the secret (or publish to the topic) is refused."""

from __future__ import annotations

from bwp_privacy_cli.doctor.view import StackView

PARAMETER = "CustomerManagedKeyArn"


def key_problem(view: StackView, key_id: str | None, what: str) -> tuple[str, str] | None:
    """(what is wrong, the fix) when ``what`` is encrypted with a key the functions may not
    use; None when they may."""
    if not key_id:
        return None
    metadata = view.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]
    if metadata.get("KeyManager") == "AWS":
        return None
    arn = str(metadata["Arn"])
    if view.target.parameters.get(PARAMETER) == arn:
        return None
    return (
        f"{what} is encrypted with the customer managed key {arn}, which the stack grants no"
        " function: every use of it would be refused",
        f"deploy with {PARAMETER}={arn}",
    )
