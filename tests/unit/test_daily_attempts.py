"""Daily run names (stock_movers.execution_names) and attempts (stock_movers.usecases.daily), shared by
start_daily and `movers run`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from stock_movers.execution_names import daily_execution_name
from stock_movers.usecases.daily import MAX_ATTEMPTS, DailyStartError, start_daily_run

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:ingest"


class AlreadyExists(Exception):
    response = {"Error": {"Code": "ExecutionAlreadyExists", "Message": "taken"}}


class FakeSfn:
    """Step Functions' naming rules: a name is taken for good once used (running or closed)."""

    def __init__(self, existing: dict[str, tuple[str, dict[str, Any]]] | None = None) -> None:
        self.executions = {f"{MACHINE.replace(':stateMachine:', ':execution:')}:{n}": v
                           for n, v in (existing or {}).items()}  # fmt: skip
        self.started: list[str] = []

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, str]:
        arn = f"{stateMachineArn.replace(':stateMachine:', ':execution:')}:{name}"
        if arn in self.executions:
            raise AlreadyExists()
        self.executions[arn] = ("RUNNING", json.loads(input))
        self.started.append(name)
        return {"executionArn": arn}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        status, payload = self.executions[executionArn]
        return {"status": status, "input": json.dumps(payload), "name": executionArn.rsplit(":", 1)[-1]}


DAY = "2026-11-20"
PAYLOAD = {"date": DAY}
NAME = "daily-2026-11-20"


def test_names_are_built_in_one_place() -> None:
    assert daily_execution_name(dt.date(2026, 11, 20)) == "daily-2026-11-20"
    assert daily_execution_name(DAY, 2) == "daily-2026-11-20-retry-2"
    forced = dt.datetime(2026, 11, 23, 7, 40, 12, tzinfo=dt.UTC)
    assert daily_execution_name(DAY, forced_at=forced) == "daily-2026-11-20-force-074012"


def test_a_fresh_day_starts_daily_date() -> None:
    sfn = FakeSfn()
    started = start_daily_run(sfn, MACHINE, DAY, PAYLOAD)
    assert (started.status, started.name, started.failed) == ("Started", "daily-2026-11-20", ())


def test_after_failed_attempts_the_next_retry_starts() -> None:
    # Given daily-D failed and its first retry timed out, when the day is started again
    sfn = FakeSfn(
        {"daily-2026-11-20": ("FAILED", PAYLOAD), "daily-2026-11-20-retry-1": ("TIMED_OUT", PAYLOAD)}
    )
    started = start_daily_run(sfn, MACHINE, DAY, PAYLOAD)
    # then retry-2 starts and the earlier attempts are named
    assert (started.status, started.name) == ("Started", "daily-2026-11-20-retry-2")
    assert started.failed == (("daily-2026-11-20", "FAILED"), ("daily-2026-11-20-retry-1", "TIMED_OUT"))
    assert sfn.started == ["daily-2026-11-20-retry-2"]


def test_a_running_or_succeeded_attempt_is_reported_not_repeated() -> None:
    running = FakeSfn(
        {"daily-2026-11-20": ("FAILED", PAYLOAD), "daily-2026-11-20-retry-1": ("RUNNING", PAYLOAD)}
    )
    assert start_daily_run(running, MACHINE, DAY, PAYLOAD).status == "AlreadyRunning"
    done = FakeSfn({"daily-2026-11-20": ("SUCCEEDED", PAYLOAD)})
    started = start_daily_run(done, MACHINE, DAY, PAYLOAD)
    assert (started.status, started.name) == ("AlreadySucceeded", "daily-2026-11-20") and not done.started


def test_a_running_attempt_with_other_input_is_refused_in_one_line() -> None:
    sfn = FakeSfn({"daily-2026-11-20": ("RUNNING", {"date": DAY, "tickers": ["AAPL"]})})
    with pytest.raises(DailyStartError, match="running with other input") as exc:
        start_daily_run(sfn, MACHINE, DAY, PAYLOAD)
    assert "\n" not in str(exc.value)


def test_attempts_are_bounded() -> None:
    names = {daily_execution_name(DAY, n): ("FAILED", PAYLOAD) for n in range(MAX_ATTEMPTS)}
    with pytest.raises(DailyStartError, match=f"failed {MAX_ATTEMPTS} times"):
        start_daily_run(FakeSfn(names), MACHINE, DAY, PAYLOAD)


def test_other_errors_are_not_swallowed() -> None:
    class Denied(Exception):
        response = {"Error": {"Code": "AccessDeniedException"}}

    class DenyingSfn(FakeSfn):
        def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, str]:
            raise Denied()

    with pytest.raises(Denied):
        start_daily_run(DenyingSfn(), MACHINE, DAY, PAYLOAD)


def test_an_execution_belongs_to_the_machine_whatever_arn_started_it() -> None:
    # Given the machine's ARN, its alias's and its version's, Then the execution ARN is the machine's
    from stock_movers.execution_names import execution_arn

    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:stock-movers-dev-ingest"
    want = "arn:aws:states:us-east-1:123456789012:execution:stock-movers-dev-ingest:daily-2026-11-20"
    for arn in (machine, f"{machine}:live", f"{machine}:7"):
        assert execution_arn(arn, "daily-2026-11-20") == want
