"""Validation of caller input (execution input, API parameters); each failure is an InvalidInput naming it.

Input is strict on purpose: a typo in a field name or a lowercase ticker fails the execution at once
instead of silently fetching the default watchlist. JSON null is not "absent": omit a field to get its
default. Text is matched whole and in ASCII only (``fullmatch`` with ``[0-9]``/``[A-Z]``; never ``$``,
``\\d``, ``int()`` or ``str.isdigit()``, which take a trailing newline, a sign, spaces or other scripts'
digits), so ``"2026-01-05\\n"``, ``" 5"``, ``"+5"`` and a fullwidth ``"\\uff15"`` are refused, not normalised.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stock_movers.domain.errors import InvalidInput, InvalidWatchlist

# The trading calendar (and the holidays package under it) is imported where a check needs it: the read API
# parses its parameters with this module and never needs the calendar, so its cold start does not pay for it.

TICKER_RE = re.compile(r"[A-Z]{1,5}(?:[.-][A-Z]{1,2})?")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# A count in canonical form: no sign, no spaces, no leading zeros, at most 9 digits (int() never sees more).
_COUNT_RE = re.compile(r"0|[1-9][0-9]{0,8}")
INGEST_FIELDS = frozenset({"date", "tickers", "force", "scope"})
# What an ingest run covers (DESIGN §5): the watchlist (default) or the whole market of the provider's
# one-call session snapshot, filtered by the configured whole-market filters (domain.market).
WATCHLIST_SCOPE = "watchlist"
MARKET_SCOPE = "market"
SCOPES = (WATCHLIST_SCOPE, MARKET_SCOPE)
BACKFILL_FIELDS = frozenset({"from", "to", "tickers", "force"})
# A run's or a backfill's tickers (execution input or the configured watchlist): 1 to MAX_WATCHLIST. Their
# state passes S3 keys and small summaries, not bars or rows (docs/pipeline.md), so it stays far under 256 KB.
MAX_WATCHLIST = 500
DEFAULT_MAX_TICKERS = MAX_WATCHLIST
DEFAULT_MAX_SPAN_DAYS = 366 * 5 + 2


def _show(value: object) -> str:
    """A short repr for messages (inputs can be arbitrarily long)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_ticker(s: object, field: str = "ticker") -> str:
    """An uppercase US symbol such as AAPL, BRK.B or BF-B; lowercase is rejected, never upper-cased."""
    if not isinstance(s, str):
        raise InvalidInput(field, f"must be a string symbol, got {type(s).__name__}")
    if not TICKER_RE.fullmatch(s):
        raise InvalidInput(field, f"must be an uppercase symbol like AAPL or BRK.B, got {_show(s)}")
    return s


def parse_date(s: object, field: str = "date") -> dt.date:
    """A strict `YYYY-MM-DD` string naming a real calendar date."""
    if not isinstance(s, str):
        raise InvalidInput(field, f"must be a string YYYY-MM-DD, got {type(s).__name__}")
    if not _DATE_RE.fullmatch(s):
        raise InvalidInput(field, f"must be YYYY-MM-DD, got {_show(s)}")
    try:
        return dt.date.fromisoformat(s)
    except ValueError:
        raise InvalidInput(field, f"is not a real calendar date: {_show(s)}") from None


