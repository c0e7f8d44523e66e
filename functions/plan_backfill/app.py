"""Plan Backfill: the bookkeeping steps of backfills and gap healing (no provider calls).

Input `{"step": "plan", "input": <execution input>, "executionName"}`: validates the backfill contract
(InvalidInput naming the field), lists the NYSE sessions of the span, reads which are stored (one Query) and
returns the plan (see usecases.backfill.plan); a first session to fetch older than the provider
(MARKET_PROVIDER) reaches raises UnsupportedHistory before any provider call.
Input `{"step": "summarize", "plan": {...}, "results": [...]}`: the execution output
`{sessions, stored, skipped, failed}`.
Input `{"step": "heal", "date", "tickers", "sessions": N}` (the daily run, after storing its day): finds the
missing sessions among the N before `date` (usecases.backfill.find_gaps) and starts the backfill machine for
their span as execution `heal-<date>-<from>-<to>`, without waiting. Output `{"status": "NoGaps"}` or
`{"status": "Started" | "AlreadyStarted", "executionArn", "sessions"}`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from stock_movers.adapters.aws import client
from stock_movers.adapters.storage import ItemStore
from stock_movers.domain.inputs import parse_backfill_input, parse_date
from stock_movers.execution_names import execution_arn, heal_execution_name
from stock_movers.observability import correlate, logger
from stock_movers.providers.capabilities import require_history
from stock_movers.settings import PlanBackfillSettings, load
from stock_movers.usecases.backfill import (
    backfill_input,
    find_gaps,
    gap_search_span,
    plan,
    summarize,
)

settings = load(PlanBackfillSettings)
_items = ItemStore(settings.table.name)


def _plan(event: dict[str, Any]) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    req = parse_backfill_input(
        event.get("input"),
        now=now,
        default_tickers=settings.watchlist.tickers,
        max_span_days=settings.limits.max_span_days,
    )
    stored = set() if req.force else _items.winner_dates(req.start, req.end)
    out = plan(req, stored, settings.limits.batch_size)
    if out["fetchFrom"]:
        # Before any range call: the first session still to store must be within the provider's reach.
        require_history(settings.provider.name, parse_date(out["fetchFrom"]), now)
    logger.info(
        "Backfill planned",
        extra={k: out[k] for k in ("from", "to", "sessions", "skipped", "todo", "fetchFrom", "fetchTo")},
    )
    return out


def _heal(event: dict[str, Any]) -> dict[str, Any]:
    """Find the gaps before the run's session and start the backfill for them (without waiting)."""
    day = parse_date(event.get("date"))
    n = int(event.get("sessions") or 0)
    start, end = gap_search_span(day, n)
    gaps = find_gaps(day, n, _items.winner_dates(start, end) if n > 0 else set())
    if not gaps:
        return {"status": "NoGaps"}
    payload = backfill_input(gaps[0], gaps[-1], event.get("tickers") or None)
    name = heal_execution_name(day, gaps[0], gaps[-1])
    machine = settings.machine.arn
    sfn = client("stepfunctions")
    status = "Started"
    try:
        arn = sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps(payload))[
            "executionArn"
        ]
    except sfn.exceptions.ExecutionAlreadyExists:
        # A retry, a redrive or a forced re-run of the day: that heal already ran (names are kept 90 days).
        # The machine may be its `live` alias (arn:...:stateMachine:<m>:live); executions are the machine's.
        arn, status = execution_arn(machine, name), "AlreadyStarted"
    sessions = [g.isoformat() for g in gaps]
    logger.info("Healing gaps", extra={"date": day.isoformat(), "gaps": sessions, "execution": name})
    return {"status": status, "executionArn": arn, "sessions": sessions}


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
    if step == "heal":
        return _heal(event)
    raise ValueError(f"unknown step {step!r}: expected plan, summarize or heal")
