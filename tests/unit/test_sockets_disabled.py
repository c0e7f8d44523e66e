"""The unit tier's network switch (tests/unit/conftest.py): connections fail with SocketsDisabled."""

from __future__ import annotations

import socket
import urllib.request

import pytest

from tests.support.sockets import SocketsDisabled


def test_a_tcp_connection_is_refused_by_name() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(SocketsDisabled):
        sock.connect(("127.0.0.1", 9))
    with pytest.raises(SocketsDisabled, match=r"127\.0\.0\.1"):
        socket.create_connection(("127.0.0.1", 9), timeout=1)


def test_an_http_client_cannot_reach_even_localhost() -> None:
    with pytest.raises(SocketsDisabled):
        urllib.request.urlopen("http://127.0.0.1:9/", timeout=1)


def test_a_boto3_client_outside_mock_aws_cannot_reach_an_endpoint() -> None:
    import boto3

    client = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url="http://127.0.0.1:9",
        aws_access_key_id="x", aws_secret_access_key="x",
    )  # fmt: skip
    with pytest.raises(Exception) as raised:
        client.list_tables()
    # botocore wraps the refusal; its cause chain holds SocketsDisabled
    chain, exc = [], raised.value
    while exc is not None:
        chain.append(type(exc).__name__)
        exc = exc.__cause__ or exc.__context__
    assert "SocketsDisabled" in chain or "SocketsDisabled" in str(raised.value), chain


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_unix_sockets_stay_allowed() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        left.sendall(b"ok")
        assert right.recv(2) == b"ok"
