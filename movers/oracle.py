"""An independent computation of the contract over the bundled CSV: plain csv + Fraction, no pipeline code.

The tests and the chaos suite (movers.chaos, bench/) compare what the pipeline stored with what this
computes, so a bug shared by the pipeline's domain code and its checks cannot hide. It reads the market
server's data file directly and imports nothing from layers/ or functions/.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from fractions import Fraction
from functools import cache
from pathlib import Path

CSV = Path(__file__).resolve().parent / "market" / "data" / "synthetic.csv"
DEFAULT = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA")


@cache
def rows() -> dict[tuple[str, str], dict[str, str]]:
    with CSV.open(newline="") as f:
        return {(r["ticker"], r["date"]): r for r in csv.DictReader(f)}


@cache
def _sessions() -> tuple[str, ...]:
    return tuple(sorted({d for (_, d) in rows()}))


def sessions() -> list[str]:
    return list(_sessions())


@cache
def tickers() -> tuple[str, ...]:
    return tuple(sorted({t for (t, _) in rows()}))


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


def winner(day: str, tickers: Iterable[str] = DEFAULT) -> tuple[str, str]:
    """(ticker, percent change) of the day's biggest absolute mover; ties by ticker ascending."""
    best = sorted(tickers, key=lambda t: (-abs(pct(t, day)), t))[0]
    return best, pct6(best, day)


def close(ticker: str, day: str) -> str:
    """The session's closing price as written in the CSV."""
    return rows()[(ticker, day)]["close"]
