"""DeadlineWatchFunction's environment variables (docs/configuration.md, "Settings", lists each)."""

from __future__ import annotations

from pydantic import Field

from bwp_privacy.cases import DEFAULT_DUE_SOON_DAYS
from bwp_privacy.common import EnvSettings


class WatchSettings(EnvSettings):
    """Where the cases are, and how close a deadline counts as due soon."""

    cases_table_name: str = Field(alias="CASES_TABLE_NAME", min_length=1)
    due_soon_days: int = Field(DEFAULT_DUE_SOON_DAYS, alias="DUE_SOON_DAYS", ge=1, le=30)
