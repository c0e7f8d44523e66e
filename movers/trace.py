"""An execution's history as a readable trace: each state with its start, duration, retries and errors,
Map iterations folded into one line per inner state, and the failure's error and cause.

Pure functions over GetExecutionHistory events (as boto3 returns them), so they are easy to test.
"""

from __future__ import annotations

import datetime as dt
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


def _error_of(event: dict[str, Any]) -> tuple[str, str] | None:
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict) and "error" in details:
            return str(details.get("error", "")), str(details.get("cause", ""))
    return None


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
    return list(lines.values())


def render(execution: dict[str, Any], events: list[dict[str, Any]]) -> str:
    """The whole trace as text (no colours, fits 100 columns)."""
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
        else:
            timing = "(not finished)"
        retries = ", ".join(f"{name} x{n}" for name, n in sorted(line.errors.items()))
        out.append(
            f"  +{offset:7.2f}s {label:<34} {timing:<22} {('errors: ' + retries) if retries else ''}".rstrip()
        )
    if execution["status"] != "SUCCEEDED" and execution["status"] != "RUNNING":
        error = execution.get("error") or ""
        cause = (execution.get("cause") or "").strip()
        out.append(f"{execution['status']}: {error}" + (f": {cause[:400]}" if cause else ""))
    elif execution.get("output"):
        out.append(f"output: {execution['output'][:400]}")
    return "\n".join(out)
