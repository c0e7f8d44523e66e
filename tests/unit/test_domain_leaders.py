"""The day's top-N board (domain.leaders) against an independent computation, and Store Day's check of the
rows it is given (usecases.pick.stored_board). Given/When/Then; Hypothesis for random days with ties."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import (
    DuplicateTicker,
    InvalidBar,
    InvalidInput,
    SessionMismatch,
    StoreRejected,
)
from stock_movers.domain.leaders import BOARD_MAX, Board, board_of, board_size
from stock_movers.domain.movers import DayRow, validated_day, winner_of
from stock_movers.usecases.pick import reduce_day, stored_board

DAY = dt.date(2024, 1, 2)


def mk(ticker: str, open_: str, close: str, day: dt.date = DAY) -> DailyBar:
    o, c = Decimal(open_), Decimal(close)
    low = (min(o, c) / 2).quantize(Decimal("0.00000001"), rounding=ROUND_DOWN)
    return DailyBar(ticker, day, o, max(o, c) + 1, low, c, Decimal(1000))


def oracle(bars: list[DailyBar], n: int) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """Independent: the exact change as a Fraction, rounded half-even to millionths by Python's round();
    gainers above zero largest first, losers below zero smallest first, ties by ticker; n of each."""
    scaled = {
        b.ticker: round((Fraction(b.close) - Fraction(b.open)) / Fraction(b.open) * 100 * 10**6) for b in bars
    }
    gainers = sorted(((t, v) for t, v in scaled.items() if v > 0), key=lambda p: (-p[1], p[0]))[:n]
    losers = sorted(((t, v) for t, v in scaled.items() if v < 0), key=lambda p: (p[1], p[0]))[:n]
    return gainers, losers


def as_pairs(board: Board) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    def scaled(value: Decimal) -> int:
        assert value.as_tuple().exponent == -6  # stored exactly as the winner's: 6 places
        return int(value.scaleb(6))

    return (
        [(e.ticker, scaled(e.percent_change)) for e in board.gainers],
        [(e.ticker, scaled(e.percent_change)) for e in board.losers],
    )


SYMBOLS = [f"{a}{b}" for a in "ABCDEFGHJK" for b in "LMNPQRSTUV"]  # 100 distinct symbols
OPENS = ["10.00", "20.00", "33.33", "100.00", "7.77"]
# a handful of closes per open makes equal rounded changes (ties) common across tickers
FACTORS = ["0.9", "0.95", "0.99", "1", "1.01", "1.05", "1.1", "1.000000004", "0.999999996", "1.33333"]


@st.composite
def day(draw: Any) -> list[DailyBar]:
    tickers = draw(st.lists(st.sampled_from(SYMBOLS), min_size=1, max_size=70, unique=True))
    bars = []
    for t in tickers:
        o = Decimal(draw(st.sampled_from(OPENS)))
        if draw(st.booleans()):
            c = (o * Decimal(draw(st.sampled_from(FACTORS)))).quantize(Decimal("0.00000001"))
        else:
            c = Decimal(draw(st.integers(min_value=1, max_value=40_000))) / 100
        bars.append(mk(t, str(o), str(c)))
    return bars


@settings(max_examples=300, deadline=None)
@given(bars=day(), n=st.integers(min_value=1, max_value=BOARD_MAX))
def test_property_the_board_equals_an_independent_computation(bars: list[DailyBar], n: int) -> None:
    # Given any validated day (ties common, often fewer tickers than n) and any board size
    rows = validated_day(bars, [b.ticker for b in bars], DAY)
    # When its board is computed
    board = board_of(rows, DAY, n)
    # Then the gainers and losers are exactly the independent computation's, in its order
    assert as_pairs(board) == oracle(bars, n)
    assert (board.size, board.tickers, board.date) == (n, len(bars), DAY)
    # And each entry's close is its bar's, and the winner (unchanged) heads one of the lists when it moved
    closes = {b.ticker: b.close for b in bars}
    assert all(e.close == closes[e.ticker] for e in board.gainers + board.losers)
    winner = winner_of(rows, DAY)
    if winner.percent_change > 0:
        assert board.gainers[0].ticker == winner.ticker
    elif winner.percent_change < 0:
        assert board.losers[0].ticker == winner.ticker


def test_ties_go_to_the_ticker_that_sorts_first_on_both_sides() -> None:
    # Given three equal gains and two equal losses
    bars = [mk("ZZZ", "10", "11"), mk("AAA", "20", "22"), mk("MMM", "100", "110"),
            mk("QQQ", "10", "9"), mk("BBB", "50", "45")]  # fmt: skip
    # When the board of 2 is computed
    board = board_of(validated_day(bars, [b.ticker for b in bars], DAY), DAY, 2)
    # Then the tied gainers are AAA, MMM (not ZZZ) and the tied losers BBB, QQQ
    assert [e.ticker for e in board.gainers] == ["AAA", "MMM"]
    assert [e.ticker for e in board.losers] == ["BBB", "QQQ"]
    assert board.gainers[0].percent_change == Decimal("10.000000")


def test_fewer_tickers_than_n_lists_each_once_on_its_own_side() -> None:
    # Given three tickers (one up, one down, one flat) and the default size of 10
    bars = [mk("AAPL", "100", "103"), mk("MSFT", "100", "98"), mk("NVDA", "100", "100")]
    # When the board is computed
    board = board_of(validated_day(bars, ["AAPL", "MSFT", "NVDA"], DAY), DAY, 10)
    # Then each list holds only its side's tickers; the flat one is on neither
    assert [e.ticker for e in board.gainers] == ["AAPL"]
    assert [e.ticker for e in board.losers] == ["MSFT"]


def test_a_day_without_a_move_has_an_empty_board() -> None:
    bars = [mk("AAPL", "100", "100"), mk("MSFT", "5", "5")]
    board = board_of(validated_day(bars, ["AAPL", "MSFT"], DAY), DAY, 5)
    assert board.gainers == () and board.losers == () and board.tickers == 2


@pytest.mark.parametrize("size", [0, -1, BOARD_MAX + 1, True, "10", 10.0, None])
def test_a_bad_size_is_invalid_input_naming_the_field(size: Any) -> None:
    rows = validated_day([mk("AAPL", "1", "2")], ["AAPL"], DAY)
    with pytest.raises(InvalidInput, match=r"^boardSize: "):
        board_of(rows, DAY, size)
    with pytest.raises(InvalidInput, match=r"^BOARD_SIZE: "):
        board_size(size, "BOARD_SIZE")


def test_rows_that_are_not_one_session_of_distinct_tickers_are_refused() -> None:
    a = DayRow(mk("AAPL", "1", "2"), Decimal("100.000000"))
    with pytest.raises(DuplicateTicker, match="AAPL"):
        board_of([a, a], DAY, 10)
    with pytest.raises(SessionMismatch, match="AAPL"):
        board_of([a], DAY + dt.timedelta(days=1), 10)
    with pytest.raises(InvalidInput, match=r"^tickers: "):
        board_of([], DAY, 10)


# ---- Store Day's board: the rows it is handed, checked as the winner's were -------------------------


def reduced(bars: list[DailyBar]) -> dict[str, Any]:
    return reduce_day(DAY, [b.ticker for b in bars], bars, "massive")


BARS = [mk("AAPL", "100", "103"), mk("MSFT", "100", "98"), mk("NVDA", "100", "95")]


def test_store_day_computes_the_board_of_the_rows_every_path_hands_it() -> None:
    # Given the rows and winner that reduce_day gives (daily run, backfill and replay alike)
    day = reduced(BARS)
    # When Store Day computes the board, Then it is the rows' board
    board = stored_board(DAY, day["rows"], day["winner"], 10)
    assert as_pairs(board) == oracle(BARS, 10)


def test_store_day_refuses_a_stated_change_that_open_and_close_do_not_give() -> None:
    day = reduced(BARS)
    rows = [{**day["rows"][0], "percentChange": "30.000000"}, *day["rows"][1:]]
    with pytest.raises(InvalidBar, match=r"^AAPL: percentChange 30.000000 disagrees"):
        stored_board(DAY, rows, day["winner"], 10)


def test_store_day_refuses_a_winner_that_is_not_the_rows_winner() -> None:
    day = reduced(BARS)
    with pytest.raises(StoreRejected, match=r"^winner: AAPL 3.000000 is not the rows' winner \(NVDA"):
        stored_board(DAY, day["rows"], {**day["winner"], "ticker": "AAPL", "percentChange": "3.000000"}, 10)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (lambda rows: [*rows, rows[0]], DuplicateTicker),
        (lambda rows: [{**rows[0], "date": "2024-01-03"}, *rows[1:]], SessionMismatch),
        (lambda rows: [{**rows[0], "open": "0"}, *rows[1:]], InvalidBar),
        (lambda rows: [{**rows[0], "percentChange": "lots"}, *rows[1:]], InvalidBar),
        (lambda rows: [{k: v for k, v in rows[0].items() if k != "close"}, *rows[1:]], InvalidBar),
        (lambda rows: [], InvalidInput),
    ],
)
def test_store_day_refuses_rows_that_are_not_a_validated_day(change: Any, error: type) -> None:
    day = reduced(BARS)
    with pytest.raises(error):
        stored_board(DAY, change(day["rows"]), day["winner"], 10)
