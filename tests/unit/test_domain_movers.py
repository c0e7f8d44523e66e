"""Percent change, all-or-nothing day validation and the winner (examples plus Hypothesis properties)."""

import dataclasses
import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stock_movers.domain import movers
from stock_movers.domain.bars import PRICE_MAX, VOLUME_MAX, DailyBar
from stock_movers.domain.errors import (
    DataIntegrityError,
    DuplicateTicker,
    InvalidBar,
    InvalidInput,
    MissingTickers,
    SessionMismatch,
)
from stock_movers.domain.movers import (
    PCT_MAX,
    Winner,
    day_rows,
    percent_change,
    pick_winner,
    validate_day,
    validated_day,
)
from stock_movers.usecases.pick import reduce_day

DAY = dt.date(2024, 1, 2)


def mk(ticker: str, open_: str, close: str, day: dt.date = DAY) -> DailyBar:
    o, c = Decimal(open_), Decimal(close)
    return DailyBar(ticker, day, o, max(o, c) + 1, min(o, c) / 2, c, Decimal(1000))


# ---- percent change -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("open_", "close", "expected"),
    [
        ("100", "100", "0.000000"),
        ("100", "110", "10.000000"),
        ("74.06", "75.0875", "1.387389"),  # 1.38738860...
        ("3", "1", "-66.666667"),
        ("3", "2", "-33.333333"),
        # exact halves at the 7th decimal: banker's rounding goes to the even neighbour
        ("1", "1.000000005", "0.000000"),
        ("1", "1.000000015", "0.000002"),
        ("1", "0.999999995", "0.000000"),
        ("1", "0.999999985", "-0.000002"),
    ],
)
def test_given_open_and_close_then_percent_change_is_rounded_half_even_to_6dp(open_, close, expected):
    result = percent_change(Decimal(open_), Decimal(close))
    assert result == Decimal(expected)
    assert result.as_tuple().exponent == -6
    assert str(result) == expected


@pytest.mark.parametrize(
    ("open_", "close", "rule"),
    [
        (Decimal(0), Decimal(1), "open must be > 0"),
        (Decimal(-5), Decimal(1), "open must be > 0"),
        (Decimal("NaN"), Decimal(1), "open is not finite"),
        (Decimal(1), Decimal("Infinity"), "close is not finite"),
        (1.5, Decimal(1), "open must be a Decimal"),
    ],
)
def test_given_a_bad_open_or_close_then_percent_change_raises_invalid_bar(open_, close, rule):
    with pytest.raises(InvalidBar, match=rule):
        percent_change(open_, close, ticker="AAPL")


# ---- validate_day / pick_winner examples ---------------------------------------------------------

WATCH = ("AAPL", "MSFT", "TSLA")


def test_given_a_complete_day_then_the_winner_has_the_largest_absolute_move():
    bars = [mk("AAPL", "100", "101"), mk("MSFT", "100", "97.5"), mk("TSLA", "100", "102")]
    assert pick_winner(bars, WATCH, DAY) == Winner(
        DAY, "MSFT", Decimal("-2.500000"), Decimal(100), Decimal("97.5")
    )


def test_given_a_tie_then_the_smaller_symbol_wins_whatever_the_order():
    bars = [mk("TSLA", "100", "98"), mk("MSFT", "100", "102"), mk("AAPL", "100", "100.5")]
    assert pick_winner(bars, WATCH, DAY).ticker == "MSFT"
    assert pick_winner(list(reversed(bars)), WATCH, DAY).ticker == "MSFT"


def test_given_extra_unrequested_tickers_then_they_are_ignored_even_if_broken():
    broken = dataclasses.replace(mk("ZZZZ", "1", "50"), open=Decimal(0))
    bars = [mk("AAPL", "100", "101"), mk("MSFT", "100", "99.5"), mk("TSLA", "100", "100"), broken, broken]
    assert [b.ticker for b in validate_day(bars, WATCH, DAY)] == ["AAPL", "MSFT", "TSLA"]
    assert pick_winner(bars, WATCH, DAY).ticker == "AAPL"


