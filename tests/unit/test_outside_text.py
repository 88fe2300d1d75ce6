"""Outside text held at its one boundary (issue 23): every string the API or an event chose is
masked, one line and bounded, or held to a grammar, before it is built into a model; and no
such text can make a case's move impossible or two cases share a schedule. Pure logic."""

from __future__ import annotations

import json
import re
import time
import unicodedata
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bwp_privacy.bwp_api import (
    DeletionTask,
    UnknownApiError,
    ValidationApiError,
    error_from_graphql,
)
from bwp_privacy.bwp_api.models import MESSAGE_LIMIT, TaskError
from bwp_privacy.cases import CaseState, CauseKind, schedule_name
from bwp_privacy.common import EMAIL_MASK, IDENTIFIER, bounded, clean_text, mask_emails
from bwp_privacy.reaction import (
    Escalation,
    TaskFailed,
    close_by_operator,
    on_attempt_impossible,
    open_case,
)
from bwp_privacy.reaction.decisions import NO_EMAIL_ADVICE, REFUSED_START_ADVICE
from bwp_privacy.reaction.resubmit import CannotResubmit, Resubmitter
from bwp_privacy.reaction.schedules import AttemptDueInput
from bwp_privacy.recorder import InvalidEventError, parse_event
from tests.unit.test_reaction_cases import ACTOR, FAILED_AT, config, failed

PROPERTIES = settings(
    max_examples=200, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "deletion-task-failed.json").read_text()
)
VICTIM = "victim.person@victim-mail.test"
#: What a control character leaves in text, raw or as JSON writes it.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]|\\u00[01][0-9a-f]", re.IGNORECASE)

# ---- the email mask: every spelling of an address, nothing else --------------------------

#: An at sign as outside text spells it: plain, percent-encoded, as HTML writes it, as a JSON
#: or Python escape, full-width or small (NFKC makes both "@").
AT_SIGNS = ["@", "%40", "&#64;", "&#064;", "&#x40;", "&#X40;", "&commat;", "\\u0040", "\\x40"]
AT_SIGNS += ["\uff20", "\ufe6b"]
# The full-width and small ones encoded as JSON, HTML and a URL write them.
AT_SIGNS += ["\\uff20", "\\uFE6B", "&#65312;", "&#xff20;", "%EF%BC%A0", "%ef%b9%ab"]
# Encoded twice or more, as real systems do (a link put in a link, HTML escaped by two
# templates): each "%" percent-encoded again, each "&" escaped again.
AT_SIGNS += ["%2540", "%252540", "%25EF%25BC%25A0", "%2525ef%2525b9%2525ab"]
AT_SIGNS += ["&amp;#64;", "&amp;#x40;", "&amp;commat;", "&amp;amp;commat;", "&AMP;#65312;"]
# Characters of an unquoted local part (RFC 5322 atext and the dot), long runs included: a
# local part over 64 characters must be masked whole, not from its 64th-last character on.
plain_locals = st.from_regex(r"[A-Za-z0-9!#$*+/=?^_`{|}~.'-]{1,100}", fullmatch=True)
# A quoted local part may hold a quote or a backslash, each escaped by a backslash (RFC 5322
# quoted-pair): "a\\"b c"@x.
quoted_locals = st.from_regex(r'"(?:[A-Za-z0-9 .,:;@<>()-]|\\["\\]){0,80}"', fullmatch=True)
labels = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
# Names of one to eight labels: over 255 characters at times, which must be masked whole too.
names = st.lists(labels, min_size=1, max_size=8).map(".".join)
ip_literals = st.sampled_from(["[192.0.2.1]", "[IPv6:2001:db8::1]", "[10.0.0.255]"])
emails = st.tuples(plain_locals | quoted_locals, st.sampled_from(AT_SIGNS), names | ip_literals)


def _no_at_sign(char: str) -> bool:
    return "@" not in unicodedata.normalize("NFKC", char)


# Text with no at sign in any spelling: what the mask must give back as it was.
safe_text = st.text(
    alphabet=st.characters(blacklist_characters="%&\\", blacklist_categories=["Cs"]).filter(
        _no_at_sign
    ),
    max_size=200,
)


@PROPERTIES
@given(emails, safe_text, safe_text)
def test_every_spelling_of_an_address_is_masked_whole_and_nothing_else(
    email: tuple[str, str, str], before: str, after: str
) -> None:
    local, at, domain = email
    masked = mask_emails(f"{before} {local}{at}{domain} {after}")
    assert masked == f"{before} {EMAIL_MASK} {after}"


