"""What a call's parameters leave out, read from moto's own state (in the server's process).

IAM checks a secret by its full ARN (with the random suffix the template's ``-??????`` covers)
and an encrypted topic's key; a request names neither. moto holds both.
"""

from __future__ import annotations

from bwp_sandbox.iam.calls import ACCOUNT, Resources


class MotoResources(Resources):
    """Looks secrets, topics and keys up in moto's backends."""

    def secret_arn(self, secret_id: str, region: str) -> str:
        from moto.secretsmanager.models import secretsmanager_backends

        secret = secretsmanager_backends[ACCOUNT][region].secrets.get(secret_id)
        return str(secret.arn) if secret is not None else super().secret_arn(secret_id, region)

    def topic_key_arn(self, topic_arn: str, region: str) -> str | None:
        from moto.sns.models import sns_backends

        topic = sns_backends[ACCOUNT][region].topics.get(topic_arn)
        key = topic.kms_master_key_id if topic is not None else ""
        return self.key_arn(key, region) if key and not _aws_managed(key) else None

    def secret_key_arn(self, secret_id: str, region: str) -> str | None:
        from moto.secretsmanager.models import secretsmanager_backends

        # moto's store finds a secret by name, full or partial ARN.
        secret = secretsmanager_backends[ACCOUNT][region].secrets.get(secret_id)
        key = getattr(secret, "kms_key_id", None)
        return self.key_arn(key, region) if key and not _aws_managed(key) else None

    def key_arn(self, key_id: str, region: str) -> str:
        from moto.kms.models import kms_backends

        backend = kms_backends[ACCOUNT][region]
        try:
            raw = backend.any_id_to_key_id(key_id)
        except Exception:  # an unknown alias: IAM checks the name it was given
            return super().key_arn(key_id, region)
        return super().key_arn(raw, region)


def _aws_managed(key: str) -> bool:
    """An AWS managed key (alias/aws/sns, aws/secretsmanager): its key policy lets the account
    use it through its service, so IAM asks nothing of the caller's policies."""
    return key.removeprefix("alias/").startswith("aws/")
