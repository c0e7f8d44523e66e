"""Each moto fix in movers.local.compat, checked against the local AWS (and the validator on its own)."""

from __future__ import annotations

import json
import re
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from movers.local import compat

SFN_ROLE = "arn:aws:iam::123456789012:role/sfn-test"


def _machine(states: dict, start: str = "A") -> str:
    return json.dumps({"StartAt": start, "States": states})


def _run(aws_client, definition: str, execution_input: str = "{}", timeout_s: float = 20.0) -> dict:
    sfn = aws_client("stepfunctions")
    arn = sfn.create_state_machine(name=f"m-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=SFN_ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn, input=execution_input)["executionArn"]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"execution {execution} still running")


# --- validate_definition (pure) -----------------------------------------------------------------


def test_valid_definition_with_nested_parallel_and_map_has_no_diagnostics():
    definition = _machine(
        {
            "A": {"Type": "Pass", "Next": "P"},
            "P": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Succeed"}}}],
                "Next": "M",
            },
            "M": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                "Next": "C",
            },
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.x", "BooleanEquals": True, "Next": "Done"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        }
    )
    assert compat.validate_definition(definition) == []


@pytest.mark.parametrize(
    ("definition", "code", "location"),
    [
        ("{not json", "INVALID_JSON_DESCRIPTION", "/"),
        (_machine({"A": {"Type": "Pass", "End": True}}, start="X"), "MISSING_TRANSITION_TARGET", "/StartAt"),
        (_machine({"A": {"Type": "Pass", "Next": "Nope"}}), "MISSING_TRANSITION_TARGET", "/States/A/Next"),
        (
            _machine(
                {"A": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsNull": True, "Next": "Z"}]}}
            ),
            "MISSING_TRANSITION_TARGET",
            "/States/A/Choices/0/Next",
        ),
        (
            _machine(
                {
                    "A": {
                        "Type": "Parallel",
                        "End": True,
                        "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Next": "Q"}}}],
                    }
                }
            ),
            "MISSING_TRANSITION_TARGET",
            "/States/A/Branches/0/States/B/Next",
        ),
        (
            _machine(
                {
                    "A": {
                        "Type": "Map",
                        "End": True,
                        "Iterator": {"StartAt": "Missing", "States": {"I": {"Type": "Succeed"}}},
                    }
                }
            ),
            "MISSING_TRANSITION_TARGET",
            "/States/A/Iterator/StartAt",
        ),
        (
            _machine({"A": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"}}),
            "SCHEMA_VALIDATION_FAILED",
            "/States/A",
        ),
    ],
)
def test_invalid_definitions_give_aws_style_diagnostics(definition, code, location):
    diagnostics = compat.validate_definition(definition)
    assert diagnostics and diagnostics[0]["code"] == code and diagnostics[0]["location"] == location
    assert diagnostics[0]["severity"] == "ERROR"


def test_time_scale_refuses_non_positive_values():
    with pytest.raises(ValueError, match="positive"):
        compat.set_time_scale(0)


def test_aws_timestamp_has_millisecond_z_form():
    from datetime import UTC, datetime

    assert (
        compat.aws_timestamp(datetime(2026, 11, 20, 21, 5, 0, 123456, tzinfo=UTC))
        == "2026-11-20T21:05:00.123Z"
    )


# --- against the local AWS ----------------------------------------------------------------------


def test_validate_state_machine_definition_api_answers_ok_and_fail(aws_client):
    sfn = aws_client("stepfunctions")
    ok = sfn.validate_state_machine_definition(definition=_machine({"A": {"Type": "Succeed"}}))
    assert ok["result"] == "OK" and ok["diagnostics"] == []
    bad = sfn.validate_state_machine_definition(definition=_machine({"A": {"Type": "Succeed"}}, start="B"))
    assert bad["result"] == "FAIL"
    assert bad["diagnostics"][0]["code"] == "MISSING_TRANSITION_TARGET"


def test_create_and_update_state_machine_refuse_an_invalid_definition(aws_client):
    sfn = aws_client("stepfunctions")
    with pytest.raises(ClientError) as err:
        sfn.create_state_machine(
            name="bad-start", definition=_machine({"A": {"Type": "Succeed"}}, start="Z"), roleArn=SFN_ROLE
        )
    assert err.value.response["Error"]["Code"] == "InvalidDefinition"
    arn = sfn.create_state_machine(
        name=f"ok-{uuid.uuid4().hex[:6]}", definition=_machine({"A": {"Type": "Succeed"}}), roleArn=SFN_ROLE
    )["stateMachineArn"]
    with pytest.raises(ClientError) as err:
        sfn.update_state_machine(
            stateMachineArn=arn, definition=_machine({"A": {"Type": "Pass", "Next": "Q"}})
        )
    assert err.value.response["Error"]["Code"] == "InvalidDefinition"


def test_list_state_machine_versions_lists_published_versions(aws_client):
    sfn = aws_client("stepfunctions")
    plain = sfn.create_state_machine(
        name=f"v0-{uuid.uuid4().hex[:6]}", definition=_machine({"A": {"Type": "Succeed"}}), roleArn=SFN_ROLE
    )["stateMachineArn"]
    assert sfn.list_state_machine_versions(stateMachineArn=plain)["stateMachineVersions"] == []
    published = sfn.create_state_machine(
        name=f"v1-{uuid.uuid4().hex[:6]}",
        definition=_machine({"A": {"Type": "Succeed"}}),
        roleArn=SFN_ROLE,
        publish=True,
    )
    versions = sfn.list_state_machine_versions(stateMachineArn=published["stateMachineArn"])[
        "stateMachineVersions"
    ]
    assert [v["stateMachineVersionArn"] for v in versions] == [published["stateMachineVersionArn"]]


