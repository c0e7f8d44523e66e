"""The whole-market scope (issue 17 item 1, DESIGN §5): input, provider check, filters, the market snapshot
fetch and the one-step reduction, with fakes (no AWS)."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal
from typing import Any

import pytest
import responses
from hypothesis import given
from hypothesis import strategies as st
from responses import matchers

from stock_movers.adapters.ratelimiter import Acquired
from stock_movers.adapters.storage import day_work_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import EmptyUniverse, InvalidBar, InvalidInput, UnsupportedScope
from stock_movers.domain.inputs import parse_ingest_input
from stock_movers.domain.market import EXCLUSIONS, MarketFilters, exclusion, market_universe
from stock_movers.domain.movers import percent_change
from stock_movers.providers import MalformedResponse, MassiveProvider
from stock_movers.providers.base import Capabilities, FetchResult
from stock_movers.providers.capabilities import check_daily_run, require_scope
from stock_movers.usecases.fetch import FetchContext, fetch_market_snapshot
from stock_movers.usecases.market import pick_market_day
from stock_movers.usecases.pick import reduce_day
from tests.support.work_objects import FakeWorkObjects

DAY = dt.date(2026, 3, 18)
NOW = dt.datetime(2026, 3, 19, 12, tzinfo=dt.UTC)
RUN = "market-2026-03-18"
SNAPSHOT = f"raw/provider=massive/date={DAY}/_snapshot-{RUN}.json"
FILTERS = MarketFilters(min_price=Decimal(5), min_volume=Decimal(100_000))


def bar(ticker: str, open_: str, close: str, volume: str = "500000", day: dt.date = DAY) -> DailyBar:
    o, c = Decimal(open_), Decimal(close)
    return DailyBar(ticker, day, o, max(o, c) + 1, min(o, c) / 2, c, Decimal(volume))


# ------------------------------------------------------------------------------------------------- input


def test_scope_defaults_to_the_watchlist_and_market_takes_no_tickers() -> None:
    # Given no scope, Then the watchlist run is as before
    req = parse_ingest_input({"date": "2026-03-18"}, now=NOW, default_tickers=lambda: ["AAPL"])
    assert (req.scope, req.tickers) == ("watchlist", ("AAPL",))
    # Given scope market, Then the request has no tickers (the market covers the snapshot's)
    req = parse_ingest_input({"scope": "market", "force": True}, now=NOW, default_tickers=lambda: ["AAPL"])
    assert (req.scope, req.tickers, req.force) == ("market", (), True)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"scope": "MARKET"}, "scope"),
        ({"scope": " market"}, "scope"),
        ({"scope": "all"}, "scope"),
        ({"scope": None}, "scope"),
        ({"scope": True}, "scope"),
        ({"scope": "market", "tickers": ["AAPL"]}, "tickers"),
        ({"scope": "market", "tickers": []}, "tickers"),
        ({"scope": "market", "force": "yes"}, "force"),
    ],
)
def test_a_bad_scope_or_tickers_with_market_is_invalid_input(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_ingest_input(raw, now=NOW, default_tickers=lambda: ["AAPL"])
    assert raised.value.field == field


@pytest.mark.parametrize("provider", ["tiingo", "alphavantage"])
def test_market_needs_a_one_call_session_snapshot(provider: str) -> None:
    # Given a provider without a session snapshot, Then the market scope is refused by name
    with pytest.raises(UnsupportedScope, match="one-call session snapshot"):
        require_scope(provider, "market")
    with pytest.raises(UnsupportedScope):
        check_daily_run(provider, "per_ticker", DAY, True, NOW, scope="market")
    # And the watchlist scope is not
    require_scope(provider, "watchlist")


def test_massive_serves_the_market_whatever_the_watchlist_strategy() -> None:
    require_scope("massive", "market")
    check_daily_run("massive", "per_ticker", DAY, True, NOW, scope="market")
    with pytest.raises(ValueError, match="unknown scope"):
        require_scope("massive", "everything")


# ----------------------------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("ticker", "otc", "close", "volume", "reason"),
    [
        ("AAPL", False, "5", "100000", None),  # both thresholds are inclusive
        ("AAPL", True, "50", "900000", "otc"),  # marked OTC wins over everything
        ("KIMpL", False, "50", "900000", "symbol"),  # Massive's preferred-share spelling
        ("TOOLONG", False, "50", "900000", "symbol"),
        ("ACME.WS", False, "50", "900000", "nonCommon"),
        ("ACME-WT", False, "50", "900000", "nonCommon"),
        ("ACME.U", False, "50", "900000", "nonCommon"),
        ("ACME.RT", False, "50", "900000", "nonCommon"),
        ("BRK.B", False, "50", "900000", None),  # a share class is common stock
        ("BF-B", False, "50", "900000", None),
        ("ABCDW", False, "50", "900000", None),  # NASDAQ 5th-letter codes are not used
        ("PENY", False, "4.99", "900000", "price"),
        ("THIN", False, "50", "99999", "volume"),
        ("BOTH", False, "1", "10", "price"),  # the first reason that applies
    ],
)
def test_each_row_is_excluded_for_its_first_reason(
    ticker: str, otc: bool, close: str, volume: str, reason: str | None
) -> None:
    assert exclusion(bar(ticker, close, close, volume), otc, FILTERS) == reason


def test_the_universe_keeps_order_and_counts_every_reason() -> None:
    # Given a snapshot with one row per reason and two kept rows
    rows = [bar("AAA", "10", "11"), bar("OTCX", "10", "30"), bar("KIMpL", "10", "30"),
            bar("W.WS", "10", "30"), bar("PENY", "1", "3"), bar("THIN", "10", "30", "10"),
            bar("BBB", "20", "19")]  # fmt: skip
    # When it is filtered
    universe = market_universe(rows, ["OTCX"], FILTERS)
    # Then the kept rows are in snapshot order, and each reason counted once (zeros named too)
    assert universe.tickers == ("AAA", "BBB")
    assert universe.excluded == {"otc": 1, "symbol": 1, "nonCommon": 1, "price": 1, "volume": 1}
    assert market_universe([], [], FILTERS).excluded == dict.fromkeys(EXCLUSIONS, 0)


def test_zero_thresholds_keep_every_stock_symbol() -> None:
    everything = MarketFilters(min_price=Decimal(0), min_volume=Decimal(0))
    assert market_universe([bar("PENY", "0.1", "0.2", "0")], [], everything).tickers == ("PENY",)


@pytest.mark.parametrize("bad", [Decimal(-1), Decimal("NaN"), Decimal("Infinity"), 5, "5"])
def test_filters_are_finite_non_negative_decimals(bad: Any) -> None:
    with pytest.raises(ValueError, match="min_price"):
        MarketFilters(min_price=bad)
    with pytest.raises(ValueError, match="min_volume"):
        MarketFilters(min_volume=bad)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["AB", "CDE", "FGHI", "JK.WS", "LMpN", "OPQ.B"]),
            st.booleans(),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal(100), places=2),
            st.integers(min_value=0, max_value=300_000),
        ),
        max_size=30,
        unique_by=lambda r: r[0],
    )
)
def test_property_kept_rows_pass_every_filter_and_every_row_is_counted_once(rows: list[Any]) -> None:
    bars = [bar(t, str(c), str(c), str(v)) for t, _, c, v in rows]
    otc = [t for t, marked, _, _ in rows if marked]
    universe = market_universe(bars, otc, FILTERS)
    assert len(universe.bars) + sum(universe.excluded.values()) == len(bars)
    for b in universe.bars:
        assert b.ticker not in otc and b.close >= FILTERS.min_price and b.volume >= FILTERS.min_volume


# ------------------------------------------------------------------------------------ provider and fetch
BASE = "https://api.massive.com"
KEY = "massive-test-key-0123456789abcdef"


def grouped(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps({"status": "OK", "resultsCount": len(rows), "results": rows}).encode()


def row(t: str, o: float, c: float, v: float = 500000, *, otc: bool = False, ms: int = 1773864000000) -> Any:
    out = {"T": t, "o": o, "c": c, "h": max(o, c) + 1, "l": min(o, c) / 2, "v": v, "t": ms}
    return {**out, "otc": True} if otc else out


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        yield rsps


def serve(api: Any, raw: bytes) -> None:
    api.add(responses.GET, f"{BASE}/v2/aggs/grouped/locale/us/market/stocks/{DAY}", body=raw,
            match=[matchers.header_matcher({"Authorization": f"Bearer {KEY}"})])  # fmt: skip


def test_massive_session_bars_without_tickers_is_every_row_with_its_otc_mark(api: Any) -> None:
    # Given a grouped answer (t = 16:00 New York on 2026-03-18) holding a preferred share and an OTC row
    serve(api, grouped([row("AAPL", 200, 210), row("KIMpL", 25, 26), row("OTCX", 1, 2, otc=True)]))
    # When the whole session is asked for
    result = MassiveProvider(api_key=KEY).session_bars(DAY, None)
    # Then every row is a bar of the day, sorted, and the OTC mark is kept
    assert [b.ticker for b in result.bars] == ["AAPL", "KIMpL", "OTCX"]
    assert {b.date for b in result.bars} == {DAY} and result.otc == frozenset({"OTCX"})


@pytest.mark.parametrize(
    ("rows", "match"),
    [
        ([row("AAPL", 1, 2), row("AAPL", 1, 2)], "two rows for AAPL"),
        ([row("AAPL", 1, 2), row("OLD", 1, 2, ms=1773777600000)], "OLD row is for 2026-03-17"),
        ([{"c": 1}], "no ticker"),
    ],
)
def test_a_whole_session_answer_is_checked_row_by_row(api: Any, rows: list[Any], match: str) -> None:
    serve(api, grouped(rows))
    with pytest.raises(MalformedResponse, match=match):
        MassiveProvider(api_key=KEY).session_bars(DAY, None)


class SnapshotProvider:
    name = "massive"

    def __init__(self, bars: list[DailyBar], otc: frozenset[str], snapshot: bool = True) -> None:
        self.capabilities = Capabilities(strategies=frozenset({"per_ticker", "snapshot"} if snapshot else
                                                              {"per_ticker"}))  # fmt: skip
        self.bars, self.otc, self.asked = bars, otc, []

    def session_bars(self, day: dt.date, tickers: Any) -> FetchResult:
        self.asked.append((day, tickers))
        return FetchResult(self.name, tuple(self.bars), (b'{"raw": true}',), 1, otc=self.otc)


class Limiter:
    def __init__(self) -> None:
        self.acquired = 0

    def acquire(self, max_wait_seconds: float, deadline: float | None = None) -> Acquired:
        self.acquired += 1
        return Acquired(at=time.time(), waited_seconds=0.0, attempts=1)

    def complete(self, at: float) -> None:
        pass


class Raw(FakeWorkObjects):
    def put_pages(self, keys: list[str], pages: list[bytes]) -> list[str]:
        for key, page in zip(keys, pages, strict=True):
            self.objects[key] = page
        return list(keys)


def test_the_market_fetch_is_one_call_and_leaves_every_row_in_one_work_object() -> None:
    # Given a snapshot provider answering two rows (one marked OTC) and one of another day
    old = bar("OLD", "1", "2", day=DAY - dt.timedelta(days=1))
    provider = SnapshotProvider([bar("AAA", "10", "11"), bar("OTCX", "1", "2"), old], frozenset({"OTCX"}))
    raw, limiter = Raw(), Limiter()
    ctx = FetchContext(provider=provider, limiter=limiter, raw=raw, max_wait_seconds=1)  # type: ignore[arg-type]
    # When the market snapshot is fetched
    out = fetch_market_snapshot(ctx, DAY, RUN)
    # Then one slot and one whole-session call (no ticker filter) served it
    assert (limiter.acquired, provider.asked) == (1, [(DAY, None)])
    # And the answer is a key and a count; the work object holds the day's rows and the OTC marks
    assert out == {"key": SNAPSHOT, "rows": 2}
    stored = raw.json(SNAPSHOT)
    assert stored["scope"] == "market" and stored["otc"] == ["OTCX"] and stored["provider"] == "massive"
    assert [b["ticker"] for b in stored["bars"]] == ["AAA", "OTCX"]
    assert stored["rawKey"] == f"raw/provider=massive/date={DAY}/_session.json"


def test_a_market_fetch_on_a_provider_without_snapshot_takes_no_slot() -> None:
    provider, limiter = SnapshotProvider([], frozenset(), snapshot=False), Limiter()
    ctx = FetchContext(provider=provider, limiter=limiter, raw=Raw(), max_wait_seconds=1)  # type: ignore[arg-type]
    with pytest.raises(Exception, match="snapshot") as raised:
        fetch_market_snapshot(ctx, DAY, RUN)
    assert type(raised.value).__name__ == "UnsupportedStrategy"
    assert (limiter.acquired, provider.asked) == (0, [])


# ------------------------------------------------------------------------------------- the one-step reduce


def snapshot(bars: list[DailyBar], otc: list[str] = ()) -> FakeWorkObjects:  # type: ignore[assignment]
    body = {"scope": "market", "provider": "massive", "rawKey": "r", "otc": list(otc),
            "bars": [b.to_dict() for b in bars]}  # fmt: skip
    return FakeWorkObjects({SNAPSHOT: json.dumps(body).encode()})


def test_the_market_winner_is_the_filtered_universes_biggest_absolute_mover() -> None:
    # Given a penny stock +200 %, an OTC row +100 %, a thin one +90 % and three eligible movers
    bars = [bar("PENY", "1", "3"), bar("OTCX", "10", "20"), bar("THIN", "10", "19", "50"),
            bar("AAA", "10", "11"), bar("BBB", "20", "17"), bar("CCC", "50", "52")]  # fmt: skip
    objects = snapshot(bars, ["OTCX"])
    # When the market day is reduced
    out = pick_market_day(objects, DAY, SNAPSHOT, RUN, FILTERS)
    # Then only the snapshot was read, and the winner is BBB (-15 %), not a filtered row
    assert objects.reads == [SNAPSHOT]
    assert (out["winner"]["ticker"], out["winner"]["percentChange"]) == ("BBB", "-15.000000")
    assert out["rows"] == 3 and out["snapshotRows"] == 6 and out["dayKey"] == day_work_key(RUN)
    assert out["excluded"] == {"otc": 1, "symbol": 0, "nonCommon": 0, "price": 1, "volume": 1}
    # And the day left for Store Day is reduce_day's over exactly the kept rows
    expected = reduce_day(DAY, ["AAA", "BBB", "CCC"], [bars[3], bars[4], bars[5]], provider="massive")
    assert objects.json(out["dayKey"]) == json.loads(json.dumps(expected, sort_keys=True))
    assert len(json.dumps(out)) < 600


def test_equal_moves_go_to_the_ticker_that_sorts_first() -> None:
    bars = [bar("ZZZ", "10", "11"), bar("MMM", "10", "9"), bar("AAA", "20", "22")]
    out = pick_market_day(snapshot(bars), DAY, SNAPSHOT, RUN, FILTERS)
    assert out["winner"]["ticker"] == "AAA"
    assert out["winner"]["percentChange"] == str(percent_change(Decimal(20), Decimal(22)))


def test_a_snapshot_nothing_passes_is_empty_universe_and_leaves_no_day() -> None:
    objects = snapshot([bar("PENY", "1", "2"), bar("OTCX", "10", "20")], ["OTCX"])
    with pytest.raises(EmptyUniverse, match="2 rows; excluded: nonCommon 0, otc 1, price 1"):
        pick_market_day(objects, DAY, SNAPSHOT, RUN, FILTERS)
    assert day_work_key(RUN) not in objects.objects


def test_a_kept_row_the_daily_run_would_refuse_refuses_the_day() -> None:
    # Given an eligible row whose high is below its close (a bar the watchlist run refuses)
    broken = DailyBar("BAD", DAY, Decimal(10), Decimal(10), Decimal(9), Decimal(12), Decimal(500000))
    objects = snapshot([bar("AAA", "10", "11"), broken])
    with pytest.raises(InvalidBar, match="BAD: high"):
        pick_market_day(objects, DAY, SNAPSHOT, RUN, FILTERS)
    assert day_work_key(RUN) not in objects.objects


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", json.dumps({"AAA": {}, "_provider": "massive"}).encode(),
     json.dumps({"scope": "market", "provider": "massive", "otc": [], "bars": {}}).encode()],
)  # fmt: skip
def test_a_work_object_that_is_not_a_market_snapshot_is_refused(body: bytes) -> None:
    with pytest.raises(InvalidBar, match="snapshot"):
        pick_market_day(FakeWorkObjects({SNAPSHOT: body}), DAY, SNAPSHOT, RUN, FILTERS)
    with pytest.raises(InvalidBar, match="snapshotKey"):
        pick_market_day(FakeWorkObjects(), DAY, "", RUN, FILTERS)
