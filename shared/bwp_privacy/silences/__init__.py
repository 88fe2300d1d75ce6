"""Silences, as Alertmanager's: matchers on the router's alert labels for a while, made and
ended by operators through the reaction (`silence add`, `silence expire`, Slack's "silence"
button), read by the alert router, which does not send an alert a silence matches (but never
for a case past due or due soon: the law does not pause).

`silence` is pure (the model, matching, the law's rule); `store` is SilencesTable.
"""

from bwp_privacy.silences.silence import (
    LABELS,
    MAX_MATCHERS,
    MAX_SECONDS,
    MIN_SECONDS,
    SILENCE_ID,
    Label,
    Matchers,
    Silence,
    SilenceReason,
    case_labels,
    case_may_be_silenced,
    describe_matchers,
    law_allows_silence,
    matchers_may_concern,
    new_silence_id,
)
from bwp_privacy.silences.store import KEEP_DAYS, PARTITION, SilenceConflict, SilenceStore

__all__ = [
    "KEEP_DAYS",
    "LABELS",
    "MAX_MATCHERS",
    "MAX_SECONDS",
    "MIN_SECONDS",
    "PARTITION",
    "SILENCE_ID",
    "Label",
    "Matchers",
    "Silence",
    "SilenceConflict",
    "SilenceReason",
    "SilenceStore",
    "case_labels",
    "case_may_be_silenced",
    "describe_matchers",
    "law_allows_silence",
    "matchers_may_concern",
    "new_silence_id",
]
