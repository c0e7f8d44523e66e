"""Next-day reconcile: re-read the last few stored sessions from the provider and store its revisions.

Vendors revise daily bars after the close. The reconcile state machine (statemachines/reconcile.asl.json)
drives three steps of this module:

1. `plan`: re-reads the newest `k` stored sessions up to `through` with ONE range call per ticker (the span
   of those sessions), compares each fetched bar with the stored per-ticker item, and for each day where any
   open, high, low, close or volume differs reduces the provider's bars of that day with the daily run's own
   code (`usecases.pick.reduce_day`: the all-or-nothing validation and the winner rule) and checks the rows
   and the board as Store Day will (`stored_board`). A day that validates is listed as revised with its
   winner, rows and audit facts; a day that does not is REJECTED with the domain error's name (nothing of it
   is written: the stored day stays as it was). An unrevised day produces nothing. `park_revised` then
   leaves each revised day (winner, rows, changes) in its work object (`reconcile_day_work_key`), so the
   machine's state carries keys and the small audit facts, never the rows (a 500-ticker day is ~100 KB;
   a state may hold 256 KB).
2. the machine stores each revised day with the daily run's store_day function, which reads the day from
   its key as the daily run's Store Day does (`force`; the data bucket is versioned, so the superseded
   Parquet and raw bodies stay readable as older versions), then `record` writes the audit record "revised
   from -> to" (every changed field, read back from the work object by `parked_day`, the winner before and
   after, the reason) and, when the winner changed, publishes an alert.
3. `summarize`: the report; the machine fails with RevisionRejected naming every day refused or not stored.

A split is not a revision either: a stored bar is compared in the fetched bar's basis, i.e. scaled by the
splits it lacks (domain.splits.factor over the stored split events, which the plan first fetches and stores
through the optional `splits` port), within the rounding of the provider's adjusted numbers; stored history
stays as fetched and is marked by those split events (docs/data.md).

A ticker the provider no longer has a bar of is not a revision: when nothing else changed the day is left
alone, otherwise the day's reduce fails with MissingTickers and is rejected.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Protocol

from stock_movers.adapters.storage import reconcile_day_work_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import DataIntegrityError, InvalidInput, MoversError, StoreRejected
from stock_movers.domain.splits import ADJUSTED, UNADJUSTED, Split, adjusted_through, factor
from stock_movers.usecases.pick import WorkObjects, reduce_day, stored_board

FIELDS = ("open", "high", "low", "close", "volume")
DEFAULT_SESSIONS = 3
SPLIT_LOOKBACK_DAYS = 30  # split events are fetched from this many days before the oldest re-read session
MAX_SESSIONS = 10


class RevisionRejected(MoversError):
    """The provider revised a stored day to data that does not validate; that day was left as stored."""

    def __init__(self, rejected: Sequence[Mapping[str, str]]) -> None:
        self.rejected = list(rejected)
        text = "; ".join(f"{r['date']}: {r['error']}: {r['cause']}" for r in self.rejected)
        super().__init__(f"revised data refused, stored days left unchanged: {text}"[:1000])


class PlanPorts(Protocol):
    """What the plan reads (the Lambda wires the table and the provider; tests fake them)."""

    def stored_sessions(self, through: dt.date, k: int) -> list[dt.date]:
        """The newest `k` sessions with a stored winner on or before `through`."""
        ...

    def stored_rows(self, ticker: str, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, str]]:
        """The stored per-ticker rows of `ticker` in [first, last] (reduce_day row shape), by date."""
        ...

    def stored_winner(self, day: dt.date) -> dict[str, str] | None:
        """The stored winner of `day` (ticker, percentChange), or None."""
        ...

    def fetch(self, ticker: str, first: dt.date, last: dt.date) -> list[DailyBar]:
        """The provider's current bars of `ticker` in [first, last]: one range call.

        Optional, read with getattr: `fetched` ({ticker: {"basis", "fetchedAt"}} of those calls, recorded
        on a revised day's rows) and `splits(start, end)` (fetch and store the watchlist's split events of
        the span; return every stored one of the watchlist and the provider calls spent: 0 or 1)."""
        ...


class RecordPorts(Protocol):
    """Where a stored revision is told: the audit record and the alert."""

    def audit(self, day: dt.date, record: dict[str, Any]) -> None: ...

    def alert(self, subject: str, message: str) -> None: ...


@dataclass
class ReconcilePlan:
    """The plan step's answer: `revised` days carry what store_day and the record step need."""

    sessions: list[str] = field(default_factory=list)
    calls: int = 0
    unchanged: list[str] = field(default_factory=list)
    revised: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sessions": self.sessions,
            "providerCalls": self.calls,
            "unchanged": self.unchanged,
            "revised": self.revised,
            "rejected": self.rejected,
        }


