"""Shared fixtures for tests/local: one local AWS per session and helpers to deploy test Lambdas into it."""

from __future__ import annotations

import io
import json
import textwrap
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from movers.local import executor
from movers.local.server import ACCOUNT_ID, REGION, LocalAws

# A fixed timestamp makes the zip (and so its sha256, the executor's cache key) depend on content only.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)
# The local AWS enforces IAM. These tests exercise the emulator, not the project's least privilege (the
# Terraform stack tests do): their test functions and machines run as roles allowed every action.
ALLOW_ALL = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
SFN_TEST_ROLE = "sfn-test"  # tests/local/test_compat.py's machines and EventBridge targets run as it
SFN_TRUST_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["states.amazonaws.com", "events.amazonaws.com"]},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def build_zip(files: dict[str, str]) -> bytes:
    """Builds a deterministic zip from {path: source}; sources are dedented."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, textwrap.dedent(files[name]).lstrip("\n"))
    return buf.getvalue()


@pytest.fixture(scope="session")
def local_aws_server() -> Iterator[LocalAws]:
    """Given a local AWS (time scale 0.01) on a free port for the whole session, yields the LocalAws."""
    executor.ensure_runtime()
    with LocalAws(port=0, time_scale=0.01) as aws:
        yield aws


@pytest.fixture(scope="session")
def local_aws(local_aws_server: LocalAws) -> str:
    """The session local AWS's endpoint URL."""
    return local_aws_server.endpoint


@pytest.fixture(scope="session")
def aws_client(local_aws: str) -> Callable[[str], Any]:
    """Factory of boto3 clients for the local AWS (dummy credentials, no retries)."""
    from botocore.config import Config

    def make(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=local_aws,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 1}, read_timeout=120),
        )

    return make


@pytest.fixture(scope="session")
def lambda_role(aws_client: Callable[[str], Any]) -> str:
    """An IAM role ARN that test functions run as."""
    name = f"test-lambda-{uuid.uuid4().hex[:8]}"
    iam = aws_client("iam")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST_POLICY)["Role"]["Arn"]
    iam.put_role_policy(RoleName=name, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
    return str(arn)


@pytest.fixture(scope="session", autouse=True)
def sfn_test_role(local_aws_server: LocalAws) -> str:
    """The role test machines and EventBridge targets name (Step Functions and EventBridge may assume it)."""
    iam = boto3.client(
        "iam",
        endpoint_url=local_aws_server.endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    arn = iam.create_role(RoleName=SFN_TEST_ROLE, AssumeRolePolicyDocument=SFN_TRUST_POLICY)["Role"]["Arn"]
    iam.put_role_policy(RoleName=SFN_TEST_ROLE, PolicyName="allow-all", PolicyDocument=ALLOW_ALL)
    return str(arn)


@pytest.fixture(scope="session")
def make_function(aws_client: Callable[[str], Any], lambda_role: str) -> Callable[..., str]:
    """Creates a python3.12 function from inline sources; returns its name (unique per call)."""

    def make(
        files: dict[str, str],
        *,
        name: str | None = None,
        handler: str = "app.handler",
        env: dict[str, str] | None = None,
        timeout: int = 10,
        layers: list[str] | None = None,
    ) -> str:
        name = name or f"fn-{uuid.uuid4().hex[:10]}"
        aws_client("lambda").create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=lambda_role,
            Handler=handler,
            Code={"ZipFile": build_zip(files)},
            Timeout=timeout,
            MemorySize=256,
            Environment={"Variables": env or {}},
            Layers=layers or [],
        )
        return name

    return make


@pytest.fixture(scope="session")
def lambda_zip() -> Callable[[dict[str, str]], bytes]:
    """The deterministic zip builder, for tests that publish layers or update code."""
    return build_zip


@pytest.fixture(scope="session")
def invoke(aws_client: Callable[[str], Any]) -> Callable[..., tuple[Any, dict[str, Any]]]:
    """Invokes a function with a JSON event; returns (decoded payload, raw boto3 response)."""

    def call(name: str, event: Any = None, **kwargs: Any) -> tuple[Any, dict[str, Any]]:
        resp = aws_client("lambda").invoke(FunctionName=name, Payload=json.dumps(event or {}), **kwargs)
        body = resp["Payload"].read()
        return (json.loads(body) if body else None), resp

    return call


__all__ = ["ACCOUNT_ID", "REGION", "build_zip"]
