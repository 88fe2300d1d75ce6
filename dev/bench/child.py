"""One Lambda-like execution environment in a fresh process: cold start, then invocations.

Run by bench.run as ``python -m bench.child`` with its settings in BENCH_* environment
variables (nothing is parsed before the handler module is imported, so the cold start
measures the handler and not the harness). The result is a JSON file at BENCH_OUT. The
handler's own output (logs, EMF metrics) goes to stdout, which the parent discards, as the
Lambda runtime ships it to CloudWatch Logs without the handler waiting.

Modes (BENCH_MODE):
- ``cold``: import the handler module (its module-level init included) and stop.
- ``invoke``: cold start, the first invocation, then BENCH_WARM warm invocations with wall
  and CPU time each, RSS every BENCH_RSS_EVERY invocations and AWS/HTTP call counts.
- ``profile``: cold start under cProfile, then BENCH_WARM warm invocations under cProfile
  (CPU clock); the top functions and time per package.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import cProfile
    from collections.abc import Callable

_ENTERED = time.time()  # the interpreter is up and the harness is running


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    mode = os.environ["BENCH_MODE"]
    sys.path[:0] = os.environ["BENCH_PATHS"].split(os.pathsep)
    module_name = os.environ.get("BENCH_MODULE", "app")

    profiler = None
    if mode == "profile":
        import cProfile

        profiler = cProfile.Profile(time.perf_counter)
        profiler.enable()
    wall0, cpu0 = _now()
    module = __import__(module_name)
    wall1, cpu1 = _now()
    ready = time.time()
    if profiler is not None:
        profiler.disable()

    import json

    result: dict[str, object] = {
        "mode": mode,
        "entered": _ENTERED,
        "ready": ready,
        "import_wall": wall1 - wall0,
        "import_cpu": cpu1 - cpu0,
        "rss_after_import_kb": _rss_kb(),
        "peak_rss_after_import_kb": _peak_rss_kb(),
    }
    if mode == "invoke":
        result.update(_invocations(module))
    elif mode == "profile":
        assert profiler is not None
        result.update(_profile(module, profiler))
    with open(os.environ["BENCH_OUT"], "w", encoding="utf-8") as out:
        json.dump(result, out)


def _peak_rss_kb() -> int:
    """VmHWM: the peak RSS of this process image.

    getrusage's ru_maxrss is not used: Linux carries the parent's high-water mark over the
    fork and exec, so a child of a large parent reports the parent's peak.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _rss_kb() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE") // 1024


class _Invoker:
    """Calls the handler the way the Lambda runtime does: new context, new trace id."""

    def __init__(self, module: object) -> None:
        import json
        import uuid

        from bwp_privacy_cli.local import LocalLambdaContext

        self._handler = module.handler  # type: ignore[attr-defined]
        self._context = LocalLambdaContext
        self._uuid = uuid.uuid4
        with open(os.environ["BENCH_EVENT"], encoding="utf-8") as source:
            self._base = json.load(source)
        self._trace = os.environ.get("BENCH_TRACE") == "1"
        self._prefix = os.environ.get("BENCH_ID_PREFIX", "bench")
        self.errors: list[str] = []

    def __call__(self) -> tuple[float, float]:
        """One invocation with a fresh event id; returns (wall, cpu) seconds of the call."""
        event = {**self._base, "id": f"{self._prefix}-{self._uuid()}"}
        if self._trace:
            # The runtime sets this for every invocation when Tracing is Active.
            os.environ["_X_AMZN_TRACE_ID"] = (
                f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};"
                f"Parent={os.urandom(8).hex()};Sampled=1"
            )
        context = self._context()
        wall0, cpu0 = _now()
        try:
            answer = self._handler(event, context)
            if not answer.get("published"):
                self.errors.append(f"not published: {answer}")
        except Exception as error:
            self.errors.append(f"{type(error).__name__}: {error}")
        wall1, cpu1 = _now()
        return wall1 - wall0, cpu1 - cpu0


class _Calls:
    """Counts botocore API calls (by service.operation) and HTTP requests made by requests.

    A ``before-call`` hook on a session would miss calls: Powertools' idempotency layer
    builds its DynamoDB client from a session of its own. Wrapping the client class counts
    every client's calls (X-Ray's patch, when active, sits under this wrapper).
    """

    def __init__(self) -> None:
        from collections import Counter

        import botocore.client
        import requests.adapters

        self.aws: Counter[str] = Counter()
        self.http: Counter[str] = Counter()
        make_api_call = botocore.client.BaseClient._make_api_call
        send = requests.adapters.HTTPAdapter.send
        aws, http = self.aws, self.http

        def counted_call(client: object, operation: str, params: object) -> object:
            service = client.meta.service_model.service_name  # type: ignore[attr-defined]
            aws[f"{service}.{operation}"] += 1
            return make_api_call(client, operation, params)

        def counted_send(adapter: object, request: object, **kwargs: object) -> object:
            url = str(request.url)  # type: ignore[attr-defined]
            http[url.split("?")[0].rsplit("/", 1)[-1] or url] += 1
            return send(adapter, request, **kwargs)  # type: ignore[arg-type]

        botocore.client.BaseClient._make_api_call = counted_call
        requests.adapters.HTTPAdapter.send = counted_send  # type: ignore[method-assign,assignment]

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {"aws": dict(self.aws), "http": dict(self.http)}

    def reset(self) -> None:
        self.aws.clear()
        self.http.clear()


