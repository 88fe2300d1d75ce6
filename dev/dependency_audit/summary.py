"""What pip-audit's JSON answer says about one set of pinned packages, in one line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AuditedSet:
    """One set's reading: its line, and whether it holds a known vulnerability."""

    line: str
    vulnerable: bool
    audited: int
    total: int


def summarise(label: str, answer: dict[str, Any]) -> AuditedSet:
    """``answer`` is pip-audit's ``-f json`` document for the set named ``label``."""
    dependencies = answer.get("dependencies", [])
    total = len(dependencies)
    skipped = [d for d in dependencies if "skip_reason" in d]
    found = [
        f"{d['name']} {d.get('version', '?')}: {v.get('id', '?')}"
        + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
        for d in dependencies
        if "skip_reason" not in d
        for v in d.get("vulns", [])
    ]
    audited = total - len(skipped)
    if found:
        line = f"{label}: {len(found)} known vulnerabilities: " + "; ".join(found)
    elif audited == 0 and total:
        # pip-audit asks PyPI's JSON API for each version; a network that reaches only a
        # package mirror gets no answer, and pip-audit counts the package as not found.
        line = (
            f"{label}: none of {total} packages could be audited: the vulnerability service"
            " (PyPI's JSON API) gave no data for them, so nothing is known either way; run"
            " `make audit` where pypi.org is reachable"
        )
    else:
        unaudited = f"; {len(skipped)} had no vulnerability data" if skipped else ""
        line = f"{label}: {audited} of {total} packages audited, no known vulnerabilities" + (
            unaudited
        )
    return AuditedSet(line, bool(found), audited, total)
