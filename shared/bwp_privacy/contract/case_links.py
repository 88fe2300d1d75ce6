"""Where the cases table says which case a task belongs to: the reaction writes the item, the
alert router reads it to put a resubmitted task's failure on its case's incident. One place for
the key, so the two cannot drift apart."""

from __future__ import annotations

#: The attribute of a task's item that names its case (absent while no case links the task).
CASE_ID_ATTRIBUTE = "caseId"
#: What a task's ``pk`` starts with.
TASK_PREFIX = "TASK#"


def task_item_key(task_id: str) -> dict[str, dict[str, str]]:
    """The cases table's key of ``task_id``'s item (``pk`` = ``TASK#<task id>``)."""
    return {"pk": {"S": TASK_PREFIX + task_id}}


def case_item_key(case_id: str) -> dict[str, dict[str, str]]:
    """The cases table's key of a case's item (``pk`` = ``CASE#<case id>``)."""
    return {"pk": {"S": f"CASE#{case_id}"}}
