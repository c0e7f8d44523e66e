"""The day's bars as Parquet (pyarrow, from the arrow layer: only this function imports it).

Columns: date, ticker, open, high, low, close, volume, pct_change, provider. Prices and volume are
decimal128(28, 8) and pct_change decimal128(18, 6), so stored values equal the bars exactly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

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
    ]
)


def bars_parquet(rows: Sequence[dict[str, Any]]) -> bytes:
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for r in rows:
        columns["date"].append(dt.date.fromisoformat(r["date"]))
        columns["ticker"].append(r["ticker"])
        for name in ("open", "high", "low", "close", "volume"):
            columns[name].append(Decimal(r[name]))
        columns["pct_change"].append(Decimal(r["percentChange"]))
        columns["provider"].append(r["provider"])
    table = pa.Table.from_pydict(columns, schema=SCHEMA)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return bytes(sink.getvalue().to_pybytes())
