"""Store Day: Parquet bars, per-ticker items, then the winner item (conditional put) last.

The winner item is the commit marker of a day: it is written only after everything else succeeded, and
only if absent unless `force`. A concurrent run that loses the conditional put returns AlreadyStored.
Input: {"date", "force", "winner", "rows", "executionArn", "executionName"}.
Failures are named: StoreRejected for what the store refuses for good (store_errors.py, parquet.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from parquet import bars_parquet
from store_errors import named_store_errors

from stock_movers.adapters.storage import ItemStore, RawStore, parquet_key
from stock_movers.domain.inputs import parse_date
from stock_movers.observability import correlate, logger, metrics
from stock_movers.settings import pipeline_settings

_settings = pipeline_settings()
_items = ItemStore(_settings.table_name)
_objects = RawStore(_settings.bucket_name)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@named_store_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    day = parse_date(event.get("date"))
    winner, rows = event["winner"], event["rows"]
    _objects.put_bytes(parquet_key(day), bars_parquet(rows), "application/vnd.apache.parquet")
    _items.put_ticker_days(rows)
    stored = _items.put_winner(
        winner,
        execution_arn=str(event.get("executionArn", "")),
        stored_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        force=bool(event.get("force")),
    )
    status = "Stored" if stored else "AlreadyStored"
    if stored:
        metrics.add_metric(name="WinnerStored", unit=MetricUnit.Count, value=1)
        # Counted by the SuccessCount log metric filter (see infrastructure/observability).
        logger.info(f"Success: Stored {winner['ticker']} for {day.isoformat()}", extra=winner)
    else:
        logger.info("Winner already stored by another run", extra={"date": day.isoformat()})
    return {"status": status, "winner": winner}
