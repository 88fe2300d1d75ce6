"""Text from outside (an API's answer, an event, an operator) made safe to keep and show, at the
one place it comes in: held to a grammar, or masked for emails, on one line and bounded.

Every string an outside party chose goes through one of these before it is built into a model:
what is kept is then safe for every place it goes (logs, metrics, messages, alerts, a terminal).
"""

from __future__ import annotations

import re

from bwp_privacy.common.redaction import mask_emails

#: What ends a bounded text that was cut.
ELLIPSIS = "…"

#: An identifier as the project takes one from outside (a task id, a business product id, any
#: id in an event's resources): UUIDs, "bp-..." ids, SKUs, carrier codes, tracking numbers. No
#: GraphQL, path or markup syntax passes it, so an id is always inert data downstream.
IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,255}")

# C0 and C1 controls and DEL, the line and paragraph separators, and the bidirectional
# controls that make text read in another order than it is stored (CVE-2021-42574).
_SPACE = re.compile(r"\s")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]+")


def one_line(text: str) -> str:
    """``text`` on one line: every run of control characters one space, the ends stripped."""
    return _CONTROL.sub(" ", text).strip()


def bounded(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters: when longer, its start and an ellipsis."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def clean_text(text: str, limit: int) -> str:
    """Free text from outside as it may be kept: emails masked (first, so that no control
    character splits an address before it is seen), on one line, then bounded to ``limit``
    characters (last: a mask may be longer than what it hides).

    Only a window of a very long text is read (what is kept is its start); the word the
    window's end falls in is left out with the rest, and a quotation left open on the last
    line from its opening quote on, so that no address the end cuts in two is kept in part."""
    window = _window(limit)
    if len(text) <= window:
        return bounded(one_line(mask_emails(text)), limit)
    head = text[:window]
    space = _SPACE.search(head[::-1])
    head = head[: len(head) - space.start()] if space else ""
    line = max(head.rfind("\n"), head.rfind("\r")) + 1
    quote = head.find('"', line)
    if quote != -1:
        head = head[:quote]
    return bounded(one_line(mask_emails(head)) + ELLIPSIS, limit)


def _window(limit: int) -> int:
    # Far more than is kept (masks shorten what they hide, control runs become a space), little
    # enough that hostile text (an at sign every other character) is read in milliseconds.
    return 16 * limit + 4096


def quoted(text: str, limit: int = 120) -> str:
    """Outside text quoted in one of our own messages (an error saying what was wrong with it),
    made safe as `clean_text` does."""
    return repr(clean_text(text, limit))


def held_to(value: object, grammar: re.Pattern[str], otherwise: str) -> str:
    """``value`` when it is a string the whole of which ``grammar`` matches, else ``otherwise``
    (a fixed marker: text the grammar refuses is never kept, not even in part)."""
    if isinstance(value, str) and grammar.fullmatch(value):
        return value
    return otherwise
