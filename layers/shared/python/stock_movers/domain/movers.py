"""Percent change, all-or-nothing day validation and the day's winner.

Percent change (contract) is ((close - open) / open) * 100, computed exactly (as a rational number) and then
rounded once to 6 decimal places with ROUND_HALF_EVEN (banker's rounding), so the result never depends on a
Decimal context's precision. The winner is the requested ticker with the largest |rounded percent change|;
ties (equal rounded values) go to the ticker that sorts first, so the stored PercentChange values alone
explain the choice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from typing import NamedTuple

from stock_movers.domain.bars import DailyBar, validate_bar
from stock_movers.domain.errors import (
    DuplicateTicker,
    InvalidBar,
    InvalidInput,
    MissingTickers,
    SessionMismatch,
)

PCT_PLACES = 6
# |percent change| above this is a data error, not a move (see domain.bars for the reasoning of all bounds).
PCT_MAX = Decimal(10_000)


def percent_change(open: Decimal, close: Decimal, *, ticker: str = "?") -> Decimal:
    """((close - open) / open) * 100 rounded half-even to exactly 6 decimal places (exponent -6).

    Raises InvalidBar (naming `ticker`) when either value is not a finite Decimal or open <= 0.
    """
    for name, value in (("open", open), ("close", close)):
        if not isinstance(value, Decimal):
            raise InvalidBar(ticker, f"{name} must be a Decimal, got {type(value).__name__}")
        if not value.is_finite():
            raise InvalidBar(ticker, f"{name} is not finite: {value}")
    if open <= 0:
        raise InvalidBar(ticker, f"open must be > 0, got {open}")
    exact = (Fraction(close) - Fraction(open)) * 100 / Fraction(open)
    # round() on a Fraction rounds half to even and is exact, unlike Decimal division.
    scaled = round(exact * 10**PCT_PLACES)
    with localcontext() as ctx:
        ctx.prec = max(28, len(str(abs(scaled))) + 2)
        return Decimal(scaled).scaleb(-PCT_PLACES)


@dataclass(frozen=True)
class Winner:
    """The day's biggest mover."""

    date: dt.date
    ticker: str
    percent_change: Decimal
    open: Decimal
    close: Decimal

    def to_dict(self) -> dict[str, str]:
        """JSON-safe dict: ISO date, numbers as exact decimal strings."""
        return {
            "date": self.date.isoformat(),
            "ticker": self.ticker,
            "percent_change": str(self.percent_change),
            "open": str(self.open),
            "close": str(self.close),
        }


class DayRow(NamedTuple):
    """One ticker's stored row for a day: the bar and its percent change."""

    bar: DailyBar
    percent_change: Decimal


def _requested(tickers: Sequence[str]) -> tuple[str, ...]:
    if isinstance(tickers, str):
        raise InvalidInput("tickers", "must be a list of symbols, got a string")
    wanted = tuple(tickers)
    if not wanted:
        raise InvalidInput("tickers", "must not be empty")
    seen: set[str] = set()
    for t in wanted:
        if t in seen:
            raise InvalidInput("tickers", f"duplicate symbol {t!r}")
        seen.add(t)
    return wanted


def validate_day(
    bars: Iterable[DailyBar], tickers: Sequence[str], session_date: dt.date
) -> tuple[DailyBar, ...]:
    """All-or-nothing check of one session's bars; returns the requested tickers' bars sorted by ticker.

    Every requested ticker must have exactly one bar (DuplicateTicker, MissingTickers), dated `session_date`
    (SessionMismatch), that passes `validate_bar` (InvalidBar). Bars for tickers that were not requested
    are ignored, whatever their state (a grouped snapshot carries thousands of them). Any failure raises;
    nothing partial is ever returned. The percent-change bound is checked by `validated_day`.
    """
    wanted = set(_requested(tickers))
    found: dict[str, DailyBar] = {}
    for bar in bars:
        if bar.ticker not in wanted:
            continue
        if bar.ticker in found:
            raise DuplicateTicker(bar.ticker)
        if bar.date != session_date:
            raise SessionMismatch(bar.ticker, session_date, bar.date)
        found[bar.ticker] = validate_bar(bar)
    missing = wanted - found.keys()
    if missing:
        raise MissingTickers(missing)
    return tuple(found[t] for t in sorted(found))


def _row(bar: DailyBar) -> DayRow:
    """A bar that passed `validate_bar` with its percent change, computed once and bounded (PCT_MAX)."""
    change = percent_change(bar.open, bar.close, ticker=bar.ticker)
    if abs(change) > PCT_MAX:
        raise InvalidBar(
            bar.ticker,
            f"percent change {change} (open {bar.open}, close {bar.close}) is beyond +-{PCT_MAX} %",
            "percentChange",
        )
    return DayRow(bar, change)


def validated_day(
    bars: Iterable[DailyBar], tickers: Sequence[str], session_date: dt.date
) -> tuple[DayRow, ...]:
    """The day's rows, sorted by ticker: `validate_day` (each bar validated once), then each percent change
    computed once and checked against PCT_MAX. The daily run, backfill and replay all reduce a day with it
    (through usecases.pick.reduce_day)."""
    return tuple(_row(bar) for bar in validate_day(bars, tickers, session_date))


def day_rows(bars: Iterable[DailyBar]) -> tuple[DayRow, ...]:
    """Each bar validated and paired with its percent change, sorted by ticker (use `validated_day` when
    the bars must also be complete for a watchlist). Raises InvalidBar / DuplicateTicker."""
    rows: dict[str, DayRow] = {}
    for bar in bars:
        validate_bar(bar)
        if bar.ticker in rows:
            raise DuplicateTicker(bar.ticker)
        rows[bar.ticker] = _row(bar)
    return tuple(rows[t] for t in sorted(rows))


def winner_of(rows: Sequence[DayRow], session_date: dt.date) -> Winner:
    """The row with the largest |percent change|; ties go to the smallest ticker symbol."""
    if not rows:
        raise InvalidInput("tickers", "must not be empty")
    best = min(rows, key=lambda r: (-abs(r.percent_change), r.bar.ticker))
    return Winner(
        date=session_date,
        ticker=best.bar.ticker,
        percent_change=best.percent_change,
        open=best.bar.open,
        close=best.bar.close,
    )


def pick_winner(bars: Iterable[DailyBar], tickers: Sequence[str], session_date: dt.date) -> Winner:
    """`validated_day`, then the largest |percent change|; ties go to the smallest ticker symbol."""
    return winner_of(validated_day(bars, tickers, session_date), session_date)
