"""Next-day reconcile: re-read the last few stored sessions from the provider and store its revisions.

Vendors revise daily bars after the close. `reconcile` re-reads the newest `k` stored sessions up to
`through` with ONE range call per ticker (the span of those sessions), compares each fetched bar with the
stored per-ticker item, and for each day where any open, high, low, close or volume differs:

1. reduces the provider's bars of that day with the daily run's own code (`usecases.pick.reduce_day`: the
   all-or-nothing validation and the winner rule) and checks the rows and the board as Store Day will
   (`stored_board`); a day that does not validate is REJECTED with the domain error's name and nothing of
   it is written (the stored day stays as it was);
2. stores it through the deployed store_day function with `force` (the same Parquet, items, winner and
   top-N board commit as every other path; the data bucket is versioned, so the superseded Parquet and raw
   bodies stay readable as older versions);
3. writes an audit record "revised from -> to" (every changed field of every ticker, the winner before and
   after, the reason) and, when the winner changed, publishes an alert.

A day the provider did not revise writes nothing (no store, no audit, no alert). A ticker the provider no
longer has a bar of is not a revision: when nothing else changed the day is left alone, otherwise the day's
reduce fails with MissingTickers and is rejected. Every rejection is reported, and the caller fails with
RevisionRejected after the other days are done, so an operator sees it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import DataIntegrityError, MoversError, StoreRejected
from stock_movers.usecases.pick import reduce_day, stored_board

FIELDS = ("open", "high", "low", "close", "volume")
DEFAULT_SESSIONS = 3
MAX_SESSIONS = 10


class RevisionRejected(MoversError):
    """The provider revised a stored day to data that does not validate; that day was left as stored."""

    def __init__(self, rejected: Sequence[Mapping[str, str]]) -> None:
        self.rejected = list(rejected)
        text = "; ".join(f"{r['date']}: {r['error']}: {r['cause']}" for r in self.rejected)
        super().__init__(f"revised data refused, stored days left unchanged: {text}"[:1000])


class ReconcilePorts(Protocol):
    """What reconcile reads and writes (the Lambda wires the table, provider, store_day, SNS; tests fake)."""

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
        """The provider's current bars of `ticker` in [first, last]: one range call."""
        ...

    def store(self, day: dt.date, winner: dict[str, Any], rows: list[dict[str, Any]]) -> str:
        """Store the day as Store Day does, with force; returns its status."""
        ...

    def audit(self, day: dt.date, record: dict[str, Any]) -> None: ...

    def alert(self, subject: str, message: str) -> None: ...


@dataclass
class ReconcileReport:
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


def _changes(stored: Mapping[str, Any], fetched: DailyBar) -> list[dict[str, str]]:
    """Each field whose fetched value differs from the stored one (compared as exact decimals)."""
    out = []
    for name in FIELDS:
        before, after = Decimal(str(stored[name])), getattr(fetched, name)
        if before != after:
            out.append({"ticker": fetched.ticker, "field": name, "from": str(before), "to": str(after)})
    return out


def _describe(changes: Sequence[Mapping[str, str]]) -> list[str]:
    return [f"{c['ticker']} {c['field']} {c['from']} -> {c['to']}" for c in changes]


def reconcile(
    ports: ReconcilePorts,
    *,
    through: dt.date,
    k: int,
    tickers: Sequence[str],
    provider: str,
    board_size: int,
    reason: str,
    now: Callable[[], str],
) -> ReconcileReport:
    """Reconcile the newest `k` stored sessions up to `through` (see the module docstring)."""
    report = ReconcileReport()
    sessions = sorted(ports.stored_sessions(through, k))
    report.sessions = [s.isoformat() for s in sessions]
    if not sessions or not tickers:
        return report
    first, last = sessions[0], sessions[-1]
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
            for change in _changes(stored[day][ticker], fetched[day][ticker])
        ]
        if not changes:
            report.unchanged.append(day.isoformat())
            continue
        try:
            reduced = reduce_day(day, tickers, fetched[day].values(), provider)
            stored_board(day, reduced["rows"], reduced["winner"], board_size)
        except (DataIntegrityError, StoreRejected) as exc:
            report.rejected.append(
                {"date": day.isoformat(), "error": type(exc).__name__, "cause": str(exc)[:300]}
            )
            continue
        before = ports.stored_winner(day) or {}
        winner = reduced["winner"]
        status = ports.store(day, winner, reduced["rows"])
        was = f"{before.get('ticker', '-')} {before.get('percentChange', '-')}"
        now_is = f"{winner['ticker']} {winner['percentChange']}"
        changed = before.get("ticker") != winner["ticker"]
        record = {
            "kind": "Revision",
            "date": day.isoformat(),
            "reason": reason,
            "changes": _describe(changes),
            "winnerFrom": was,
            "winnerTo": now_is,
            "winnerChanged": changed,
            "status": status,
            "at": now(),
        }
        ports.audit(day, record)
        if changed:
            ports.alert(
                f"Winner of {day.isoformat()} revised: {before.get('ticker', '-')} -> {winner['ticker']}"[
                    :100
                ],
                f"The provider revised {day.isoformat()} after the close ({reason}).\n"
                f"Winner: {was} -> {now_is}\nChanges:\n" + "\n".join(record["changes"]),
            )
        report.revised.append(
            {"date": day.isoformat(), "winnerFrom": was, "winnerTo": now_is, "changes": len(changes)}
        )
    return report