@pytest.mark.timeout(30)
def test_wait_and_retry_sleeps_are_scaled_by_the_time_scale(aws_client):
    # Given a 600 s Wait (the session's local AWS runs with time scale 0.01)
    definition = _machine({"A": {"Type": "Wait", "Seconds": 600, "Next": "B"}, "B": {"Type": "Succeed"}})
    # When it runs, Then it finishes within the test's 30 s timeout (it would take 10 minutes unscaled)
    assert _run(aws_client, definition)["status"] == "SUCCEEDED"


@pytest.mark.timeout(30)
def test_a_wait_from_seconds_path_is_scaled_too(aws_client):
    # Given a Wait whose 600 s come from the state (as the fetch's wait loop sets them), When it runs,
    # Then it is scaled like a literal Wait and finishes within the test's timeout
    definition = _machine(
        {
            "A": {"Type": "Pass", "Result": {"waitSeconds": 600}, "ResultPath": "$.answer", "Next": "B"},
            "B": {"Type": "Wait", "SecondsPath": "$.answer.waitSeconds", "Next": "C"},
            "C": {"Type": "Succeed"},
        }
    )
    assert _run(aws_client, definition)["status"] == "SUCCEEDED"


def test_execution_start_time_is_an_iso_8601_string(aws_client):
    definition = _machine(
        {"A": {"Type": "Pass", "Parameters": {"t.$": "$$.Execution.StartTime"}, "End": True}}
    )
    described = _run(aws_client, definition)
    assert described["status"] == "SUCCEEDED", described
    started = json.loads(described["output"])["t"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", started)


def test_a_plain_string_output_is_json_encoded(aws_client):
    described = _run(aws_client, _machine({"A": {"Type": "Pass", "Result": "hello", "End": True}}))
    assert described["output"] == '"hello"'
    described = _run(aws_client, _machine({"A": {"Type": "Pass", "Result": {"k": [1, 2]}, "End": True}}))
    assert json.loads(described["output"]) == {"k": [1, 2]}


def test_unnamed_executions_get_distinct_uuid_names(aws_client):
    sfn = aws_client("stepfunctions")
    arn = sfn.create_state_machine(
        name=f"u-{uuid.uuid4().hex[:6]}", definition=_machine({"A": {"Type": "Succeed"}}), roleArn=SFN_ROLE
    )["stateMachineArn"]
    first = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    second = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert first != second
    for execution_arn in (first, second):
        name = execution_arn.rsplit(":", 1)[1]
        assert str(uuid.UUID(name)) == name


def test_lambda_dead_letter_and_logging_config_are_stored(aws_client, lambda_role, lambda_zip):
    lam = aws_client("lambda")
    name = f"cfg-{uuid.uuid4().hex[:6]}"
    dlq = "arn:aws:sqs:us-east-1:123456789012:dlq"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=lambda_role,
        Handler="app.handler",
        Code={"ZipFile": lambda_zip({"app.py": "def handler(e, c):\n    return 1\n"})},
        DeadLetterConfig={"TargetArn": dlq},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "INFO", "SystemLogLevel": "WARN"},
    )
    config = lam.get_function_configuration(FunctionName=name)
    assert config["DeadLetterConfig"] == {"TargetArn": dlq}
    assert config["LoggingConfig"]["LogFormat"] == "JSON"
    assert config["LoggingConfig"]["LogGroup"] == f"/aws/lambda/{name}"
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    assert lam.get_function_configuration(FunctionName=name)["LoggingConfig"]["LogFormat"] == "Text"


def test_openapi_import_accepts_a_mock_integration_without_uri(aws_client):
    # Given an OpenAPI body with a Lambda proxy GET and a CORS preflight OPTIONS on a MOCK integration
    # (no uri, no httpMethod, as AWS accepts), when it is imported with PutRestApi, then both methods exist.
    apigw = aws_client("apigateway")
    api_id = apigw.create_rest_api(name=f"compat-{uuid.uuid4().hex[:6]}")["id"]
    proxy = {"type": "aws_proxy", "httpMethod": "POST", "uri": "arn:aws:apigateway:us-east-1:lambda:path/x"}
    mock = {"type": "mock", "requestTemplates": {"application/json": '{"statusCode": 200}'}}
    body = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/movers": {
                "get": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": proxy,
                },
                "options": {
                    "responses": {"200": {"description": "ok"}},
                    "x-amazon-apigateway-integration": mock,
                },
            }
        },
    }
    apigw.put_rest_api(restApiId=api_id, mode="overwrite", body=json.dumps(body).encode())
    resources = apigw.get_resources(restApiId=api_id)["items"]
    movers = next(r for r in resources if r["path"] == "/movers")
    assert set(movers["resourceMethods"]) == {"GET", "OPTIONS"}
    mock_integration = apigw.get_integration(restApiId=api_id, resourceId=movers["id"], httpMethod="OPTIONS")
    assert mock_integration["type"] == "MOCK"


