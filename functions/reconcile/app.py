"""Reconcile: the steps of the reconcile state machine (statemachines/reconcile.asl.json).

The machine is started by its weekday schedule after the next session's close (EventBridge Scheduler) or by
hand (`movers reconcile`); it calls this function three times, by `step`:

- `plan`: input `{}` (the newest RECONCILE_SESSIONS stored sessions up to the latest completed session) or
  `{"through": "YYYY-MM-DD", "sessions": k, "reason": "..."}`. One range call per watchlist ticker through
  the shared rate limiter (raw bodies at the design's range key), then usecases.reconcile.plan: the revised
  days for the machine to store with store_day, the refused ones named. Each revised day's winner, rows and
  changes go to its work object (usecases.reconcile.park_revised, `reconcile_day_work_key`): the answer
  carries its `dayKey` and the small audit facts, never the rows, so the state stays small at any list size.
- `record`: after store_day stored a revised day (read from its dayKey), its audit record (the changes read
  back from the day's work object) and, when the winner changed, the alert.
- `summarize`: the report (sessions, providerCalls, unchanged, revised, rejected, and `cause` naming every
  rejected day: the machine then fails with RevisionRejected).

This function invokes no other function: storing is the machine's Store Day state.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stock_movers.adapters.aws import client
from stock_movers.adapters.storage import (
    WINNER_PK,
    ItemStore,
    RawStore,
    audit_key,
    range_key,
    splits_key,
    ticker_pk,
)
from stock_movers.adapters.watchlist import WatchlistSource
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import NEW_YORK, latest_completed_session
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date, parse_execution_name
from stock_movers.domain.splits import Split
from stock_movers.observability import correlate, logger, metrics
from stock_movers.providers.capabilities import require_daily_calls
from stock_movers.settings import load
from stock_movers.settings.functions import ReconcileSettings
from stock_movers.usecases.fetch import basis_of, limited
from stock_movers.usecases.reconcile import MAX_SESSIONS, park_revised, parked_day, plan, record, summarize
from stock_movers.usecases.wiring import invocation, provider_context

settings = load(ReconcileSettings)
_watchlist = WatchlistSource(settings.watchlist.bucket, settings.watchlist.key, settings.watchlist.version)
_items = ItemStore(settings.table.name)
_objects = RawStore(settings.fetch.bucket.name)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class StoredDays:
    """The stored days and the provider behind usecases.reconcile.plan's ports."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ctx = provider_context(settings.fetch)
        self.fetched: dict[str, dict[str, str]] = {}  # ticker -> basis, fetchedAt of its range call

    def stored_sessions(self, through: dt.date, k: int) -> list[dt.date]:
        items = _items.query(WINNER_PK, last=through, attributes="sk", newest_first=True, limit=k)
        return [dt.date.fromisoformat(i["sk"]["S"]) for i in items]

    def stored_rows(self, ticker: str, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, str]]:
        out = {}
        for item in _items.query(ticker_pk(ticker), first=first, last=last, consistent=True):
            row = {name: item[name.capitalize()]["N"] for name in ("open", "high", "low", "close", "volume")}
            for attribute, name in (("Basis", "basis"), ("FetchedAt", "fetchedAt")):
                if attribute in item:
                    row[name] = item[attribute]["S"]
            out[dt.date.fromisoformat(item["sk"]["S"])] = row
        return out

    def stored_winner(self, day: dt.date) -> dict[str, str] | None:
        item = _items.winner(day, attributes="Ticker, PercentChange")
        if item is None:
            return None
        return {"ticker": item["Ticker"]["S"], "percentChange": item["PercentChange"]["N"]}

    def fetch(self, ticker: str, first: dt.date, last: dt.date) -> list[DailyBar]:
        result = limited(self.ctx, lambda: self.ctx.provider.range_bars(ticker, first, last))
        provider = self.ctx.provider.name
        keys = [range_key(provider, first, last, ticker, page) for page in range(len(result.raw_pages))]
        self.ctx.raw.put_pages(keys, result.raw_pages)  # versioned: an earlier body of the key stays
        self.fetched[ticker] = {"basis": basis_of(self.ctx, result), "fetchedAt": self.ctx.clock()}
        return list(result.bars)

    def splits(self, start: dt.date, end: dt.date) -> tuple[list[Split], int]:
        """The watchlist's split events of [start, end] fetched (one call, when the provider has a splits
        endpoint) and stored; every stored split of the watchlist (older ones included) and the calls."""
        provider = self.ctx.provider
        fetch = getattr(provider, "splits", None)
        tickers = _watchlist.tickers()
        calls = 0
        if fetch is not None:
            calls = 1
            result = limited(self.ctx, lambda: fetch(start, end, tickers))
            keys = [splits_key(provider.name, start, end, page) for page in range(len(result.raw_pages))]
            self.ctx.raw.put_pages(keys, result.raw_pages)
            _items.put_splits(result.splits, provider=provider.name, fetched_at=self.ctx.clock())
            if result.splits:
                logger.info("Splits stored", extra={"splits": [s.to_dict() for s in result.splits]})
        return [split for ticker in tickers for split in _items.splits(ticker)], calls


