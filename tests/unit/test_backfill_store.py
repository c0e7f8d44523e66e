"""Reducing backfill sessions and fetching a range, with in-memory fakes (no AWS, no HTTP)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from stock_movers.adapters.ratelimiter import SlotUnavailable
from stock_movers.domain.bars import DailyBar
from stock_movers.providers.base import FETCH_STRATEGIES, Capabilities, FetchResult
from stock_movers.providers.errors import NoData
from stock_movers.usecases.fetch import FetchContext
from stock_movers.usecases.fetch_range import bars_key, fetch_range, ranges_without_data
from stock_movers.usecases.pick import reduce_day
from stock_movers.usecases.store_sessions import bars_by_session, reduce_sessions

D = dt.date
TICKERS = ["AAPL", "MSFT"]


def bar(ticker: str, day: dt.date, open_: str, close: str) -> DailyBar:
    hi, lo = max(open_, close, key=float), min(open_, close, key=float)
    return DailyBar.from_dict(
        {"ticker": ticker, "date": day.isoformat(), "open": open_, "high": hi, "low": lo, "close": close,
         "volume": "1000"}
    )  # fmt: skip


DAYS = [D(2025, 3, 3), D(2025, 3, 4), D(2025, 3, 5)]
OBJECTS = [
    {"ticker": "AAPL", "provider": "massive", "bars": [bar("AAPL", d, "100", "101").to_dict() for d in DAYS]},
    {
        "ticker": "MSFT",
        "provider": "massive",
        "bars": [bar("MSFT", d, "100", "98").to_dict() for d in DAYS[:2]],
    },
]


def run(days: Sequence[dt.date] = DAYS, objects: Sequence[dict[str, Any]] = OBJECTS) -> dict[str, Any]:
    by_day, provider = bars_by_session(objects)
    return reduce_sessions(days, TICKERS, by_day, provider)


def test_each_session_is_reduced_by_the_daily_runs_code_and_a_missing_ticker_is_listed() -> None:
    # Given MSFT has no bar on the third day, when the batch is reduced
    out = run()
    # then two days are Store Day's input, exactly what reduce_day gives; the third fails with MissingTickers
    assert [(f["date"], f["error"]) for f in out["failed"]] == [("2025-03-05", "MissingTickers")]
    assert [d["date"] for d in out["days"]] == ["2025-03-03", "2025-03-04"]
    day = DAYS[0]
    expected = reduce_day(
        day, TICKERS, [bar("AAPL", day, "100", "101"), bar("MSFT", day, "100", "98")], "massive"
    )
    assert out["days"][0] == {"date": "2025-03-03", "winner": expected["winner"], "rows": expected["rows"]}
    assert expected["winner"]["ticker"] == "MSFT"  # |-2%| beats |+1%|


def test_bars_of_other_tickers_are_ignored() -> None:
    tsla = {"ticker": "TSLA", "provider": "massive", "bars": [bar("TSLA", DAYS[0], "100", "150").to_dict()]}
    out = run(DAYS[:1], [*OBJECTS, tsla])
    assert out["failed"] == [] and out["days"][0]["winner"]["ticker"] == "MSFT"
    assert {r["ticker"] for r in out["days"][0]["rows"]} == set(TICKERS)


def test_a_day_out_of_the_validation_bounds_fails_with_invalid_bar_as_in_the_daily_run() -> None:
    # Given MSFT's close (and high) at 1e15 on the first day, as a corrupting provider sends it
    huge = {**bar("MSFT", DAYS[0], "100", "98").to_dict(), "close": "1e15", "high": "1e15"}
    msft = {
        "ticker": "MSFT",
        "provider": "massive",
        "bars": [huge, bar("MSFT", DAYS[1], "100", "98").to_dict()],
    }
    # When the batch is reduced
    out = run(DAYS[:2], [OBJECTS[0], msft])
    # Then that day fails with the daily run's InvalidBar naming the ticker and field, and is never stored
    assert [(f["date"], f["error"]) for f in out["failed"]] == [("2025-03-03", "InvalidBar")]
    assert out["failed"][0]["cause"].startswith("MSFT: high 1E+15 is above the maximum price")
    assert [d["date"] for d in out["days"]] == ["2025-03-04"]


def test_a_batch_of_the_largest_watchlist_fits_the_state_payload_quota() -> None:
    # Given 20 tickers (the input cap) and 50 sessions (the backfill_batch_size cap), when reduced
    tickers = [f"T{i:02d}" for i in range(20)]
    days = [DAYS[0] + dt.timedelta(days=i) for i in range(50)]
    objects = [
        {"ticker": t, "provider": "massive",
         "bars": [{**bar(t, d, "123.4567", "124.5678").to_dict(), "volume": "123456789"} for d in days]}
        for t in tickers
    ]  # fmt: skip
    by_day, provider = bars_by_session(objects)
    out = reduce_sessions(days, tickers, by_day, provider)
    # Then its output (the Reduce Batch result the state machine carries) stays inside 256 KB
    assert len(out["days"]) == 50 and len(json.dumps(out, separators=(",", ":"))) < 256 * 1024


# ------------------------------------------------------------------------------------------- fetch_range
class FakeProvider:
    name = "massive"
    capabilities = Capabilities(strategies=frozenset(FETCH_STRATEGIES))

    def __init__(self, bars: Sequence[DailyBar]) -> None:
        self.bars = tuple(bars)
        self.calls: list[tuple[str, dt.date, dt.date]] = []

    def range_bars(self, ticker: str, start: dt.date, end: dt.date) -> FetchResult:
        self.calls.append((ticker, start, end))
        mine = tuple(b for b in self.bars if b.ticker == ticker and start <= b.date <= end)
        return FetchResult(self.name, mine, (b'{"status":"OK"}',), 1)


class FakeLimiter:
    def __init__(self, wait: float | None = None) -> None:
        self.wait = wait
        self.taken = 0
        self.finished: list[float] = []

    def acquire(self, max_wait_seconds: float, deadline: float | None = None) -> Any:
        from stock_movers.adapters.ratelimiter import Acquired, SlotUnavailable

        if self.wait is not None:
            raise SlotUnavailable(self.wait)
        self.taken += 1
        return Acquired(at=float(self.taken), waited_seconds=0.0, attempts=1)

    def complete(self, at: float) -> None:
        self.finished.append(at)


class FakeRaw:
    def __init__(self) -> None:
        self.objects: dict[str, bytes] = {}

    def put_pages(self, keys: Sequence[str], pages: Sequence[bytes]) -> list[str]:
        self.objects.update(zip(keys, pages, strict=True))
        return list(keys)

    def put_bytes(self, key: str, body: bytes, content_type: str) -> None:
        self.objects[key] = body


def ctx(provider: FakeProvider, limiter: FakeLimiter, raw: FakeRaw) -> FetchContext:
    return FetchContext(provider=provider, limiter=limiter, raw=raw, max_wait_seconds=5)  # type: ignore[arg-type]


def test_fetch_range_is_one_limited_call_with_raw_and_bars_in_storage() -> None:
    provider, limiter, raw = FakeProvider([bar("AAPL", d, "1", "2") for d in DAYS]), FakeLimiter(), FakeRaw()
    out = fetch_range(ctx(provider, limiter, raw), "AAPL", DAYS[0], DAYS[-1])
    assert provider.calls == [("AAPL", DAYS[0], DAYS[-1])] and limiter.taken == 1
    raw_key = "raw/provider=massive/range=2025-03-03_2025-03-05/AAPL.json"
    assert raw.objects[raw_key] == b'{"status":"OK"}'
    work = json.loads(raw.objects[bars_key("massive", DAYS[0], DAYS[-1], "AAPL")])
    assert [b["date"] for b in work["bars"]] == [d.isoformat() for d in DAYS]
    key = bars_key("massive", DAYS[0], DAYS[-1], "AAPL")
    assert out == {"ticker": "AAPL", "provider": "massive", "barsKey": key, "rawKeys": 1, "bars": 3}


@pytest.mark.parametrize(
    ("limiter", "bars", "error"),
    [(lambda: FakeLimiter(wait=30.0), [], SlotUnavailable), (FakeLimiter, [], NoData)],
)
def test_fetch_range_errors_keep_their_names(limiter: Callable[[], FakeLimiter], bars: list[DailyBar],
                                             error: type[Exception]) -> None:  # fmt: skip
    provider = FakeProvider(bars)
    with pytest.raises(error):
        fetch_range(ctx(provider, limiter(), FakeRaw()), "ZZZZ", DAYS[0], DAYS[-1])


def test_every_ticker_without_data_is_named_in_one_no_data_error() -> None:
    # Given the Fetch Ranges results of a span where two tickers had no bar (marked by the state machine)
    fetched = [
        {"ticker": "AAPL", "provider": "massive", "barsKey": "work/a.json"},
        {"ticker": "TSLA", "noData": True, "from": "2010-01-04", "to": "2010-01-08"},
        {"ticker": "GOOGL", "noData": True, "from": "2010-01-04", "to": "2010-01-08"},
    ]
    # When checked, then one NoData names both (sorted) and the span, on one line
    error = ranges_without_data(fetched)
    assert isinstance(error, NoData)
    assert str(error).startswith("GOOGL, TSLA: the provider returned no bars for 2010-01-04..2010-01-08")
    assert "leave them out with --tickers" in str(error) and "\n" not in str(error)
    # And with every ticker fetched there is nothing to raise
    assert ranges_without_data(fetched[:1]) is None