def parse_count(value: object, field: str, *, low: int, high: int) -> int:
    """A whole number in [low, high]: a JSON integer, or text of ASCII digits in canonical form.

    Text such as a query parameter must be exactly the digits: "+5", " 5", "5\\n", "05", "5.0", "1e1",
    "1_0" and a fullwidth "\\uff15" are refused (``int()`` takes most of them; "05" is a second spelling).
    """
    if isinstance(value, str):
        if not _COUNT_RE.fullmatch(value):
            raise InvalidInput(
                field, f"must be a whole number {low}-{high} in plain digits, got {_show(value)}"
            )
        number = int(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        raise InvalidInput(field, f"must be a whole number {low}-{high}, got {type(value).__name__}")
    if not low <= number <= high:
        raise InvalidInput(field, f"must be between {low} and {high}, got {number}")
    return number


def _today_et(now: dt.datetime) -> dt.date:
    from stock_movers.domain.calendar import NEW_YORK

    if not isinstance(now, dt.datetime) or now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(NEW_YORK).date()


def _parse_tickers(value: object, field: str, max_tickers: int) -> tuple[str, ...]:
    if not isinstance(value, list | tuple):
        raise InvalidInput(field, f"must be a list of symbols, got {type(value).__name__}")
    if not value:
        raise InvalidInput(field, "must not be empty")
    if len(value) > max_tickers:
        raise InvalidInput(field, f"at most {max_tickers} symbols, got {len(value)}")
    out: list[str] = []
    for i, item in enumerate(value):
        symbol = parse_ticker(item, f"{field}[{i}]")
        if symbol in out:
            raise InvalidInput(field, f"duplicate symbol {symbol!r}")
        out.append(symbol)
    return tuple(out)


def _defaults(default_tickers: Sequence[str], max_tickers: int) -> tuple[str, ...]:
    # The default watchlist is configuration, not caller input: a bad one is a deployment bug (ValueError).
    try:
        return _parse_tickers(list(default_tickers), "default_tickers", max_tickers)
    except InvalidInput as exc:
        raise ValueError(str(exc)) from None


def _parse_force(raw: dict[str, object]) -> bool:
    force = raw.get("force", False)
    if type(force) is not bool:
        raise InvalidInput("force", f"must be true or false, got {_show(force)}")
    return force


def _check_object(raw: object, allowed: frozenset[str]) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise InvalidInput("input", f"must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if unknown:
        raise InvalidInput(unknown[0], f"unknown field; allowed fields are {', '.join(sorted(allowed))}")
    return raw


def _not_future(day: dt.date, field: str, today: dt.date) -> None:
    if day > today:
        raise InvalidInput(field, f"{day.isoformat()} is in the future (today in America/New_York: {today})")


@dataclass(frozen=True)
class IngestRequest:
    """A validated ingest input; `date` None means "the latest completed session"."""

    date: dt.date | None
    tickers: tuple[str, ...]
    force: bool
    scope: str = WATCHLIST_SCOPE


@dataclass(frozen=True)
class BackfillRequest:
    """A validated backfill input: the inclusive date span [start, end]."""

    start: dt.date
    end: dt.date
    tickers: tuple[str, ...]
    force: bool


def parse_scope(value: object, field: str = "scope") -> str:
    """A run's scope: exactly "watchlist" or "market" (case and spacing as written)."""
    if not isinstance(value, str):
        raise InvalidInput(field, f"must be one of {', '.join(SCOPES)}, got {type(value).__name__}")
    if value not in SCOPES:
        raise InvalidInput(field, f"must be one of {', '.join(SCOPES)}, got {_show(value)}")
    return value


def parse_ingest_input(
    raw: object,
    *,
    now: dt.datetime,
    default_tickers: Callable[[], Sequence[str]],
    max_tickers: int = DEFAULT_MAX_TICKERS,
) -> IngestRequest:
    """Validate `{"date"?: "YYYY-MM-DD", "tickers"?: [...], "force"?: bool, "scope"?: "watchlist"|"market"}`.

    The date must not be after today in America/New_York at `now` (aware). Tickers, when given, are a
    non-empty list of unique uppercase symbols (at most `max_tickers`); otherwise `default_tickers()`, called
    only then (the configured watchlist is read only by a run that takes it: not by one naming its tickers,
    nor by a market run). Scope "market" covers every ticker of the provider's session snapshot: it takes no
    tickers (naming some is InvalidInput) and its request's tickers are empty.
    """
    today = _today_et(now)
    data = _check_object(raw, INGEST_FIELDS)
    day: dt.date | None = None
    if "date" in data:
        day = parse_date(data["date"], "date")
        _not_future(day, "date", today)
    scope = parse_scope(data["scope"]) if "scope" in data else WATCHLIST_SCOPE
    if scope == MARKET_SCOPE:
        if "tickers" in data:
            raise InvalidInput(
                "tickers", "not allowed with scope market (it covers every ticker of the session snapshot)"
            )
        return IngestRequest(date=day, tickers=(), force=_parse_force(data), scope=scope)
    if "tickers" in data:
        tickers = _parse_tickers(data["tickers"], "tickers", max_tickers)
    else:
        tickers = _defaults(default_tickers(), max_tickers)
    return IngestRequest(date=day, tickers=tickers, force=_parse_force(data), scope=scope)


def _not_open(day: dt.date, field: str, now: dt.datetime) -> None:
    """Reject today's session before its close: its bars do not exist yet."""
    from stock_movers.domain.calendar import MARKET_CLOSE, NEW_YORK, is_session

    local = now.astimezone(NEW_YORK)
    if day == local.date() and is_session(day) and local.time() < MARKET_CLOSE:
        raise InvalidInput(
            field, f"session {day.isoformat()} has not closed yet (closes 16:00 America/New_York)"
        )


def resolve_session(req: IngestRequest, now: dt.datetime) -> tuple[dt.date, bool]:
    """The session date to process and whether NYSE traded on it.

    No date: the latest completed session (always a session). A given date: that date and `is_session(date)`;
    today's session before 16:00 ET raises InvalidInput because it has not closed yet.
    """
    from stock_movers.domain.calendar import is_session, latest_completed_session

    today = _today_et(now)
    if req.date is None:
        return latest_completed_session(now), True
    _not_future(req.date, "date", today)
    _not_open(req.date, "date", now)
    return req.date, is_session(req.date)


def parse_backfill_input(
    raw: object,
    *,
    now: dt.datetime,
    default_tickers: Callable[[], Sequence[str]],
    max_span_days: int = DEFAULT_MAX_SPAN_DAYS,
    max_tickers: int = MAX_WATCHLIST,
) -> BackfillRequest:
    """Validate `{"from": "YYYY-MM-DD", "to": "YYYY-MM-DD", "tickers"?: [...], "force"?: bool}`.

    Both dates are required; from <= to; `to` is not in the future (and not today's session before its close);
    the inclusive span (to - from + 1 calendar days) is at most `max_span_days`. Without tickers the backfill
    takes `default_tickers()`, called only then (the configured watchlist is not read for one naming its own).
    """
    today = _today_et(now)
    data = _check_object(raw, BACKFILL_FIELDS)
    for name in ("from", "to"):
        if name not in data:
            raise InvalidInput(name, "is required (YYYY-MM-DD)")
    start = parse_date(data["from"], "from")
    end = parse_date(data["to"], "to")
    _not_future(end, "to", today)
    _not_open(end, "to", now)
    if start > end:
        raise InvalidInput("from", f"{start.isoformat()} is after to {end.isoformat()}")
    span = (end - start).days + 1
    if span > max_span_days:
        raise InvalidInput("to", f"span of {span} days exceeds the maximum of {max_span_days}")
    if "tickers" in data:
        tickers = _parse_tickers(data["tickers"], "tickers", max_tickers)
    elif len(watchlist := default_tickers()) > max_tickers:
        raise InvalidInput(
            "tickers",
            f"the watchlist holds {len(watchlist)} symbols and a backfill takes at most {max_tickers}:"
            " name the tickers to backfill",
        )
    else:
        tickers = _defaults(watchlist, max_tickers)
    return BackfillRequest(start=start, end=end, tickers=tickers, force=_parse_force(data))


def parse_watchlist(raw: bytes, source: str) -> tuple[str, ...]:
    """The configured watchlist from its stored JSON ``{"tickers": ["AAPL", ...]}``: 1 to MAX_WATCHLIST unique
    uppercase symbols. Anything else raises InvalidWatchlist naming `source` (a deployment error)."""
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise InvalidWatchlist(f"{source}: not JSON") from None
    if not isinstance(data, dict) or "tickers" not in data:
        raise InvalidWatchlist(f'{source}: must be a JSON object {{"tickers": [...]}}')
    value = data["tickers"]
    if isinstance(value, list) and len(value) > MAX_WATCHLIST:
        raise InvalidWatchlist(f"{source}: at most {MAX_WATCHLIST} symbols, got {len(value)}")
    try:
        return _parse_tickers(value, "tickers", MAX_WATCHLIST)
    except InvalidInput as exc:
        raise InvalidWatchlist(f"{source}: {exc}") from None


# What AWS refuses in an execution name (besides its length, 1 to 80): the name becomes an S3 key segment.
_NAME_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def parse_execution_name(value: object, field: str = "executionName") -> str:
    """An execution name as Step Functions allows it (1 to 80 characters, none of its forbidden ones)."""
    if not isinstance(value, str) or not 1 <= len(value) <= 80 or _NAME_FORBIDDEN.search(value):
        raise InvalidInput(field, f"must be a Step Functions execution name, got {str(value)[:40]!r}")
    if value in (".", ".."):
        raise InvalidInput(field, f"must be a Step Functions execution name, got {value!r}")
    return value
