"""The local AWS delivers PutEvents on a custom bus to that bus's rules' Lambda targets, as AWS does, and
sends an asynchronous invoke that keeps failing to the function's on-failure destination
(compat.fix_lambda_async_on_failure_destination): the two paths of the market-data bus's processor.

The market-data bus (infrastructure/push.tf) is a custom bus whose one rule matches every event of the
account and invokes the push_bars function's `live` alias. moto routes PutEvents by EventBusName to the
bus's rules, and compat.fix_events_lambda_and_sns_targets invokes Lambda targets asynchronously: this test
pins that chain for a custom bus (no further compat fix is needed) and that the default bus's rules do not
see the custom bus's events.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

ACCOUNT = "123456789012"


def _logged(aws_client: Any, function: str, marker: str, timeout_s: float = 20.0) -> list[dict[str, Any]]:
    """The events the function printed (lines `<marker> <json>`), waiting up to `timeout_s`."""
    logs, found = aws_client("logs"), []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            lines = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            lines = []
        found = [
            json.loads(e["message"][len(marker) + 1 :]) for e in lines if e["message"].startswith(marker)
        ]
        if found:
            return found
        time.sleep(0.2)
    return found


def test_put_events_on_a_custom_bus_invokes_the_bus_rules_lambda_alias(aws_client, make_function) -> None:
    # Given a custom bus whose rule matches every event of the account, targeting a function's alias
    events, lam = aws_client("events"), aws_client("lambda")
    fn = make_function({"app.py": "import json\ndef handler(e, c):\n    print('BUS ' + json.dumps(e))\n"})
    version = lam.publish_version(FunctionName=fn)["Version"]
    alias_arn = lam.create_alias(FunctionName=fn, Name="live", FunctionVersion=version)["AliasArn"]
    bus = f"market-data-{uuid.uuid4().hex[:8]}"
    events.create_event_bus(Name=bus)
    rule_arn = events.put_rule(
        Name="bars", EventBusName=bus, EventPattern=json.dumps({"account": [ACCOUNT]})
    )["RuleArn"]
    events.put_targets(Rule="bars", EventBusName=bus, Targets=[{"Id": "fn", "Arn": alias_arn}])
    lam.add_permission(FunctionName=fn, Qualifier="live", StatementId="bus", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=rule_arn)  # fmt: skip
    # And a rule on the default bus with the same pattern and a function of its own
    other = make_function(
        {"app.py": "import json\ndef handler(e, c):\n    print('DEFAULT ' + json.dumps(e))\n"}
    )
    other_arn = lam.get_function(FunctionName=other)["Configuration"]["FunctionArn"]
    default_rule = f"all-{uuid.uuid4().hex[:8]}"
    default_arn = events.put_rule(
        Name=default_rule, EventPattern=json.dumps({"source": ["com.example.feed"]})
    )["RuleArn"]
    events.put_targets(Rule=default_rule, Targets=[{"Id": "fn", "Arn": other_arn}])
    lam.add_permission(FunctionName=other, StatementId="default", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com", SourceArn=default_arn)  # fmt: skip
    # When a Daily Bar event is put on the custom bus
    detail = {"ticker": "AAPL", "date": "2026-01-05", "close": "102"}
    entry = {"EventBusName": bus, "Source": "com.example.feed", "DetailType": "Daily Bar",
             "Detail": json.dumps(detail)}  # fmt: skip
    answer = events.put_events(Entries=[entry])
    # Then PutEvents succeeds and the alias gets the whole event, in AWS's shape
    assert answer["FailedEntryCount"] == 0
    (got,) = _logged(aws_client, fn, "BUS")
    assert (got["source"], got["detail-type"], got["detail"]) == ("com.example.feed", "Daily Bar", detail)
    assert got["id"] == answer["Entries"][0]["EventId"] and got["account"] == ACCOUNT
    assert isinstance(got["time"], str) and got["time"].endswith("Z")
    # And the default bus's rule never saw it
    assert _logged(aws_client, other, "DEFAULT", timeout_s=1.0) == []


# --- fix_lambda_async_on_failure_destination ------------------------------------------------------------


def _queue(aws_client: Any) -> tuple[str, str]:
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _received(aws_client: Any, url: str, timeout_s: float) -> list[dict[str, Any]]:
    sqs, got = aws_client("sqs"), []
    deadline = time.monotonic() + timeout_s
    while not got and time.monotonic() < deadline:
        got = [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        ]
    return got


FAILING = "def handler(e, c):\n    print('TRY')\n    raise ValueError('feed store down')\n"


def test_an_async_invoke_that_keeps_failing_is_retried_then_sent_to_its_on_failure_destination(
    aws_client, make_function
) -> None:
    # Given a function that always raises, with one retry and an SQS on-failure destination
    lam = aws_client("lambda")
    fn = make_function({"app.py": FAILING})
    url, queue_arn = _queue(aws_client)
    on_failure = {"OnFailure": {"Destination": queue_arn}}
    lam.put_function_event_invoke_config(
        FunctionName=fn, MaximumRetryAttempts=1, DestinationConfig=on_failure
    )
    # When it is invoked asynchronously
    answer = lam.invoke(FunctionName=fn, InvocationType="Event", Payload=json.dumps({"bar": "AAPL"}))
    assert answer["StatusCode"] == 202
    # Then after the first attempt and its one retry, the invocation record lands in the queue
    (record,) = _received(aws_client, url, 30)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"bar": "AAPL"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["errorMessage"] == "feed store down"
    assert len(_logged_lines(aws_client, fn, "TRY")) == 2


def test_an_async_invoke_that_succeeds_or_has_no_destination_sends_nothing(aws_client, make_function) -> None:
    lam = aws_client("lambda")
    ok = make_function({"app.py": "def handler(e, c):\n    print('OK')\n    return 1\n"})
    url, queue_arn = _queue(aws_client)
    lam.put_function_event_invoke_config(
        FunctionName=ok, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    lam.invoke(FunctionName=ok, InvocationType="Event", Payload="{}")
    assert len(_logged_lines(aws_client, ok, "OK")) == 1
    # And a failing function without a destination is run once, as before (its error only in the logs)
    plain = make_function({"app.py": FAILING})
    lam.invoke(FunctionName=plain, InvocationType="Event", Payload="{}")
    assert len(_logged_lines(aws_client, plain, "TRY")) == 1
    assert _received(aws_client, url, 1.5) == []


def _logged_lines(aws_client: Any, function: str, text: str, timeout_s: float = 20.0) -> list[str]:
    logs, found = aws_client("logs"), []
    deadline = time.monotonic() + timeout_s
    while not found and time.monotonic() < deadline:
        try:
            events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
        except logs.exceptions.ResourceNotFoundException:
            events = []
        found = [e["message"] for e in events if e["message"].startswith(text)]
        time.sleep(0.2)
    time.sleep(1.0)  # and no more lines arrive
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/{function}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        events = []
    return [e["message"] for e in events if e["message"].startswith(text)]
