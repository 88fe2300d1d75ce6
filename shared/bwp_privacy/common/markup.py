"""Text from outside made inert in a chat's markup: what every message to Slack needs, whoever
sends it (the alert router's messages, the reaction's answers to a Slack action), kept in one
place so that the two cannot escape differently."""

from __future__ import annotations

import re

from bwp_privacy.common.text import one_line

#: Emphasis and code delimiters of the chats' markups (Slack's ``*bold*``, ``~strike~`` and
#: inline code; Markdown's ``*em*``), each replaced by a look-alike that delimits nothing.
_DELIMITERS = str.maketrans({"*": "\u2217", "~": "\u223c", "`": "\u02cb"})
#: An underscore that may open or close ``_italic_``: one not between two letters or digits
#: (``ORDERS_NOT_CLOSED`` keeps its underscores; no markup reads those as emphasis).
_EMPHASIS_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")


def no_emphasis(text: str) -> str:
    """``text`` with every emphasis or code delimiter a chat would apply replaced by a
    look-alike (an asterisk by U+2217, a tilde by U+223C, a backtick by U+02CB, an underscore
    at a word's edge by U+02CD): it reads the same and formats nothing."""
    return _EMPHASIS_UNDERSCORE.sub("\u02cd", text.translate(_DELIMITERS))


def mrkdwn_escape(text: str) -> str:
    """Text from outside (an API's error message, an id, an operator's reason) as Slack shows
    it as written, in mrkdwn, plain_text and a message's ``text``: one line without control
    characters; ``&``, ``<`` and ``>`` escaped (so no ``<!channel>``, ``<@U…>`` mention and no
    ``<url|label>`` link, Slack's own rule); and no ``*bold*``, ``_italic_``, ``~strike~`` or
    code delimiter, which Slack cannot escape: each is a look-alike (`no_emphasis`)."""
    escaped = one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return no_emphasis(escaped)
