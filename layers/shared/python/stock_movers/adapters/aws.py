"""Lazy, cached boto3 clients: created on first use so tests can start their fakes first."""

from __future__ import annotations

from functools import cache
from typing import Any


@cache
def client(service: str) -> Any:
    import boto3  # deferred: keeps cold start and the pure-domain imports free of boto3

    return boto3.client(service)
