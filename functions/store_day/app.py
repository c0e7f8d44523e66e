"""Store Day: Parquet bars first, then the per-ticker items, the winner and the day's board together (the
commit).

The winner item is the commit marker of a day: it is written with the per-ticker items in one DynamoDB
transaction after the Parquet object, and only if absent (or written by this same execution) unless `force`.
A concurrent run that loses the conditional put returns AlreadyStored. When the commit fails, the Parquet
version this attempt put is removed again (the bucket is versioned), so a failed run leaves the day as it
was, even beside a concurrent run; the error keeps its name (StorageUnavailable for throttling and other
transient faults, which the state machine retries). Every write is an overwrite of the same content, so a
retry or a re-run converges.
The day's top-N board (BOARD_SIZE gainers and losers, domain.leaders) is computed here from the rows every
path hands over (daily run, backfill, replay, forced re-runs), after checking them as the winner was checked
(usecases.pick.stored_board), so a stored day never has a winner without its board: the board item commits
in the winner's transaction and its ranks are columns of the same Parquet object.
Input: {"date", "force", "winner", "rows", "executionArn", "executionName"}, or, from the daily run,
"dayKey" instead of "winner" and "rows": the work object Pick Winner left them in (the state carries no rows).
With "scope": "market" (a whole-market run) the same day is stored under the market's own keys: its
winner in the market winner partition (never pk MOVERS), its board as leaders_key(day, "market"), its
filtered universe as Parquet under curated/market_bars/, and no per-ticker items (those stay the
watchlist's).
Failures are named: StoreRejected for what the store refuses for good (store_errors.py, parquet.py), the
domain's InvalidBar / DuplicateTicker / SessionMismatch for rows that are not a validated day.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from parquet import bars_parquet
from store_errors import named_store_errors

from stock_movers.adapters.storage import ItemStore, RawStore, parquet_key
from stock_movers.domain.errors import StoreRejected
from stock_movers.domain.inputs import parse_date, parse_scope
from stock_movers.observability import correlate, logger, metrics
from stock_movers.settings import load
from stock_movers.settings.functions import StoreDaySettings
from stock_movers.usecases.pick import stored_board

settings = load(StoreDaySettings)
_items = ItemStore(settings.table.name)
_objects = RawStore(settings.bucket.name)


def _undo_parquet(key: str, version: str | None) -> None:
    """The commit failed: remove the Parquet version this attempt put, so the object is again what the
    committed day (if any) wrote. Best effort: a failure here is logged, and the next run overwrites it."""
    if version is None:
        return
    try:
        _objects.delete_version(key, version)
    except Exception:
        logger.exception("Could not remove the uncommitted Parquet version", extra={"key": key})


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@named_store_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    day = parse_date(event.get("date"))
    scope = parse_scope(event.get("scope", "watchlist"))
    if "dayKey" in event:
        try:
            stored_day = json.loads(_objects.get(str(event["dayKey"])))
        except ValueError:
            raise StoreRejected(f"input: the day object {event['dayKey']} is not JSON") from None
        winner, rows = stored_day["winner"], stored_day["rows"]
    else:
        winner, rows = event["winner"], event["rows"]
    force = bool(event.get("force"))
    board = stored_board(day, rows, winner, settings.board.size)
    key = parquet_key(day, scope)
    version = _objects.put_bytes(key, bars_parquet(rows, board), "application/vnd.apache.parquet")
    try:
        stored = _items.put_day(
            rows,
            winner,
            board=board,
            execution_arn=str(event.get("executionArn", "")),
            stored_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            force=force,
            scope=scope,
        )
    except Exception:
        _undo_parquet(key, version)
        raise
    status = "Stored" if stored else "AlreadyStored"
    if stored and scope == "watchlist":
        metrics.add_metric(name="WinnerStored", unit=MetricUnit.Count, value=1)
        # Counted by the SuccessCount log metric filter (see infrastructure/observability).
        logger.info(f"Success: Stored {winner['ticker']} for {day.isoformat()}", extra=winner)
    elif stored:  # not the contract's winner: neither WinnerStored nor the SuccessCount log line
        logger.info(f"Stored the {scope} winner {winner['ticker']} for {day.isoformat()}", extra=winner)
    else:
        logger.info("Winner already stored by another run", extra={"date": day.isoformat()})
    return {"status": status, "winner": winner}
