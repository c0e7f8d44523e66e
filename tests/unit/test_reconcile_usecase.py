"""usecases.reconcile with fakes: unrevised days plan nothing, a revision is planned with the daily run's
winner and rows, parked in its work object (the state carries its key and the small audit facts), recorded
(audit) and alerted on when the winner changes, an invalid revision is refused by name, and the summary names
every day refused or not stored."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from stock_movers.adapters.storage import reconcile_day_work_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import InvalidInput
from stock_movers.usecases.pick import reduce_day
from stock_movers.usecases.reconcile import (
    RevisionRejected,
    park_revised,
    parked_day,
    plan,
    record,
    summarize,
)

D1, D2, D3 = dt.date(2021, 3, 1), dt.date(2021, 3, 2), dt.date(2021, 3, 3)
TICKERS = ("AAA", "BBB", "CCC")
RUN = "reconcile-test-1"


def bar(ticker: str, day: dt.date, open_: str, close: str) -> DailyBar:
    o, c = Decimal(open_), Decimal(close)
    return DailyBar(ticker, day, o, max(o, c) + 1, min(o, c) - 1, c, Decimal(1000))


BASE = {
    (t, d): bar(t, d, "100", close)
    for d in (D1, D2, D3)
    for t, close in zip(TICKERS, ("101", "103", "98"), strict=True)  # BBB wins each day
}


class FakePorts:
    def __init__(self, provider_bars: dict[tuple[str, dt.date], DailyBar]) -> None:
        self.provider = dict(provider_bars)
        self.days: dict[dt.date, dict[str, Any]] = {}
        for day in (D1, D2, D3):
            self.days[day] = reduce_day(day, TICKERS, [BASE[(t, day)] for t in TICKERS], "massive")
        self.calls: list[tuple[str, dt.date, dt.date]] = []
        self.stores: list[tuple[dt.date, dict[str, Any], list[dict[str, Any]]]] = []
        self.audits: list[tuple[dt.date, dict[str, Any]]] = []
        self.alerts: list[tuple[str, str]] = []
        self.objects: dict[str, bytes] = {}  # the data bucket's work objects

    def get(self, key: str) -> bytes:
        return self.objects[key]

    def get_if_exists(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body

    def stored_sessions(self, through: dt.date, k: int) -> list[dt.date]:
        return sorted((d for d in self.days if d <= through), reverse=True)[:k]

    def stored_rows(self, ticker: str, first: dt.date, last: dt.date) -> dict[dt.date, dict[str, str]]:
        return {
            d: next(r for r in v["rows"] if r["ticker"] == ticker)
            for d, v in self.days.items()
            if first <= d <= last
        }

    def stored_winner(self, day: dt.date) -> dict[str, str] | None:
        return self.days[day]["winner"]

    def fetch(self, ticker: str, first: dt.date, last: dt.date) -> list[DailyBar]:
        self.calls.append((ticker, first, last))
        return [b for (t, d), b in sorted(self.provider.items()) if t == ticker and first <= d <= last]

    def store(self, day: dict[str, Any]) -> str:
        """What the machine's Store Day does with a planned day's state entry (store_day, force): it reads
        the winner and rows from the entry's dayKey, as the daily run's Store Day does."""
        date = dt.date.fromisoformat(day["date"])
        parked = json.loads(self.objects[day["dayKey"]])
        self.stores.append((date, parked["winner"], parked["rows"]))
        self.days[date] = {"winner": parked["winner"], "rows": parked["rows"]}
        return "Stored"

    def audit(self, day: dt.date, record: dict[str, Any]) -> None:
        self.audits.append((day, record))

    def alert(self, subject: str, message: str) -> None:
        self.alerts.append((subject, message))


def run(ports: FakePorts, through: dt.date = D3, k: int = 3) -> Any:
    """The machine's path: plan (its answer parked, as the state carries it, through JSON), then per revised
    day Store Day and Record, then the summary."""
    planned = plan(ports, through=through, k=k, tickers=TICKERS, provider="massive", board_size=2)
    state = json.loads(json.dumps(park_revised(ports, planned, RUN)))
    results = [
        record(
            ports,
            parked_day(ports, RUN, day),
            status=ports.store(day),
            reason="test revision",
            now=lambda: "2021-03-04T00:00:00Z",
        )
        for day in state["revised"]
    ]
    return summarize(state, results)


def test_unrevised_sessions_cost_one_call_per_ticker_and_write_nothing() -> None:
    # Given the provider serves exactly what is stored
    ports = FakePorts(BASE)
    # When reconcile runs over the last three sessions
    report = run(ports)
    # Then one range call per ticker covered all three days, and nothing was written
    assert ports.calls == [(t, D1, D3) for t in TICKERS]
    assert report["unchanged"] == ["2021-03-01", "2021-03-02", "2021-03-03"]
    assert (ports.stores, ports.audits, ports.alerts, report["revised"]) == ([], [], [], [])


def test_a_revision_that_keeps_the_winner_is_stored_and_audited_without_an_alert() -> None:
    # Given the provider revised AAA's close on D2 (BBB still wins)
    revised = dict(BASE)
    revised[("AAA", D2)] = bar("AAA", D2, "100", "102")
    ports = FakePorts(revised)
    # When
    report = run(ports)
    # Then D2 alone is stored again with the revised rows, audited "from -> to", and no alert is sent
    assert [s[0] for s in ports.stores] == [D2]
    row = next(r for r in ports.stores[0][2] if r["ticker"] == "AAA")
    assert (row["close"], row["percentChange"]) == ("102", "2.000000")
    ((day, record),) = ports.audits
    assert day == D2 and record["changes"] == ["AAA high 102 -> 103", "AAA close 101 -> 102"]
    assert record["winnerFrom"] == record["winnerTo"] == "BBB 3.000000" and record["winnerChanged"] is False
    assert record["reason"] == "test revision"
    assert ports.alerts == []
    assert report["unchanged"] == ["2021-03-01", "2021-03-03"]


def test_a_revision_that_changes_the_winner_stores_the_new_winner_and_alerts() -> None:
    # Given CCC's D3 close is revised up past BBB's gain
    revised = dict(BASE)
    revised[("CCC", D3)] = bar("CCC", D3, "100", "105")
    ports = FakePorts(revised)
    # When
    report = run(ports)
    # Then the stored winner is the rows' own winner (the daily run's rule), audited and alerted
    day, winner, _rows = ports.stores[0]
    assert (day, winner["ticker"], winner["percentChange"]) == (D3, "CCC", "5.000000")
    assert (
        ports.audits[0][1]["winnerFrom"] == "BBB 3.000000"
        and ports.audits[0][1]["winnerTo"] == "CCC 5.000000"
    )
    ((subject, message),) = ports.alerts
    assert subject == "Winner of 2021-03-03 revised: BBB -> CCC"
    assert "CCC close 98 -> 105" in message and "test revision" in message
    assert report["revised"] == [
        {
            "date": "2021-03-03",
            "winnerFrom": "BBB 3.000000",
            "winnerTo": "CCC 5.000000",
            "changes": 3,
            "status": "Stored",
        }
    ]


@pytest.mark.parametrize(
    ("broken", "error"),
    [
        (DailyBar("AAA", D2, Decimal(100), Decimal(99), Decimal(98), Decimal(101), Decimal(5)), "InvalidBar"),
        (DailyBar("AAA", D2, Decimal(0), Decimal(101), Decimal(0), Decimal(101), Decimal(5)), "InvalidBar"),
    ],
)
def test_an_invalid_revision_is_refused_by_name_and_writes_nothing(broken: DailyBar, error: str) -> None:
    # Given the provider's revised AAA bar on D2 breaks the bar rules, and CCC is revised validly on D3
    revised = dict(BASE)
    revised[("AAA", D2)] = broken
    revised[("CCC", D3)] = bar("CCC", D3, "100", "99")
    ports = FakePorts(revised)
    # When
    report = run(ports)
    # Then D2 is refused with the domain error's name and nothing of it is written; D3 is still reconciled
    assert [r["date"] for r in report["rejected"]] == ["2021-03-02"]
    assert report["rejected"][0]["error"] == error
    assert [s[0] for s in ports.stores] == [D3] and [a[0] for a in ports.audits] == [D3]
    assert report["cause"].startswith("revised data refused, stored days left unchanged: 2021-03-02: Invalid")


def test_a_ticker_the_provider_no_longer_serves_is_not_a_revision() -> None:
    # Given the provider has no AAA bar on D1 and nothing else differs
    ports = FakePorts({k: v for k, v in BASE.items() if k != ("AAA", D1)})
    # When / Then the day is left alone
    assert run(ports)["unchanged"] == ["2021-03-01", "2021-03-02", "2021-03-03"]
    assert ports.stores == []


def test_only_the_newest_k_stored_sessions_up_to_through_are_read() -> None:
    ports = FakePorts(BASE)
    report = run(ports, through=D2, k=1)
    assert report["sessions"] == ["2021-03-02"] and ports.calls == [(t, D2, D2) for t in TICKERS]


def test_an_unrevised_plan_lists_no_day_and_its_summary_names_no_cause() -> None:
    # Given the provider serves exactly what is stored
    planned = plan(FakePorts(BASE), through=D3, k=3, tickers=TICKERS, provider="massive", board_size=2)
    # Then there is nothing for the machine to store, and the summary succeeds
    assert planned.revised == [] and "cause" not in summarize(planned.to_dict(), [])


def test_a_planned_day_carries_what_store_day_and_the_record_need() -> None:
    # Given CCC's D3 close is revised up past BBB's gain
    revised = dict(BASE)
    revised[("CCC", D3)] = bar("CCC", D3, "100", "105")
    # When the plan runs
    (day,) = plan(
        FakePorts(revised), through=D3, k=3, tickers=TICKERS, provider="massive", board_size=2
    ).revised
    # Then it is the daily run's reduce of the provider's bars, with the audit facts
    expected = reduce_day(D3, TICKERS, [revised[(t, D3)] for t in TICKERS], "massive")
    assert (day["winner"], day["rows"]) == (expected["winner"], expected["rows"])
    assert (day["winnerFrom"], day["winnerTo"], day["winnerChanged"]) == (
        "BBB 3.000000",
        "CCC 5.000000",
        True,
    )


def test_a_day_not_stored_fails_the_summary_by_name_beside_refused_ones() -> None:
    # Given a plan that refused D2, and D3 whose Store Day failed after its retries
    planned = {
        "sessions": ["2021-03-02", "2021-03-03"], "providerCalls": 3, "unchanged": [],
        "rejected": [{"date": "2021-03-02", "error": "InvalidBar", "cause": "high below low"}],
    }  # fmt: skip
    results = [{"date": "2021-03-03", "error": "StorageUnavailable", "cause": "S3 down"}]
    # When summarized
    out = summarize(planned, results)
    # Then both days are rejected, named, and no day counts as revised
    assert out["revised"] == [] and [r["date"] for r in out["rejected"]] == ["2021-03-02", "2021-03-03"]
    assert out["cause"] == str(RevisionRejected(out["rejected"]))
    assert "2021-03-03: StorageUnavailable: S3 down" in out["cause"]


def test_a_revised_day_waits_in_its_work_object_and_the_state_carries_its_key() -> None:
    # Given CCC's D3 close is revised up past BBB's gain
    revised = dict(BASE)
    revised[("CCC", D3)] = bar("CCC", D3, "100", "105")
    ports = FakePorts(revised)
    planned = plan(ports, through=D3, k=3, tickers=TICKERS, provider="massive", board_size=2)
    # When the plan's answer is parked
    state = park_revised(ports, planned, RUN)
    # Then the state's day is its key and the audit facts, no winner, rows or changes
    key = reconcile_day_work_key(RUN, D3)
    assert state["revised"] == [
        {"date": "2021-03-03", "dayKey": key, "winnerFrom": "BBB 3.000000", "winnerTo": "CCC 5.000000",
         "winnerChanged": True}
    ]  # fmt: skip
    # And the work object holds exactly what the plan validated, and the audit's changes
    (day,) = planned.revised
    assert json.loads(ports.objects[key]) == {
        "winner": day["winner"], "rows": day["rows"], "changes": day["changes"]
    }  # fmt: skip
    assert parked_day(ports, RUN, state["revised"][0])["changes"] == day["changes"]
    # And the rest of the plan's answer is unchanged
    assert {k: v for k, v in state.items() if k != "revised"} == {
        k: v for k, v in planned.to_dict().items() if k != "revised"
    }


@pytest.mark.parametrize(
    ("day", "field"),
    [
        ({"date": "2021-03-03", "dayKey": "work/reconcile/days/other-run/2021-03-03.json"}, "dayKey"),
        ({"date": "2021-03-03", "dayKey": "work/ingest/reconcile-test-1/day.json"}, "dayKey"),
        ({"date": "2021-03-03"}, "dayKey"),
        ({"date": "2021-02-30", "dayKey": "x"}, "date"),
        ({"dayKey": "x"}, "date"),
    ],
)
def test_the_record_step_reads_only_its_own_executions_parked_day(day: dict[str, str], field: str) -> None:
    # Given a parked D3 of another execution (same date)
    ports = FakePorts(BASE)
    ports.objects["work/reconcile/days/other-run/2021-03-03.json"] = b'{"changes": ["X close 1 -> 2"]}'
    # When / Then a key that is not this execution's day is refused by name, before any read
    with pytest.raises(InvalidInput) as raised:
        parked_day(ports, RUN, day)
    assert raised.value.field == field


def test_a_work_object_that_is_not_a_parked_day_is_refused_by_name() -> None:
    ports = FakePorts(BASE)
    key = reconcile_day_work_key(RUN, D3)
    ports.objects[key] = b"not json"
    with pytest.raises(InvalidInput, match="not a parked revised day"):
        parked_day(ports, RUN, {"date": "2021-03-03", "dayKey": key})


def test_a_provider_wide_revision_of_500_tickers_keeps_the_state_small() -> None:
    # Given 500 stored tickers over three sessions, and the provider revised every close of every day
    tickers = tuple(f"T{i:03d}" for i in range(500))
    days = (D1, D2, D3)
    close = {t: 90 + i % 20 for i, t in enumerate(tickers)}
    ports = FakePorts({(t, d): bar(t, d, "100", str(close[t] + 1)) for t in tickers for d in days})
    ports.days = {
        d: reduce_day(d, tickers, [bar(t, d, "100", str(close[t])) for t in tickers], "massive") for d in days
    }
    # When planned and parked
    planned = plan(ports, through=D3, k=3, tickers=tickers, provider="massive", board_size=10)
    state = park_revised(ports, planned, RUN)
    # Then all three days are revised, each with 500 rows in its object, and the state stays a few hundred
    # bytes a day (the inline rows were ~100 KB a day, against Step Functions' 256 KB)
    assert [d["date"] for d in state["revised"]] == ["2021-03-01", "2021-03-02", "2021-03-03"]
    for day in state["revised"]:
        parked = json.loads(ports.objects[day["dayKey"]])
        assert len(parked["rows"]) == 500 and len(parked["changes"]) >= 500
        assert len(json.dumps(day)) < 300
    assert len(json.dumps(state)) < 1500
    assert sum(len(json.dumps(d)) for d in planned.revised) > 256 * 1024  # what the state used to carry
