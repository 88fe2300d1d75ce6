"""One Lambda-like execution environment in a fresh process: cold start, then invocations.

Run by bench.run with the runtime's interpreter (``python -P child.py``: this directory is not
on sys.path) and its settings in BENCH_* environment variables (nothing is parsed before the
handler module is imported, so the cold start measures the handler and not the harness). The
result is a JSON file at BENCH_OUT. The handler's own output (logs, EMF metrics) goes to
stdout, which the parent discards, as the Lambda runtime ships it to CloudWatch Logs without
the handler waiting. Only the standard library is imported here before the handler.

Modes (BENCH_MODE):
- ``cold``: import the handler module (its module-level init included) and stop.
- ``invoke``: cold start, the first invocation, then BENCH_WARM warm invocations with wall
  and CPU time each, RSS every BENCH_RSS_EVERY invocations and AWS/HTTP call counts, per kind
  of input; then BENCH_DUPLICATES invocations that send events already handled again.

Inputs (BENCH_INPUTS, a JSON file): ``scenario`` says what the function takes, and the
templates each input is made from, each with fresh ids:
- ``recorder``: a FAILED event (``event``), a new event id each time (kind ``new``);
- ``router``: an SQS batch of one published failure (``record``), a new event and task each
  time (kind ``failure``);
- ``reaction``: a published failure (``record``: kind ``failure``, which opens a case), then
  the COMPLETED event of the same task (``completed``: kind ``completed``, which ends it);
- ``watch``: the schedule's event (``event``: kind ``run``).
"""

from __future__ import annotations

import os
import sys
import time

_ENTERED = time.time()  # the interpreter is up and the harness is running


def _now() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def main() -> None:
    mode = os.environ["BENCH_MODE"]
    sys.path[:0] = os.environ["BENCH_PATHS"].split(os.pathsep)
    module_name = os.environ.get("BENCH_MODULE", "app")

    wall0, cpu0 = _now()
    module = __import__(module_name)
    wall1, cpu1 = _now()
    ready = time.time()

    import json

    result: dict[str, object] = {
        "mode": mode,
        "entered": _ENTERED,
        "ready": ready,
        "import_wall": wall1 - wall0,
        "import_cpu": cpu1 - cpu0,
    }
    if mode == "invoke":
        result.update(_invocations(module))
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