def _changes(
    stored: Mapping[str, Any], fetched: DailyBar, ratio: Fraction = Fraction(1)
) -> list[dict[str, str]]:
    """Each field whose fetched value differs from the stored one (compared as exact decimals). With a
    split `ratio` the stored bar lacks, the stored prices x ratio (volume / ratio) are compared within half
    a unit of the fetched value's last place (volume: half a share times the split), the provider's own
    rounding of its adjusted numbers."""
    out = []
    for name in FIELDS:
        before, after = Decimal(str(stored[name])), getattr(fetched, name)
        if ratio == 1:
            same = before == after
        else:
            scaled = Fraction(before) / ratio if name == "volume" else Fraction(before) * ratio
            exponent = after.as_tuple().exponent
            unit = Fraction(1, 2) * (Fraction(10) ** exponent if isinstance(exponent, int) else 1)
            if name == "volume":
                unit = max(unit, Fraction(1, 2) / ratio)
            same = abs(scaled - Fraction(after)) <= unit
        if not same:
            out.append({"ticker": fetched.ticker, "field": name, "from": str(before), "to": str(after)})
    return out


def _lacking(
    splits: Sequence[Split],
    ticker: str,
    day: dt.date,
    row: Mapping[str, Any],
    fetched_basis: str,
    today: dt.date,
) -> Fraction:
    """The split ratio a stored row lacks against the fetched bar's basis (an adjusted fetch carries every
    split through `today`, an unadjusted one none after `day`); 1 when the row's basis is unknown."""
    through = adjusted_through(row.get("basis"), day, row.get("fetchedAt"))
    if through is None:
        return Fraction(1)
    upto = day if fetched_basis == UNADJUSTED else today
    return factor([s for s in splits if s.ticker == ticker], day, through, upto)


def _basis_of(ports: PlanPorts, ticker: str) -> str:
    entry = (getattr(ports, "fetched", None) or {}).get(ticker) or {}
    return str(entry.get("basis") or ADJUSTED)


def _describe(changes: Sequence[Mapping[str, str]]) -> list[str]:
    return [f"{c['ticker']} {c['field']} {c['from']} -> {c['to']}" for c in changes]


def plan(
    ports: PlanPorts,
    *,
    through: dt.date,
    k: int,
    tickers: Sequence[str],
    provider: str,
    board_size: int,
    today: dt.date | None = None,
) -> ReconcilePlan:
    """Compare the newest `k` stored sessions up to `through` with the provider's bars (module docstring)."""
    report = ReconcilePlan()
    sessions = sorted(ports.stored_sessions(through, k))
    report.sessions = [s.isoformat() for s in sessions]
    if not sessions or not tickers:
        return report
    first, last = sessions[0], sessions[-1]
    today = today or through
    fetch_splits = getattr(ports, "splits", None)
    splits: list[Split] = []
    if fetch_splits is not None:
        stored_splits, split_calls = fetch_splits(first - dt.timedelta(days=SPLIT_LOOKBACK_DAYS), today)
        splits, report.calls = list(stored_splits), report.calls + split_calls
    wanted = set(sessions)
    fetched: dict[dt.date, dict[str, DailyBar]] = {s: {} for s in sessions}
    stored: dict[dt.date, dict[str, dict[str, str]]] = {s: {} for s in sessions}
    for ticker in tickers:
        report.calls += 1
        for bar in ports.fetch(ticker, first, last):
            if bar.ticker == ticker and bar.date in wanted:
                fetched[bar.date][ticker] = bar
        for day, row in ports.stored_rows(ticker, first, last).items():
            if day in wanted:
                stored[day][ticker] = row
    for day in sessions:
        changes = [
            change
            for ticker in tickers
            if ticker in fetched[day] and ticker in stored[day]
            for change in _changes(
                stored[day][ticker],
                fetched[day][ticker],
                _lacking(splits, ticker, day, stored[day][ticker], _basis_of(ports, ticker), today),
            )
        ]
        if not changes:
            report.unchanged.append(day.isoformat())
            continue
        try:
            reduced = reduce_day(
                day, tickers, fetched[day].values(), provider, getattr(ports, "fetched", None)
            )
            stored_board(day, reduced["rows"], reduced["winner"], board_size)
        except (DataIntegrityError, StoreRejected) as exc:
            report.rejected.append(
                {"date": day.isoformat(), "error": type(exc).__name__, "cause": str(exc)[:300]}
            )
            continue
        before = ports.stored_winner(day) or {}
        winner = reduced["winner"]
        report.revised.append(
            {
                "date": day.isoformat(),
                "winner": winner,
                "rows": reduced["rows"],
                "changes": _describe(changes),
                "winnerFrom": f"{before.get('ticker', '-')} {before.get('percentChange', '-')}",
                "winnerTo": f"{winner['ticker']} {winner['percentChange']}",
                "winnerChanged": before.get("ticker") != winner["ticker"],
            }
        )
    return report