def test_given_a_missing_ticker_then_missing_tickers_lists_it():
    with pytest.raises(MissingTickers) as info:
        validate_day([mk("AAPL", "1", "2")], WATCH, DAY)
    assert info.value.missing == ("MSFT", "TSLA")


def test_given_a_duplicate_requested_ticker_then_duplicate_ticker():
    bars = [mk("AAPL", "1", "2"), mk("AAPL", "1", "2"), mk("MSFT", "1", "2"), mk("TSLA", "1", "2")]
    with pytest.raises(DuplicateTicker, match="AAPL"):
        validate_day(bars, WATCH, DAY)


def test_given_a_bar_for_another_session_then_session_mismatch():
    bars = [mk("AAPL", "1", "2"), mk("MSFT", "1", "2", dt.date(2024, 1, 3)), mk("TSLA", "1", "2")]
    with pytest.raises(SessionMismatch, match="MSFT"):
        validate_day(bars, WATCH, DAY)


def test_given_an_invalid_requested_bar_then_invalid_bar():
    bars = [
        mk("AAPL", "1", "2"),
        dataclasses.replace(mk("MSFT", "1", "2"), high=Decimal("1.5")),
        mk("TSLA", "1", "2"),
    ]
    with pytest.raises(InvalidBar, match="MSFT: high"):
        pick_winner(bars, WATCH, DAY)


@pytest.mark.parametrize(
    ("tickers", "reason"), [((), "must not be empty"), (("AAPL", "AAPL"), "duplicate"), ("AAPL", "string")]
)
def test_given_a_bad_watchlist_then_invalid_input(tickers, reason):
    with pytest.raises(InvalidInput, match=reason):
        validate_day([mk("AAPL", "1", "2")], tickers, DAY)


def test_day_rows_pair_each_bar_with_its_change_sorted_by_ticker():
    rows = day_rows([mk("TSLA", "200", "150"), mk("AAPL", "4", "5")])
    assert [(r.bar.ticker, r.percent_change) for r in rows] == [
        ("AAPL", Decimal("25")),
        ("TSLA", Decimal("-25")),
    ]


def test_winner_to_dict_is_exact_strings():
    w = Winner(DAY, "AAPL", Decimal("1.500000"), Decimal("100.10"), Decimal("101.6015"))
    assert w.to_dict() == {
        "date": "2024-01-02",
        "ticker": "AAPL",
        "percent_change": "1.500000",
        "open": "100.10",
        "close": "101.6015",
    }


# ---- properties ---------------------------------------------------------------------------------

SYMBOLS = st.from_regex(r"\A[A-Z]{1,5}([.-][A-Z]{1,2})?\Z")
PRICE = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("5000"), places=4)


@st.composite
def open_close(draw):
    """An open and a close at most 100x apart (|change| within PCT_MAX, the plausible bound)."""
    o = draw(PRICE)
    c = draw(st.decimals(min_value=max(Decimal("0.01"), o / 100), max_value=o * 100, places=4))
    return o, c


@st.composite
def days(draw, min_size=1):
    tickers = draw(st.lists(SYMBOLS, min_size=min_size, max_size=12, unique=True))
    bars = []
    for t in tickers:
        o, c = draw(open_close())
        hi = max(o, c) + draw(st.decimals(min_value=0, max_value=10, places=2))
        lo = min(o, c) - draw(st.decimals(min_value=0, max_value=min(o, c) - Decimal("0.0001"), places=4))
        bars.append(DailyBar(t, DAY, o, hi, lo, c, draw(st.decimals(min_value=0, max_value=10**9, places=0))))
    return tickers, bars


