"""Bring your own feed: bars published on the market-data bus, and the daily run's `push` strategy.

`process_event` is the push_bars function's work for one event of the bus (docs/push-feed.md):
- a valid bar (`domain.push.parse_pushed_bar`: the schema, then the fetched bars' own validation) is stored
  as the session's pushed bar of its ticker (storage.pushed_key), then audited `Accepted` (or
  `Superseded`, nothing written, when a later event of that ticker and session is stored already);
- a refused event writes exactly two things: its audit record (`Rejected`, the error's name and message)
  and one message on the dead-letter queue. Nothing else.
Every event gets one audit record, keyed by its event id, so a redelivery overwrites it.

`collect_pushed` is the push run's first fetch step: the session's pushed bars of the run's tickers go to
one work object in the session snapshot's shape (Pick Winner reduces it in one step, as it does a snapshot)
and only the tickers without a pushed bar are fetched from the provider.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.errors import InvalidBar, InvalidPushEvent
from stock_movers.domain.push import PushedBar, envelope_facts, parse_pushed_bar

PUSH_PROVIDER = "push"  # the provider the run's rows and winner record for pushed bars
KIND = "PushedBar"  # the audit record's Kind (the reconcile's are "Revision")
MAX_EVENT_TEXT = 4096  # characters of the event kept in a rejected event's audit record
_EVENT_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


class PushPorts(Protocol):
    """Where process_event writes (the main table and the dead-letter queue, or fakes)."""

    def store_bar(self, pushed: PushedBar, event_id: str, received_at: str) -> bool:
        """Store the session's pushed bar of its ticker; False when a later one is stored already."""
        ...

    def audit(self, day: dt.date, received_at: str, event_id: str, record: dict[str, str | bool]) -> None:
        """Write the event's audit record (an overwrite by event id)."""
        ...

    def dead_letter(self, message: dict[str, Any]) -> None:
        """Send one refused event to the dead-letter queue."""
        ...


def _received_at(event: object, now: dt.datetime) -> str:
    """The event's time (EventBridge sets it; a publisher may) in UTC, else `now`: second precision, ISO Z."""
    raw = event.get("time") if isinstance(event, Mapping) else None
    when = now
    if isinstance(raw, str) and len(raw) <= 40:
        try:
            parsed = dt.datetime.fromisoformat(raw)
            if parsed.tzinfo is not None:
                when = parsed
        except ValueError:
            pass
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _event_text(event: object) -> str:
    text = json.dumps(event, sort_keys=True, default=str)
    return text if len(text) <= MAX_EVENT_TEXT else text[: MAX_EVENT_TEXT - 14] + "...[truncated]"


def process_event(ports: PushPorts, event: object, now: dt.datetime, fallback_id: str) -> dict[str, Any]:
    """Store a valid pushed bar, or dead-letter a refused event; audit either way. Returns the outcome.

    Storage faults raise (the function fails, Lambda retries the event, then sends it to the same
    dead-letter queue as its on-failure destination)."""
    facts = envelope_facts(event)
    event_id = facts.get("EventId", "")
    if not _EVENT_ID.fullmatch(event_id):
        event_id = fallback_id
    received_at = _received_at(event, now)
    day = dt.datetime.fromisoformat(received_at).astimezone(NEW_YORK).date()
    base: dict[str, str | bool] = {**facts, "Kind": KIND, "EventId": event_id, "ReceivedAt": received_at}
    try:
        pushed = parse_pushed_bar(event, now)
    except (InvalidPushEvent, InvalidBar) as exc:
        error, message = type(exc).__name__, str(exc)[:1000]
        field = getattr(exc, "field", "") or ""
        record = {
            **base,
            "Outcome": "Rejected",
            "Error": error,
            "Message": message,
            "Event": _event_text(event),
        }
        if field:
            record["Field"] = field
        ports.audit(day, received_at, event_id, record)
        ports.dead_letter(
            {"error": error, "message": message, "field": field, "eventId": event_id, "event": event}
        )
        return {"outcome": "Rejected", "eventId": event_id, "error": error, "message": message}
    stored = ports.store_bar(pushed, event_id, received_at)
    outcome = "Accepted" if stored else "Superseded"
    ports.audit(
        day,
        received_at,
        event_id,
        {
            **base,
            "Outcome": outcome,
            "Ticker": pushed.bar.ticker,
            "Date": pushed.bar.date.isoformat(),
            "Provider": pushed.provider,
            "Source": pushed.source,
            "Adjusted": pushed.adjusted,
            "PercentChange": str(pushed.percent_change),
        },
    )
    return {
        "outcome": outcome,
        "eventId": event_id,
        "ticker": pushed.bar.ticker,
        "date": pushed.bar.date.isoformat(),
    }


class CollectPorts(Protocol):
    """Where collect_pushed reads and writes (the main table and the run's work objects, or fakes)."""

    def pushed_bars(self, day: dt.date) -> dict[str, dict[str, Any]]:
        """Every pushed bar of session `day`, by ticker: the bar's dict plus its `adjusted`, `provider`."""
        ...

    def put_work(self, key: str, body: bytes) -> None: ...


def collect_pushed(
    ports: CollectPorts, day: dt.date, tickers: Sequence[str], work_key: str
) -> dict[str, Any]:
    """The push run's pushed bars: those of `tickers` go to `work_key` in the session snapshot's shape
    (`{<T>: bar, "_provider": "push", ...}`); the answer is that key and the tickers without one
    (`missing`, `missingCount`), which the run fetches from the provider. The bars are checked again by
    Pick Winner with the rest of the day (all-or-nothing), like any fetched bar."""
    pushed = ports.pushed_bars(day)
    wanted = [t for t in tickers if t in pushed]
    body: dict[str, Any] = {t: pushed[t]["bar"] for t in wanted}
    body["_provider"] = PUSH_PROVIDER
    body["_rawKey"] = ""
    body["_pushed"] = {
        t: {
            "provider": pushed[t]["provider"],
            "adjusted": pushed[t]["adjusted"],
            "eventId": pushed[t]["eventId"],
        }
        for t in wanted
    }
    ports.put_work(work_key, json.dumps(body, sort_keys=True).encode())
    missing = [t for t in tickers if t not in pushed]
    return {"key": work_key, "pushed": len(wanted), "missing": missing, "missingCount": len(missing)}
