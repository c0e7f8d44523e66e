"""Daily analysis use cases: validate the input, read the stored history, compute, store the summary item.

Reads are DynamoDB Queries bounded by key and Limit (never a Scan), through the table's adapter
(stock_movers.adapters.storage.ItemStore): one per ticker for its last ``HISTORY_SESSIONS`` per-ticker items
up to the day, one for the winners of the last 90 sessions. The DynamoDB client is passed in (or created
lazily), so tests can hand in moto's or a fake.

At scale (up to MAX_WATCHLIST tickers) the machine's Map runs one invocation per *batch* of tickers
(`plan_batches`); each batch leaves its per-ticker figures in an S3 work object (`analysis_work_key`) and
answers only the key and a small summary (`analyse_batch`), and Store Analysis reads the objects back,
validating every one against the plan (`read_batches`), so no state carries the figures of the whole list.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from stock_movers.adapters.storage import ItemStore, analysis_work_key
from stock_movers.domain.analytics import (
    ANALYSIS_BATCH_DEFAULT,
    ANALYSIS_BATCH_MAX,
    HISTORY_SESSIONS,
    VOLATILITY_WINDOW,
    WIN_WINDOWS,
    TickerAnalysis,
    analyse_ticker,
    summarise,
)
from stock_movers.domain.calendar import NEW_YORK, last_n_sessions, latest_completed_session
from stock_movers.domain.errors import InvalidAnalysisBatch, InvalidInput, MissingAnalysisBatch
from stock_movers.domain.inputs import (
    MAX_WATCHLIST,
    parse_count,
    parse_date,
    parse_execution_name,
    parse_ticker,
)

ANALYSIS_FIELDS = frozenset({"date", "tickers", "force"})
# An analysis covers what a run covers: the watchlist or the input's tickers, at most MAX_WATCHLIST.
MAX_TICKERS = MAX_WATCHLIST
DEFAULT_BATCH_SIZE = ANALYSIS_BATCH_DEFAULT
MAX_BATCH_SIZE = ANALYSIS_BATCH_MAX
# Concurrent history reads (one bounded DynamoDB Query per ticker) within one batch, and concurrent work
# object reads in Store Analysis: I/O bound, small enough for a 256 MB function.
READERS = 8


@dataclass(frozen=True)
class AnalysisRequest:
    """A validated analysis input."""

    date: dt.date
    tickers: tuple[str, ...]
    force: bool = False


def parse_analysis_input(
    raw: object, *, now: dt.datetime, default_tickers: Callable[[], Sequence[str]]
) -> AnalysisRequest:
    """Validate ``{"date"?, "tickers"?: [...], "force"?: bool}`` or an EventBridge event with ``detail.date``.

    An event (an object with ``detail-type`` and ``detail``) is read for ``detail.date`` only, so the rule
    can target the machine with or without an input transformer. No date means the latest completed NYSE
    session; a date after today (America/New_York) is refused. Every failure is InvalidInput naming the field.
    Without tickers the analysis takes `default_tickers()`, called only then (the watchlist is read once per
    container, and not at all for an input naming its tickers).
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
        tickers = tuple(default_tickers())
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


# ---------------------------------------------------------------------------------------------- at scale


class WorkObjects(Protocol):
    """The run's work objects in S3 (RawStore, or a fake)."""

    def get_if_exists(self, key: str) -> bytes | None: ...

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None: ...


def plan_batches(tickers: Sequence[str], size: int) -> list[dict[str, Any]]:
    """The tickers cut into consecutive batches of at most `size`, in order (the Analyse Tickers Map's
    items, `[{"batch": i, "tickers": [...]}]`; every ticker in exactly one batch)."""
    if not 1 <= size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch size must be 1..{MAX_BATCH_SIZE}, got {size}")
    if not tickers:
        raise ValueError("no tickers to plan")
    return [
        {"batch": i, "tickers": list(tickers[start : start + size])}
        for i, start in enumerate(range(0, len(tickers), size))
    ]


