"""api: the read API's handler wired with its settings (CORS origin, table) at import; routes and answers are
tested in tests/unit/test_api.py."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from tests.unit.handlers.conftest import deployed_env


def proxy(path: str, origin: str | None = None) -> dict[str, Any]:
    headers = {"Origin": origin} if origin else {}
    return {
        "resource": path,
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": "r-1",
            "stage": "v1",
            "path": f"/v1{path}",
            "httpMethod": "GET",
            "resourcePath": path,
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def test_the_configured_origin_is_answered(
    load_handler: Callable[..., ModuleType], lambda_context: object
) -> None:
    # Given the API deployed for one origin
    env = {**deployed_env("api"), "CORS_ALLOW_ORIGIN": "https://movers.example.org"}
    app = load_handler("api", env=env)
    # When an unknown path is asked from that origin, Then a named 404 carries the origin's CORS header
    out = app.handler(proxy("/nowhere", origin="https://movers.example.org"), lambda_context)
    assert out["statusCode"] == 404
    assert out["multiValueHeaders"]["Access-Control-Allow-Origin"] == ["https://movers.example.org"]
    assert app.settings.table.name == env["TABLE_NAME"]
