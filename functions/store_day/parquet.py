"""The day's bars as Parquet (pyarrow, from the arrow layer: only this function imports it).

Columns: date, ticker, open, high, low, close, volume, pct_change, provider, gainer_rank, loser_rank, basis,
fetched_at. basis ("adjusted": split-adjusted as of fetched_at, or "unadjusted": as traded; domain.splits) and
fetched_at (ISO 8601 UTC) are null for rows a run stored before they were recorded.
Prices and volume are decimal128(28, 8) and pct_change decimal128(18, 6), so stored values equal the bars
exactly. gainer_rank / loser_rank (int16, 1 = first) place a ticker on the day's top-N board (the DynamoDB
board item's lists, same commit); null when it is not on that list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from stock_movers.domain.errors import StoreRejected
from stock_movers.domain.leaders import Board

PRICE = pa.decimal128(28, 8)
SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("ticker", pa.string()),
        ("open", PRICE),
        ("high", PRICE),
        ("low", PRICE),
        ("close", PRICE),
        ("volume", PRICE),
        ("pct_change", pa.decimal128(18, 6)),
        ("provider", pa.string()),
        ("gainer_rank", pa.int16()),
        ("loser_rank", pa.int16()),
        ("basis", pa.string()),
        ("fetched_at", pa.string()),
    ]
)


def bars_parquet(rows: Sequence[dict[str, Any]], board: Board) -> bytes:
    """The rows as one Parquet file with the board's ranks; StoreRejected (naming the ticker and field) for
    a row it cannot hold.

    Pick Winner's bounds keep every validated row inside the schema, so this is the last line, not the rule.
    """
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for r in rows:
        ticker = str(r.get("ticker", "?"))[:12] if isinstance(r, dict) else "?"
        for name, column, parse in _FIELDS:
            try:
                columns[column].append(parse(r[name]))
            except (KeyError, TypeError, ValueError, ArithmeticError):
                raise StoreRejected(f"parquet: {ticker}: field {name!r} is missing or malformed") from None
    gainers = {e.ticker: i for i, e in enumerate(board.gainers, 1)}
    losers = {e.ticker: i for i, e in enumerate(board.losers, 1)}
    columns["gainer_rank"] = [gainers.get(t) for t in columns["ticker"]]
    columns["loser_rank"] = [losers.get(t) for t in columns["ticker"]]
    columns["basis"] = [_optional_text(r, "basis") for r in rows]
    columns["fetched_at"] = [_optional_text(r, "fetchedAt") for r in rows]
    try:
        table = pa.Table.from_pydict(columns, schema=SCHEMA)
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink, compression="snappy")
    except (pa.ArrowException, ValueError, TypeError, ArithmeticError) as exc:
        # e.g. ArrowInvalid: a value with more integer digits or decimal places than the column holds
        raise StoreRejected(f"parquet: the day's rows do not fit the schema: {str(exc)[:200]}") from None
    return bytes(sink.getvalue().to_pybytes())


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _optional_text(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is not None and not isinstance(value, str):
        raise StoreRejected(f"parquet: {str(row.get('ticker', '?'))[:12]}: field {name!r} is malformed")
    return value


def _number(value: Any) -> Decimal:
    if not isinstance(value, str | int | Decimal) or isinstance(value, bool):
        raise TypeError("not a number")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("not finite")
    return number


# (row key, column, parser)
_FIELDS = (
    ("date", "date", lambda v: dt.date.fromisoformat(_text(v))),
    ("ticker", "ticker", _text),
    ("open", "open", _number),
    ("high", "high", _number),
    ("low", "low", _number),
    ("close", "close", _number),
    ("volume", "volume", _number),
    ("percentChange", "pct_change", _number),
    ("provider", "provider", _text),
)
