"""LocalAws and the server CLI: start, answer, refuse a taken port quickly and clearly."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from movers.local.server import LocalAws, LocalAwsError

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def taken_port():
    """A port on 127.0.0.1 that something else is listening on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield sock.getsockname()[1]
    sock.close()


def test_given_the_session_local_aws_then_it_serves_the_fixed_account_and_region(aws_client, local_aws):
    assert local_aws.startswith("http://127.0.0.1:")
    identity = aws_client("sts").get_caller_identity()
    assert identity["Account"] == "123456789012"
    # AWS managed policies are loaded (Terraform attaches them to Lambda roles)
    policy = aws_client("iam").get_policy(
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    )
    assert policy["Policy"]["PolicyName"] == "AWSLambdaBasicExecutionRole"


@pytest.mark.timeout(20)
def test_given_a_taken_port_when_the_cli_starts_then_one_clear_error_and_nonzero_exit(taken_port):
    proc = subprocess.run(
        [sys.executable, "-m", "movers.local.server", "--port", str(taken_port)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=15,
    )
    assert proc.returncode != 0
    assert f"port {taken_port} on 127.0.0.1 is already in use" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


@pytest.mark.timeout(20)
def test_given_a_taken_port_when_local_aws_starts_then_local_aws_error(taken_port):
    with pytest.raises(LocalAwsError, match="already in use"):
        LocalAws(port=taken_port).start()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="time_scale"):
        LocalAws(time_scale=0)
    with pytest.raises(ValueError, match="port"):
        LocalAws(port=70000)


@pytest.mark.timeout(60)
def test_given_a_second_local_aws_as_context_manager_then_it_is_isolated_and_stops(tmp_path):
    with LocalAws(state_dir=tmp_path) as aws:
        s3 = boto3.client(
            "s3",
            endpoint_url=aws.endpoint,
            region_name="us-east-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
        )
        s3.create_bucket(Bucket="only-here")
        assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["only-here"]
        pid = int((tmp_path / "server.pid").read_text())
        proc = aws.proc
    # After the block the server process has exited and removed its pid file
    assert proc is not None and proc.poll() is not None
    assert not (tmp_path / "server.pid").exists()
    assert pid == proc.pid
