"""Domain analytics (pure): volatility, z-score, win counts, streaks, dispersion, the summary and report."""

from __future__ import annotations

import datetime as dt
import statistics
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stock_movers.domain.analytics import (
    TickerAnalysis,
    analyse_ticker,
    dispersion,
    quantize,
    report,
    summarise,
    win_record,
)
from stock_movers.domain.calendar import last_n_sessions

DAY = dt.date(2025, 7, 1)  # a Tuesday session


def series(values: list[str | Decimal], end: dt.date = DAY) -> list[tuple[dt.date, Decimal]]:
    """(session, value) pairs on consecutive NYSE sessions ending at `end`."""
    days = last_n_sessions(end, len(values))
    return [(d, Decimal(v)) for d, v in zip(days, values, strict=True)]


pcts = st.decimals(min_value=Decimal("-30"), max_value=Decimal("30"), places=6, allow_nan=False)


# --- analyse_ticker ---------------------------------------------------------------------------------


def test_given_hand_computable_history_when_analysed_then_volatility_and_z_are_exact():
    # Given 1, 2, 3, 4 (window 3): the day's window 2,3,4 has std 1; the baseline 1,2,3 has mean 2, std 1
    history = series(["1", "2", "3", "4"])
    # When analysed with threshold 2, Then z = (4 - 2) / 1 = 2, which is not *above* 2
    got = analyse_ticker("AAPL", DAY, history, window=3, threshold=Decimal(2))
    assert (got.percent_change, got.volatility, got.z_score, got.unusual) == (
        Decimal(4),
        Decimal("1.000000"),
        Decimal("2.000000"),
        False,
    )
    assert got.reasons == () and got.sessions == 4
    # And with a lower threshold the same move is unusual
    assert analyse_ticker("AAPL", DAY, history, window=3, threshold=Decimal("1.5")).unusual is True


def test_given_no_bar_on_the_day_when_analysed_then_every_figure_is_null_with_a_reason():
    history = series(["1", "2", "3"], end=dt.date(2025, 6, 30))
    got = analyse_ticker("MSFT", DAY, history, window=2)
    assert (got.percent_change, got.volatility, got.z_score, got.unusual) == (None, None, None, None)
    assert got.reasons == ("MSFT: no bar stored for 2025-07-01",)


def test_given_short_history_when_analysed_then_partial_figures_name_what_is_missing():
    # Given 20 sessions (window 20): volatility is possible, the z-score needs 20 sessions *before* the day
    got = analyse_ticker("TSLA", DAY, series([str(i % 5) for i in range(20)]))
    assert got.volatility is not None and got.z_score is None and got.unusual is None
    assert got.reasons == ("TSLA: z-score needs 20 sessions before the day, 19 stored",)
    short = analyse_ticker("TSLA", DAY, series(["1", "2"]))
    assert short.volatility is None
    assert "TSLA: volatility needs 20 sessions, 2 stored" in short.reasons


def test_given_a_flat_baseline_when_analysed_then_no_z_score_instead_of_a_division_by_zero():
    got = analyse_ticker("NVDA", DAY, series(["1"] * 20 + ["5"]))
    assert got.z_score is None and got.unusual is None
    assert got.reasons == ("NVDA: no variation in the 20 sessions before the day",)


def test_sessions_after_the_day_are_ignored_and_duplicates_refused():
    later = series(["1", "2", "3", "9"], end=dt.date(2025, 7, 2))
    assert analyse_ticker("A", DAY, later, window=3).percent_change == Decimal(3)
    with pytest.raises(ValueError, match="more than one"):
        analyse_ticker("A", DAY, [(DAY, Decimal(1)), (DAY, Decimal(2))])
    with pytest.raises(ValueError, match="window"):
        analyse_ticker("A", DAY, [], window=1)


