"""The local AWS fault switch: arming, consumption, matching, clearing, and AWS-shaped errors that boto3 and
the Step Functions interpreter read as the real service errors."""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from werkzeug.test import Client
from werkzeug.wrappers import Response

from movers.local import faults
from movers.local.faults import ADMIN_PATH, FaultError, FaultInjector
from movers.local.server import REGION, LocalAws

# --------------------------------------------------------------------------------------------------
# In process: the middleware around a stand-in app


def _backend(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    return Response(json.dumps({"backend": True, "body": body.decode()}), 200)(environ, start_response)


def _sig(service: str) -> str:
    return f"AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, Signature=x"


def _json_call(client: Client, service: str, target: str, body: str = "{}") -> Any:
    return client.post("/", data=body, headers={"Authorization": _sig(service), "X-Amz-Target": target})


def _invoke(client: Client, function: str, body: str = "{}") -> Any:
    return client.post(
        f"/2015-03-31/functions/{function}/invocations", data=body, headers={"Authorization": _sig("lambda")}
    )


def _json(resp: Any) -> Any:
    return json.loads(resp.get_data())


@pytest.fixture
def mw() -> tuple[FaultInjector, Client]:
    injector = FaultInjector(_backend)
    return injector, Client(injector)


def test_given_nothing_armed_when_called_then_every_request_reaches_the_backend(mw: Any) -> None:
    _, client = mw
    resp = _json_call(client, "dynamodb", "DynamoDB_20120810.GetItem", '{"k": 1}')
    assert resp.status_code == 200 and _json(resp) == {"backend": True, "body": '{"k": 1}'}


def test_given_two_errors_armed_when_called_three_times_then_two_fail_in_order_and_the_third_passes(
    mw: Any,
) -> None:
    injector, client = mw
    injector.arm(
        {"service": "dynamodb", "action": "GetItem", "errors": ["InternalServerError", "ThrottlingException"]}
    )
    first, second, third = (_json_call(client, "dynamodb", "DynamoDB_20120810.GetItem") for _ in range(3))
    assert (first.status_code, _json(first)["__type"]) == (
        500,
        "com.amazonaws.dynamodb.v20120810#InternalServerError",
    )
    assert (second.status_code, _json(second)["__type"]) == (
        400,
        "com.amazonaws.dynamodb.v20120810#ThrottlingException",
    )
    assert first.headers["Content-Type"] == "application/x-amz-json-1.0" and first.headers["x-amzn-RequestId"]
    assert _json(third)["backend"] is True
    state = injector.state()
    assert (
        state["injected"] == 2 and state["rules"][0]["remaining"] == [] and state["rules"][0]["injected"] == 2
    )
    assert [e["code"] for e in state["log"]] == ["InternalServerError", "ThrottlingException"]


def test_given_a_rule_when_other_services_actions_or_functions_call_then_they_pass_through(mw: Any) -> None:
    injector, client = mw
    injector.arm({"service": "dynamodb", "action": "GetItem", "errors": ["InternalServerError"]})
    injector.arm(
        {"service": "lambda", "action": "Invoke", "function": "fetch", "errors": ["ServiceException"]}
    )
    assert _json_call(client, "dynamodb", "DynamoDB_20120810.PutItem").status_code == 200
    assert _json_call(client, "events", "AWSEvents.PutEvents").status_code == 200
    assert _invoke(client, "store").status_code == 200
    assert injector.state()["injected"] == 0
    # a full ARN (URL-encoded as boto3 sends it) names the function too
    arn = "arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Afetch"
    resp = _invoke(client, arn)
    assert resp.status_code == 500 and resp.headers["x-amzn-ErrorType"] == "ServiceException"
    assert _json(resp)["Type"] == "Service"
    assert _json_call(client, "dynamodb", "DynamoDB_20120810.GetItem").status_code == 500


def test_given_body_contains_when_bodies_differ_then_only_the_matching_body_fails_and_bodies_survive(
    mw: Any,
) -> None:
    injector, client = mw
    injector.arm(
        {
            "service": "events",
            "action": "PutEvents",
            "body_contains": "2024-03-13",
            "errors": ["InternalException"],
        }
    )
    other = _json_call(client, "events", "AWSEvents.PutEvents", '{"date": "2024-03-14"}')
    assert other.status_code == 200 and _json(other)["body"] == '{"date": "2024-03-14"}'  # body re-readable
    hit = _json_call(client, "events", "AWSEvents.PutEvents", '{"date": "2024-03-13"}')
    assert (hit.status_code, _json(hit)["__type"]) == (500, "InternalException")
    assert hit.headers["Content-Type"] == "application/x-amz-json-1.1"


def test_given_rules_when_cleared_then_requests_pass_and_the_log_is_empty(mw: Any) -> None:
    injector, client = mw
    injector.arm({"service": "lambda", "action": "Invoke", "errors": ["TooManyRequestsException"] * 3})
    assert _invoke(client, "any").status_code == 429
    assert injector.clear() == 1
    assert _invoke(client, "any").status_code == 200
    assert injector.state() == {"rules": [], "injected": 0, "log": []}


def test_admin_endpoint_arms_lists_clears_and_refuses_bad_rules(mw: Any) -> None:
    _, client = mw
    armed = client.post(
        ADMIN_PATH, json={"service": "dynamodb", "action": "GetItem", "errors": ["ThrottlingException"]}
    )
    assert armed.status_code == 201 and armed.json["remaining"] == ["ThrottlingException"]
    assert client.get(ADMIN_PATH).json["rules"][0]["id"] == armed.json["id"]
    bad = client.post(ADMIN_PATH, json={"service": "dynamodb", "action": "GetItem", "errors": ["Nope"]})
    assert bad.status_code == 400 and "unknown dynamodb error code 'Nope'" in bad.json["message"]
    assert client.post(ADMIN_PATH, data="{").status_code == 400
    assert client.put(ADMIN_PATH).status_code == 405
    assert client.delete(ADMIN_PATH).json == {"cleared": 1}
    assert client.get(ADMIN_PATH).json["rules"] == []


GOOD = {"service": "dynamodb", "action": "GetItem", "errors": ["ThrottlingException"]}


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ([], "JSON object"),
        ({"service": "s3", "action": "GetObject", "errors": ["InternalError"]}, "service must be one of"),
        ({"service": "dynamodb", "action": "get item", "errors": ["ThrottlingException"]}, "action"),
        ({"service": "lambda", "action": "ListFunctions", "errors": ["ServiceException"]}, "Invoke"),
        ({"service": "dynamodb", "action": "GetItem", "errors": []}, "non-empty list"),
        ({"service": "dynamodb", "action": "GetItem", "errors": [{"code": "X", "status": 200}]}, "400..599"),
        ({"service": "dynamodb", "action": "GetItem", "errors": [{"code": "a b", "status": 500}]}, "a word"),
        ({**GOOD, "function": "f"}, "function"),
        ({**GOOD, "body_contains": ""}, "body_contains"),
        ({**GOOD, "count": 2}, "unknown field"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_a_named_field(spec: Any, field: str) -> None:
    with pytest.raises(FaultError, match=field):
        faults.parse_rule(spec)


def test_a_custom_code_and_status_are_answered_as_given(mw: Any) -> None:
    injector, client = mw
    injector.arm(
        {
            "service": "stepfunctions",
            "action": "StartExecution",
            "errors": [{"code": "KmsThrottlingException", "status": 400}],
        }
    )
    resp = _json_call(client, "states", "AWSStepFunctions.StartExecution")
    assert (resp.status_code, _json(resp)["__type"]) == (400, "KmsThrottlingException")


# --------------------------------------------------------------------------------------------------
# On the local AWS: boto3 and the Step Functions interpreter read the injected errors


@pytest.fixture
def switch(local_aws_server: LocalAws) -> Iterator[LocalAws]:
    """Given the session local AWS with no fault armed (and none left behind)."""
    local_aws_server.clear_faults()
    yield local_aws_server
    local_aws_server.clear_faults()


def _client(endpoint: str, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}),  # one attempt: each call consumes one fault
    )


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", source)
    return buf.getvalue()


