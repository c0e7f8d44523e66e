"""Store Day meets no raw library error: every day Pick Winner accepts fits the Parquet schema and DynamoDB
Numbers (a property over the whole allowed range), and what the store refuses for good is StoreRejected."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from stock_movers.domain.bars import PRICE_MAX, VOLUME_MAX, DailyBar
from stock_movers.domain.errors import StoreRejected
from stock_movers.domain.leaders import Board
from stock_movers.usecases.pick import reduce_day, stored_board

STORE_DAY = Path(__file__).resolve().parents[2] / "functions" / "store_day"
DAY = dt.date(2025, 3, 3)


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"store_day_{name}", STORE_DAY / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


parquet = _load("parquet")
store_errors = _load("store_errors")

# Prices over the whole allowed range (8 decimal places, 1e-8 .. PRICE_MAX), volumes up to VOLUME_MAX.
PRICES = st.decimals(min_value=Decimal("0.00000001"), max_value=PRICE_MAX, places=8)


@st.composite
def extreme_bar(draw: Any, ticker: str) -> DailyBar:
    o = draw(PRICES)
    c = draw(
        st.decimals(
            min_value=max(Decimal("0.00000001"), o / 101), max_value=min(PRICE_MAX, o * 100), places=8
        )
    )
    hi = draw(st.decimals(min_value=max(o, c), max_value=PRICE_MAX, places=8))
    lo = draw(st.decimals(min_value=Decimal("0.00000001"), max_value=min(o, c), places=8))
    volume = draw(st.integers(min_value=0, max_value=int(VOLUME_MAX)))
    return DailyBar(ticker, DAY, o, hi, lo, c, Decimal(volume))


def _dynamodb_number(text: str) -> bool:
    """DynamoDB's Number rule: at most 38 significant digits, magnitude 1E-130 .. 9.99E+125 (or zero)."""
    value = Decimal(text)
    digits = value.normalize().as_tuple().digits
    return value == 0 or (len(digits) <= 38 and Decimal("1E-130") <= abs(value) < Decimal("1E+126"))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_property_every_day_pick_winner_accepts_fits_parquet_and_dynamodb_exactly(data: Any) -> None:
    import pyarrow.parquet as pq

    # Given any day whose bars pass the daily run's validation, anywhere in the allowed range
    tickers = ["AAPL", "BRK.A", "MSFT"]
    bars = [data.draw(extreme_bar(t)) for t in tickers]
    reduced = reduce_day(DAY, tickers, bars, "massive")
    # When Store Day checks it and computes its board, Then it accepts it (no day the run picked is refused)
    board = stored_board(DAY, reduced["rows"], reduced["winner"], 2)
    # And Parquet holds every value exactly, with the board's ranks
    table = pq.read_table(io.BytesIO(parquet.bars_parquet(reduced["rows"], board))).to_pylist()
    for row, stored in zip(reduced["rows"], table, strict=True):
        for name in ("open", "high", "low", "close", "volume"):
            assert stored[name] == Decimal(row[name])
        assert stored["pct_change"] == Decimal(row["percentChange"])
    ranked = sorted((r["gainer_rank"], r["ticker"]) for r in table if r["gainer_rank"] is not None)
    assert [t for _, t in ranked] == [e.ticker for e in board.gainers]
    # And every number is a valid DynamoDB Number
    numbers = [
        r[k] for r in reduced["rows"] for k in ("open", "high", "low", "close", "volume", "percentChange")
    ]
    assert all(_dynamodb_number(n) for n in numbers)


def _row(**changes: str) -> dict[str, str]:
    row = {"date": "2025-03-03", "ticker": "AAPL", "open": "1", "high": "2", "low": "1", "close": "2",
           "volume": "10", "percentChange": "100.000000", "provider": "massive"}  # fmt: skip
    return {**row, **changes}


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (_row(percentChange="1382141351595927.000000"), "do not fit the schema"),
        (_row(close="1.123456789"), "do not fit the schema"),
        (_row(volume="NaN"), "AAPL: field 'volume' is missing or malformed"),
        ({k: v for k, v in _row().items() if k != "close"}, "AAPL: field 'close' is missing or malformed"),
        (_row(date="2025-13-01"), "AAPL: field 'date' is missing or malformed"),
    ],
)
def test_given_a_row_parquet_cannot_hold_then_store_rejected_not_a_raw_arrow_error(row, reason) -> None:
    with pytest.raises(StoreRejected, match=reason):
        parquet.bars_parquet([row], Board(DAY, 10, 1, (), ()))


def _client_error(code: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "One or more parameter values were invalid"}}, "PutItem"
    )


def test_a_permanent_refusal_or_malformed_input_is_store_rejected_and_throttling_keeps_its_name() -> None:
    def handler_raising(exc: Exception) -> Any:
        def handler(event: Any, context: Any) -> Any:
            raise exc

        return store_errors.named_store_errors(handler)

    with pytest.raises(StoreRejected, match="PutItem: ValidationException: One or more parameter"):
        handler_raising(_client_error("ValidationException"))({}, None)
    with pytest.raises(StoreRejected, match="input: malformed Store Day input"):
        handler_raising(KeyError("winner"))({}, None)
    with pytest.raises(ClientError) as info:
        handler_raising(_client_error("ProvisionedThroughputExceededException"))({}, None)
    assert info.value.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert store_errors.named_store_errors(lambda e, c: {"status": "Stored"})({}, None) == {
        "status": "Stored"
    }


# ---- the Pick Winner handler: the error Step Functions sees ------------------------------------------


def _fetched(ticker: str, close: str, high: str) -> dict[str, Any]:
    bar = {"ticker": ticker, "date": "2025-03-03", "open": "100", "high": high, "low": "99", "close": close,
           "volume": "1000"}  # fmt: skip
    return {"ticker": ticker, "provider": "massive", "bar": bar}


@pytest.mark.parametrize(
    ("fetched", "message"),
    [
        ([_fetched("AAPL", "101", "102"), _fetched("MSFT", "1e15", "1e15")], r"MSFT: high 1E\+15 is above"),
        ([_fetched("AAPL", "101", "102"), _fetched("MSFT", "101", "1e20")], r"MSFT: high 1E\+20 is above"),
        ([_fetched("AAPL", "101", "102"), {"ticker": "MSFT"}], "bar must be an object"),
        ([_fetched("AAPL", "101", "102"), "junk"], "bar must be an object"),
    ],
)
def test_pick_winner_fails_a_bad_day_with_invalid_bar_naming_ticker_and_field(fetched, message) -> None:
    from stock_movers.domain.errors import InvalidBar
    from stock_movers.execution_names import daily_execution_name
    from stock_movers.usecases.pick import pick_stored_day
    from tests.support.work_objects import FakeWorkObjects

    # Given the bars the run's per-ticker fetches left in S3
    objects = FakeWorkObjects()
    for ticker, entry in zip(["AAPL", "MSFT"], fetched, strict=True):
        objects.put_fetched(daily_execution_name("2025-03-03"), entry, ticker)
    # When Pick Winner reduces them, Then InvalidBar names the ticker and the rule, and no day is left
    with pytest.raises(InvalidBar, match=message):
        pick_stored_day(
            objects, dt.date(2025, 3, 3), ["AAPL", "MSFT"], "", daily_execution_name("2025-03-03")
        )
    assert not any(k.endswith("day.json") for k in objects.objects)
