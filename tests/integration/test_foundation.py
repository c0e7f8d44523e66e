"""Issue 2 acceptance on the local AWS: Terraform applies the whole stack, a second plan is clean, and an
execution started with boto3 or the AWS CLI runs our real Lambda code from the deployed zips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stock_movers.execution_names import daily_execution_name
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack


@pytest.mark.runs_first  # other stack tests publish versions and move aliases as an operator would
def test_second_plan_shows_no_changes(stack: StackHandle) -> None:
    # Given the applied stack, when Terraform plans again with the same inputs, then nothing drifts
    # (reproducible zips keep source_code_hash stable; every attribute round-trips through the local AWS).
    assert stack.stack.terraform.plan_changes() == []


def test_every_resource_is_created(stack: StackHandle) -> None:
    state = json.loads(stack.stack.terraform.state.read_text())
    types = {r["type"] for r in state["resources"] if r["mode"] == "managed"}
    for expected in (
        "aws_s3_bucket", "aws_dynamodb_table", "aws_lambda_function", "aws_lambda_layer_version",
        "aws_sfn_state_machine", "aws_iam_role", "aws_cloudwatch_log_group", "aws_secretsmanager_secret",
    ):  # fmt: skip
        assert expected in types


def test_execution_runs_our_lambda_code_and_logs_to_cloudwatch(stack: StackHandle) -> None:
    # Given a session of the dataset, when the ingest machine runs for it
    day = "2026-11-18"
    desc = stack.run("ingest", f"foundation-{day}", {"date": day})
    # then it succeeded, our store function wrote the winner item, and our functions' log lines are in
    # CloudWatch Logs under /aws/lambda/<name>, like in AWS.
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    item = stack.winner(day)
    assert item is not None and item["ExecutionArn"]["S"] == desc["executionArn"]
    store_fn = stack.outputs["function_names"]["store_day"]
    events = stack.logs.filter_log_events(logGroupName=f"/aws/lambda/{store_fn}")["events"]
    messages = [e["message"] for e in events]
    assert any(f"Success: Stored {item['Ticker']['S']} for {day}" in m for m in messages)
    assert any(m.startswith("REPORT RequestId:") for m in messages)


def test_named_exception_is_caught_by_its_name(stack: StackHandle) -> None:
    # Given malformed input, when the machine runs, then validate_input raises InvalidInput, the Catch on the
    # Task routes it to "Run Failed", and the execution fails with that exact error name and field.
    desc = stack.run("ingest", "foundation-bad-input", {"date": "2026-13-01"})
    assert desc["status"] == "FAILED"
    assert desc["error"] == "InvalidInput"
    assert "date" in desc["cause"]
    history = stack.history(desc["executionArn"])
    failed = [e for e in history if e["type"] == "TaskFailed"]
    assert failed and failed[0]["taskFailedEventDetails"]["error"] == "InvalidInput"
    entered = [e["stateEnteredEventDetails"]["name"] for e in history if e["type"].endswith("StateEntered")]
    assert entered[-1] == "Run Failed"


def test_aws_cli_start_execution_runs_the_pipeline(stack: StackHandle, tmp_path: Path) -> None:
    # Given the AWS CLI from PyPI pointed at the local AWS, when it starts an execution with the documented
    # input, then the execution runs our code and stores the day.
    day = "2026-11-17"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
    }
    aws = str(Path(sys.executable).with_name("aws"))
    out = subprocess.run(
        [
            aws, "stepfunctions", "start-execution", "--endpoint-url", stack.endpoint,
            "--state-machine-arn", stack.outputs["ingest_state_machine_arn"],
            "--name", daily_execution_name(day), "--input", json.dumps({"date": day}),
        ],
        env=env, capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    desc = stack.wait(json.loads(out.stdout)["executionArn"])
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    assert stack.winner(day) is not None
