"""The API's resolver: routes from the small route modules, CORS, validation (source of the OpenAPI spec).

``resolve`` is the entry point: it answers HEAD as GET without the body, on every route.
"""

from __future__ import annotations

import base64
import re
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig
from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver

from movers_api import analysis, errors, health, movers, tickers
from movers_api.settings import settings


class StrictRestResolver(APIGatewayRestResolver):
    """APIGatewayRestResolver whose routes match the whole path.

    Powertools compiles ``^<rule>/*$``, and ``$`` also matches before a final newline: the path
    ``/movers/2026-01-05\\n`` (``%0A``) would be routed with ``date="2026-01-05"``. ``\\Z`` ends at the end.
    """

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = r"^{}/*\Z") -> re.Pattern[str]:
        return ApiGatewayResolver._compile_regex(rule, r"^{}/*\Z")


cors = CORSConfig(
    allow_origin=settings.service.cors_allow_origin,
    allow_headers=["If-None-Match"],
    expose_headers=["ETag"],
    max_age=600,
)

app = StrictRestResolver(enable_validation=True, cors=cors)
for module in (movers, tickers, analysis, health):
    app.include_router(module.router)
errors.register(app)


def _body_length(response: dict[str, Any]) -> int:
    body = response.get("body") or ""
    if response.get("isBase64Encoded"):
        return len(base64.b64decode(body))
    return len(body.encode("utf-8"))


def resolve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One proxy event to one proxy response; HEAD is answered as GET without the body (RFC 9110 9.3.2).

    The GET's status and headers are kept (ETag, Cache-Control, 304, 400, 404, ...), and Content-Length
    says how long the GET body would have been (none on 204/304, as on GET).
    """
    if str(event.get("httpMethod", "")).upper() != "HEAD":
        return app.resolve(event, context)
    as_get = {**event, "httpMethod": "GET"}
    if isinstance(event.get("requestContext"), dict):
        as_get["requestContext"] = {**event["requestContext"], "httpMethod": "GET"}
    response = app.resolve(as_get, context)
    if response.get("statusCode") not in (204, 304):  # those carry no body on GET either
        length = str(_body_length(response))
        # Powertools answers REST events with multiValueHeaders; replace any Content-Length in either map.
        for key in ("headers", "multiValueHeaders"):
            if response.get(key):
                response[key] = {k: v for k, v in response[key].items() if k.lower() != "content-length"}
        if response.get("multiValueHeaders") is not None:
            response["multiValueHeaders"]["Content-Length"] = [length]
        else:
            response["headers"] = {**(response.get("headers") or {}), "Content-Length": length}
    response["body"] = ""
    response["isBase64Encoded"] = False
    return response