def brute_force_pct(o: Decimal, c: Decimal) -> Fraction:
    """Independent oracle: exact rational change, rounded half-even to 1e-6 with integer arithmetic."""
    exact = (Fraction(c) - Fraction(o)) / Fraction(o) * 100 * 10**6
    q, r = divmod(exact.numerator, exact.denominator)  # floor division, 0 <= r < den
    twice = 2 * r
    if twice > exact.denominator or (twice == exact.denominator and q % 2 == 1):
        q += 1
    return Fraction(q, 10**6)


@settings(max_examples=200, deadline=None)
@given(days())
def test_property_winner_matches_brute_force_and_has_max_abs_change(day):
    tickers, bars = day
    winner = pick_winner(bars, tickers, DAY)
    ranked = sorted(bars, key=lambda b: (-abs(brute_force_pct(b.open, b.close)), b.ticker))
    assert winner.ticker == ranked[0].ticker
    assert Fraction(winner.percent_change) == brute_force_pct(ranked[0].open, ranked[0].close)
    assert all(abs(winner.percent_change) >= abs(percent_change(b.open, b.close)) for b in bars)


@settings(max_examples=150, deadline=None)
@given(days(), st.randoms(use_true_random=False))
def test_property_winner_is_independent_of_input_and_watchlist_order(day, rnd):
    tickers, bars = day
    shuffled_bars, shuffled_tickers = bars[:], list(tickers)
    rnd.shuffle(shuffled_bars)
    rnd.shuffle(shuffled_tickers)
    assert pick_winner(shuffled_bars, shuffled_tickers, DAY) == pick_winner(bars, tickers, DAY)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_property_ties_go_to_the_smallest_symbol(data):
    tickers = data.draw(st.lists(SYMBOLS, min_size=2, max_size=8, unique=True))
    o, c = data.draw(open_close())
    bars = [DailyBar(t, DAY, o, max(o, c), min(o, c), c, Decimal(1)) for t in tickers]
    assert pick_winner(bars, tickers, DAY).ticker == min(tickers)


CORRUPTIONS = [
    {"open": Decimal(0)},
    {"open": Decimal("-1")},
    {"close": Decimal("NaN")},
    {"high": Decimal("0.001")},
    {"low": Decimal("99999")},
    {"volume": None},
    {"date": dt.date(2024, 1, 3)},
]


@settings(max_examples=150, deadline=None)
@given(days(), st.data())
def test_property_a_day_with_a_ticker_removed_yields_nothing(day, data):
    tickers, bars = day
    victim = data.draw(st.sampled_from(range(len(bars))))
    remaining = bars[:victim] + bars[victim + 1 :]
    with pytest.raises(MissingTickers) as info:
        validate_day(remaining, tickers, DAY)
    assert info.value.missing == (bars[victim].ticker,)
    with pytest.raises(MissingTickers):
        pick_winner(remaining, tickers, DAY)


@settings(max_examples=150, deadline=None)
@given(days(), st.data())
def test_property_a_day_with_one_corrupted_bar_yields_nothing(day, data):
    tickers, bars = day
    victim = data.draw(st.sampled_from(range(len(bars))))
    corruption = data.draw(st.sampled_from(CORRUPTIONS))
    broken = bars[:]
    broken[victim] = dataclasses.replace(bars[victim], **corruption)
    with pytest.raises(DataIntegrityError) as info:
        validate_day(broken, tickers, DAY)
    assert bars[victim].ticker in str(info.value)
    with pytest.raises(DataIntegrityError):
        pick_winner(broken, tickers, DAY)


# ---- bounds: what the stores hold and what a market prints ------------------------------------------


def test_given_a_change_at_the_bound_then_it_is_a_move_and_beyond_it_is_invalid_bar():
    # Given +10,000 % exactly (close 101 x open), Then it is the day's winner
    at = [mk("AAPL", "1", "101"), mk("MSFT", "100", "100"), mk("TSLA", "100", "100")]
    assert pick_winner(at, WATCH, DAY).percent_change == PCT_MAX
    # Given one tick more, Then InvalidBar names the ticker and the field
    beyond = [mk("AAPL", "1", "101.00000001"), mk("MSFT", "100", "100"), mk("TSLA", "100", "100")]
    with pytest.raises(InvalidBar) as info:
        pick_winner(beyond, WATCH, DAY)
    assert (info.value.ticker, info.value.field) == ("AAPL", "percentChange")
    assert str(info.value).startswith("AAPL: percent change 10000.000001")


