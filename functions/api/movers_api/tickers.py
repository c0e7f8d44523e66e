"""GET /tickers/{symbol}/history: one ticker's stored daily bars, in today's split-adjusted basis where the
stored splits allow, each saying which basis its prices are in.

Stored bars are never rewritten when a split happens (docs/data.md): a bar fetched before a split it lacks
is *marked* by the stored split event, and this route multiplies its prices by the split ratio (volume by
the inverse) so the chart is continuous and agrees with the provider's adjusted basis. `PercentChange` is
the stored one (same-day open to close: no split changes it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Any

from aws_lambda_powertools.event_handler.api_gateway import Router

from movers_api import store
from movers_api.params import Days, SymbolParam
from movers_api.responses import CACHE_HISTORY, json_response
from movers_api.schemas import NOT_MODIFIED, TickerDay, errors, json_content
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.splits import (
    ADJUSTED,
    UNADJUSTED,
    UNKNOWN,
    Split,
    adjusted_through,
    factor,
    present,
)

router = Router()

DAY_KEYS = ("Date", "Ticker", "Open", "High", "Low", "Close", "Volume", "PercentChange")


@router.get(
    "/tickers/<symbol>/history",
    summary="One ticker's daily bars, newest first",
    responses={200: json_content(list[TickerDay], "Newest first"), **NOT_MODIFIED, **errors(400, 500)},
)
def ticker_history(
    symbol: SymbolParam,
    days: Days = 30,
):
    items = store.newest_ticker_days(symbol, days)
    splits = store.splits(symbol) if items else []
    today = dt.datetime.now(NEW_YORK).date()
    body = [history_day(item, splits, today) for item in items]
    return json_response(
        body,
        cache_control=CACHE_HISTORY,
        if_none_match=router.current_event.headers.get("If-None-Match"),
    )


PRICE_KEYS = ("Open", "High", "Low", "Close")


def history_day(item: dict[str, Any], splits: list[Split], today: dt.date) -> dict[str, Any]:
    """One stored day as the route shows it: only the documented keys (the table may grow attributes the
    API does not promise), prices in today's adjusted basis when a stored split says the stored ones lack
    it, and the basis facts: `Basis` (of the prices shown: adjusted, unadjusted, or unknown for an item
    stored before the basis was recorded), `AdjustmentFactor` (what the stored prices were multiplied by;
    1 when shown as stored), `StoredBasis`, `Provider` and `FetchedAt` (null when not recorded)."""
    day = {key: item[key] for key in DAY_KEYS if key in item}
    stored_basis = str(item.get("Basis") or UNKNOWN)
    fetched_at = item.get("FetchedAt")
    try:
        bar_date = dt.date.fromisoformat(str(item.get("Date")))
    except ValueError:
        bar_date = None
    through = adjusted_through(stored_basis, bar_date, fetched_at) if bar_date else None
    ratio = factor(splits, bar_date, through, today) if bar_date and through else Fraction(1)
    if ratio != 1:
        for key in PRICE_KEYS:
            if key in day:
                day[key] = present(Decimal(day[key]), ratio)
        if "Volume" in day:
            # as the prices: exact when it terminates within 8 places (a fractional volume keeps its fraction)
            day["Volume"] = present(Decimal(day["Volume"]), 1 / ratio)
    shown = ADJUSTED if ratio != 1 else stored_basis
    day.update(
        Basis=shown if shown in (ADJUSTED, UNADJUSTED) else UNKNOWN,
        AdjustmentFactor=Decimal(ratio.numerator) / Decimal(ratio.denominator),
        StoredBasis=stored_basis,
        Provider=item.get("Provider"),
        FetchedAt=fetched_at,
    )
    return day
