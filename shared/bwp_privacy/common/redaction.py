"""Mask personal data in free text that comes back from the API."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

EMAIL_MASK = "<email redacted>"

# Deliberately broad: anything shaped like local@domain is masked, even when it is not a real
# address, because a false positive only hides text while a miss leaks an email. Text reaches
# us encoded as often as plain (an API that echoes HTML or JSON, a percent-encoded link), so an
# at sign is also each of these spellings; full-width and small at signs (U+FF20, U+FE6B) become
# "@" under NFKC, which the text is read in, and are spelled encoded too (JSON writes them as
# "\uff20" unless told not to). Text is encoded twice as often as it should be (a link put in a
# link, HTML escaped by two templates): each ``%`` may itself be encoded (``%2540``) and each
# ``&`` escaped (``&amp;#64;``, ``&amp;amp;commat;``), a few times over. The repetition is
# bounded, so the pattern stays linear.
_PERCENT = r"%(?:25){0,4}"
_AMPERSAND = r"&(?:amp;){0,4}"
_ENCODED_AT = (
    rf"{_PERCENT}40|{_PERCENT}EF{_PERCENT}BC{_PERCENT}A0|{_PERCENT}EF{_PERCENT}B9{_PERCENT}AB"
    rf"|{_AMPERSAND}#0*(?:64|65312|65131)(?![0-9]);?"
    rf"|{_AMPERSAND}#x0*(?:40|ff20|fe6b)(?![0-9a-f]);?"
    rf"|{_AMPERSAND}commat;"
    r"|\\U0000(?:0040|ff20|fe6b)|\\u(?:0040|ff20|fe6b)|\\x40"
)
# What may need rewriting before the text is read: an encoded at sign, or a run of characters
# beyond ASCII (NFKC may change them). Plain ASCII text without either is read as it is.
_SPECIAL = re.compile(rf"(?:{_ENCODED_AT})|[^\x00-\x7f]+", re.IGNORECASE)
# What ends an address's local part or domain: whitespace and RFC 5322's specials, except the
# dot (inside both) and the apostrophe (o'brien@ is a common local part).
_SEPARATOR = re.compile(r"[\s@<>()\[\]\",;:]")
_SPACE_OR_AT = re.compile(r"[\s@]")
_LINE_BREAK = re.compile(r"[\r\n]")
#: A run of backslashes, read in the reversed text: how many escape the character after it.
_BACKSLASHES = re.compile(r"\\*")
#: The longest IP-literal domain looked for (``[IPv6:…]``: 45 characters at most).
_IP_LITERAL_MAX = 64


def mask_emails(text: str) -> str:
    """Replace every email-shaped span of ``text`` with a fixed mask, the whole span whatever its
    length: a local part (plain, or a quoted string, spaces and all) and a domain (a name, or an
    IP literal in brackets) around an at sign, written plainly or encoded (``%40``, ``&#64;``,
    ``&#x40;``, ``&commat;``, ``\\u0040``, ``\\x40``, full-width U+FF20 and small U+FE6B,
    as they are or encoded the same ways, percent-encoded or HTML-escaped twice or more:
    ``%2540``, ``&amp;#64;``). A quoted local part may hold escaped quotes (``"a\\"b"@x``).
    The rest of the text is returned as it was. Linear in the text's length, whatever it
    holds."""
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


@dataclass(slots=True)
class _Text:
    """The text as the scans read it: reversed (to search backwards), and, once a quoted local
    part is met, where its unescaped quotes and its line breaks are (found once, in order)."""

    text: str
    backwards: str
    _quotes: list[int] | None = None
    _breaks: list[int] | None = None

    @property
    def quotes(self) -> list[int]:
        """Where the quotes are that no backslash escapes (``\\"`` does, ``\\\\"`` does not)."""
        if self._quotes is None:
            found: list[int] = []
            size = len(self.text)
            quote = self.text.find('"')
            while quote != -1:
                # The backslashes right before this quote: each run is read once, as it ends
                # at a quote and begins after the one before.
                run = _BACKSLASHES.match(self.backwards, size - quote)
                if run is None or len(run.group()) % 2 == 0:
                    found.append(quote)
                quote = self.text.find('"', quote + 1)
            self._quotes = found
        return self._quotes

    @property
    def breaks(self) -> list[int]:
        if self._breaks is None:
            self._breaks = [found.start() for found in _LINE_BREAK.finditer(self.text)]
        return self._breaks


def _email_spans(text: str) -> list[tuple[int, int]]:
    """The email-shaped spans of ``text`` (already read), merged where they touch. Each at sign
    looks back to the separator before it and on to the one after it: every scan stops at the
    next at sign at the latest (one is a separator), so the whole is linear. A quoted local
    part is found by a search in the text's quotes, found once."""
    spans: list[tuple[int, int]] = []
    read: _Text | None = None
    at = text.find("@")
    while at != -1:
        if read is None:
            read = _Text(text, text[::-1])
        start = _local_start(read, at)
        end = _domain_end(text, at)
        if start is not None and end is not None:
            # A quoted local part may reach back over earlier spans ("a@b"@c): one span.
            while spans and start <= spans[-1][1]:
                earlier_start, earlier_end = spans.pop()
                start, end = min(start, earlier_start), max(end, earlier_end)
            spans.append((start, end))
        at = text.find("@", at + 1)
    return spans


def _local_start(read: _Text, at: int) -> int | None:
    text, backwards = read.text, read.backwards
    if at == 0:
        return None
    before = text[at - 1]
    if before == '"':
        closing = at - 1
        quotes = read.quotes
        index = bisect_left(quotes, closing)
        if index < len(quotes) and quotes[index] == closing and index > 0:
            # A quoted local part ("Alice Smith"@…, "a\"b c"@…): back to its opening quote,
            # the unescaped one before, on the same line.
            opening = quotes[index - 1]
            breaks = read.breaks
            line = bisect_right(breaks, closing) - 1
            if line < 0 or breaks[line] < opening:
                return opening
        # No quoted string ends here (no opening quote before it on its line, or the quote is
        # escaped: bob"@…, say \"bob\"@…): the quote ends a plain local part, read back from
        # before it (to the previous at sign at the latest, as every plain scan).
        found = _SEPARATOR.search(backwards, len(text) - closing)
        start = len(text) - found.start() if found is not None else 0
        return start if start < closing else None
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
