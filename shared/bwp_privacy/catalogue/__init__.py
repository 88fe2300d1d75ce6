"""The catalogue of error codes: one entry per code with its severity, its runbook text and
its action per task kind (deletion, retrieval), plus the default and lookup-failed entries in
the same shape. It ships in the layer (``codes.json``); one SSM parameter overrides it for
every function that reads it: the alert router (severities, runbooks) and the reaction
(actions). Below the features: it imports nothing of them.
"""

from bwp_privacy.catalogue.actions import (
    MIN_ATTEMPT_DELAY,
    Action,
    AttemptDelay,
    Close,
    CodeActions,
    DefaultActions,
    Escalate,
    Kind,
    LookupFailedActions,
    Resubmit,
)
from bwp_privacy.catalogue.entries import (
    DATA_SUBJECT_NOT_FOUND,
    ORDERS_NOT_CLOSED,
    Catalogue,
    CatalogueError,
    DefaultEntry,
    Entry,
    LookupFailedEntry,
    load_catalogue,
)
from bwp_privacy.catalogue.moved import refuse_moved_keys
from bwp_privacy.catalogue.severity import Severity
from bwp_privacy.catalogue.source import (
    CATALOGUE_FILE,
    CatalogueSource,
    shipped_catalogue,
    shipped_catalogue_path,
)

__all__ = [
    "CATALOGUE_FILE",
    "DATA_SUBJECT_NOT_FOUND",
    "MIN_ATTEMPT_DELAY",
    "ORDERS_NOT_CLOSED",
    "Action",
    "AttemptDelay",
    "Catalogue",
    "CatalogueError",
    "CatalogueSource",
    "Close",
    "CodeActions",
    "DefaultActions",
    "DefaultEntry",
    "Entry",
    "Escalate",
    "Kind",
    "LookupFailedActions",
    "LookupFailedEntry",
    "Resubmit",
    "Severity",
    "load_catalogue",
    "refuse_moved_keys",
    "shipped_catalogue",
    "shipped_catalogue_path",
]
