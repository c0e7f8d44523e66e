"""Reduce a session's fetched bars to the validated day: the winner and one row per ticker; and the day's
top-N board from those rows, as Store Day computes it beside the winner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from stock_movers.domain.bars import DailyBar, to_decimal
from stock_movers.domain.errors import InvalidBar, StoreRejected
from stock_movers.domain.leaders import Board, board_of
from stock_movers.domain.movers import day_rows, validated_day, winner_of


def reduce_day(
    day: dt.date, tickers: Sequence[str], bars: Iterable[DailyBar], provider: str
) -> dict[str, Any]:
    """All-or-nothing: raises a DataIntegrityError subclass unless every ticker has a valid bar for `day`.

    Each bar is validated once and each percent change computed once (`validated_day`); the Pick Winner
    step, the backfill's store_sessions and `movers replay` all reduce a day with this function.
    """
    validated = validated_day(bars, tickers, day)
    winner = winner_of(validated, day)
    rows = [
        {
            **row.bar.to_dict(),
            "percentChange": str(row.percent_change),
            "provider": provider,
        }
        for row in validated
    ]
    return {
        "winner": {
            "date": day.isoformat(),
            "ticker": winner.ticker,
            "percentChange": str(winner.percent_change),
            "open": str(winner.open),
            "close": str(winner.close),
            "provider": provider,
        },
        "rows": rows,
    }


def stored_board(day: dt.date, rows: Sequence[dict[str, Any]], winner: dict[str, Any], size: int) -> Board:
    """The board of the rows a Store Day is given (the reduce_day rows of every path that stores a day).

    The rows are validated as the winner's were (`day_rows`: each bar's rules, the percent-change bound,
    one row per ticker; `board_of`: one session), each row's stated percentChange must be the one its open
    and close give (InvalidBar naming the ticker otherwise), and the winner must be the rows' own winner
    (StoreRejected otherwise): the board, the ticker items and the winner always describe the same rows.
    Raises before anything is written.
    """
    validated = day_rows(DailyBar.from_dict(r) for r in rows)
    stated = {str(r.get("ticker")): r.get("percentChange") for r in rows}
    for row in validated:
        raw = stated[row.bar.ticker]
        try:
            value = to_decimal(raw)
        except (TypeError, ValueError):
            raise InvalidBar(row.bar.ticker, f"percentChange is not a number: {str(raw)[:40]!r}",
                             "percentChange") from None  # fmt: skip
        if value != row.percent_change:
            raise InvalidBar(
                row.bar.ticker,
                f"percentChange {str(raw)[:40]} disagrees with open and close ({row.percent_change})",
                "percentChange",
            )
    board = board_of(validated, day, size)
    best = winner_of(validated, day)
    try:
        claimed = (str(winner["ticker"]), to_decimal(winner["percentChange"]))
    except (KeyError, TypeError, ValueError):
        raise StoreRejected("winner: missing or malformed ticker/percentChange") from None
    if claimed != (best.ticker, best.percent_change):
        raise StoreRejected(
            f"winner: {claimed[0]} {claimed[1]} is not the rows' winner ({best.ticker} {best.percent_change})"
        )
    return board
