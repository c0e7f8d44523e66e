"""Fetch one ticker's bar for a session (or the whole session snapshot) through the shared rate limiter.

Every provider call first takes a slot from the DynamoDB sliding-window log shared by all callers. The
provider's raw body is stored in S3 before anything is returned, and only a small summary flows back to Step
Functions. A slot that does not free within the in-function wait is not an error: `slot_wait` turns it into
a `{"status": "Wait"}` answer the state machine waits out in a Wait state.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from stock_movers.adapters.ratelimiter import SlidingWindowLimiter
from stock_movers.adapters.storage import RawStore, bar_work_key, raw_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import UnsupportedStrategy
from stock_movers.domain.splits import UNKNOWN
from stock_movers.providers.base import FetchResult, Provider
from stock_movers.providers.errors import NoData

T = TypeVar("T")
log = logging.getLogger("stock_movers.ratelimit")


@dataclass
class FetchContext:
    provider: Provider
    limiter: SlidingWindowLimiter
    raw: RawStore
    max_wait_seconds: float
    on_call: Callable[[float], None] = lambda waited: None  # metrics hook: seconds waited for a slot
    # When the running invocation will be stopped (epoch seconds), if it will: bounds the slot's wait and
    # how long a call that dies with it can count against the window.
    deadline: Callable[[], float | None] = lambda: None
    # The fetch time recorded with every fetched bar (ISO 8601 UTC): with the basis, it says which splits
    # an adjusted bar already carries (domain.splits).
    clock: Callable[[], str] = lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def basis_of(ctx: FetchContext, result: FetchResult) -> str:
    """The price basis of a result: as it says, else its provider's (domain.splits.BASES)."""
    return result.basis or str(getattr(ctx.provider, "basis", "")) or UNKNOWN


def limited(ctx: FetchContext, call: Callable[[], T]) -> T:
    """Run one provider call after taking a slot; SlotUnavailable when none frees within the allowed wait.

    The slot is marked finished when the call returns or fails, so the window counts from the answer (the
    provider saw the call by then), not from the admission."""
    acquired = ctx.limiter.acquire(ctx.max_wait_seconds, deadline=ctx.deadline())
    ctx.on_call(acquired.waited_seconds)
    try:
        return call()
    finally:
        try:
            ctx.limiter.complete(acquired.at)
        except Exception:  # the slot stays "in flight", which only holds it longer; the call's outcome wins
            log.warning("could not mark the rate-limit slot finished", exc_info=True)


def slot_wait(retry_after: float, waiting_since: float | None, now: float, budget: float) -> dict[str, Any]:
    """The answer for a fetch that found no slot: wait `waitSeconds` (a whole number, as the Wait state's
    SecondsPath needs) and come back with `waitingSince`, or, once the total wait would pass `budget`,
    give up with status RateLimited (the state machine fails the run with that name)."""
    since = waiting_since if waiting_since is not None and 0 < waiting_since <= now else now
    if now - since + retry_after > budget:
        return {
            "status": "RateLimited",
            "waitedSeconds": round(now - since, 3),
            "message": f"no rate-limit slot within the {budget:g} s wait budget"
            f" (next in {retry_after:.1f} s)",
        }
    return {"status": "Wait", "waitSeconds": max(1, math.ceil(retry_after)), "waitingSince": since}


def _store(ctx: FetchContext, result: FetchResult, keys: Sequence[str]) -> list[str]:
    return ctx.raw.put_pages(keys[: len(result.raw_pages)], result.raw_pages)


