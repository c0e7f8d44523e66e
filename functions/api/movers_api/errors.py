"""Every API error and its HTTP mapping, in one place.

Route code raises ``ApiError`` subclasses (or lets Powertools raise its validation/not-found errors); this
module turns each into the one error shape ``{"error": <name>, "message": <text>}``. Unexpected exceptions
become a 500 whose body says nothing about the internals; the exception is logged with the request id.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from movers_api.observability import logger

# Why a fixed message per parameter: Pydantic's messages name Python types and internals, and clients
# deserve one stable sentence per parameter that states the rule.
PARAM_MESSAGES: dict[str, str] = {
    "limit": "limit: must be an integer between 1 and 30",
    "days": "days: must be an integer between 1 and 365",
    "date": "date: must be a calendar date in the form YYYY-MM-DD",
    "symbol": "symbol: must be a ticker symbol such as AAPL or BRK.B (1-5 capital letters, optional class)",
    "n": "n: must be an integer between 1 and 50",
    "scope": "scope: must be watchlist or market",
    "side": "side: must be both, gainers or losers",
}


class ApiError(Exception):
    """An error the API reports to the client as-is (status, error name, message)."""

    status_code = 500
    error = "InternalError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    """The request's parameters break a documented rule (400)."""

    status_code = 400
    error = "BadRequest"


class NotFound(ApiError):
    """The route exists but the item does not (404)."""

    status_code = 404
    error = "NotFound"


class MethodNotAllowed(ApiError):
    """The path exists but not with this method (405, with an Allow header)."""

    status_code = 405
    error = "MethodNotAllowed"

    def __init__(self, message: str, allow: list[str]) -> None:
        super().__init__(message)
        self.allow = allow


def error_response(
    status_code: int, error: str, message: str, headers: dict[str, str] | None = None
) -> Response:
    """Build the one error shape; errors are never cached by clients or CDNs."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps({"error": error, "message": message}),
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def validation_message(errors: list[dict[str, Any]]) -> str:
    """One client-facing sentence for the first invalid parameter (loc is e.g. ("query", "limit"))."""
    for err in errors:
        loc = err.get("loc") or ()
        name = str(loc[-1]) if loc else ""
        if name in PARAM_MESSAGES:
            return PARAM_MESSAGES[name]
        if name:
            return f"{name}: invalid value"
    return "invalid request"


def _allowed_methods(app: APIGatewayRestResolver, path: str) -> list[str]:
    """Methods registered for a path (the resolver keeps its compiled routes; pinned Powertools 3.37).

    HEAD is allowed wherever GET is (resolver.resolve answers it); OPTIONS is API Gateway's preflight.
    """
    routes = app._static_routes + app._dynamic_routes
    methods = {route.method for route in routes if route.rule.match(path)}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"}) if methods else []


def _bad_path_parameter(app: APIGatewayRestResolver, resource: str | None) -> str | None:
    """The first path parameter of ``resource`` if it is one of our templated routes, else None."""
    if not resource or "{" not in resource:
        return None
    templates = {
        route.path.replace("<", "{").replace(">", "}") for route in app._dynamic_routes + app._static_routes
    }
    if resource not in templates:
        return None
    return resource.split("{", 1)[1].split("}", 1)[0]


def register(app: APIGatewayRestResolver) -> None:
    """Install the exception handlers that give every failure the same JSON shape."""

    @app.exception_handler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        headers = {"Allow": ", ".join(exc.allow)} if isinstance(exc, MethodNotAllowed) else None
        return error_response(exc.status_code, exc.error, exc.message, headers)

    @app.exception_handler(RequestValidationError)
    def _invalid_request(exc: RequestValidationError) -> Response:
        # Powertools answers 422 with Pydantic details by default; our contract is 400 with one sentence.
        return error_response(400, BadRequest.error, validation_message(list(exc.errors())))

    @app.not_found
    def _not_found(_exc: NotFoundError) -> Response:
        event = app.current_event
        allow = _allowed_methods(app, event.path)
        if allow:
            return _api_error(MethodNotAllowed(f"method {event.http_method} is not allowed here", allow))
        # API Gateway matched one of our resources, but a path parameter holds characters that no route
        # accepts (e.g. an encoded "/" or control characters): that is a bad parameter, not a missing route.
        param = _bad_path_parameter(app, event.resource)
        if param:
            return error_response(400, BadRequest.error, PARAM_MESSAGES.get(param, f"{param}: invalid value"))
        return error_response(404, NotFound.error, "no such route")

    @app.exception_handler(Exception)
    def _internal(exc: Exception) -> Response:
        # The client learns nothing about the cause; the log line carries it with the request id.
        request_id = app.current_event.request_context.request_id
        logger.exception(
            "unhandled error", extra={"request_id": request_id, "error_type": type(exc).__name__}
        )
        return error_response(500, "InternalError", "internal error")
