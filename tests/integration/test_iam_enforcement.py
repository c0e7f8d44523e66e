"""Proof that the local AWS enforces the Terraform's IAM: remove one statement, the path it serves fails
with AccessDenied; restore it, the path passes again.

One Lambda role (fetch_bars' write to the control table: rate limiter and idempotency), one state machine
role (the ingest machine's lambda:InvokeFunction on pick_winner), the API function's read of the table, and
one resource-based policy (the API function's Lambda permission for API Gateway). Each test marks the
denials it provokes as expected (the suite fails on any other denial) and restores what it removed even
when it fails.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from movers.local import access_log
from movers.local.apigw import LocalApiGateway, execution_arn_from_url
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
TICKERS = ["AAPL", "MSFT"]
ACCOUNT = "123456789012"


@contextmanager
def denials_expected(stack: StackHandle) -> Iterator[None]:
    assert stack.stack.aws is not None
    stack.stack.aws.expect_denials(True)
    try:
        yield
    finally:
        stack.stack.aws.expect_denials(False)


@contextmanager
def without_statement(
    stack: StackHandle, role: str, sid: str, edit: Callable[[dict[str, Any]], Any] | None = None
):
    """The role's inline policy with statement `sid` removed (or changed by `edit`), restored afterwards."""
    iam = stack.stack.client("iam")
    (name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    original = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
    changed = json.loads(json.dumps(original))
    statements = changed["Statement"]
    (target,) = [s for s in statements if s.get("Sid") == sid]
    if edit is None:
        statements.remove(target)
    else:
        edit(target)
    iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(changed))
    try:
        yield
    finally:
        iam.put_role_policy(RoleName=role, PolicyName=name, PolicyDocument=json.dumps(original))


def role_of(stack: StackHandle, function: str) -> str:
    config = stack.stack.client("lambda").get_function_configuration(FunctionName=function)
    return str(config["Role"].rsplit("/", 1)[1])


def denied(stack: StackHandle, principal_suffix: str, action: str) -> list[dict[str, Any]]:
    assert stack.stack.aws is not None
    return [
        r
        for r in access_log.read([stack.stack.aws.access_log])
        if r.get("decision") not in (None, "allow")
        and r.get("principal", "").endswith(principal_suffix)
        and r.get("action") == action
    ]


def failures(stack: StackHandle, execution_arn: str) -> list[str]:
    """Error and cause of every failed task / Lambda function / execution event of an execution."""
    out = []
    for event in stack.history(execution_arn):
        for key, details in event.items():
            if key.endswith("FailedEventDetails") and isinstance(details, dict):
                out.append(f"{details.get('error')}: {details.get('cause')}")
    return out


def test_fetch_without_its_control_table_grant_fails_with_access_denied_and_passes_restored(
    stack: StackHandle,
) -> None:
    day = "2025-09-17"
    role = role_of(stack, stack.outputs["function_names"]["fetch_bars"])
    control = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/{stack.outputs['control_table_name']}"
    # Given fetch_bars' role without RateLimiterAndIdempotency (its writes to the control table)
    with denials_expected(stack), without_statement(stack, role, "RateLimiterAndIdempotency"):
        desc = stack.run(
            "ingest", f"iam-fetch-denied-{day}", {"date": day, "tickers": TICKERS, "force": True}
        )
        # Then the run fails, the fetch saw AccessDenied on the control table, and nothing is stored
        assert desc["status"] == "FAILED"
        assert any(
            "AccessDeniedException" in f and control in f for f in failures(stack, desc["executionArn"])
        )
        assert denied(stack, f"/{role}", "dynamodb:GetItem") or denied(stack, f"/{role}", "dynamodb:PutItem")
        assert stack.winner(day) is None
    # When the statement is back, the same day is stored
    desc = stack.run("ingest", f"iam-fetch-restored-{day}", {"date": day, "tickers": TICKERS, "force": True})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    assert stack.winner(day) is not None


