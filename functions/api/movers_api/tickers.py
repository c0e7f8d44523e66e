"""GET /tickers/{symbol}/history: one ticker's stored daily bars."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from movers_api import store
from movers_api.params import Days, SymbolParam
from movers_api.responses import CACHE_HISTORY, json_response
from movers_api.schemas import NOT_MODIFIED, TickerDay, errors, json_content

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
    # Only the documented keys: the table may grow attributes the API does not promise.
    body = [{key: item[key] for key in DAY_KEYS if key in item} for item in items]
    return json_response(
        body,
        cache_control=CACHE_HISTORY,
        if_none_match=router.current_event.headers.get("If-None-Match"),
    )
