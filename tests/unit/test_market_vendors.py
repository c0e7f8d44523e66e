"""Alpha Vantage's and Tiingo's APIs on the market server, without sockets: the same dataset as Massive's
paths, each vendor's body shapes and refusals, and each plan's windows on a fake clock (burst and daily for
Alpha Vantage, hourly and daily for Tiingo), refused calls counted in no window."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from movers.market import app as market
from movers.market.app import MarketApp, Request
from movers.market.dataset import Dataset, bundled
from movers.market.vendors import ALPHAVANTAGE_FREE, TIINGO_FREE, QuotaPlan

KEY = "unit-key"
DAY = dt.date(2025, 6, 2)


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(scope="module")
def data() -> Dataset:
    return bundled()


def make_app(data: Dataset, **kwargs: Any) -> tuple[MarketApp, FakeTime]:
    fake = FakeTime()
    app = MarketApp(
        data, api_keys=[KEY], rate_limit=None, sleep=fake.sleep, monotonic=fake.monotonic, **kwargs
    )
    return app, fake


def get(app: MarketApp, url: str, headers: dict[str, str] | None = None) -> market.Response:
    parts = urlsplit(url)
    return app.handle(Request("GET", parts.path, parse_qs(parts.query), headers or {}, b"", "http://h:1"))


def av(app: MarketApp, symbol: str = "AAPL", key: str = KEY, extra: str = "") -> Any:
    response = get(app, f"/query?function=TIME_SERIES_DAILY&symbol={symbol}&apikey={key}{extra}")
    assert response.status == 200  # Alpha Vantage answers every refusal with HTTP 200
    return response.json()


def tiingo(app: MarketApp, ticker: str, start: dt.date, end: dt.date, key: str = KEY) -> market.Response:
    return get(
        app,
        f"/tiingo/daily/{ticker}/prices?startDate={start}&endDate={end}",
        {"authorization": f"Token {key}"},
    )


def test_alphavantage_serves_the_latest_100_sessions_newest_first_as_strings(data: Dataset) -> None:
    # Given the server at the evening of the dataset's last session
    app, _ = make_app(data, alphavantage_plan={})
    # When Alpha Vantage's compact TIME_SERIES_DAILY is asked for AAPL
    body = av(app)
    series = body["Time Series (Daily)"]
    # Then it holds the last 100 sessions, newest first, each the dataset's bar as 4-decimal strings
    days = [dt.date.fromisoformat(d) for d in series]
    assert days == sorted(days, reverse=True) and len(days) == 100
    assert days[0] == data.last_session and body["Meta Data"]["2. Symbol"] == "AAPL"
    bar = data.bar("AAPL", days[-1])
    assert bar is not None
    row = series[days[-1].isoformat()]
    assert Decimal(row["1. open"]) == bar.open and Decimal(row["4. close"]) == bar.close
    assert row["5. volume"] == str(bar.volume) and isinstance(row["2. high"], str)
    assert app.stats.snapshot()["by_endpoint"] == {"av_daily": 1}


def test_alphavantage_refusals_are_http_200_notices(data: Dataset) -> None:
    app, _ = make_app(data, alphavantage_plan={})
    assert "apikey is invalid or missing" in av(app, key="wrong")["Error Message"]
    assert "Invalid API call" in av(app, symbol="ZZZZ")["Error Message"]
    assert "premium feature" in av(app, extra="&outputsize=full")["Information"]
    assert "Invalid API call" in av(app, extra="&datatype=xml")["Error Message"]
    assert (
        "Invalid API call"
        in get(app, f"/query?function=NOPE&symbol=AAPL&apikey={KEY}").json()["Error Message"]
    )


def test_alphavantage_burst_then_daily_quota_on_the_plan_windows(data: Dataset) -> None:
    # Given Alpha Vantage's free plan: 1 call per second, 25 per day
    app, clock = make_app(data)
    assert app.vendors.alphavantage.windows == ALPHAVANTAGE_FREE
    # When a second call follows within the second, Then the burst notice (per second, checked first)
    assert "Time Series (Daily)" in av(app)
    assert "1 request per second" in av(app)["Information"]
    # When 24 more calls come a second apart, Then they are served; the 26th within the day is the quota
    for _ in range(24):
        clock.now += 1.0
        assert "Time Series (Daily)" in av(app)
    clock.now += 1.0
    assert "25 requests per day" in av(app)["Information"]
    # And the refused calls counted in no window; a day later the key is served again
    assert app.vendors.alphavantage.used(KEY) == {"burst": 0, "daily": 25}
    clock.now += 86_400.0
    assert "Time Series (Daily)" in av(app)
    assert app.stats.snapshot()["by_endpoint"] == {"av_daily": 28}


def test_tiingo_serves_raw_and_adjusted_columns_with_midnight_utc_dates(data: Dataset) -> None:
    app, _ = make_app(data, tiingo_plan={})
    response = tiingo(app, "NVDA", DAY, DAY + dt.timedelta(days=6))
    rows = json.loads(response.body, parse_float=Decimal)
    expected = data.bars_between("NVDA", DAY, DAY + dt.timedelta(days=6))
    assert response.status == 200 and [r["date"] for r in rows] == [
        f"{b.day}T00:00:00.000Z" for b in expected
    ]
    assert [(r["open"], r["close"], r["volume"]) for r in rows] == [
        (b.open, b.close, b.volume) for b in expected
    ]
    assert all(r["adjClose"] == r["close"] and r["splitFactor"] == 1 for r in rows)
    assert app.stats.snapshot()["by_endpoint"] == {"tiingo_prices": 1}


def test_tiingo_refusals(data: Dataset) -> None:
    app, _ = make_app(data, tiingo_plan={})
    assert tiingo(app, "AAPL", DAY, DAY, key="wrong").status == 401
    no_token = get(app, f"/tiingo/daily/AAPL/prices?startDate={DAY}&endDate={DAY}")
    assert (no_token.status, no_token.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
    unknown = tiingo(app, "ZZZZ", DAY, DAY)
    assert (unknown.status, unknown.json()) == (404, {"detail": "Error: Ticker 'ZZZZ' not found"})
    assert tiingo(app, "AAPL", dt.date(2025, 7, 4), dt.date(2025, 7, 4)).json() == []  # a holiday: no rows


def test_tiingo_hourly_then_daily_allocation(data: Dataset) -> None:
    # Given Tiingo's free plan (50 an hour, 1,000 a day)
    app, clock = make_app(data)
    assert app.vendors.tiingo.windows == TIINGO_FREE
    for _ in range(50):
        assert tiingo(app, "AAPL", DAY, DAY).status == 200
    # When the 51st call comes within the hour, Then 429 naming the hourly allocation
    over = tiingo(app, "AAPL", DAY, DAY)
    assert (over.status, over.json()["detail"]) == (
        429,
        "Error: You have run over your hourly request allocation.",
    )
    # When 20 hours of 50 calls have been served, Then the daily allocation refuses the next hour's first call
    for _ in range(19):
        clock.now += 3_600.0
        assert all(tiingo(app, "AAPL", DAY, DAY).status == 200 for _ in range(50))
    clock.now += 3_600.0
    assert (
        tiingo(app, "AAPL", DAY, DAY).json()["detail"]
        == "Error: You have run over your daily request allocation."
    )
    assert app.vendors.tiingo.used(KEY) == {"hourly": 0, "daily": 1000}


def test_vendor_faults_are_said_in_each_vendors_words(data: Dataset) -> None:
    app, _ = make_app(data, alphavantage_plan={}, tiingo_plan={})
    app.faults.configure(
        market.FaultConfig.from_dict({"script": ["429", "503", "403"], "endpoints": ["av_daily"]})
    )
    assert "per second" in av(app)["Information"]
    assert get(app, f"/query?function=TIME_SERIES_DAILY&symbol=AAPL&apikey={KEY}").status == 503
    assert "premium" in av(app)["Information"]
    assert tiingo(app, "AAPL", DAY, DAY).status == 200  # the filter left Tiingo alone
    app.faults.configure(
        market.FaultConfig.from_dict({"script": ["wrong_date"], "endpoints": ["tiingo_prices"]})
    )
    assert tiingo(app, "AAPL", DAY, DAY).json()[0]["date"].startswith(str(DAY + dt.timedelta(days=1)))


def test_quota_plan_admits_only_when_every_window_has_room_and_the_admin_endpoint_replaces_it(
    data: Dataset,
) -> None:
    clock = FakeTime()
    plan = QuotaPlan({"burst": (2, 10.0), "daily": (3, 100.0)}, clock.monotonic)
    assert [plan.take("k") for _ in range(3)] == [None, None, "burst"]
    clock.now = 10.0
    assert [plan.take("k"), plan.take("k")] == [None, "daily"]
    assert plan.take("other") is None  # per key
    app, _ = make_app(data)
    ok = app.handle(
        Request("POST", "/_admin/plan/alphavantage", {}, {}, b'{"burst": {"calls": 5, "period_seconds": 2}}')
    )
    assert ok.status == 200 and app.vendors.alphavantage.windows == {"burst": (5, 2.0)}
    bad = app.handle(Request("POST", "/_admin/plan/tiingo", {}, {}, b'{"hourly": {"calls": 0}}'))
    assert bad.status == 400 and app.vendors.tiingo.windows == TIINGO_FREE


def test_a_plan_from_the_command_line() -> None:
    from movers.market.ratelimit import RateLimitConfigError
    from movers.market.vendors import parse_plan

    assert parse_plan("burst=1/1,daily=25/86400") == {"burst": (1, 1.0), "daily": (25, 86_400.0)}
    assert parse_plan("none") == {}
    for bad in ("burst", "burst=0/1", "=5/60", "daily=25/86400,hourly=x"):
        with pytest.raises(RateLimitConfigError, match=r"plan part|rate limit|calls >= 1"):
            parse_plan(bad)
