"""Pick Winner: all-or-nothing validation of the day, then the biggest absolute mover (ties by ticker).

Input: {"date", "tickers", "snapshotKey", "executionName"}: the bars are read from S3, from the session
snapshot's work object (snapshotKey, when the run took one) and the per-ticker fetches' work objects, never
from the state. Output: {"winner", "dayKey", "rows"}: the validated day goes to the work object dayKey for
Store Day, so the state stays small at any number of tickers (usecases.pick.pick_stored_day).
With "scope": "market" (a whole-market run) the input is {"scope", "date", "snapshotKey", "executionName"}:
the market snapshot's rows are filtered by the configured whole-market filters (MARKET_MIN_PRICE,
MARKET_MIN_VOLUME; domain.market) and reduced the same way (usecases.market.pick_market_day); the answer
adds the snapshot's row count and what each filter excluded, and EmptyUniverse names a day no row passed.
Raises MissingTickers / SessionMismatch / InvalidBar / DuplicateTicker: the run fails, nothing is written.
InvalidBar covers every number outside what the stores hold or a market prints (domain.bars, PCT_MAX), so
Store Day never meets a value its Parquet schema or DynamoDB would refuse.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stock_movers.adapters.storage import RawStore
from stock_movers.domain.inputs import (
    MARKET_SCOPE,
    parse_date,
    parse_execution_name,
    parse_scope,
    parse_ticker,
)
from stock_movers.domain.market import MarketFilters
from stock_movers.observability import correlate, logger
from stock_movers.settings import load
from stock_movers.settings.functions import PickWinnerSettings
from stock_movers.usecases.market import pick_market_day
from stock_movers.usecases.pick import pick_stored_day

settings = load(PickWinnerSettings)
_objects = RawStore(settings.bucket.name)
_filters = MarketFilters(settings.market.min_price, Decimal(settings.market.min_volume))


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    day = parse_date(event.get("date"))
    execution = parse_execution_name(event.get("executionName") or "manual")
    if parse_scope(event.get("scope", "watchlist")) == MARKET_SCOPE:
        market = pick_market_day(_objects, day, str(event.get("snapshotKey") or ""), execution, _filters)
        logger.info("Market winner picked", extra={**market["winner"], "rows": market["rows"]})
        return market
    tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
    result = pick_stored_day(_objects, day, tickers, str(event.get("snapshotKey") or ""), execution)
    logger.info("Winner picked", extra={**result["winner"], "rows": result["rows"]})
    return result
