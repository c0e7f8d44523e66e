"""Reconcile: re-read the newest stored sessions and store what the provider revised after the close.

Scheduled on weekdays after the next session's close (EventBridge Scheduler), and callable by hand
(`movers reconcile`). Input `{}` (the newest RECONCILE_SESSIONS stored sessions up to the latest completed
session) or `{"through": "YYYY-MM-DD", "sessions": k, "reason": "..."}`. One range call per watchlist
ticker through the shared rate limiter (raw bodies at the design's range key), then usecases.reconcile:
a revised day is stored by the store_day function with force, audited, and alerted on when its winner
changed; an unrevised day writes nothing. Output: the report (sessions, providerCalls, unchanged, revised,
rejected); a rejected revision fails the invocation with RevisionRejected after the other days are done.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from stock_movers.adapters.aws import client
from stock_movers.adapters.storage import WINNER_PK, ItemStore, audit_key, range_key, ticker_pk
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import NEW_YORK, latest_completed_session
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date
from stock_movers.observability import correlate, logger, metrics
from stock_movers.settings import ReconcileSettings, load
from stock_movers.usecases.fetch import limited
from stock_movers.usecases.reconcile import MAX_SESSIONS, RevisionRejected, reconcile
from stock_movers.usecases.store_sessions import StoreFailed
from stock_movers.usecases.wiring import invocation, provider_context

settings = load(ReconcileSettings)
_items = ItemStore(settings.table.name)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AwsPorts:
    """The deployed stack behind usecases.reconcile's ports."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.ctx = provider_context(settings.fetch)
        self.lam, self.sns = client("lambda"), client("sns")

    def stored_sessions(self, through: dt.date, k: int) -> list[dt.date]:
        items = _items.query(WINNER_PK, last=through, attributes="sk", newest_first=True, limit=k)
        return [dt.date.fromisoformat(i["sk"]["S"]) for i in items]

    def stored_rows(self, ticker: str, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, str]]:
        out = {}
        for item in _items.query(ticker_pk(ticker), first=first, last=last, consistent=True):
            out[dt.date.fromisoformat(item["sk"]["S"])] = {
                name: item[name.capitalize()]["N"] for name in ("open", "high", "low", "close", "volume")
            }
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
        return list(result.bars)

    def store(self, day: dt.date, winner: dict[str, Any], rows: list[dict[str, Any]]) -> str:
        payload = {
            "date": day.isoformat(),
            "force": True,
            "winner": winner,
            "rows": rows,
            "executionArn": f"reconcile:{self.name}",
            "executionName": self.name,
        }
        out = self.lam.invoke(
            FunctionName=settings.reconcile.store_function,
            InvocationType="RequestResponse",
            Payload=json.dumps(payload),
        )
        body = json.loads(out["Payload"].read() or b"null")
        if out.get("FunctionError"):
            error = body.get("errorType", "StoreDayFailed") if isinstance(body, dict) else "StoreDayFailed"
            message = body.get("errorMessage", "") if isinstance(body, dict) else ""
            raise StoreFailed(str(error), str(message))
        return str(body.get("status", "")) if isinstance(body, dict) else ""

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
        self.sns.publish(TopicArn=settings.reconcile.alert_topic_arn, Subject=subject, Message=message)


def _sessions(event: dict[str, Any]) -> int:
    raw = event.get("sessions", settings.reconcile.sessions)
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_SESSIONS:
        raise InvalidInput("sessions", f"must be a whole number in 1..{MAX_SESSIONS}, got {str(raw)[:20]!r}")
    return raw


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    invocation(context)
    event = event if isinstance(event, dict) else {}
    through = (
        parse_date(event["through"], "through")
        if event.get("through") is not None
        else latest_completed_session(dt.datetime.now(dt.UTC))
    )
    k = _sessions(event)
    reason = str(event.get("reason") or "provider revised the bar after the close")[:200]
    name = f"reconcile-{through.isoformat()}-{dt.datetime.now(dt.UTC).strftime('%H%M%S%f')}"
    report = reconcile(
        AwsPorts(name),
        through=through,
        k=k,
        tickers=settings.watchlist.tickers,
        provider=settings.fetch.provider.name,
        board_size=settings.board.size,
        reason=reason,
        now=_now,
    )
    out = report.to_dict()
    logger.info("Reconciled", extra=out)
    if report.rejected:
        raise RevisionRejected(report.rejected)
    return out
