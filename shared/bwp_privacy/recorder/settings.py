"""RecorderFunction's environment variables: the API client's, and where failures go."""

from __future__ import annotations

from pydantic import Field

from bwp_privacy.bwp_api import ApiSettings


class RecorderSettings(ApiSettings):
    """Environment variables of RecorderFunction (docs/configuration.md, "Settings", lists each)."""

    failures_table_name: str = Field(alias="FAILURES_TABLE_NAME", min_length=1)
    failures_topic_arn: str = Field(alias="FAILURES_TOPIC_ARN", min_length=1)
    retention_days: int = Field(730, alias="RETENTION_DAYS", ge=1, le=3650)
    expected_account_id: str | None = Field(None, alias="EXPECTED_ACCOUNT_ID", pattern=r"^\d{12}$")
