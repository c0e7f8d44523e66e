"""Gap healing: which sessions a daily run heals, and the backfill execution that heals them.

Pure functions over dates (no AWS). The ingest machine's Find Gaps state asks `plan_healing` (through the
plan_backfill function, which reads the stored winners); its Start Healing Backfill state then starts the
backfill machine with the `states:startExecution` integration, under the deterministic name this module
gives, so a retried or re-run day starts its heal at most once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from stock_movers.domain.calendar import is_session, previous_session
from stock_movers.domain.inputs import MAX_WATCHLIST
from stock_movers.execution_names import heal_execution_name
from stock_movers.usecases.backfill import backfill_input


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


def plan_healing(
    day: dt.date, n: int, stored: Iterable[dt.date], tickers: Sequence[str] | None = None
) -> dict[str, Any]:
    """What a daily run for `day` does about gaps, given the stored winners around it (`gap_search_span`).

    `{"status": "NoGaps"}`, or `{"status": "Gaps", "sessions": [...], "name": <execution name>,
    "input": <backfill input>}`: the backfill of the first..last gap (a stored session between two gaps
    costs no provider call: the backfill skips it). A run of more tickers than a backfill takes
    (MAX_WATCHLIST; a run may take more, up to Terraform's max_tickers) cannot be healed by one: `{"status":
    "TooManyTickers", "sessions", "reason"}`, so no backfill is started only to be refused at its plan
    (the ingest machine heals only on "Gaps"); those sessions are re-run one by one (`movers run --date`).
    """
    gaps = find_gaps(day, n, stored)
    if not gaps:
        return {"status": "NoGaps"}
    if tickers is not None and len(tickers) > MAX_WATCHLIST:
        return {
            "status": "TooManyTickers",
            "sessions": [g.isoformat() for g in gaps],
            "reason": f"{len(tickers)} tickers: a backfill takes at most {MAX_WATCHLIST}; run each session",
        }
    return {
        "status": "Gaps",
        "sessions": [g.isoformat() for g in gaps],
        "name": heal_execution_name(day, gaps[0], gaps[-1]),
        "input": backfill_input(gaps[0], gaps[-1], tickers or None),
    }
