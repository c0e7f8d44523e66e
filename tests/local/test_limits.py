"""AWS's Step Functions and Lambda limits, hit at AWS's sizes by the local AWS (compat and executor).

Each limit is approached from both sides: a payload of exactly the quota passes, one byte more fails with the
error AWS gives. Sizes are built with one padding string whose length adds exactly one byte per character,
so each test states the size it sends rather than trusting a helper's arithmetic.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from movers.local import compat, executor

SFN_ROLE = "arn:aws:iam::123456789012:role/sfn-test"  # conftest's session role: the local AWS enforces IAM
QUOTA = 262_144


def compact(value: Any) -> int:
    """The size Step Functions counts: compact JSON, UTF-8."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def text(value: Any) -> str:
    """Compact JSON text, as sent: its UTF-8 size is :func:`compact`."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def padded(make: Callable[[str], Any], size: int) -> Any:
    """``make(pad)`` with the ASCII pad chosen so that the value's compact JSON is exactly ``size`` bytes."""
    base = compact(make(""))
    value = make("z" * (size - base))
    assert compact(value) == size
    return value


def _create(aws_client, states: dict[str, Any], start: str) -> str:
    definition = json.dumps({"StartAt": start, "States": states})
    sfn = aws_client("stepfunctions")
    return sfn.create_state_machine(
        name=f"lim-{uuid.uuid4().hex[:8]}", definition=definition, roleArn=SFN_ROLE
    )["stateMachineArn"]


def _finish(aws_client, execution_arn: str, timeout_s: float = 120.0) -> dict[str, Any]:
    sfn = aws_client("stepfunctions")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING":
            return dict(described)
        time.sleep(0.05)
    raise AssertionError(f"execution {execution_arn} still running")


def _run(aws_client, states: dict[str, Any], execution_input: Any = None, start: str = "A") -> dict[str, Any]:
    arn = _create(aws_client, states, start)
    body = text(execution_input if execution_input is not None else {})
    execution = aws_client("stepfunctions").start_execution(stateMachineArn=arn, input=body)["executionArn"]
    return _finish(aws_client, execution)


def _history(aws_client, execution_arn: str) -> list[dict[str, Any]]:
    pages = aws_client("stepfunctions").get_paginator("get_execution_history")
    return [event for page in pages.paginate(executionArn=execution_arn) for event in page["events"]]


# --- pure measures ----------------------------------------------------------------------------------


def test_state_payload_is_counted_as_compact_utf8_json():
    # Given values with many keys and non-ASCII text, when measured, then the size is that of the compact
    # UTF-8 JSON (no ", " separators, "é" as 2 bytes, not a 6-byte \u00e9 escape).
    assert compat.state_payload_bytes({"a": 1, "b": [1, 2]}) == len('{"a":1,"b":[1,2]}')
    assert compat.state_payload_bytes({"t": "é"}) == len('{"t":""}') + 2
    assert compat.state_payload_bytes('{"x": 1}') == 8  # JSON text is counted as given
    stamp = datetime(2024, 1, 2, tzinfo=UTC)  # e.g. from an SDK response: text in the history
    assert compat.state_payload_bytes({"t": stamp}) == len('{"t":"2024-01-02T00:00:00+00:00"}')
    assert compat.is_within_state_payload_quota("x" * QUOTA)
    assert not compat.is_within_state_payload_quota("x" * (QUOTA + 1))


def test_environment_is_measured_as_its_compact_json_object():
    assert compat.environment_bytes({"A": "1", "BB": "22"}) == (
        len('{"A":"1","BB":"22"}'),
        '{"A":"1","BB":"22"}',
    )
    assert compat.environment_bytes(None) == (2, "{}")


# --- Step Functions: 256 KiB -------------------------------------------------------------------------


def test_execution_input_of_exactly_256_kib_runs_and_one_byte_more_is_refused(aws_client):
    # Given a pass-through machine, when started with an input of exactly 262,144 UTF-8 bytes, then it runs
    # (every state input and output is that size too); with 262,145 bytes StartExecution is refused with
    # AWS's ValidationException before anything runs.
    arn = _create(aws_client, {"A": {"Type": "Pass", "End": True}}, "A")
    sfn = aws_client("stepfunctions")
    fits = padded(lambda pad: {"p": "é" * 1000 + pad}, QUOTA)
    execution = sfn.start_execution(stateMachineArn=arn, input=text(fits))
    assert _finish(aws_client, execution["executionArn"])["status"] == "SUCCEEDED"

    over = padded(lambda pad: {"p": pad}, QUOTA + 1)
    with pytest.raises(ClientError) as refused:
        sfn.start_execution(stateMachineArn=arn, input=text(over))
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert refused.value.response["Error"]["Message"] == (
        "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have size "
        "less than or equal to 262144 bytes in UTF-8 encoding"
    )


