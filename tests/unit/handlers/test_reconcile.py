"""reconcile with store_day, as the reconcile machine chains them (in-process AWS, a fake provider): the plan
parks each revised day in its work object and answers only keys and the small audit facts; Store Day reads
the day from that key exactly as the daily run's does; Record Revision reads the changes back. A 500-ticker
provider-wide revision of three days stays a small state (inline rows were ~100 KB a day, and Step Functions
refuses a state over 256 KB)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from types import ModuleType
from typing import Any

import pytest

from stock_movers.adapters.storage import ItemStore, reconcile_day_work_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import NEW_YORK
from stock_movers.domain.errors import InvalidInput
from stock_movers.usecases.fetch import FetchContext
from stock_movers.usecases.pick import reduce_day
from tests.unit.handlers.conftest import BUCKET, TABLE, WatchlistObject
from tests.unit.test_backfill_store import FakeLimiter, FakeProvider, FakeRaw

DAYS = (dt.date(2021, 3, 22), dt.date(2021, 3, 23), dt.date(2021, 3, 24))
RUN = "reconcile-test-1"
ARN = f"arn:aws:states:us-east-1:123456789012:execution:movers-reconcile:{RUN}"
STATE_LIMIT = 256 * 1024
OTHER = "work/backfill/days/x/2021-03-24.json"  # another pipeline's parked day


def bar(ticker: str, day: dt.date, close: str, volume: int = 1000) -> DailyBar:
    c = Decimal(close)
    return DailyBar(ticker, day, Decimal(100), max(c, Decimal(100)) + 1, min(c, Decimal(100)) - 1, c,
                    Decimal(volume))  # fmt: skip


class Chain:
    """The reconcile and store_day functions as the reconcile machine calls them."""

    def __init__(self, reconcile: ModuleType, store_day: ModuleType, context: object) -> None:
        self.reconcile, self.store_day, self.context = reconcile, store_day, context

    def seed(self, tickers: Sequence[str], closes: dict[str, str]) -> None:
        """The days as a daily run stored them (store_day with rows inline, as `movers replay` does)."""
        for day in DAYS:
            reduced = reduce_day(day, tickers, [bar(t, day, closes[t]) for t in tickers], "massive")
            event = {"date": day.isoformat(), "winner": reduced["winner"], "rows": reduced["rows"],
                     "executionArn": "arn:daily", "executionName": f"run-{day}"}  # fmt: skip
            assert self.store_day.handler(event, self.context)["status"] == "Stored"

    def provider(self, monkeypatch: pytest.MonkeyPatch, bars: Sequence[DailyBar]) -> FakeProvider:
        provider = FakeProvider(bars)
        ctx = FetchContext(provider=provider, limiter=FakeLimiter(), raw=FakeRaw(), max_wait_seconds=1)  # type: ignore[arg-type]
        monkeypatch.setattr(self.reconcile, "provider_context", lambda settings: ctx)
        return provider

    def run(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Plan, then per revised day Store Day and Record Revision with the ASL's parameters, then
        Summarize: the plan's answer (as the state holds it) and the report."""
        given = {"through": DAYS[-1].isoformat(), "sessions": 3, "reason": "test"}
        plan = self.reconcile.handler({"step": "plan", "input": given, "executionName": RUN}, self.context)
        plan = json.loads(json.dumps(plan))  # what the state holds
        results = []
        for day in plan["revised"]:
            store = {"date": day["date"], "dayKey": day["dayKey"], "force": True, "executionArn": ARN,
                     "executionName": RUN}  # fmt: skip
            stored = self.store_day.handler(store, self.context)
            facts = {k: day[k] for k in ("date", "dayKey", "winnerFrom", "winnerTo", "winnerChanged")}
            record = {"step": "record", "day": facts, "status": stored["status"], "reason": plan["reason"],
                      "executionName": RUN}  # fmt: skip
            results.append(self.reconcile.handler(record, self.context))
        summary = {k: plan[k] for k in ("sessions", "providerCalls", "unchanged", "rejected")}
        report = self.reconcile.handler(
            {"step": "summarize", "plan": summary, "results": results, "executionName": RUN}, self.context
        )
        return plan, report


@pytest.fixture
def chain(
    aws: Any, load_handler: Callable[..., ModuleType], lambda_context: object, monkeypatch: pytest.MonkeyPatch
) -> Chain:
    store_day = load_handler("store_day")
    reconcile = load_handler("reconcile")
    monkeypatch.setattr(reconcile.Recorder, "alert", lambda self, subject, message: None)
    return Chain(reconcile, store_day, lambda_context)


def watch(chain: Chain, tickers: Sequence[str]) -> None:
    chain.reconcile._watchlist._s3 = WatchlistObject(tickers)


