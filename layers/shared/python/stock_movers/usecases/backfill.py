"""Backfill bookkeeping: execution names, the plan of a span, batching, the summary, and gap finding.

Pure functions over dates and plain dicts (no AWS): the plan_backfill function and the CLI call them.

- `plan`: the NYSE sessions of [from, to], the ones still to store (all of them with `force`), the one
  date range to fetch per ticker, and batches of sessions small enough for one Reduce Batch payload.
- `summarize`: the execution's output `{sessions, stored, skipped, failed}`.
Gap healing (which sessions a daily run heals) is `usecases.healing`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stock_movers.domain.calendar import sessions_in_range
from stock_movers.domain.inputs import BackfillRequest

DEFAULT_BATCH_SIZE = 20


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


def _stored_day_failure(day: Mapping[str, Any]) -> dict[str, str]:
    """A Store Day failure as the summary lists it: the Lambda error's message, not its JSON envelope."""
    cause = str(day.get("cause") or "")
    try:
        envelope = json.loads(cause)
    except ValueError:
        envelope = None
    if isinstance(envelope, dict) and "errorMessage" in envelope:
        cause = str(envelope["errorMessage"])
    error = str(day.get("error") or "StoreDayFailed")
    return {"date": str(day["date"]), "error": error, "cause": cause[:200]}


def summarize(planned: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The execution output: sessions in the span, newly stored, skipped (stored before), failed by date.

    `results` holds one entry per batch: `{"failed": [...]}` (sessions Reduce Batch refused) and `"days"`,
    what Store Day answered for each other session, `{date, status}` or a caught `{date, error, cause}`.
    """
    failed = [f for r in results for f in r.get("failed", [])]
    days = [d for r in results for d in r.get("days", [])]
    failed += [_stored_day_failure(d) for d in days if "error" in d]
    answers = [str(d.get("status")) for d in days if "error" not in d]  # Stored or AlreadyStored
    return {
        "sessions": int(planned["sessions"]),
        "stored": answers.count("Stored"),
        "skipped": int(planned["skipped"]) + len(answers) - answers.count("Stored"),
        "failed": sorted(failed, key=lambda f: str(f["date"])),
    }
