"""The local API Gateway: request -> REST proxy event translation, routing by docs/openapi.json, replies."""

from __future__ import annotations

import base64
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from movers.local.apigw import (
    HttpReply,
    LocalApiGateway,
    build_event,
    json_reply,
    load_resources,
    match_resource,
    proxy_reply,
)
from stock_movers.adapters.storage import WINNER_PK

RESOURCES = load_resources()


class FakeInvoker:
    """Records events and answers with a canned proxy response."""

    def __init__(self, payload: Any = None) -> None:
        self.events: list[dict[str, Any]] = []
        self.payload = payload or {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": "[]",
        }

    def __call__(self, event: dict[str, Any]) -> HttpReply:
        self.events.append(event)
        if isinstance(self.payload, HttpReply):
            return self.payload
        return proxy_reply(self.payload)


@pytest.fixture
def frontend(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html><title>t</title>")
    (tmp_path / "app.js").write_text("console.log(1)")
    return tmp_path


@pytest.fixture
def gateway(frontend: Path) -> Iterator[tuple[LocalApiGateway, FakeInvoker]]:
    invoker = FakeInvoker()
    gw = LocalApiGateway("fn", "http://unused", frontend, invoker=invoker, data_note="SYNTHETIC")
    gw.start()
    try:
        yield gw, invoker
    finally:
        gw.stop()


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers, err.read()


# --- matching --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "template", "params"),
    [
        ("/movers", "/movers", {}),
        ("/movers/", "/movers", {}),
        ("/movers/2026-01-05", "/movers/{date}", {"date": "2026-01-05"}),
        ("/analysis/latest", "/analysis/latest", {}),  # a literal beats a parameter
        ("/analysis/2026-01-05", "/analysis/{date}", {"date": "2026-01-05"}),
        ("/tickers/BRK.B/history", "/tickers/{symbol}/history", {"symbol": "BRK.B"}),
        ("/tickers/BRK%2FB/history", "/tickers/{symbol}/history", {"symbol": "BRK/B"}),  # decoded value
        ("/health", "/health", {}),
    ],
)
def test_given_a_path_when_matched_then_the_openapi_template_and_parameters(path, template, params):
    found = match_resource(RESOURCES, path)
    assert found is not None
    assert (found[0].template, found[1]) == (template, params)


@pytest.mark.parametrize(
    "path", ["/", "/nope", "/movers/2026-01-05/extra", "/tickers/AAPL", "/tickers//history"]
)
def test_given_an_unknown_path_when_matched_then_none(path):
    assert match_resource(RESOURCES, path) is None


