"""Analysis catch-up: which stored days it announces, analyses or leaves alone; what it does (fakes)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from stock_movers.adapters.workflows import Workflows
from stock_movers.domain.errors import InvalidInput
from stock_movers.execution_names import catchup_execution_name
from stock_movers.usecases.catchup import (
    STALE_CLAIM,
    CatchUpTargets,
    Claim,
    StoredDay,
    parse_catch_up_input,
    parse_claim_winner,
    plan_catch_up,
    run_catch_up,
)

NOW = dt.datetime(2025, 7, 3, 1, 30, tzinfo=dt.UTC)  # 21:30 in New York on 2025-07-02
D1, D2, D3, D4, D5 = (dt.date(2025, 6, d) for d in (24, 25, 26, 27, 30))


def day(d: dt.date, ticker: str = "AAPL", pct: str = "1.5", pending: bool = False) -> StoredDay:
    return StoredDay(d, ticker, pct, execution_arn=f"arn:exec:{d}", pending=pending)


def test_plan_decides_each_day_by_its_analysis_and_claim() -> None:
    # Given five stored days in five situations
    days = [
        day(D1),  # analysed for the same winner ("1.50" is the same number)
        day(D2, "MSFT"),  # analysed, but for another winner (a forced rewrite changed it)
        day(D3),  # claimed a minute ago for this winner: running
        day(D4),  # claimed long ago for this winner, no analysis: the execution died
        day(D5, pending=True),  # its announcement is pending
    ]
    analysed = {D1: ("AAPL", Decimal("1.50")), D2: ("AAPL", Decimal("1.5"))}
    claims = {
        D3: Claim(("AAPL", Decimal("1.5")), NOW - dt.timedelta(minutes=1)),
        D4: Claim(("AAPL", Decimal("1.5")), NOW - STALE_CLAIM - dt.timedelta(seconds=1)),
        D2: Claim(("AAPL", Decimal("1.5")), NOW - dt.timedelta(minutes=1)),  # the old winner's claim
    }
    # When planned
    plan = plan_catch_up(list(reversed(days)), analysed, claims, now=NOW)
    # Then
    assert [d.date for d in plan.announce] == [D5]
    assert plan.analysed == [D1]
    assert plan.in_progress == [D3]
    assert plan.analyse == [(D2, False), (D4, True)]


def test_a_day_never_analysed_nor_claimed_is_analysed_without_force() -> None:
    assert plan_catch_up([day(D1)], {}, {}, now=NOW).analyse == [(D1, False)]


def test_claim_winner_text_round_trips_as_an_identity() -> None:
    assert parse_claim_winner("NVDA -3.25") == ("NVDA", Decimal("-3.250"))
    # An unreadable claim never matches a stored winner, so that day is analysed
    claims = {D1: Claim(parse_claim_winner("AAPL"), NOW)}
    assert plan_catch_up([day(D1)], {}, claims, now=NOW).analyse == [(D1, False)]


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ([], "input"),
        ({"when": "x"}, "when"),
        ({"date": "2025-7-01"}, "date"),
        ({"date": "2025-07-03"}, "date"),  # tomorrow in New York
        ({"sessions": 0}, "sessions"),
        ({"sessions": 61}, "sessions"),
        ({"sessions": True}, "sessions"),
        ({"sessions": "5"}, "sessions"),
    ],
)
def test_bad_catch_up_input_is_invalid_input_naming_the_field(raw: Any, field: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        parse_catch_up_input(raw, today=dt.date(2025, 7, 2))
    assert exc.value.field == field


def test_catch_up_input_defaults_to_today_and_ten_sessions() -> None:
    today = dt.date(2025, 7, 2)
    assert parse_catch_up_input({"source": "schedule"}, today=today) == (today, 10)
    assert parse_catch_up_input({"date": "2025-06-30", "sessions": 3}, today=today) == (D5, 3)


# --- run_catch_up with fakes ---------------------------------------------------------------------


class FakeStore:
    def __init__(self, days: list[StoredDay], analysed: dict[Any, Any], claims: dict[Any, Any]) -> None:
        self.days, self._analysed, self._claims = days, analysed, claims
        self.spans: list[tuple[dt.date, dt.date]] = []
        self.cleared: list[dt.date] = []

    def stored_days(self, first: dt.date, last: dt.date) -> list[StoredDay]:
        self.spans.append((first, last))
        return [d for d in self.days if first <= d.date <= last]

    def analysed(self, first: dt.date, last: dt.date) -> dict[Any, Any]:
        return self._analysed

    def claims(self, first: dt.date, last: dt.date) -> dict[Any, Any]:
        return self._claims

    def clear_pending(self, d: StoredDay) -> bool:
        self.cleared.append(d.date)
        return True


class FakeEvents:
    def __init__(self, fail: set[str]) -> None:
        self.fail, self.entries = fail, []  # type: ignore[var-annotated]

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += Entries
        out = []
        for e in Entries:
            date = json.loads(e["Detail"])["date"]
            out.append({"ErrorCode": "InternalFailure"} if date in self.fail else {"EventId": f"id-{date}"})
        return {"Entries": out, "FailedEntryCount": sum(1 for o in out if "ErrorCode" in o)}


class FakeSfn:
    class exceptions:
        class ExecutionAlreadyExists(Exception):
            pass

    def __init__(self) -> None:
        self.started: dict[str, dict[str, Any]] = {}

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        if name in self.started:
            raise self.exceptions.ExecutionAlreadyExists(name)
        self.started[name] = json.loads(input)
        return {"executionArn": f"{stateMachineArn}:{name}"}


def test_run_announces_pending_days_and_starts_one_analysis_per_day_idempotently() -> None:
    # Given a pending day whose announcement goes out, one whose announcement fails, and two unanalysed days
    store = FakeStore(
        [day(D1), day(D2, pending=True), day(D3, pending=True), day(D4)],
        {},
        {D4: Claim(("AAPL", Decimal("1.5")), NOW - 2 * STALE_CLAIM)},
    )
    events, sfn = FakeEvents(fail={D3.isoformat()}), FakeSfn()
    targets = CatchUpTargets(
        "arn:aws:states:us-east-1:123456789012:stateMachine:analysis", "default", "stock-movers.test"
    )
    # When the catch-up runs for 2025-07-02 over 6 sessions
    run_day = dt.date(2025, 7, 2)
    out = run_catch_up(store, events, Workflows(sfn), targets, run_day=run_day, sessions=6, now=NOW)
    # Then it looked at the six sessions ending that day
    assert store.spans == [(D2, run_day)] and out["from"] == D2.isoformat()
    # And re-announced D2 (clearing its mark) but kept D3 pending, with the MoverStored detail
    assert out["announced"] == [D2.isoformat()] and store.cleared == [D2]
    assert out["announceFailed"] == {D3.isoformat(): "InternalFailure"}
    first = events.entries[0]
    assert (first["DetailType"], first["Source"], first["EventBusName"]) == (
        "MoverStored",
        "stock-movers.test",
        "default",
    )
    assert json.loads(first["Detail"]) == {"date": D2.isoformat(), "ticker": "AAPL", "percentChange": "1.5"}
    # And started D4's analysis with force (stale claim); D1 is outside the window
    assert sfn.started == {catchup_execution_name(run_day, D4): {"date": D4.isoformat(), "force": True}}
    assert out["started"] == [D4.isoformat()]
    # When it runs again the same day, Then the same execution name is not started twice
    again = run_catch_up(store, events, Workflows(sfn), targets, run_day=run_day, sessions=6, now=NOW)
    assert again["started"] == [] and again["alreadyStarted"] == [D4.isoformat()]
