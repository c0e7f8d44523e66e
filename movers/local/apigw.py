"""A local API Gateway (REST, Lambda proxy) for the offline stack, plus the static frontend, same origin.

Each request under the stage path ``/v1`` becomes an API Gateway REST proxy event (payload version 1.0), is
matched against the resource templates of ``docs/openapi.json`` (the same file Terraform builds the real API
from), and is sent to the API function through the local AWS's Lambda ``Invoke``; the proxy response comes
back as the HTTP response. Behaviour mirrors what ``infrastructure/api.tf`` deploys:

- a path that matches no resource -> 404 ``{"error": "NotFound", "message": "no such route"}`` (the
  MISSING_AUTHENTICATION_TOKEN gateway response of api.tf, which replaces API Gateway's default 403);
- ``OPTIONS`` on a resource -> the CORS preflight of the mock integration (200, no Lambda call);
- any other method on a resource -> the function (HEAD as documented, the rest through
  ``x-amazon-apigateway-any-method``); the function answers HEAD as GET without a body, and 405 otherwise;
- a Lambda ``FunctionError`` or an unusable payload -> 502 ``{"message": "Internal server error"}``.

Everything outside ``/v1`` is the frontend: files from ``frontend/`` and a generated ``/config.js``
(``window.MOVERS_CONFIG = {"apiUrl": "<origin>/v1", ...}``).

CLI: ``python -m movers.local.apigw --function NAME --aws-endpoint URL --port 8080``.
"""

from __future__ import annotations

import argparse
import base64
import json
import mimetypes
import re
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = REPO_ROOT / "docs" / "openapi.json"
DEFAULT_FRONTEND = REPO_ROOT / "frontend"
STAGE = "v1"
# api.tf's gateway response for MISSING_AUTHENTICATION_TOKEN (a path that is no resource).
NO_SUCH_ROUTE = {"error": "NotFound", "message": "no such route"}
INTERNAL_ERROR = {"message": "Internal server error"}
# The same preflight answer as the mock integration in infrastructure/api.tf.
PREFLIGHT_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET,OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type,If-None-Match",
    "Access-Control-Max-Age": "600",
}


class GatewayError(Exception):
    """The gateway was given something it cannot serve (bad spec, bad configuration)."""


