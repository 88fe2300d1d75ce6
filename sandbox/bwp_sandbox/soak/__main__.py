"""`make soak`: python -m bwp_sandbox.soak [--events N] [--seed S] [--json FILE]."""

from __future__ import annotations

import argparse
import json
import sys
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
    args = parser.parse_args(argv)
    config = SoakConfig(events=args.events, seed=args.seed, workers=args.workers)
    with running_sandbox() as sandbox:
        report: SoakReport = run_soak(
            config, sandbox, log=lambda line: print(line, file=sys.stderr)
        )
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(report.as_dict(), indent=2, default=str))
    final = report.after_redrive
    clean = (
        final.lost == 0
        and final.delivery_lost == 0
        and final.duplicate_pages == 0
        and final.duplicate_chat_posts == 0
        and final.published_twice_or_more == 0
    )
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
