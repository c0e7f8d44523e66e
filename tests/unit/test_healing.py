"""Gap healing (pure): which sessions a daily run heals, and the backfill execution it starts for them."""

from __future__ import annotations

import datetime as dt

from stock_movers.execution_names import heal_execution_name as heal_name
from stock_movers.usecases.backfill import backfill_input
from stock_movers.usecases.healing import (
    find_gaps,
    gap_search_span,
    next_sessions,
    plan_healing,
    previous_sessions,
)

D = dt.date


def test_neighbouring_sessions_skip_holidays() -> None:
    assert next_sessions(D(2025, 11, 26), 2) == [D(2025, 11, 28), D(2025, 12, 1)]  # Thanksgiving
    assert previous_sessions(D(2025, 12, 1), 2) == [D(2025, 11, 26), D(2025, 11, 28)]
    assert gap_search_span(D(2025, 12, 1), 2) == (D(2025, 11, 26), D(2025, 12, 3))


DAY = D(2025, 12, 1)
WINDOW = previous_sessions(DAY, 10)  # 2025-11-14 .. 2025-11-28


def test_given_three_missing_days_in_the_window_then_exactly_they_are_the_gaps() -> None:
    missing = {D(2025, 11, 18), D(2025, 11, 20), D(2025, 11, 25)}
    stored = [d for d in WINDOW if d not in missing]
    assert find_gaps(DAY, 10, stored) == sorted(missing)


def test_given_recent_days_missing_after_an_outage_then_they_are_healed() -> None:
    assert find_gaps(DAY, 10, WINDOW[:6]) == WINDOW[6:]


def test_given_a_fresh_deployment_then_nothing_is_healed() -> None:
    # nothing stored before the first run: history before it is an explicit backfill's job
    assert find_gaps(DAY, 10, []) == []
    # sessions before the oldest stored one in the window are not gaps either
    assert find_gaps(DAY, 10, WINDOW[4:]) == []


def test_given_a_run_inside_the_stored_history_then_it_does_not_heal() -> None:
    later = next_sessions(DAY, 10)[-1]
    assert find_gaps(DAY, 10, [WINDOW[0], later]) == []
    assert find_gaps(DAY, 10, [WINDOW[0], next_sessions(DAY, 11)[-1]]) == WINDOW[1:]  # beyond the horizon


def test_given_n_zero_then_healing_is_off() -> None:
    assert find_gaps(DAY, 0, [WINDOW[0]]) == []


def test_given_gaps_then_the_decision_names_the_backfill_of_their_span() -> None:
    # Given two missing days in the window of a run at the head of the history
    missing = [D(2025, 11, 18), D(2025, 11, 25)]
    stored = [d for d in WINDOW if d not in missing]
    # When the run decides, with its watchlist
    decision = plan_healing(DAY, 10, stored, ["AAPL", "MSFT"])
    # Then it heals first..last gap under the deterministic heal name, with the canonical backfill input
    assert decision == {
        "status": "Gaps",
        "sessions": ["2025-11-18", "2025-11-25"],
        "name": heal_name(DAY, missing[0], missing[-1]),
        "input": backfill_input(missing[0], missing[-1], ["AAPL", "MSFT"]),
    }
    assert decision["name"] == "heal-2025-12-01-2025-11-18-2025-11-25"
    # And the same facts give the same decision (so a retried run starts the same execution)
    assert plan_healing(DAY, 10, list(reversed(stored)), ["AAPL", "MSFT"]) == decision


def test_given_no_gaps_or_healing_off_then_the_decision_is_no_gaps() -> None:
    assert plan_healing(DAY, 10, WINDOW, ["AAPL"]) == {"status": "NoGaps"}
    assert plan_healing(DAY, 0, WINDOW[:6], ["AAPL"]) == {"status": "NoGaps"}


def test_given_no_tickers_then_the_backfill_uses_its_default_watchlist() -> None:
    decision = plan_healing(DAY, 10, WINDOW[:6], None)
    assert decision["input"] == {"from": WINDOW[6].isoformat(), "to": WINDOW[-1].isoformat()}


def test_given_a_run_of_more_tickers_than_a_backfill_takes_then_no_backfill_is_planned() -> None:
    # Given a 2,000-ticker run (the Distributed Map's reach) with gaps behind it
    day = dt.date(2026, 1, 9)
    stored = [dt.date(2026, 1, 2), dt.date(2026, 1, 5)]
    tickers = [f"T{i:04d}" for i in range(2000)]
    # When its healing is planned, Then no backfill is (a backfill takes 500 and would fail at its plan)
    decision = plan_healing(day, 5, stored, tickers)
    assert decision["status"] == "TooManyTickers" and "500" in decision["reason"]
    assert decision["sessions"] == ["2026-01-06", "2026-01-07", "2026-01-08"]
    # And 500 tickers are healed as ever
    assert plan_healing(day, 5, stored, tickers[:500])["status"] == "Gaps"
