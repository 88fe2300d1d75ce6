"""`python -m storm_model`: play a storm and print its report (`--markdown FILE` writes it too).

Parameters are set as a merchant sets them on the stack: `--recorder-concurrency 10` is
RecorderReservedConcurrency=10, `--budget 10` ApiRequestsPerSecond=10. `--before` models the
design before issue 28 (no pacer, attempts at their second).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from storm_model.report import render
from storm_model.settings import SettingsError, load_settings
from storm_model.wiring import model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m storm_model", description=__doc__)
    parser.add_argument("--failures", type=int, help="failures in the storm (100,000)")
    parser.add_argument("--hours", type=float, dest="storm_hours", help="the storm's length (1)")
    parser.add_argument("--seed", type=int, help="the model's seed (28)")
    parser.add_argument("--before", action="store_true", default=None, help="the design before")
    parser.add_argument(
        "--budget", type=float, dest="api_requests_per_second", help="ApiRequestsPerSecond"
    )
    parser.add_argument(
        "--attempt-window", type=int, dest="attempt_window_minutes", help="AttemptWindowMinutes"
    )
    parser.add_argument(
        "--recorder-concurrency",
        type=int,
        dest="recorder_reserved",
        help="RecorderReservedConcurrency (0: unreserved)",
    )
    parser.add_argument(
        "--reaction-concurrency",
        type=int,
        dest="reaction_reserved",
        help="ReactionReservedConcurrency (0: unreserved)",
    )
    parser.add_argument(
        "--router-window", type=int, dest="router_window_s", help="RouterBatchWindowSeconds"
    )
    parser.add_argument(
        "--router-concurrency", type=int, dest="router_max_concurrency", help="RouterMaxConcurrency"
    )
    parser.add_argument(
        "--account-concurrency",
        type=int,
        dest="account_concurrency",
        help="the account's Lambda concurrency quota (1,000)",
    )
    parser.add_argument("--template", type=Path, help="the template to read (template.yaml)")
    parser.add_argument("--markdown", type=Path, help="also write the report here, in Markdown")
    args = vars(parser.parse_args(argv))
    template, markdown = args.pop("template"), args.pop("markdown")
    try:
        settings = load_settings(args, template) if template else load_settings(args)
    except SettingsError as error:
        print(f"storm-model: {error}", file=sys.stderr)
        return 2
    run = model(settings)
    sys.stdout.write(render(run))
    if markdown is not None:
        markdown.write_text(render(run, markdown=True))
        print(f"storm-model: report written to {markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
