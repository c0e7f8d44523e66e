"""Reduce a session's fetched bars to the validated day: the winner and one row per ticker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.movers import day_rows, pick_winner, validate_day


def reduce_day(
    day: dt.date, tickers: Sequence[str], bars: Iterable[DailyBar], provider: str
) -> dict[str, Any]:
    """All-or-nothing: raises a DataIntegrityError subclass unless every ticker has a valid bar for `day`."""
    bars = tuple(bars)
    winner = pick_winner(bars, tickers, day)
    rows = [
        {
            **row.bar.to_dict(),
            "percentChange": str(row.percent_change),
            "provider": provider,
        }
        for row in day_rows(validate_day(bars, tickers, day))
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
