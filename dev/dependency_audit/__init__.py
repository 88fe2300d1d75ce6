"""`make audit`: pip-audit over what ships (the Lambda layer, and the CLI and library a merchant
installs), said in one line per set, with why a set could not be audited when it could not."""

from dependency_audit.summary import AuditedSet, summarise

__all__ = ["AuditedSet", "summarise"]