@pytest.mark.parametrize(("size", "status"), [(QUOTA, "SUCCEEDED"), (QUOTA + 1, "FAILED")])
def test_a_state_output_at_the_quota_passes_and_one_byte_more_fails(aws_client, size, status):
    # Given a Pass state whose output (its Result, with many keys and non-ASCII text: moto counted those
    # with spaces and \u escapes) is exactly `size` bytes, when it runs, then 262,144 passes and 262,145
    # fails the execution with States.DataLimitExceeded.
    result = padded(lambda pad: {"k": list(range(2000)), "t": "ü€" * 2000, "p": pad}, size)
    described = _run(aws_client, {"A": {"Type": "Pass", "Result": result, "End": True}})
    assert described["status"] == status
    if status == "FAILED":
        assert described["error"] == "States.DataLimitExceeded"
        assert "'A' returned a result with a size exceeding the maximum number of bytes" in described["cause"]
    else:
        assert compact(json.loads(described["output"])) == QUOTA


@pytest.mark.parametrize(("size", "status"), [(QUOTA, "SUCCEEDED"), (QUOTA + 1, "FAILED")])
def test_a_task_result_at_the_quota_passes_and_one_byte_more_fails(aws_client, make_function, size, status):
    # Given a function returning a result of `size` bytes to a Task that names it by ARN (its result is the
    # function's response alone), when the Task runs, then 262,144 passes and 262,145 fails with
    # States.DataLimitExceeded naming the function, and a Catch on States.ALL does not catch it (AWS: a
    # terminal error), so the handler never runs.
    result = padded(lambda pad: {"r": pad}, size)
    name = make_function(
        {"app.py": f"def handler(event, context):\n    return {{'r': 'z' * {len(result['r'])}}}\n"}
    )
    fn_arn = aws_client("lambda").get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    states = {
        "A": {
            "Type": "Task",
            "Resource": fn_arn,
            "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Handled"}],
            "End": True,
        },
        "Handled": {"Type": "Pass", "End": True},
    }
    described = _run(aws_client, states)
    assert described["status"] == status
    if status == "FAILED":
        assert described["error"] == "States.DataLimitExceeded"
        assert f"'{fn_arn}' returned a result with a size exceeding" in described["cause"]
        entered = [
            e for e in _history(aws_client, described["executionArn"]) if "stateEnteredEventDetails" in e
        ]
        assert [e["stateEnteredEventDetails"]["name"] for e in entered] == ["A"]


def test_a_lambda_invoke_result_over_the_quota_fails(aws_client, make_function):
    # Given the optimized lambda:invoke integration (its result wraps the payload), when the payload alone
    # is over 262,144 bytes, then the Task fails with States.DataLimitExceeded.
    name = make_function({"app.py": f"def handler(event, context):\n    return 'z' * {QUOTA}\n"})
    states = {
        "A": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": name, "Payload": {}},
            "End": True,
        }
    }
    described = _run(aws_client, states)
    assert (described["status"], described["error"]) == ("FAILED", "States.DataLimitExceeded")


@pytest.mark.parametrize(("size", "status"), [(QUOTA, "SUCCEEDED"), (QUOTA + 1, "FAILED")])
def test_a_task_input_built_by_parameters_is_checked_before_the_call(aws_client, make_function, size, status):
    # Given a Task whose Parameters double a 100 KB input field into a `size`-byte request, when it runs,
    # then 262,144 bytes reach the function and 262,145 fail with States.DataLimitExceeded before any
    # call (no LambdaFunctionScheduled/TaskScheduled event), as AWS checks "after Parameters processing".
    name = make_function({"app.py": "def handler(event, context):\n    return {'got': len(str(event))}\n"})
    half = "h" * 100_000

    def params(pad: str) -> dict[str, Any]:
        return {"FunctionName": name, "Payload": {"a": half, "b": half, "c": pad}}

    pad = padded(params, size)["Payload"]["c"]
    states = {
        "A": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": name, "Payload": {"a.$": "$.h", "b.$": "$.h", "c": pad}},
            "ResultSelector": {"got.$": "$.Payload.got"},
            "End": True,
        }
    }
    described = _run(aws_client, states, {"h": half})
    assert described["status"] == status
    if status == "FAILED":
        assert described["error"] == "States.DataLimitExceeded"
        types = [e["type"] for e in _history(aws_client, described["executionArn"])]
        assert "TaskScheduled" not in types and "LambdaFunctionScheduled" not in types


