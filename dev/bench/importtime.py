"""Import cost from ``python -X importtime``: own time by package, and what a handler imports
beyond its baseline."""

from __future__ import annotations

import re

_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_group(module: str) -> str:
    """Where a module's import time is counted: its top-level package, or for our library
    and Powertools the feature it belongs to (``bwp_privacy.reaction``,
    ``aws_lambda_powertools.utilities.batch``)."""
    parts = module.split(".")
    if parts[0] == "aws_lambda_powertools" and len(parts) > 2 and parts[1] == "utilities":
        return ".".join(parts[:3])
    if parts[0] in ("bwp_privacy", "aws_lambda_powertools") and len(parts) > 1:
        return ".".join(parts[:2])
    return parts[0]


def parse_importtime(stderr: str) -> dict[str, object]:
    """``-X importtime`` output: the total (the largest cumulative time, ms) and own time by
    package (ms), largest first."""
    by_package: dict[str, float] = {}
    total = 0.0
    for line in stderr.splitlines():
        match = _LINE.match(line)
        if match:
            own, cumulative, _, name = match.groups()
            group = import_group(name)
            by_package[group] = by_package.get(group, 0.0) + int(own) / 1000
            total = max(total, int(cumulative) / 1000)
    ranked = dict(sorted(by_package.items(), key=lambda item: -item[1]))
    return {"total_ms": total, "self_by_package_ms": ranked}


def extra_imports(
    real: dict[str, float], baseline: dict[str, float], at_least_ms: float = 1.0
) -> dict[str, float]:
    """Own import time the real handler spends beyond its baseline, by package, largest
    first; ``app`` is the handler module's own time: its module-level init."""
    extra = {name: value - baseline.get(name, 0.0) for name, value in real.items()}
    kept = ((name, value) for name, value in extra.items() if value >= at_least_ms)
    return dict(sorted(kept, key=lambda item: -item[1]))