def test_bucket_policy_deny_insecure_transport_does_not_deny_everything(aws_client):
    # Given a bucket whose policy denies requests where aws:SecureTransport is false (the standard TLS-only
    # statement), when a caller reads an object, then the read succeeds: a statement whose condition does
    # not hold is not applicable (AWS), instead of a blanket 403 (moto).
    s3 = aws_client("s3")
    bucket = f"compat-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="index.html", Body=b"<html></html>")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert s3.head_object(Bucket=bucket, Key="index.html")["ContentLength"] == 13


# --- EventBridge -> Step Functions ---------------------------------------------------------------


_EVENT = {
    "version": "0",
    "id": "e-1",
    "detail-type": "MoverStored",
    "source": "stock-movers.local",
    "account": "123456789012",
    "time": "2025-06-02T21:00:00Z",
    "region": "us-east-1",
    "resources": [],
    "detail": {"date": "2025-06-02", "ticker": "TSLA", "percentChange": "3.1"},
}


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ({}, _EVENT),
        ({"Input": '{"fixed": true}'}, {"fixed": True}),
        ({"InputPath": "$.detail"}, _EVENT["detail"]),
        (
            {
                "InputTransformer": {
                    "InputPathsMap": {"d": "$.detail.date"},
                    "InputTemplate": '{"date": "<d>"}',
                }
            },
            {"date": "2025-06-02"},
        ),
        (
            {"InputTransformer": {"InputPathsMap": {"x": "$.detail"}, "InputTemplate": '{"detail": <x>}'}},
            {"detail": _EVENT["detail"]},
        ),
        (
            {
                "InputTransformer": {
                    "InputPathsMap": {},
                    "InputTemplate": '{"rule": "<aws.events.rule-name>"}',
                }
            },
            {"rule": "r1"},
        ),
    ],
)
def test_target_input_follows_eventbridge_input_rules(target, expected):
    # Given a target's Input/InputPath/InputTransformer (or none), When an event is delivered,
    # Then the execution input is what AWS documents for that setting.
    text = compat.target_input(target, _EVENT, "r1", "arn:aws:events:us-east-1:123456789012:rule/r1")
    assert json.loads(text) == expected


def _wait_for_executions(sfn, arn: str, count: int, timeout_s: float = 20.0) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = sfn.list_executions(stateMachineArn=arn)["executions"]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"expected {count} executions of {arn}")


def _pass_machine(sfn) -> str:
    definition = _machine({"A": {"Type": "Pass", "End": True}})
    return sfn.create_state_machine(
        name=f"t-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=SFN_ROLE
    )["stateMachineArn"]


def test_put_events_starts_a_matching_rules_state_machine_with_the_transformed_input(aws_client):
    # Given a rule on the default bus matching one source/detail-type, targeting a state machine through an
    # input transformer, and a second target (an SQS queue) that moto delivers itself
    sfn, events, sqs = aws_client("stepfunctions"), aws_client("events"), aws_client("sqs")
    machine = _pass_machine(sfn)
    source = f"compat.{uuid.uuid4().hex[:8]}"
    queue_url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule = f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source], "detail-type": ["MoverStored"]}))
    events.put_targets(
        Rule=rule,
        Targets=[
            {
                "Id": "sfn",
                "Arn": machine,
                "RoleArn": SFN_ROLE,
                "InputTransformer": {
                    "InputPathsMap": {"date": "$.detail.date"},
                    "InputTemplate": '{"date": "<date>"}',
                },
            },
            {"Id": "queue", "Arn": queue_arn},
        ],
    )
    _allow_rule(aws_client, rule, queue_arn)
    # When a matching and a non-matching event are put
    entry = {"Source": source, "DetailType": "MoverStored", "Detail": json.dumps({"date": "2025-06-02"})}
    other = {**entry, "DetailType": "SomethingElse"}
    answer = events.put_events(Entries=[entry, other])
    # Then PutEvents succeeds, exactly one execution starts with the transformed input, and the queue
    # target still receives the matching event
    assert answer["FailedEntryCount"] == 0
    (execution,) = _wait_for_executions(sfn, machine, 1)
    assert json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"]) == {
        "date": "2025-06-02"
    }
    time.sleep(0.3)
    assert len(sfn.list_executions(stateMachineArn=machine)["executions"]) == 1
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["detail"] for m in messages] == [{"date": "2025-06-02"}]


