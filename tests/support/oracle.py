"""An independent computation of the contract over the bundled CSV: plain csv + Fraction, no project code.

The tests compare what the pipeline stored with what this computes, so a bug shared by the pipeline's
domain code and its tests cannot hide.
"""

from __future__ import annotations

import csv
from fractions import Fraction
from functools import cache
from pathlib import Path

CSV = Path(__file__).resolve().parents[2] / "movers" / "market" / "data" / "synthetic.csv"
DEFAULT = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA")


@cache
def rows() -> dict[tuple[str, str], dict[str, str]]:
    with CSV.open(newline="") as f:
        return {(r["ticker"], r["date"]): r for r in csv.DictReader(f)}


def sessions() -> list[str]:
    return sorted({d for (_, d) in rows()})


def pct(ticker: str, day: str) -> Fraction:
    r = rows()[(ticker, day)]
    o, c = Fraction(r["open"]), Fraction(r["close"])
    return (c - o) / o * 100


def pct6(ticker: str, day: str) -> str:
    """Percent change rounded half-even to 6 places, as a plain decimal string."""
    scaled = round(pct(ticker, day) * 10**6)
    sign = "-" if scaled < 0 else ""
    scaled = abs(scaled)
    return f"{sign}{scaled // 10**6}.{scaled % 10**6:06d}"


def winner(day: str, tickers: tuple[str, ...] = DEFAULT) -> tuple[str, str]:
    """(ticker, percent change) of the day's biggest absolute mover; ties by ticker ascending."""
    best = sorted(tickers, key=lambda t: (-abs(pct(t, day)), t))[0]
    return best, pct6(best, day)