def test_resources_come_from_the_openapi_document():
    spec = json.loads((Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text())
    assert {r.template for r in RESOURCES} == set(spec["paths"])


# --- event translation -----------------------------------------------------------------------------------


def test_given_a_request_when_translated_then_a_rest_proxy_event_v1():
    resource, params = match_resource(RESOURCES, "/movers/2026-01-05")  # type: ignore[misc]
    event = build_event(
        method="GET",
        raw_path="/movers/2026-01-05",
        query_string="limit=3&tag=a&tag=b&empty=",
        headers=[("Host", "127.0.0.1:1"), ("Accept", "application/json"), ("X-Multi", "1"), ("X-Multi", "2")],
        body=b"",
        resource=resource,
        path_parameters=params,
        request_id="rid-1",
        now=1767600000.0,
    )
    assert event["resource"] == "/movers/{date}"
    assert event["path"] == "/movers/2026-01-05"
    assert event["httpMethod"] == "GET"
    assert event["pathParameters"] == {"date": "2026-01-05"}
    assert event["queryStringParameters"] == {"limit": "3", "tag": "b", "empty": ""}
    assert event["multiValueQueryStringParameters"] == {"limit": ["3"], "tag": ["a", "b"], "empty": [""]}
    assert event["headers"]["X-Multi"] == "2"
    assert event["multiValueHeaders"]["X-Multi"] == ["1", "2"]
    assert event["body"] is None and event["isBase64Encoded"] is False
    assert event["stageVariables"] is None
    ctx = event["requestContext"]
    assert ctx["requestId"] == "rid-1"
    assert ctx["stage"] == "v1"
    assert ctx["path"] == "/v1/movers/2026-01-05"
    assert ctx["resourcePath"] == "/movers/{date}"
    assert ctx["httpMethod"] == "GET"
    assert ctx["identity"]["sourceIp"] == "127.0.0.1"
    assert ctx["requestTimeEpoch"] == 1767600000000


def test_given_no_query_or_params_then_nulls_and_binary_body_is_base64():
    resource, params = match_resource(RESOURCES, "/health")  # type: ignore[misc]
    event = build_event(
        method="POST",
        raw_path="/health",
        query_string="",
        headers=[],
        body=b"\xff\x00",
        resource=resource,
        path_parameters=params,
    )
    assert event["queryStringParameters"] is None and event["multiValueQueryStringParameters"] is None
    assert event["pathParameters"] is None and event["headers"] is None
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\x00"


# --- proxy responses -------------------------------------------------------------------------------------


def test_given_multi_value_headers_and_base64_body_when_replied_then_decoded():
    reply = proxy_reply(
        {
            "statusCode": 201,
            "headers": {"X-One": "a", "Set": "x"},
            "multiValueHeaders": {"Set": ["y", "z"]},
            "body": base64.b64encode(b"bin").decode(),
            "isBase64Encoded": True,
        }
    )
    assert reply.status == 201 and reply.body == b"bin"
    assert (
        ("set", "y") in reply.headers and ("set", "z") in reply.headers and ("set", "x") not in reply.headers
    )


@pytest.mark.parametrize("payload", [None, "text", {"body": "x"}, {"statusCode": "200"}])
def test_given_a_malformed_proxy_response_then_502(payload):
    reply = proxy_reply(payload)
    assert reply.status == 502 and json.loads(reply.body) == {"message": "Internal server error"}


# --- over HTTP -------------------------------------------------------------------------------------------


def test_when_api_called_over_http_then_the_function_gets_the_event_and_its_reply_is_returned(gateway):
    gw, invoker = gateway
    status, headers, body = fetch(
        f"{gw.url}/v1/tickers/AAPL/history?days=5", headers={"If-None-Match": '"x"'}
    )
    assert (status, body) == (200, b"[]")
    assert headers["x-amzn-RequestId"]
    [event] = invoker.events
    assert event["resource"] == "/tickers/{symbol}/history"
    assert event["pathParameters"] == {"symbol": "AAPL"}
    assert event["queryStringParameters"] == {"days": "5"}
    assert event["headers"]["If-None-Match"] == '"x"'


@pytest.mark.parametrize("path", ["/nope", "/movers/2026-01-05/extra", "/tickers/AAPL/history%0A"])
def test_given_unknown_api_path_then_404_in_the_error_shape_without_invoking(gateway, path):
    # As api.tf's MISSING_AUTHENTICATION_TOKEN gateway response: a 404 with the one error shape
    gw, invoker = gateway
    status, headers, body = fetch(f"{gw.url}/v1{path}")
    assert status == 404 and json.loads(body) == {"error": "NotFound", "message": "no such route"}
    assert headers["Cache-Control"] == "no-store" and headers["Access-Control-Allow-Origin"] == "*"
    assert invoker.events == []


def test_given_an_encoded_newline_in_a_path_parameter_then_the_function_gets_it_decoded(gateway):
    # /movers/2026-11-19%0A is the /movers/{date} resource with date "2026-11-19\n": the function refuses it
    gw, invoker = gateway
    fetch(f"{gw.url}/v1/movers/2026-11-19%0A")
    [event] = invoker.events
    assert event["resource"] == "/movers/{date}"
    assert event["pathParameters"] == {"date": "2026-11-19\n"} and event["path"] == "/movers/2026-11-19\n"


def test_given_a_repeated_query_parameter_then_both_views_as_api_gateway(gateway):
    gw, invoker = gateway
    fetch(f"{gw.url}/v1/movers?limit=1&limit=2")
    [event] = invoker.events
    assert event["queryStringParameters"] == {"limit": "2"}
    assert event["multiValueQueryStringParameters"] == {"limit": ["1", "2"]}


def raw_request(url: str, method: str) -> tuple[int, dict[str, str], bytes]:
    """One request on its own connection; returns every byte the server sent after the headers."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        response.read()  # HEAD: http.client reads nothing; check the socket for stray body bytes
        conn.sock.settimeout(0.5)
        try:
            stray = conn.sock.recv(65536)
        except TimeoutError:
            stray = b""
        return response.status, headers, stray
    finally:
        conn.close()


def test_given_head_then_the_function_answers_and_no_body_is_sent(gateway):
    # Given the function's HEAD answer: GET's headers, Content-Length of the GET body, no body
    gw, invoker = gateway
    invoker.payload = {
        "statusCode": 200,
        "multiValueHeaders": {
            "ETag": ['"e"'],
            "Content-Length": ["42"],
            "Content-Type": ["application/json"],
        },
        "body": "",
    }
    status, headers, stray = raw_request(f"{gw.url}/v1/movers", "HEAD")
    assert (status, headers["content-length"], headers["etag"], stray) == (200, "42", '"e"', b"")
    assert invoker.events[0]["httpMethod"] == "HEAD"


def test_given_options_then_the_cors_preflight_without_invoking(gateway):
    gw, invoker = gateway
    status, headers, _ = fetch(f"{gw.url}/v1/movers", method="OPTIONS")
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in headers["Access-Control-Allow-Methods"]
    assert invoker.events == []


def test_given_another_method_on_a_resource_then_the_function_decides(gateway):
    gw, invoker = gateway
    invoker.payload = {"statusCode": 405, "headers": {"Allow": "GET, OPTIONS"}, "body": "{}"}
    status, headers, _ = fetch(f"{gw.url}/v1/movers", method="DELETE")
    assert status == 405 and headers["Allow"] == "GET, OPTIONS"
    assert invoker.events[0]["httpMethod"] == "DELETE"


def test_given_a_function_error_then_502(gateway):
    gw, invoker = gateway
    invoker.payload = json_reply(502, {"message": "Internal server error"})
    status, _, body = fetch(f"{gw.url}/v1/movers")
    assert status == 502 and json.loads(body) == {"message": "Internal server error"}


def test_given_a_304_then_no_body(gateway):
    gw, invoker = gateway
    invoker.payload = {"statusCode": 304, "headers": {"ETag": '"e"'}, "body": ""}
    status, headers, body = fetch(f"{gw.url}/v1/movers")
    assert (status, body, headers["ETag"]) == (304, b"", '"e"')


def test_the_frontend_and_a_generated_config_are_served_from_the_same_origin(gateway):
    gw, _ = gateway
    status, headers, body = fetch(f"{gw.url}/")
    assert (
        status == 200
        and body.startswith(b"<!doctype html>")
        and headers["Content-Type"].startswith("text/html")
    )
    status, headers, body = fetch(f"{gw.url}/config.js")
    assert status == 200
    assert body.decode() == f'window.MOVERS_CONFIG = {{"apiUrl": "{gw.url}/v1", "dataNote": "SYNTHETIC"}};\n'
    assert fetch(f"{gw.url}/app.js")[0] == 200
    assert fetch(f"{gw.url}/missing.js")[0] == 404
    assert fetch(f"{gw.url}/..%2F..%2Fetc%2Fpasswd")[0] == 404


def test_a_real_lambda_invoker_maps_function_errors_to_502(monkeypatch):
    from movers.local import apigw

    class FakeClient:
        def invoke(self, **_kwargs: Any) -> dict[str, Any]:
            class Body:
                def read(self) -> bytes:
                    return b'{"errorType": "RuntimeError", "errorMessage": "boom"}'

            return {"FunctionError": "Unhandled", "Payload": Body()}

    invoker = apigw.LambdaInvoker("fn", "http://127.0.0.1:9")
    invoker._client = FakeClient()
    reply = invoker({"httpMethod": "GET"})
    assert reply.status == 502 and b"boom" not in reply.body


# --- the real API function behind the gateway ------------------------------------------------------------


@pytest.fixture
def real_gateway(frontend: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalApiGateway]:
    """The gateway in front of functions/api/app.py, run in-process against a moto table with one winner."""
    import importlib.util
    import sys
    from decimal import Decimal
    from types import SimpleNamespace

    import boto3
    from moto import mock_aws

    api_dir = Path(__file__).resolve().parents[2] / "functions" / "api"
    monkeypatch.syspath_prepend(str(api_dir))
    for name, value in {
        "TABLE_NAME": "movers-apigw-test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    # The API reads its settings at import (movers_api.settings): import it afresh with this table's name.
    for name in [m for m in sys.modules if m == "movers_api" or m.startswith("movers_api.")]:
        monkeypatch.delitem(sys.modules, name)
    spec = importlib.util.spec_from_file_location("movers_api_gw_app", api_dir / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    store = sys.modules["movers_api.store"]
    context = SimpleNamespace(
        function_name="api",
        memory_limit_in_mb=256,
        aws_request_id="r",
        invoked_function_arn="arn:aws:lambda:::f",
    )
    with mock_aws():
        store.set_client(None)
        table = boto3.resource("dynamodb", region_name="us-east-1").create_table(
            TableName="movers-apigw-test",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        table.put_item(
            Item={
                "pk": WINNER_PK,
                "sk": "2026-11-19",
                "Date": "2026-11-19",
                "Ticker": "NVDA",
                "PercentChange": Decimal("-3.25"),
                "ClosingPrice": Decimal("140.5"),
            }
        )
        gw = LocalApiGateway(
            "api",
            "http://unused",
            frontend,
            invoker=lambda event: proxy_reply(module.handler(event, context)),
        )
        gw.start()
        try:
            yield gw
        finally:
            gw.stop()
            store.set_client(None)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/movers", 200),
        ("/movers?limit=1", 200),
        ("/movers/2026-11-19", 200),
        ("/movers/2026-11-18", 404),
        ("/tickers/NVDA/history?days=5", 200),
        ("/analysis/latest", 404),
        ("/analysis/2026-11-19", 404),
        ("/health", 200),
        ("/movers/2026-11-19%0A", 400),
        ("/movers?limit=%2B5", 400),
        ("/movers?limit=%205", 400),
        ("/movers?limit=1&limit=2", 400),
        ("/nope", 404),
    ],
)
def test_given_the_real_function_when_head_then_get_status_and_headers_without_body(
    real_gateway, path, expected
):
    # Given the GET answer on the wire
    get_status, get_headers, get_body = fetch(f"{real_gateway.url}/v1{path}")
    # When HEAD asks the same
    status, headers, stray = raw_request(f"{real_gateway.url}/v1{path}", "HEAD")
    # Then the same status and headers (Content-Length = the GET body's), and no body bytes
    assert (status, get_status) == (expected, expected)
    assert stray == b""
    assert headers["content-length"] == str(len(get_body))
    skip = {"x-amzn-requestid", "date", "server"}  # per request
    assert {k: v for k, v in headers.items() if k not in skip} == {
        k.lower(): v for k, v in get_headers.items() if k.lower() not in skip
    }
    if expected >= 400:
        assert set(json.loads(get_body)) == {"error", "message"}


def test_given_the_real_function_when_the_reported_hostile_requests_then_400_naming_the_parameter(
    real_gateway,
):
    for path, name in [
        ("/movers/2026-11-19%0A", "date"),
        ("/movers?limit=%2B5", "limit"),
        ("/movers?limit=%205", "limit"),
        ("/movers?limit=%EF%BC%95", "limit"),  # fullwidth 5
        ("/tickers/NVDA%0A/history", "symbol"),
        ("/tickers/NVDA/history?days=05", "days"),
    ]:
        status, _, body = fetch(f"{real_gateway.url}/v1{path}")
        assert status == 400, path
        error = json.loads(body)
        assert error["error"] == "BadRequest" and error["message"].startswith(f"{name}: "), path
