"""Backfill bookkeeping: execution names, the plan of a span, batching, the summary, and gap finding.

Pure functions over dates and plain dicts (no AWS): the plan_backfill function and the CLI call them.

- `plan`: the NYSE sessions of [from, to], the ones still to store (all of them with `force`), the one
  date range to fetch per ticker, and batches of sessions small enough for one store_sessions invocation.
- `summarize`: the execution's output `{sessions, stored, skipped, failed}`.
- `find_gaps`: the missing sessions a daily run should heal (see its docstring for the rule).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stock_movers.domain.calendar import is_session, previous_session, sessions_in_range
from stock_movers.domain.inputs import BackfillRequest

DEFAULT_BATCH_SIZE = 40


def backfill_input(
    start: dt.date, end: dt.date, tickers: Sequence[str] | None = None, force: bool = False
) -> dict[str, Any]:
    """The canonical execution input: optional fields only when set, so equal requests give equal JSON."""
    payload: dict[str, Any] = {"from": start.isoformat(), "to": end.isoformat()}
    if tickers:
        payload["tickers"] = list(tickers)
    if force:
        payload["force"] = True
    return payload


def batches(sessions: Sequence[dt.date], size: int) -> list[list[str]]:
    """Consecutive chunks of at most `size` ISO dates."""
    if size < 1:
        raise ValueError("batch size must be >= 1")
    iso = [d.isoformat() for d in sessions]
    return [iso[i : i + size] for i in range(0, len(iso), size)]


def plan(
    req: BackfillRequest, stored: Iterable[dt.date], batch_size: int = DEFAULT_BATCH_SIZE
) -> dict[str, Any]:
    """What a backfill of `req` has to do, given the sessions whose winner is already `stored`.

    The fetch span is the first..last session still to store, so a re-run of a stored span costs no call.
    """
    sessions = sessions_in_range(req.start, req.end)
    done = set(stored)
    todo = list(sessions) if req.force else [s for s in sessions if s not in done]
    return {
        "from": req.start.isoformat(),
        "to": req.end.isoformat(),
        "tickers": list(req.tickers),
        "force": req.force,
        "sessions": len(sessions),
        "skipped": len(sessions) - len(todo),
        "todo": len(todo),
        "fetchFrom": todo[0].isoformat() if todo else "",
        "fetchTo": todo[-1].isoformat() if todo else "",
        "batches": [{"sessions": chunk} for chunk in batches(todo, batch_size)],
    }


def summarize(planned: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The execution output: sessions in the span, newly stored, skipped (stored before), failed by date."""
    failed = sorted((f for r in results for f in r.get("failed", [])), key=lambda f: str(f["date"]))
    return {
        "sessions": int(planned["sessions"]),
        "stored": sum(int(r.get("stored", 0)) for r in results),
        "skipped": int(planned["skipped"]) + sum(int(r.get("skipped", 0)) for r in results),
        "failed": failed,
    }


def next_sessions(day: dt.date, n: int) -> list[dt.date]:
    """The n sessions strictly after `day`, ascending."""
    out: list[dt.date] = []
    cursor = day
    while len(out) < n:
        cursor += dt.timedelta(days=1)
        if is_session(cursor):
            out.append(cursor)
    return out


def previous_sessions(day: dt.date, n: int) -> list[dt.date]:
    """The n sessions strictly before `day`, ascending."""
    out: list[dt.date] = []
    cursor = day
    while len(out) < n:
        cursor = previous_session(cursor)
        out.append(cursor)
    return sorted(out)


def gap_search_span(day: dt.date, n: int) -> tuple[dt.date, dt.date]:
    """The dates whose stored winners `find_gaps` needs: n sessions either side of `day`."""
    if n < 1:
        return day, day
    return previous_sessions(day, n)[0], next_sessions(day, n)[-1]


def find_gaps(day: dt.date, n: int, stored: Iterable[dt.date]) -> list[dt.date]:
    """Sessions a daily run for `day` heals: missing winners among the n sessions before it.

    Two limits keep healing to real gaps:
    - only a run at the head of the stored history heals (no winner stored in the n sessions after `day`):
      re-running an older day inside the history is an operator's repair of that day, not a backfill;
    - only sessions after the oldest stored session of the window: a fresh deployment's first run does
      not backfill on its own (history before the first stored day is an explicit backfill's job).
    n = 0 switches healing off.
    """
    if n < 1:
        return []
    done = set(stored)
    if any(s in done for s in next_sessions(day, n)):
        return []
    window = previous_sessions(day, n)
    present = [s for s in window if s in done]
    if not present:
        return []
    return [s for s in window if s > present[0] and s not in done]
