"""The day's analysis as Parquet: one row per ticker (pyarrow, from the arrow layer: only this function).

Columns: date, ticker, pct_change, volatility, z_score, unusual, wins_7, wins_30, wins_90, streak,
longest_streak, sessions, dispersion_std, dispersion_range, status. Figures are decimal128(18, 6) (exactly
the stored values); a missing figure is null.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

FIGURE = pa.decimal128(18, 6)
SCHEMA = pa.schema(
    [
        ("date", pa.date32()),
        ("ticker", pa.string()),
        ("pct_change", FIGURE),
        ("volatility", FIGURE),
        ("z_score", FIGURE),
        ("unusual", pa.bool_()),
        ("wins_7", pa.int32()),
        ("wins_30", pa.int32()),
        ("wins_90", pa.int32()),
        ("streak", pa.int32()),
        ("longest_streak", pa.int32()),
        ("sessions", pa.int32()),
        ("dispersion_std", FIGURE),
        ("dispersion_range", FIGURE),
        ("status", pa.string()),
    ]
)


def analysis_key(day: dt.date) -> str:
    """``curated/analysis/year=YYYY/date=YYYY-MM-DD/analysis.parquet`` (Hive-style, like the daily bars)."""
    return f"curated/analysis/year={day.year}/date={day.isoformat()}/analysis.parquet"


def analysis_parquet(summary: Mapping[str, Any]) -> bytes:
    """The summary's per-ticker rows as Parquet bytes."""
    day = dt.date.fromisoformat(summary["Date"])
    spread = summary["Dispersion"]
    columns: dict[str, list[Any]] = {name: [] for name in SCHEMA.names}
    for row in summary["Tickers"]:
        columns["date"].append(day)
        columns["ticker"].append(row["Ticker"])
        columns["pct_change"].append(row["PercentChange"])
        columns["volatility"].append(row["Volatility"])
        columns["z_score"].append(row["ZScore"])
        columns["unusual"].append(row["Unusual"])
        for n in (7, 30, 90):
            columns[f"wins_{n}"].append(row[f"Wins{n}"])
        columns["streak"].append(row["Streak"])
        columns["longest_streak"].append(row["LongestStreak"])
        columns["sessions"].append(row["Sessions"])
        columns["dispersion_std"].append(spread["StdDev"])
        columns["dispersion_range"].append(spread["Range"])
        columns["status"].append(summary["Status"])
    table = pa.Table.from_pydict(columns, schema=SCHEMA)
    sink = pa.BufferOutputStream()
    pq.write_table(table, sink, compression="snappy")
    return bytes(sink.getvalue().to_pybytes())
