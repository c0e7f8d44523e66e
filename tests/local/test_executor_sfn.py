"""The real ASL on moto's interpreter sees Lambda errors by class name: Retry and Catch work as on AWS."""

from __future__ import annotations

import json
import time
import uuid

import pytest

FETCH = {
    "app.py": """
        import os
        import boto3

        class RateLimited(Exception):
            pass

        class BadTicker(Exception):
            pass

        def handler(event, context):
            ticker = event["ticker"]
            if ticker == "BAD":
                raise BadTicker(f"unknown ticker {ticker}")
            # The first call per ticker is rate limited; DynamoDB holds the attempt count for all workers.
            table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
            attempts = table.update_item(
                Key={"pk": ticker},
                UpdateExpression="ADD attempts :one",
                ExpressionAttributeValues={":one": 1},
                ReturnValues="UPDATED_NEW",
            )["Attributes"]["attempts"]
            if attempts == 1:
                raise RateLimited(f"429 for {ticker}")
            return {"ticker": ticker, "attempts": int(attempts)}
        """
}


def _definition(function_arn: str) -> str:
    return json.dumps(
        {
            "StartAt": "Fetch",
            "States": {
                "Fetch": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                    "ResultSelector": {"result.$": "$.Payload"},
                    "Retry": [
                        {
                            "ErrorEquals": ["RateLimited"],
                            "IntervalSeconds": 5,
                            "MaxAttempts": 3,
                            "BackoffRate": 2,
                        }
                    ],
                    "Catch": [{"ErrorEquals": ["BadTicker"], "ResultPath": "$.error", "Next": "Skipped"}],
                    "Next": "Done",
                },
                "Skipped": {"Type": "Pass", "Result": "skipped", "ResultPath": "$.outcome", "End": True},
                "Done": {"Type": "Succeed"},
            },
        }
    )


def _wait(sfn, execution_arn: str) -> dict:
    for _ in range(600):
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("execution did not finish")


@pytest.mark.timeout(60)
def test_given_a_rate_limited_then_bad_ticker_when_run_then_retry_and_catch_match_class_names(
    aws_client, make_function
):
    # Given a table for attempt counts, the fetch function and a state machine with Retry and Catch
    table = f"attempts-{uuid.uuid4().hex[:6]}"
    aws_client("dynamodb").create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    name = make_function(FETCH, env={"TABLE": table})
    function_arn = aws_client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    sfn = aws_client("stepfunctions")
    machine = sfn.create_state_machine(
        name=f"fetch-{uuid.uuid4().hex[:6]}",
        definition=_definition(function_arn),
        roleArn="arn:aws:iam::123456789012:role/sfn-test",  # conftest.sfn_test_role
    )["stateMachineArn"]

    # When a ticker is rate limited once (Retry interval 5 s, scaled by 0.01)
    ok = sfn.start_execution(stateMachineArn=machine, name="aapl", input=json.dumps({"ticker": "AAPL"}))
    described = _wait(sfn, ok["executionArn"])

    # Then it succeeds on the second attempt, and the history shows the failed attempt named RateLimited
    assert described["status"] == "SUCCEEDED", described
    events = sfn.get_execution_history(executionArn=ok["executionArn"])["events"]
    failures = [e["taskFailedEventDetails"] for e in events if e["type"] == "TaskFailed"]
    assert [f["error"] for f in failures] == ["RateLimited"]
    assert json.loads(failures[0]["cause"])["errorMessage"] == "429 for AAPL"
    assert sum(e["type"] == "TaskScheduled" for e in events) == 2

    # When a ticker raises BadTicker
    bad = sfn.start_execution(stateMachineArn=machine, name="bad", input=json.dumps({"ticker": "BAD"}))
    described = _wait(sfn, bad["executionArn"])

    # Then the Catch on the class name routes to Skipped with the error in the state
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["outcome"] == "skipped"
    assert output["error"]["Error"] == "BadTicker"
    assert json.loads(output["error"]["Cause"])["errorType"] == "BadTicker"
    events = sfn.get_execution_history(executionArn=bad["executionArn"])["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"] == "PassStateEntered"]
    assert entered == ["Skipped"]