# What a revised day's state entry carries besides its key: the audit facts that stay small at any list size.
STATE_FACTS = ("date", "winnerFrom", "winnerTo", "winnerChanged")


def park_revised(objects: WorkObjects, planned: ReconcilePlan, execution: str) -> dict[str, Any]:
    """The plan's answer for the machine's state: each revised day's winner, rows and changes go to its work
    object (`reconcile_day_work_key`; the body Store Day reads by `dayKey`, as the daily run's), and its
    entry in `revised` is `{date, dayKey, winnerFrom, winnerTo, winnerChanged}`: a few hundred bytes
    whatever the number of tickers (a provider-wide revision lists a change per ticker and field)."""
    out = planned.to_dict()
    entries = []
    for day in planned.revised:
        key = reconcile_day_work_key(execution, dt.date.fromisoformat(day["date"]))
        body = {"winner": day["winner"], "rows": day["rows"], "changes": day["changes"]}
        objects.put_bytes(key, json.dumps(body, sort_keys=True).encode(), "application/json")
        entries.append({name: day[name] for name in STATE_FACTS} | {"dayKey": key})
    out["revised"] = entries
    return out


def parked_day(objects: WorkObjects, execution: str, day: Mapping[str, Any]) -> dict[str, Any]:
    """A revised day's state entry with the changes `park_revised` left in its work object, for `record`.
    The key must be the one this execution parked the day at (InvalidInput names `dayKey` otherwise), so
    the record step reads nothing but its own execution's day."""
    date = day.get("date")
    try:
        expected = reconcile_day_work_key(execution, dt.date.fromisoformat(str(date)))
    except ValueError:
        raise InvalidInput("date", f"must be a YYYY-MM-DD date, got {str(date)[:20]!r}") from None
    if day.get("dayKey") != expected:
        raise InvalidInput("dayKey", f"must be {expected}, got {str(day.get('dayKey'))[:120]!r}")
    try:
        changes = json.loads(objects.get(expected))["changes"]
    except (ValueError, TypeError, KeyError):
        raise InvalidInput("dayKey", f"the day object {expected} is not a parked revised day") from None
    return dict(day) | {"changes": [str(c) for c in changes]}


def record(
    ports: RecordPorts, day: Mapping[str, Any], *, status: str, reason: str, now: Callable[[], str]
) -> dict[str, Any]:
    """After store_day stored a revised day (`day`: a plan's revised entry): its audit record, and an alert
    when its winner changed. Returns the day's line of the report."""
    date = str(day["date"])
    changes = [str(c) for c in day["changes"]]
    was, now_is, changed = str(day["winnerFrom"]), str(day["winnerTo"]), bool(day["winnerChanged"])
    ports.audit(
        dt.date.fromisoformat(date),
        {
            "kind": "Revision",
            "date": date,
            "reason": reason,
            "changes": changes,
            "winnerFrom": was,
            "winnerTo": now_is,
            "winnerChanged": changed,
            "status": status,
            "at": now(),
        },
    )
    if changed:
        ports.alert(
            f"Winner of {date} revised: {was.split(' ')[0]} -> {now_is.split(' ')[0]}"[:100],
            f"The provider revised {date} after the close ({reason}).\n"
            f"Winner: {was} -> {now_is}\nChanges:\n" + "\n".join(changes),
        )
    return {"date": date, "winnerFrom": was, "winnerTo": now_is, "changes": len(changes), "status": status}


def summarize(planned: Mapping[str, Any], results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The execution's report: the plan's sessions, calls and unchanged days, each recorded revision, and
    every day refused by validation or not stored/recorded (`rejected`, with `cause` naming them all)."""
    revised = [dict(r) for r in results if "error" not in r]
    rejected = [dict(r) for r in planned.get("rejected", [])] + [
        {"date": str(r["date"]), "error": str(r["error"]), "cause": str(r.get("cause", ""))[:300]}
        for r in results
        if "error" in r
    ]
    out = {
        "sessions": list(planned.get("sessions", [])),
        "providerCalls": int(planned.get("providerCalls", 0)),
        "unchanged": list(planned.get("unchanged", [])),
        "revised": revised,
        "rejected": rejected,
    }
    if rejected:
        out["cause"] = str(RevisionRejected(rejected))
    return out
