"""The audit trail: every action on a case (automatic or an operator's), with its time, actor,
input and outcome, in a table the code can add to and never change.

Append-only is enforced where it holds against any code: in IAM. Whatever writes the trail
holds ``dynamodb:PartiQLInsert`` on it and no other write action, and a PartiQL ``INSERT``
fails when the key exists (``DuplicateItem``): no grant lets a writer overwrite, update or
delete an entry. Readers hold ``dynamodb:Query``. Entries expire (DynamoDB TTL) RetentionDays
after their case's latest possible end (`entry.expiry`).
"""

from bwp_privacy.audit.entry import (
    SUBJECT_CASE,
    SUBJECT_DLQ,
    SUBJECT_EXPORT,
    SUBJECT_SILENCE,
    SUBJECT_TASK,
    AuditEntry,
    subject,
)
from bwp_privacy.audit.trail import AuditTrail, AuditWriteFailed, AuditWriter, NoAudit

__all__ = [
    "SUBJECT_CASE",
    "SUBJECT_DLQ",
    "SUBJECT_EXPORT",
    "SUBJECT_SILENCE",
    "SUBJECT_TASK",
    "AuditEntry",
    "AuditTrail",
    "AuditWriteFailed",
    "AuditWriter",
    "NoAudit",
    "subject",
]
