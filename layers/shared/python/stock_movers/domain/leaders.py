"""The day's top-N board: its biggest gainers and biggest losers, from the same validated rows as the winner.

Gainers are the rows whose rounded percent change is above zero, largest first; losers those below zero,
most negative first; a ticker that closed where it opened is on neither list. Equal rounded changes go to
the ticker that sorts first (as the winner's tie-break), so the stored PercentChange values alone explain
the order. A list holds at most `size` entries: fewer when fewer tickers rose (or fell) that day.
The rows are `DayRow`s that passed `validated_day` / `day_rows` (the winner's validation); the board adds
its own checks only for what a board needs (one row per ticker, all of one session, a size in range).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from stock_movers.domain.errors import DuplicateTicker, InvalidInput, SessionMismatch
from stock_movers.domain.movers import DayRow

BOARD_DEFAULT = 10
BOARD_MAX = 50  # the leaders route's ceiling for n (DESIGN §5)
SIDES = ("gainers", "losers")


@dataclass(frozen=True)
class Leader:
    """One entry of a board: the ticker, its rounded percent change and its closing price."""

    ticker: str
    percent_change: Decimal
    close: Decimal


@dataclass(frozen=True)
class Board:
    """The day's gainers (descending) and losers (ascending), at most `size` each, over `tickers` rows."""

    date: dt.date
    size: int
    tickers: int
    gainers: tuple[Leader, ...]
    losers: tuple[Leader, ...]


def board_size(value: object, field: str = "boardSize") -> int:
    """A board size: a whole number 1..BOARD_MAX (bool and text refused); InvalidInput naming `field`."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(field, f"must be a whole number 1-{BOARD_MAX}, got {type(value).__name__}")
    if not 1 <= value <= BOARD_MAX:
        raise InvalidInput(field, f"must be between 1 and {BOARD_MAX}, got {value}")
    return value


def board_of(rows: Sequence[DayRow], session_date: dt.date, size: int) -> Board:
    """The board of one session's validated rows (see the module docstring for the rules).

    Raises InvalidInput for no rows or a bad size, DuplicateTicker for a ticker twice, SessionMismatch for
    a row of another session: a board is computed whole or not at all.
    """
    size = board_size(size)
    if not rows:
        raise InvalidInput("tickers", "must not be empty")
    seen: set[str] = set()
    for row in rows:
        if row.bar.ticker in seen:
            raise DuplicateTicker(row.bar.ticker)
        seen.add(row.bar.ticker)
        if row.bar.date != session_date:
            raise SessionMismatch(row.bar.ticker, session_date, row.bar.date)
    up = sorted((r for r in rows if r.percent_change > 0), key=lambda r: (-r.percent_change, r.bar.ticker))
    down = sorted((r for r in rows if r.percent_change < 0), key=lambda r: (r.percent_change, r.bar.ticker))
    return Board(
        date=session_date,
        size=size,
        tickers=len(rows),
        gainers=tuple(_leader(r) for r in up[:size]),
        losers=tuple(_leader(r) for r in down[:size]),
    )


def _leader(row: DayRow) -> Leader:
    return Leader(ticker=row.bar.ticker, percent_change=row.percent_change, close=row.bar.close)