def test_a_state_machines_put_events_task_starts_the_target_machine_with_the_whole_event(aws_client):
    # Given a target machine behind a rule without input settings, and a machine whose events:putEvents
    # Task announces on the default bus (the ingest machine's Announce state)
    sfn, events = aws_client("stepfunctions"), aws_client("events")
    target = _pass_machine(sfn)
    source = f"compat.{uuid.uuid4().hex[:8]}"
    rule = f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": target, "RoleArn": SFN_ROLE}])
    announce = {
        "A": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {
                "Entries": [{"Source": source, "DetailType": "MoverStored", "Detail": {"date": "2025-06-03"}}]
            },
            "End": True,
        }
    }
    # When the announcing machine runs
    described = _run(aws_client, _machine(announce))
    # Then it succeeds and the target machine runs with the AWS-shaped event (ISO time, detail as JSON)
    assert described["status"] == "SUCCEEDED", described
    (execution,) = _wait_for_executions(sfn, target, 1)
    delivered = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert delivered["source"] == source and delivered["detail-type"] == "MoverStored"
    assert delivered["detail"] == {"date": "2025-06-03"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", delivered["time"])
    assert "ingestion-time" not in delivered


def test_a_schedule_only_rule_does_not_match_put_events(aws_client):
    # Given a schedule-only rule and a pattern rule, each with a state machine target
    sfn, events = aws_client("stepfunctions"), aws_client("events")
    scheduled, matched = _pass_machine(sfn), _pass_machine(sfn)
    source = f"compat.{uuid.uuid4().hex[:8]}"
    schedule_rule = f"s-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=schedule_rule, ScheduleExpression="rate(5 minutes)")
    events.put_targets(Rule=schedule_rule, Targets=[{"Id": "sfn", "Arn": scheduled, "RoleArn": SFN_ROLE}])
    pattern_rule = f"p-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=pattern_rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=pattern_rule, Targets=[{"Id": "sfn", "Arn": matched, "RoleArn": SFN_ROLE}])
    # When an event is put
    events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": "{}"}])
    # Then only the pattern rule's machine starts
    _wait_for_executions(sfn, matched, 1)
    time.sleep(0.3)
    assert sfn.list_executions(stateMachineArn=scheduled)["executions"] == []


def test_a_disabled_rule_delivers_nothing_until_enabled_again(aws_client):
    # Given a pattern rule with a state machine target, disabled
    sfn, events = aws_client("stepfunctions"), aws_client("events")
    target = _pass_machine(sfn)
    source, rule = f"compat.{uuid.uuid4().hex[:8]}", f"d-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "sfn", "Arn": target, "RoleArn": SFN_ROLE}])
    events.disable_rule(Name=rule)
    # When a matching event is put
    events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": "{}"}])
    time.sleep(0.5)
    # Then no execution starts
    assert sfn.list_executions(stateMachineArn=target)["executions"] == []
    # And once enabled again, the next event starts one
    events.enable_rule(Name=rule)
    events.put_events(Entries=[{"Source": source, "DetailType": "X", "Detail": "{}"}])
    _wait_for_executions(sfn, target, 1)


# --- Step Functions status-change events; Lambda and SNS targets (operations) ---------------------


def _allow_rule(aws_client, rule: str, *targets: str) -> None:
    """The resource policies EventBridge needs to deliver this rule's events to these targets (the local AWS
    enforces IAM, as AWS does): a queue policy, a Lambda permission, a topic policy."""
    rule_arn = f"arn:aws:events:us-east-1:123456789012:rule/{rule}"
    for arn in targets:
        service = arn.split(":")[2]
        if service == "lambda":
            aws_client("lambda").add_permission(
                FunctionName=arn, StatementId=f"allow-{rule}", Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com", SourceArn=rule_arn,
            )  # fmt: skip
            continue
        action = "sqs:SendMessage" if service == "sqs" else "sns:Publish"
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": action,
            "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }]})  # fmt: skip
        if service == "sqs":
            sqs = aws_client("sqs")
            url = sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[1])["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        else:
            aws_client("sns").set_topic_attributes(
                TopicArn=arn, AttributeName="Policy", AttributeValue=policy
            )


def _queue(aws_client) -> tuple[str, str]:
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _drain(aws_client, url: str, count: int, timeout_s: float = 20.0) -> list[dict]:
    sqs, got = aws_client("sqs"), []
    deadline = time.monotonic() + timeout_s
    while len(got) < count and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return got


def test_executions_publish_aws_shaped_status_change_events(aws_client):
    # Given a rule on this machine's status-change events with an SQS target
    sfn, events = aws_client("stepfunctions"), aws_client("events")
    definition = _machine(
        {
            "A": {"Type": "Choice", "Choices": [{"Variable": "$.fail", "BooleanEquals": True, "Next": "F"}],
                  "Default": "S"},
            "S": {"Type": "Pass", "Result": {"status": "Stored"}, "End": True},
            "F": {"Type": "Fail", "Error": "MalformedResponse", "Cause": "bad body"},
        }
    )  # fmt: skip
    machine = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=SFN_ROLE
    )
    url, queue_arn = _queue(aws_client)
    rule = f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps(
            {
                "source": ["aws.states"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {"stateMachineArn": [{"prefix": machine["stateMachineArn"]}]},
            }
        ),
    )
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    _allow_rule(aws_client, rule, queue_arn)
    # When one execution succeeds and one fails
    ok = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="ok", input='{"fail": false}')
    bad = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="bad", input='{"fail": true}')
    # Then each publishes RUNNING and its terminal status, with AWS's detail fields
    got = _drain(aws_client, url, 4)
    by = {(e["detail"]["name"], e["detail"]["status"]): e for e in got}
    assert set(by) == {("ok", "RUNNING"), ("ok", "SUCCEEDED"), ("bad", "RUNNING"), ("bad", "FAILED")}
    done = by[("ok", "SUCCEEDED")]
    assert done["source"] == "aws.states" and done["detail-type"] == "Step Functions Execution Status Change"
    assert done["resources"] == [ok["executionArn"]]
    assert done["detail"]["executionArn"] == ok["executionArn"]
    assert done["detail"]["stateMachineArn"] == machine["stateMachineArn"]
    assert json.loads(done["detail"]["input"]) == {"fail": False}
    assert json.loads(done["detail"]["output"]) == {"status": "Stored"}
    assert done["detail"]["stopDate"] >= done["detail"]["startDate"] > 1_600_000_000_000
    failed = by[("bad", "FAILED")]["detail"]
    assert failed["executionArn"] == bad["executionArn"]
    assert (failed["error"], failed["cause"], failed["output"]) == ("MalformedResponse", "bad body", None)
    assert by[("bad", "RUNNING")]["detail"]["stopDate"] is None


