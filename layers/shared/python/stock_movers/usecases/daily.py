"""The daily run's execution names and how a new attempt is started, shared by the schedule's target
(functions/start_daily) and the operator CLI (`movers run`), so both name and retry a day the same way.

A Standard workflow keeps an execution name for 90 days and refuses a second start of a closed execution,
so a failed `daily-<date>` would block its day. Attempts are named `daily-<date>`, then
`daily-<date>-retry-1`, `-retry-2`, ...: a start walks them in order and
- attaches to an attempt that is still running (same input),
- stops at an attempt that succeeded (the day is done: the caller shows what it stored),
- starts the first free name after attempts that failed, timed out or were aborted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

MAX_ATTEMPTS = 50  # daily-D plus 49 retries: beyond that something else is wrong
FAILED_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


def daily_execution_name(
    day: dt.date | str, attempt: int = 0, *, forced_at: dt.datetime | None = None
) -> str:
    """`daily-<date>`, `daily-<date>-retry-<attempt>` (attempt >= 1), or with `forced_at` the forced run
    `daily-<date>-force-<HHMMSS>` (a forced store is a new request, not a retry)."""
    text = day.isoformat() if isinstance(day, dt.date) else str(day)
    if forced_at is not None:
        return f"daily-{text}-force-{forced_at.astimezone(dt.UTC):%H%M%S}"
    return f"daily-{text}" if attempt == 0 else f"daily-{text}-retry-{attempt}"


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


def execution_arn(machine_arn: str, name: str) -> str:
    """The ARN of execution `name` of a state machine given by its ARN, its version's or its alias's
    (`arn:aws:states:<region>:<account>:stateMachine:<machine>[:<version or alias>]`): executions belong
    to the machine itself, `arn:aws:states:<region>:<account>:execution:<machine>:<name>`."""
    parts = machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], name])


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def start_daily_run(sfn: Any, machine_arn: str, day: dt.date | str, payload: dict[str, Any]) -> DailyStart:
    """Start (or find) the day's attempt, as the module docstring says. `sfn` is a Step Functions client
    (StartExecution, DescribeExecution)."""
    failed: list[tuple[str, str]] = []
    for attempt in range(MAX_ATTEMPTS):
        name = daily_execution_name(day, attempt)
        try:
            out = sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload))
            return DailyStart("Started", name, str(out["executionArn"]), tuple(failed))
        except Exception as exc:
            if _code(exc) != "ExecutionAlreadyExists":
                raise
        arn = execution_arn(machine_arn, name)
        desc = sfn.describe_execution(executionArn=arn)
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
    raise DailyStartError(
        f"{daily_execution_name(day)} has failed {MAX_ATTEMPTS} times: see `movers trace` of its attempts"
    )
