"""The first hour of a new user, on the local stack: re-runs that do what they say (a failed day is retried
under a new name, by `movers run` and by the schedule), a failed backfill names every ticker without data,
and a backfill's progress advances while it fetches (read from the CLI's output).

Dates: March-May 2026 (no other test uses them), so stored days never collide.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest

from movers import oracle
from movers.cli import app
from stock_movers.adapters.storage import scope_winner_key
from stock_movers.domain.calendar import sessions_in_range
from stock_movers.domain.inputs import MARKET_SCOPE
from stock_movers.execution_names import daily_execution_name
from tests.support.localstack import StackHandle


def missing(*tickers: str) -> dict[str, object]:
    """Market server faults: no bars at all for these tickers (every endpoint)."""
    return {"probability": 1.0, "kinds": ["missing"], "drop_tickers": list(tickers), "tickers": list(tickers)}


@pytest.fixture
def local_cli(stack: StackHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> StackHandle:
    monkeypatch.setenv("MOVERS_STATE_FILE", str(stack.state_file(tmp_path / "stack.json")))
    return stack


def test_a_failed_daily_run_is_followed_by_a_retry_that_stores_the_day(
    local_cli: StackHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, day = local_cli, "2026-03-10"
    # Given daily-D failed (the provider had no NVDA bar that day)
    stack.market.set_faults(missing("NVDA"))
    try:
        assert app.main(["run", "--date", day, "--wait", "--local"]) == 1
    finally:
        stack.market.set_faults(None)
    failed = capsys.readouterr().out
    assert (
        f"{daily_execution_name(day)} FAILED: start another attempt with `movers run --date {day}`" in failed
    )
    assert "stackTrace" not in failed and "Traceback" not in failed
    assert "NVDA" in next(line for line in failed.splitlines() if line.startswith("FAILED: "))
    # When the same command runs again (no --force)
    assert app.main(["--local", "run", "--date", day, "--wait"]) == 0
    out = capsys.readouterr().out
    # Then a new attempt with a clear name stores the day, and the output ends with the stored winner
    assert (
        f"earlier attempt {daily_execution_name(day)} FAILED" in out
        and f"started {daily_execution_name(day, 1)}" in out
    )
    item = stack.winner(day)
    assert item is not None
    assert out.rstrip().splitlines()[-1].startswith(f"Stored {day} {item['Ticker']['S']} ")
    # And a third time it answers AlreadyStored with the winner, starting nothing
    assert app.main(["--local", "run", "--date", day]) == 0
    assert capsys.readouterr().out.startswith(f"AlreadyStored {day} {item['Ticker']['S']} ")


def test_the_schedule_starts_a_new_attempt_after_a_failed_one(
    local_cli: StackHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    stack, day = local_cli, "2026-03-11"
    stack.market.set_faults(missing("AAPL"))
    try:
        assert app.main(["--local", "schedule", "fire", "--date", day, "--wait"]) == 1
    finally:
        stack.market.set_faults(None)
    assert f"Started {daily_execution_name(day)}" in capsys.readouterr().out
    assert app.main(["--local", "schedule", "fire", "--date", day, "--wait"]) == 0
    out = capsys.readouterr().out
    assert f"Started {daily_execution_name(day, 1)}" in out and "SUCCEEDED" in out
    assert stack.winner(day) is not None


def test_the_market_schedule_fired_runs_daily_market_and_stores_the_whole_markets_winner(
    local_cli: StackHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the stack's whole-market schedule (market_schedule_enabled) and a session no test has stored
    stack, day = local_cli, "2026-03-19"
    assert stack.table.get(scope_winner_key(day, MARKET_SCOPE), consistent=True) is None
    # When it is fired as EventBridge Scheduler would (its role, its input {"scope": "market"}) and waited on
    assert app.main(["--local", "schedule", "fire", "--market", "--date", day, "--wait"]) == 0
    out = capsys.readouterr().out
    # Then it started the market's own run name, which succeeded
    assert f"Started {daily_execution_name(day, scope=MARKET_SCOPE)}" in out and "SUCCEEDED" in out
    # And the stored market winner is an independent computation's over every bundled ticker past the
    # deployed filters (close >= 5 USD, volume >= 100,000 shares), and the watchlist's winner is untouched
    rows = oracle.rows()
    eligible = [t for t in oracle.tickers() if (t, day) in rows and Decimal(rows[(t, day)]["close"]) >= 5
                and Decimal(rows[(t, day)]["volume"]) >= 100_000]  # fmt: skip
    ticker, pct = oracle.winner(day, eligible)
    item = stack.table.get(scope_winner_key(day, MARKET_SCOPE), consistent=True)
    assert item is not None and (item["Ticker"]["S"], item["PercentChange"]["N"]) == (ticker, pct)
    assert stack.winner(day) is None


def test_a_failed_backfill_names_every_ticker_without_data(
    local_cli: StackHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    stack = local_cli
    stack.market.set_faults(missing("GOOGL", "TSLA"))
    try:
        code = app.main(["--local", "backfill", "--from", "2026-04-06", "--to", "2026-04-10", "--wait"])
    finally:
        stack.market.set_faults(None)
    assert code == 1
    out = capsys.readouterr().out
    errors = [line for line in out.splitlines() if "NoData" in line]
    assert any("GOOGL" in line for line in errors) and any("TSLA" in line for line in errors), out
    assert all(len(line) < 400 and "stackTrace" not in line for line in errors)
    assert "may not have traded then" in out


def test_backfill_progress_advances_while_it_fetches(
    local_cli: StackHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert app.main(["--local", "backfill", "--from", "2026-05-04", "--to", "2026-05-29", "--wait"]) == 0
    lines = capsys.readouterr().out.splitlines()
    fetched = [int(m.group(1)) for line in lines if (m := re.search(r"Fetch Ranges: (\d+)/6 tickers", line))]
    stored = [int(m.group(1)) for line in lines if (m := re.search(r"(\d+)/\d+ sessions stored", line))]
    # the fetch count is shown below 6 and rises (at least two distinct values) before the end
    assert len(set(fetched)) >= 2 and min(fetched) < 6 and fetched == sorted(fetched), lines
    assert stored and stored == sorted(stored)
    n = len(sessions_in_range(dt.date(2026, 5, 4), dt.date(2026, 5, 29)))  # Memorial Day is not one
    assert lines[-1].endswith(f"{n} sessions, {n} stored, 0 skipped")