@dataclass(frozen=True)
class Resource:
    """One API Gateway resource: its template (``/movers/{date}``) and declared methods."""

    template: str
    methods: frozenset[str]
    segments: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(s for s in self.template.split("/") if s))

    @property
    def literal_count(self) -> int:
        """How many segments are fixed text (API Gateway prefers the most specific resource)."""
        return sum(1 for s in self.segments if not s.startswith("{"))

    def match(self, raw_segments: list[str]) -> dict[str, str] | None:
        """Path parameters (URL-decoded) if the raw path segments fit this template, else None."""
        if len(raw_segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for pattern, raw in zip(self.segments, raw_segments, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                if not raw:
                    return None
                params[pattern[1:-1]] = unquote(raw)
            elif pattern != raw:
                return None
        return params


def load_resources(spec_path: Path = DEFAULT_SPEC) -> list[Resource]:
    """Resources of an OpenAPI document, most specific first (literal segments beat parameters)."""
    try:
        spec = json.loads(spec_path.read_text(encoding="utf-8"))
        paths = spec["paths"]
    except (OSError, ValueError, KeyError) as exc:
        raise GatewayError(f"cannot read OpenAPI paths from {spec_path}: {exc}") from exc
    resources = [
        Resource(template, frozenset(m.upper() for m in ops if not m.startswith("x-")))
        for template, ops in paths.items()
    ]
    return sorted(resources, key=lambda r: (-r.literal_count, r.template))


def match_resource(resources: Iterable[Resource], path: str) -> tuple[Resource, dict[str, str]] | None:
    """The resource a stage-relative raw path (``/movers/2026-01-05``) belongs to, with its parameters."""
    raw_segments = [s for s in path.split("/") if s != ""]
    for resource in resources:
        params = resource.match(raw_segments)
        if params is not None:
            return resource, params
    return None


def _single_and_multi(
    pairs: list[tuple[str, str]],
) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    """API Gateway's two views: last value per name, and every value per name; None when empty."""
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for name, value in pairs:
        single[name] = value
        multi.setdefault(name, []).append(value)
    return single, multi


def build_event(
    *,
    method: str,
    raw_path: str,
    query_string: str,
    headers: list[tuple[str, str]],
    body: bytes,
    resource: Resource,
    path_parameters: dict[str, str],
    stage: str = STAGE,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event (payload 1.0) for one request; ``raw_path`` is stage-relative."""
    request_id = request_id or str(uuid.uuid4())
    now = time.time() if now is None else now
    query, multi_query = _single_and_multi(parse_qsl(query_string, keep_blank_values=True))
    header_map, multi_headers = _single_and_multi(headers)
    text_body: str | None = None
    is_base64 = False
    if body:
        try:
            text_body = body.decode("utf-8")
        except UnicodeDecodeError:
            text_body, is_base64 = base64.b64encode(body).decode("ascii"), True
    path = unquote(raw_path)
    lower = {k.lower(): v for k, v in (header_map or {}).items()}
    return {
        "resource": resource.template,
        "path": path,
        "httpMethod": method,
        "headers": header_map,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": query,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource.template,
            "httpMethod": method,
            "extendedRequestId": request_id,
            "requestTime": formatdate(now, usegmt=True),
            "path": f"/{stage}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {"sourceIp": source_ip, "userAgent": lower.get("user-agent")},
            "domainName": lower.get("host", "localhost"),
            "apiId": "local",
        },
        "body": text_body,
        "isBase64Encoded": is_base64,
    }


@dataclass
class HttpReply:
    """What goes back on the wire."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


def json_reply(status: int, payload: Any, extra: dict[str, str] | None = None) -> HttpReply:
    body = json.dumps(payload).encode("utf-8")
    headers = [("Content-Type", "application/json"), *(extra or {}).items()]
    return HttpReply(status, headers, body)


def proxy_reply(payload: Any) -> HttpReply:
    """Turn a Lambda proxy response into an HTTP reply; a malformed one is a 502, as in API Gateway."""
    if not isinstance(payload, dict) or not isinstance(payload.get("statusCode"), int):
        return json_reply(502, INTERNAL_ERROR)
    merged: dict[str, list[str]] = {}
    for name, value in (payload.get("headers") or {}).items():
        merged[name.lower()] = [str(value)]
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        merged[name.lower()] = [str(v) for v in values]  # multi-value wins, as in API Gateway
    headers = [(name, value) for name, values in merged.items() for value in values]
    raw = payload.get("body") or ""
    if payload.get("isBase64Encoded"):
        body = base64.b64decode(raw)
    else:
        body = raw.encode("utf-8") if isinstance(raw, str) else json.dumps(raw).encode("utf-8")
    if "content-type" not in merged and body:
        headers.append(("Content-Type", "application/json"))
    return HttpReply(payload["statusCode"], headers, body)


Invoker = Callable[[dict[str, Any]], HttpReply]


def execution_arn_from_url(
    invoke_url: str, region: str = "us-east-1", account: str = "123456789012"
) -> str | None:
    """The API's execution ARN from its stage URL (``https://<api-id>.execute-api.<region>.amazonaws.com/v1``,
    Terraform's ``api_url``); None when the URL is not of that form."""
    host = urlsplit(invoke_url).hostname or ""
    if ".execute-api." not in host:
        return None
    return f"arn:aws:execute-api:{region}:{account}:{host.split('.', 1)[0]}"


class LambdaInvoker:
    """Sends proxy events to a function through the (local) AWS Lambda Invoke API.

    With ``execution_arn`` (the API's ``arn:aws:execute-api:<region>:<account>:<api-id>``) it invokes as
    API Gateway does: as the service principal ``apigateway.amazonaws.com`` with the method's source ARN
    (``<execution_arn>/<stage>/<METHOD><resource>``), so the function's Lambda permission decides (the
    local AWS issues such credentials, see movers.local.iam). Without it, as the operator.
    """

    def __init__(
        self,
        function_name: str,
        aws_endpoint: str,
        region: str = "us-east-1",
        execution_arn: str | None = None,
    ) -> None:
        from botocore.config import Config

        self.function_name = function_name
        self.aws_endpoint = aws_endpoint
        self.region = region
        self.execution_arn = execution_arn
        self._config = Config(retries={"max_attempts": 1}, read_timeout=120, max_pool_connections=32)
        # One client per source ARN for all threads (boto3 clients are thread-safe);
        # no retries: a failure is a 502.
        self._client = self._make_client({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _make_client(self, credentials: dict[str, str]) -> Any:
        import boto3

        return boto3.client(
            "lambda",
            endpoint_url=self.aws_endpoint,
            region_name=self.region,
            aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
            config=self._config,
        )

    def _client_for(self, event: dict[str, Any]) -> Any:
        if not self.execution_arn:
            return self._client
        stage = event.get("requestContext", {}).get("stage", STAGE)
        source_arn = f"{self.execution_arn}/{stage}/{event['httpMethod']}{event['resource']}"
        with self._lock:
            client = self._clients.get(source_arn)
            if client is None:
                body = json.dumps(
                    {"service_session": {"service": "apigateway.amazonaws.com", "source_arn": source_arn}}
                ).encode()
                # aws_endpoint is the local AWS on 127.0.0.1 (this invoker only runs against it)
                req = urllib.request.Request(f"{self.aws_endpoint}/_movers/iam", data=body, method="POST")  # noqa: S310
                with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                    client = self._clients[source_arn] = self._make_client(
                        json.loads(resp.read())["credentials"]
                    )
            return client

    def __call__(self, event: dict[str, Any]) -> HttpReply:
        from botocore.exceptions import ClientError

        try:
            response = self._invoke(event)
        except ClientError as exc:
            # API Gateway without permission to invoke (or any Lambda API error): AWS answers 500.
            if exc.response.get("Error", {}).get("Code") in (
                "AccessDeniedException",
                "ResourceNotFoundException",
            ):
                return json_reply(500, INTERNAL_ERROR)
            raise
        raw = response["Payload"].read()
        if response.get("FunctionError"):
            return json_reply(502, INTERNAL_ERROR)
        try:
            payload = json.loads(raw or b"null")
        except ValueError:
            return json_reply(502, INTERNAL_ERROR)
        return proxy_reply(payload)

    def _invoke(self, event: dict[str, Any]) -> Any:
        return self._client_for(event).invoke(
            FunctionName=self.function_name, Payload=json.dumps(event).encode()
        )


def config_js(api_url: str, data_note: str | None = None) -> str:
    """The frontend's runtime configuration, the same shape Terraform writes to S3."""
    config: dict[str, str] = {"apiUrl": api_url}
    if data_note:
        config["dataNote"] = data_note
    return f"window.MOVERS_CONFIG = {json.dumps(config)};\n"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.gateway.verbose:
            super().log_message(format, *args)

    def _send(self, reply: HttpReply) -> None:
        self.send_response(reply.status)
        names = set()
        for name, value in reply.headers:
            names.add(name.lower())
            self.send_header(name, value)
        no_body = reply.status in (204, 304) or self.command == "HEAD"
        if "content-length" not in names:
            self.send_header("Content-Length", "0" if reply.status in (204, 304) else str(len(reply.body)))
        self.end_headers()
        if not no_body:
            self.wfile.write(reply.body)

    def _handle(self) -> None:
        gateway = self.server.gateway
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            if parts.path == f"/{gateway.stage}" or parts.path.startswith(f"/{gateway.stage}/"):
                reply = gateway.api_reply(
                    self.command, parts.path[len(gateway.stage) + 1 :] or "/", parts.query, self, body
                )
            else:
                reply = gateway.static_reply(self.command, parts.path)
        except Exception:  # a gateway fault must still answer, like API Gateway's 5xx
            reply = json_reply(502, INTERNAL_ERROR)
        self._send(reply)

    def __getattr__(self, name: str) -> Any:
        # http.server looks up do_<METHOD>; every method (also TRACE, QUERY, ...) goes through _handle,
        # so the function can answer 405 for methods a resource does not have.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    gateway: LocalApiGateway


class LocalApiGateway:
    """The local API Gateway + static site. ``start()`` returns the base URL; the API is at ``<url>/v1``."""

    def __init__(
        self,
        function_name: str,
        aws_endpoint: str,
        frontend_dir: str | Path | None = DEFAULT_FRONTEND,
        port: int = 0,
        *,
        spec_path: str | Path = DEFAULT_SPEC,
        invoker: Invoker | None = None,
        stage: str = STAGE,
        config_api_url: str | None = None,
        data_note: str | None = None,
        verbose: bool = False,
        execution_arn: str | None = None,
    ) -> None:
        self.resources = load_resources(Path(spec_path))
        self.invoker: Invoker = invoker or LambdaInvoker(
            function_name, aws_endpoint, execution_arn=execution_arn
        )
        self.frontend_dir = Path(frontend_dir).resolve() if frontend_dir else None
        self.port = port
        self.stage = stage
        self.config_api_url = config_api_url
        self.data_note = data_note
        self.verbose = verbose
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise GatewayError("the gateway is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> str:
        """Listen on 127.0.0.1 (port 0 = a free port) in a background thread; returns the base URL."""
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.gateway = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-apigw", daemon=True)
        self._thread.start()
        return self.url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def api_reply(
        self, method: str, raw_path: str, query: str, request: BaseHTTPRequestHandler, body: bytes
    ) -> HttpReply:
        """Route one stage-relative request the way the deployed REST API does."""
        found = match_resource(self.resources, raw_path)
        if found is None:
            return json_reply(
                404,
                NO_SUCH_ROUTE,
                {
                    "Access-Control-Allow-Origin": PREFLIGHT_HEADERS["Access-Control-Allow-Origin"],
                    "Cache-Control": "no-store",
                    "x-amzn-ErrorType": "MissingAuthenticationTokenException",
                },
            )
        resource, params = found
        if method == "OPTIONS":
            return HttpReply(200, [*PREFLIGHT_HEADERS.items(), ("Content-Type", "application/json")], b"")
        event = build_event(
            method=method,
            raw_path=raw_path,
            query_string=query,
            headers=list(request.headers.items()),
            body=body,
            resource=resource,
            path_parameters=params,
            stage=self.stage,
            source_ip=request.client_address[0],
        )
        reply = self.invoker(event)
        reply.headers.append(("x-amzn-RequestId", event["requestContext"]["requestId"]))
        return reply

    def static_reply(self, method: str, path: str) -> HttpReply:
        """The frontend files (GET/HEAD only), with the generated config.js."""
        if method not in ("GET", "HEAD"):
            return HttpReply(
                405, [("Allow", "GET, HEAD"), ("Content-Type", "text/plain")], b"method not allowed"
            )
        if path == "/config.js":
            text = config_js(self.config_api_url or f"{self.url}/{self.stage}", self.data_note)
            return HttpReply(
                200, [("Content-Type", "text/javascript"), ("Cache-Control", "no-store")], text.encode()
            )
        if self.frontend_dir is None:
            return HttpReply(404, [("Content-Type", "text/plain")], b"not found")
        relative = unquote(path).lstrip("/") or "index.html"
        target = (self.frontend_dir / relative).resolve()
        # Refuse anything that escapes the frontend folder (../, symlinks).
        if not target.is_relative_to(self.frontend_dir) or not target.is_file():
            return HttpReply(404, [("Content-Type", "text/plain")], b"not found")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type.endswith("javascript"):
            content_type += "; charset=utf-8"
        return HttpReply(
            200, [("Content-Type", content_type), ("Cache-Control", "no-cache")], target.read_bytes()
        )

    def __enter__(self) -> LocalApiGateway:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


_ARG_RE = re.compile(r"^https?://")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local API Gateway (REST proxy) + frontend for stock-movers")
    parser.add_argument("--function", required=True, help="name of the API Lambda function in the local AWS")
    parser.add_argument(
        "--aws-endpoint", required=True, help="local AWS endpoint, e.g. http://127.0.0.1:5000"
    )
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--frontend", default=str(DEFAULT_FRONTEND))
    parser.add_argument("--spec", default=str(DEFAULT_SPEC))
    parser.add_argument(
        "--data-note", default=None, help="footer note shown by the page (config.js dataNote)"
    )
    args = parser.parse_args(argv)
    if not _ARG_RE.match(args.aws_endpoint):
        parser.error("--aws-endpoint must be an http(s) URL")
    gateway = LocalApiGateway(
        args.function,
        args.aws_endpoint,
        args.frontend,
        args.port,
        spec_path=args.spec,
        data_note=args.data_note,
        verbose=True,
    )
    url = gateway.start()
    print(f"frontend: {url}/   api: {url}/{gateway.stage}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        gateway.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
