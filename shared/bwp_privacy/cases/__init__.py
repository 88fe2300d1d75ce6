"""The case: one privacy request as the law sees it, what every feature reads and the
reaction alone writes. The case and its state machine's states (`Case`, `CaseState`), the
legal clocks with the laws as data (`deadlines`, ``jurisdictions.json``), how urgent an open
case is (`bucket_of`), and the cases table: its keys, read (`CaseReader`) and written
(`CaseStore`).

The model, the clocks and the urgency are pure (no table, no AWS): pure code (the compliance
views, the reaction's decisions) imports them by module (``bwp_privacy.cases.case``), since
this package brings the table's reader and store with it.
"""

from bwp_privacy.cases.case import (
    Appeal,
    AppealedAnswer,
    Case,
    CaseKind,
    CaseState,
    CaseTask,
    Cause,
    CauseKind,
    ClosedAs,
    DeniedBecause,
    Transition,
    client_token,
    schedule_name,
)
from bwp_privacy.cases.clock import (
    Deadline,
    Jurisdiction,
    JurisdictionsError,
    Period,
    appeal_deadlines,
    deadlines,
    legal_due_at,
    shipped_jurisdictions,
)
from bwp_privacy.cases.keys import CASE_ID_ATTRIBUTE, TASK_PREFIX, case_item_key, task_item_key
from bwp_privacy.cases.reader import (
    OPEN_STATES,
    CaseReader,
    OpenDeadline,
    TaskLink,
    case_of_item,
)
from bwp_privacy.cases.store import CaseConflict, CaseStore
from bwp_privacy.cases.urgency import (
    DEFAULT_DUE_SOON_DAYS,
    Bucket,
    bucket_counts,
    bucket_of,
    bucket_of_due,
    legal_days_left,
)

__all__ = [
    "CASE_ID_ATTRIBUTE",
    "DEFAULT_DUE_SOON_DAYS",
    "OPEN_STATES",
    "TASK_PREFIX",
    "Appeal",
    "AppealedAnswer",
    "Bucket",
    "Case",
    "CaseConflict",
    "CaseKind",
    "CaseReader",
    "CaseState",
    "CaseStore",
    "CaseTask",
    "Cause",
    "CauseKind",
    "ClosedAs",
    "Deadline",
    "DeniedBecause",
    "Jurisdiction",
    "JurisdictionsError",
    "OpenDeadline",
    "Period",
    "TaskLink",
    "Transition",
    "appeal_deadlines",
    "bucket_counts",
    "bucket_of",
    "bucket_of_due",
    "case_item_key",
    "case_of_item",
    "client_token",
    "deadlines",
    "legal_days_left",
    "legal_due_at",
    "schedule_name",
    "shipped_jurisdictions",
    "task_item_key",
]