@settings(max_examples=60, deadline=None)
@given(st.lists(pcts, min_size=21, max_size=40), pcts)
def test_property_volatility_and_z_match_a_float_computation_and_ignore_a_shift(values, shift):
    # Given any history of >= 21 sessions
    got = analyse_ticker("X", DAY, series(values))
    floats = [float(v) for v in values]
    base = floats[-21:-1]
    # Then volatility is the sample std of the last 20 (>= 0) and z is against the 20 before the day
    assert got.volatility is not None and got.volatility >= 0
    assert abs(float(got.volatility) - statistics.stdev(floats[-20:])) < 1e-5
    if statistics.stdev(base) > 1e-3:
        expected_z = (floats[-1] - statistics.mean(base)) / statistics.stdev(base)
        assert got.z_score is not None and abs(float(got.z_score) - expected_z) < 1e-4 * max(
            1.0, abs(expected_z)
        )
    # And adding the same constant to every move changes neither figure (they measure spread)
    moved = analyse_ticker("X", DAY, series([v + shift for v in values]))
    assert moved.volatility == got.volatility and moved.z_score == got.z_score


def test_ticker_analysis_round_trips_through_its_payload_form():
    got = analyse_ticker("AAPL", DAY, series(["1", "2", "3", "4"]), window=3)
    assert TickerAnalysis.from_dict(got.to_dict()) == got
    empty = analyse_ticker("AAPL", DAY, [])
    assert TickerAnalysis.from_dict(empty.to_dict()) == empty


# --- win_record -------------------------------------------------------------------------------------


def test_given_stored_winners_when_counted_then_windows_and_streaks_follow_the_calendar():
    # Given the last 4 sessions won by B, A, A, A (newest last) and one older gap
    s = last_n_sessions(DAY, 10)
    winners = {s[-5]: "B", s[-4]: "B", s[-3]: "A", s[-2]: "A", s[-1]: "A", s[0]: "C"}
    got = win_record(DAY, winners, ["A", "B", "C"], windows=(3, 5, 10))
    assert [(w.sessions, w.stored, w.wins) for w in got.windows] == [
        (3, 3, {"A": 3, "B": 0, "C": 0}),
        (5, 5, {"A": 3, "B": 2, "C": 0}),
        (10, 6, {"A": 3, "B": 2, "C": 1}),
    ]
    assert got.windows[0].first == s[-3]
    assert got.streaks == {"A": 3, "B": 0, "C": 0}
    assert got.longest_streaks == {"A": 3, "B": 2, "C": 1}


def test_a_missing_session_breaks_the_streak():
    s = last_n_sessions(DAY, 3)
    got = win_record(DAY, {s[0]: "A", s[2]: "A"}, ["A"], windows=(3,))
    assert got.streaks == {"A": 1} and got.longest_streaks == {"A": 1}
    assert win_record(DAY, {s[0]: "A", s[1]: "A"}, ["A"], windows=(3,)).streaks == {"A": 0}


def test_a_non_session_day_counts_up_to_the_session_before_it():
    saturday = dt.date(2025, 7, 5)
    friday = dt.date(2025, 7, 3)  # July 4th is a holiday
    got = win_record(saturday, {friday: "A"}, ["A"], windows=(1,))
    assert got.last_session == friday and got.streaks == {"A": 1}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["A", "B", "C", None]), min_size=90, max_size=90))
def test_property_win_counts_are_consistent(who):
    sessions = last_n_sessions(DAY, 90)
    winners = {d: w for d, w in zip(sessions, who, strict=True) if w is not None}
    got = win_record(DAY, winners, ["A", "B", "C"])
    for w in got.windows:
        # Then wins sum to the stored sessions of the window, which never exceed its size
        assert sum(w.wins.values()) == w.stored <= w.sessions
    for t in "ABC":
        # And windows are nested, and a current streak is never longer than the longest
        assert got.windows[0].wins[t] <= got.windows[1].wins[t] <= got.windows[2].wins[t]
        assert got.streaks[t] <= got.longest_streaks[t]
    # And only the newest session's winner can have a current streak
    assert [t for t, n in got.streaks.items() if n] == ([who[-1]] if who[-1] else [])


# --- dispersion -------------------------------------------------------------------------------------


