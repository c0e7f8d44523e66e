"""DailyBar: exact serialisation and the single validity rule set."""

import dataclasses
import datetime as dt
import json
from decimal import Decimal

import pytest

from stock_movers.domain.bars import PRICE_MAX, VOLUME_MAX, DailyBar, validate_bar
from stock_movers.domain.errors import InvalidBar

DAY = dt.date(2024, 1, 2)


def bar(**changes) -> DailyBar:
    base = DailyBar(
        ticker="AAPL",
        date=DAY,
        open=Decimal("187.15"),
        high=Decimal("188.44"),
        low=Decimal("183.885"),
        close=Decimal("185.64"),
        volume=Decimal("82488674"),
    )
    return dataclasses.replace(base, **changes)


def test_given_a_bar_when_round_tripped_through_json_then_it_is_identical_and_exact():
    original = bar(close=Decimal("185.6400001"))
    text = json.dumps(original.to_dict())
    again = DailyBar.from_dict(json.loads(text))
    assert again == original
    assert again.close.as_tuple() == original.close.as_tuple()
    assert json.loads(text)["date"] == "2024-01-02"
    assert json.loads(text)["close"] == "185.6400001"


def test_given_floats_when_from_floats_then_decimal_uses_the_short_repr_not_binary_expansion():
    b = DailyBar.from_floats("AAPL", DAY, 74.06, 75.15, 73.7975, 75.0875, 135647456.0)
    assert b.open == Decimal("74.06")
    assert b.open != Decimal.from_float(74.06)  # the binary expansion is 74.06000000000000227...
    assert b.close == Decimal("75.0875")


def test_given_a_valid_bar_then_validate_returns_it():
    assert validate_bar(bar()) == bar()


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"open": Decimal(0)}, "open must be > 0"),
        ({"open": Decimal("-1"), "low": Decimal("-2")}, "open must be > 0"),
        ({"close": Decimal("NaN")}, "close is not finite"),
        ({"high": Decimal("Infinity")}, "high is not finite"),
        ({"open": Decimal("sNaN")}, "open is not finite"),
        ({"high": Decimal("186")}, "high 186 is below max(open, close)"),
        ({"low": Decimal("186")}, "low 186 is above min(open, close)"),
        ({"volume": Decimal("-1")}, "volume must be >= 0"),
        ({"volume": None}, "missing field 'volume'"),
        ({"close": 185.64}, "close must be a Decimal"),
        ({"date": "2024-01-02"}, "date must be a datetime.date"),
        ({"date": dt.datetime(2024, 1, 2)}, "date must be a datetime.date"),
        # bounds: what Parquet decimal128(28, 8) and a DynamoDB Number hold, and what a market prints
        (
            {"high": Decimal("1e15"), "close": Decimal("1e15")},
            "high 1E+15 is above the maximum price 10000000",
        ),
        ({"high": Decimal("10000000.00000001")}, "high 10000000.00000001 is above the maximum price"),
        ({"close": Decimal("185.640000001")}, "close 185.640000001 has more than 8 decimal places"),
        ({"low": Decimal("1E-1000000")}, "low 1E-1000000 has more than 8 decimal places"),
        ({"volume": Decimal("1e20")}, "volume 1E+20 is above the maximum 1000000000000"),
        ({"volume": Decimal("8.123456789")}, "volume 8.123456789 has more than 8 decimal places"),
        ({"high": Decimal("9" * 5000)}, "high 9999999999999999999999999999999999999... is above"),
    ],
)
def test_given_a_broken_bar_then_invalid_bar_names_ticker_and_rule(changes, rule):
    with pytest.raises(InvalidBar) as info:
        validate_bar(bar(**changes))
    assert info.value.ticker == "AAPL"
    assert rule in str(info.value)
    assert str(info.value).startswith("AAPL: ") and info.value.field in str(info.value)
    assert len(str(info.value)) < 160  # a hostile number is cut, not echoed


@pytest.mark.parametrize(
    "changes",
    [
        {"high": PRICE_MAX},  # the dearest price allowed
        {"low": Decimal("0.00000001")},  # the smallest price Parquet's scale holds
        {"close": Decimal("185.6400000000000"), "high": Decimal("188.44000000")},  # trailing zeros fit
        {"volume": VOLUME_MAX},
        {"volume": Decimal("8.2488674E+7")},  # a whole number in exponent form
        {"volume": Decimal(0)},
        {"volume": Decimal("82488674.5")},  # fractional shares: Massive's `v` is a double
        {"volume": Decimal("0.00000001")},  # the smallest fraction Parquet's scale holds
    ],
)
def test_given_numbers_at_the_bounds_then_the_bar_is_valid(changes):
    assert validate_bar(bar(**changes)) == bar(**changes)


def test_given_no_ticker_then_invalid_bar():
    with pytest.raises(InvalidBar, match="missing field 'ticker'"):
        validate_bar(bar(ticker=""))


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        ({"date": "2024-01-02", "open": "1"}, "missing field 'ticker'"),
        ({"ticker": "AAPL", "open": "1"}, "missing field 'date'"),
        ({"ticker": "AAPL", "date": "2024/01/02"}, "date must be YYYY-MM-DD"),
        ({"ticker": "AAPL", "date": "2024-02-30"}, "not a calendar date"),
        (
            {"ticker": "AAPL", "date": "2024-01-02", "open": "1", "high": "1", "low": "1", "close": "1"},
            "volume",
        ),
        (
            {
                "ticker": "AAPL",
                "date": "2024-01-02",
                "open": "abc",
                "high": "1",
                "low": "1",
                "close": "1",
                "volume": "1",
            },
            "open: not a number",
        ),
        (
            {
                "ticker": "AAPL",
                "date": "2024-01-02",
                "open": True,
                "high": "1",
                "low": "1",
                "close": "1",
                "volume": "1",
            },
            "open: a bool is not a number",
        ),
        ("not a dict", "bar must be an object"),
    ],
)
def test_given_a_malformed_dict_when_from_dict_then_invalid_bar(data, rule):
    with pytest.raises(InvalidBar, match=rule):
        DailyBar.from_dict(data)


def test_given_int_and_float_numbers_in_a_dict_then_from_dict_is_exact():
    b = DailyBar.from_dict(
        {
            "ticker": "AAPL",
            "date": "2024-01-02",
            "open": 10,
            "high": 10.5,
            "low": "9.25",
            "close": 10.1,
            "volume": 7,
        }
    )
    assert (b.open, b.high, b.low, b.close, b.volume) == (
        Decimal(10),
        Decimal("10.5"),
        Decimal("9.25"),
        Decimal("10.1"),
        Decimal(7),
    )
