"""The market server's request handling without sockets: time conventions, routing, Massive's envelopes and
error bodies, plan depth, rate limit, pagination cursors, the clock, admin endpoints and each fault kind."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from movers.market import app as market
from movers.market.app import MarketApp, Request, peak_in_window
from movers.market.dataset import Dataset, bundled
from movers.market.faults import FaultConfig
from stock_movers.domain.calendar import NEW_YORK

KEY = "unit-key"
AUTH = {"authorization": f"Bearer {KEY}"}


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


@pytest.fixture(scope="module")
def data() -> Dataset:
    return bundled()


def make_app(data: Dataset, **kwargs: Any) -> tuple[MarketApp, FakeTime]:
    fake = FakeTime()
    kwargs.setdefault("rate_limit", None)
    app = MarketApp(data, api_keys=[KEY], sleep=fake.sleep, monotonic=fake.monotonic, **kwargs)
    return app, fake


def get(app: MarketApp, url: str, headers: dict[str, str] | None = None) -> market.Response:
    parts = urlsplit(url)
    return app.handle(
        Request(
            "GET", parts.path, parse_qs(parts.query), AUTH if headers is None else headers, b"", "http://h:1"
        )
    )


# -- time conventions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start_ms", "close_ms"),
    [
        (dt.date(2020, 1, 2), 1577941200000, 1577998800000),  # Massive range example (EST)
        (dt.date(2023, 1, 9), 1673240400000, 1673298000000),  # TTMI capture: range and grouped
        (dt.date(2020, 10, 14), 1602648000000, 1602705600000),  # grouped example (EDT)
        (dt.date(2020, 11, 10), 1604984400000, 1605042000000),  # prev example
    ],
)
def test_t_matches_massive_conventions(day: dt.date, start_ms: int, close_ms: int) -> None:
    assert market.session_start_ms(day) == start_ms
    assert market.session_close_ms(day) == close_ms
    assert market.ms_to_session_date(start_ms) == market.ms_to_session_date(close_ms) == day


def test_parse_day_accepts_dates_and_ms_bounds() -> None:
    assert market.parse_day("2020-01-02", "from") == dt.date(2020, 1, 2)
    midnight = market.session_start_ms(dt.date(2020, 1, 4))
    assert market.parse_day(str(midnight), "from") == dt.date(2020, 1, 4)
    assert market.parse_day(str(midnight + 1), "from") == dt.date(2020, 1, 5)
    assert market.parse_day(str(midnight + 1), "to", upper_bound=True) == dt.date(2020, 1, 4)
    with pytest.raises(market.BadParameter, match="Could not parse the time parameter: 'from'"):
        market.parse_day("2020-02-30", "from")
    with pytest.raises(market.BadParameter):
        market.parse_day("99999999999999999999", "to")


def test_cursor_round_trip_and_tamper() -> None:
    assert market.decode_cursor(market.encode_cursor(10, 5, "desc")) == (10, 5, "desc")
    for bad in ["!!", "b2Zmc2V0PTE", market.encode_cursor(0, 0, "asc")]:
        with pytest.raises(market.BadParameter, match="Invalid cursor"):
            market.decode_cursor(bad)


def test_route_matches_the_four_paths_only() -> None:
    assert market.route("/v2/aggs/ticker/AAPL/range/1/day/2020-01-01/2020-02-01") == market.Route(
        "range", "AAPL", ("1", "day", "2020-01-01", "2020-02-01")
    )
    assert market.route("/v2/aggs/grouped/locale/us/market/stocks/2024-01-02").endpoint == "grouped"  # type: ignore[union-attr]
    assert market.route("/v2/aggs/ticker/AAPL/prev").endpoint == "prev"  # type: ignore[union-attr]
    assert market.route("/v1/open-close/AAPL/2024-01-02").endpoint == "open_close"  # type: ignore[union-attr]
    assert market.route("/v3/reference/tickers") is None
    assert market.route("/v2/aggs/ticker/AAPL") is None


# -- endpoints ------------------------------------------------------------------------------------------


def test_range_returns_massive_envelope_with_start_of_day_t(data: Dataset) -> None:
    app, _ = make_app(data)
    body = get(app, "/v2/aggs/ticker/AAPL/range/1/day/2020-01-01/2020-01-10").json()
    expected_days = [b.day for b in data.bars_between("AAPL", dt.date(2020, 1, 1), dt.date(2020, 1, 10))]
    assert body["status"] == "OK" and body["ticker"] == "AAPL" and body["adjusted"] is True
    assert body["resultsCount"] == body["queryCount"] == len(expected_days) == 7
    assert [market.ms_to_session_date(r["t"]) for r in body["results"]] == expected_days
    assert all(
        r["t"] == market.session_start_ms(d) for r, d in zip(body["results"], expected_days, strict=True)
    )
    first = data.bar("AAPL", dt.date(2020, 1, 2))
    assert first is not None
    assert body["results"][0]["o"] == float(first.open) and body["results"][0]["v"] == first.volume
    assert set(body["results"][0]) == {"o", "h", "l", "c", "v", "vw", "t", "n"}
    assert "next_url" not in body and len(body["request_id"]) == 32


def test_range_sort_desc_and_ms_bounds(data: Dataset) -> None:
    app, _ = make_app(data)
    start = market.session_start_ms(dt.date(2020, 1, 3))
    body = get(app, f"/v2/aggs/ticker/MSFT/range/1/day/{start}/2020-01-08?sort=desc").json()
    days = [market.ms_to_session_date(r["t"]) for r in body["results"]]
    assert days == [dt.date(2020, 1, 8), dt.date(2020, 1, 7), dt.date(2020, 1, 6), dt.date(2020, 1, 3)]


def test_range_pages_with_next_url_cursor(data: Dataset) -> None:
    app, _ = make_app(data)
    url = "/v2/aggs/ticker/NVDA/range/1/day/2021-01-01/2021-03-01?limit=15"
    seen: list[int] = []
    pages = 0
    while url:
        body = get(app, url).json()
        seen += [r["t"] for r in body.get("results", [])]
        pages += 1
        next_url = body.get("next_url")
        assert next_url is None or next_url.startswith("http://h:1/v2/aggs/ticker/NVDA/range/1/day/")
        url = next_url.removeprefix("http://h:1") if next_url else ""
    expected = data.bars_between("NVDA", dt.date(2021, 1, 1), dt.date(2021, 3, 1))
    assert seen == [market.session_start_ms(b.day) for b in expected]
    assert pages == -(-len(expected) // 15)


def test_range_limit_is_capped_and_validated(data: Dataset) -> None:
    app, _ = make_app(data)
    body = get(app, "/v2/aggs/ticker/TSLA/range/1/day/2020-01-01/2026-12-31?limit=999999").json()
    assert body["resultsCount"] == len(data.sessions) and "next_url" not in body
    for query in ["limit=0", "limit=abc", "sort=up", "adjusted=maybe"]:
        response = get(app, f"/v2/aggs/ticker/TSLA/range/1/day/2020-01-01/2020-02-01?{query}")
        assert response.status == 400 and response.json()["status"] == "ERROR"


def test_range_unknown_ticker_or_empty_range_is_200_without_results(data: Dataset) -> None:
    app, _ = make_app(data)
    for path in [
        "/v2/aggs/ticker/NOPE/range/1/day/2020-01-01/2020-02-01",
        "/v2/aggs/ticker/AAPL/range/1/day/2020-01-04/2020-01-05",  # a weekend
        "/v2/aggs/ticker/AAPL/range/1/day/2020-02-01/2020-01-01",  # from after to
    ]:
        response = get(app, path)
        body = response.json()
        assert response.status == 200
        assert body["resultsCount"] == 0 and "results" not in body and body["status"] == "OK"


def test_range_other_timespans_are_400(data: Dataset) -> None:
    app, _ = make_app(data)
    assert get(app, "/v2/aggs/ticker/AAPL/range/5/minute/2020-01-01/2020-01-02").status == 400


def test_grouped_lists_every_ticker_at_close_time(data: Dataset) -> None:
    app, _ = make_app(data)
    body = get(app, "/v2/aggs/grouped/locale/us/market/stocks/2023-01-09").json()
    assert [r["T"] for r in body["results"]] == list(data.tickers)
    assert {r["t"] for r in body["results"]} == {1673298000000}
    assert body["resultsCount"] == body["queryCount"] == len(data.tickers)
    holiday = get(app, "/v2/aggs/grouped/locale/us/market/stocks/2023-01-16").json()  # MLK day
    assert holiday["resultsCount"] == 0 and "results" not in holiday


def test_prev_is_the_last_session_by_default_and_follows_the_clock(data: Dataset) -> None:
    app, _ = make_app(data)
    body = get(app, "/v2/aggs/ticker/TSLA/prev").json()
    assert body["results"][0]["T"] == "TSLA"
    assert body["results"][0]["t"] == market.session_close_ms(data.last_session)
    # Saturday 2024-03-09: prev is Friday's session
    app.set_now(dt.datetime(2024, 3, 9, 12, tzinfo=NEW_YORK))
    body = get(app, "/v2/aggs/ticker/TSLA/prev").json()
    assert market.ms_to_session_date(body["results"][0]["t"]) == dt.date(2024, 3, 8)
    # the clock hides later data from every endpoint
    later = get(app, "/v2/aggs/ticker/TSLA/range/1/day/2024-03-01/2024-03-31").json()
    assert market.ms_to_session_date(later["results"][-1]["t"]) == dt.date(2024, 3, 8)
    assert get(app, "/v1/open-close/TSLA/2024-03-11").status == 404
    assert get(app, "/v2/aggs/ticker/NOPE/prev").json()["resultsCount"] == 0


def test_open_close_flat_object_and_not_found(data: Dataset) -> None:
    app, _ = make_app(data)
    body = get(app, "/v1/open-close/GOOGL/2022-06-01").json()
    bar = data.bar("GOOGL", dt.date(2022, 6, 1))
    assert bar is not None
    assert body == {
        "status": "OK",
        "from": "2022-06-01",
        "symbol": "GOOGL",
        "open": float(bar.open),
        "high": float(bar.high),
        "low": float(bar.low),
        "close": float(bar.close),
        "volume": bar.volume,
        "afterHours": float(bar.close),
        "preMarket": float(bar.open),
    }
    for path in ["/v1/open-close/GOOGL/2022-06-04", "/v1/open-close/NOPE/2022-06-01"]:
        response = get(app, path)
        assert response.status == 404
        assert set(response.json()) == {"status", "request_id", "message"}
        assert response.json()["message"] == "Data not found."


# -- access control ---------------------------------------------------------------------------------------


def test_auth_by_header_or_query_and_exact_error_bodies(data: Dataset) -> None:
    app, _ = make_app(data)
    path = "/v2/aggs/ticker/AAPL/prev"
    assert get(app, f"{path}?apiKey={KEY}", headers={}).status == 200
    missing = get(app, path, headers={})
    wrong = get(app, path, headers={"authorization": "Bearer nope"})
    assert missing.status == wrong.status == 401
    assert {k: v for k, v in missing.json().items() if k != "request_id"} == {
        "status": "ERROR",
        "error": "API Key was not provided",
    }
    assert wrong.json()["error"] == "Unknown API Key" and "request_id" in wrong.json()
    assert b"nope" not in wrong.body


def test_rate_limit_429_with_massive_body_until_the_window_passes(data: Dataset) -> None:
    app, fake = make_app(data, rate_limit=(3, 30.0))
    statuses = [get(app, "/v2/aggs/ticker/AAPL/prev").status for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    body = get(app, "/v2/aggs/ticker/AAPL/prev").json()
    assert body["status"] == "ERROR" and body["error"] == market.MSG_RATE
    assert body["error"].startswith("You've exceeded the maximum requests per minute")
    fake.now += 29.9  # the three calls are still inside the 30 s window
    assert get(app, "/v2/aggs/ticker/AAPL/prev").status == 429
    fake.now += 0.1  # now they are not
    assert [get(app, "/v2/aggs/ticker/AAPL/prev").status for _ in range(4)] == [200, 200, 200, 429]
    assert app.stats.snapshot()["rate_limited"] == 4
    assert app.stats.peak(30.0) == 6  # every arrival counts there, the 429s too (5 at 0 s, 1 at 29.9 s)
    assert peak_in_window([t for t, s in app.stats.arrivals() if s == 200], 30.0) == 3


def test_admin_rate_limit_and_arrivals(data: Dataset) -> None:
    # Given a plan of 1 per 5 s set at run time, two calls at once: one admitted, one refused, and the
    # arrivals endpoint reports both with the peak of the plan's window.
    app, _ = make_app(data, rate_limit=(5, 60.0))
    set_plan = app.handle(Request("POST", "/_admin/rate-limit", body=b'{"calls": 1, "period_seconds": 5}'))
    assert set_plan.status == 200 and set_plan.json()["rate_limit"] == {"calls": 1, "period_seconds": 5.0}
    assert [get(app, "/v2/aggs/ticker/AAPL/prev").status for _ in range(2)] == [200, 429]
    arrivals = app.handle(Request("GET", "/_admin/arrivals")).json()
    assert [a["status"] for a in arrivals["arrivals"]] == [200, 429]
    assert (arrivals["limit"], arrivals["window_seconds"], arrivals["peak"]) == (1, 5.0, 2)
    bad = app.handle(Request("POST", "/_admin/rate-limit", body=b'{"calls": 0, "period_seconds": 5}'))
    assert bad.status == 400
    assert app.handle(Request("POST", "/_admin/rate-limit", body=b"null")).status == 200
    assert app.limiter.limit is None


def test_history_days_gives_403_not_authorized(data: Dataset) -> None:
    app, _ = make_app(data, history_days=730)
    old = get(app, "/v2/aggs/ticker/AAPL/range/1/day/2020-01-01/2020-02-01")
    assert old.status == 403
    assert old.json()["status"] == "NOT_AUTHORIZED" and old.json()["message"] == market.MSG_PLAN
    assert get(app, "/v1/open-close/AAPL/2020-06-01").status == 403
    assert get(app, "/v2/aggs/grouped/locale/us/market/stocks/2020-06-01").status == 403
    assert get(app, "/v2/aggs/ticker/AAPL/range/1/day/2026-01-01/2026-02-01").status == 200


def test_bad_path_is_404_not_found(data: Dataset) -> None:
    app, _ = make_app(data)
    response = get(app, "/v3/trades/AAPL")
    assert response.status == 404 and response.json()["status"] == "NOT_FOUND"


# -- faults ---------------------------------------------------------------------------------------------


def test_each_fault_kind_changes_the_answer_as_documented(data: Dataset) -> None:
    script = ["429", "500", "502", "503", "slow", "malformed", "wrong_date", "missing", "ok"]
    app, fake = make_app(
        data, faults=FaultConfig.from_dict({"script": script, "slow_ms": 250, "drop_tickers": ["AMD"]})
    )
    path = "/v2/aggs/grouped/locale/us/market/stocks/2024-05-01"
    responses = [get(app, path) for _ in script]
    assert [r.status for r in responses[:4]] == [429, 500, 502, 503]
    assert responses[0].json()["error"] == market.MSG_RATE
    assert all(r.json()["status"] == "ERROR" and "error" in r.json() for r in responses[1:4])
    assert fake.slept == [0.25] and responses[4].json()["resultsCount"] == len(data.tickers)
    with pytest.raises(json.JSONDecodeError):
        json.loads(responses[5].body)
    assert responses[5].status == 200
    shifted = responses[6].json()["results"]
    assert {market.ms_to_session_date(r["t"]) for r in shifted} == {dt.date(2024, 5, 2)}
    missing = responses[7].json()
    assert (
        "AMD" not in [r["T"] for r in missing["results"]] and missing["resultsCount"] == len(data.tickers) - 1
    )
    assert responses[8].json()["resultsCount"] == len(data.tickers)
    stats = app.stats.snapshot()
    assert stats["faults_injected"] == {k: 1 for k in script if k != "ok"}
    assert stats["by_status"] == {"200": 5, "429": 1, "500": 1, "502": 1, "503": 1}


def test_missing_and_wrong_date_on_per_ticker_endpoints(data: Dataset) -> None:
    config = {"script": ["missing", "missing", "wrong_date", "wrong_date"], "drop_tickers": ["TSLA"]}
    app, _ = make_app(data, faults=FaultConfig.from_dict(config))
    assert get(app, "/v2/aggs/ticker/TSLA/range/1/day/2024-05-01/2024-05-03").json()["resultsCount"] == 0
    assert get(app, "/v1/open-close/TSLA/2024-05-01").status == 404
    body = get(app, "/v2/aggs/ticker/TSLA/prev").json()
    assert body["results"][0]["t"] == market.session_close_ms(data.last_session) + market.DAY_MS
    assert get(app, "/v1/open-close/TSLA/2024-05-01").json()["from"] == "2024-05-02"


def test_faults_are_not_drawn_for_rejected_requests(data: Dataset) -> None:
    app, _ = make_app(data, faults=FaultConfig.from_dict(["500"]))
    assert get(app, "/v2/aggs/ticker/AAPL/prev", headers={}).status == 401
    assert get(app, "/nope").status == 404
    assert get(app, "/v2/aggs/ticker/AAPL/prev").status == 500


# -- admin ----------------------------------------------------------------------------------------------


def admin(app: MarketApp, method: str, name: str, body: object = None) -> market.Response:
    raw = b"" if body is None else json.dumps(body).encode()
    return app.handle(Request(method, f"/_admin/{name}", {}, {}, raw))


def test_admin_stats_reset_faults_clock_need_no_key_and_are_not_counted(data: Dataset) -> None:
    app, _ = make_app(data, rate_limit=(1, 60.0))
    get(app, "/v2/aggs/ticker/AAPL/prev")
    get(app, "/v2/aggs/ticker/AAPL/prev")
    stats = admin(app, "GET", "stats").json()
    assert stats["total"] == 2 and stats["by_status"] == {"200": 1, "429": 1}
    assert stats["by_endpoint"] == {"prev": 2} and stats["by_ticker"] == {"AAPL": 2}
    assert admin(app, "POST", "reset").status == 200
    assert admin(app, "GET", "stats").json()["total"] == 0
    assert get(app, "/v2/aggs/ticker/AAPL/prev").status == 200  # bucket refilled
    state = admin(app, "POST", "faults", {"script": ["503"]}).json()
    assert state["script"] == ["503"] and state["script_remaining"] == 1
    assert admin(app, "POST", "faults", {"script": ["boom"]}).status == 400
    assert (
        admin(app, "POST", "clock", {"now": "2024-03-09T12:00:00-05:00"})
        .json()["now"]
        .startswith("2024-03-09")
    )
    assert admin(app, "POST", "clock", {"now": "yesterday"}).status == 400
    health = admin(app, "GET", "health").json()
    assert health["last_session"] == data.last_session.isoformat() and health["now"].startswith("2024-03-09")
    assert admin(app, "GET", "nothing").status == 404
    assert admin(app, "GET", "stats").json()["total"] == 1


def test_an_arrival_is_recorded_when_the_request_comes_in_not_when_it_is_served(data: Dataset) -> None:
    # Given a slow answer (the fake clock moves 2 s while the request is served), then its arrival time is
    # the instant it came in, the one the rate limit counted.
    app, fake = make_app(data, faults=FaultConfig(script=("slow",), slow_ms=2000))
    app._sleep = lambda seconds: setattr(fake, "now", fake.now + seconds)
    fake.now = 10.0
    assert get(app, "/v2/aggs/ticker/AAPL/prev").status == 200
    assert fake.now == 12.0 and app.stats.arrivals() == [(10.0, 200)]
