"""Performance benchmark: each function against a bare baseline of the same calls (`make bench`).

BENCH_CODE=DIR measures another tree (for instance an older commit unpacked with `git
archive`): its shared/, cli/ and dev/ come first on sys.path here, so that the bench process
(its sandbox, which deploys that tree's template.yaml, and the CLI's replay) and the replay
workers it spawns use that code, and the child processes get its functions and its layer
through bench.functions and bench.runtime. The benchmark itself (this package) stays this one.
"""

import os
import sys

if os.environ.get("BENCH_CODE"):
    _code = os.path.abspath(os.environ["BENCH_CODE"])
    sys.path[:0] = [_code, *(os.path.join(_code, part) for part in ("shared", "cli", "dev"))]
