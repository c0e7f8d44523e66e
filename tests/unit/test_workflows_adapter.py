"""The Step Functions adapter (stock_movers.adapters.workflows) over an in-memory fake of the service."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stock_movers.adapters.workflows import StillRunning, Workflows
from stock_movers.execution_names import daily_execution_name, execution_arn

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:ingest"
ALIAS = f"{MACHINE}:live"


class FakeStepFunctions:
    """Executions by name; a taken name raises the modelled exception (as boto3's client does), and an
    execution stays RUNNING for `polls` describes."""

    class exceptions:
        class ExecutionAlreadyExists(Exception):
            pass

    def __init__(self, polls: int = 2, page: int = 3) -> None:
        self.polls, self.page = polls, page
        self.executions: dict[str, dict[str, Any]] = {}
        self.described = 0

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        if name in self.executions:
            raise self.exceptions.ExecutionAlreadyExists(name)
        arn = execution_arn(stateMachineArn, name)
        self.executions[name] = {"arn": arn, "input": input, "left": self.polls}
        return {"executionArn": arn}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        self.described += 1
        run = next(e for e in self.executions.values() if e["arn"] == executionArn)
        status = "RUNNING" if run["left"] > 0 else "SUCCEEDED"
        run["left"] -= 1
        return {"executionArn": executionArn, "name": executionArn.rsplit(":", 1)[-1], "status": status,
                "input": run["input"]}  # fmt: skip

    def get_execution_history(
        self, executionArn: str, maxResults: int, nextToken: str = "0"
    ) -> dict[str, Any]:
        events = [{"id": i, "type": "TaskStateEntered"} for i in range(1, 8)]
        start = int(nextToken)
        out: dict[str, Any] = {"events": events[start : start + self.page]}
        if start + self.page < len(events):
            out["nextToken"] = str(start + self.page)
        return out


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_a_start_is_started_then_already_started_with_the_machines_execution_arn() -> None:
    sfn = FakeStepFunctions()
    flows = Workflows(sfn)
    name = daily_execution_name("2026-11-20")
    # When a name is started through the alias, Then Started with the machine's execution ARN
    first = flows.start(ALIAS, name, {"date": "2026-11-20"})
    assert (first.status, first.started, first.name) == ("Started", True, name)
    assert json.loads(sfn.executions[name]["input"]) == {"date": "2026-11-20"}
    # When it is started again, Then AlreadyStarted with the same ARN (nothing new runs)
    again = flows.start(ALIAS, name, {"date": "2026-11-20"})
    assert (again.status, again.started, again.execution_arn) == (
        "AlreadyStarted",
        False,
        first.execution_arn,
    )
    assert again.execution_arn == f"arn:aws:states:us-east-1:123456789012:execution:ingest:{name}"


def test_a_taken_name_is_recognised_by_its_error_code_too() -> None:
    class CodedOnly:
        def start_execution(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "ExecutionAlreadyExists", "Message": "x"}}, "StartExecution")

    assert Workflows(CodedOnly()).start(MACHINE, "n", {}).status == "AlreadyStarted"


def test_any_other_start_error_is_raised() -> None:
    class Denied:
        def start_execution(self, **_: Any) -> Any:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "StartExecution")

    with pytest.raises(ClientError, match="AccessDenied"):
        Workflows(Denied()).start(MACHINE, "n", {})


def test_run_waits_for_the_end_and_a_wait_past_its_timeout_is_still_running() -> None:
    clock = Clock()
    sfn = FakeStepFunctions(polls=3)
    flows = Workflows(sfn, sleep=clock.sleep, clock=clock)
    # When an execution that runs for 3 polls is run, Then its terminal description after 4 describes
    assert flows.run(MACHINE, "a", {}, poll=1.0)["status"] == "SUCCEEDED" and sfn.described == 4
    # When a wait gives up before the end, Then StillRunning carries the last description
    arn = flows.start(MACHINE, "b", {}).execution_arn
    with pytest.raises(StillRunning, match="b still RUNNING after 1s") as caught:
        flows.wait(arn, timeout=1.0, poll=1.0)
    assert caught.value.description["status"] == "RUNNING"


def test_history_reads_every_page() -> None:
    sfn = FakeStepFunctions(page=3)
    assert [e["id"] for e in Workflows(sfn).history("arn:x")] == list(range(1, 8))