def test_put_events_reaches_lambda_sns_and_sqs_targets_of_one_rule(aws_client, make_function):
    # Given a rule whose targets are a Lambda function, an SNS topic (with an SQS subscriber) and a queue
    events, sns, logs = aws_client("events"), aws_client("sns"), aws_client("logs")
    fn = make_function({"app.py": "import json\ndef handler(e, c):\n    print('GOT ' + json.dumps(e))\n"})
    fn_arn = aws_client("lambda").get_function(FunctionName=fn)["Configuration"]["FunctionArn"]
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    sub_url, sub_arn = _queue(aws_client)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery": "true"})
    url, queue_arn = _queue(aws_client)
    source = f"compat.{uuid.uuid4().hex[:8]}"
    rule = f"r-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(
        Rule=rule,
        Targets=[
            {"Id": "fn", "Arn": fn_arn},
            {"Id": "topic", "Arn": topic,
             "InputTransformer": {"InputPathsMap": {"d": "$.detail.day"}, "InputTemplate": '{"day": <d>}'}},
            {"Id": "q", "Arn": queue_arn},
        ],
    )  # fmt: skip
    _allow_rule(aws_client, rule, fn_arn, topic, queue_arn)
    # When a matching event is put
    answer = events.put_events(
        Entries=[{"Source": source, "DetailType": "X", "Detail": '{"day": "2025-06-03"}'}]
    )
    # Then PutEvents succeeds and every target gets it
    assert answer["FailedEntryCount"] == 0
    assert _drain(aws_client, url, 1)[0]["detail"] == {"day": "2025-06-03"}
    assert _drain(aws_client, sub_url, 1) == [{"day": "2025-06-03"}]
    deadline, lines = time.monotonic() + 20, []
    while not lines and time.monotonic() < deadline:
        try:
            found = logs.filter_log_events(logGroupName=f"/aws/lambda/{fn}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            found = []
        lines = [e["message"] for e in found if e["message"].startswith("GOT ")]
        time.sleep(0.2)
    assert lines and json.loads(lines[0][4:])["detail"] == {"day": "2025-06-03"}


# --- events:putEvents task errors (fix_events_task_service_errors) --------------------------------


def test_a_put_events_task_error_is_named_eventbridge_code_and_is_caught(aws_client, local_aws_server):
    # Given PutEvents answering InternalException once (the fault switch), when a putEvents task runs with
    # a Catch on EventBridge.InternalException, then the task fails with that name (not States.Runtime)
    # and the Catch routes on it, as on AWS.
    states = {
        "A": {
            "Type": "Task",
            "Resource": "arn:aws:states:::events:putEvents",
            "Parameters": {"Entries": [{"Source": "compat", "DetailType": "t", "Detail": {}}]},
            "Catch": [
                {"ErrorEquals": ["EventBridge.InternalException"], "ResultPath": "$.error", "Next": "B"}
            ],
            "End": True,
        },
        "B": {"Type": "Pass", "End": True},
    }
    local_aws_server.inject("events", "PutEvents", ["InternalException"], body_contains='"compat"')
    try:
        described = _run(aws_client, _machine(states))
    finally:
        local_aws_server.clear_faults()
    assert described["status"] == "SUCCEEDED"
    error = json.loads(described["output"])["error"]
    assert error["Error"] == "EventBridge.InternalException"
    assert "Error Code: InternalException" in error["Cause"] and "Status Code: 500" in error["Cause"]


def test_s3_inventory_configuration_reads_back_as_put(aws_client):
    # Given an inventory of current versions, encrypted with SSE-S3, when it is read back, then both are as
    # put (moto answered "All" and an empty encryption: a perpetual Terraform diff).
    s3 = aws_client("s3")
    bucket = f"compat-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    config = {
        "Id": "weekly",
        "IsEnabled": True,
        "IncludedObjectVersions": "Current",
        "Destination": {
            "S3BucketDestination": {
                "Bucket": f"arn:aws:s3:::{bucket}",
                "Format": "CSV",
                "Prefix": "inventory",
                "Encryption": {"SSES3": {}},
            }
        },
        "Schedule": {"Frequency": "Weekly"},
    }
    s3.put_bucket_inventory_configuration(Bucket=bucket, Id="weekly", InventoryConfiguration=config)
    got = s3.get_bucket_inventory_configuration(Bucket=bucket, Id="weekly")["InventoryConfiguration"]
    assert got["IncludedObjectVersions"] == "Current"
    assert got["Destination"]["S3BucketDestination"]["Encryption"] == {"SSES3": {}}


def _table(aws_client, name):
    ddb = aws_client("dynamodb")
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        BillingMode="PAY_PER_REQUEST",
    )
    return ddb


def _put(name, pk, sk, value, **condition):
    return {
        "Put": {"TableName": name, "Item": {"pk": {"S": pk}, "sk": {"S": sk}, "v": {"S": value}}, **condition}
    }