def test_a_revised_day_goes_through_its_work_object_and_is_stored_exactly(
    aws: Any, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three stored days of AAPL, MSFT, NVDA (MSFT wins each) and a provider that revised NVDA's close
    # on the last day past MSFT's move
    tickers = ("AAPL", "MSFT", "NVDA")
    watch(chain, tickers)
    chain.seed(tickers, {"AAPL": "101", "MSFT": "103", "NVDA": "99"})
    served = [bar(t, d, c) for d in DAYS for t, c in zip(tickers, ("101", "103", "99"), strict=True)]
    served[-1] = bar("NVDA", DAYS[-1], "106.25")
    chain.provider(monkeypatch, served)
    # When the machine's steps run
    plan, report = chain.run()
    # Then the last day alone is revised, and its state entry is its key and the audit facts
    key = reconcile_day_work_key(RUN, DAYS[-1])
    assert plan["unchanged"] == ["2021-03-22", "2021-03-23"] and plan["rejected"] == []
    assert plan["revised"] == [
        {"date": "2021-03-24", "dayKey": key, "winnerFrom": "MSFT 3.000000", "winnerTo": "NVDA 6.250000",
         "winnerChanged": True}
    ]  # fmt: skip
    # And the parked object is in the data bucket; Store Day stored exactly the provider's revised bar
    parked = json.loads(aws["s3"].get_object(Bucket=BUCKET, Key=key)["Body"].read())
    assert set(parked) == {"winner", "rows", "changes"} and len(parked["rows"]) == 3
    items = ItemStore(TABLE)
    winner = items.winner(DAYS[-1]) or {}
    assert (winner["Ticker"]["S"], Decimal(winner["PercentChange"]["N"]), winner["ExecutionArn"]["S"]) == (
        "NVDA", Decimal("6.25"), ARN
    )  # fmt: skip
    nvda = items.ticker_day("NVDA", DAYS[-1]) or {}
    assert (Decimal(nvda["Close"]["N"]), Decimal(nvda["High"]["N"])) == (Decimal("106.25"), Decimal("107.25"))
    # And the audit record lists the changes read back from the object; the report names the day
    today = dt.datetime.now(NEW_YORK).date()
    (audit,) = [r for r in items.audit_records(today) if r["Kind"]["S"] == "Revision"]
    assert [c["S"] for c in audit["Changes"]["L"]] == parked["changes"] == [
        "NVDA high 101 -> 107.25", "NVDA low 98 -> 99", "NVDA close 99 -> 106.25"
    ]  # fmt: skip
    assert report["revised"] == [
        {"date": "2021-03-24", "winnerFrom": "MSFT 3.000000", "winnerTo": "NVDA 6.250000", "changes": 3,
         "status": "Stored"}
    ] and "cause" not in report  # fmt: skip


def test_a_500_ticker_revision_of_every_day_is_a_state_of_keys(
    aws: Any, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 500 stored tickers (the watchlist cap) over three days, and a provider-wide revision of every
    # ticker's volume on every day (a corrected consolidated feed)
    tickers = tuple("".join(letters) for letters in itertools.product("ABCDEFGHJK", repeat=3))[:500]
    watch(chain, tickers)
    closes = {t: f"{95 + i % 11}.{i % 100:02d}" for i, t in enumerate(tickers)}
    chain.seed(tickers, closes)
    chain.provider(monkeypatch, [bar(t, d, closes[t], volume=1001) for d in DAYS for t in tickers])
    # When the machine's steps run
    plan, report = chain.run()
    # Then the three days are revised and stored, and the state carries keys and facts: under 2 KB in all,
    # where the rows and changes inline were over the 256 KB limit
    assert [d["date"] for d in plan["revised"]] == [d.isoformat() for d in DAYS]
    assert len(json.dumps(plan)) < 2048
    objects = [aws["s3"].get_object(Bucket=BUCKET, Key=d["dayKey"]) for d in plan["revised"]]
    parked = [json.loads(o["Body"].read()) for o in objects]
    assert len(json.dumps(parked)) > STATE_LIMIT
    assert [r["status"] for r in report["revised"]] == ["Stored"] * 3 and report["rejected"] == []
    # And every stored ticker day has the revised volume, the day's rows exactly as the plan validated them
    items = ItemStore(TABLE)
    for day, body in zip(DAYS, parked, strict=True):
        assert len(body["rows"]) == 500 and len(body["changes"]) == 500
        stored = {t: items.ticker_day(t, day) or {} for t in tickers[::50]}
        assert {t: item["Volume"]["N"] for t, item in stored.items()} == dict.fromkeys(tickers[::50], "1001")
        assert {t: Decimal(item["Close"]["N"]) for t, item in stored.items()} == {
            t: Decimal(closes[t]) for t in tickers[::50]
        }


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"step": "plan", "input": {}, "executionName": "a/b"}, "executionName"),
        ({"step": "record", "day": {"date": "2021-03-24"}, "executionName": RUN}, "dayKey"),
        ({"step": "record", "day": "2021-03-24", "executionName": RUN}, "day"),
        ({"step": "record", "day": {"date": "2021-03-24", "dayKey": OTHER}, "executionName": RUN}, "dayKey"),
    ],
)
def test_a_step_without_a_usable_key_is_invalid_input(
    chain: Chain, event: dict[str, Any], field: str, lambda_context: object
) -> None:
    with pytest.raises(InvalidInput) as raised:
        chain.reconcile.handler(event, lambda_context)
    assert raised.value.field == field
