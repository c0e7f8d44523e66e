"""An in-memory stand-in for the S3 work objects of a daily run (usecases.pick.WorkObjects)."""

from __future__ import annotations

import json
from typing import Any

from stock_movers.adapters.storage import bar_work_key


class FakeWorkObjects:
    """Objects by key; `reads` counts every get, so a test can say how often the snapshot is read."""

    def __init__(self, objects: dict[str, bytes] | None = None) -> None:
        self.objects: dict[str, bytes] = dict(objects or {})
        self.reads: list[str] = []

    def get(self, key: str) -> bytes:
        self.reads.append(key)
        return self.objects[key]

    def get_if_exists(self, key: str) -> bytes | None:
        self.reads.append(key)
        return self.objects.get(key)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None:
        self.objects[key] = body
        return None

    def put_fetched(self, execution: str, entry: Any, ticker: str) -> None:
        """What a per-ticker fetch leaves for `ticker` (any JSON value, to test malformed ones)."""
        self.objects[bar_work_key(execution, ticker)] = json.dumps(entry).encode()

    def json(self, key: str) -> Any:
        return json.loads(self.objects[key])
