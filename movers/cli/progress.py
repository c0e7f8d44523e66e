"""Live progress of a running execution, read from its history as it grows: Map iterations done (tickers
fetched, batches of sessions stored), the state it is in, and every rate-limit wait.

A rate-limit wait is whatever the history shows of one, so the same reading works whichever way the fetch
path waits: a Task failing with `RateLimited` before its Retry, a Wait state entered (the limiter's answer
waited out in the state machine), or a fetch Task that is still running past a few seconds (the limiter
waiting inside the function). On a terminal the progress is drawn with rich; elsewhere (logs, tests,
pipes) each change is one plain line.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

RATE_LIMIT_ERRORS = ("RateLimited",)
SLOW_TASK_SECONDS = 5.0  # a fetch still running after this long is waiting (the limiter, the provider)
# A backfill's store Maps (batches, and each batch's days): shown as "sessions stored", from the plan.
STORE_MAPS = ("Store Sessions", "Store Days")


@dataclass
class Snapshot:
    """What a history says so far."""

    state: str = ""  # the last top-level state entered
    maps: dict[str, tuple[int, int]] = field(default_factory=dict)  # Map name -> (iterations done, length)
    plan: dict[str, Any] | None = None  # a backfill's plan (Plan Backfill's output)
    done_batches: set[int] = field(default_factory=set)
    rate_limit_waits: int = 0
    waiting: bool = False  # the newest event is a rate-limit wait (no progress since)

    def sessions(self) -> tuple[int, int]:
        """A backfill's (sessions done, sessions in the span): skipped plus finished batches."""
        if not self.plan:
            return 0, 0
        batches = self.plan.get("batches") or []
        stored = sum(len(b["sessions"]) for i, b in enumerate(batches) if i in self.done_batches)
        return int(self.plan.get("skipped", 0)) + stored, int(self.plan.get("sessions", 0))


def _is_rate_limit_wait(ev: dict[str, Any]) -> bool:
    kind = ev["type"]
    if kind == "WaitStateEntered":
        return True
    if kind in ("TaskFailed", "LambdaFunctionFailed"):
        for key, details in ev.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                return str(details.get("error", "")) in RATE_LIMIT_ERRORS
    return False


def snapshot(events: list[dict[str, Any]]) -> Snapshot:
    snap = Snapshot()
    depth = 0
    for ev in events:
        kind = ev["type"]
        if kind == "MapStateStarted":
            depth += 1
            length = int((ev.get("mapStateStartedEventDetails") or {}).get("length", 0))
            prev = snap.maps.get(snap.state, (0, 0))
            snap.maps[snap.state] = (prev[0], length)
        elif kind in ("MapStateSucceeded", "MapStateFailed", "MapStateAborted"):
            depth = max(0, depth - 1)
        elif kind.endswith("StateEntered") and depth == 0:
            snap.state = ev["stateEnteredEventDetails"]["name"]
        elif kind == "MapIterationSucceeded":
            details = ev.get("mapIterationSucceededEventDetails") or {}
            name = str(details.get("name", ""))
            done, length = snap.maps.get(name, (0, 0))
            snap.maps[name] = (done + 1, length)
            if name == "Store Sessions":
                snap.done_batches.add(int(details.get("index", -1)))
        elif kind == "TaskStateExited" and ev["stateExitedEventDetails"]["name"] == "Plan Backfill":
            snap.plan = json.loads(ev["stateExitedEventDetails"].get("output") or "{}").get("plan")
        if _is_rate_limit_wait(ev):
            snap.rate_limit_waits += 1
            snap.waiting = True
        elif kind in ("MapIterationSucceeded", "TaskSucceeded", "LambdaFunctionSucceeded"):
            snap.waiting = False
    return snap


def describe(snap: Snapshot, *, in_flight_for: float = 0.0) -> str:
    """One line, e.g. `Fetch Ranges: 2/6 tickers fetched | 0/40 sessions stored | rate-limit waits: 3`."""
    parts: list[str] = []
    for name, (done, length) in snap.maps.items():
        if name in STORE_MAPS:
            continue
        unit = "tickers fetched" if "Fetch" in name else "done"
        parts.append(f"{name}: {done}/{length or '?'} {unit}")
    if snap.plan is not None:
        done, total = snap.sessions()
        parts.append(f"{done}/{total} sessions stored")
    if not parts and snap.state:
        parts.append(snap.state)
    waits = f"rate-limit waits: {snap.rate_limit_waits}" if snap.rate_limit_waits else ""
    fetching = any("Fetch" in name and done < length for name, (done, length) in snap.maps.items())
    if snap.waiting or (fetching and in_flight_for >= SLOW_TASK_SECONDS):
        waits = (waits + " " if waits else "") + "(waiting for the rate limit)"
    return " | ".join(p for p in [*parts, waits] if p)


def _task_in_flight_for(events: list[dict[str, Any]], now: Any) -> float:
    """Seconds since the newest event when it is a task started and not yet answered (0 otherwise)."""
    if not events or events[-1]["type"] not in ("TaskStarted", "LambdaFunctionStarted", "TaskScheduled"):
        return 0.0
    stamp = events[-1]["timestamp"]
    return max(0.0, (now(stamp.tzinfo) - stamp).total_seconds())


def follow(
    get_status: Callable[[], dict[str, Any]],
    get_events: Callable[[], list[dict[str, Any]]],
    out: TextIO,
    *,
    poll: float = 1.0,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
    on_timeout: Callable[[dict[str, Any]], Exception] | None = None,
) -> dict[str, Any]:
    """Poll until the execution ends, showing each change of its progress; returns DescribeExecution."""
    import datetime as dt

    deadline = time.monotonic() + timeout
    live = _RichLive(out) if out.isatty() else None
    shown = ""
    try:
        while True:
            desc = get_status()
            events = get_events()
            snap = snapshot(events)
            line = describe(snap, in_flight_for=_task_in_flight_for(events, dt.datetime.now))
            if live is not None:
                live.update(snap, line)
            elif line and line != shown:
                out.write(f"  {line}\n")
                out.flush()
            shown = line
            if desc["status"] != "RUNNING":
                return desc
            if time.monotonic() > deadline:
                raise (on_timeout(desc) if on_timeout else TimeoutError(desc["name"]))
            sleep(poll)
    finally:
        if live is not None:
            live.stop()


class _RichLive:
    """rich progress bars redrawn in place: one per fetch Map (tickers fetched), one for a backfill's
    sessions stored, and a status line (the state, rate-limit waits)."""

    def __init__(self, out: TextIO) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(file=out), transient=False,
        )  # fmt: skip
        self.status = self.progress.add_task("starting", total=None)
        self.bars: dict[str, Any] = {}
        self.progress.start()

    def _bar(self, label: str, done: int, total: int) -> None:
        if label not in self.bars:
            self.bars[label] = self.progress.add_task(label, total=total or None)
        self.progress.update(self.bars[label], completed=done, total=total or None)

    def update(self, snap: Snapshot, line: str) -> None:
        for name, (done, length) in snap.maps.items():
            if name not in STORE_MAPS:
                self._bar(f"{name}: tickers fetched" if "Fetch" in name else name, done, length)
        if snap.plan is not None:
            self._bar("sessions stored", *snap.sessions())
        waits = line.split(" | ")[-1] if "rate-limit" in line else ""
        self.progress.update(self.status, description=waits or snap.state or "running")

    def stop(self) -> None:
        self.progress.stop()
