"""Unit tests run with the network off: a connection attempt fails at once with SocketsDisabled, so a test
that would quietly reach a server (a real AWS endpoint, the market server, a moto server) fails instead.
AWS in unit tests is moto's in-process `mock_aws` or a fake; Unix sockets (local IPC) stay allowed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.sockets import SocketsDisabled

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _allowed(sock: socket.socket) -> bool:
    return hasattr(socket, "AF_UNIX") and sock.family == socket.AF_UNIX


def _refuse(address: Any) -> SocketsDisabled:
    return SocketsDisabled(f"unit tests run without network: a connection to {address!r} was attempted")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    if not _allowed(self):
        raise _refuse(address)
    _connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    if not _allowed(self):
        raise _refuse(address)
    return _connect_ex(self, address)


def _guarded_create_connection(address: Any, *_args: Any, **_kwargs: Any) -> socket.socket:
    raise _refuse(address)


@pytest.fixture(autouse=True)
def sockets_disabled(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every unit test: no TCP/UDP connection (connect, connect_ex, create_connection)."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "create_connection", _guarded_create_connection)
    yield
