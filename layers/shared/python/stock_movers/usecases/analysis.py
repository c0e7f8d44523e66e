"""Daily analysis use cases: validate the input, read the stored history, compute, store the summary item.

Reads are DynamoDB Queries bounded by key and Limit (never a Scan), through the table's adapter
(stock_movers.adapters.storage.ItemStore): one per ticker for its last ``HISTORY_SESSIONS`` per-ticker items
up to the day, one for the winners of the last 90 sessions. The DynamoDB client is passed in (or created
lazily), so tests can hand in moto's or a fake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from stock_movers.adapters.storage import ItemStore
from stock_movers.domain.analytics import (
    HISTORY_SESSIONS,
    VOLATILITY_WINDOW,
    WIN_WINDOWS,
    TickerAnalysis,
    analyse_ticker,
    summarise,
)
from stock_movers.domain.calendar import NEW_YORK, last_n_sessions, latest_completed_session
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date, parse_ticker

ANALYSIS_FIELDS = frozenset({"date", "tickers", "force"})
MAX_TICKERS = 20


@dataclass(frozen=True)
class AnalysisRequest:
    """A validated analysis input."""

    date: dt.date
    tickers: tuple[str, ...]
    force: bool = False


def parse_analysis_input(raw: object, *, now: dt.datetime, default_tickers: Sequence[str]) -> AnalysisRequest:
    """Validate ``{"date"?, "tickers"?: [...], "force"?: bool}`` or an EventBridge event with ``detail.date``.

    An event (an object with ``detail-type`` and ``detail``) is read for ``detail.date`` only, so the rule
    can target the machine with or without an input transformer. No date means the latest completed NYSE
    session; a date after today (America/New_York) is refused. Every failure is InvalidInput naming the field.
    """
    if isinstance(raw, dict) and "detail-type" in raw and "detail" in raw:
        detail = raw["detail"]
        if not isinstance(detail, dict) or "date" not in detail:
            raise InvalidInput("detail.date", "the event carries no date")
        raw = {"date": detail["date"]}
    if not isinstance(raw, dict):
        raise InvalidInput("input", f"must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in ANALYSIS_FIELDS)
    if unknown:
        raise InvalidInput(
            unknown[0], f"unknown field; allowed fields are {', '.join(sorted(ANALYSIS_FIELDS))}"
        )
    today = now.astimezone(NEW_YORK).date()
    if "date" in raw:
        day = parse_date(raw["date"], "date")
        if day > today:
            raise InvalidInput(
                "date", f"{day.isoformat()} is in the future (today in America/New_York: {today})"
            )
    else:
        day = latest_completed_session(now)
    if "tickers" in raw:
        value = raw["tickers"]
        if not isinstance(value, list) or not value:
            raise InvalidInput("tickers", "must be a non-empty list of symbols")
        if len(value) > MAX_TICKERS:
            raise InvalidInput("tickers", f"at most {MAX_TICKERS} symbols, got {len(value)}")
        tickers = tuple(parse_ticker(t, f"tickers[{i}]") for i, t in enumerate(value))
        if len(set(tickers)) != len(tickers):
            raise InvalidInput("tickers", "duplicate symbols")
    else:
        tickers = tuple(default_tickers)
    force = raw.get("force", False)
    if not isinstance(force, bool):
        raise InvalidInput("force", f"must be true or false, got {force!r}")
    return AnalysisRequest(day, tickers, force)


class HistoryStore:
    """The analysis's reads of the main table and the summary item's write, over its adapter (ItemStore)."""

    def __init__(self, table: str, ddb: Any = None) -> None:
        self.items = ItemStore(table, ddb)

    def ticker_history(
        self, ticker: str, day: dt.date, limit: int = HISTORY_SESSIONS
    ) -> list[tuple[dt.date, Decimal]]:
        """The newest ``limit`` stored (date, percent change) of ``ticker`` up to and including ``day``."""
        items = self.items.newest_ticker_days(ticker, limit, through=day, attributes="sk, PercentChange")
        return [(dt.date.fromisoformat(i["sk"]["S"]), Decimal(i["PercentChange"]["N"])) for i in items]

    def winners(self, day: dt.date, sessions: int = max(WIN_WINDOWS)) -> dict[dt.date, tuple[str, Decimal]]:
        """Stored winners (ticker, percent change) of the ``sessions`` NYSE sessions ending at ``day``."""
        first = last_n_sessions(day, sessions)[0]
        return {
            dt.date.fromisoformat(i["sk"]["S"]): (i["Ticker"]["S"], Decimal(i["PercentChange"]["N"]))
            for i in self.items.winners_between(first, day, attributes="sk, Ticker, PercentChange")
        }

    def put_summary(self, summary: Mapping[str, Any]) -> None:
        """Writes the day's analysis summary item (an unconditional put: same day, same item)."""
        self.items.put_analysis(summary["Date"], {k: to_attribute(v) for k, v in summary.items()})


def to_attribute(value: Any) -> dict[str, Any]:
    """A plain value as a DynamoDB attribute (numbers as N, None as NULL, nested lists and maps)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): to_attribute(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [to_attribute(v) for v in value]}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def analyse_ticker_day(
    store: HistoryStore,
    ticker: str,
    day: dt.date,
    *,
    threshold: Decimal,
    window: int = VOLATILITY_WINDOW,
) -> TickerAnalysis:
    """One ticker's figures for ``day`` from its stored history (the Map iteration's work)."""
    return analyse_ticker(
        ticker, day, store.ticker_history(ticker, day, limit=window + 1), window=window, threshold=threshold
    )


def summarise_day(
    store: HistoryStore,
    day: dt.date,
    analyses: Sequence[TickerAnalysis],
    *,
    threshold: Decimal,
    window: int = VOLATILITY_WINDOW,
) -> dict[str, Any]:
    """The day's summary from the per-ticker figures and the stored winners (not yet stored)."""
    stored = store.winners(day)
    winners = {d: t for d, (t, _) in stored.items()}
    change = stored[day][1] if day in stored else None
    return summarise(day, analyses, winners, change, threshold=threshold, window=window)
