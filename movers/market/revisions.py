"""Post-close revisions for the local market server: a stored bar the provider later corrects.

Real vendors revise daily bars for hours after the close. A revision here replaces the numbers of one
(ticker, session) bar in every answer that serves it (range, grouped, prev, open-close) until it is
cleared, so a test can store a day, revise a bar, and watch the next reconcile find it. Deterministic and
labelled: the set is configured through `POST /_admin/revisions` (`{"revisions": [...]}`, `[]` clears;
`GET` shows it), each entry names its bar and a `reason`, and only the fields it gives change:

    {"ticker": "AAPL", "date": "2021-03-02", "close": "131.5", "reason": "late print"}

Numbers are served as given (a revision may make a bar invalid, as a vendor's may: the client's
validation is what is under test). Only bars the dataset has can be revised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from .dataset import Bar, BarSource

PRICE_FIELDS = ("open", "high", "low", "close")
_KEYS = {"ticker", "date", "reason", "volume", *PRICE_FIELDS}


class RevisionError(ValueError):
    """A revision entry that names no dataset bar or carries a malformed field."""


@dataclasses.dataclass(frozen=True)
class Revision:
    ticker: str
    day: dt.date
    changes: tuple[tuple[str, Decimal | int], ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "ticker": self.ticker,
            "date": self.day.isoformat(),
            **{k: str(v) if isinstance(v, Decimal) else v for k, v in self.changes},
            "reason": self.reason,
        }


def _number(name: str, value: Any) -> Decimal | int:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise RevisionError(f"{name} must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise RevisionError(f"{name} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise RevisionError(f"{name} must be finite")
    if name == "volume":  # served as given, like the prices: whole shares as an int, a fraction as Decimal
        return int(number) if number == number.to_integral_value() else number
    return number


def parse_revision(entry: Any, dataset: BarSource) -> Revision:
    """One entry of the admin body, checked against the dataset (RevisionError when wrong)."""
    if not isinstance(entry, Mapping):
        raise RevisionError("each revision must be an object")
    unknown = set(entry) - _KEYS
    if unknown:
        raise RevisionError(f"unknown revision fields: {sorted(unknown)}")
    ticker, date, reason = entry.get("ticker"), entry.get("date"), entry.get("reason")
    if not isinstance(ticker, str) or not isinstance(date, str):
        raise RevisionError("ticker and date (YYYY-MM-DD) are required strings")
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise RevisionError(f"date must be YYYY-MM-DD, got {date!r}") from None
    if dataset.bar(ticker, day) is None:
        raise RevisionError(f"the dataset has no bar of {ticker} on {date}")
    if not isinstance(reason, str) or not reason.strip():
        raise RevisionError("reason is required (it labels the revision)")
    changes = tuple((k, _number(k, entry[k])) for k in (*PRICE_FIELDS, "volume") if k in entry)
    if not changes:
        raise RevisionError("a revision must change at least one of open, high, low, close, volume")
    return Revision(ticker, day, changes, reason.strip()[:200])


class Revisions:
    """The configured revision set (thread-safe); `apply` gives a bar as currently revised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_bar: dict[tuple[str, dt.date], Revision] = {}

    def configure(self, entries: Sequence[Any], dataset: BarSource) -> None:
        """Replace the whole set (all entries checked first: a bad one changes nothing)."""
        parsed = [parse_revision(e, dataset) for e in entries]
        keys = [(r.ticker, r.day) for r in parsed]
        if len(set(keys)) != len(keys):
            raise RevisionError("one revision per (ticker, date)")
        with self._lock:
            self._by_bar = dict(zip(keys, parsed, strict=True))

    def clear(self) -> None:
        with self._lock:
            self._by_bar = {}

    def apply(self, bar: Bar) -> Bar:
        with self._lock:
            revision = self._by_bar.get((bar.ticker, bar.day))
        changes: dict[str, Any] = dict(revision.changes) if revision else {}
        return dataclasses.replace(bar, **changes) if changes else bar

    def apply_all(self, bars: Sequence[Bar]) -> list[Bar]:
        return [self.apply(b) for b in bars]

    def state(self) -> dict[str, Any]:
        with self._lock:
            entries = sorted(self._by_bar.values(), key=lambda r: (r.day, r.ticker))
        return {"status": "OK", "revisions": [r.to_dict() for r in entries]}
