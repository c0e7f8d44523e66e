"""Analysis Catch-up: the scheduled fallback that analyses recent stored days which have no analysis.

Invoked by EventBridge Scheduler (America/New_York, after the daily run) with {"source": "schedule"}, or by
hand with {"date"?: "YYYY-MM-DD", "sessions"?: 1..60}. Over the last N sessions up to that day it announces
again every winner whose MoverStored is still pending and starts the daily analysis (execution
``catchup-<day>-<date>``) for every stored day whose analysis is missing or of another winner; the analysis
machine's claim makes a second start for the same day and winner end AlreadyAnalysed. Returns what it did.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from stock_movers.adapters.aws import client
from stock_movers.adapters.workflows import Workflows
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.observability import logger, metrics
from stock_movers.settings import load
from stock_movers.settings.functions import AnalysisCatchUpSettings
from stock_movers.usecases.catchup import CatchUpStore, CatchUpTargets, parse_catch_up_input, run_catch_up

settings = load(AnalysisCatchUpSettings)
_store = CatchUpStore(settings.table.name)
_targets = CatchUpTargets(
    machine_arn=settings.catch_up.analysis_machine_arn,
    bus=settings.catch_up.event_bus,
    source=settings.catch_up.event_source,
)
_sessions = settings.catch_up.sessions


@metrics.log_metrics
@logger.inject_lambda_context(log_event=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    raw = dict(event) if isinstance(event, dict) else event
    if isinstance(raw, dict) and "sessions" not in raw:
        raw["sessions"] = _sessions
    run_day, sessions = parse_catch_up_input(raw, today=now.astimezone(NEW_YORK).date())
    result = run_catch_up(
        _store,
        client("events"),
        Workflows(client("stepfunctions")),
        _targets,
        run_day=run_day,
        sessions=sessions,
        now=now,
    )
    metrics.add_metric(name="CatchUpAnalysesStarted", unit=MetricUnit.Count, value=len(result["started"]))
    metrics.add_metric(name="CatchUpReannounced", unit=MetricUnit.Count, value=len(result["announced"]))
    logger.info("Analysis catch-up done", extra=result)
    return result
