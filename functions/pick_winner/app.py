"""Pick Winner: all-or-nothing validation of the day, then the biggest absolute mover (ties by ticker).

Input: {"date", "tickers", "fetched": [{"ticker", "provider", "bar", ...}]}. Output: {"winner", "rows"}.
Raises MissingTickers / SessionMismatch / InvalidBar / DuplicateTicker: the run fails, nothing is written.
InvalidBar covers every number outside what the stores hold or a market prints (domain.bars, PCT_MAX), so
Store Day never meets a value its Parquet schema or DynamoDB would refuse.
"""

from __future__ import annotations

from typing import Any

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger
from stock_movers.settings import NoSettings, load
from stock_movers.usecases.pick import reduce_day

settings = load(NoSettings)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    day = parse_date(event.get("date"))
    tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
    fetched = event.get("fetched") or []
    # Malformed entries become InvalidBar (from_dict of a non-object), never a raw KeyError.
    entries = [f if isinstance(f, dict) else {"bar": f} for f in fetched]
    providers = {str(f.get("provider", "")) for f in entries}
    bars = [DailyBar.from_dict(f.get("bar")) for f in entries]
    result = reduce_day(day, tickers, bars, provider=",".join(sorted(providers)))
    logger.info("Winner picked", extra=result["winner"])
    return result
