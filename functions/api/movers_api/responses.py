"""JSON bodies with exact numbers, strong ETags, Cache-Control and conditional GET (304)."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types

CACHE_MOVERS = "public, max-age=60"
CACHE_HISTORY = "public, max-age=300"
CACHE_NONE = "no-store"


def plain(value: Any) -> Any:
    """DynamoDB values -> JSON values: Decimal becomes int when whole, else float.

    float(Decimal) keeps the stored 6 decimal places: json writes the shortest repr that round-trips, and
    every 6-dp value well inside double precision round-trips exactly (e.g. 1.234567 -> "1.234567").
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    return value


def etag_of(body: str) -> str:
    """A strong validator: the SHA-256 of the exact body bytes (quoted, per RFC 9110)."""
    return '"' + hashlib.sha256(body.encode("utf-8")).hexdigest()[:32] + '"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    if not if_none_match:
        return False
    candidates = [c.strip() for c in if_none_match.split(",")]
    # Weak comparison is what If-None-Match uses (RFC 9110 13.1.2): W/"x" matches "x".
    return "*" in candidates or any(c.removeprefix("W/") == etag for c in candidates)


def json_response(payload: Any, *, cache_control: str, if_none_match: str | None = None) -> Response:
    """200 with the JSON body, ETag and Cache-Control; 304 and no body when the client's copy is fresh."""
    body = json.dumps(plain(payload), separators=(",", ":"), ensure_ascii=False)
    etag = etag_of(body)
    headers = {"ETag": etag, "Cache-Control": cache_control}
    if _matches(if_none_match, etag):
        return Response(status_code=304, content_type=None, body="", headers=headers)
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)
