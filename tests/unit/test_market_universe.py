"""The generated SYNTHETIC universe: deterministic per seed, unique realistic symbols that never collide
with the bundled tickers, the bundled bars untouched inside it (so the watchlist's winner is the same),
a plausible spread of prices and volumes with penny, thinly traded and OTC names, and Massive's grouped
daily (OTC left out unless include_otc=true) and per-ticker endpoints over it."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from movers.market.app import MarketApp, Request, Response
from movers.market.dataset import SYNTHETIC, TICKERS, Dataset, bundled
from movers.market.server import MarketServer
from movers.market.universe import MAX_UNIVERSE, Universe, UniverseError, generate_symbols
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.movers import pick_winner

KEY = "unit-key"
WATCHLIST = ("AAPL", "MSFT", "GOOGL", "AMZN", "TSLA", "NVDA")
SYMBOL = re.compile(r"[A-Z]{1,5}")


@pytest.fixture(scope="module")
def data() -> Dataset:
    return bundled()


@pytest.fixture(scope="module")
def u500(data: Dataset) -> Universe:
    return Universe(data, 500, seed=1)


def get(app: MarketApp, url: str) -> Response:
    parts = urlsplit(url)
    headers = {"authorization": f"Bearer {KEY}"}
    return app.handle(Request("GET", parts.path, parse_qs(parts.query), headers, b"", "http://h:1"))


def grouped(app: MarketApp, day: dt.date, query: str = "") -> list[dict[str, Any]]:
    response = get(app, f"/v2/aggs/grouped/locale/us/market/stocks/{day.isoformat()}{query}")
    assert response.status == 200
    return list(response.json().get("results", []))


def sample_days(source: Dataset | Universe) -> list[dt.date]:
    s = source.sessions
    return [s[0], s[1], s[len(s) // 2], s[-2], s[-1]]


# -- determinism -------------------------------------------------------------------------------------------


def test_given_the_same_seed_when_built_twice_then_symbols_and_bars_are_equal(data: Dataset) -> None:
    a, b = Universe(data, 300, seed=7), Universe(data, 300, seed=7)
    assert a.tickers == b.tickers
    for day in sample_days(a):
        assert a.bars_on(day) == b.bars_on(day)


def test_given_different_seeds_then_symbols_and_bars_differ(data: Dataset) -> None:
    a, b = Universe(data, 300, seed=1), Universe(data, 300, seed=2)
    generated_a = set(a.tickers) - set(data.tickers)
    generated_b = set(b.tickers) - set(data.tickers)
    assert generated_a != generated_b
    day = a.last_session
    a_closes = {bar.ticker: bar.close for bar in a.bars_on(day) if bar.ticker not in data.tickers}
    b_closes = {bar.ticker: bar.close for bar in b.bars_on(day) if bar.ticker not in data.tickers}
    shared = generated_a & generated_b
    assert a_closes != b_closes
    assert all(a_closes[t] != b_closes[t] for t in shared)  # a shared symbol still gets other bars


def test_a_smaller_universe_is_a_prefix_of_a_larger_one_with_the_same_bars(data: Dataset) -> None:
    small, large = Universe(data, 50, seed=3), Universe(data, 2000, seed=3)
    assert set(small.tickers) <= set(large.tickers)
    day = small.sessions[100]
    for ticker in small.tickers:
        assert small.bar(ticker, day) == large.bar(ticker, day)


def test_bars_do_not_depend_on_the_order_they_are_asked_in(u500: Universe) -> None:
    ticker = next(t for t in u500.tickers if t not in TICKERS)
    s = u500.sessions
    one_by_one = [u500.bar(ticker, d) for d in s[-30:]]
    as_range = u500.bars_between(ticker, s[-30], s[-1])
    from_grouped = [next(b for b in u500.bars_on(d) if b.ticker == ticker) for d in s[-3:]]
    assert one_by_one == as_range and as_range[-3:] == from_grouped


# -- symbols -----------------------------------------------------------------------------------------------


def test_symbols_are_unique_one_to_five_capitals_and_never_a_bundled_ticker() -> None:
    symbols = generate_symbols(5, 10_000)
    assert len(symbols) == len(set(symbols)) == 10_000
    assert all(SYMBOL.fullmatch(s) for s in symbols)
    assert not set(symbols) & set(TICKERS)
    assert {len(s) for s in symbols} == {1, 2, 3, 4, 5}


def test_without_the_bundled_tickers_the_universe_holds_only_generated_symbols(data: Dataset) -> None:
    u = Universe(data, 500, seed=1, include_base=False)
    assert len(u.tickers) == 500
    assert not set(u.tickers) & set(TICKERS)
    assert u.describe()["base_tickers"] == []


def test_with_the_bundled_tickers_the_size_counts_them(u500: Universe, data: Dataset) -> None:
    assert len(u500.tickers) == len(set(u500.tickers)) == 500
    assert set(data.tickers) <= set(u500.tickers)
    assert list(u500.tickers) == sorted(u500.tickers)


@pytest.mark.parametrize(
    ("size", "seed", "include_base", "match"),
    [
        (0, 1, False, "size"),
        (MAX_UNIVERSE + 1, 1, False, "size"),
        (True, 1, False, "size"),
        (5, 1, True, "cannot hold the base dataset's 10 tickers"),
        (100, -1, True, "seed"),
    ],
)
def test_given_an_impossible_universe_then_a_named_error(
    data: Dataset, size: Any, seed: int, include_base: bool, match: str
) -> None:
    with pytest.raises(UniverseError, match=match):
        Universe(data, size, seed, include_base=include_base)


# -- the bundled bars and the watchlist's winner -----------------------------------------------------------


def test_the_bundled_tickers_keep_their_bars_inside_a_universe(u500: Universe, data: Dataset) -> None:
    first, last = data.sessions[0], data.sessions[-1]
    for ticker in data.tickers:
        assert u500.bars_between(ticker, first, last) == data.bars_between(ticker, first, last)


def _winner(app: MarketApp, day: dt.date) -> str:
    rows = [r for r in grouped(app, day) if r["T"] in WATCHLIST]
    bars = [
        DailyBar(r["T"], day, *(Decimal(str(r[k])) for k in ("o", "h", "l", "c")), Decimal(r["v"]))
        for r in rows
    ]
    return pick_winner(bars, WATCHLIST, day).ticker


def test_the_watchlist_winner_is_the_same_with_and_without_a_universe(data: Dataset) -> None:
    plain = MarketApp(data, api_keys=[KEY], rate_limit=None)
    wide = MarketApp(Universe(data, 2000, seed=11), api_keys=[KEY], rate_limit=None)
    days = data.sessions[::97]
    winners = [_winner(plain, d) for d in days]
    assert winners == [_winner(wide, d) for d in days]
    assert len(set(winners)) > 1  # the check covers days with different winners


# -- the spread of prices and volumes, and labels ------------------------------------------------------------


def test_prices_and_volumes_spread_from_penny_stocks_to_large_caps(data: Dataset) -> None:
    u = Universe(data, 10_000, seed=1, include_base=False)
    bars = u.bars_on(u.last_session)
    closes = [b.close for b in bars]
    volumes = [b.volume for b in bars]
    penny = sum(c < 1 for c in closes) / len(bars)
    assert 0.05 < penny < 0.25
    assert 0.05 < sum(c > 100 for c in closes) / len(bars) < 0.5
    assert min(closes) < Decimal("0.2") and max(closes) > 500
    assert 0.1 < sum(v < 100_000 for v in volumes) / len(bars) < 0.5  # thinly traded names
    assert min(volumes) < 10_000 and max(volumes) > 50_000_000
    otc = sum(u.is_otc(t) for t in u.tickers) / len(u.tickers)
    assert 0.02 < otc < 0.2


def test_every_generated_bar_is_synthetic_and_keeps_the_ohlc_invariants(u500: Universe) -> None:
    for day in sample_days(u500):
        for bar in u500.bars_on(day):
            assert bar.source == SYNTHETIC
            assert 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
            assert bar.volume > 0


def test_each_open_follows_the_previous_close_by_a_gap_not_a_reset(u500: Universe) -> None:
    ticker = next(t for t in u500.tickers if t not in TICKERS and not u500.is_otc(t))
    bars = u500.bars_between(ticker, u500.sessions[0], u500.sessions[-1])
    assert len(bars) == len(u500.sessions)
    gaps = sorted(abs(float(b.open / a.close) - 1) for a, b in itertools.pairwise(bars))
    model = u500.model(ticker)
    assert model is not None
    assert gaps[len(gaps) // 2] < 2 * model.sigma  # the median overnight gap is small


# -- served by the app -------------------------------------------------------------------------------------


def test_grouped_daily_with_include_otc_returns_every_ticker_of_the_universe(u500: Universe) -> None:
    app = MarketApp(u500, api_keys=[KEY], rate_limit=None)
    for day in sample_days(u500):
        rows = grouped(app, day, "?include_otc=true")
        assert [r["T"] for r in rows] == list(u500.tickers)
        assert {r["T"] for r in rows if r.get("otc") is True} == {t for t in u500.tickers if u500.is_otc(t)}


def test_grouped_daily_leaves_otc_out_by_default_as_massive_does(u500: Universe) -> None:
    app = MarketApp(u500, api_keys=[KEY], rate_limit=None)
    rows = grouped(app, u500.last_session)
    otc = {t for t in u500.tickers if u500.is_otc(t)}
    assert otc and {r["T"] for r in rows} == set(u500.tickers) - otc
    assert all("otc" not in r for r in rows)
    bad = get(app, f"/v2/aggs/grouped/locale/us/market/stocks/{u500.last_session}?include_otc=maybe")
    assert bad.status == 400 and "include_otc" in bad.json()["error"]


def test_per_ticker_endpoints_serve_a_generated_ticker(u500: Universe) -> None:
    app = MarketApp(u500, api_keys=[KEY], rate_limit=None)
    ticker = next(t for t in u500.tickers if t not in TICKERS)
    s = u500.sessions
    body = get(app, f"/v2/aggs/ticker/{ticker}/range/1/day/{s[-5]}/{s[-1]}").json()
    expected = u500.bars_between(ticker, s[-5], s[-1])
    assert [r["c"] for r in body["results"]] == [float(b.close) for b in expected]
    prev = get(app, f"/v2/aggs/ticker/{ticker}/prev").json()["results"][0]
    assert prev["T"] == ticker and prev["c"] == float(expected[-1].close)
    oc = get(app, f"/v1/open-close/{ticker}/{s[-2]}").json()
    assert oc["symbol"] == ticker and oc["open"] == float(expected[-2].open)


def test_health_labels_the_universe_synthetic(u500: Universe, data: Dataset) -> None:
    health = MarketApp(u500, api_keys=[KEY], rate_limit=None).handle(Request("GET", "/_admin/health")).json()
    assert health["sources"] == [SYNTHETIC]
    assert health["universe"] == {
        "size": 500,
        "seed": 1,
        "generated": 490,
        "base_tickers": sorted(data.tickers),
        "otc": sum(u500.is_otc(t) for t in u500.tickers),
        "source": SYNTHETIC,
    }
    plain = MarketApp(data, api_keys=[KEY], rate_limit=None).handle(Request("GET", "/_admin/health")).json()
    assert plain["sources"] == [SYNTHETIC] and plain["universe"] is None


def test_the_server_builds_a_universe_from_its_arguments() -> None:
    server = MarketServer(universe=300, universe_seed=4, universe_include_base=False)
    assert isinstance(server.dataset, Universe)
    assert len(server.dataset.tickers) == 300 and server.dataset.seed == 4
    assert json.loads(json.dumps(server.dataset.describe()))["generated"] == 300
