"""The cases table's keys: one item per case (``CASE#<case id>``) and one per task
(``TASK#<task id>``, naming its case once a case links it). The reaction writes them through
`CaseStore`; the alert router reads a task's item to put a resubmitted task's failure on its
case's incident. One place for the keys, so the writer and the readers cannot drift apart."""

from __future__ import annotations

#: The attribute of a task's item that names its case (absent while no case links the task).
CASE_ID_ATTRIBUTE = "caseId"
#: What a task's ``pk`` starts with.
TASK_PREFIX = "TASK#"
#: What a case's ``pk`` starts with.
CASE_PREFIX = "CASE#"


def task_item_key(task_id: str) -> dict[str, dict[str, str]]:
    """The cases table's key of ``task_id``'s item (``pk`` = ``TASK#<task id>``)."""
    return {"pk": {"S": TASK_PREFIX + task_id}}


def case_item_key(case_id: str) -> dict[str, dict[str, str]]:
    """The cases table's key of a case's item (``pk`` = ``CASE#<case id>``)."""
    return {"pk": {"S": CASE_PREFIX + case_id}}
