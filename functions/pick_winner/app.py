"""Pick Winner: all-or-nothing validation of the day, then the biggest absolute mover (ties by ticker).

Input: {"date", "tickers", "snapshotKey", "executionName"}: the bars are read from S3, from the session
snapshot's work object (snapshotKey, when the run took one) and the per-ticker fetches' work objects, never
from the state. Output: {"winner", "dayKey", "rows"}: the validated day goes to the work object dayKey for
Store Day, so the state stays small at any number of tickers (usecases.pick.pick_stored_day).
Raises MissingTickers / SessionMismatch / InvalidBar / DuplicateTicker: the run fails, nothing is written.
InvalidBar covers every number outside what the stores hold or a market prints (domain.bars, PCT_MAX), so
Store Day never meets a value its Parquet schema or DynamoDB would refuse.
"""

from __future__ import annotations

from typing import Any

from stock_movers.adapters.storage import RawStore
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger
from stock_movers.settings import PickWinnerSettings, load
from stock_movers.usecases.pick import pick_stored_day

settings = load(PickWinnerSettings)
_objects = RawStore(settings.bucket.name)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    day = parse_date(event.get("date"))
    tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
    execution = str(event.get("executionName") or "manual")
    result = pick_stored_day(_objects, day, tickers, str(event.get("snapshotKey") or ""), execution)
    logger.info("Winner picked", extra={**result["winner"], "rows": result["rows"]})
    return result
