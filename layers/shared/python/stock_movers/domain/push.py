"""The pushed-bar event schema of the market-data bus (docs/push-feed.md), checked strictly.

An outside system publishes one daily bar per event on the custom EventBridge bus `<prefix>-market-data`:

    source       "<publisher>", 1-64 characters of a-z 0-9 . _ - (not "aws.")
    detail-type  "Daily Bar"
    detail       {"ticker": "AAPL", "date": "YYYY-MM-DD", "open": "189.30", "high": "191.05",
                  "low": "188.12", "close": "190.64", "volume": "52000000", "adjusted": true,
                  "provider": "acme-feed"}

Numbers are decimal strings (a JSON number passes through binary floating point somewhere on its way);
`adjusted` is the price basis (true: split-adjusted, as the bundled providers fetch); `provider` names where
the data came from. Every field is required and no other field is allowed. A schema fault is
InvalidPushEvent naming the field; then the bar gets exactly the validation a fetched bar gets
(`domain.movers.day_rows`: `validate_bar` and the percent-change bound), so its faults are InvalidBar.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stock_movers.domain.bars import NUMBER_FIELDS, DailyBar
from stock_movers.domain.calendar import is_session, latest_completed_session
from stock_movers.domain.errors import InvalidInput, InvalidPushEvent
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.domain.movers import day_rows

DETAIL_TYPE = "Daily Bar"
DETAIL_FIELDS = frozenset({"ticker", "date", *NUMBER_FIELDS, "adjusted", "provider"})
SOURCE_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
PROVIDER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# A plain decimal: optional minus, digits, optional fraction; no exponent, NaN, Infinity, spaces or '+'.
DECIMAL_RE = re.compile(r"-?[0-9]{1,20}(?:\.[0-9]{1,20})?")


@dataclass(frozen=True)
class PushedBar:
    """A pushed bar that passed the schema and the fetched-bar validation."""

    bar: DailyBar
    percent_change: Decimal
    adjusted: bool
    provider: str
    source: str


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _text(detail: Mapping[str, Any], name: str, pattern: re.Pattern[str], what: str) -> str:
    value = detail[name]
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise InvalidPushEvent(f"detail.{name}", f"must be {what}, got {_show(value)}")
    return value


def parse_pushed_bar(event: object, now: dt.datetime) -> PushedBar:
    """The bar an EventBridge event on the market-data bus carries, or InvalidPushEvent / InvalidBar.

    `now` (aware) bounds the date: a bar is accepted for a completed NYSE session only (a session whose
    close has not passed yet cannot have a daily bar)."""
    if not isinstance(event, Mapping):
        raise InvalidPushEvent("event", f"must be an EventBridge event object, got {type(event).__name__}")
    detail_type = event.get("detail-type")
    if detail_type != DETAIL_TYPE:
        raise InvalidPushEvent("detail-type", f"must be {DETAIL_TYPE!r}, got {_show(detail_type)}")
    source = event.get("source")
    if not isinstance(source, str) or not SOURCE_RE.fullmatch(source) or source.startswith("aws."):
        raise InvalidPushEvent("source", f"must be 1-64 characters of a-z 0-9 . _ -, got {_show(source)}")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise InvalidPushEvent("detail", f"must be an object, got {type(detail).__name__}")
    for name in sorted(set(detail) - DETAIL_FIELDS, key=str):
        raise InvalidPushEvent(f"detail.{str(name)[:40]}", "unknown field")
    for name in sorted(DETAIL_FIELDS - set(detail)):
        raise InvalidPushEvent(f"detail.{name}", "missing")
    try:
        ticker = parse_ticker(detail["ticker"], "detail.ticker")
        day = parse_date(detail["date"], "detail.date")
    except InvalidInput as exc:
        raise InvalidPushEvent(exc.field, exc.reason) from None
    if not is_session(day):
        raise InvalidPushEvent("detail.date", f"{day.isoformat()} is not an NYSE session")
    latest = latest_completed_session(now)
    if day > latest:
        raise InvalidPushEvent(
            "detail.date", f"the session {day.isoformat()} has not closed yet (latest: {latest.isoformat()})"
        )
    for name in NUMBER_FIELDS:
        _text(detail, name, DECIMAL_RE, 'a decimal string like "189.30"')
    adjusted = detail["adjusted"]
    if not isinstance(adjusted, bool):
        raise InvalidPushEvent("detail.adjusted", f"must be true or false, got {_show(adjusted)}")
    provider = _text(detail, "provider", PROVIDER_RE, "1-64 characters of A-Z a-z 0-9 . _ -")
    bar = DailyBar.from_dict(
        {"ticker": ticker, "date": day.isoformat(), **{n: detail[n] for n in NUMBER_FIELDS}}
    )
    (row,) = day_rows([bar])  # the fetched bars' validation: validate_bar and the percent-change bound
    return PushedBar(row.bar, row.percent_change, adjusted, provider, source)


def envelope_facts(event: object) -> dict[str, str]:
    """What an audit record can say about any event, even a malformed one: its id, time, source,
    detail-type and the detail's ticker, date and provider when they are short strings (never more)."""
    facts: dict[str, str] = {}
    if not isinstance(event, Mapping):
        return facts
    for key, name in (
        ("id", "EventId"),
        ("time", "EventTime"),
        ("source", "Source"),
        ("detail-type", "DetailType"),
    ):
        if isinstance(event.get(key), str):
            facts[name] = str(event[key])[:128]
    detail = event.get("detail")
    if isinstance(detail, Mapping):
        for key, name in (("ticker", "Ticker"), ("date", "Date"), ("provider", "Provider")):
            if isinstance(detail.get(key), str):
                facts[name] = str(detail[key])[:64]
    return facts
