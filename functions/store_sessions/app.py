"""Reduce Batch: one batch of a backfill, each session reduced exactly like the daily run's Pick Winner.

Input `{"sessions": [dates], "tickers", "fetched": [{"ticker", "provider", "barsKey"} or
{"ticker", "noData": true, "from", "to"}], "executionName"}`. Bars are read from the fetch_range work
objects in S3; each session goes through usecases.pick.reduce_day, and each valid day goes to its work object
(usecases.store_sessions.park_days). Output `{"days": [{date, winner, dayKey}], "failed": [{date, error,
cause}]}`: the backfill machine stores each day with the store_day function (an inner Map, reading dayKey),
so Parquet, items and the conditional winner put are the daily run's own, and no rows ride in the state.
A ticker without data in the span fails the whole batch with NoData, naming every such ticker.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from stock_movers.adapters.storage import RawStore
from stock_movers.domain.inputs import parse_date, parse_execution_name, parse_ticker
from stock_movers.observability import correlate, logger
from stock_movers.settings import load
from stock_movers.settings.functions import StoreSessionsSettings
from stock_movers.usecases.fetch_range import ranges_without_data
from stock_movers.usecases.store_sessions import bars_and_fetches, park_days, reduce_sessions

settings = load(StoreSessionsSettings)
_objects = RawStore(settings.bucket.name)


@lru_cache(maxsize=64)
def _work_object(key: str) -> dict[str, Any]:
    """A fetch_range work object; cached while the worker is warm (every batch of a backfill reads them)."""
    return dict(json.loads(_objects.get(key)))


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    sessions = [parse_date(d, "sessions") for d in event.get("sessions") or []]
    tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
    fetched = list(event.get("fetched") or [])
    missing = ranges_without_data(fetched)
    if missing is not None:  # nothing of the span can be stored whole: fail the backfill, naming them all
        raise missing
    by_day, provider, fetches = bars_and_fetches(_work_object(str(f["barsKey"])) for f in fetched)
    result = park_days(
        _objects,
        reduce_sessions(sessions, tickers, by_day, provider, fetches),
        parse_execution_name(event.get("executionName")),
    )
    logger.info(
        "Batch reduced",
        extra={"first": sessions[0].isoformat() if sessions else "", "days": len(result["days"]),
               "failed": len(result["failed"])},
    )  # fmt: skip
    return result