@dataclass(frozen=True)
class BatchRequest:
    """One Analyse Tickers iteration's validated input."""

    date: dt.date
    batch: int
    tickers: tuple[str, ...]
    execution: str


def parse_batch_input(event: Mapping[str, Any]) -> BatchRequest:
    """`{"date", "batch", "tickers", "executionName"}` of one iteration; InvalidInput names a bad field."""
    day = parse_date(event.get("date"))
    batch = parse_count(event.get("batch"), "batch", low=0, high=MAX_TICKERS - 1)
    raw = event.get("tickers")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_BATCH_SIZE:
        raise InvalidInput("tickers", f"must be a list of 1 to {MAX_BATCH_SIZE} symbols")
    tickers = tuple(parse_ticker(t, f"tickers[{i}]") for i, t in enumerate(raw))
    if len(set(tickers)) != len(tickers):
        raise InvalidInput("tickers", "duplicate symbols")
    return BatchRequest(day, batch, tickers, parse_execution_name(event.get("executionName")))


def analyse_batch(
    store: HistoryStore,
    objects: WorkObjects,
    request: BatchRequest,
    *,
    threshold: Decimal,
    readers: int = READERS,
) -> dict[str, Any]:
    """One batch's figures (`analyse_ticker_day` per ticker, in the batch's order) into its work object;
    the answer is the key and a summary small enough for any list: counts and the unusual tickers."""
    with ThreadPoolExecutor(max_workers=max(1, min(readers, len(request.tickers)))) as pool:
        results = list(
            pool.map(
                lambda t: analyse_ticker_day(store, t, request.date, threshold=threshold), request.tickers
            )
        )
    key = analysis_work_key(request.execution, request.batch)
    body = {
        "date": request.date.isoformat(),
        "execution": request.execution,
        "batch": request.batch,
        "tickers": list(request.tickers),
        "analyses": [r.to_dict() for r in results],
    }
    objects.put_bytes(key, json.dumps(body, sort_keys=True).encode(), "application/json")
    return {
        "batch": request.batch,
        "key": key,
        "tickers": len(results),
        "partial": sum(1 for r in results if r.reasons),
        "unusual": [r.ticker for r in results if r.unusual],
    }


def _whole(value: object, want: int) -> bool:
    """`value` is the JSON whole number `want` (not a boolean, a float or a string of it)."""
    return type(value) is int and value == want


def _plan_entry(entry: object, index: int) -> tuple[str, ...]:
    if not isinstance(entry, Mapping) or not _whole(entry.get("batch"), index):
        raise InvalidInput(f"batches[{index}]", f"must be batch {index} of the plan")
    raw = entry.get("tickers")
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_BATCH_SIZE:
        raise InvalidInput(f"batches[{index}].tickers", f"must be a list of 1 to {MAX_BATCH_SIZE} symbols")
    return tuple(parse_ticker(t, f"batches[{index}].tickers[{i}]") for i, t in enumerate(raw))


