"""usecases.pick.pick_stored_day: the daily run's Pick Winner over the bars in S3 (fakes, no AWS)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from movers import oracle
from stock_movers.adapters.storage import bar_work_key, day_work_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import MissingTickers, SessionMismatch
from stock_movers.domain.splits import MixedBasis
from stock_movers.execution_names import daily_execution_name
from stock_movers.usecases.pick import pick_stored_day, reduce_day
from tests.support.work_objects import FakeWorkObjects

DAY = dt.date(2026, 1, 5)
RUN = daily_execution_name("2026-01-05")
SNAPSHOT = f"raw/provider=massive/date=2026-01-05/_snapshot-{RUN}.json"


def bar(ticker: str, open_: str, close: str, day: dt.date = DAY) -> dict[str, Any]:
    return {"ticker": ticker, "date": day.isoformat(), "open": open_, "high": max(open_, close, key=float),
            "low": min(open_, close, key=float), "close": close, "volume": "1000"}  # fmt: skip


def universe(n: int) -> list[str]:
    return [f"{a}{b}{c}" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJ" for c in "ABCDE"][:n]


def test_a_complete_snapshot_of_500_tickers_is_reduced_with_one_read() -> None:
    # Given a snapshot work object holding all 500 tickers of the run (opens 100, closes spread)
    tickers = universe(500)
    bars = {t: bar(t, "100", f"{100 + (i % 37) - 18}.{i % 10}") for i, t in enumerate(tickers)}
    objects = FakeWorkObjects(
        {SNAPSHOT: json.dumps({**bars, "_rawKey": "r", "_provider": "massive"}).encode()}
    )
    # When Pick Winner runs
    out = pick_stored_day(objects, DAY, tickers, SNAPSHOT, RUN)
    # Then it read one object (the snapshot), and its answer is small: the winner, the day's key, 500 rows
    assert objects.reads == [SNAPSHOT]
    assert out["rows"] == 500 and out["dayKey"] == day_work_key(RUN)
    assert len(json.dumps(out)) < 400
    # And the winner and rows are reduce_day's over the same bars (the daily run's one reduction)
    expected = reduce_day(DAY, tickers, [DailyBar.from_dict(b) for b in bars.values()], provider="massive")
    assert objects.json(out["dayKey"]) == json.loads(json.dumps(expected, sort_keys=True))
    assert out["winner"] == expected["winner"]


def test_tickers_the_snapshot_lacks_are_read_from_their_own_fetches() -> None:
    # Given a snapshot without NVDA, and NVDA's per-ticker fetch
    objects = FakeWorkObjects({SNAPSHOT: json.dumps({"AAPL": bar("AAPL", "10", "11"), "_provider": "massive"})
                               .encode()})  # fmt: skip
    objects.put_fetched(RUN, {"provider": "massive", "bar": bar("NVDA", "10", "8")}, "NVDA")
    out = pick_stored_day(objects, DAY, ["AAPL", "NVDA"], SNAPSHOT, RUN)
    assert out["winner"]["ticker"] == "NVDA" and out["winner"]["percentChange"] == "-20.000000"
    assert set(objects.reads) == {SNAPSHOT, bar_work_key(RUN, "NVDA")}


def test_the_configured_watchlist_winner_is_the_oracles() -> None:
    # Given the bundled dataset's default watchlist on a session, fetched per ticker
    day = dt.date.fromisoformat(oracle.sessions()[-1])
    objects = FakeWorkObjects()
    for t in oracle.DEFAULT:
        row = oracle.rows()[(t, day.isoformat())]
        entry = {k: row[k] for k in ("ticker", "date", "open", "high", "low", "close", "volume")}
        objects.put_fetched(RUN, {"provider": "massive", "bar": entry}, t)
    out = pick_stored_day(objects, day, list(oracle.DEFAULT), "", RUN)
    # Then the winner is the independent computation's (ticker and percent change)
    assert (out["winner"]["ticker"], out["winner"]["percentChange"]) == oracle.winner(day.isoformat())


@pytest.mark.parametrize("other", ["missing", "stale"])
def test_nothing_is_left_for_store_day_from_a_bad_day(other: str) -> None:
    # Given AAPL fetched, and MSFT either never fetched or fetched for another session
    objects = FakeWorkObjects()
    objects.put_fetched(RUN, {"provider": "massive", "bar": bar("AAPL", "10", "11")}, "AAPL")
    if other == "stale":
        stale = bar("MSFT", "10", "11", DAY - dt.timedelta(1))
        objects.put_fetched(RUN, {"provider": "massive", "bar": stale}, "MSFT")
    # When picked, Then the day fails by name and no day object is written
    with pytest.raises(MissingTickers if other == "missing" else SessionMismatch):
        pick_stored_day(objects, DAY, ["AAPL", "MSFT"], "", RUN)
    assert day_work_key(RUN) not in objects.objects


def test_the_snapshot_and_per_ticker_fetches_basis_and_times_go_on_the_rows_and_winner() -> None:
    # Given a snapshot (one call's basis and time) without NVDA, and NVDA's own fetch an instant later
    snapshot = {"AAPL": bar("AAPL", "10", "11"), "_provider": "massive", "_basis": "adjusted",
                "_fetchedAt": "2026-01-05T21:30:00+00:00"}  # fmt: skip
    objects = FakeWorkObjects({SNAPSHOT: json.dumps(snapshot).encode()})
    objects.put_fetched(RUN, {"provider": "massive", "bar": bar("NVDA", "10", "8"), "basis": "adjusted",
                              "fetchedAt": "2026-01-05T21:30:04+00:00"}, "NVDA")  # fmt: skip
    out = pick_stored_day(objects, DAY, ["AAPL", "NVDA"], SNAPSHOT, RUN)
    day = objects.json(out["dayKey"])
    assert [(r["ticker"], r["basis"], r["fetchedAt"]) for r in day["rows"]] == [
        ("AAPL", "adjusted", "2026-01-05T21:30:00+00:00"),
        ("NVDA", "adjusted", "2026-01-05T21:30:04+00:00"),
    ]
    assert (out["winner"]["basis"], out["winner"]["fetchedAt"]) == ("adjusted", "2026-01-05T21:30:04+00:00")


def test_a_day_fetched_in_two_bases_is_refused_by_name() -> None:
    # Given the snapshot adjusted and NVDA fetched as traded (e.g. from another provider)
    snapshot = {"AAPL": bar("AAPL", "10", "11"), "_provider": "massive", "_basis": "adjusted"}
    objects = FakeWorkObjects({SNAPSHOT: json.dumps(snapshot).encode()})
    objects.put_fetched(
        RUN, {"provider": "tiingo", "bar": bar("NVDA", "10", "8"), "basis": "unadjusted"}, "NVDA"
    )
    with pytest.raises(MixedBasis):
        pick_stored_day(objects, DAY, ["AAPL", "NVDA"], SNAPSHOT, RUN)
    assert day_work_key(RUN) not in objects.objects


def test_pushed_bars_carry_their_events_basis() -> None:
    # Given a push run's collected bars (AAPL pushed split-adjusted, MSFT pushed as traded)
    pushed = {"AAPL": bar("AAPL", "10", "11"), "MSFT": bar("MSFT", "10", "9"), "_provider": "push",
              "_pushed": {"AAPL": {"adjusted": True}, "MSFT": {"adjusted": False}}}  # fmt: skip
    objects = FakeWorkObjects({SNAPSHOT: json.dumps(pushed).encode()})
    # When picked, Then the two bases are refused by name and nothing is left for Store Day
    with pytest.raises(MixedBasis):
        pick_stored_day(objects, DAY, ["AAPL", "MSFT"], SNAPSHOT, RUN)
    assert day_work_key(RUN) not in objects.objects
    # And pushed bars of one basis beside a fetch of that basis store that basis on every row
    pushed["_pushed"]["MSFT"] = {"adjusted": True}
    objects = FakeWorkObjects({SNAPSHOT: json.dumps(pushed).encode()})
    objects.put_fetched(
        RUN, {"provider": "massive", "bar": bar("NVDA", "10", "8"), "basis": "adjusted"}, "NVDA"
    )
    out = pick_stored_day(objects, DAY, ["AAPL", "MSFT", "NVDA"], SNAPSHOT, RUN)
    assert {r["basis"] for r in objects.json(out["dayKey"])["rows"]} == {"adjusted"}
