"""Issue 16: a run the configured provider cannot serve fails with a named error before any provider call.

Terraform refuses these configurations at plan time (tests/infrastructure); here the functions are
configured past it, as a hand-edited deployment would be, and the state machines must still stop at their
first step with the error's name, having spent no provider call.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack


def _env(stack: StackHandle, function: str, output: str = "function_names") -> tuple[str, dict[str, str]]:
    name = stack.outputs[output][function]
    lam = stack.stack.client("lambda")
    return name, dict(lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"])


def _entered(stack: StackHandle, arn: str) -> list[str]:
    return [
        e["stateEnteredEventDetails"]["name"]
        for e in stack.history(arn)
        if e["type"].endswith("StateEntered")
    ]


def _tasks(stack: StackHandle, arn: str) -> list[str]:
    """The Task states the execution entered, in order."""
    names = {
        e["id"]: e["stateEnteredEventDetails"]["name"]
        for e in stack.history(arn)
        if e["type"] == "TaskStateEntered"
    }
    return list(names.values())


def _failed(
    stack: StackHandle, machine: str, label: str, payload: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """Runs `machine` to its end; returns DescribeExecution and the market calls it caused (counted on a
    quiet stack: earlier runs' stray fetches and background healing backfills have ended)."""
    stack.quiesce()
    before = stack.market.stats()["total"]
    desc = stack.run(machine, f"unsupported-{label}-{uuid.uuid4().hex[:6]}", payload)
    return desc, stack.market.stats()["total"] - before


def test_runs_the_provider_cannot_serve_fail_by_name_with_no_provider_call(stack: StackHandle) -> None:
    # Given Validate Input released to `live` with tiingo and the snapshot strategy (tiingo has no
    # whole-market daily endpoint)
    name, env = _env(stack, "validate_input")
    pair = {**env, "MARKET_PROVIDER": "tiingo", "FETCH_STRATEGY": "snapshot"}
    with stack.released(name, Environment={"Variables": pair}):
        # When the daily run starts, Then it fails with UnsupportedStrategy at Validate Input
        desc, calls = _failed(stack, "ingest", "strategy", {"date": "2025-06-04", "force": True})
    assert (desc["status"], desc.get("error")) == ("FAILED", "UnsupportedStrategy"), desc.get("cause")
    assert "'snapshot' is not served by provider 'tiingo'" in desc.get("cause", "")
    # And the run invoked no function but Validate Input, so nothing was fetched (the market's own count is
    # not used: in full suites it has counted 1-2 calls from elsewhere during these runs; closing note,
    # session 3)
    assert _tasks(stack, desc["executionArn"]) == ["Validate Input"], calls
    entered = _entered(stack, desc["executionArn"])
    assert "Fetch Session Snapshot" not in entered and "Fetch Watchlist" not in entered

    # Given alphavantage (per ticker; its free compact series reaches the latest 100 sessions)
    with stack.released(name, Environment={"Variables": {**env, "MARKET_PROVIDER": "alphavantage"}}):
        # When a daily run asks for a 2020 session, Then it fails with UnsupportedHistory, no call made
        desc, calls = _failed(stack, "ingest", "history", {"date": "2020-01-02", "force": True})
    assert (desc["status"], desc.get("error")) == ("FAILED", "UnsupportedHistory"), desc.get("cause")
    # And the run invoked no function but Validate Input
    assert _tasks(stack, desc["executionArn"]) == ["Validate Input"], calls

    # Given the backfill planner with alphavantage, When a 2020 span is backfilled, Then it fails with
    # UnsupportedHistory at Plan Backfill, before any range fetch
    planner, planner_env = _env(stack, "plan_backfill", "backfill_function_names")
    with stack.released(
        planner, Environment={"Variables": {**planner_env, "MARKET_PROVIDER": "alphavantage"}}
    ):
        desc, calls = _failed(
            stack, "backfill", "backfill", {"from": "2020-01-02", "to": "2020-01-10", "force": True}
        )
    assert (desc["status"], desc.get("error")) == ("FAILED", "UnsupportedHistory"), desc.get("cause")
    assert _tasks(stack, desc["executionArn"]) == ["Plan Backfill"], calls
    assert "Fetch Ranges" not in _entered(stack, desc["executionArn"])