@pytest.mark.parametrize(("size", "status"), [(QUOTA, "SUCCEEDED"), (QUOTA + 1, "FAILED")])
def test_a_map_iteration_input_built_by_item_selector_is_checked(aws_client, size, status):
    # Given a Map whose ItemSelector builds a `size`-byte iteration input from a smaller state input, when
    # it runs, then 262,144 passes and 262,145 fails with States.DataLimitExceeded.
    half = "h" * 100_000
    pad = padded(lambda p: {"a": half, "b": half, "i": 1, "c": p}, size)["c"]
    states = {
        "A": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemSelector": {"a.$": "$.h", "b.$": "$.h", "i.$": "$$.Map.Item.Value", "c": pad},
            "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Pass", "Result": "ok", "End": True}}},
            "ResultPath": "$.done",
            "End": True,
        }
    }
    described = _run(aws_client, states, {"h": half, "items": [1]})
    assert described["status"] == status
    if status == "FAILED":
        assert described["error"] == "States.DataLimitExceeded"


# --- Step Functions: 25,000 history events -----------------------------------------------------------


def _loop_machine() -> dict[str, Any]:
    # One loop round is 4 events (Pass entered/exited, Choice entered/exited); with ExecutionStarted and
    # the Succeed state's 3 events, n rounds make 4n + 4 events.
    return {
        "Count": {
            "Type": "Pass",
            "Parameters": {"n.$": "States.MathAdd($.n, 1)", "limit.$": "$.limit"},
            "Next": "More?",
        },
        "More?": {
            "Type": "Choice",
            "Choices": [{"Variable": "$.n", "NumericLessThanPath": "$.limit", "Next": "Count"}],
            "Default": "Done",
        },
        "Done": {"Type": "Succeed"},
    }


@pytest.mark.parametrize(("rounds", "status"), [(6249, "SUCCEEDED"), (6250, "FAILED")])
def test_an_execution_over_25000_history_events_fails_with_the_25000th(aws_client, rounds, status):
    # Given a loop of `rounds` rounds (6,249 rounds: exactly 25,000 events; 6,250: 25,004), when it runs,
    # then 25,000 events succeed, and one more round fails the execution as AWS does: event 25,000 is
    # ExecutionFailed (States.Runtime, "The execution reached the maximum number of history events
    # (25000).") following event 24,999, and nothing is recorded after it.
    described = _run(aws_client, _loop_machine(), {"n": 0, "limit": rounds}, start="Count")
    assert described["status"] == status
    sfn = aws_client("stepfunctions")
    newest = sfn.get_execution_history(
        executionArn=described["executionArn"], reverseOrder=True, maxResults=2
    )
    final, before = newest["events"]
    assert newest["nextToken"]  # 24,998 more events behind these two
    assert final["id"] == 25_000
    if status == "SUCCEEDED":
        assert final["type"] == "ExecutionSucceeded"
        return
    assert (described["error"], described["cause"]) == (
        "States.Runtime",
        "The execution reached the maximum number of history events (25000).",
    )
    assert final["type"] == "ExecutionFailed" and final["previousEventId"] == 24_999 == before["id"]
    assert final["executionFailedEventDetails"] == {
        "error": "States.Runtime",
        "cause": "The execution reached the maximum number of history events (25000).",
    }


# --- Lambda: 4 KB environment ------------------------------------------------------------------------


def _environment(size: int) -> dict[str, str]:
    return padded(lambda pad: {"TABLE": "t", "PAD": pad}, size)


@pytest.mark.parametrize("size", [4096, 4097])
def test_create_function_refuses_an_environment_over_4_kb(aws_client, lambda_role, lambda_zip, size):
    # Given variables whose JSON object is `size` bytes, when a function is created with them, then 4,096
    # bytes are stored and 4,097 are refused with Lambda's InvalidParameterValueException.
    create = {
        "FunctionName": f"env-{uuid.uuid4().hex[:8]}",
        "Runtime": "python3.12",
        "Role": lambda_role,
        "Handler": "app.handler",
        "Code": {"ZipFile": lambda_zip({"app.py": "def handler(e, c):\n    return 1\n"})},
        "Environment": {"Variables": _environment(size)},
    }
    lam = aws_client("lambda")
    if size <= 4096:
        stored = lam.create_function(**create)["Environment"]["Variables"]
        assert stored == create["Environment"]["Variables"]
        return
    with pytest.raises(ClientError) as refused:
        lam.create_function(**create)
    error = refused.value.response["Error"]
    assert error["Code"] == "InvalidParameterValueException"
    assert error["Message"].startswith(
        "Lambda was unable to configure your environment variables because the environment variables you "
        'have provided exceeded the 4KB limit. String measured: {"TABLE":"t","PAD":"zzz'
    )
    with pytest.raises(ClientError):
        lam.get_function(FunctionName=create["FunctionName"])  # nothing half-created