def test_dispersion_is_the_population_std_and_the_range():
    got = dispersion({"A": Decimal(1), "B": Decimal(3), "C": None})
    assert (got.std_dev, got.range, got.count, got.reason) == (
        Decimal("1.000000"),
        Decimal("2.000000"),
        2,
        None,
    )
    one = dispersion({"A": Decimal(1), "B": None})
    assert one.std_dev is None and one.reason == "dispersion needs 2 moves, 1 stored"


@given(st.lists(pcts, min_size=2, max_size=12))
def test_property_dispersion_std_is_within_half_the_range_and_order_free(values):
    got = dispersion({f"T{i}": v for i, v in enumerate(values)})
    back = dispersion({f"T{i}": v for i, v in enumerate(reversed(values))})
    assert got == back
    assert got.std_dev is not None and got.range is not None
    # the population std of values in [min, max] is at most half the range
    assert Decimal(0) <= got.std_dev <= quantize(got.range / 2) + Decimal("0.000001")


# --- summary and report -----------------------------------------------------------------------------


def _full_day() -> tuple[list[TickerAnalysis], dict[dt.date, str]]:
    moves = {"AAPL": ["0.5", "-1", "1.5"] * 7, "TSLA": ["2", "-2", "1"] * 7}
    moves["TSLA"][-1] = "9"  # an unusual day for TSLA
    analyses = [analyse_ticker(t, DAY, series(v)) for t, v in moves.items()]
    sessions = last_n_sessions(DAY, 90)
    winners = {d: "TSLA" if i % 2 else "AAPL" for i, d in enumerate(sessions)}
    winners[sessions[-3]], winners[sessions[-2]], winners[DAY] = "AAPL", "TSLA", "TSLA"
    return analyses, winners


def test_given_full_history_when_summarised_then_complete_and_deterministic():
    analyses, winners = _full_day()
    got = summarise(DAY, analyses, winners, Decimal("9"))
    assert got["Status"] == "Complete" and got["Reasons"] == []
    assert got["Winner"] == {"Ticker": "TSLA", "PercentChange": Decimal("9")}
    assert [r["Ticker"] for r in got["Tickers"]] == ["AAPL", "TSLA"]
    assert got["Unusual"] == ["TSLA"]
    assert [w["Sessions"] for w in got["WinWindows"]] == [7, 30, 90]
    tsla = got["Tickers"][1]
    assert tsla["Wins90"] + got["Tickers"][0]["Wins90"] == 90
    assert tsla["Streak"] == 2 and got["Tickers"][0]["Streak"] == 0
    # Same inputs in another order: the same summary
    assert (
        summarise(DAY, list(reversed(analyses)), dict(reversed(list(winners.items()))), Decimal("9")) == got
    )


def test_given_young_history_when_summarised_then_partial_with_reasons():
    analyses = [analyse_ticker("AAPL", DAY, series(["1", "2"])), analyse_ticker("MSFT", DAY, [])]
    got = summarise(DAY, analyses, {DAY: "AAPL"}, Decimal("2"))
    assert got["Status"] == "Partial"
    assert "MSFT: no bar stored for 2025-07-01" in got["Reasons"]
    assert "dispersion needs 2 moves, 1 stored" in got["Reasons"]
    assert "wins over 7 sessions: 1 of 7 sessions stored" in got["Reasons"]
    assert got["Dispersion"] == {"StdDev": None, "Range": None, "Tickers": 1}
    with pytest.raises(ValueError):
        summarise(DAY, analyses + analyses, {}, None)


def test_report_names_the_winner_the_unusual_moves_and_every_ticker():
    analyses, winners = _full_day()
    subject, message = report(summarise(DAY, analyses, winners, Decimal("9")))
    assert subject == "stock-movers 2025-07-01: TSLA +9.00%, 1 unusual"
    assert "Winner: TSLA +9.00% (winning streak 2)" in message
    assert "Unusual moves (|z| > 2.0):\n  TSLA +9.00% (z " in message
    assert "AAPL" in message and "Dispersion: std dev" in message
    partial_subject, partial = report(summarise(DAY, [analyse_ticker("AAPL", DAY, [])], {}, None))
    assert "no winner stored" in partial_subject and "Partial:" in partial and len(partial_subject) <= 100
