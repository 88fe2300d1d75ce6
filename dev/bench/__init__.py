"""Performance benchmark: the real handler against a bare baseline (`make bench`).

BENCH_CODE=DIR measures the handler code of another tree (functions/, shared/ and
template.yaml of DIR; for instance an older commit unpacked with `git archive`): its paths
come first on sys.path here, so that the bench process and the replay workers it spawns
import that code, and the child processes get it through bench.harness.
"""

import os
import sys

if os.environ.get("BENCH_CODE"):
    _code = os.path.abspath(os.environ["BENCH_CODE"])
    sys.path[:0] = [_code, os.path.join(_code, "shared")]
