"""The soak's accounting as tables a person can read."""

from __future__ import annotations

from bwp_sandbox.soak.accounting import Accounting, QueueReading
from bwp_sandbox.soak.engine import SoakReport


def render(report: SoakReport) -> str:
    """Workload, faults, and the accounting under faults and after the redrive."""
    lines = [
        f"Chaos soak: seed {report.config.seed}, {report.seconds}s",
        "",
        "Workload: " + ", ".join(f"{value} {name}" for name, value in report.workload.items()),
        "Faults:",
    ]
    lines += [f"  {name}: {value}" for name, value in report.faults.items()]
    lines.append(f"Redrive: {report.redrive}")
    lines.append(f"Phases: {report.phases}")
    lines.append(f"Router queue drained: {report.router_queue_drained}")
    lines.append("IAM (every call checked against the function's role in template.yaml):")
    for function, actions in report.iam.get("allowed", {}).items():
        lines.append(f"  {function} allowed: {actions}")
    lines.append(f"  refused: {len(report.iam.get('refused', []))} {report.iam.get('refused', [])}")
    lines.append("")
    lines.append(f"{'':34}{'under faults':>14}{'after redrive':>15}")
    for label, attribute in (
        ("valid events", "valid_events"),
        ("stored exactly once", "stored_once"),
        ("published exactly once", "published_once"),
        ("published more than once", "published_twice_or_more"),
        ("parked in OnFailure (with reason)", "parked_on_failure"),
        ("LOST", "lost"),
        ("malformed events", "malformed"),
        ("malformed rejected with reason", "malformed_rejected_with_reason"),
        ("malformed stored", "malformed_stored"),
        ("malformed, taken by the reaction", "malformed_taken_by_reaction"),
        ("duplicate pages", "duplicate_pages"),
        ("duplicate chat posts", "duplicate_chat_posts"),
    ):
        lines.append(_row(label, report.under_faults, report.after_redrive, attribute))
    for title, accounting in (
        ("under faults", report.under_faults),
        ("after redrive", report.after_redrive),
    ):
        lines += ["", *_receivers(title, accounting)]
        # What the router still held at the reading: a lost alert is one found in none of
        # them, so the reading shows what it looked at.
        lines += [_queue(name, reading) for name, reading in accounting.queues.items()]
        if accounting.examples:
            lines.append(f"examples ({title}): {accounting.examples}")
    return "\n".join(lines)


def _row(label: str, before: Accounting, after: Accounting, attribute: str) -> str:
    return f"{label:34}{getattr(before, attribute):>14}{getattr(after, attribute):>15}"


def _receivers(title: str, accounting: Accounting) -> list[str]:
    lines = [
        f"{'receiver':14}{'expected':>10}{'once':>8}{'twice+':>8}{'parked':>8}"
        f"{'in flight':>11}{'LOST':>6}   ({title})"
    ]
    for name, count in accounting.receivers.items():
        lines.append(
            f"{name:14}{count.expected:>10}{count.once:>8}{count.duplicated:>8}"
            f"{count.parked:>8}{count.in_flight:>11}{count.lost:>6}"
        )
    return lines


def _queue(name: str, reading: QueueReading) -> str:
    """``alert DLQ: 62 message(s), 0 in flight, by times received {5x: 60, 6x: 2}``."""
    received = ", ".join(f"{times}x: {count}" for times, count in reading.receive_counts.items())
    return f"  {name}: {reading.messages} message(s), {reading.in_flight} in flight" + (
        f", by times received {{{received}}}" if received else ""
    )