def test_a_cancelled_transaction_restores_only_its_own_items(aws_client):
    # Given a table with a stored item and another writer's item
    name = f"tx-{uuid.uuid4().hex[:8]}"
    ddb = _table(aws_client, name)
    ddb.put_item(TableName=name, Item={"pk": {"S": "A"}, "sk": {"S": "1"}, "v": {"S": "old"}})
    ddb.put_item(TableName=name, Item={"pk": {"S": "OTHER"}, "sk": {"S": "1"}, "v": {"S": "theirs"}})
    # When a transaction overwrites A, adds B, and then fails its condition on C
    with pytest.raises(ClientError) as raised:
        ddb.transact_write_items(
            TransactItems=[
                _put(name, "A", "1", "new"),
                _put(name, "B", "1", "new"),
                _put(name, "C", "1", "new", ConditionExpression="attribute_exists(pk)"),
            ]
        )
    assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    reasons = [r["Code"] for r in raised.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    # Then A is as it was, B and C do not exist, and the other writer's item is untouched
    items = {i["pk"]["S"]: i["v"]["S"] for i in ddb.scan(TableName=name)["Items"]}
    assert items == {"A": "old", "OTHER": "theirs"}


def test_cancelled_transactions_never_undo_other_writers(aws_client):
    # Given a table of 2,000 items and another client writing new items all the while (moto copied the
    # whole table per transaction and rolled back by putting the copy back, losing those writes, or failed
    # with a 500 when a write changed the table during the copy)
    import threading

    name = f"tx-{uuid.uuid4().hex[:8]}"
    ddb = _table(aws_client, name)
    for start in range(0, 2000, 25):
        batch = [
            {"PutRequest": {"Item": _put(name, f"P{i}", "1", "x")["Put"]["Item"]}}
            for i in range(start, start + 25)
        ]
        ddb.batch_write_item(RequestItems={name: batch})
    writer, written, done = aws_client("dynamodb"), [], threading.Event()

    def write() -> None:
        while not done.is_set() and len(written) < 300:
            key = f"W{len(written)}"
            writer.put_item(TableName=name, Item={"pk": {"S": key}, "sk": {"S": "1"}, "v": {"S": "w"}})
            written.append(key)

    thread = threading.Thread(target=write)
    thread.start()
    try:
        # When 20 transactions are cancelled by their condition while the writer runs
        for i in range(20):
            with pytest.raises(ClientError) as raised:
                ddb.transact_write_items(
                    TransactItems=[
                        _put(name, f"P{i}", "1", "changed"),
                        _put(name, "NOPE", "1", "x", ConditionExpression="attribute_exists(pk)"),
                    ]
                )
            assert raised.value.response["Error"]["Code"] == "TransactionCanceledException"
    finally:
        done.set()
        thread.join()
    # Then every other write is there and every transaction's own item is as it was
    items = {i["pk"]["S"]: i["v"]["S"] for i in ddb.scan(TableName=name)["Items"]}
    assert written and all(items.get(k) == "w" for k in written)
    assert all(items[f"P{i}"] == "x" for i in range(20)) and "NOPE" not in items


def test_a_transaction_copies_no_table():
    # Given moto in process with the fixes, and a table of 2,000 items (moto deep-copied every table a
    # transaction named, on every call: seconds and gigabytes on a backfilled main table)
    import boto3
    from moto import mock_aws
    from moto.dynamodb.models.table import Table

    compat.apply()
    copies = []
    deepcopy = Table.__deepcopy__

    def counting(self, memo):
        result = deepcopy(self, memo)
        if result is not self:
            copies.append(self.name)
        return result

    with mock_aws():
        ddb = boto3.client(
            "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
        )
        ddb.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for start in range(0, 2000, 25):
            batch = [{"PutRequest": {"Item": {"pk": {"S": f"P{i}"}}}} for i in range(start, start + 25)]
            ddb.batch_write_item(RequestItems={"t": batch})
        Table.__deepcopy__ = counting
        try:
            # When transactions commit and one is cancelled
            ddb.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": {"pk": {"S": "N"}}}}])
            with pytest.raises(ClientError):
                ddb.transact_write_items(
                    TransactItems=[
                        {"Put": {"TableName": "t", "Item": {"pk": {"S": "P1"}, "v": {"S": "y"}}}},
                        {
                            "Put": {
                                "TableName": "t",
                                "Item": {"pk": {"S": "Q"}},
                                "ConditionExpression": "attribute_exists(pk)",
                            }
                        },
                    ]
                )
        finally:
            Table.__deepcopy__ = deepcopy
        # Then no table was copied, the commit landed and the cancelled one left its items as they were
        assert copies == []
        assert "Item" in ddb.get_item(TableName="t", Key={"pk": {"S": "N"}})
        assert "v" not in ddb.get_item(TableName="t", Key={"pk": {"S": "P1"}})["Item"]
        assert "Item" not in ddb.get_item(TableName="t", Key={"pk": {"S": "Q"}})


def test_s3_conditional_put_lets_exactly_one_racing_writer_create_a_key(aws_client):
    # No fix needed: moto implements If-None-Match / If-Match on PutObject, which Terraform's S3 backend lock
    # (use_lockfile) relies on. This keeps that true across moto upgrades.
    # Given many writers racing to create the same absent key with If-None-Match: * (Terraform's lock file)
    import threading

    s3 = aws_client("s3")
    bucket = f"compat-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    clients = [aws_client("s3") for _ in range(12)]
    for round_ in range(5):
        key = f"state/{round_}.tflock"
        barrier = threading.Barrier(len(clients))
        outcomes: list[str] = []

        def write(client, i: int, key=key, barrier=barrier, outcomes=outcomes) -> None:
            barrier.wait()
            try:
                client.put_object(Bucket=bucket, Key=key, Body=f"writer {i}".encode(), IfNoneMatch="*")
                outcomes.append("created")
            except ClientError as exc:
                outcomes.append(exc.response["Error"]["Code"])

        threads = [threading.Thread(target=write, args=(c, i)) for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Then exactly one creates it, every other gets 412 PreconditionFailed, and the object is the winner's
        assert outcomes.count("created") == 1, outcomes
        assert outcomes.count("PreconditionFailed") == len(clients) - 1, outcomes
    # And If-Match with a stale ETag is refused too
    with pytest.raises(ClientError, match="PreconditionFailed"):
        s3.put_object(Bucket=bucket, Key="state/0.tflock", Body=b"x", IfMatch='"0000"')


# --- Step Functions Local mock configuration (in-process) ----------------------------------------


class _MockedEnv:
    """The parts of moto's Environment a mocked Task reads: its state, the test case, the mocked mode."""

    def __init__(self, case, state: str) -> None:
        self.mock_test_case, self.next_state_name = case, state
        self.event_history_context = type("Context", (), {"source_event_id": 0})()

    def is_mocked_mode(self) -> bool:
        return self.next_state_name in self.mock_test_case.state_mocked_responses


def test_a_re_entered_mocked_state_gets_the_next_response_as_step_functions_local_counts():
    # Given a state mocked with "Wait" then "Fetched", entered twice by a loop (its retry count 0 each time)
    from moto.stepfunctions.parser.asl.eval.environment import Environment

    compat.fix_mocked_responses_count_invocations()
    config = {
        "StateMachines": {"M": {"TestCases": {"C": {"Fetch": "R", "Other": "O"}}}},
        "MockedResponses": {
            "R": {"0": {"Return": {"status": "Wait"}}, "1": {"Return": {"status": "Fetched"}}},
            "O": {"0": {"Return": {}}},
        },
    }
    case = compat.load_mock_test_case(config, "M", "C")
    # When the state is invoked three times (the other state between), then responses 0 and 1 come in
    # order, the other state's count is its own, and a third invocation runs out by name
    answers = [Environment.get_current_mocked_response(_MockedEnv(case, "Fetch")).payload]
    Environment.get_current_mocked_response(_MockedEnv(case, "Other"))
    answers.append(Environment.get_current_mocked_response(_MockedEnv(case, "Fetch")).payload)
    assert answers == [{"status": "Wait"}, {"status": "Fetched"}]
    with pytest.raises(RuntimeError, match="'Fetch' and invocation '2'"):
        Environment.get_current_mocked_response(_MockedEnv(case, "Fetch"))
    # and a fresh test case (a new execution) starts again at response 0
    fresh = compat.load_mock_test_case(config, "M", "C")
    assert Environment.get_current_mocked_response(_MockedEnv(fresh, "Fetch")).payload == {"status": "Wait"}


def test_a_dynamodb_task_keeps_the_error_of_a_mocked_throw():
    # Given a DynamoDB service-integration task whose (mocked) attempt failed with a built failure event
    from moto.stepfunctions.parser.api import HistoryEventType
    from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import CustomErrorName
    from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
        FailureEvent,
        FailureEventException,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb import (  # noqa: E501
        StateTaskServiceDynamoDB,
    )

    compat.fix_dynamodb_task_keeps_its_failure()
    env = _MockedEnv(compat.load_mock_test_case(_ONE_CASE, "M", "C"), "Claim")
    event = FailureEvent(
        env=env,
        error_name=CustomErrorName("DynamoDB.ConditionalCheckFailedException"),
        event_type=HistoryEventType.TaskFailed,
    )
    task = StateTaskServiceDynamoDB.__new__(StateTaskServiceDynamoDB)
    task.resource = type("Resource", (), {"api_action": "putItem", "service_name": "dynamodb"})()
    # When the task turns it into its failure, then it is that failure, not DynamoDB.AmazonDynamoDBException
    assert task._from_error(env, FailureEventException(event)) is event
    # and any other exception still gets the integration's own mapping
    other = task._from_error(env, ValueError("boom"))
    assert other.error_name.error_name == "DynamoDB.AmazonDynamoDBException"


_ONE_CASE = {
    "StateMachines": {"M": {"TestCases": {"C": {"Claim": "R"}}}},
    "MockedResponses": {"R": {"0": {"Throw": {"Error": "DynamoDB.ConditionalCheckFailedException"}}}},
}


# --- versions and aliases -------------------------------------------------------------------------


def test_pick_alias_version_follows_cumulative_weights():
    routing = [
        {"stateMachineVersionArn": "arn:m:1", "weight": 90},
        {"stateMachineVersionArn": "arn:m:2", "weight": 10},
    ]
    assert compat.pick_alias_version(routing, 0.0) == "arn:m:1"
    assert compat.pick_alias_version(routing, 89.99) == "arn:m:1"
    assert compat.pick_alias_version(routing, 90.0) == "arn:m:2"
    assert compat.pick_alias_version(routing[:1], 99.9) == "arn:m:1"


def _finished(sfn, execution_arn: str, timeout_s: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_arn} still running")


def test_start_execution_on_an_alias_runs_the_aliased_version_under_the_machine(aws_client):
    # Given a machine with versions 1 ("v1") and 2 ("v2") and an alias live -> 1
    sfn = aws_client("stepfunctions")
    created = sfn.create_state_machine(
        name=f"m-{uuid.uuid4().hex[:8]}",
        definition=_machine({"A": {"Type": "Pass", "Result": "v1", "End": True}}),
        roleArn=SFN_ROLE,
        publish=True,
    )
    machine, v1 = created["stateMachineArn"], created["stateMachineVersionArn"]
    v2 = sfn.update_state_machine(
        stateMachineArn=machine,
        definition=_machine({"A": {"Type": "Pass", "Result": "v2", "End": True}}),
        publish=True,
    )["stateMachineVersionArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": v1, "weight": 100}]
    )["stateMachineAliasArn"]
    # When an execution starts on the alias
    first = sfn.start_execution(stateMachineArn=alias, name="on-alias")["executionArn"]
    described = _finished(sfn, first)
    # Then version 1 ran, the execution belongs to the machine and names its version and alias
    assert json.loads(described["output"]) == "v1"
    assert first == machine.replace(":stateMachine:", ":execution:") + ":on-alias"
    assert described["stateMachineArn"] == machine
    assert described["stateMachineVersionArn"] == v1
    assert described["stateMachineAliasArn"] == alias
    assert first in {e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]}
    # And once the alias moves to version 2, the next execution runs version 2; a version ARN runs itself
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias, routingConfiguration=[{"stateMachineVersionArn": v2, "weight": 100}]
    )
    second = sfn.start_execution(stateMachineArn=alias, name="on-alias-2")["executionArn"]
    assert json.loads(_finished(sfn, second)["output"]) == "v2"
    third = sfn.start_execution(stateMachineArn=v1, name="on-version")["executionArn"]
    assert json.loads(_finished(sfn, third)["output"]) == "v1"
    # And the same name with other input is refused, as for the machine itself
    with pytest.raises(ClientError, match="ExecutionAlreadyExists"):
        sfn.start_execution(stateMachineArn=alias, name="on-alias", input='{"other": 1}')
    # And an unknown alias is a named error
    with pytest.raises(ClientError, match="ResourceNotFound"):
        sfn.start_execution(stateMachineArn=f"{machine}:nope", name="x")


