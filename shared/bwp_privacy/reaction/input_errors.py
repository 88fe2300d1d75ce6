"""The error of an input the reaction cannot take."""

from __future__ import annotations

from bwp_privacy.common import BwpPrivacyError


class InvalidReactionInput(BwpPrivacyError, ValueError):
    """The input is none of the three the reaction takes, or is malformed; the message says
    what and where. It ends in the OnFailure queue (async) or the dead-letter queue (SQS)."""
