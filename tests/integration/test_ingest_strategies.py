"""Issue 4: the snapshot fetch strategy (one grouped-daily call per session) and the daily schedule."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from movers.cli import app
from movers.local.stack import LOCAL_API_KEY
from movers.market.server import MarketServer
from stock_movers.execution_names import daily_execution_name
from tests.support import oracle
from tests.support.localstack import StackHandle, largest_payload

pytestmark = pytest.mark.stack


@pytest.fixture
def snapshot_strategy(stack: StackHandle) -> Iterator[None]:
    """Given fetch_strategy=snapshot (what `terraform apply -var fetch_strategy=snapshot` sets on the
    validate_input function), restored afterwards."""
    lam = stack.stack.client("lambda")
    name = stack.outputs["function_names"]["validate_input"]
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    stack.release_function_env(name, {**env, "FETCH_STRATEGY": "snapshot"})
    try:
        yield
    finally:
        stack.release_function_env(name, env)


def test_snapshot_strategy_costs_one_provider_call_and_stores_the_same_winner(
    stack: StackHandle, snapshot_strategy: None
) -> None:
    day = "2025-06-02"
    before = stack.market.stats()
    desc = stack.run("ingest", f"snapshot-{day}", {"date": day})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    after = stack.market.stats()
    assert after["total"] - before["total"] == 1
    assert after["by_endpoint"].get("grouped", 0) - before["by_endpoint"].get("grouped", 0) == 1
    item = stack.winner(day)
    assert item is not None and (item["Ticker"]["S"], item["PercentChange"]["N"]) == oracle.winner(day)
    # the grouped body is stored exactly as received; the per-ticker rows came from it
    assert f"raw/provider=massive/date={day}/_session.json" in stack.keys(f"raw/provider=massive/date={day}/")


def test_snapshot_missing_a_ticker_falls_back_to_one_per_ticker_call(
    stack: StackHandle, snapshot_strategy: None
) -> None:
    day = "2025-06-03"
    stack.market.set_faults({"script": ["missing"], "drop_tickers": ["NVDA"], "endpoints": ["grouped"]})
    before = stack.market.stats()
    try:
        desc = stack.run("ingest", f"snapshot-missing-{day}", {"date": day})
    finally:
        stack.market.set_faults(None)
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    after = stack.market.stats()
    assert after["total"] - before["total"] == 2  # the snapshot + NVDA alone
    assert after["by_ticker"].get("NVDA", 0) - before["by_ticker"].get("NVDA", 0) == 1
    item = stack.winner(day)
    assert item is not None and (item["Ticker"]["S"], item["PercentChange"]["N"]) == oracle.winner(day)


def test_daily_schedule_runs_after_the_close_in_new_york_on_weekdays(stack: StackHandle) -> None:
    schedule = stack.stack.client("scheduler").get_schedule(Name=stack.outputs["daily_schedule_name"])
    assert schedule["ScheduleExpression"] == "cron(30 18 ? * MON-FRI *)"
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    assert schedule["State"] == "ENABLED"
    assert schedule["Target"]["Arn"].endswith(stack.outputs["function_names"]["start_daily"] + ":live")


def test_firing_the_schedule_starts_daily_date(
    stack: StackHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the local stack, when the schedule is fired for a session (movers schedule fire --date D), then
    # its target starts the execution named daily-<D>, which stores the day; firing again starts nothing.
    monkeypatch.setenv("MOVERS_STATE_FILE", str(stack.state_file(tmp_path / "stack.json")))
    day = "2025-06-04"
    assert app.main(["--local", "schedule", "fire", "--date", day, "--wait"]) == 0
    out = capsys.readouterr().out
    assert f"Started {daily_execution_name(day)}" in out and "SUCCEEDED" in out
    assert stack.winner(day) is not None
    assert app.main(["--local", "schedule", "fire", "--date", day]) == 0
    assert f"AlreadyStarted {daily_execution_name(day)}" in capsys.readouterr().out
    assert app.main(["--local", "trace", daily_execution_name(day)]) == 0
    trace = capsys.readouterr().out
    assert "Fetch Watchlist" in trace and "└ Fetch Bars" in trace and "x6" in trace


def test_cli_errors_are_one_line(stack: StackHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    monkeypatch.setenv("MOVERS_STATE_FILE", str(stack.state_file(tmp_path / "stack.json")))
    assert app.main(["--local", "trace", "no-such-execution"]) == 2
    assert capsys.readouterr().err == "error: unknown execution: no-such-execution\n"
    monkeypatch.setenv("MOVERS_STATE_FILE", str(tmp_path / "absent.json"))
    assert app.main(["--local", "list"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the local stack is not running") and err.count("\n") == 1
    data = json.loads((tmp_path / "stack.json").read_text())
    assert data["outputs"]["table_name"]


def _pct6(open_: Decimal, close: Decimal) -> tuple[Fraction, str]:
    """The contract's percent change, exact and rounded half-even to 6 places (independent of the domain)."""
    exact = (Fraction(close) - Fraction(open_)) / Fraction(open_) * 100
    scaled = round(exact * 10**6)
    return exact, f"{'-' if scaled < 0 else ''}{abs(scaled) // 10**6}.{abs(scaled) % 10**6:06d}"


