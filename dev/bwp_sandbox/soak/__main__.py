"""`make soak`: python -m bwp_sandbox.soak [--events N] [--seed S] [--json FILE]."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

from bwp_sandbox.sandbox import running_sandbox
from bwp_sandbox.soak.engine import SoakConfig, SoakReport, run_soak
from bwp_sandbox.soak.report import render


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Chaos soak of the recorder and the router.")
    parser.add_argument("--events", type=int, default=2000, help="deliveries (default 2000)")
    parser.add_argument("--seed", type=int, default=7, help="seed for events and faults")
    parser.add_argument("--workers", type=int, default=2, help="concurrent recorder invocations")
    parser.add_argument("--json", type=Path, help="also write the report as JSON")
    parser.add_argument("--markdown", type=Path, help="also write the report as a Markdown page")
    args = parser.parse_args(argv)
    # Powertools warns on invocations that end with only dimensioned metrics: noise here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    config = SoakConfig(events=args.events, seed=args.seed, workers=args.workers)
    with running_sandbox() as sandbox:
        report: SoakReport = run_soak(
            config, sandbox, log=lambda line: print(line, file=sys.stderr)
        )
    text = render(report)
    print(text)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown(text, args.events, args.seed))
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2, default=str))
    final = report.after_redrive
    clean = (
        final.lost == 0
        and final.delivery_lost == 0
        and final.delivery_in_flight == 0
        and final.duplicate_pages == 0
        and final.duplicate_chat_posts == 0
        and final.published_twice_or_more == 0
        and not report.iam.get("refused")
    )
    return 0 if clean else 1


def markdown(report: str, events: int, seed: int) -> str:
    """The report as docs/soak.md: how it was made and the tables, verbatim."""
    return (
        "# Chaos soak: latest run\n\n"
        f"`make soak EVENTS={events} SEED={seed}` on {platform.node() or 'this machine'}"
        f" ({os.cpu_count()} cores, Python {platform.python_version()}),"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. The faults and the accounting are described"
        " in [Reliability under faults](reliability.md).\n\n```\n" + report + "\n```\n"
    )


if __name__ == "__main__":
    sys.exit(main())