def fetch_ticker(ctx: FetchContext, ticker: str, day: dt.date, execution: str) -> dict[str, Any]:
    """One ticker's bar by one provider call: the raw body to raw/, the bar to the run's work object
    (`bar_work_key`), which Pick Winner reads: the state machine carries the answer's keys, never bars."""
    result = limited(ctx, lambda: ctx.provider.daily_bar(ticker, day))
    keys = [raw_key(ctx.provider.name, day, ticker, page) for page in range(len(result.raw_pages))]
    stored = _store(ctx, result, keys)
    matching = [b for b in result.bars if b.ticker == ticker and b.date == day]
    if not matching:
        raise NoData(f"{ticker}: the provider returned no bar for session {day.isoformat()}")
    bar_key = bar_work_key(execution, ticker)
    body = {
        "provider": ctx.provider.name,
        "bar": matching[0].to_dict(),
        "basis": basis_of(ctx, result),
        "fetchedAt": ctx.clock(),
    }
    ctx.raw.put_bytes(bar_key, json.dumps(body, sort_keys=True).encode(), "application/json")
    return _summary(ctx, matching[0], rawKey=stored[0], barKey=bar_key, source="api")


def fetch_snapshot(ctx: FetchContext, day: dt.date, tickers: Sequence[str], execution: str) -> dict[str, Any]:
    """The whole session in one provider call (e.g. Massive grouped daily).

    The raw body goes to raw/.../_session.json; the watchlist's bars go to one work object, which Pick
    Winner reduces in one step (no per-ticker iteration reads it). The answer is its key and the tickers the
    snapshot lacks (`missing`, `missingCount`): only those are fetched one by one. A provider without the
    snapshot strategy is refused with UnsupportedStrategy before a slot is taken (Validate Input refuses such
    a run first; this guards a fetch function configured apart).
    """
    capabilities = ctx.provider.capabilities
    if "snapshot" not in capabilities.strategies:
        raise UnsupportedStrategy(ctx.provider.name, "snapshot", capabilities.strategies)
    result = limited(ctx, lambda: ctx.provider.session_bars(day, tickers))
    keys = [raw_key(ctx.provider.name, day, "_session", page) for page in range(len(result.raw_pages))]
    stored = _store(ctx, result, keys)
    wanted = set(tickers)
    bars: dict[str, Any] = {
        b.ticker: b.to_dict() for b in result.bars if b.ticker in wanted and b.date == day
    }
    missing = [t for t in tickers if t not in bars]
    bars["_rawKey"] = stored[0] if stored else ""
    bars["_provider"] = ctx.provider.name
    bars["_basis"] = basis_of(ctx, result)
    bars["_fetchedAt"] = ctx.clock()
    work_key = f"raw/provider={ctx.provider.name}/date={day.isoformat()}/_snapshot-{execution}.json"
    ctx.raw.put_bytes(work_key, json.dumps(bars, sort_keys=True).encode(), "application/json")
    return {"key": work_key, "missing": missing, "missingCount": len(missing)}


def fetch_market_snapshot(ctx: FetchContext, day: dt.date, execution: str) -> dict[str, Any]:
    """The whole market's session in one provider call, for a whole-market run (scope "market").

    As `fetch_snapshot`, with every row of the answer: the raw body to raw/.../_session.json, and one work
    object holding every row's bar and the tickers the provider marks OTC, which Pick Winner filters
    (domain.market) and reduces in one step. The answer is the work object's key and its row count only.
    """
    capabilities = ctx.provider.capabilities
    if "snapshot" not in capabilities.strategies:
        raise UnsupportedStrategy(ctx.provider.name, "snapshot", capabilities.strategies)
    result = limited(ctx, lambda: ctx.provider.session_bars(day, None))
    keys = [raw_key(ctx.provider.name, day, "_session", page) for page in range(len(result.raw_pages))]
    stored = _store(ctx, result, keys)
    bars = [b.to_dict() for b in result.bars if b.date == day]
    body = {
        "scope": "market",
        "provider": ctx.provider.name,
        "rawKey": stored[0] if stored else "",
        "otc": sorted(result.otc),
        "bars": bars,
    }
    work_key = f"raw/provider={ctx.provider.name}/date={day.isoformat()}/_snapshot-{execution}.json"
    ctx.raw.put_bytes(work_key, json.dumps(body, sort_keys=True).encode(), "application/json")
    return {"key": work_key, "rows": len(bars)}


def _summary(ctx: FetchContext, bar: DailyBar, **extra: str) -> dict[str, Any]:
    return {"ticker": bar.ticker, "provider": ctx.provider.name, "bar": bar.to_dict(), **extra}
