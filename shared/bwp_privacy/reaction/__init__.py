"""Automatic reaction: each failed deletion or retrieval (an access request) becomes a case that
is carried to its end: resubmitted on a schedule, closed when Buy with Prime holds nothing for
the shopper, escalated before the legal deadline, completed.

The pure part (the legal clocks, the playbooks, the case and its state machine) knows no
AWS and no API: it is what the tests exercise hardest. Around it: the cases table
(`CaseStore`), the attempt schedules (`AttemptScheduler`), the one place that reads a
shopper's email (`Resubmitter`), case notices for the router (`NoticePublisher`), and the
service that carries each input through them (`ReactionService`, wired by `build_reaction`).
"""

from typing import TYPE_CHECKING

from bwp_privacy.lazy_exports import lazy_exports

if TYPE_CHECKING:
    from bwp_privacy.reaction.audit_entries import (
        retention_start,
        transition_entries,
    )
    from bwp_privacy.reaction.case import (
        Case,
        CaseKind,
        CaseState,
        CaseTask,
        Cause,
        CauseKind,
        ClosedAs,
        Transition,
        client_token,
        schedule_name,
    )
    from bwp_privacy.reaction.clock import (
        Deadline,
        Jurisdiction,
        Period,
        deadlines,
        legal_due_at,
    )
    from bwp_privacy.reaction.decisions import (
        Announce,
        CancelSchedule,
        CannotExtend,
        Decision,
        Effect,
        Ended,
        Escalation,
        ScheduleAttempt,
        StartTask,
        TaskCompleted,
        TaskFailed,
        close_by_operator,
        days_left,
        extend,
        merge_stray,
        on_attempt_due,
        on_attempt_impossible,
        on_completed,
        on_failed,
        on_task_started,
        open_case,
        set_received,
        start_task,
    )
    from bwp_privacy.reaction.input_errors import InvalidReactionInput
    from bwp_privacy.reaction.inputs import handle
    from bwp_privacy.reaction.notices import (
        NoticePublisher,
        build_notice,
    )
    from bwp_privacy.reaction.playbooks import (
        DATA_SUBJECT_NOT_FOUND,
        DEFAULT_RETRIEVAL,
        ORDERS_NOT_CLOSED,
        Close,
        Escalate,
        Mode,
        PlaybooksConfig,
        PlaybooksError,
        PlaybookSet,
        Resubmit,
        load_playbooks,
    )
    from bwp_privacy.reaction.playbooks_source import PlaybooksSource
    from bwp_privacy.reaction.resubmit import (
        EMAIL_QUERY,
        RETRIEVAL_EMAIL_QUERY,
        CannotResubmit,
        Resubmitter,
    )
    from bwp_privacy.reaction.schedules import (
        ATTEMPT_DUE,
        AttemptDueInput,
        AttemptScheduler,
        SchedulerTarget,
    )
    from bwp_privacy.reaction.service import (
        CaseNotFound,
        CaseNotStartable,
        Handled,
        ReactionService,
    )
    from bwp_privacy.reaction.settings import ReactionSettings
    from bwp_privacy.reaction.store import (
        CaseConflict,
        CaseStore,
        TaskLink,
    )
    from bwp_privacy.reaction.wiring import build_reaction

# Each name is imported on first use: see bwp_privacy.lazy_exports.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "audit_entries": ("retention_start", "transition_entries"),
        "case": (
            "Case",
            "CaseKind",
            "CaseState",
            "CaseTask",
            "Cause",
            "CauseKind",
            "ClosedAs",
            "Transition",
            "client_token",
            "schedule_name",
        ),
        "clock": ("Deadline", "Jurisdiction", "Period", "deadlines", "legal_due_at"),
        "decisions": (
            "Announce",
            "CancelSchedule",
            "CannotExtend",
            "Decision",
            "Effect",
            "Ended",
            "Escalation",
            "ScheduleAttempt",
            "StartTask",
            "TaskCompleted",
            "TaskFailed",
            "close_by_operator",
            "days_left",
            "extend",
            "merge_stray",
            "on_attempt_due",
            "on_attempt_impossible",
            "on_completed",
            "on_failed",
            "on_task_started",
            "open_case",
            "set_received",
            "start_task",
        ),
        "inputs": ("handle",),
        "input_errors": ("InvalidReactionInput",),
        "notices": ("NoticePublisher", "build_notice"),
        "playbooks": (
            "DATA_SUBJECT_NOT_FOUND",
            "DEFAULT_RETRIEVAL",
            "ORDERS_NOT_CLOSED",
            "Close",
            "Escalate",
            "Mode",
            "PlaybooksConfig",
            "PlaybooksError",
            "PlaybookSet",
            "Resubmit",
            "load_playbooks",
        ),
        "playbooks_source": ("PlaybooksSource",),
        "resubmit": ("EMAIL_QUERY", "RETRIEVAL_EMAIL_QUERY", "CannotResubmit", "Resubmitter"),
        "schedules": ("ATTEMPT_DUE", "AttemptDueInput", "AttemptScheduler", "SchedulerTarget"),
        "service": ("CaseNotFound", "CaseNotStartable", "Handled", "ReactionService"),
        "settings": ("ReactionSettings",),
        "store": ("CaseConflict", "CaseStore", "TaskLink"),
        "wiring": ("build_reaction",),
    },
)

__all__ = [
    "ATTEMPT_DUE",
    "DATA_SUBJECT_NOT_FOUND",
    "DEFAULT_RETRIEVAL",
    "EMAIL_QUERY",
    "ORDERS_NOT_CLOSED",
    "RETRIEVAL_EMAIL_QUERY",
    "Announce",
    "AttemptDueInput",
    "AttemptScheduler",
    "CancelSchedule",
    "CannotExtend",
    "CannotResubmit",
    "Case",
    "CaseConflict",
    "CaseKind",
    "CaseNotFound",
    "CaseNotStartable",
    "CaseState",
    "CaseStore",
    "CaseTask",
    "Cause",
    "CauseKind",
    "Close",
    "ClosedAs",
    "Deadline",
    "Decision",
    "Effect",
    "Ended",
    "Escalate",
    "Escalation",
    "Handled",
    "InvalidReactionInput",
    "Jurisdiction",
    "Mode",
    "NoticePublisher",
    "Period",
    "PlaybookSet",
    "PlaybooksConfig",
    "PlaybooksError",
    "PlaybooksSource",
    "ReactionService",
    "ReactionSettings",
    "Resubmit",
    "Resubmitter",
    "ScheduleAttempt",
    "SchedulerTarget",
    "StartTask",
    "TaskCompleted",
    "TaskFailed",
    "TaskLink",
    "Transition",
    "build_notice",
    "build_reaction",
    "client_token",
    "close_by_operator",
    "days_left",
    "deadlines",
    "extend",
    "handle",
    "legal_due_at",
    "load_playbooks",
    "merge_stray",
    "on_attempt_due",
    "on_attempt_impossible",
    "on_completed",
    "on_failed",
    "on_task_started",
    "open_case",
    "retention_start",
    "schedule_name",
    "set_received",
    "start_task",
    "transition_entries",
]
