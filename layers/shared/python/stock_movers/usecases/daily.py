"""How a new attempt of the daily run is started, shared by the schedule's target
(functions/start_daily) and the operator CLI (`movers run`), so both name and retry a day the same way.

A Standard workflow keeps an execution name for 90 days and refuses a second start of a closed execution,
so a failed `daily-<date>` would block its day. Attempts are named `daily-<date>`, then
`daily-<date>-retry-1`, `-retry-2`, ...: a start walks them in order and
- attaches to an attempt that is still running (same input),
- stops at an attempt that succeeded (the day is done: the caller shows what it stored),
- starts the first free name after attempts that failed, timed out or were aborted.
The day's whole-market run (payload scope "market") walks its own names, `daily-market-<date>`,
`daily-market-<date>-retry-1`, ..., so the watchlist's run and the market's never take each other's names.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from stock_movers.adapters.workflows import Workflows
from stock_movers.domain.inputs import WATCHLIST_SCOPE, parse_scope
from stock_movers.execution_names import daily_execution_name

MAX_ATTEMPTS = 50  # daily-D plus 49 retries: beyond that something else is wrong
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


class DailyStartError(RuntimeError):
    """The day's run could not be started (a one-line reason)."""


@dataclass(frozen=True)
class DailyStart:
    """What a start did. status: Started (a new attempt: `name`), AlreadyRunning (attached to the running
    attempt), AlreadySucceeded (an attempt of the day succeeded: nothing started). `failed` lists the
    earlier attempts that failed (name, status), oldest first."""

    status: str
    name: str
    execution_arn: str
    failed: tuple[tuple[str, str], ...] = ()


def start_daily_run(sfn: Any, machine_arn: str, day: dt.date | str, payload: dict[str, Any]) -> DailyStart:
    """Start (or find) the day's attempt, as the module docstring says. `sfn` is a Step Functions client
    (StartExecution, DescribeExecution). The names follow `payload`'s scope (absent: the watchlist's); a
    scope other than watchlist or market is InvalidInput("scope") before anything is started."""
    scope = parse_scope(payload["scope"]) if "scope" in payload else WATCHLIST_SCOPE
    workflows = Workflows(sfn)
    failed: list[tuple[str, str]] = []
    for attempt in range(MAX_ATTEMPTS):
        name = daily_execution_name(day, attempt, scope=scope)
        start = workflows.start(machine_arn, name, payload)
        if start.started:
            return DailyStart("Started", name, start.execution_arn, tuple(failed))
        arn = start.execution_arn
        desc = workflows.describe(arn)
        status = str(desc["status"])
        if status == "RUNNING":
            if json.loads(desc.get("input") or "null") != payload:
                raise DailyStartError(
                    f"{name} is running with other input {desc.get('input')}: wait for it to end"
                )
            return DailyStart("AlreadyRunning", name, arn, tuple(failed))
        if status == "SUCCEEDED":
            return DailyStart("AlreadySucceeded", name, arn, tuple(failed))
        failed.append((name, status))
    first = daily_execution_name(day, scope=scope)
    raise DailyStartError(f"{first} has failed {MAX_ATTEMPTS} times: see `movers trace` of its attempts")
