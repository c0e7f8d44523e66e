"""Plan Backfill: the bookkeeping steps of backfills and gap healing (no provider calls).

Input `{"step": "plan", "input": <execution input>, "executionName"}`: validates the backfill contract
(InvalidInput naming the field), lists the NYSE sessions of the span, reads which are stored (one Query) and
returns the plan (see usecases.backfill.plan); a first session to fetch older than the provider
(MARKET_PROVIDER) reaches raises UnsupportedHistory, and more tickers (one range call each) than the plan's
daily calls UnsupportedWatchlist, before any provider call.
Input `{"step": "summarize", "plan": {...}, "results": [...]}`: the execution output
`{sessions, stored, skipped, failed}`.
Input `{"step": "gaps", "date", "tickers", "sessions": N}` (the daily run's Find Gaps state, after storing its
day): reads the stored winners around `date` (one Query) and returns usecases.healing.plan_healing's answer,
`{"status": "NoGaps"}` or `{"status": "Gaps", "sessions", "name", "input"}`. It starts nothing: the ingest
machine starts the healing backfill itself (states:startExecution).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from stock_movers.adapters.storage import ItemStore
from stock_movers.adapters.watchlist import WatchlistSource
from stock_movers.domain.inputs import parse_backfill_input, parse_date
from stock_movers.observability import correlate, logger
from stock_movers.providers.capabilities import require_daily_calls, require_history
from stock_movers.settings import load
from stock_movers.settings.functions import PlanBackfillSettings
from stock_movers.usecases.backfill import (
    plan,
    summarize,
)
from stock_movers.usecases.healing import gap_search_span, plan_healing

settings = load(PlanBackfillSettings)
_watchlist = WatchlistSource(settings.watchlist.bucket, settings.watchlist.key, settings.watchlist.version)
_items = ItemStore(settings.table.name)


def _plan(event: dict[str, Any]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    req = parse_backfill_input(
        event.get("input"),
        now=now,
        default_tickers=_watchlist.tickers,  # read only by a backfill naming no tickers
        max_span_days=settings.limits.max_span_days,
    )
    stored = set() if req.force else _items.winner_dates(req.start, req.end)
    out = plan(req, stored, settings.limits.batch_size)
    if out["fetchFrom"]:
        # Before any range call: the first session still to store must be within the provider's reach.
        require_history(settings.provider.name, parse_date(out["fetchFrom"]), now)
        # ... and its range calls (one per ticker) within the plan's daily quota.
        require_daily_calls(settings.provider.name, len(req.tickers), settings.provider.daily_calls)
    logger.info(
        "Backfill planned",
        extra={k: out[k] for k in ("from", "to", "sessions", "skipped", "todo", "fetchFrom", "fetchTo")},
    )
    return out


def _gaps(event: dict[str, Any]) -> dict[str, Any]:
    """The healing decision for the run's session: the gaps among the N sessions before it, if any."""
    day = parse_date(event.get("date"))
    n = int(event.get("sessions") or 0)
    start, end = gap_search_span(day, n)
    decision = plan_healing(day, n, _items.winner_dates(start, end) if n > 0 else set(), event.get("tickers"))
    if decision["status"] == "Gaps":
        logger.info("Gaps to heal", extra={"date": day.isoformat(), "gaps": decision["sessions"]})
    return decision


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    correlate(event)
    step = event.get("step")
    if step == "plan":
        return _plan(event)
    if step == "summarize":
        summary = summarize(event["plan"], event.get("results") or [])
        logger.info("Backfill done", extra={k: summary[k] for k in ("sessions", "stored", "skipped")})
        return summary
    if step == "gaps":
        return _gaps(event)
    raise ValueError(f"unknown step {step!r}: expected plan, summarize or gaps")