def _invocations(module: object) -> dict[str, object]:
    import resource

    calls = _Calls()
    invoke = _Invoker(module)
    first_wall, first_cpu = invoke()
    first_calls = calls.snapshot()
    calls.reset()
    warm = int(os.environ.get("BENCH_WARM", "0"))
    every = int(os.environ.get("BENCH_RSS_EVERY", "100"))
    walls: list[float] = []
    cpus: list[float] = []
    rss = [(0, _rss_kb())]
    for number in range(1, warm + 1):
        wall, cpu = invoke()
        walls.append(wall)
        cpus.append(cpu)
        if number % every == 0:
            rss.append((number, _rss_kb()))
    return {
        "first_wall": first_wall,
        "first_cpu": first_cpu,
        "first_calls": first_calls,
        "warm_wall": walls,
        "warm_cpu": cpus,
        "warm_calls": calls.snapshot(),
        "warm_count": warm,
        "rss_samples": rss,
        "peak_rss_kb": _peak_rss_kb(),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "errors": invoke.errors[:5],
        "error_count": len(invoke.errors),
    }


def _profile(module: object, cold: cProfile.Profile) -> dict[str, object]:
    import cProfile

    invoke = _Invoker(module)
    invoke()  # the first invocation (token, connections) is not part of the warm profile
    for _ in range(20):
        invoke()
    count = int(os.environ.get("BENCH_WARM", "200"))
    profiles: dict[str, cProfile.Profile] = {"cold": cold}
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(count):
        invoke()
    profiler.disable()
    profiles["warm_cpu"] = profiler
    result: dict[str, object] = {"profiled_invocations": count, "errors": invoke.errors[:5]}
    dump = os.environ.get("BENCH_PSTATS_DIR")
    for name, profiler in profiles.items():
        if dump:
            module_name = os.environ.get("BENCH_NAME", "handler")
            profiler.dump_stats(os.path.join(dump, f"{module_name}-{name}.pstats"))
        result[name] = _summarise(profiler, per=1 if name == "cold" else count)
    return result


def _summarise(profiler: cProfile.Profile, per: int) -> dict[str, object]:
    """Top functions by cumulative and own time, and own time per package (ms per call)."""
    import pstats
    from collections import defaultdict

    stats = pstats.Stats(profiler)
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, object]]
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    by_package: dict[str, float] = defaultdict(float)
    rows = []
    for (filename, line, function), (_, calls, own, cumulative, _) in raw.items():
        package = _package(filename, function)
        by_package[package] += own
        rows.append(
            {
                "function": _label(filename, line, function),
                "package": package,
                "calls": calls / per,
                "own_ms": own * 1000 / per,
                "cumulative_ms": cumulative * 1000 / per,
            }
        )
    top_cumulative = sorted(rows, key=lambda row: -float(row["cumulative_ms"]))  # type: ignore[arg-type]
    top_own = sorted(rows, key=lambda row: -float(row["own_ms"]))  # type: ignore[arg-type]
    shares = {
        label: sum(
            entry[3] for (filename, _, function), entry in raw.items() if match(filename, function)
        )
        * 1000
        / per
        for label, match in SHARES.items()
    }
    shares["X-Ray SDK (own time)"] = by_package.get("aws_xray_sdk", 0.0) * 1000 / per
    return {
        "total_ms": total * 1000 / per,
        "shares_ms": shares,
        "by_package_ms": dict(
            sorted(((k, v * 1000 / per) for k, v in by_package.items()), key=lambda kv: -kv[1])
        ),
        "top_cumulative": top_cumulative[:40],
        "top_own": top_own[:30],
    }


#: Where a warm invocation's time goes, by cumulative time of these entry points.
SHARES: dict[str, Callable[[str, str], bool]] = {
    "handler, all of it": lambda f, n: n == "handler" and f.endswith(("/app.py", "/app.pyc")),
    "AWS SDK calls (botocore BaseClient._make_api_call)": lambda f, n: (
        n == "_make_api_call" and f.endswith("botocore/client.py")
    ),
    "HTTP API calls (requests Session.request)": lambda f, n: (
        n == "request" and f.endswith("requests/sessions.py")
    ),
}


def _package(filename: str, function: str) -> str:
    if filename == "~":
        return (
            "socket I/O (C)"
            if any(s in function for s in ("socket", "recv", "send", "connect", "select", "poll"))
            else "builtins (C)"
        )
    for marker in ("site-packages/", "/shared/", "/cli/", "/dev/"):
        if marker in filename:
            return filename.split(marker, 1)[1].split("/", 1)[0].removesuffix(".py")
    if "/functions/" in filename or "/bench/baseline/" in filename:
        return "handler module"
    if "/lib/python" in filename:
        rest = filename.split("/lib/python", 1)[1].split("/", 1)
        return "stdlib " + (rest[1].split("/", 1)[0].removesuffix(".py") if len(rest) > 1 else "?")
    if filename.startswith("<frozen importlib"):
        return "importlib (frozen)"
    if filename.startswith("<frozen "):
        # os.environ and collections.abc live here: reads of the environment, not imports.
        return "stdlib " + filename.removeprefix("<frozen ").removesuffix(">") + " (frozen)"
    return filename


def _label(filename: str, line: int, function: str) -> str:
    if filename == "~":
        return function
    for marker in ("site-packages/", "/work/main/"):
        if marker in filename:
            filename = filename.split(marker, 1)[1]
            break
    return f"{filename}:{line}({function})"


if __name__ == "__main__":
    main()
