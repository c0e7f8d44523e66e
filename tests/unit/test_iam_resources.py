"""Which IAM action and resource each API request is authorized against (movers.local.iam_resources)."""

from __future__ import annotations

from typing import Any

import pytest

from movers.local.iam_resources import Access, Call, resolve
from stock_movers.execution_names import daily_execution_name

A = "123456789012"
R = "us-east-1"


def call(
    service: str, operation: str, params: dict[str, Any] | None = None, path: str = "", **kw: Any
) -> Call:
    return Call(service, operation, params or {}, R, A, path, **kw)


def test_dynamodb_item_calls_use_the_table_arn_and_index_queries_the_index_arn() -> None:
    assert resolve(call("dynamodb", "GetItem", {"TableName": "movers"})) == [
        Access("dynamodb:GetItem", f"arn:aws:dynamodb:{R}:{A}:table/movers")
    ]
    assert resolve(call("dynamodb", "Query", {"TableName": "movers", "IndexName": "by-date"})) == [
        Access("dynamodb:Query", f"arn:aws:dynamodb:{R}:{A}:table/movers/index/by-date")
    ]


def test_a_dynamodb_transaction_needs_each_items_own_action_on_its_table() -> None:
    items = [
        {"Put": {"TableName": "movers", "Item": {}}},
        {"Update": {"TableName": "control", "Key": {}}},
        {"ConditionCheck": {"TableName": "movers", "Key": {}}},
        {"Put": {"TableName": "movers", "Item": {}}},
    ]
    assert resolve(call("dynamodb", "TransactWriteItems", {"TransactItems": items})) == [
        Access("dynamodb:PutItem", f"arn:aws:dynamodb:{R}:{A}:table/movers"),
        Access("dynamodb:UpdateItem", f"arn:aws:dynamodb:{R}:{A}:table/control"),
        Access("dynamodb:ConditionCheckItem", f"arn:aws:dynamodb:{R}:{A}:table/movers"),
    ]


def test_a_dynamodb_batch_write_is_authorized_per_table() -> None:
    got = resolve(call("dynamodb", "BatchWriteItem", {"RequestItems": {"a": [], "b": []}}))
    assert [x.resource.rsplit("/", 1)[1] for x in got] == ["a", "b"]
    assert {x.action for x in got} == {"dynamodb:BatchWriteItem"}


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        ("/2015-03-31/functions/store/invocations", {}, f"arn:aws:lambda:{R}:{A}:function:store"),
        (
            f"/2015-03-31/functions/arn%3Aaws%3Alambda%3A{R}%3A{A}%3Afunction%3Astore/invocations",
            {},
            f"arn:aws:lambda:{R}:{A}:function:store",
        ),
        (
            f"/2015-03-31/functions/arn:aws:lambda:{R}:{A}:function:store:live/invocations",
            {},
            f"arn:aws:lambda:{R}:{A}:function:store:live",
        ),
        (
            "/2015-03-31/functions/store/invocations",
            {"Qualifier": "3"},
            f"arn:aws:lambda:{R}:{A}:function:store:3",
        ),
    ],
)
def test_lambda_invoke_is_invoke_function_on_the_function_arn(
    path: str, query: dict[str, str], expected: str
) -> None:
    assert resolve(call("awslambda", "Invoke", query, path)) == [Access("lambda:InvokeFunction", expected)]


def test_step_functions_use_the_machine_or_execution_arn() -> None:
    machine = f"arn:aws:states:{R}:{A}:stateMachine:ingest"
    execution = f"arn:aws:states:{R}:{A}:execution:ingest:{daily_execution_name('2026-11-20')}"
    assert resolve(call("stepfunctions", "StartExecution", {"stateMachineArn": machine})) == [
        Access("states:StartExecution", machine)
    ]
    assert resolve(call("stepfunctions", "DescribeExecution", {"executionArn": execution})) == [
        Access("states:DescribeExecution", execution)
    ]


def test_a_secret_named_by_name_resolves_to_its_full_arn() -> None:
    full = f"arn:aws:secretsmanager:{R}:{A}:secret:key-AbCdEf"
    got = resolve(call("secretsmanager", "GetSecretValue", {"SecretId": "key"}, lookup=lambda k, n: full))
    assert got == [Access("secretsmanager:GetSecretValue", full)]


def test_put_events_is_authorized_per_bus_default_when_unnamed() -> None:
    entries = [
        {"Source": "a"},
        {"Source": "b", "EventBusName": "other"},
        {"Source": "c", "EventBusName": "default"},
    ]
    assert resolve(call("events", "PutEvents", {"Entries": entries})) == [
        Access("events:PutEvents", f"arn:aws:events:{R}:{A}:event-bus/default"),
        Access("events:PutEvents", f"arn:aws:events:{R}:{A}:event-bus/other"),
    ]


def test_sns_sqs_logs_and_metrics() -> None:
    topic = f"arn:aws:sns:{R}:{A}:report"
    assert resolve(call("sns", "Publish", {"TopicArn": topic})) == [Access("sns:Publish", topic)]
    assert resolve(call("sqs", "SendMessage", {"QueueUrl": f"http://127.0.0.1:1/{A}/dlq"})) == [
        Access("sqs:SendMessage", f"arn:aws:sqs:{R}:{A}:dlq")
    ]
    assert resolve(call("logs", "PutLogEvents", {"logGroupName": "/aws/lambda/f", "logStreamName": "s"})) == [
        Access("logs:PutLogEvents", f"arn:aws:logs:{R}:{A}:log-group:/aws/lambda/f:log-stream:s")
    ]
    assert resolve(call("cloudwatch", "PutMetricData", {"Namespace": "StockMovers"})) == [
        Access("cloudwatch:PutMetricData", "*", {"cloudwatch:namespace": "StockMovers"})
    ]


def test_s3_takes_motos_resource_and_renames_list_actions_to_iams() -> None:
    assert resolve(call("s3", "GetObject", {"Resource": "arn:aws:s3:::b/raw/k"})) == [
        Access("s3:GetObject", "arn:aws:s3:::b/raw/k")
    ]
    assert resolve(call("s3", "ListObjectsV2", {"Resource": "arn:aws:s3:::b"})) == [
        Access("s3:ListBucket", "arn:aws:s3:::b")
    ]


def test_any_other_service_is_prefix_action_on_star() -> None:
    assert resolve(call("scheduler", "GetSchedule", {"Name": "x"})) == [Access("scheduler:GetSchedule", "*")]