@PROPERTIES
@given(safe_text)
def test_text_without_an_address_is_left_as_it_is(text: str) -> None:
    assert mask_emails(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "The data subject has orders that are not closed.",
        "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6",
        "businessProduct/bp-30b55436/personalDataDeletionTask/4a1d2f3e-5b6c-4d7e-8f90",
        "https://console.buywithprime.amazon.com/orders?id=o-1&page=2#top",
        "50% off: see https://example.test/a%20b?q=1 (100 % sure)",
        "Status FAILED at 2026-10-02T09:12:44.638498Z; retry in 7 days",
    ],
)
def test_plain_sentences_ids_and_links_are_left_alone(text: str) -> None:
    assert mask_emails(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('write to "Alice Smith"@x.test now', "write to <email redacted> now"),
        ("a%40b.test", "<email redacted>"),
        ("alice\uff20x.test", "<email redacted>"),
        ("alice&#64;x.test or bob&#x40;x.test", "<email redacted> or <email redacted>"),
        ("alice\\u0040x.test", "<email redacted>"),
        ("ops@[192.0.2.1] said", "<email redacted> said"),
        ("x" * 100 + "@" + "d" * 300 + ".test!", "<email redacted>"),
        ("<jane@x.test>, o'brien@x.test", "<<email redacted>>, <email redacted>"),
        ("alice%2540example.com wrote", "<email redacted> wrote"),
        (
            "alice&amp;#64;example.com or bob&amp;commat;example.com",
            f"{EMAIL_MASK} or {EMAIL_MASK}",
        ),
        ('"a\\"b c"@x.test said', "<email redacted> said"),
        ('"a\\\\"@x.test said', "<email redacted> said"),
        # A quote no quoted string closes (escaped, or opened on no line): a plain local part.
        ('say \\"bob\\"@x.test', 'say \\"<email redacted>'),
        ('"a\nbob"@x.test', '"a\n<email redacted>'),
        ('bob"@x.test', "<email redacted>"),
    ],
)
def test_the_forms_the_old_mask_missed_are_masked(text: str, shown: str) -> None:
    assert mask_emails(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        # Every at sign closes a quote that only an escaped quote would open.
        '"' + '\\"@' * 100_000,
        '"x' + '\\"@"' * 100_000,
        # Encodings at their bound, and beyond it, over and over.
        "%25" * 100_000 + "40",
        "&amp;" * 100_000 + "#64;",
        "a%25252540" * 30_000,
        "\\" * 300_000 + '"@x',
    ],
    ids=["escaped-quotes", "quotes-and-at-signs", "percent", "ampersand", "bound", "backslashes"],
)
def test_hostile_text_is_masked_in_linear_time(text: str) -> None:
    # Each at sign's opening quote is the first character: a scan that stepped back over every
    # escaped quote (or every encoding) for each at sign would take hours here, where the mask
    # takes a fraction of a second. The bound leaves room for a slow machine.
    started = time.perf_counter()
    mask_emails(text)
    assert time.perf_counter() - started < 5


# ---- mask, then bound ---------------------------------------------------------------------

# Words and addresses, short ones among them: a mask is longer than "jane@x.t" it hides.
texts_with_addresses = st.lists(
    st.one_of(
        st.from_regex(r"[a-z ]{0,30}", fullmatch=True),
        st.sampled_from(["jane@x.t", "jane.shopper@x.test", '"jane s"@x.t']),
    ),
    max_size=400,
).map(" ".join)


@PROPERTIES
@given(texts_with_addresses, st.integers(min_value=1, max_value=300))
def test_text_is_masked_then_bounded_so_a_mask_never_outgrows_the_bound(
    text: str, limit: int
) -> None:
    kept = clean_text(text, limit)
    assert len(kept) <= limit
    assert "jane" not in kept
    assert "@" not in kept


