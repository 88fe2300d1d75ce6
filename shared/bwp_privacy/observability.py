"""Metrics adapter: plain counters on the handler's Metrics, dimensioned ones as single metrics."""

from __future__ import annotations

from typing import Protocol

from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit, single_metric

NAMESPACE = "BwpPrivacy"
#: Dimension values come from the API (error codes): bound them so a misbehaving API cannot
#: create unbounded metric series.
MAX_DIMENSION_VALUE = 64


class MetricsSink(Protocol):
    """Where domain code counts things; tests may pass any object with this method."""

    def count(self, name: str, value: int = 1, **dimensions: str) -> None: ...


class PowertoolsMetricsSink:
    """Counts events as EMF metrics through Powertools."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def count(self, name: str, value: int = 1, **dimensions: str) -> None:
        """Add ``value`` to ``name``; with dimensions it is flushed at once as its own EMF blob."""
        if not dimensions:
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
