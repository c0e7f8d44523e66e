"""Analysis catch-up: the recent stored days that still need an analysis or a MoverStored announcement.

Only the daily run announces MoverStored, and an announcement can fail after the day is stored; backfilled,
healed and replayed days are never announced. The catch-up (scheduled after the daily run, and by hand)
looks at the last N sessions: a winner still marked ``AnnouncePending`` is announced again (its analysis
follows from the event), and a stored day whose ``ANALYSIS`` item is missing or describes another winner
gets an analysis execution. The analysis machine claims each (day, winner) itself, so whatever starts it
twice, a day is analysed once per stored winner.

:func:`plan_catch_up` decides (pure); :class:`CatchUpStore` reads the table; :func:`run_catch_up` acts.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from stock_movers.adapters.storage import ItemStore
from stock_movers.adapters.workflows import Workflows
from stock_movers.domain.calendar import last_n_sessions
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date
from stock_movers.execution_names import catchup_execution_name

# An analysis takes seconds; a claim this old without its ANALYSIS item belongs to an execution that died
# without releasing it (timed out, aborted), so the catch-up takes it over with force.
STALE_CLAIM = dt.timedelta(hours=1)
DEFAULT_SESSIONS = 10
MAX_SESSIONS = 60
CATCHUP_FIELDS = frozenset({"date", "sessions", "source"})


@dataclass(frozen=True)
class StoredDay:
    """A stored winner as the catch-up needs it."""

    date: dt.date
    ticker: str
    percent_change: str  # the DynamoDB number text, as the analysis claim records it
    execution_arn: str = ""
    pending: bool = False

    @property
    def identity(self) -> tuple[str, Decimal]:
        return winner_identity(self.ticker, self.percent_change)


@dataclass(frozen=True)
class Claim:
    """The analysis machine's claim on a day: which winner, since when."""

    winner: tuple[str, Decimal]
    claimed_at: dt.datetime


@dataclass
class CatchUpPlan:
    """What the catch-up does per day: announce, analyse (with or without force), or leave alone."""

    announce: list[StoredDay] = field(default_factory=list)
    analyse: list[tuple[dt.date, bool]] = field(default_factory=list)
    analysed: list[dt.date] = field(default_factory=list)
    in_progress: list[dt.date] = field(default_factory=list)


def winner_identity(ticker: str, percent_change: str) -> tuple[str, Decimal]:
    """(ticker, percent change) compared as numbers, so "1.50" and "1.5" are the same winner."""
    try:
        return ticker, Decimal(percent_change)
    except InvalidOperation:
        return ticker, Decimal("NaN")


def parse_claim_winner(text: str) -> tuple[str, Decimal]:
    """The claim's ``Winner`` text ("<ticker> <percent change>") as an identity."""
    ticker, _, pct = text.partition(" ")
    return winner_identity(ticker, pct)


def parse_catch_up_input(raw: object, *, today: dt.date) -> tuple[dt.date, int]:
    """``{"source"?, "date"?: "YYYY-MM-DD", "sessions"?: 1..60}`` -> (last day looked at, sessions).

    The schedule sends ``{"source": "schedule"}``: today in America/New_York and the configured window.
    """
    if not isinstance(raw, dict):
        raise InvalidInput("input", f"must be a JSON object, got {type(raw).__name__}")
    unknown = sorted(str(k) for k in raw if k not in CATCHUP_FIELDS)
    if unknown:
        raise InvalidInput(
            unknown[0], f"unknown field; allowed fields are {', '.join(sorted(CATCHUP_FIELDS))}"
        )
    day = parse_date(raw["date"], "date") if "date" in raw else today
    if day > today:
        raise InvalidInput("date", f"{day.isoformat()} is in the future (today in America/New_York: {today})")
    sessions = raw.get("sessions", DEFAULT_SESSIONS)
    if isinstance(sessions, bool) or not isinstance(sessions, int) or not 1 <= sessions <= MAX_SESSIONS:
        raise InvalidInput("sessions", f"must be an integer from 1 to {MAX_SESSIONS}, got {sessions!r}")
    return day, sessions


def plan_catch_up(
    days: Sequence[StoredDay],
    analysed: Mapping[dt.date, tuple[str, Decimal]],
    claims: Mapping[dt.date, Claim],
    *,
    now: dt.datetime,
) -> CatchUpPlan:
    """Decide per stored day (in date order).

    - winner marked AnnouncePending: announce it (its analysis follows from the event and the claim);
    - ANALYSIS item of the same winner: nothing to do;
    - a claim on the same winner younger than STALE_CLAIM: an analysis is running, leave it;
    - a claim on the same winner older than that (its execution died): analyse with force;
    - otherwise (no analysis, or one of another winner after a forced rewrite): analyse.
    """
    plan = CatchUpPlan()
    for day in sorted(days, key=lambda d: d.date):
        claim = claims.get(day.date)
        if day.pending:
            plan.announce.append(day)
        elif analysed.get(day.date) == day.identity:
            plan.analysed.append(day.date)
        elif claim is not None and claim.winner == day.identity:
            if now - claim.claimed_at < STALE_CLAIM:
                plan.in_progress.append(day.date)
            else:
                plan.analyse.append((day.date, True))
        else:
            plan.analyse.append((day.date, False))
    return plan


