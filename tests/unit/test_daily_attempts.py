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


MARKET = {"date": DAY, "scope": "market"}


def test_a_market_run_has_its_own_names() -> None:
    assert daily_execution_name(DAY, scope="market") == "daily-market-2026-11-20"
    assert daily_execution_name(DAY, 3, scope="market") == "daily-market-2026-11-20-retry-3"
    forced = dt.datetime(2026, 11, 20, 7, 40, 12, tzinfo=dt.UTC)
    assert (
        daily_execution_name(DAY, forced_at=forced, scope="market") == "daily-market-2026-11-20-force-074012"
    )
    with pytest.raises(ValueError, match="unknown scope 'MARKET'"):
        daily_execution_name(DAY, scope="MARKET")


def test_the_market_run_and_the_watchlist_run_of_a_day_never_meet() -> None:
    # Given the day's watchlist run succeeded and its market run's first attempt failed
    sfn = FakeSfn({NAME: ("SUCCEEDED", PAYLOAD), "daily-market-2026-11-20": ("FAILED", MARKET)})
    # When the market run is started, Then its own retry starts with the market input
    started = start_daily_run(sfn, MACHINE, DAY, MARKET)
    assert (started.status, started.name) == ("Started", "daily-market-2026-11-20-retry-1")
    assert started.failed == (("daily-market-2026-11-20", "FAILED"),)
    arn = started.execution_arn
    assert sfn.executions[arn] == ("RUNNING", MARKET)
    # And a repeat attaches to it; the watchlist's day stays done, under its own name
    assert start_daily_run(sfn, MACHINE, DAY, MARKET).status == "AlreadyRunning"
    assert start_daily_run(sfn, MACHINE, DAY, PAYLOAD).name == NAME
    assert sfn.started == ["daily-market-2026-11-20-retry-1"]


def test_a_succeeded_market_run_is_not_started_again() -> None:
    sfn = FakeSfn({"daily-market-2026-11-20": ("SUCCEEDED", MARKET)})
    started = start_daily_run(sfn, MACHINE, DAY, MARKET)
    assert (started.status, started.name) == (
        "AlreadySucceeded",
        "daily-market-2026-11-20",
    ) and not sfn.started


@pytest.mark.parametrize("scope", ["Market", "all", "", None, ["market"]])
def test_an_unknown_scope_starts_nothing(scope: object) -> None:
    from stock_movers.domain.errors import InvalidInput

    sfn = FakeSfn()
    with pytest.raises(InvalidInput) as raised:
        start_daily_run(sfn, MACHINE, DAY, {"date": DAY, "scope": scope})
    assert raised.value.field == "scope" and sfn.started == []


def test_start_dailys_describe_grant_covers_every_attempt_of_both_scopes() -> None:
    # Given the execution-name pattern of start_daily's DescribeDailyAttempts statement (infrastructure/
    # schedule.tf), When every attempt name of both scopes is matched against it, Then each is covered
    import fnmatch
    import re
    from pathlib import Path

    tf = (Path(__file__).resolve().parents[2] / "infrastructure" / "schedule.tf").read_text()
    statement = tf[tf.index('sid       = "DescribeDailyAttempts"') :]
    resources = re.search(r"resources\s*=\s*\[(.*?)\]\n", statement)
    assert resources is not None
    [pattern] = re.findall(r':execution:"\)\}:([^"]+)"', resources.group(1))
    forced = dt.datetime(2026, 11, 20, 7, 40, 12, tzinfo=dt.UTC)
    for scope in ("watchlist", "market"):
        names = [daily_execution_name(DAY, n, scope=scope) for n in range(MAX_ATTEMPTS)]
        names.append(daily_execution_name(DAY, forced_at=forced, scope=scope))
        assert all(fnmatch.fnmatchcase(name, pattern) for name in names), (pattern, scope)