def test_given_a_huge_close_as_the_provider_fault_sends_it_then_pick_refuses_with_the_field():
    # Given close = high = 1e15 (the measured case that reached Store Day as a raw ArrowInvalid)
    huge = dataclasses.replace(mk("MSFT", "100", "101"), close=Decimal("1e15"), high=Decimal("1e15"))
    bars = [mk("AAPL", "100", "101"), huge, mk("TSLA", "100", "100")]
    # When the day is reduced as Pick Winner does, Then InvalidBar names MSFT and the first bad field
    with pytest.raises(InvalidBar) as info:
        reduce_day(DAY, WATCH, bars, "massive")
    assert info.value.ticker == "MSFT" and info.value.field == "high"
    assert "above the maximum price" in str(info.value)


OUT_OF_RANGE = [
    ({"close": PRICE_MAX + 1, "high": PRICE_MAX + 1}, "high"),
    ({"open": Decimal("1e15"), "high": Decimal("1e15")}, "open"),
    ({"volume": VOLUME_MAX + 1}, "volume"),
    ({"volume": Decimal("1e20")}, "volume"),
    ({"volume": Decimal("10.123456789")}, "volume"),
    ({"close": Decimal("1.000000001")}, "close"),
    ({"low": Decimal("1E-9")}, "low"),
    ({"high": Decimal("1E+999999")}, "high"),
]


@settings(max_examples=150, deadline=None)
@given(days(), st.data())
def test_property_a_day_with_one_out_of_range_number_fails_with_invalid_bar_naming_the_field(day, data):
    # Given a valid day, When one bar gets a number no store or market holds
    tickers, bars = day
    victim = data.draw(st.sampled_from(range(len(bars))))
    changes, field = data.draw(st.sampled_from(OUT_OF_RANGE))
    broken = bars[:]
    broken[victim] = dataclasses.replace(bars[victim], **changes)
    # Then the day is refused with InvalidBar naming that ticker and field, both ways of reducing it
    for reduce in (
        lambda: validated_day(broken, tickers, DAY),
        lambda: reduce_day(DAY, tickers, broken, "p"),
    ):
        with pytest.raises(InvalidBar) as info:
            reduce()
        assert info.value.ticker == bars[victim].ticker
        assert info.value.field == field
        assert str(info.value).startswith(f"{bars[victim].ticker}: {field}")


def test_each_bar_is_validated_once_and_each_change_computed_once(monkeypatch):
    # Given a day of three tickers, counting the validations and the percent changes
    calls = {"validate": 0, "percent": 0}
    real_validate, real_percent = movers.validate_bar, movers.percent_change

    def validate(bar):
        calls["validate"] += 1
        return real_validate(bar)

    def percent(*args, **kwargs):
        calls["percent"] += 1
        return real_percent(*args, **kwargs)

    monkeypatch.setattr(movers, "validate_bar", validate)
    monkeypatch.setattr(movers, "percent_change", percent)
    bars = [mk("AAPL", "100", "101"), mk("MSFT", "100", "97.5"), mk("TSLA", "100", "102")]
    # When Pick Winner's reduction runs
    result = reduce_day(DAY, WATCH, bars, "massive")
    # Then once each, and the result is what it always was
    assert calls == {"validate": 3, "percent": 3}
    assert result["winner"]["ticker"] == "MSFT" and result["winner"]["percentChange"] == "-2.500000"
    assert [r["percentChange"] for r in result["rows"]] == ["1.000000", "-2.500000", "2.000000"]