def _parse_time(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class CatchUpStore:
    """The catch-up's reads of the main table (winners, analyses, claims over a date span, consistent) and the
    pending-mark removal, over its adapter (ItemStore)."""

    def __init__(self, table: str, ddb: Any = None) -> None:
        self.items = ItemStore(table, ddb)

    def stored_days(self, first: dt.date, last: dt.date) -> list[StoredDay]:
        items = self.items.winners_between(
            first,
            last,
            attributes="sk, Ticker, PercentChange, ExecutionArn, AnnouncePending",
            consistent=True,
        )
        return [
            StoredDay(
                date=dt.date.fromisoformat(i["sk"]["S"]),
                ticker=i["Ticker"]["S"],
                percent_change=i["PercentChange"]["N"],
                execution_arn=i.get("ExecutionArn", {}).get("S", ""),
                pending=i.get("AnnouncePending", {}).get("BOOL") is True,
            )
            for i in items
        ]

    def analysed(self, first: dt.date, last: dt.date) -> dict[dt.date, tuple[str, Decimal]]:
        out: dict[dt.date, tuple[str, Decimal]] = {}
        for i in self.items.analyses_between(first, last, attributes="sk, Winner", consistent=True):
            winner = i.get("Winner", {}).get("M")
            if winner and "Ticker" in winner and "PercentChange" in winner:
                out[dt.date.fromisoformat(i["sk"]["S"])] = winner_identity(
                    winner["Ticker"]["S"], winner["PercentChange"]["N"]
                )
        return out

    def claims(self, first: dt.date, last: dt.date) -> dict[dt.date, Claim]:
        out: dict[dt.date, Claim] = {}
        for i in self.items.claims_between(first, last, attributes="sk, Winner, ClaimedAt", consistent=True):
            try:
                claimed_at = _parse_time(i["ClaimedAt"]["S"])
            except (KeyError, ValueError):
                claimed_at = dt.datetime.min.replace(tzinfo=dt.UTC)  # unreadable: treat as stale
            out[dt.date.fromisoformat(i["sk"]["S"])] = Claim(parse_claim_winner(i["Winner"]["S"]), claimed_at)
        return out

    def clear_pending(self, day: StoredDay) -> bool:
        """Removes the pending mark of exactly that stored winner; False when the item changed since."""
        return self.items.clear_announce_pending(day.date, day.execution_arn)


def mover_stored_entry(day: StoredDay, *, bus: str, source: str) -> dict[str, Any]:
    """The same MoverStored event the ingest machine's Announce state publishes."""
    detail = {"date": day.date.isoformat(), "ticker": day.ticker, "percentChange": day.percent_change}
    return {"EventBusName": bus, "Source": source, "DetailType": "MoverStored", "Detail": json.dumps(detail)}


@dataclass(frozen=True)
class CatchUpTargets:
    """Where the catch-up acts: the analysis machine and the event bus/source of MoverStored."""

    machine_arn: str
    bus: str
    source: str


def run_catch_up(
    store: CatchUpStore,
    events: Any,
    workflows: Workflows,
    targets: CatchUpTargets,
    *,
    run_day: dt.date,
    sessions: int,
    now: dt.datetime,
) -> dict[str, Any]:
    """Plans over the last ``sessions`` sessions up to ``run_day`` and acts; returns what it did per day."""
    span = last_n_sessions(run_day, sessions)
    first, last = span[0], span[-1]
    plan = plan_catch_up(
        store.stored_days(first, last), store.analysed(first, last), store.claims(first, last), now=now
    )
    announced: list[str] = []
    failed: dict[str, str] = {}
    for start in range(0, len(plan.announce), 10):  # PutEvents takes at most 10 entries
        batch = plan.announce[start : start + 10]
        out = events.put_events(
            Entries=[mover_stored_entry(d, bus=targets.bus, source=targets.source) for d in batch]
        )
        for d, result in zip(batch, out.get("Entries", []), strict=False):
            if result.get("EventId"):
                store.clear_pending(d)
                announced.append(d.date.isoformat())
            else:
                failed[d.date.isoformat()] = str(result.get("ErrorCode") or "FailedEntry")
    started: list[str] = []
    already: list[str] = []
    for day, force in plan.analyse:
        payload = {"date": day.isoformat(), "force": force} if force else {"date": day.isoformat()}
        began = workflows.start(targets.machine_arn, catchup_execution_name(run_day, day), payload)
        (started if began.started else already).append(day.isoformat())
    return {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "announced": announced,
        "announceFailed": failed,
        "started": started,
        "alreadyStarted": already,
        "analysed": [d.isoformat() for d in plan.analysed],
        "inProgress": [d.isoformat() for d in plan.in_progress],
    }
