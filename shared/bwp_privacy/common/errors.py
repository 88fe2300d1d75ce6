"""The root of every error the project raises on purpose.

A caller that only needs to tell "ours, with a message meant for a person" from "a bug"
catches `BwpPrivacyError` (the CLI does, once). Each package derives its own errors from it;
whether an error is worth retrying is said by the error itself (`RetryableError`, or a
``retryable``/``permanent`` attribute), never by its type's place in this tree.
"""

from __future__ import annotations


class BwpPrivacyError(Exception):
    """An expected failure whose message says what is wrong and where (never personal data)."""
