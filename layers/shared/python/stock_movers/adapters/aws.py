"""Lazy, cached boto3 clients: created on first use so tests can start their fakes first."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # deferred: keeps cold start and the pure-domain imports free of boto3

    return boto3.client(service)


class LazyClient:
    """A class attribute giving each instance a boto3 client for `service`: the one injected into
    `_<attribute>` (tests pass fakes there), else one created on first use."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.slot = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.slot = f"_{name}"

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            return self
        found = getattr(obj, self.slot, None)
        if found is None:
            found = client(self.service)
            setattr(obj, self.slot, found)
        return found
