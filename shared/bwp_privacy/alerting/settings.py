"""AlertRouterFunction's environment variables. Receivers are not listed here: each receiver
plug-in names its own variable (`ReceiverSpec.setting`), and one that is unset is off."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field

from bwp_privacy.alerting.receivers import RECEIVERS
from bwp_privacy.cases import DEFAULT_DUE_SOON_DAYS
from bwp_privacy.common import EnvSettings


class RouterSettings(EnvSettings):
    """Environment variables of AlertRouterFunction (docs/configuration.md, "Settings", lists
    each)."""

    ledger_table_name: str = Field(alias="LEDGER_TABLE_NAME", min_length=1)
    #: The reaction's cases table: which case a failed task belongs to. Unset, every task is
    #: its own case (a resubmitted task's failure opens an incident of its own).
    cases_table_name: str | None = Field(None, alias="CASES_TABLE_NAME")
    #: The audit trail: every alert sent (or parked) for a case is recorded there.
    audit_table_name: str | None = Field(None, alias="AUDIT_TABLE_NAME")
    retention_days: int = Field(730, alias="RETENTION_DAYS", ge=1, le=3650)
    actor: str = Field("bwp-privacy-alert-router", alias="AWS_LAMBDA_FUNCTION_NAME", min_length=1)
    alert_queue_url: str | None = Field(None, alias="ALERT_QUEUE_URL")
    alert_dlq_url: str | None = Field(None, alias="ALERT_DLQ_URL")
    routes_parameter_name: str | None = Field(None, alias="ROUTES_PARAMETER_NAME")
    #: The SSM parameter overriding the shipped catalogue (severities and runbooks per code).
    catalogue_parameter_name: str | None = Field(None, alias="CATALOGUE_PARAMETER_NAME")
    http_timeout_seconds: float = Field(5.0, alias="ALERT_HTTP_TIMEOUT_SECONDS", gt=0, le=30)
    ledger_lease_seconds: int = Field(300, alias="LEDGER_LEASE_SECONDS", ge=1, le=3600)
    retry_base_seconds: float = Field(0.5, alias="ALERT_RETRY_BASE_SECONDS", gt=0, le=5)
    #: The silences (`silence add`): unset, nothing is muted.
    silences_table_name: str | None = Field(None, alias="SILENCES_TABLE_NAME")
    #: Days before its legal deadline under which a case is due soon: never muted.
    due_soon_days: int = Field(DEFAULT_DUE_SOON_DAYS, alias="DUE_SOON_DAYS", ge=1, le=30)


def deployed_receivers(environ: Mapping[str, str]) -> dict[str, str]:
    """The setting's value of each receiver this stack deploys, by receiver name."""
    return {
        name: environ[spec.setting] for name, spec in RECEIVERS.items() if environ.get(spec.setting)
    }
