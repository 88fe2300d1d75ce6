"""Mask personal data in free text that comes back from the API."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass

EMAIL_MASK = "<email redacted>"

# Deliberately broad: anything shaped like local@domain is masked, even when it is not a real
# address, because a false positive only hides text while a miss leaks an email. Text reaches
# us encoded as often as plain (an API that echoes HTML or JSON, a percent-encoded link), so an
# at sign is also each of these spellings; full-width and small at signs (U+FF20, U+FE6B) become
# "@" under NFKC, which the text is read in, and are spelled encoded too (JSON writes them as
# "\uff20" unless told not to).
_ENCODED_AT = (
    r"%40|%EF%BC%A0|%EF%B9%AB"
    r"|&#0*(?:64|65312|65131)(?![0-9]);?"
    r"|&#x0*(?:40|ff20|fe6b)(?![0-9a-f]);?"
    r"|&commat;"
    r"|\\U0000(?:0040|ff20|fe6b)|\\u(?:0040|ff20|fe6b)|\\x40"
)
# What may need rewriting before the text is read: an encoded at sign, or a run of characters
# beyond ASCII (NFKC may change them). Plain ASCII text without either is read as it is.
_SPECIAL = re.compile(rf"(?:{_ENCODED_AT})|[^\x00-\x7f]+", re.IGNORECASE)
# What ends an address's local part or domain: whitespace and RFC 5322's specials, except the
# dot (inside both) and the apostrophe (o'brien@ is a common local part).
_SEPARATOR = re.compile(r"[\s@<>()\[\]\",;:]")
_SPACE_OR_AT = re.compile(r"[\s@]")
#: The longest IP-literal domain looked for (``[IPv6:…]``: 45 characters at most).
_IP_LITERAL_MAX = 64


def mask_emails(text: str) -> str:
    """Replace every email-shaped span of ``text`` with a fixed mask, the whole span whatever its
    length: a local part (plain, or a quoted string, spaces and all) and a domain (a name, or an
    IP literal in brackets) around an at sign, written plainly or encoded (``%40``, ``&#64;``,
    ``&#x40;``, ``&commat;``, ``\\u0040``, ``\\x40``, full-width U+FF20 and small U+FE6B,
    as they are or encoded the same ways). The
    rest of the text is returned as it was. Linear in the text's length, whatever it holds."""
    view = _read(text)
    spans = _email_spans(view.text)
    if not spans:
        return text
    out: list[str] = []
    done = 0
    for start, end in spans:
        first, last = view.origin_start(start), view.origin_end(end)
        out += [text[done:first], EMAIL_MASK]
        done = last
    out.append(text[done:])
    return "".join(out)


@dataclass(frozen=True, slots=True)
class _View:
    """The text as it is read (encoded at signs decoded, NFKC), with where each of its
    characters came from: ``pieces`` are (start in the view, start and end in the original,
    rewritten); a piece that was not rewritten maps character for character."""

    text: str
    starts: tuple[int, ...] = ()
    pieces: tuple[tuple[int, int, int, bool], ...] = ()

    def origin_start(self, index: int) -> int:
        if not self.pieces:
            return index
        start, origin, _, rewritten = self.pieces[bisect_right(self.starts, index) - 1]
        return origin if rewritten else origin + index - start

    def origin_end(self, index: int) -> int:
        """Where the view's characters before ``index`` end in the original."""
        if not self.pieces or index == 0:
            return index
        start, origin, origin_end, rewritten = self.pieces[bisect_right(self.starts, index - 1) - 1]
        return origin_end if rewritten else origin + index - start


def _read(text: str) -> _View:
    if text.isascii() and not _SPECIAL.search(text):
        return _View(text)
    parts: list[str] = []
    pieces: list[tuple[int, int, int, bool]] = []
    size = 0

    def add(part: str, origin: int, origin_end: int, rewritten: bool) -> None:
        nonlocal size
        if part:
            pieces.append((size, origin, origin_end, rewritten))
            parts.append(part)
            size += len(part)

    done = 0
    for match in _SPECIAL.finditer(text):
        add(text[done : match.start()], done, match.start(), False)
        found = match.group()
        if found.isascii():
            add("@", match.start(), match.end(), True)
        elif unicodedata.normalize("NFKC", found) == found:
            add(found, match.start(), match.end(), False)
        else:
            # Character by character, so that a span maps back to exactly what it covers.
            for offset, char in enumerate(found):
                at = match.start() + offset
                normal = unicodedata.normalize("NFKC", char)
                add(normal, at, at + 1, normal != char)
        done = match.end()
    add(text[done:], done, len(text), False)
    return _View("".join(parts), tuple(piece[0] for piece in pieces), tuple(pieces))


def _email_spans(text: str) -> list[tuple[int, int]]:
    """The email-shaped spans of ``text`` (already read), merged where they touch. Each at sign
    looks back to the separator before it and on to the one after it: every scan stops at the
    next at sign at the latest (one is a separator), so the whole is linear."""
    spans: list[tuple[int, int]] = []
    backwards: str | None = None
    at = text.find("@")
    while at != -1:
        if backwards is None:
            backwards = text[::-1]
        start = _local_start(text, backwards, at)
        end = _domain_end(text, at)
        if start is not None and end is not None:
            # A quoted local part may reach back over earlier spans ("a@b"@c): one span.
            while spans and start <= spans[-1][1]:
                earlier_start, earlier_end = spans.pop()
                start, end = min(start, earlier_start), max(end, earlier_end)
            spans.append((start, end))
        at = text.find("@", at + 1)
    return spans


def _local_start(text: str, backwards: str, at: int) -> int | None:
    if at == 0:
        return None
    before = text[at - 1]
    if before == '"':
        # A quoted local part ("Alice Smith"@…): back to its opening quote, on the same line.
        opening = text.rfind('"', 0, at - 1)
        if opening == -1 or "\n" in text[opening:at] or "\r" in text[opening:at]:
            return None
        return opening
    if _SEPARATOR.match(before):
        return None
    found = _SEPARATOR.search(backwards, len(text) - at)
    return 0 if found is None else len(text) - found.start()


def _domain_end(text: str, at: int) -> int | None:
    if at + 1 >= len(text):
        return None
    after = text[at + 1]
    if after == "[":
        # An IP literal (a@[192.0.2.1], a@[IPv6:2001:db8::1]); one that does not close as one
        # runs to the next space or at sign (it may have been cut).
        closing = text.find("]", at + 2, at + 2 + _IP_LITERAL_MAX)
        if closing != -1 and not any(char.isspace() for char in text[at + 2 : closing]):
            return closing + 1
        found = _SPACE_OR_AT.search(text, at + 1)
        return len(text) if found is None else found.start()
    if _SEPARATOR.match(after):
        return None
    found = _SEPARATOR.search(text, at + 1)
    return len(text) if found is None else found.start()
