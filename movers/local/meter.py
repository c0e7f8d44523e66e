"""Request meter for the local AWS: counts the API requests that reach it, per service and action.

:class:`RequestMeter` is a WSGI middleware around moto's app (installed by ``movers.local.server``, inside
the fault injector, so an injected error - which AWS would not bill - is not counted). It is what the cost
model (`movers cost`, docs/cost.md) measures with: every request our functions, the state machines'
service integrations, the rules and the schedules make passes through here. Besides the request count it
keeps the billing units AWS charges by, where the request shows them:

- DynamoDB: write request units (one per item written: PutItem, UpdateItem, DeleteItem, each item of a
  BatchWriteItem/TransactWriteItems - items here are under 1 KB) and read request units (one per GetItem;
  for Query/Scan one per started 4 KB of the response, the bytes read);
- query-protocol services (SNS, CloudWatch, IAM): the ``Action`` form field;
- S3 (REST, no action header): the action from the method and path - ``PUT``/``POST``/``LIST`` class and
  ``GET`` class are priced differently.

Admin API on the same server: ``GET /_movers/requests`` returns ``{"requests": {"service:action": n},
"units": {"service:action": n}}``; ``DELETE /_movers/requests`` resets both.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs

from movers.local.faults import _CREDENTIAL, _SIGNING_TO_SERVICE, _read_body, describe

ADMIN_PATH = "/_movers/requests"
StartResponse = Callable[..., Any]
_DDB_BATCH = {"BatchWriteItem", "TransactWriteItems"}
_DDB_SCANS = {"Query", "Scan"}


def s3_action(method: str, path: str, query: str) -> str:
    """The S3 API action of a path-style REST request (``/bucket`` or ``/bucket/key``)."""
    has_key = len(path.lstrip("/").split("/", 1)) == 2 and not path.endswith("/")
    if method == "GET":
        if not has_key:
            return (
                "ListObjects"
                if ("list-type" in query or query == "" or "prefix" in query)
                else "GetBucketConfig"
            )
        return "GetObject"
    if method == "HEAD":
        return "HeadObject" if has_key else "HeadBucket"
    if method == "PUT":
        return "PutObject" if has_key else "PutBucketConfig"
    if method == "DELETE":
        return "DeleteObject" if has_key else "DeleteBucketConfig"
    if method == "POST":
        return "DeleteObjects" if "delete" in query else "PostObject"
    return method


def batch_items(body: bytes) -> int:
    """Items written by a BatchWriteItem / TransactWriteItems request body."""
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        return 1
    if "RequestItems" in doc:
        return sum(len(v) for v in doc["RequestItems"].values()) or 1
    return len(doc.get("TransactItems") or []) or 1


class RequestMeter:
    """WSGI middleware: counts every request per ``service:action`` (and its billing units)."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._units: Counter[str] = Counter()

    def snapshot(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {"requests": dict(self._requests), "units": dict(self._units)}

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._units.clear()

    def _add(self, key: str, units: int) -> None:
        with self._lock:
            self._requests[key] += 1
            self._units[key] += units

    def _key(self, environ: dict[str, Any]) -> str | None:
        request = describe(environ)
        if request is not None:
            return f"{request.service}:{request.action}"
        signed = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not signed:
            return None
        service = _SIGNING_TO_SERVICE.get(signed.group(1), signed.group(1))
        if environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded"):
            # query protocol (SNS, IAM, STS, CloudWatch): the action is a form field of the body
            action = parse_qs(_read_body(environ).decode("utf-8", "replace")).get("Action", ["?"])[0]
            return f"{service}:{action}"
        if service == "s3":
            action = s3_action(
                environ.get("REQUEST_METHOD", "GET"),
                environ.get("PATH_INFO", "/"),
                environ.get("QUERY_STRING", ""),
            )
            return f"s3:{action}"
        return f"{service}:{environ.get('REQUEST_METHOD', 'GET')}"

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == ADMIN_PATH:
            return self._admin(environ, start_response)
        key = self._key(environ)
        if key is None:
            return self.app(environ, start_response)
        service, action = key.split(":", 1)
        if service == "dynamodb" and action in _DDB_SCANS:
            return self._metered_read(key, environ, start_response)
        units = 1
        if service == "dynamodb" and action in _DDB_BATCH:
            units = batch_items(_read_body(environ))
        self._add(key, units)
        return self.app(environ, start_response)

    def _metered_read(
        self, key: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterator[bytes]:
        size = 0
        for chunk in self.app(environ, start_response):
            size += len(chunk)
            yield chunk
        self._add(key, max(1, math.ceil(size / 4096)))

    def _admin(self, environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "DELETE":
            self.reset()
        status = "200 OK" if method in ("GET", "DELETE") else "405 Method Not Allowed"
        payload = json.dumps(self.snapshot()).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        yield payload
