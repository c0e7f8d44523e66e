"""Pick Winner: all-or-nothing validation of the day, then the biggest absolute mover (ties by ticker).

Input: {"date", "tickers", "fetched": [{"ticker", "provider", "bar", ...}]}. Output: {"winner", "rows"}.
Raises MissingTickers / SessionMismatch / InvalidBar / DuplicateTicker: the run fails, nothing is written.
"""

from __future__ import annotations

from typing import Any

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger
from stock_movers.usecases.pick import reduce_day


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    day = parse_date(event.get("date"))
    tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
    fetched = event.get("fetched") or []
    providers = {f.get("provider", "") for f in fetched}
    bars = [DailyBar.from_dict(f["bar"]) for f in fetched]
    result = reduce_day(day, tickers, bars, provider=",".join(sorted(providers)))
    logger.info("Winner picked", extra=result["winner"])
    return result
