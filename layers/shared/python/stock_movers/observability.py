"""The one place that creates the Powertools Logger and Metrics singletons (Tracer only when enabled)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics

logger = Logger()
metrics = Metrics()


def correlate(event: Any) -> None:
    """Use the Step Functions execution name as the correlation id of every log line of this invocation."""
    if isinstance(event, dict) and isinstance(event.get("executionName"), str):
        logger.set_correlation_id(event["executionName"])
