"""Store Sessions: one batch of a backfill, each session reduced and stored exactly like a daily run.

Input `{"sessions": [dates], "tickers", "force", "fetched": [{"ticker", "provider", "barsKey"} or
{"ticker", "noData": true, "from", "to"}],
"executionArn", "executionName"}`. Bars are read from the fetch_range work objects in S3; each session goes
through usecases.pick.reduce_day and then the deployed store_day function (synchronous invoke), so Parquet,
items and the conditional winner put are the daily run's own. Output `{stored, skipped, failed}`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from stock_movers.adapters.aws import client
from stock_movers.adapters.storage import RawStore
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.observability import correlate, logger
from stock_movers.settings import StoreSessionsSettings, load
from stock_movers.usecases.fetch_range import ranges_without_data
from stock_movers.usecases.store_sessions import StoreFailed, bars_by_session, store_sessions

settings = load(StoreSessionsSettings)
_objects = RawStore(settings.bucket.name)


@lru_cache(maxsize=64)
def _work_object(key: str) -> dict[str, Any]:
    """A fetch_range work object; cached while the worker is warm (every batch of a backfill reads them)."""
    return dict(json.loads(_objects.get(key)))


def _store_day(payload: dict[str, Any]) -> dict[str, Any]:
    """The daily run's store_day function, invoked synchronously; a function error becomes StoreFailed."""
    out = client("lambda").invoke(
        FunctionName=settings.store_day.function,
        InvocationType="RequestResponse",
        Payload=json.dumps(payload),
    )
    body = json.loads(out["Payload"].read() or b"null")
    if out.get("FunctionError"):
        error = body.get("errorType", "StoreDayFailed") if isinstance(body, dict) else "StoreDayFailed"
        message = body.get("errorMessage", "") if isinstance(body, dict) else ""
        raise StoreFailed(str(error), str(message))
    return dict(body)


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    sessions = [parse_date(d, "sessions") for d in event.get("sessions") or []]
    tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
    fetched = list(event.get("fetched") or [])
    missing = ranges_without_data(fetched)
    if missing is not None:  # nothing of the span can be stored whole: fail the backfill, naming them all
        raise missing
    by_day, provider = bars_by_session(_work_object(str(f["barsKey"])) for f in fetched)
    result = store_sessions(
        sessions,
        tickers,
        by_day,
        provider,
        _store_day,
        force=bool(event.get("force")),
        execution_arn=str(event.get("executionArn", "")),
        execution_name=str(event.get("executionName", "")),
        workers=settings.store_day.concurrency,
    )
    logger.info(
        "Batch stored",
        extra={"first": sessions[0].isoformat() if sessions else "", "stored": result["stored"],
               "skipped": result["skipped"], "failed": len(result["failed"])},
    )  # fmt: skip
    return result
