"""Push Bars: the market-data bus's processor, and the push run's collect step (docs/push-feed.md).

- An EventBridge event of the bus `<prefix>-market-data` (its rule's target, invoked asynchronously):
  usecases.push.process_event. A valid bar is stored as the session's pushed bar of its ticker
  (`pushed_key`); a refused one (InvalidPushEvent, InvalidBar) goes to the dead-letter queue; every event
  gets an audit record (`push_audit_key`: the New York date's audit partition, Kind PushedBar). A refusal
  is an answer, not a function error; a storage fault raises, Lambda retries the event twice and then
  sends it to the same queue (the function's on-failure destination).
- `{"step": "collect", "date", "tickers", "executionName"}` from the ingest machine (fetch_strategy push):
  usecases.push.collect_pushed: the session's pushed bars go to the run's work object, and the answer
  names the tickers still to fetch.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from stock_movers.adapters.queues import DeadLetterQueue
from stock_movers.adapters.storage import ItemStore, RawStore, push_audit_key, pushed_work_key
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.domain.push import PushedBar
from stock_movers.observability import correlate, logger
from stock_movers.settings import load
from stock_movers.settings.functions import PushBarsSettings
from stock_movers.usecases.push import collect_pushed, process_event

settings = load(PushBarsSettings)
_items = ItemStore(settings.table.name)
_objects = RawStore(settings.bucket.name)
_dead_letters = DeadLetterQueue(settings.dead_letters.url)
_NUMBERS = ("Open", "High", "Low", "Close", "Volume")


def _attribute(value: str | bool | Decimal) -> dict[str, Any]:
    return {"BOOL": value} if isinstance(value, bool) else {"S": str(value)}


class Ports:
    """The main table (pushed bars, audit records), the dead-letter queue and the run's work objects."""

    def store_bar(self, pushed: PushedBar, event_id: str, received_at: str) -> bool:
        bar = pushed.bar
        item = {
            "Date": {"S": bar.date.isoformat()},
            "Ticker": {"S": bar.ticker},
            **{name: {"N": str(getattr(bar, name.lower()))} for name in _NUMBERS},
            "PercentChange": {"N": str(pushed.percent_change)},
            "Adjusted": {"BOOL": pushed.adjusted},
            "Provider": {"S": pushed.provider},
            "Source": {"S": pushed.source},
            "EventId": {"S": event_id},
            "ReceivedAt": {"S": received_at},
        }
        return _items.put_pushed_bar(bar.date, bar.ticker, item, received_at)

    def audit(self, day: dt.date, received_at: str, event_id: str, record: dict[str, str | bool]) -> None:
        key = push_audit_key(day, received_at, event_id)
        _items.put_audit(key, {name: _attribute(value) for name, value in record.items()})

    def dead_letter(self, message: dict[str, Any]) -> None:
        _dead_letters.send(message)

    def pushed_bars(self, day: dt.date) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for item in _items.pushed_bars(day):
            ticker = item["Ticker"]["S"]
            bar = {"ticker": ticker, "date": item["Date"]["S"]}
            bar |= {name.lower(): item[name]["N"] for name in _NUMBERS}
            out[ticker] = {
                "bar": bar,
                "adjusted": bool(item.get("Adjusted", {}).get("BOOL", True)),
                "provider": item.get("Provider", {}).get("S", ""),
                "eventId": item.get("EventId", {}).get("S", ""),
            }
        return out

    def put_work(self, key: str, body: bytes) -> None:
        _objects.put_bytes(key, body, "application/json")


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if isinstance(event, dict) and event.get("step") == "collect" and "detail-type" not in event:
        correlate(event)
        day = parse_date(event.get("date"))
        tickers = [parse_ticker(t, "tickers") for t in event.get("tickers") or []]
        execution = str(event.get("executionName") or "manual")
        answer = collect_pushed(Ports(), day, tickers, pushed_work_key(execution))
        logger.info("Pushed bars collected", extra={"date": day.isoformat(), **answer})
        return answer
    request_id = str(getattr(context, "aws_request_id", "") or "unknown")
    outcome = process_event(Ports(), event, dt.datetime.now(dt.UTC), request_id)
    logger.set_correlation_id(outcome["eventId"])
    facts = {("reason" if k == "message" else k): v for k, v in outcome.items()}  # `message` is the log's
    if outcome["outcome"] == "Rejected":
        logger.warning("Market-data event refused: audited and dead-lettered", extra=facts)
    else:
        logger.info("Market-data event processed", extra=facts)
    return outcome