def test_update_function_configuration_refuses_an_environment_over_4_kb(aws_client, make_function):
    # Given a function, when its variables are updated to 4,096 bytes they are stored; to 4,097 bytes the
    # update is refused and the 4,096-byte variables stay.
    name = make_function({"app.py": "def handler(e, c):\n    return 1\n"})
    lam = aws_client("lambda")
    lam.update_function_configuration(FunctionName=name, Environment={"Variables": _environment(4096)})
    with pytest.raises(ClientError) as refused:
        lam.update_function_configuration(FunctionName=name, Environment={"Variables": _environment(4097)})
    assert refused.value.response["Error"]["Code"] == "InvalidParameterValueException"
    kept = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    assert kept == _environment(4096)


# --- Lambda: 6 MB synchronous payloads ---------------------------------------------------------------


@pytest.fixture(scope="module")
def echo_size(make_function) -> str:
    """A function that answers the size of the event it got (an ASCII JSON string)."""
    return make_function({"app.py": "def handler(event, context):\n    return len(event)\n"}, timeout=30)


def test_an_invoke_request_of_6_mib_runs_and_one_byte_more_is_refused(aws_client, echo_size):
    # Given a JSON string event of exactly 6,291,456 bytes, when invoked synchronously, then the function
    # runs; with 6,291,457 bytes Invoke answers 413 RequestTooLargeException and nothing runs.
    lam = aws_client("lambda")
    fits = json.dumps("e" * (6_291_456 - 2))
    resp = lam.invoke(FunctionName=echo_size, Payload=fits)
    assert "FunctionError" not in resp and json.loads(resp["Payload"].read()) == 6_291_456 - 2
    with pytest.raises(ClientError) as refused:
        lam.invoke(FunctionName=echo_size, Payload=json.dumps("e" * (6_291_457 - 2)))
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413
    assert refused.value.response["Error"]["Code"] == "RequestTooLargeException"
    assert refused.value.response["Error"]["Message"] == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )


@pytest.mark.parametrize("size", [6_291_556, 6_291_557])
def test_an_invoke_response_over_6_mb_is_replaced_by_lambdas_error(aws_client, make_function, size):
    # Given a handler returning a JSON string response of `size` bytes, when invoked, then 6,291,556 bytes
    # are delivered whole (moto cut at 6,000,000) and one byte more becomes Lambda's
    # Function.ResponseSizeTooLarge function error.
    name = make_function(
        {"app.py": f"def handler(event, context):\n    return 'r' * {size - 2}\n"}, timeout=30
    )
    resp = aws_client("lambda").invoke(FunctionName=name, Payload="{}")
    body = resp["Payload"].read()
    if size == executor.RESPONSE_MAX_BYTES:
        assert "FunctionError" not in resp and len(body) == size
        return
    assert resp["FunctionError"] == "Unhandled"
    assert json.loads(body) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size (6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }


# --- execution history paging (what makes reading the newest of 25,000 events cheap) ----------------


def test_execution_history_pages_as_aws_does(aws_client):
    # Given an execution of 6 events, when its history is read two at a time, then pages follow nextToken
    # to the end in order, reverseOrder starts from the newest, and no maxResults means AWS's 100.
    described = _run(aws_client, {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "End": True}})
    sfn = aws_client("stepfunctions")
    arn = described["executionArn"]
    ids, token = [], None
    while True:
        page = sfn.get_execution_history(
            executionArn=arn, maxResults=2, **({"nextToken": token} if token else {})
        )
        assert len(page["events"]) <= 2
        ids += [e["id"] for e in page["events"]]
        token = page.get("nextToken")
        if not token:
            break
    assert ids == list(range(1, 7))
    newest = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)
    assert [e["type"] for e in newest["events"]] == ["ExecutionSucceeded"] and newest["nextToken"]
    assert len(sfn.get_execution_history(executionArn=arn)["events"]) == 6
    with pytest.raises(ClientError) as bad:
        sfn.get_execution_history(executionArn=arn, nextToken="not-a-token")
    assert bad.value.response["Error"]["Code"] == "InvalidToken"


def test_json_path_expressions_are_parsed_once():
    # Given the fixes applied (the interpreter re-parsed every JSONPath on every use: 6 ms each), when one
    # expression is parsed twice, then the same parsed object comes back.
    from moto.stepfunctions.parser.asl.utils import json_path

    compat.apply()
    assert json_path.parse("$.limits.x") is json_path.parse("$.limits.x")
