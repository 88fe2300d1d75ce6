"""`python -m cost`: print the "What it costs" block; `--write-readme` puts it in docs/cost.md.

`make cost` runs `python -m cost --write-readme`. `--template` counts another template (a test
passes a modified copy, with its `templates/` beside it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bwp_sandbox.iam.sam import TransformError
from cost.counts import CountError
from cost.data import DataError
from cost.model import PROJECT_ROOT, ModelError
from cost.report import ReadmeError, cost_block, write_readme

#: The page `make cost` rewrites (`--write-readme` and `--readme` keep their names from when
#: the block was README's).
COST_PAGE = PROJECT_ROOT / "docs" / "cost.md"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cost",
        description="The stack's monthly cost, idle and per 1,000 failures, from the template.",
    )
    parser.add_argument(
        "--template",
        type=Path,
        default=PROJECT_ROOT / "template.yaml",
        help="the SAM template to count (its nested templates/ beside it)",
    )
    parser.add_argument(
        "--write-readme",
        action="store_true",
        help="rewrite docs/cost.md between its cost markers instead of printing",
    )
    parser.add_argument("--readme", type=Path, default=COST_PAGE, help="the page to rewrite")
    args = parser.parse_args(argv)
    try:
        block = cost_block(args.template)
        if not args.write_readme:
            sys.stdout.write(block)
            return 0
        changed = write_readme(args.readme, block)
    except (TransformError, CountError, DataError, ModelError, ReadmeError) as error:
        print(f"cost: {error}", file=sys.stderr)
        return 1
    print(f"{args.readme.name}: cost section {'rewritten' if changed else 'already current'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