@PROPERTIES
@given(texts_with_addresses)
def test_a_task_error_message_is_masked_then_held_to_its_limit(text: str) -> None:
    # Longer than the limit, with short addresses, hidden by longer masks: the message grows
    # as it is masked.
    unit = f"{text} jane@x.t "
    message = unit * (2 * MESSAGE_LIMIT // len(unit) + 1)
    [error] = DeletionTask.model_validate(
        {"taskId": "t1", "status": "FAILED", "errors": [{"code": None, "message": message}]}
    ).errors
    assert len(error.message) <= MESSAGE_LIMIT
    assert "jane" not in error.message


def test_a_very_long_text_is_read_in_a_window_and_no_address_is_kept_in_part() -> None:
    # The window's end (16 times 200, plus 4,096 characters) falls inside a local part whose at sign
    # is beyond it; the address before it is so long that what is kept reaches that far.
    text = "y" * 7000 + "@x.test " + "jane.shopper" * 500 + "@x.test tail"
    kept = clean_text(text, 200)
    assert "jane" not in kept
    assert kept == f"{EMAIL_MASK}…"
    quoted_one = "y" * 7000 + '@x.test "' + "jane shopper " * 500 + '"@x.test tail'
    assert "jane" not in clean_text(quoted_one, 200)


# ---- API answers held to their grammar ----------------------------------------------------


def _task(**fields: Any) -> DeletionTask:
    return DeletionTask.model_validate({"taskId": "t1", "status": "FAILED", **fields})


@pytest.mark.parametrize(
    ("code", "kept"),
    [
        ("ORDERS_NOT_CLOSED", "ORDERS_NOT_CLOSED"),
        (None, None),
        (f"NO_ACCOUNT_{VICTIM}", "UNRECOGNISED_CODE"),
        ("ORDERS_NOT_CLOSED\n", "UNRECOGNISED_CODE"),
        ("ORDERS\x1b[2J", "UNRECOGNISED_CODE"),
        ("X" * 65, "UNRECOGNISED_CODE"),
        ("", "UNRECOGNISED_CODE"),
        (42, "UNRECOGNISED_CODE"),
    ],
)
def test_an_error_code_is_a_code_or_unrecognised(code: object, kept: str | None) -> None:
    assert TaskError.model_validate({"code": code, "message": "m"}).code == kept


def test_status_and_dates_are_documented_values_or_markers() -> None:
    task = _task(
        status=f"FAILED {VICTIM}",
        submissionDate="2026-10-02T09:12:44.638498Z",
        lastUpdatedDate=f"2026-10-02T09:12:44Z {VICTIM}",
    )
    assert task.status == "UNRECOGNISED_STATUS"
    assert task.submission_date == "2026-10-02T09:12:44.638498Z"
    assert task.last_updated_date is None
    assert _task(status="ON_HOLD", submissionDate="2026-13-45T00:00:00Z").submission_date is None
    assert _task(status="ON_HOLD").status == "ON_HOLD"


def test_a_task_id_the_api_answers_must_be_an_id() -> None:
    with pytest.raises(ValueError, match="taskId"):
        DeletionTask.model_validate({"taskId": f"t/{VICTIM}", "status": "FAILED"})


def test_a_lookup_errors_classification_is_held_to_its_grammar() -> None:
    error = error_from_graphql(
        [
            {
                "message": f"no task for {VICTIM}\x1b[2J",
                "extensions": {"classification": {"type": "ValidationError", "code": VICTIM}},
            }
        ]
    )
    assert isinstance(error, ValidationApiError)
    assert error.code == "UNRECOGNISED_CODE"
    assert error.message == "no task for <email redacted>[2J"
    unknown = error_from_graphql(
        [{"message": "m", "extensions": {"classification": {"type": f"Odd {VICTIM}"}}}]
    )
    assert isinstance(unknown, UnknownApiError)
    assert unknown.classification == "UnrecognisedClassification"


# ---- the event envelope's errors ------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"resources": [f"businessProduct/bp-1/personalDataDeletionTask/{VICTIM}\x1b[2J\n"]},
        {"resources": [f"{VICTIM}\x00/bp-1/personalDataDeletionTask/t1"]},
        {"source": f"aws.partner/{VICTIM}\u2028\x1b[2J"},
    ],
)
def test_an_invalid_events_error_quotes_it_masked_and_on_one_line(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_event({**SAMPLE, **changes})
    said = str(caught.value)
    assert "victim" not in said
    assert EMAIL_MASK in said
    assert CONTROL.search(said) is None
    assert "\u2028" not in said


# ---- no outside text makes a move impossible --------------------------------------------


def test_a_reason_of_any_length_still_moves_the_case() -> None:
    rules = config()
    case = open_case(failed(), rules, FAILED_AT, ACTOR).case
    assert case.state is CaseState.WAITING
    why = "the start mutation was refused: " + "x" * 4000
    escalated = on_attempt_impossible(case, 1, why, FAILED_AT + timedelta(days=7), ACTOR)
    assert escalated is not None
    assert escalated.case.state is CaseState.ESCALATED
    assert escalated.case.reason is not None
    assert len(escalated.case.reason) == 2000
    assert escalated.case.reason.endswith("…")
    closed = close_by_operator(case, "y" * 5000, FAILED_AT, "ops", "cancelled")
    assert closed is not None
    assert closed.case.state is CaseState.CLOSED


def test_an_attempt_that_cannot_start_is_advised_for_what_stopped_it() -> None:
    case = open_case(failed(), config(), FAILED_AT, ACTOR).case
    later = FAILED_AT + timedelta(days=7)
    unread = on_attempt_impossible(case, 1, "no email", later, ACTOR, email_unread=True)
    refused = on_attempt_impossible(case, 1, "refused", later, ACTOR, email_unread=False)
    assert unread is not None
    assert refused is not None
    advice = [
        [e.advice for e in decision.effects if isinstance(e, Escalation)]
        for decision in (unread, refused)
    ]
    assert advice == [[NO_EMAIL_ADVICE], [REFUSED_START_ADVICE]]


def test_ids_as_long_as_an_event_may_carry_open_a_case_and_schedule_it() -> None:
    task, event = "t" * 256, "e" * 256
    assert IDENTIFIER.fullmatch(task)
    opened = open_case(
        TaskFailed(
            task_id=task,
            business_product_id="bp-1",
            codes=("ORDERS_NOT_CLOSED",),
            lookup_ok=True,
            submitted_at=None,
            event_id=event,
            event_time=FAILED_AT,
        ),
        config(),
        FAILED_AT,
        ACTOR,
    )
    assert opened.case.state is CaseState.WAITING
    [move] = opened.case.transitions
    assert move.cause.kind is CauseKind.EVENT
    assert move.cause.ref == bounded(event, 200)
    assert AttemptDueInput(case_id=task, attempt=1).case_id == task


# ---- the start mutation's answer ------------------------------------------------------------


class _Api:
    """The API as the resubmitter sees it (its GraphQL protocol), answering one thing."""

    def __init__(self, answer: dict[str, Any] | Exception) -> None:
        self._answer = answer

    def execute(
        self,
        query: str,
        variables: dict[str, Any],
        target_id: str,
        *,
        deadline: float | None = None,
    ) -> dict[str, Any]:
        if isinstance(self._answer, Exception):
            raise self._answer
        return self._answer


@pytest.mark.parametrize("task_id", [f"t/{VICTIM}", "", "x" * 257, "a\nb", "../t"])
def test_a_started_task_id_that_is_not_an_id_is_a_refused_start(task_id: str) -> None:
    api = _Api({"startPersonalDataDeletionTask": {"taskId": task_id}})
    with pytest.raises(CannotResubmit) as caught:
        Resubmitter(api).start("bp-1", "a@x.test", client_token="c" * 36, holding_period_days=0)
    said = str(caught.value)
    assert said == "startPersonalDataDeletionTask answered a task id that is not an id"
    case = open_case(failed(), config(), FAILED_AT, ACTOR).case
    moved = on_attempt_impossible(case, 1, said, FAILED_AT, ACTOR)
    assert moved is not None
    assert moved.case.state is CaseState.ESCALATED
    assert moved.case.reason == f"attempt 1 could not start: {said}"


def test_a_refused_start_keeps_the_classification_never_the_message() -> None:
    refusal = ValidationApiError(f"dataSubject.email {VICTIM} is refused", code="InvalidEmail")
    with pytest.raises(CannotResubmit) as caught:
        Resubmitter(_Api(refusal)).start(
            "bp-1", VICTIM, client_token="c" * 36, holding_period_days=0
        )
    assert str(caught.value) == (
        "the start mutation was refused (ValidationError, code InvalidEmail)"
    )


# ---- one schedule per case and attempt ------------------------------------------------------

SCHEDULER_NAME = re.compile(r"[0-9A-Za-z._-]{1,64}")


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("task:1", "task_1"),
        ("task:1", "task/1"),
        ("a..b", "a__b"),
        ("x" * 48, "x" * 49),
        ("x" * 80 + "/" + "y" * 40, "x" * 80 + "/" + "z" * 40),
        ("task_1..0123456789abcdef0123", "task:1"),
        ("t-a1", "t"),
    ],
)
def test_ids_that_read_alike_get_different_schedules(one: str, other: str) -> None:
    names = {schedule_name(one, n) for n in (1, 2, 12)} | {
        schedule_name(other, n) for n in (1, 2, 12)
    }
    assert len(names) == 6
    assert all(SCHEDULER_NAME.fullmatch(name) for name in names)


def test_an_id_of_schedulers_characters_is_its_own_name() -> None:
    assert schedule_name("t-orders", 1) == "t-orders-a1"
    assert schedule_name("4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6", 2) == (
        "4a1d2f3e-5b6c-4d7e-8f90-a1b2c3d4e5f6-a2"
    )


@PROPERTIES
@given(
    st.lists(
        st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}", fullmatch=True)
        # A small alphabet: ids that read alike once ":" or "/" is "_" come up often.
        | st.from_regex(r"[a:_./]{1,4}", fullmatch=True),
        min_size=2,
        max_size=30,
        unique=True,
    ),
    st.integers(min_value=1, max_value=1000),
)
def test_every_case_and_attempt_has_a_name_of_its_own(ids: list[str], attempt: int) -> None:
    names = [schedule_name(case_id, n) for case_id in ids for n in (attempt, attempt + 1)]
    assert len(set(names)) == len(names)
    assert all(SCHEDULER_NAME.fullmatch(name) for name in names)
