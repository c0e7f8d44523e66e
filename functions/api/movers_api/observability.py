"""Logger (and, only when enabled, Tracer) for the API function, plus the handler decorator stack."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from movers_api.settings import settings

logger = Logger(service=settings.service.service_name)

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def tracing_enabled() -> bool:
    """Tracing is opt-in: the X-Ray SDK is heavy at cold start and not in the deps layer by default."""
    return settings.service.tracing


def instrument(handler: Handler) -> Handler:
    """Wrap a Lambda handler with the Logger context (correlation id = API Gateway request id) and Tracer."""
    wrapped: Handler = logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)(
        handler
    )
    if tracing_enabled():
        # Imported here so that a disabled tracer costs nothing at import time.
        from aws_lambda_powertools import Tracer

        try:
            wrapped = Tracer().capture_lambda_handler(wrapped)
        except ImportError:
            # The X-Ray SDK is not in the deps layer: serve untraced rather than fail every request.
            logger.warning("tracing requested but aws_xray_sdk is not installed; serving without traces")
    return wrapped
