"""DeadlineWatchFunction's environment variables (README lists each)."""

from __future__ import annotations

from pydantic import Field

from bwp_privacy.common import EnvSettings
from bwp_privacy.compliance import DEFAULT_DUE_SOON_DAYS


class WatchSettings(EnvSettings):
    """Where the cases are, and how close a deadline counts as due soon."""

    cases_table_name: str = Field(alias="CASES_TABLE_NAME", min_length=1)
    due_soon_days: int = Field(DEFAULT_DUE_SOON_DAYS, alias="DUE_SOON_DAYS", ge=1, le=30)
