"""Metrics adapter: plain counters on the handler's Metrics, dimensioned ones as single metrics."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "BwpPrivacy"
#: Dimension values come from the API (error codes): bound them so a misbehaving API cannot
#: create unbounded metric series.
MAX_DIMENSION_VALUE = 64


Handler = TypeVar("Handler", bound=Callable[..., Any])
#: Only the clients the functions use are traced (patching everything X-Ray knows costs more).
TRACED_MODULES = ("botocore", "requests")


def trace_handler(service: str) -> Callable[[Handler], Handler]:
    """Powertools Tracer around a handler, or nothing at all when tracing is off.

    Importing the X-Ray SDK and creating a Tracer costs a few hundred milliseconds of cold
    start, even when tracing is disabled: with POWERTOOLS_TRACE_DISABLED=true (the template's
    default, see EnableTracing) it is never imported.
    """
    if os.environ.get("POWERTOOLS_TRACE_DISABLED", "").lower() in ("1", "true"):
        return lambda handler: handler
    from aws_lambda_powertools import Tracer

    tracer = Tracer(service=service, patch_modules=TRACED_MODULES)
    # Responses and errors may quote API answers: never recorded as trace metadata.
    decorator: Callable[[Handler], Handler] = tracer.capture_lambda_handler(
        capture_response=False, capture_error=False
    )
    return decorator


class MetricsSink(Protocol):
    """Where domain code counts things; tests may pass any object with this method."""

    def count(self, name: str, value: int = 1, **dimensions: str) -> None: ...


class PowertoolsMetricsSink:
    """Counts events as EMF metrics through Powertools; safe to call from several threads
    (the router delivers receivers side by side)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics
        self._lock = threading.Lock()

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        """Add ``value`` to ``name``; with dimensions it is flushed at once as its own EMF blob."""
        if not dimensions:
            with self._lock:
                self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
            return
        with single_metric(
            name=name,
            unit=MetricUnit.Count,
            value=value,
            namespace=self._metrics.namespace,
            default_dimensions=self._metrics.default_dimensions,
        ) as metric:
            for key, label in dimensions.items():
                metric.add_dimension(name=key, value=label[:MAX_DIMENSION_VALUE] or "none")


class NoMetrics:
    """Counts nothing: for runs that must not publish metrics (dry runs, the CLI)."""

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        """Drop the count."""
