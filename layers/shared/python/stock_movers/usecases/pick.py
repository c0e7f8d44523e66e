"""Reduce a session's fetched bars to the validated day: the winner and one row per ticker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.movers import validated_day, winner_of


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
