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

DynamoDB write units are also kept per item written (:func:`ddb_writes`), so a run's writes can be told apart
by table, by the kind of item (its partition key up to the first ``#``: ``TICKER``, ``ratelimit``, the
idempotency records' function name...), by operation, and by outcome: ``ok``, ``conditional_failed`` (AWS
bills a write unit for a write whose condition fails, and a retry loop of conditional writes pays for every
lost round) or ``error`` (any other refusal, which AWS does not bill but the totals here still count).
A TransactWriteItems item costs 2 write units (AWS bills transactional writes twice).

Admin API on the same server: ``GET /_movers/requests`` returns ``{"requests": {"service:action": n},
"units": {"service:action": n}, "writes": [{"table", "kind", "operation", "outcome", "items", "units"}]}``;
``DELETE /_movers/requests`` resets them.
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
_DDB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", *_DDB_BATCH}
TRANSACTION_UNITS = 2  # write units per item of a TransactWriteItems (DynamoDB bills transactions twice)
WriteKey = tuple[str, str, str, str]  # table, kind, operation, outcome


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


# The partition-key attribute of the stack's tables (infrastructure/storage.tf: the main table's `pk`, the
# control table's `id`). An item's attributes come in the writer's order, which need not put the key first.
PARTITION_KEYS = ("pk", "id")


def _kind(key: Any) -> str:
    """The kind of an item: its partition key's value up to the first ``#`` (the first attribute when the
    item has none of PARTITION_KEYS)."""
    if not isinstance(key, dict):
        return "?"
    name = next((k for k in PARTITION_KEYS if k in key), next(iter(key), None))
    value = key.get(name) if name is not None else None
    if isinstance(value, dict) and isinstance(value.get("S"), str):
        return str(value["S"]).split("#", 1)[0]
    return "?"


def ddb_writes(action: str, body: bytes) -> list[tuple[str, str, int]]:
    """(table, item kind, write units) of each item a DynamoDB write request writes (a malformed body: one
    unit of table and kind "?", as the request's total counts it)."""
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return [("?", "?", 1)]
    if action == "BatchWriteItem":
        out = [
            (
                str(table),
                _kind((r.get("PutRequest") or {}).get("Item") or (r.get("DeleteRequest") or {}).get("Key")),
                1,
            )
            for table, requests in (doc.get("RequestItems") or {}).items()
            for r in requests
        ]
    elif action == "TransactWriteItems":
        out = []
        for entry in doc.get("TransactItems") or []:
            op: dict[str, Any] = next(iter(entry.values()), {}) if isinstance(entry, dict) and entry else {}
            out.append(
                (str(op.get("TableName", "?")), _kind(op.get("Item") or op.get("Key")), TRANSACTION_UNITS)
            )
    else:
        out = [(str(doc.get("TableName", "?")), _kind(doc.get("Item") or doc.get("Key")), 1)]
    return out or [("?", "?", 1)]


def write_outcome(status: str, body: bytes) -> str:
    """``ok``, ``conditional_failed`` (a ConditionalCheckFailedException, or a transaction cancelled by a
    condition) or ``error`` from a DynamoDB write's response status and body."""
    if status.startswith("2"):
        return "ok"
    if b"ConditionalCheckFailed" in body:
        return "conditional_failed"
    return "error"


class RequestMeter:
    """WSGI middleware: counts every request per ``service:action`` (and its billing units)."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app
        self._lock = threading.Lock()
        self._requests: Counter[str] = Counter()
        self._units: Counter[str] = Counter()
        self._write_items: Counter[WriteKey] = Counter()
        self._write_units: Counter[WriteKey] = Counter()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            writes = [
                {
                    "table": t,
                    "kind": k,
                    "operation": o,
                    "outcome": r,
                    "items": n,
                    "units": self._write_units[key],
                }
                for key, n in sorted(self._write_items.items())
                for t, k, o, r in [key]
            ]
            return {"requests": dict(self._requests), "units": dict(self._units), "writes": writes}

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._units.clear()
            self._write_items.clear()
            self._write_units.clear()

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
        if service == "dynamodb" and action in _DDB_WRITES:
            return self._metered_write(key, action, environ, start_response)
        self._add(key, 1)
        return self.app(environ, start_response)

    def _metered_write(
        self, key: str, action: str, environ: dict[str, Any], start_response: StartResponse
    ) -> list[bytes]:
        """Counts a DynamoDB write once its answer is known (the body is read whole: a write's answer is
        small), so the breakdown is complete when the client has its answer."""
        items = ddb_writes(action, _read_body(environ))
        status: list[str] = []

        def capture(code: str, headers: Any, *exc_info: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *exc_info)

        response = self.app(environ, capture)
        try:
            chunks = list(response)
        finally:
            close = getattr(response, "close", None)
            if close is not None:
                close()
        outcome = write_outcome(status[-1] if status else "", b"".join(chunks))
        self._add(key, sum(units for _, _, units in items))
        with self._lock:
            for table, kind, units in items:
                self._write_items[(table, kind, action, outcome)] += 1
                self._write_units[(table, kind, action, outcome)] += units
        return chunks

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