class Recorder:
    """The audit trail and the alerts topic behind usecases.reconcile.record's ports."""

    def __init__(self, name: str) -> None:
        self.name = name

    def audit(self, day: dt.date, record: dict[str, Any]) -> None:
        stopped = dt.datetime.now(dt.UTC)
        at = stopped.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        attributes = {
            "ExecutionName": {"S": self.name},
            "Kind": {"S": "Revision"},
            "Date": {"S": record["date"]},
            "Reason": {"S": record["reason"]},
            "Changes": {"L": [{"S": c} for c in record["changes"]]},
            "WinnerFrom": {"S": record["winnerFrom"]},
            "WinnerTo": {"S": record["winnerTo"]},
            "WinnerChanged": {"BOOL": bool(record["winnerChanged"])},
            "Outcome": {"S": f"Revised {record['date']}: {record['winnerFrom']} -> {record['winnerTo']}"},
            "StoppedAt": {"S": at},
        }
        key = audit_key(stopped.astimezone(NEW_YORK).date(), at, f"{self.name}-{record['date']}")
        _items.put_audit(key, attributes)

    def alert(self, subject: str, message: str) -> None:
        client("sns").publish(TopicArn=settings.reconcile.alert_topic_arn, Subject=subject, Message=message)


def _sessions(event: dict[str, Any]) -> int:
    raw = event.get("sessions", settings.reconcile.sessions)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_SESSIONS:
        raise InvalidInput("sessions", f"must be a whole number in 1..{MAX_SESSIONS}, got {str(raw)[:20]!r}")
    return raw


def _plan(event: dict[str, Any], name: str) -> dict[str, Any]:
    given = event.get("input")
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise InvalidInput("input", "must be a JSON object {through?, sessions?, reason?}")
    unknown = sorted(set(given) - {"through", "sessions", "reason"})
    if unknown:
        raise InvalidInput(unknown[0], "is not an input of the reconcile (through, sessions, reason)")
    through = (
        parse_date(given["through"], "through")
        if given.get("through") is not None
        else latest_completed_session(dt.datetime.now(dt.UTC))
    )
    reason = given.get("reason") or "provider revised the bar after the close"
    if not isinstance(reason, str):
        raise InvalidInput("reason", "must be a string")
    tickers = _watchlist.tickers()
    # one range call per ticker: within the plan's daily quota, or refused before the first call
    require_daily_calls(settings.fetch.provider.name, len(tickers), settings.fetch.provider.daily_calls)
    planned = plan(
        StoredDays(name),
        through=through,
        k=_sessions(given),
        tickers=tickers,
        provider=settings.fetch.provider.name,
        board_size=settings.board.size,
        today=dt.datetime.now(NEW_YORK).date(),
    )
    out = park_revised(_objects, planned, name)
    out["reason"] = reason[:200]
    logger.info(
        "Reconcile planned",
        extra={k: v for k, v in out.items() if k != "revised"}
        | {"revised": [r["date"] for r in out["revised"]]},
    )
    return out


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    invocation(context)
    event = event if isinstance(event, dict) else {}
    step = event.get("step")
    if step == "plan":
        return _plan(event, parse_execution_name(event.get("executionName")))
    if step == "record":
        name, day = parse_execution_name(event.get("executionName")), event.get("day")
        if not isinstance(day, dict):
            raise InvalidInput("day", "must be a revised day of the plan {date, dayKey, winnerFrom, ...}")
        return record(
            Recorder(name),
            parked_day(_objects, name, day),
            status=str(event.get("status", "")),
            reason=str(event.get("reason", "")),
            now=_now,
        )
    if step == "summarize":
        out = summarize(event.get("plan") or {}, event.get("results") or [])
        logger.info("Reconciled", extra=out)
        return out
    raise InvalidInput("step", f"must be plan, record or summarize, got {str(step)[:20]!r}")
