"""IAM enforced by the local AWS: who each principal is, what its policies allow, the errors AWS sends.

Every test here provokes denials on purpose, so the module marks denials as expected (the suite fails on any
other denial, see tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from movers.local import access_log
from movers.local.server import ACCOUNT_ID, REGION, LocalAws, LocalAwsError
from tests.local.conftest import build_zip

PROBE = {
    "app.py": """
        import boto3

        def handler(event, context):
            # One AWS call named by the event; the answer says who called and what AWS replied.
            client = boto3.client(event["service"])
            out = {"who": boto3.client("sts").get_caller_identity()["Arn"]}
            try:
                getattr(client, event["op"])(**event["args"])
                out["ok"] = True
            except client.exceptions.ClientError as exc:
                out["error"] = exc.response["Error"]["Code"]
                out["message"] = exc.response["Error"].get("Message", "")
            return out
        """
}


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str) -> str:
    return doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


@pytest.fixture(autouse=True)
def denials_expected(local_aws_server: LocalAws) -> Iterator[None]:
    local_aws_server.expect_denials(True)
    yield
    local_aws_server.expect_denials(False)


@pytest.fixture(scope="module")
def table(aws_client: Callable[[str], Any]) -> str:
    name = f"iam-{uuid.uuid4().hex[:8]}"
    aws_client("dynamodb").create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


def table_arn(name: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"


def probe_function(
    aws_client: Callable[[str], Any], policy: str | None, trusted: str = "lambda.amazonaws.com"
) -> str:
    """A probe function running as a new role with this inline policy (None: no policy at all)."""
    name = f"iam-probe-{uuid.uuid4().hex[:8]}"
    iam = aws_client("iam")
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust(trusted))["Role"]["Arn"]
    if policy is not None:
        iam.put_role_policy(RoleName=name, PolicyName="grants", PolicyDocument=policy)
    aws_client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": build_zip(PROBE)},
        Timeout=30,
    )
    return name


def call(
    aws_client: Callable[[str], Any], function: str, service: str, op: str, **args: Any
) -> dict[str, Any]:
    resp = aws_client("lambda").invoke(
        FunctionName=function, Payload=json.dumps({"service": service, "op": op, "args": args})
    )
    body = json.loads(resp["Payload"].read())
    assert not resp.get("FunctionError"), body
    return dict(body)


def test_a_function_runs_as_its_execution_role_and_gets_only_what_it_grants(
    aws_client: Callable[[str], Any], table: str
) -> None:
    # Given a role allowed PutItem on one table only
    fn = probe_function(
        aws_client, doc({"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": table_arn(table)})
    )
    # When the function writes that table, reads it, and writes another table
    put = call(aws_client, fn, "dynamodb", "put_item", TableName=table, Item={"pk": {"S": "a"}})
    get = call(aws_client, fn, "dynamodb", "get_item", TableName=table, Key={"pk": {"S": "a"}})
    other = call(aws_client, fn, "dynamodb", "put_item", TableName=table + "x", Item={"pk": {"S": "a"}})
    # Then it is the assumed role, the grant works, and the rest is AccessDeniedException naming both
    assert put == {"who": f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{fn}/{fn}", "ok": True}
    assert get["error"] == "AccessDeniedException"
    assert f"dynamodb:GetItem on resource: {table_arn(table)}" in get["message"]
    assert f"assumed-role/{fn}/" in get["message"]
    assert other["error"] == "AccessDeniedException" and table_arn(table + "x") in other["message"]


def test_an_explicit_deny_wins_over_an_allow(aws_client: Callable[[str], Any], table: str) -> None:
    fn = probe_function(
        aws_client,
        doc(
            {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "dynamodb:DeleteItem", "Resource": table_arn(table)},
        ),
    )
    assert call(aws_client, fn, "dynamodb", "put_item", TableName=table, Item={"pk": {"S": "d"}})["ok"]
    denied = call(aws_client, fn, "dynamodb", "delete_item", TableName=table, Key={"pk": {"S": "d"}})
    assert denied["error"] == "AccessDeniedException" and "explicit deny" in denied["message"]


def test_a_role_lambda_may_not_assume_cannot_run_a_function(aws_client: Callable[[str], Any]) -> None:
    # Given a function whose role trusts Step Functions, not Lambda
    fn = probe_function(aws_client, None, trusted="states.amazonaws.com")
    resp = aws_client("lambda").invoke(FunctionName=fn, Payload=b"{}")
    body = json.loads(resp["Payload"].read())
    # Then the invoke fails naming the trust policy, and the handler never ran
    assert resp.get("FunctionError") and "trust policy" in body["errorMessage"]


def test_s3_bucket_policy_explicit_deny_and_prefix_grants(aws_client: Callable[[str], Any]) -> None:
    s3 = aws_client("s3")
    bucket = f"iam-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    # Given a role allowed everything under raw/ and a bucket policy denying it raw/secret/*
    fn = probe_function(
        aws_client, doc({"Effect": "Allow", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/raw/*"})
    )
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=doc(
            {
                "Effect": "Deny",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:role/{fn}"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/raw/secret/*",
            }
        ),
    )
    assert call(aws_client, fn, "s3", "put_object", Bucket=bucket, Key="raw/a.json", Body="{}")["ok"]
    for key in ("raw/secret/a.json", "curated/a.json"):
        denied = call(aws_client, fn, "s3", "put_object", Bucket=bucket, Key=key, Body="{}")
        assert denied["error"] == "AccessDenied", denied
        assert f"s3:PutObject on resource: arn:aws:s3:::{bucket}/{key}" in denied["message"]
    # And the operator (the account's administrator, the TLS-only statement aside) is not confined
    s3.put_object(Bucket=bucket, Key="curated/a.json", Body="{}")


def test_a_state_machine_task_denied_fails_with_the_integrations_error_name(
    aws_client: Callable[[str], Any], make_function: Callable[..., str], table: str
) -> None:
    # Given a machine whose role may invoke nothing and read nothing
    iam = aws_client("iam")
    role_name = f"iam-sfn-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust("states.amazonaws.com"))[
        "Role"
    ]["Arn"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="nothing-useful",
        PolicyDocument=doc({"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}),
    )
    fn = make_function({"app.py": "def handler(e, c):\n    return {}\n"})
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}"
    definition = {
        "StartAt": "Invoke",
        "States": {
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": fn_arn, "Payload": {}},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.invoke", "Next": "Read"}],
                "Next": "Read",
            },
            "Read": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": table, "Key": {"pk": {"S": "a"}}},
                "End": True,
            },
        },
    }
    sfn = aws_client("stepfunctions")
    machine = sfn.create_state_machine(name=role_name, definition=json.dumps(definition), roleArn=role)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    deadline = time.monotonic() + 30
    while (desc := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    events = sfn.get_execution_history(executionArn=execution)["events"]
    errors = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    # Then each denied task failed with the integration's AccessDenied error, naming action and resource
    assert [e["error"] for e in errors] == ["Lambda.AccessDeniedException", "DynamoDB.AccessDeniedException"]
    assert f"lambda:InvokeFunction on resource: {fn_arn}" in errors[0]["cause"]
    assert f"assumed-role/{role_name}/states" in errors[1]["cause"]
    assert desc["status"] == "FAILED"


def test_an_eventbridge_delivery_needs_the_targets_resource_policy(
    aws_client: Callable[[str], Any], make_function: Callable[..., str], local_aws_server: LocalAws
) -> None:
    # Given a rule targeting a function, first without a Lambda permission, then with one for this rule only
    events = aws_client("events")
    rule = f"iam-{uuid.uuid4().hex[:8]}"
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [rule]}))["RuleArn"]
    fn = make_function({"app.py": "def handler(e, c):\n    return {}\n"})
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{fn}"
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": fn_arn}])

    def deliveries() -> list[str]:
        return [
            r["decision"]
            for r in access_log.read([local_aws_server.access_log])
            if r.get("principal") == "events.amazonaws.com" and r.get("resource") == fn_arn
        ]

    def put_and_wait(count: int) -> list[str]:
        events.put_events(Entries=[{"Source": rule, "DetailType": "t", "Detail": "{}"}])
        deadline = time.monotonic() + 10
        while len(got := deliveries()) < count:
            assert time.monotonic() < deadline, got
            time.sleep(0.1)
        return got

    assert put_and_wait(1) == ["implicit-deny"]
    aws_client("lambda").add_permission(
        FunctionName=fn,
        StatementId="AllowRule",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    assert put_and_wait(2) == ["implicit-deny", "allow"]


def test_the_access_log_records_principal_action_resource_and_decision(
    aws_client: Callable[[str], Any], local_aws_server: LocalAws, table: str
) -> None:
    fn = probe_function(aws_client, None)
    call(aws_client, fn, "dynamodb", "get_item", TableName=table, Key={"pk": {"S": "a"}})
    records = [
        r for r in access_log.read([local_aws_server.access_log]) if r.get("principal", "").endswith(f"/{fn}")
    ]
    request = next(r for r in records if r.get("action") == "dynamodb:GetItem")
    assert (
        request["kind"] == "role" and request["decision"] == "implicit-deny" and request["expected"] is True
    )
    assert request["resource"] == table_arn(table) and request["enforced"] is True
    assert any(r["kind"] == "policies" for r in records)  # the role's grants, for the report


def test_the_operator_keys_of_the_docs_act_as_administrator(local_aws: str) -> None:
    client = boto3.client(
        "iam",
        endpoint_url=local_aws,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}),
    )
    assert client.list_roles()["Roles"] is not None


def test_with_iam_switched_off_nothing_is_denied_but_everything_is_logged(tmp_path: Any) -> None:
    # Given a second local AWS with the explicit switch off (the only tests that set it)
    with LocalAws(port=0, time_scale=0.01, state_dir=tmp_path, iam_enforce=False) as aws:
        aws.expect_denials(True)  # what enforcement would deny is still logged as a denial

        def client(service: str) -> Any:
            return boto3.client(
                service,
                endpoint_url=aws.endpoint,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        fn = probe_function(client, None)
        client("dynamodb").create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        got = call(client, fn, "dynamodb", "put_item", TableName="t", Item={"pk": {"S": "a"}})
        assert got.get("ok") is True
        log = aws.access_log
    records = [
        r for r in access_log.read([log]) if r.get("action") == "dynamodb:PutItem" and r["kind"] == "role"
    ]
    assert [(r["decision"], r["enforced"]) for r in records] == [("implicit-deny", False)]


def test_a_bad_iam_setting_stops_the_server_with_one_line() -> None:
    # The server refuses anything but enforce/off (LocalAws always passes its own, valid setting)
    proc = subprocess.run(
        [sys.executable, "-m", "movers.local.server", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "MOVERS_IAM": "maybe"},
        cwd=str(Path(__file__).resolve().parents[2]),
    )
    assert proc.returncode == 2 and "MOVERS_IAM must be 'enforce' or 'off'" in proc.stderr
    with pytest.raises(LocalAwsError):
        LocalAws(port=0).expect_denials(True)  # not started: a clear error


def test_a_call_with_a_forged_session_token_is_refused(
    aws_client: Callable[[str], Any], local_aws: str
) -> None:
    # Given real role credentials with the wrong session token
    iam = aws_client("iam")
    name = f"iam-forge-{uuid.uuid4().hex[:8]}"
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))["Role"][
        "Arn"
    ]
    creds = aws_client("sts").assume_role(RoleArn=role, RoleSessionName="forged-session")["Credentials"]
    forged = boto3.client(
        "dynamodb",
        endpoint_url=local_aws,
        region_name=REGION,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token="forged",
        config=Config(retries={"max_attempts": 1}),
    )
    with pytest.raises(ClientError) as err:
        forged.list_tables()
    assert err.value.response["Error"]["Code"] == "UnrecognizedClientException"  # DynamoDB's name for it