class _Context:
    """The attributes and method Powertools and the handlers read from a Lambda context."""

    def __init__(self) -> None:
        import uuid

        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "function")
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = int(os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"))
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.invoked_function_arn = (
            f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        )
        self._deadline = time.monotonic() + float(os.environ.get("BENCH_TIMEOUT", "60"))

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _Inputs:
    """The next input of the scenario (BENCH_INPUTS) and its kind, each with fresh ids."""

    def __init__(self) -> None:
        import json
        import uuid

        with open(os.environ["BENCH_INPUTS"], encoding="utf-8") as source:
            self._inputs = json.load(source)
        self._json = json
        self._uuid = uuid.uuid4
        self._prefix = os.environ.get("BENCH_ID_PREFIX", "bench")
        self.scenario: str = self._inputs["scenario"]
        self._count = 0
        self._task: str | None = None
        self.handled: list[dict[str, object]] = []  # the recorder's events, to send again

    def __call__(self) -> tuple[str, dict[str, object]]:
        self._count += 1
        scenario, inputs = self.scenario, self._inputs
        if scenario == "recorder":
            event = {**inputs["event"], "id": f"{self._prefix}-{self._uuid()}"}
            self.handled.append(event)
            return "new", event
        if scenario == "watch":
            return "run", {**inputs["event"], "id": str(self._uuid())}
        if scenario == "reaction" and self._count % 2 == 0 and self._task is not None:
            event = {
                **inputs["completed"],
                "id": f"{self._prefix}-{self._uuid()}",
                "resources": [inputs["resource"].format(task=self._task)],
            }
            self._task = None
            return "completed", event
        # router, and the reaction's failures: one published failure of a new task
        self._task = f"{self._prefix}-{self._uuid()}"
        body = {
            **self._json.loads(inputs["record"]["body"]),
            "eventId": f"{self._prefix}-{self._uuid()}",
            "taskId": self._task,
        }
        record = {**inputs["record"], "messageId": str(self._uuid())}
        record["body"] = self._json.dumps(body)
        return "failure", {"Records": [record]}


class _Invoker:
    """Calls the handler the way the Lambda runtime does: new context, new trace id."""

    def __init__(self, module: object) -> None:
        self._handler = module.handler  # type: ignore[attr-defined]
        self.inputs = _Inputs()
        self._trace = os.environ.get("BENCH_TRACE") == "1"
        self.errors: list[str] = []

    def __call__(
        self, given: tuple[str, dict[str, object]] | None = None
    ) -> tuple[str, float, float]:
        """One invocation (the next input, or ``given``); returns its kind and the (wall,
        cpu) seconds of the call."""
        kind, event = given or self.inputs()
        if self._trace:
            # The runtime sets this for every invocation when Tracing is Active.
            os.environ["_X_AMZN_TRACE_ID"] = (
                f"Root=1-{int(time.time()):08x}-{os.urandom(12).hex()};"
                f"Parent={os.urandom(8).hex()};Sampled=1"
            )
        context = _Context()
        wall0, cpu0 = _now()
        try:
            answer = self._handler(event, context)
            problem = _problem(kind, answer)
            if problem:
                self.errors.append(f"{kind}: {problem}: {str(answer)[:300]}")
        except Exception as error:
            self.errors.append(f"{kind}: {type(error).__name__}: {str(error)[:300]}")
        wall1, cpu1 = _now()
        return kind, wall1 - wall0, cpu1 - cpu0


def _problem(kind: str, answer: object) -> str | None:
    """Why an answer is not the one the scenario expects (None: it is)."""
    if not isinstance(answer, dict):
        return "not a JSON object"
    if answer.get("batchItemFailures"):
        return "records failed"
    if kind == "new" and not answer.get("published"):
        return "not published"
    if kind == "completed" and answer.get("outcome") != "moved":
        return "the case did not end"
    return None


class _Calls:
    """Counts botocore API calls (by service.operation) and HTTP requests made by requests.

    A ``before-call`` hook on a session would miss calls: Powertools' idempotency layer
    builds its DynamoDB client from a session of its own. Wrapping the client class counts
    every client's calls (X-Ray's patch, when active, sits under this wrapper).
    """

    def __init__(self) -> None:
        from collections import Counter

        import botocore.client

        self.aws: Counter[str] = Counter()
        self.http: Counter[str] = Counter()
        make_api_call = botocore.client.BaseClient._make_api_call
        aws, http = self.aws, self.http

        def counted_call(client: object, operation: str, params: object) -> object:
            service = client.meta.service_model.service_name  # type: ignore[attr-defined]
            aws[f"{service}.{operation}"] += 1
            return make_api_call(client, operation, params)

        botocore.client.BaseClient._make_api_call = counted_call
        if "requests" not in sys.modules:
            return  # a handler that makes no HTTP call of its own (requests is not loaded)
        import requests.adapters

        send = requests.adapters.HTTPAdapter.send

        def counted_send(adapter: object, request: object, **kwargs: object) -> object:
            url = str(request.url)  # type: ignore[attr-defined]
            http[url.split("?")[0].rsplit("/", 1)[-1] or url] += 1
            return send(adapter, request, **kwargs)  # type: ignore[arg-type]

        requests.adapters.HTTPAdapter.send = counted_send  # type: ignore[method-assign,assignment]

    def snapshot(self) -> dict[str, dict[str, int]]:
        return {"aws": dict(self.aws), "http": dict(self.http)}

    def reset(self) -> None:
        self.aws.clear()
        self.http.clear()


def _invocations(module: object) -> dict[str, object]:
    calls = _Calls()
    invoke = _Invoker(module)
    first_kind, first_wall, first_cpu = invoke()
    first_calls = calls.snapshot()
    calls.reset()
    warm = int(os.environ.get("BENCH_WARM", "0"))
    every = int(os.environ.get("BENCH_RSS_EVERY", "100"))
    kinds: dict[str, dict[str, object]] = {}

    def record(kind: str, wall: float, cpu: float) -> None:
        figures = kinds.setdefault(kind, {"wall": [], "cpu": [], "aws": {}, "http": {}})
        figures["wall"].append(wall)  # type: ignore[attr-defined]
        figures["cpu"].append(cpu)  # type: ignore[attr-defined]
        for family in ("aws", "http"):
            counts: dict[str, int] = figures[family]  # type: ignore[assignment]
            for name, count in getattr(calls, family).items():
                counts[name] = counts.get(name, 0) + count
        calls.reset()

    rss = [(0, _rss_kb())]
    for number in range(1, warm + 1):
        record(*invoke())
        if number % every == 0:
            rss.append((number, _rss_kb()))
    # The same events again (a redelivery): what a duplicate costs.
    for event in invoke.inputs.handled[1 : 1 + int(os.environ.get("BENCH_DUPLICATES", "0"))]:
        record(*invoke(("duplicate", event)))
    return {
        "first_kind": first_kind,
        "first_wall": first_wall,
        "first_cpu": first_cpu,
        "first_calls": first_calls,
        "kinds": kinds,
        "warm_count": warm,
        "rss_samples": rss,
        "peak_rss_kb": _peak_rss_kb(),
        "errors": invoke.errors[:5],
        "error_count": len(invoke.errors),
    }


if __name__ == "__main__":
    main()