@pytest.fixture(scope="module")
def resources(local_aws_server: LocalAws, lambda_role: str) -> dict[str, str]:
    """A table, a function and a secret the calls below address."""
    endpoint = local_aws_server.endpoint
    table = f"faults-{uuid.uuid4().hex[:8]}"
    _client(endpoint, "dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    fn = f"faults-{uuid.uuid4().hex[:8]}"
    arn = _client(endpoint, "lambda").create_function(
        FunctionName=fn,
        Runtime="python3.12",
        Role=lambda_role,
        Handler="app.handler",
        Code={"ZipFile": _zip("def handler(event, context):\n    return {'ok': True}\n")},
    )["FunctionArn"]
    secret = _client(endpoint, "secretsmanager").create_secret(Name=f"faults-{fn}", SecretString="s")["ARN"]
    return {"table": table, "function": fn, "function_arn": arn, "secret": secret}


CALLS: list[tuple[str, str, str, int, Callable[[Any, dict[str, str]], Any]]] = [
    ("dynamodb", "GetItem", "ProvisionedThroughputExceededException", 400,
     lambda c, r: c.get_item(TableName=r["table"], Key={"pk": {"S": "x"}})),
    ("dynamodb", "GetItem", "InternalServerError", 500,
     lambda c, r: c.get_item(TableName=r["table"], Key={"pk": {"S": "x"}})),
    ("lambda", "Invoke", "ServiceException", 500,
     lambda c, r: c.invoke(FunctionName=r["function_arn"], Payload=b"{}")),
    ("lambda", "Invoke", "TooManyRequestsException", 429,
     lambda c, r: c.invoke(FunctionName=r["function"], Payload=b"{}")),
    ("events", "PutEvents", "InternalException", 500,
     lambda c, r: c.put_events(Entries=[{"Source": "t", "DetailType": "t", "Detail": "{}"}])),
    ("stepfunctions", "ListStateMachines", "ThrottlingException", 400, lambda c, r: c.list_state_machines()),
    ("secretsmanager", "GetSecretValue", "InternalServiceError", 500,
     lambda c, r: c.get_secret_value(SecretId=r["secret"])),
]  # fmt: skip


@pytest.mark.parametrize(("service", "action", "code", "status", "call"), CALLS, ids=[c[2] for c in CALLS])
def test_boto3_reads_the_injected_error_as_the_service_error_then_the_call_works_again(
    switch: LocalAws, resources: dict[str, str], service: str, action: str, code: str, status: int, call: Any
) -> None:
    client = _client(switch.endpoint, service)
    switch.inject(service, action, [code], function=resources["function"] if service == "lambda" else None)
    with pytest.raises(ClientError) as failed:
        call(client, resources)
    assert failed.value.response["Error"]["Code"] == code
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    call(client, resources)  # consumed: the next call reaches moto
    assert switch.faults()["injected"] == 1


def test_local_aws_inject_refuses_a_bad_rule_with_the_servers_message(switch: LocalAws) -> None:
    with pytest.raises(FaultError, match="unknown lambda error code 'Boom'"):
        switch.inject("lambda", "Invoke", ["Boom"])


def test_step_functions_tasks_fail_with_the_integration_error_names(
    switch: LocalAws, resources: dict[str, str], sfn_test_role: str
) -> None:
    # Given a machine calling Lambda, DynamoDB and EventBridge, each retried once on any error, and one
    # fault armed per service: the interpreter reaches them over HTTP, so each task fails once with the
    # name AWS gives that service's error, and the execution then succeeds.
    retry = [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 1, "MaxAttempts": 1}]
    definition = {
        "StartAt": "L",
        "States": {
            "L": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Retry": retry,
                  "Parameters": {"FunctionName": resources["function_arn"], "Payload": {}},
                  "ResultPath": None, "Next": "D"},
            "D": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem", "Retry": retry,
                  "Parameters": {"TableName": resources["table"], "Key": {"pk": {"S": "x"}}},
                  "ResultPath": None, "Next": "E"},
            "E": {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "Retry": retry,
                  "Parameters": {"Entries": [{"Source": "t", "DetailType": "t", "Detail": {}}]},
                  "ResultPath": None, "End": True},
        },
    }  # fmt: skip
    sfn = _client(switch.endpoint, "stepfunctions")
    machine = sfn.create_state_machine(
        name=f"faults-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=sfn_test_role
    )["stateMachineArn"]
    switch.inject("lambda", "Invoke", ["ServiceException"], function=resources["function"])
    switch.inject("dynamodb", "GetItem", ["ProvisionedThroughputExceededException"])
    switch.inject("events", "PutEvents", ["InternalException"])
    execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
    deadline = time.monotonic() + 30
    while (desc := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "execution did not finish"
        time.sleep(0.05)
    events = sfn.get_execution_history(executionArn=execution)["events"]
    failed = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert desc["status"] == "SUCCEEDED"
    assert [f["error"] for f in failed] == [
        "Lambda.ServiceException",
        "DynamoDB.ProvisionedThroughputExceededException",
        "EventBridge.InternalException",
    ]
    assert "Error Code: InternalException" in failed[2]["cause"] and "Status Code: 500" in failed[2]["cause"]
    assert switch.faults()["injected"] == 3


def test_a_crash_fault_kills_the_worker_mid_handler_after_its_side_effects_then_the_next_invoke_works(
    switch: LocalAws, lambda_role: str, tmp_path: Any
) -> None:
    # Given a function that writes a marker file and then works for a while, and one crash armed for it
    marker = tmp_path / "side-effect"
    source = (
        "import pathlib, time\n"
        "def handler(event, context):\n"
        f"    pathlib.Path({str(marker)!r}).write_text(event.get('n', 'x'))\n"
        "    time.sleep(event.get('sleep', 0))\n"
        "    return {'ok': True}\n"
    )
    lam = _client(switch.endpoint, "lambda")
    fn = f"crash-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=fn, Runtime="python3.12", Role=lambda_role, Handler="app.handler",
        Code={"ZipFile": _zip(source)},
    )  # fmt: skip
    switch.inject("lambda", "Invoke", [faults.CRASH, faults.CRASH], function=fn)
    # When it is invoked with a handler slower than the crash delay, and with a fast one
    slow = lam.invoke(FunctionName=fn, Payload=json.dumps({"n": "slow", "sleep": 2}))
    slow_payload = json.loads(slow["Payload"].read())
    # Then the process dies mid-handler: Lambda's crash error, after the handler's first side effect
    assert slow["FunctionError"] == "Unhandled" and slow_payload["errorType"] == "Runtime.ExitError"
    assert marker.read_text() == "slow"
    fast = lam.invoke(FunctionName=fn, Payload=json.dumps({"n": "fast"}))
    # And a handler faster than the delay still crashes before answering, its side effects done
    assert json.loads(fast["Payload"].read())["errorType"] == "Runtime.ExitError"
    assert marker.read_text() == "fast"
    # And once the crashes are used up, a fresh worker answers
    ok = lam.invoke(FunctionName=fn, Payload=json.dumps({"n": "ok"}))
    assert "FunctionError" not in ok and json.loads(ok["Payload"].read()) == {"ok": True}
    assert [e["code"] for e in switch.faults()["log"]] == [faults.CRASH, faults.CRASH]


def test_crash_is_only_for_lambda() -> None:
    with pytest.raises(FaultError, match="unknown dynamodb error code"):
        faults.parse_rule({"service": "dynamodb", "action": "GetItem", "errors": [faults.CRASH]})
