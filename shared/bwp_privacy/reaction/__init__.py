"""Automatic reaction: each failed deletion or retrieval (an access request) becomes a case that
is carried to its end: resubmitted on a schedule, closed when Buy with Prime holds nothing for
the shopper, escalated before the legal deadline, completed.

The case itself, its legal clocks and its table are `bwp_privacy.cases`, which every feature
reads; the reaction is the one that moves and writes cases. The pure part (the playbooks and
the decisions of the state machine) knows no AWS and no API: it is what the tests exercise
hardest. Around it: the attempt schedules (`AttemptScheduler`), the one place that reads a
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
    from bwp_privacy.reaction.decisions import (
        Announce,
        CancelSchedule,
        CannotAppeal,
        CannotExtend,
        CannotSetReceived,
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
        open_appeal,
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
    from bwp_privacy.reaction.operator_actions import (
        OperatorActions,
        OperatorAnswer,
        OperatorRefused,
    )
    from bwp_privacy.reaction.operator_endpoint import (
        caller_of,
        handle_request,
        is_function_url_request,
    )
    from bwp_privacy.reaction.operator_requests import (
        AppealRequest,
        CloseRequest,
        ExtendRequest,
        LinkRequest,
        OperatorRequest,
        RecordRequest,
        ResubmitRequest,
        SetReceivedRequest,
        TaskCancelRequest,
    )
    from bwp_privacy.reaction.playbooks import (
        DATA_SUBJECT_NOT_FOUND,
        ORDERS_NOT_CLOSED,
        Close,
        Escalate,
        Mode,
        PlaybooksConfig,
        PlaybooksError,
        PlaybookSet,
        PlaybooksFile,
        Resubmit,
        load_playbooks,
        parse_playbooks,
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
    from bwp_privacy.reaction.wiring import (
        build_inbound_actions,
        build_operator_actions,
        build_reaction,
    )

# Each name is imported on first use: see bwp_privacy.lazy_exports.
__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "audit_entries": ("retention_start", "transition_entries"),
        "decisions": (
            "Announce",
            "CancelSchedule",
            "CannotAppeal",
            "CannotExtend",
            "CannotSetReceived",
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
            "open_appeal",
            "open_case",
            "set_received",
            "start_task",
        ),
        "inputs": ("handle",),
        "input_errors": ("InvalidReactionInput",),
        "notices": ("NoticePublisher", "build_notice"),
        "operator_actions": ("OperatorActions", "OperatorAnswer", "OperatorRefused"),
        "operator_endpoint": ("caller_of", "handle_request", "is_function_url_request"),
        "operator_requests": (
            "AppealRequest",
            "CloseRequest",
            "ExtendRequest",
            "LinkRequest",
            "OperatorRequest",
            "RecordRequest",
            "ResubmitRequest",
            "SetReceivedRequest",
            "TaskCancelRequest",
        ),
        "playbooks": (
            "DATA_SUBJECT_NOT_FOUND",
            "ORDERS_NOT_CLOSED",
            "Close",
            "Escalate",
            "Mode",
            "PlaybooksConfig",
            "PlaybooksError",
            "PlaybooksFile",
            "PlaybookSet",
            "Resubmit",
            "load_playbooks",
            "parse_playbooks",
        ),
        "playbooks_source": ("PlaybooksSource",),
        "resubmit": ("EMAIL_QUERY", "RETRIEVAL_EMAIL_QUERY", "CannotResubmit", "Resubmitter"),
        "schedules": ("ATTEMPT_DUE", "AttemptDueInput", "AttemptScheduler", "SchedulerTarget"),
        "service": ("CaseNotFound", "CaseNotStartable", "Handled", "ReactionService"),
        "settings": ("ReactionSettings",),
        "wiring": ("build_inbound_actions", "build_operator_actions", "build_reaction"),
    },
)

__all__ = [
    "ATTEMPT_DUE",
    "DATA_SUBJECT_NOT_FOUND",
    "EMAIL_QUERY",
    "ORDERS_NOT_CLOSED",
    "RETRIEVAL_EMAIL_QUERY",
    "Announce",
    "AppealRequest",
    "AttemptDueInput",
    "AttemptScheduler",
    "CancelSchedule",
    "CannotAppeal",
    "CannotExtend",
    "CannotResubmit",
    "CannotSetReceived",
    "CaseNotFound",
    "CaseNotStartable",
    "Close",
    "CloseRequest",
    "Decision",
    "Effect",
    "Ended",
    "Escalate",
    "Escalation",
    "ExtendRequest",
    "Handled",
    "InvalidReactionInput",
    "LinkRequest",
    "Mode",
    "NoticePublisher",
    "OperatorActions",
    "OperatorAnswer",
    "OperatorRefused",
    "OperatorRequest",
    "PlaybookSet",
    "PlaybooksConfig",
    "PlaybooksError",
    "PlaybooksFile",
    "PlaybooksSource",
    "ReactionService",
    "ReactionSettings",
    "RecordRequest",
    "Resubmit",
    "ResubmitRequest",
    "Resubmitter",
    "ScheduleAttempt",
    "SchedulerTarget",
    "SetReceivedRequest",
    "StartTask",
    "TaskCancelRequest",
    "TaskCompleted",
    "TaskFailed",
    "build_inbound_actions",
    "build_notice",
    "build_operator_actions",
    "build_reaction",
    "caller_of",
    "close_by_operator",
    "days_left",
    "extend",
    "handle",
    "handle_request",
    "is_function_url_request",
    "load_playbooks",
    "merge_stray",
    "on_attempt_due",
    "on_attempt_impossible",
    "on_completed",
    "on_failed",
    "on_task_started",
    "open_appeal",
    "open_case",
    "parse_playbooks",
    "retention_start",
    "set_received",
    "start_task",
    "transition_entries",
]
