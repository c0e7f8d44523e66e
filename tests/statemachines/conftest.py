"""The backfill, daily-analysis and reconcile machines, run on mocked responses from ``mock-config.json``.

By default a local AWS (moto + movers.local.compat) is started with ``SFN_MOCK_CONFIG`` pointing at the file,
the variable AWS Step Functions Local reads too. Set ``SFN_LOCAL_ENDPOINT`` (e.g. ``http://localhost:8083``)
to run the same tests against a Step Functions Local container started with the same file instead
(docs/local.md has the docker command). Every Task state is mocked in every test case, so no Lambda
function, table or topic is needed: the machines are created from their templates with placeholder ARNs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config

from movers.local.compat import MOCK_CONFIG_ENV
from movers.local.server import ACCOUNT_ID, REGION, LocalAws
from tests.statemachines.machines import MACHINES, MOCK_CONFIG, ROLE, render


@pytest.fixture(scope="session")
def sfn_endpoint() -> Iterator[str]:
    """Step Functions Local at ``SFN_LOCAL_ENDPOINT``, or a local AWS started with the mock configuration."""
    external = os.environ.get("SFN_LOCAL_ENDPOINT")
    if external:
        yield external
        return
    previous = os.environ.get(MOCK_CONFIG_ENV)
    os.environ[MOCK_CONFIG_ENV] = str(MOCK_CONFIG)  # inherited by the server process only
    try:
        with LocalAws(port=0, time_scale=0.01) as aws:
            _create_role(aws.endpoint)
            yield aws.endpoint
    finally:
        if previous is None:
            os.environ.pop(MOCK_CONFIG_ENV, None)
        else:
            os.environ[MOCK_CONFIG_ENV] = previous


def _create_role(endpoint: str) -> None:
    """The machines' role on the local AWS, which enforces IAM: Step Functions may assume it, and it may
    invoke the placeholder functions (only an execution started without a test case calls one)."""
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    name = ROLE.rsplit("/", 1)[1]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "states.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    invoke = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "lambda:InvokeFunction",
                "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:stock-movers-mock-*",
            }
        ],
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))
    iam.put_role_policy(RoleName=name, PolicyName="invoke", PolicyDocument=json.dumps(invoke))


@pytest.fixture(scope="session")
def sfn(sfn_endpoint: str) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=sfn_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture(scope="session")
def machine_arns(sfn: Any) -> dict[str, str]:
    """Creates (or updates) each machine under its mock-config name; returns name -> ARN."""
    arns: dict[str, str] = {}
    for name, template in MACHINES.items():
        definition = render(template)
        try:
            arns[name] = sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)[
                "stateMachineArn"
            ]
        except sfn.exceptions.StateMachineAlreadyExists:  # a long-lived Step Functions Local container
            arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
            sfn.update_state_machine(stateMachineArn=arn, definition=definition, roleArn=ROLE)
            arns[name] = arn
    return arns


@pytest.fixture(scope="session")
def history(sfn: Any) -> Callable[[str], list[dict[str, Any]]]:
    def read(execution_arn: str) -> list[dict[str, Any]]:
        pages = sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn)
        return [event for page in pages for event in page["events"]]

    return read
