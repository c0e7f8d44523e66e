"""An execution's history as a readable trace: each state with its start, duration, retries and errors,
Map iterations folded into one line per inner state, a Distributed Map's child executions counted per MapRun
(their own histories are not the parent's), and the failure: one line per error (its name and the first line
of its cause, a Lambda error's message without its stack trace), every failed iteration listed.

Pure functions over GetExecutionHistory events (as boto3 returns them), so they are easy to test.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any


@dataclass
class StateLine:
    name: str
    depth: int
    first_start: dt.datetime
    runs: int = 0
    total: float = 0.0
    longest: float = 0.0
    errors: dict[str, int] = field(default_factory=dict)
    failed: bool = False  # a Fail state entered, or an entry ended by an error it did not recover from
    stopped: bool = False  # never exited: the execution stopped while it ran


def _error_of(event: dict[str, Any]) -> tuple[str, str] | None:
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict) and "error" in details:
            return str(details.get("error", "")), str(details.get("cause", ""))
    return None


def cause_text(cause: str) -> str:
    """A cause as text: a Lambda error's JSON (`errorType`, `errorMessage`, `stackTrace`) becomes its message
    (the type is the error's name already), anything else stays as it is."""
    text = (cause or "").strip()
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError:
            return text
        if isinstance(body, dict) and "errorMessage" in body:
            return str(body.get("errorMessage") or body.get("errorType") or "").strip()
    return text


def one_line(error: str, cause: str, limit: int = 300) -> str:
    """`error: first line of the cause` (cut at `limit` characters)."""
    lines = cause_text(cause).splitlines()
    first = lines[0].strip() if lines else ""
    if len(first) > limit:
        first = first[: limit - 3] + "..."
    return f"{error}: {first}" if first else error


def failures(events: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(state, error, cause) of every state entry that failed and never exited (a retried failure that
    later succeeded is not one), in history order, each distinct (error, cause) once."""
    entry_of: dict[int, int] = {}
    name_of: dict[int, str] = {}
    last_error: dict[int, tuple[str, str]] = {}
    exited: set[int] = set()
    for ev in events:
        kind, eid, prev = ev["type"], ev["id"], ev.get("previousEventId", 0)
        if kind.endswith("StateEntered"):
            entry_of[eid] = eid
            name_of[eid] = ev["stateEnteredEventDetails"]["name"]
            continue
        entry = entry_of.get(prev)
        if entry is None:
            continue
        entry_of[eid] = entry
        if kind.endswith("StateExited"):
            exited.add(entry)
        elif kind in ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut"):
            found = _error_of(ev)
            if found:
                last_error[entry] = found
    out: list[tuple[str, str, str]] = []
    seen: set[tuple[str, str]] = set()
    for entry, (error, cause) in last_error.items():
        if entry in exited or (error, cause) in seen:
            continue
        seen.add((error, cause))
        out.append((name_of[entry], error, cause))
    return out


def fold(events: list[dict[str, Any]]) -> list[StateLine]:
    """One line per state (per state name inside Maps), in order of first entry.

    Every event is attributed to the state entry it descends from (through previousEventId), so exits and
    failures of concurrent Map iterations are matched to their own entries, not by order.
    """
    owner: dict[int, int] = {}  # event id -> id of the StateEntered event it belongs to
    entered: dict[int, tuple[str, dt.datetime]] = {}
    open_by_name: dict[str, list[int]] = {}
    depth_of: dict[str, int] = {}
    lines: OrderedDict[str, StateLine] = OrderedDict()
    map_depth = 0
    for ev in events:
        kind, eid, prev = ev["type"], ev["id"], ev.get("previousEventId", 0)
        if kind == "MapStateStarted":
            map_depth += 1
        elif kind in ("MapStateSucceeded", "MapStateFailed", "MapStateAborted"):
            map_depth = max(0, map_depth - 1)
        if kind.endswith("StateEntered"):
            name = ev["stateEnteredEventDetails"]["name"]
            owner[eid] = eid
            entered[eid] = (name, ev["timestamp"])
            open_by_name.setdefault(name, []).append(eid)
            if name not in lines:
                lines[name] = StateLine(name, depth_of.setdefault(name, map_depth), ev["timestamp"])
            if kind == "FailStateEntered":
                lines[name].failed = True
            continue
        entry = owner.get(prev)
        if kind.endswith("StateExited"):
            # An exit names its state; a Map's exit follows its last iteration's event, so the chain alone
            # would credit it to the inner state.
            name = ev.get("stateExitedEventDetails", {}).get("name", "")
            pending = open_by_name.get(name, [])
            if entry not in pending:
                entry = pending[-1] if pending else None
            if entry is None:
                continue
            pending.remove(entry)
            owner[eid] = entry
            started = entered[entry][1]
            line = lines[name]
            seconds = (ev["timestamp"] - started).total_seconds()
            line.runs += 1
            line.total += seconds
            line.longest = max(line.longest, seconds)
            continue
        if entry is None:
            continue
        owner[eid] = entry
        line = lines[entered[entry][0]]
        if kind in ("TaskFailed", "LambdaFunctionFailed", "TaskTimedOut", "LambdaFunctionTimedOut"):
            error = _error_of(ev)
            if error:
                line.errors[error[0]] = line.errors.get(error[0], 0) + 1
        elif kind in ("MapStateFailed", "MapStateAborted", "ParallelStateFailed", "ParallelStateAborted"):
            line.failed = True
    if events and events[-1]["type"] in ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"):
        for name, pending in open_by_name.items():
            # an entry still open when the execution stopped: failed there if it met an error, else stopped
            if pending and not lines[name].runs:
                lines[name].failed = lines[name].failed or bool(lines[name].errors)
                lines[name].stopped = True
    return list(lines.values())


def map_run_arns(events: list[dict[str, Any]]) -> list[str]:
    """The MapRuns (Distributed Map runs) an execution started, in order."""
    return [
        str(e["mapRunStartedEventDetails"]["mapRunArn"])
        for e in events
        if e.get("mapRunStartedEventDetails", {}).get("mapRunArn")
    ]


def map_run_lines(map_runs: list[dict[str, Any]]) -> list[str]:
    """One line per MapRun (DescribeMapRun answers): its child executions and items by outcome."""
    out = []
    for run in map_runs:
        label = str(run.get("mapRunArn", "")).split(":")[-2].split("/")[-1] or "MapRun"
        ex, items = run.get("executionCounts", {}), run.get("itemCounts", {})
        outcomes = ", ".join(
            f"{ex.get(k, 0)} {k}"
            for k in ("succeeded", "failed", "timedOut", "aborted", "running")
            if ex.get(k)
        )
        out.append(
            f"  map run {label} {run.get('status', '')}: {ex.get('total', 0)} child executions"
            f" ({outcomes or 'none finished'}), {items.get('total', 0)} items,"
            f" max concurrency {run.get('maxConcurrency', 0)}"
        )
    return out


def render(
    execution: dict[str, Any],
    events: list[dict[str, Any]],
    *,
    verbose: bool = False,
    map_runs: list[dict[str, Any]] | None = None,
) -> str:
    """The whole trace as text (no colours, fits 100 columns). A failure ends it with one line per error
    (the cause's first line); `verbose` prints each error's whole cause instead. `map_runs` (DescribeMapRun
    answers of the execution's Distributed Map runs) adds a line each with its child executions."""
    start: dt.datetime = execution["startDate"]
    stop: dt.datetime | None = execution.get("stopDate")
    took = f"{(stop - start).total_seconds():.2f}s" if stop else "running"
    out = [
        f"{execution['name']}  {execution['status']}  started {start.astimezone(dt.UTC):%Y-%m-%d %H:%M:%S}Z"
        f"  duration {took}"
    ]
    for line in fold(events):
        offset = (line.first_start - start).total_seconds()
        label = ("  " * (line.depth + 1)) + ("└ " if line.depth else "") + line.name
        if line.runs > 1:
            timing = f"x{line.runs}  longest {line.longest:.2f}s"
        elif line.runs == 1:
            timing = f"{line.total:.2f}s"
        elif line.failed:
            timing = "failed"
        elif line.stopped:
            timing = "stopped"
        else:
            timing = "(running)" if execution["status"] == "RUNNING" else "(not finished)"
        retries = ", ".join(f"{name} x{n}" for name, n in sorted(line.errors.items()))
        out.append(
            f"  +{offset:7.2f}s {label:<34} {timing:<22} {('errors: ' + retries) if retries else ''}".rstrip()
        )
    out += map_run_lines(map_runs or [])
    if execution["status"] != "SUCCEEDED" and execution["status"] != "RUNNING":
        out += failure_lines(execution, events, verbose=verbose)
    elif execution.get("output"):
        out.append(f"output: {execution['output'][:400]}")
    return "\n".join(out)


def failure_lines(
    execution: dict[str, Any], events: list[dict[str, Any]], *, verbose: bool = False
) -> list[str]:
    """`STATUS: Error: first line of the cause`, then one `  also Error: ...` line for every other failed
    state entry (e.g. each Map iteration that failed beside the one that stopped the run)."""
    error = str(execution.get("error") or "")
    cause = str(execution.get("cause") or "")
    status = str(execution["status"])
    if verbose:
        lines = [f"{status}: {error}" if error else status]
        lines += ["  " + line for line in cause_text(cause).splitlines() if line.strip()]
    else:
        lines = [f"{status}: {one_line(error, cause)}" if error else status]
    shown = {(error, cause_text(cause))}
    for state, err, why in failures(events):
        if (err, cause_text(why)) in shown:
            continue
        shown.add((err, cause_text(why)))
        if verbose:
            lines.append(f"  also {err} in {state}:")
            lines += ["    " + line for line in cause_text(why).splitlines() if line.strip()]
        else:
            lines.append(f"  also {one_line(err, why)} ({state})")
    return lines
