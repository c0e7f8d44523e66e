"""Benchmark: requests/second the local market server sustains on loopback (no rate limit).

`run(seconds)` starts a server on a free port, drives it from a few client threads (each with its own
requests.Session, keep-alive) with a mix of the calls the pipeline makes (one-day range, grouped daily, a
one-year range), stops after `seconds` (and at most MAX_REQUESTS requests), and returns the figures.
Run `python bench/market.py [seconds]` to print them as JSON.
"""

from __future__ import annotations

import json
import statistics
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import requests

from movers.market.server import MarketServer

CLIENT_THREADS = 4
MAX_REQUESTS = 200_000
KEY = "bench-key"
PATHS = (
    "/v2/aggs/ticker/AAPL/range/1/day/2025-06-02/2025-06-02",
    "/v2/aggs/grouped/locale/us/market/stocks/2025-06-02",
    "/v2/aggs/ticker/TSLA/range/1/day/2024-01-01/2024-12-31",
    "/v1/open-close/NVDA/2025-06-02",
)


def run(seconds: float = 3.0, threads: int = CLIENT_THREADS) -> dict[str, float | int]:
    """Sustained request rate and latency percentiles of the local market server over `seconds`."""
    if not 0 < seconds <= 120:
        raise ValueError("seconds must be within (0, 120]")
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    budget = MAX_REQUESTS // threads
    with MarketServer(api_key=KEY, rate_limit=None) as server:
        url = server.url
        start = time.perf_counter()
        deadline = start + seconds

        def client(i: int) -> None:
            with requests.Session() as session:
                session.headers["Authorization"] = f"Bearer {KEY}"
                n = 0
                while n < budget and time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    response = session.get(url + PATHS[(n + i) % len(PATHS)], timeout=10)
                    latencies[i].append(time.perf_counter() - t0)
                    if response.status_code != 200:
                        errors[i] += 1
                    n += 1

        workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - start
        served = server.stats()["total"]
    all_ms = sorted(x * 1000 for per in latencies for x in per)
    count = len(all_ms)
    return {
        "market_rps": round(count / elapsed, 1),
        "market_p50_ms": round(statistics.median(all_ms), 3) if all_ms else 0.0,
        "market_p95_ms": round(all_ms[int(0.95 * (count - 1))], 3) if all_ms else 0.0,
        "market_requests": count,
        "market_errors": sum(errors),
        "market_served": served,
        "market_client_threads": threads,
        "market_seconds": round(elapsed, 2),
    }


if __name__ == "__main__":
    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 3.0), indent=2))