def test_invoke_honours_the_qualifier_parameter(aws_client, make_function, lambda_zip, invoke):
    # Given a function with version 1 ("v1") behind alias live and $LATEST returning "v2"
    lam = aws_client("lambda")
    name = make_function({"app.py": "def handler(event, context):\n    return 'v1'\n"})
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.update_function_code(
        FunctionName=name, ZipFile=lambda_zip({"app.py": "def handler(event, context):\n    return 'v2'\n"})
    )
    # When it is invoked with Qualifier, with a qualified name, and unqualified
    # Then the qualifier decides what runs, however it is given
    assert invoke(name, Qualifier="live")[0] == "v1"
    assert invoke(name, Qualifier=version)[0] == "v1"
    assert invoke(f"{name}:live")[0] == "v1"
    assert invoke(name)[0] == "v2"


def test_a_start_execution_task_starts_the_named_execution_and_names_a_repeat(aws_client):
    # Given a target machine and a machine whose Task starts it with the states:startExecution integration
    sfn = aws_client("stepfunctions")
    target = sfn.create_state_machine(
        name=f"t-{uuid.uuid4().hex[:8]}",
        definition=_machine({"A": {"Type": "Pass", "End": True}}),
        roleArn=SFN_ROLE,
    )["stateMachineArn"]
    name = f"compat-{uuid.uuid4().hex[:8]}"
    starter = _machine(
        {
            "A": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution",
                "Parameters": {"StateMachineArn": target, "Name": name, "Input": {"span.$": "$.span"}},
                "ResultSelector": {"arn.$": "$.ExecutionArn", "startDate.$": "$.StartDate"},
                "Catch": [
                    {
                        "ErrorEquals": ["StepFunctions.ExecutionAlreadyExistsException"],
                        "ResultPath": "$.error",
                        "Next": "Repeat",
                    }
                ],
                "End": True,
            },
            "Repeat": {"Type": "Pass", "Parameters": {"repeat.$": "$.error.Error"}, "End": True},
        }
    )
    # When it runs
    first = _run(aws_client, starter, json.dumps({"span": ["2024-01-02", "2024-01-03"]}))
    # Then the target's execution of that name ran with the input as JSON, and the task returned its ARN
    assert first["status"] == "SUCCEEDED", (first.get("error"), first.get("cause"))
    arn = target.replace(":stateMachine:", ":execution:") + f":{name}"
    assert json.loads(first["output"])["arn"] == arn
    assert isinstance(json.loads(first["output"])["startDate"], int)
    assert json.loads(_finished(sfn, arn)["input"]) == {"span": ["2024-01-02", "2024-01-03"]}
    # And a second start of the finished execution's name with other input fails with AWS's error name
    second = _run(aws_client, starter, json.dumps({"span": ["2024-01-04"]}))
    assert json.loads(second["output"]) == {"repeat": "StepFunctions.ExecutionAlreadyExistsException"}
