"""Cases built as the reaction leaves them, for the report's tests: each with a story told by
its transitions and tasks, its deadline set by how long ago the request was received (CCPA:
45 days, extendable by 45), relative to a fixed ``now``."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Literal

from bwp_privacy.cases import (
    Case,
    CaseKind,
    CaseState,
    CaseTask,
    Cause,
    CauseKind,
    ClosedAs,
    Deadline,
    Transition,
)

NOW = datetime(2026, 3, 16, 9, 30, tzinfo=UTC)
BP = "amzn1.bwp.bp.7f3e2a"
REACTION = "arn:aws:sts::123456789012:assumed-role/bwp-privacy-ReactionRole/ReactionFunction"
OFFICER = "arn:aws:iam::123456789012:user/privacy-officer"

Story = Literal["waiting", "resubmitted", "escalated", "completed", "nothing", "closed"]


def story_case(
    case_id: str,
    *,
    received_days_ago: float,
    story: Story,
    now: datetime = NOW,
    kind: CaseKind = "deletion",
    ended_days_ago: float | None = None,
    reason: str | None = None,
    closed_as: ClosedAs | None = None,
    code: str = "ORDERS_NOT_CLOSED",
    business_product_id: str = BP,
) -> Case:
    """A case of ``kind`` received ``received_days_ago``, opened half a day later by its first
    task's failure and carried as ``story`` says; an ended story ends ``ended_days_ago``
    (default: a day after its last step)."""
    received = now - timedelta(days=received_days_ago)
    opened = received + timedelta(hours=12)
    second = f"{case_id}-a1"
    steps: list[tuple[datetime, CaseState | None, CaseState, Cause, str, str]] = []
    tasks = [CaseTask(task_id=case_id, attempt=0, outcome="FAILED", error_codes=(code,))]
    attempts = 0

    def step(at: datetime, to: CaseState, cause: Cause, why: str, actor: str = REACTION) -> None:
        before = steps[-1][2] if steps else None
        steps.append((at, before, to, cause, actor, why))

    event = Cause(kind=CauseKind.EVENT, ref=f"evt-{case_id}")
    retry_at = opened + timedelta(days=7)
    ended = None if ended_days_ago is None else now - timedelta(days=ended_days_ago)
    if story == "nothing":
        nothing = (
            CaseState.NOTHING_TO_DELETE if kind == "deletion" else CaseState.NOTHING_TO_RETRIEVE
        )
        why = f"DATA_SUBJECT_NOT_FOUND: Buy with Prime holds no personal data: nothing to {kind}"
        step(ended or opened, nothing, event, why)
        tasks = [
            CaseTask(
                task_id=case_id,
                attempt=0,
                outcome="FAILED",
                error_codes=("DATA_SUBJECT_NOT_FOUND",),
            )
        ]
    elif story == "closed":
        step(opened, CaseState.ESCALATED, event, f"task {case_id} failed with {code}")
        step(
            ended or opened + timedelta(days=2),
            CaseState.CLOSED,
            Cause(kind=CauseKind.OPERATOR, ref="cases close"),
            reason or "the shopper withdrew the request",
            OFFICER,
        )
    else:
        step(opened, CaseState.WAITING, event, f"task {case_id} failed with {code}; attempt 1 of 5")
    if story in ("resubmitted", "escalated", "completed"):
        schedule = Cause(kind=CauseKind.SCHEDULE, ref=f"{case_id}-a1")
        step(retry_at, CaseState.RESUBMITTED, schedule, f"attempt 1 started {kind} task {second}")
        tasks.append(CaseTask(task_id=second, attempt=1))
        attempts = 1
    if story == "escalated":
        tasks[-1] = CaseTask(task_id=second, attempt=1, outcome="FAILED", error_codes=(code,))
        step(
            retry_at + timedelta(hours=6),
            CaseState.ESCALATED,
            Cause(kind=CauseKind.EVENT, ref=f"evt-{second}"),
            reason or f"task {second} failed with {code} and the deadline is too near to retry",
        )
    if story == "completed":
        tasks[-1] = CaseTask(task_id=second, attempt=1, outcome="COMPLETED")
        step(
            ended or retry_at + timedelta(days=1),
            CaseState.COMPLETED,
            Cause(kind=CauseKind.EVENT, ref=f"evt-{second}-done"),
            f"{kind} task {second} completed",
        )
    transitions = tuple(
        Transition(at=at, from_state=before, to_state=to, cause=cause, actor=actor, reason=why)
        for at, before, to, cause, actor, why in steps
    )
    state = transitions[-1].to_state
    return Case(
        case_id=case_id,
        business_product_id=business_product_id,
        kind=kind,
        state=state,
        received_at=received,
        received_from="submissionDate",
        deadlines=(
            Deadline(
                jurisdiction="ccpa",
                due_at=received + timedelta(days=45),
                extended_due_at=received + timedelta(days=90),
            ),
        ),
        plan_deadline_at=received + timedelta(days=90),
        playbook_code=code,
        tasks=tuple(tasks),
        attempts=attempts,
        next_attempt_at=retry_at if state is CaseState.WAITING else None,
        reason=transitions[-1].reason if state in _WITH_REASON else None,
        closed_as=closed_as if state is CaseState.CLOSED else None,
        opened_at=opened,
        ended_at=transitions[-1].at if state.ended else None,
        transitions=transitions,
    )


_WITH_REASON = frozenset(
    {
        CaseState.ESCALATED,
        CaseState.CLOSED,
        CaseState.NOTHING_TO_DELETE,
        CaseState.NOTHING_TO_RETRIEVE,
    }
)


def realistic_cases(now: datetime = NOW) -> list[Case]:
    """A merchant's cases as they might stand on a Monday: deletions and access requests, two
    past due, two due soon, several on time, and some answered in the last weeks (one late)."""
    return [
        story_case("del-7f2c-overdue", received_days_ago=52, story="escalated", now=now),
        story_case(
            "ret-19ab-overdue",
            received_days_ago=47.5,
            story="escalated",
            kind="retrieval",
            code="EXPORT_FAILED",
            now=now,
        ),
        story_case("del-88e1-soon", received_days_ago=42, story="resubmitted", now=now),
        story_case(
            "ret-2c44-soon", received_days_ago=41.2, story="waiting", kind="retrieval", now=now
        ),
        story_case("del-5d10", received_days_ago=30, story="resubmitted", now=now),
        story_case("del-a913", received_days_ago=18, story="waiting", now=now),
        story_case("ret-7b02", received_days_ago=12, story="waiting", kind="retrieval", now=now),
        story_case("del-c3f7", received_days_ago=5, story="waiting", now=now),
        story_case("del-0e9a-done", received_days_ago=40, story="completed", now=now),
        # Answered after its deadline: past due in the chart's last weeks, until it ended.
        story_case(
            "del-4f21-late", received_days_ago=58, story="completed", ended_days_ago=4, now=now
        ),
        story_case(
            "ret-8a30-done",
            received_days_ago=55,
            story="completed",
            kind="retrieval",
            ended_days_ago=20,
            now=now,
        ),
        story_case(
            "ret-41d8-done",
            received_days_ago=26,
            story="completed",
            kind="retrieval",
            ended_days_ago=3,
            now=now,
        ),
        story_case("del-9b6e-none", received_days_ago=20, story="nothing", now=now),
        story_case(
            "ret-e5c1-none", received_days_ago=9, story="nothing", kind="retrieval", now=now
        ),
        story_case(
            "del-3a7f-denied",
            received_days_ago=35,
            story="closed",
            closed_as="denied",
            reason="legal hold: records kept for an open chargeback dispute",
            now=now,
        ),
        story_case(
            "del-6c2b-withdrawn",
            received_days_ago=15,
            story="closed",
            closed_as="cancelled",
            reason="the shopper withdrew the request",
            now=now,
        ),
    ]


#: Four open stories to one ended: a busy merchant's cases are mostly still running.
_OPEN_STORIES: tuple[Story, ...] = ("waiting", "resubmitted", "escalated")
_STORIES: tuple[Story, ...] = (*_OPEN_STORIES * 4, "completed", "nothing", "closed")


def many_cases(count: int, now: datetime = NOW) -> list[Case]:
    """``count`` cases as a busy merchant has them: uuid case ids, a few dozen business product
    ids as long as the sandbox's, received over the last eight weeks; most open (on time,
    due soon or past due, some escalated with a reason quoting a task id), the rest ended."""
    rng = random.Random(7)  # the same cases every run
    products = [f"bp-{uuid.UUID(int=rng.getrandbits(128))}" for _ in range(40)]
    cases = []
    for _ in range(count):
        case_id = str(uuid.UUID(int=rng.getrandbits(128)))
        received_days_ago = rng.uniform(0.6, 56)
        story = rng.choice(_STORIES)
        ended_days_ago = (
            rng.uniform(0, min(received_days_ago - 0.6, 50))
            if story in ("nothing", "closed")
            else None
        )
        cases.append(
            story_case(
                case_id,
                received_days_ago=received_days_ago,
                story=story,
                now=now,
                kind=rng.choice(["deletion", "retrieval"]),
                ended_days_ago=ended_days_ago,
                closed_as="denied" if story == "closed" else None,
                business_product_id=rng.choice(products),
            )
        )
    return cases
