"""The local Massive-compatible server over real HTTP on loopback: the four endpoints for every ticker,
auth and rate-limit bodies, every fault kind, admin endpoints, pagination, CSV replay and the CLI."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from movers.market.app import MSG_PLAN, MSG_RATE, ms_to_session_date, session_close_ms, session_start_ms
from movers.market.dataset import Dataset, bundled
from movers.market.server import MarketServer, PortInUseError

KEY = "test-key-123"
AUTH = {"Authorization": f"Bearer {KEY}"}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data() -> Dataset:
    return bundled()


@pytest.fixture(scope="module")
def server() -> Iterator[MarketServer]:
    with MarketServer(api_key=KEY, rate_limit=None) as srv:
        yield srv


@pytest.fixture
def fresh(server: MarketServer) -> MarketServer:
    """The shared server with counters zeroed and no faults."""
    server.set_faults(None)
    server.set_now(None)
    server.reset()
    return server


def get(srv: MarketServer, path: str, **kwargs: object) -> requests.Response:
    kwargs.setdefault("headers", AUTH)
    kwargs.setdefault("timeout", 10)
    return requests.get(srv.url + path, **kwargs)  # type: ignore[arg-type]


def sample_sessions(data: Dataset) -> list[dt.date]:
    s = data.sessions
    return [s[0], s[len(s) // 3], s[2 * len(s) // 3], s[-1]]


def test_url_reports_the_bound_loopback_port(server: MarketServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}" and server.port > 0


def test_all_four_endpoints_for_every_ticker_on_sample_sessions(fresh: MarketServer, data: Dataset) -> None:
    for day in sample_sessions(data):
        grouped = get(fresh, f"/v2/aggs/grouped/locale/us/market/stocks/{day}").json()
        assert grouped["status"] == "OK" and grouped["resultsCount"] == len(data.tickers)
        by_ticker = {row["T"]: row for row in grouped["results"]}
        for ticker in data.tickers:
            bar = data.bar(ticker, day)
            assert bar is not None
            expected = {
                "o": float(bar.open),
                "h": float(bar.high),
                "l": float(bar.low),
                "c": float(bar.close),
            }
            row = by_ticker[ticker]
            assert {k: row[k] for k in expected} == expected and row["v"] == bar.volume
            assert row["t"] == session_close_ms(day)

            rng = get(fresh, f"/v2/aggs/ticker/{ticker}/range/1/day/{day}/{day}").json()
            assert rng["ticker"] == ticker and rng["resultsCount"] == 1
            assert rng["results"][0]["t"] == session_start_ms(day)
            assert {k: rng["results"][0][k] for k in expected} == expected

            oc = get(fresh, f"/v1/open-close/{ticker}/{day}").json()
            assert (oc["status"], oc["from"], oc["symbol"]) == ("OK", day.isoformat(), ticker)
            assert (oc["open"], oc["close"], oc["volume"]) == (expected["o"], expected["c"], bar.volume)

    for ticker in data.tickers:
        prev = get(fresh, f"/v2/aggs/ticker/{ticker}/prev").json()
        assert prev["resultsCount"] == 1 and prev["results"][0]["T"] == ticker
        assert ms_to_session_date(prev["results"][0]["t"]) == data.last_session
    stats = fresh.stats()
    assert stats["by_endpoint"]["grouped"] == 4 and stats["by_endpoint"]["prev"] == len(data.tickers)
    assert stats["by_status"] == {"200": stats["total"]}


def test_non_session_and_unknown_ticker_answers(fresh: MarketServer) -> None:
    empty = get(fresh, "/v2/aggs/grouped/locale/us/market/stocks/2023-01-01")
    assert empty.status_code == 200 and empty.json()["resultsCount"] == 0 and "results" not in empty.json()
    unknown = get(fresh, "/v2/aggs/ticker/ZZZZ/range/1/day/2024-01-01/2024-02-01").json()
    assert unknown["resultsCount"] == 0 and unknown["ticker"] == "ZZZZ"
    for path in ["/v1/open-close/AAPL/2023-01-01", "/v1/open-close/ZZZZ/2023-01-03", "/v9/nothing"]:
        response = get(fresh, path)
        body = response.json()
        assert response.status_code == 404
        assert (body["status"], body["message"]) == ("NOT_FOUND", "Data not found.") and body["request_id"]


def test_missing_and_wrong_key_are_401_with_massive_bodies(fresh: MarketServer) -> None:
    missing = get(fresh, "/v2/aggs/ticker/AAPL/prev", headers={})
    wrong = get(fresh, "/v2/aggs/ticker/AAPL/prev", headers={"Authorization": "Bearer not-the-key"})
    by_query = get(fresh, f"/v2/aggs/ticker/AAPL/prev?apiKey={KEY}", headers={})
    assert (missing.status_code, wrong.status_code, by_query.status_code) == (401, 401, 200)
    assert missing.json()["error"] == "API Key was not provided" and missing.json()["status"] == "ERROR"
    assert wrong.json()["error"] == "Unknown API Key" and wrong.json()["request_id"]
    assert fresh.stats()["by_status"] == {"200": 1, "401": 2}


def test_rate_limit_gives_429_with_the_exact_body_once_the_bucket_empties() -> None:
    with MarketServer(api_key=KEY, rate_limit=(3, 30.0)) as srv:
        responses = [get(srv, "/v2/aggs/ticker/MSFT/prev") for _ in range(4)]
        assert [r.status_code for r in responses] == [200, 200, 200, 429]
        body = responses[-1].json()
        assert set(body) == {"status", "request_id", "error"}
        assert body["status"] == "ERROR" and body["error"] == MSG_RATE
        assert body["error"] == (
            "You've exceeded the maximum requests per minute, please wait or upgrade your subscription "
            "to continue. https://massive.com/pricing"
        )
        assert srv.stats()["rate_limited"] == 1
        # reset refills the bucket; admin calls are free of the limit and not counted
        assert requests.post(srv.url + "/_admin/reset", timeout=10).json() == {"status": "OK"}
        assert get(srv, "/v2/aggs/ticker/MSFT/prev").status_code == 200
        assert requests.get(srv.url + "/_admin/stats", timeout=10).json()["total"] == 1


def test_plan_depth_gives_403_not_authorized() -> None:
    with MarketServer(api_key=KEY, rate_limit=None, history_days=730) as srv:
        response = get(srv, "/v2/aggs/ticker/AAPL/range/1/day/2020-01-01/2021-01-01")
        assert response.status_code == 403
        assert response.json()["status"] == "NOT_AUTHORIZED" and response.json()["message"] == MSG_PLAN


def test_pagination_via_next_url_with_a_small_limit(fresh: MarketServer, data: Dataset) -> None:
    url: str | None = f"{fresh.url}/v2/aggs/ticker/AMZN/range/1/day/2022-01-01/2022-12-31?limit=100&sort=desc"
    days: list[dt.date] = []
    calls = 0
    while url:
        body = requests.get(url, headers=AUTH, timeout=10).json()
        calls += 1
        days += [ms_to_session_date(r["t"]) for r in body["results"]]
        url = body.get("next_url")
        assert url is None or (url.startswith(fresh.url + "/") and "cursor=" in url and KEY not in url)
    expected = [b.day for b in data.bars_between("AMZN", dt.date(2022, 1, 1), dt.date(2022, 12, 31))]
    assert days == expected[::-1] and calls == 3


def test_gzip_when_the_client_asks_for_it(fresh: MarketServer) -> None:
    raw = requests.get(
        fresh.url + "/v2/aggs/ticker/AAPL/range/1/day/2024-01-01/2024-06-30",
        headers={**AUTH, "Accept-Encoding": "gzip"},
        timeout=10,
        stream=True,
    )
    assert raw.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(raw.raw.read()))["resultsCount"] > 100


@pytest.mark.parametrize(
    ("kind", "status"),
    [("429", 429), ("500", 500), ("502", 502), ("503", 503), ("5xx", 500)],
)
def test_error_faults_over_http(fresh: MarketServer, kind: str, status: int) -> None:
    fresh.set_faults([kind])
    response = get(fresh, "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-05")
    assert response.status_code == status
    assert response.json()["status"] == "ERROR" and response.json()["error"]
    assert get(fresh, "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-05").status_code == 200


def test_slow_malformed_missing_and_wrong_date_faults_over_http(fresh: MarketServer, data: Dataset) -> None:
    posted = requests.post(
        fresh.url + "/_admin/faults",
        json={
            "script": ["slow", "malformed", "missing", "wrong_date"],
            "slow_ms": 200,
            "drop_tickers": ["NVDA"],
        },
        timeout=10,
    )
    assert posted.status_code == 200 and posted.json()["script_remaining"] == 4
    path = "/v2/aggs/grouped/locale/us/market/stocks/2025-03-03"
    slow = get(fresh, path)
    assert slow.status_code == 200 and slow.json()["resultsCount"] == len(data.tickers)
    malformed = get(fresh, path)
    assert malformed.status_code == 200
    with pytest.raises(ValueError):
        malformed.json()
    missing = get(fresh, path).json()
    assert "NVDA" not in {r["T"] for r in missing["results"]}
    shifted = get(fresh, path).json()
    assert {ms_to_session_date(r["t"]) for r in shifted["results"]} == {dt.date(2025, 3, 4)}
    stats = requests.get(fresh.url + "/_admin/stats", timeout=10).json()
    assert stats["faults_injected"] == {"malformed": 1, "missing": 1, "slow": 1, "wrong_date": 1}


def test_fault_filter_by_ticker_and_seeded_probability(fresh: MarketServer) -> None:
    fresh.set_faults({"probability": 1.0, "kinds": ["503"], "tickers": ["TSLA"], "endpoints": ["range"]})
    assert get(fresh, "/v2/aggs/ticker/TSLA/range/1/day/2024-01-02/2024-01-05").status_code == 503
    assert get(fresh, "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-05").status_code == 200
    assert get(fresh, "/v2/aggs/ticker/TSLA/prev").status_code == 200

    def run() -> list[int]:
        fresh.set_faults({"probability": 0.4, "kinds": ["500"], "seed": 3})
        return [get(fresh, "/v2/aggs/ticker/AAPL/prev").status_code for _ in range(15)]

    first = run()
    assert first == run() and {200, 500} == set(first)


def test_a_timeout_fault_outlasts_the_client_read_timeout_and_the_server_carries_on(
    fresh: MarketServer,
) -> None:
    # Given a request held 1.5 s against a client that waits 0.5 s
    fresh.set_faults({"script": ["timeout"], "timeout_ms": 1500})
    with pytest.raises(requests.Timeout):
        get(fresh, "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-02", timeout=0.5)
    # Then the server serves the next request as usual, and counted both arrivals
    assert get(fresh, "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-02").status_code == 200
    arrivals = requests.get(fresh.url + "/_admin/arrivals", params={"window": "60"}, timeout=10).json()
    assert len(arrivals["arrivals"]) == 2 and arrivals["peak"] == 2 and fresh.peak(60.0) == 2


def test_bad_fault_config_over_admin_is_400(fresh: MarketServer) -> None:
    response = requests.post(fresh.url + "/_admin/faults", data=b'{"script": ["explode"]}', timeout=10)
    assert response.status_code == 400 and "unknown fault kind" in response.json()["error"]


def test_csv_replay(tmp_path: Path) -> None:
    csv_path = tmp_path / "crafted.csv"
    csv_path.write_text(
        "ticker,date,open,high,low,close,volume\n"
        "AAPL,2024-07-01,100,110,95,105,1000\n"
        "TSLA,2024-07-01,200,230,190,228.5,2000\n"
        "AAPL,2024-07-02,105,106,90,91,1500\n"
    )
    with MarketServer(dataset=csv_path, api_key=KEY, rate_limit=None) as srv:
        grouped = get(srv, "/v2/aggs/grouped/locale/us/market/stocks/2024-07-01").json()
        assert [(r["T"], r["o"], r["c"]) for r in grouped["results"]] == [
            ("AAPL", 100, 105),
            ("TSLA", 200, 228.5),
        ]
        # "now" defaults to the last session of the replayed data
        prev = get(srv, "/v2/aggs/ticker/AAPL/prev").json()
        assert ms_to_session_date(prev["results"][0]["t"]) == dt.date(2024, 7, 2)
        assert get(srv, "/v2/aggs/ticker/TSLA/prev").json()["resultsCount"] == 0


def test_second_server_on_a_taken_port_is_a_named_error(server: MarketServer) -> None:
    with pytest.raises(PortInUseError, match=f"port {server.port} .* already in use"):
        MarketServer(port=server.port).start()


def _cli(*args: str, env_key: str | None = KEY) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("MARKET_API_KEY", None)
    if env_key:
        env["MARKET_API_KEY"] = env_key
    return subprocess.Popen(
        [sys.executable, "-m", "movers.market", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_cli_serves_until_sigterm_and_never_logs_the_key() -> None:
    proc = _cli("--port", "0", "--rate-limit", "none", "--faults", '["503"]')
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/v2/aggs/ticker/AAPL/prev?apiKey={KEY}", timeout=10).status_code == 503
        assert requests.get(f"{url}/v2/aggs/ticker/AAPL/prev?apiKey={KEY}", timeout=10).status_code == 200
        assert requests.get(f"{url}/v2/aggs/ticker/AAPL/prev", headers=AUTH, timeout=10).status_code == 200
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "apiKey=REDACTED" in err and KEY not in err
    assert "market server stopped" in err


def test_cli_reports_a_taken_port_in_one_line(server: MarketServer) -> None:
    proc = _cli("--port", str(server.port))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2 and out == ""
    assert err.strip().splitlines() == [f"market server: port {server.port} on 127.0.0.1 is already in use"]


def test_cli_rejects_a_bad_csv_in_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("ticker,date,open,high,low,close,volume\nAAPL,2024-07-01,1,2,0.5,1.5,x\n")
    proc = _cli("--port", "0", "--csv", str(bad))
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [f"market server: {bad}:2: volume 'x' is not a number"]


# -- a generated SYNTHETIC universe over real HTTP ----------------------------------------------------------


@pytest.fixture(scope="module")
def universe_server() -> Iterator[MarketServer]:
    with MarketServer(api_key=KEY, rate_limit=None, universe=500, universe_seed=1) as srv:
        yield srv


def test_a_500_ticker_universe_serves_every_ticker_in_one_grouped_call(
    universe_server: MarketServer, data: Dataset
) -> None:
    source = universe_server.dataset
    day = source.sessions[-1]
    path = f"/v2/aggs/grouped/locale/us/market/stocks/{day}"
    everything = get(universe_server, f"{path}?include_otc=true", headers={**AUTH, "Accept-Encoding": "gzip"})
    assert everything.status_code == 200 and everything.headers["Content-Encoding"] == "gzip"
    rows = everything.json()["results"]
    assert [r["T"] for r in rows] == list(source.tickers) and len(rows) == 500
    assert all(ms_to_session_date(r["t"]) == day for r in rows)
    otc = {r["T"] for r in rows if r.get("otc") is True}
    default = get(universe_server, path).json()
    assert otc and default["resultsCount"] == 500 - len(otc)
    assert not otc & {r["T"] for r in default["results"]}
    for ticker in data.tickers:  # the bundled tickers keep their bars
        row = next(r for r in rows if r["T"] == ticker)
        bar = data.bar(ticker, day)
        assert bar is not None and (row["o"], row["c"], row["v"]) == (
            float(bar.open),
            float(bar.close),
            bar.volume,
        )
    health = get(universe_server, "/_admin/health").json()
    assert health["sources"] == ["SYNTHETIC"] and health["universe"]["size"] == 500


def test_the_massive_adapter_reads_a_generated_tickers_year_over_http(universe_server: MarketServer) -> None:
    from stock_movers.providers import make_provider

    source = universe_server.dataset
    ticker = next(t for t in source.tickers if t not in bundled().tickers)
    end = source.sessions[-1]
    start = end - dt.timedelta(days=365)
    provider = make_provider("massive", api_key=KEY, base_url=universe_server.url)
    result = provider.range_bars(ticker, start, end)
    expected = source.bars_between(ticker, start, end)
    assert len(result.bars) == len(expected) > 240 and result.calls == 1
    assert [(b.date, b.open, b.close, int(b.volume)) for b in result.bars] == [
        (b.day, b.open, b.close, b.volume) for b in expected
    ]


def test_cli_serves_a_universe_and_rejects_an_impossible_one() -> None:
    proc = _cli("--port", "0", "--rate-limit", "none", "--quiet", "--universe", "200", "--universe-seed", "9")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        health = requests.get(f"{url}/_admin/health", timeout=10).json()
        assert len(health["tickers"]) == 200 and health["universe"]["seed"] == 9
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0
    bad = _cli("--port", "0", "--universe", "5")
    _, err = bad.communicate(timeout=30)
    assert bad.returncode == 2 and "cannot hold the base dataset's 10 tickers" in err