def test_a_500_ticker_snapshot_run_reduces_the_day_in_one_step_inside_the_payload_limit(
    stack: StackHandle, snapshot_strategy: None
) -> None:
    # Given a market server of a 500+-ticker SYNTHETIC universe, and a run of 500 of its grouped-daily
    # tickers (OTC symbols are not in Massive's grouped answer) on a day no other stack test touches
    day = "2026-02-11"  # a session no other stack test stores (test_ingest_paths stores 2026-01-21)
    market = MarketServer(api_key=LOCAL_API_KEY, rate_limit=None, universe=700)
    market.start()
    universe = market.dataset
    tickers = [t for t in universe.tickers if not universe.is_otc(t)][:500]
    fetch = stack.outputs["function_names"]["fetch_bars"]
    env = stack.stack.client("lambda").get_function_configuration(FunctionName=fetch)["Environment"][
        "Variables"
    ]
    try:
        with stack.released(fetch, Environment={"Variables": {**env, "PROVIDER_BASE_URL": market.url}}):
            started = time.monotonic()
            desc = stack.run("ingest", f"snapshot-500-{day}", {"date": day, "tickers": tickers})
            seconds = time.monotonic() - started
        assert desc["status"] == "SUCCEEDED", desc.get("cause")
        # Then one provider call served the day
        assert market.stats()["total"] == 1
        # And the stored winner is an independent computation's over the universe's own bars
        moves = {
            t: _pct6(b.open, b.close) for t in tickers if (b := universe.bar(t, dt.date.fromisoformat(day)))
        }
        assert len(moves) == 500
        best = sorted(tickers, key=lambda t: (-abs(moves[t][0]), t))[0]
        item = stack.winner(day)
        assert item is not None and (item["Ticker"]["S"], item["PercentChange"]["N"]) == (
            best,
            moves[best][1],
        )
        # And so is the day's board (top 10 gainers, ties by ticker)
        board = stack.leaders(day)
        gainers = sorted((t for t in tickers if moves[t][0] > 0), key=lambda t: (-moves[t][0], t))[:10]
        assert board is not None and [g["M"]["Ticker"]["S"] for g in board["Gainers"]["L"]] == gainers
        # And the state stayed small and constant: no Map iteration, one Pick Winner, far under 256 KB
        history = stack.history(desc["executionArn"])
        entered = [e["stateEnteredEventDetails"]["name"] for e in history if "stateEnteredEventDetails" in e]
        largest = largest_payload(history)
        print(f"500-ticker snapshot run: {len(entered)} transitions, {len(history)} history events, "
              f"largest state payload {largest} B, {seconds:.1f} s")  # fmt: skip
        assert "Fetch Bars" not in entered and entered.count("Pick Winner") == 1 and len(entered) < 30
        assert largest < 16 * 1024, largest
    finally:
        market.stop()
        stack.forget_day(day)