def _figure(entry: Mapping[str, Any], name: str, key: str, ticker: str) -> None:
    value = entry.get(name)
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidAnalysisBatch(key, f"{ticker}: {name} is not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise InvalidAnalysisBatch(key, f"{ticker}: {name} is not a number: {str(value)[:40]!r}") from None
    if not number.is_finite():
        raise InvalidAnalysisBatch(key, f"{ticker}: {name} is not finite")


def _analysis(entry: object, ticker: str, key: str) -> TickerAnalysis:
    """One ticker's figures from a work object, checked before they are trusted."""
    if not isinstance(entry, Mapping):
        raise InvalidAnalysisBatch(key, f"{ticker}: its figures are not an object")
    if entry.get("ticker") != ticker:
        raise InvalidAnalysisBatch(
            key, f"{ticker}: figures of {str(entry.get('ticker'))[:12]!r} in its place"
        )
    for name in ("percentChange", "volatility", "zScore"):
        _figure(entry, name, key, ticker)
    if entry.get("unusual") not in (True, False, None):
        raise InvalidAnalysisBatch(key, f"{ticker}: unusual must be true, false or null")
    sessions = entry.get("sessions")
    if isinstance(sessions, bool) or not isinstance(sessions, int) or sessions < 0:
        raise InvalidAnalysisBatch(key, f"{ticker}: sessions must be a whole number >= 0")
    reasons = entry.get("reasons")
    if not isinstance(reasons, list) or not all(isinstance(r, str) for r in reasons):
        raise InvalidAnalysisBatch(key, f"{ticker}: reasons must be a list of strings")
    return TickerAnalysis.from_dict(entry)


def _batch_object(
    body: bytes, key: str, day: dt.date, execution: str, index: int, tickers: tuple[str, ...]
) -> list[TickerAnalysis]:
    try:
        found = json.loads(body)
    except ValueError:
        raise InvalidAnalysisBatch(key, "not JSON") from None
    if not isinstance(found, dict):
        raise InvalidAnalysisBatch(key, "not a JSON object")
    expected: dict[str, object] = {"date": day.isoformat(), "execution": execution, "batch": index}
    for name, want in expected.items():
        got = found.get(name)
        if type(got) is not type(want) or got != want:
            raise InvalidAnalysisBatch(key, f"{name} is {str(got)[:40]!r}, expected {want!r}")
    if found.get("tickers") != list(tickers):
        raise InvalidAnalysisBatch(key, "its tickers are not the batch's tickers of the plan")
    analyses = found.get("analyses")
    if not isinstance(analyses, list) or len(analyses) != len(tickers):
        raise InvalidAnalysisBatch(key, f"must hold the figures of its {len(tickers)} tickers")
    return [_analysis(a, t, key) for a, t in zip(analyses, tickers, strict=True)]


def read_batches(
    objects: WorkObjects,
    day: dt.date,
    execution: str,
    plan: object,
    results: object,
    *,
    readers: int = READERS,
) -> list[TickerAnalysis]:
    """Store Analysis's read of the batches' work objects: every batch of the plan (Prepare's `batches`)
    must have answered (the Map's `results`, in plan order) with its own key, and its object must hold
    the figures of exactly the plan's tickers for this day and execution. A malformed plan or result is
    InvalidInput, an absent object MissingAnalysisBatch, a wrong one InvalidAnalysisBatch; nothing is
    returned unless every batch checks."""
    if not isinstance(plan, list) or not plan:
        raise InvalidInput("batches", "must be the non-empty list of planned batches")
    if not isinstance(results, list) or len(results) != len(plan):
        raise InvalidInput("results", f"must be the {len(plan)} batches' answers, in plan order")
    batches = [_plan_entry(entry, i) for i, entry in enumerate(plan)]
    everyone = [t for b in batches for t in b]
    if len(everyone) > MAX_TICKERS:
        raise InvalidInput("batches", f"at most {MAX_TICKERS} symbols, got {len(everyone)}")
    if len(set(everyone)) != len(everyone):
        raise InvalidInput("batches", "a symbol is planned in more than one batch")
    keys = []
    for i, (answer, tickers) in enumerate(zip(results, batches, strict=True)):
        key = analysis_work_key(execution, i)
        if not isinstance(answer, Mapping) or answer.get("key") != key or not _whole(answer.get("batch"), i):
            raise InvalidInput(f"results[{i}]", f"must be batch {i}'s answer with key {key}")
        if not _whole(answer.get("tickers"), len(tickers)):
            raise InvalidInput(f"results[{i}].tickers", f"must be {len(tickers)}, the batch's size")
        keys.append(key)
    with ThreadPoolExecutor(max_workers=max(1, min(readers, len(keys)))) as pool:
        bodies = list(pool.map(objects.get_if_exists, keys))
    missing = [k for k, body in zip(keys, bodies, strict=True) if body is None]
    if missing:
        raise MissingAnalysisBatch(missing)
    out: list[TickerAnalysis] = []
    for i, (key, body, tickers) in enumerate(zip(keys, bodies, batches, strict=True)):
        out += _batch_object(body or b"", key, day, execution, i, tickers)
    return out
