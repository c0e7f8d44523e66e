"""The market server's post-close revisions: configured through /_admin/revisions, served by every data
endpoint, refused when they name no bar, cleared by an empty set."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from movers.market.app import MarketApp, Request
from movers.market.dataset import Dataset, bundled

KEY = "k"
AUTH = {"authorization": f"Bearer {KEY}"}
DAY = "2021-03-02"


@pytest.fixture(scope="module")
def data() -> Dataset:
    return bundled()


def call(app: MarketApp, method: str, path: str, body: object = None) -> tuple[int, dict]:
    raw = b"" if body is None else json.dumps(body).encode()
    out = app.handle(Request(method, path, {}, AUTH, raw, "http://h:1"))
    return out.status, json.loads(out.body)


def test_a_revision_changes_the_bar_in_range_grouped_and_open_close_until_cleared(data: Dataset) -> None:
    # Given a server and a bar of the dataset
    app = MarketApp(data, api_keys=[KEY], rate_limit=None)
    ticker = data.tickers[0]
    original = data.bar(ticker, dt.date.fromisoformat(DAY))
    assert original is not None
    # When its close is revised
    revision = {"ticker": ticker, "date": DAY, "close": "123.45", "reason": "late print"}
    status, state = call(app, "POST", "/_admin/revisions", {"revisions": [revision]})
    # Then every data endpoint serves the revised close, and the set says what was revised and why
    assert status == 200
    assert state["revisions"] == [{"ticker": ticker, "date": DAY, "close": "123.45", "reason": "late print"}]
    _, rng = call(app, "GET", f"/v2/aggs/ticker/{ticker}/range/1/day/{DAY}/{DAY}")
    _, grouped = call(app, "GET", f"/v2/aggs/grouped/locale/us/market/stocks/{DAY}")
    _, oc = call(app, "GET", f"/v1/open-close/{ticker}/{DAY}")
    assert rng["results"][0]["c"] == 123.45 and rng["results"][0]["o"] == float(original.open)
    assert next(r for r in grouped["results"] if r["T"] == ticker)["c"] == 123.45
    assert oc["close"] == 123.45
    # When the set is cleared, the original bar is served again
    assert call(app, "POST", "/_admin/revisions", {"revisions": []})[0] == 200
    _, rng = call(app, "GET", f"/v2/aggs/ticker/{ticker}/range/1/day/{DAY}/{DAY}")
    assert rng["results"][0]["c"] == float(original.close)
    assert call(app, "GET", "/_admin/revisions")[1]["revisions"] == []


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"ticker": "NOPE", "date": DAY, "close": "1", "reason": "x"}, "no bar of NOPE"),
        (
            {"ticker": "AAPL", "date": "2021-03-06", "close": "1", "reason": "x"},
            "no bar of AAPL on 2021-03-06",
        ),
        ({"ticker": "AAPL", "date": DAY, "close": "1"}, "reason is required"),
        ({"ticker": "AAPL", "date": DAY, "reason": "x"}, "at least one of"),
        ({"ticker": "AAPL", "date": DAY, "close": "abc", "reason": "x"}, "close must be a number"),
        ({"ticker": "AAPL", "date": DAY, "volume": "1.5e", "reason": "x"}, "volume must be a number"),
        ({"ticker": "AAPL", "date": DAY, "colse": "1", "reason": "x"}, "unknown revision fields"),
    ],
)
def test_a_bad_revision_is_refused_and_changes_nothing(data: Dataset, entry: dict, message: str) -> None:
    app = MarketApp(data, api_keys=[KEY], rate_limit=None)
    kept = {"ticker": "AAPL", "date": DAY, "close": "9", "reason": "kept"}
    call(app, "POST", "/_admin/revisions", {"revisions": [kept]})
    status, body = call(app, "POST", "/_admin/revisions", {"revisions": [entry]})
    assert status == 400 and message in body["error"]
    assert call(app, "GET", "/_admin/revisions")[1]["revisions"][0]["reason"] == "kept"