def test_ingest_machine_without_invoke_on_pick_winner_fails_with_lambda_access_denied(
    stack: StackHandle,
) -> None:
    day = "2025-10-15"
    machine_role = stack.outputs["ingest_state_machine_arn"].rsplit(":", 1)[1] + "-sfn"

    def drop_pick_winner(statement: dict[str, Any]) -> None:
        statement["Resource"] = [r for r in statement["Resource"] if "-pick-winner" not in r]

    # Given the ingest machine's role without lambda:InvokeFunction on pick_winner
    with (
        denials_expected(stack),
        without_statement(stack, machine_role, "InvokePipelineFunctions", drop_pick_winner),
    ):
        desc = stack.run("ingest", f"iam-sfn-denied-{day}", {"date": day, "tickers": TICKERS, "force": True})
        # Then the Pick Winner task fails with the Lambda integration's AccessDenied error, as on AWS
        assert desc["status"] == "FAILED"
        found = failures(stack, desc["executionArn"])
        assert any(f.startswith("Lambda.AccessDeniedException") and "pick-winner" in f for f in found), found
        assert denied(stack, f"/{machine_role}", "lambda:InvokeFunction")
        assert stack.winner(day) is None
    desc = stack.run("ingest", f"iam-sfn-restored-{day}", {"date": day, "tickers": TICKERS, "force": True})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")


@pytest.fixture
def gateway(stack: StackHandle) -> Iterator[str]:
    """The local API gateway on the Terraform stack's API function, invoking as API Gateway does."""
    execution_arn = execution_arn_from_url(stack.outputs["api_url"])
    assert execution_arn, stack.outputs["api_url"]
    gw = LocalApiGateway(  # the `live` alias, as the REST integration invokes it (api.tf)
        stack.outputs["api_function_alias_arn"],
        stack.endpoint,
        frontend_dir=None,
        execution_arn=execution_arn,
    )
    url = gw.start()
    try:
        yield f"{url}/v1"
    finally:
        gw.stop()


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_api_without_its_table_read_answers_500_and_200_restored(stack: StackHandle, gateway: str) -> None:
    role = role_of(stack, stack.outputs["api_function_name"])
    assert get_status(f"{gateway}/movers") == 200  # Query
    assert get_status(f"{gateway}/movers/2025-09-17") in (200, 404)  # GetItem (stored or not)
    with denials_expected(stack), without_statement(stack, role, "ReadTable"):
        assert get_status(f"{gateway}/movers") == 500
        assert denied(stack, f"/{role}", "dynamodb:Query")
    assert get_status(f"{gateway}/movers") == 200


def test_api_without_its_lambda_permission_is_refused_and_works_restored(
    stack: StackHandle, gateway: str
) -> None:
    # Given the API function's resource policy without AllowApiGatewayInvoke (aws_lambda_permission.api)
    # (the permission is the `live` alias's, which the integration invokes)
    lam = stack.stack.client("lambda")
    fn = stack.outputs["api_function_name"]
    policy = json.loads(lam.get_policy(FunctionName=fn, Qualifier="live")["Policy"])
    (statement,) = [s for s in policy["Statement"] if s["Sid"] == "AllowApiGatewayInvoke"]
    source_arn = statement["Condition"]["ArnLike"]["AWS:SourceArn"]
    lam.remove_permission(FunctionName=fn, StatementId="AllowApiGatewayInvoke", Qualifier="live")
    try:
        with denials_expected(stack):
            # Then API Gateway may not invoke it: the gateway answers 500, the log shows the denial
            assert get_status(f"{gateway}/movers") == 500
            assert denied(stack, "apigateway.amazonaws.com", "lambda:InvokeFunction")
    finally:
        lam.add_permission(
            FunctionName=fn,
            Qualifier="live",
            StatementId="AllowApiGatewayInvoke",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=source_arn,
        )
    assert get_status(f"{gateway}/movers") == 200
