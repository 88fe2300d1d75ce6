"""Mask personal data in free text that comes back from the API."""

from __future__ import annotations

import re

# Deliberately broad: anything shaped like local@domain is masked, even when it is not a
# real address, because a false positive only hides text while a miss leaks an email.
# Bounded repetitions keep the scan linear on long text without spaces (RFC 5321 caps the
# local part at 64 and the domain at 255 characters).
_EMAIL = re.compile(r"[^\s@<>()\[\]\"',;:]{1,64}@[^\s@<>()\[\]\"',;:]{1,255}")
EMAIL_MASK = "<email redacted>"


def mask_emails(text: str) -> str:
    """Replace every email-shaped substring of ``text`` with a fixed mask."""
    return _EMAIL.sub(EMAIL_MASK, text)
