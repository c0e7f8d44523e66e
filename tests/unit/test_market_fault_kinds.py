"""The market server's chaos fault kinds (empty, bad numbers, timeout, 401, 403), the `dates` filter and
the arrival log behind GET /_admin/arrivals, without sockets."""

from __future__ import annotations

import json
from typing import Any

import pytest

from movers.market.app import MSG_BAD_KEY, MSG_PLAN, MarketApp, Request, Response
from movers.market.dataset import Dataset, bundled
from movers.market.faults import BAD_NUMBERS, FaultConfig, FaultConfigError

KEY = "unit-key"
AUTH = {"authorization": f"Bearer {KEY}"}
DAY = "2024-05-01"
RANGE = f"/v2/aggs/ticker/AAPL/range/1/day/{DAY}/{DAY}"


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


def make_app(
    data: Dataset, faults: dict[str, Any] | None = None, **kwargs: Any
) -> tuple[MarketApp, FakeTime]:
    fake = FakeTime()
    kwargs.setdefault("rate_limit", None)
    app = MarketApp(
        data,
        api_keys=[KEY],
        sleep=fake.sleep,
        monotonic=fake.monotonic,
        faults=FaultConfig.from_dict(faults),
        **kwargs,
    )
    return app, fake


def get(app: MarketApp, path: str, query: dict[str, list[str]] | None = None) -> Response:
    return app.handle(Request("GET", path, query or {}, AUTH, b"", "http://h:1"))


def test_empty_answers_ok_without_results_on_every_endpoint(data: Dataset) -> None:
    # Given every request faulted with "empty"
    app, _ = make_app(data, {"script": ["empty"] * 3})
    # When the range, grouped and open-close endpoints are asked for a session
    ranged = get(app, RANGE)
    grouped = get(app, f"/v2/aggs/grouped/locale/us/market/stocks/{DAY}")
    open_close = get(app, f"/v1/open-close/AAPL/{DAY}")
    # Then they hold no bar at all (open-close: Massive's 404)
    assert ranged.status == 200 and ranged.json()["resultsCount"] == 0 and "results" not in ranged.json()
    assert grouped.status == 200 and grouped.json()["resultsCount"] == 0
    assert open_close.status == 404


@pytest.mark.parametrize("mode", BAD_NUMBERS)
def test_bad_numbers_corrupt_the_served_bar_as_the_mode_says(data: Dataset, mode: str) -> None:
    app, _ = make_app(data, {"script": ["bad_numbers"], "bad_numbers": mode})
    clean, _ = make_app(data)
    bar = get(app, RANGE).json()["results"][0]
    good = get(clean, RANGE).json()["results"][0]
    assert bar != good
    if mode == "huge":
        assert bar["c"] == bar["h"] == 1e15
    elif mode == "inverted":
        assert bar["h"] < bar["l"]
    elif mode == "negative":
        assert bar["o"] < 0 and bar["l"] < 0
    elif mode == "zero_open":
        assert bar["o"] == 0
    else:
        assert bar["v"] > 2**63
    # and the next request is served clean again (the script is used up)
    assert get(app, RANGE).json()["results"][0] == good


def test_bad_numbers_on_open_close(data: Dataset) -> None:
    app, _ = make_app(data, {"script": ["bad_numbers"], "bad_numbers": "zero_open"})
    body = get(app, f"/v1/open-close/AAPL/{DAY}").json()
    assert body["open"] == 0 and body["preMarket"] == 0


def test_timeout_holds_the_request_then_answers_504(data: Dataset) -> None:
    app, fake = make_app(data, {"script": ["timeout"], "timeout_ms": 11_500})
    response = get(app, RANGE)
    assert fake.slept == [11.5] and response.status == 504 and response.json()["status"] == "ERROR"


def test_auth_and_plan_faults_answer_like_massive(data: Dataset) -> None:
    app, _ = make_app(data, {"script": ["401", "plan"]})
    revoked, downgraded = get(app, RANGE), get(app, RANGE)
    assert revoked.status == 401 and revoked.json()["error"] == MSG_BAD_KEY
    assert downgraded.status == 403 and downgraded.json() == {
        "status": "NOT_AUTHORIZED",
        "request_id": downgraded.json()["request_id"],
        "message": MSG_PLAN,
    }
    assert app.stats.snapshot()["faults_injected"] == {"401": 1, "403": 1}


def test_dates_filter_only_faults_requests_for_listed_sessions(data: Dataset) -> None:
    # Given a fault script limited to one session
    app, _ = make_app(data, {"script": ["500", "500"], "dates": [DAY]})
    # When a backfill-like range, the previous close and another day are asked for, they are served
    assert get(app, "/v2/aggs/ticker/AAPL/range/1/day/2024-04-29/2024-05-03").status == 200
    assert get(app, "/v2/aggs/ticker/AAPL/prev").status == 200
    assert get(app, "/v2/aggs/ticker/AAPL/range/1/day/2024-05-02/2024-05-02").status == 200
    # Then only the listed session's requests consume the script
    assert get(app, RANGE).status == 500
    assert get(app, f"/v2/aggs/grouped/locale/us/market/stocks/{DAY}").status == 500
    assert get(app, RANGE).status == 200


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ({"bad_numbers": "weird"}, "bad_numbers"),
        ({"timeout_ms": 40_000}, "timeout_ms"),
        ({"dates": ["2024-13-01"]}, "dates"),
        ({"dates": "2024-05-01"}, "dates"),
    ],
)
def test_bad_new_settings_are_named_errors(config: dict[str, Any], fragment: str) -> None:
    with pytest.raises(FaultConfigError, match=fragment):
        FaultConfig.from_dict(config)


def test_peak_counts_arrivals_in_any_window_including_refused_ones(data: Dataset) -> None:
    # Given a 2-calls-per-10-s plan and requests arriving at t = 0, 1, 2, 9.5, 10.5, 30
    app, fake = make_app(data, rate_limit=(2, 10.0))
    for t in (0.0, 1.0, 2.0, 9.5, 10.5, 30.0):
        fake.now = t
        get(app, RANGE)
    # Then the peak in a 10 s window counts the refused (429) call too: 0, 1, 2, 9.5 -> 4
    assert app.stats.peak(10.0) == 4
    assert app.stats.peak(1.0) == 1 and app.stats.peak(1.5) == 2
    # and the admin endpoint reports it, by default over the plan's window, without counting itself
    body = app.handle(Request("GET", "/_admin/arrivals", {}, {}, b"")).json()
    assert body["peak"] == 4 and len(body["arrivals"]) == 6 and body["window_seconds"] == 10.0
    assert body["limit"] == 2
    query = {"window": ["1.5"]}
    assert app.handle(Request("GET", "/_admin/arrivals", query, {}, b"")).json()["peak"] == 2
    assert app.handle(Request("GET", "/_admin/arrivals", {"window": ["-1"]}, {}, b"")).status == 400
    # and a reset forgets them
    app.reset()
    assert app.stats.peak(10.0) == 0


def test_unauthenticated_requests_arrive_too(data: Dataset) -> None:
    app, _ = make_app(data)
    app.handle(Request("GET", RANGE, {}, {}, b""))
    assert app.stats.peak(1.0) == 1
    assert json.loads(app.handle(Request("GET", "/_admin/stats", {}, {}, b"")).body)["total"] == 1
