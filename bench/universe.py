"""Benchmark: the local market server serving a generated SYNTHETIC universe (`--universe N`).

For each size, starts `python -m movers.market --universe N` in its own process (so its memory is its
own), and measures the start time (launch to the URL line), one session's grouped-daily answer (cold: the
first call of a session generates every bar; warm: a cached session; the body size plain and gzip), a
one-year range of a generated ticker, and the process's resident memory (VmRSS now, VmHWM peak; Linux).
Size 0 is the bundled dataset alone, for comparison. Run `python bench/universe.py [N ...]` to print JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
KEY = "bench-key"
DAY = "2026-11-20"  # the bundled data's last session
SIZES = (0, 500, 10_000)


def _memory_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return fields


def _get(url: str, **headers: str) -> tuple[float, requests.Response]:
    t0 = time.perf_counter()
    response = requests.get(url, headers={"Authorization": f"Bearer {KEY}", **headers}, timeout=120)
    elapsed = time.perf_counter() - t0
    response.raise_for_status()
    return elapsed, response


def measure(size: int, seed: int = 1) -> dict[str, Any]:
    """The figures of one server process serving a universe of `size` (0: the bundled dataset)."""
    extra = ["--universe", str(size), "--universe-seed", str(seed)] if size else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "layers/shared/python")])}
    env["MARKET_API_KEY"] = KEY
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "movers.market", "--port", "0", "--rate-limit", "none", "--quiet", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        start_s = time.perf_counter() - t0
        if not url.startswith("http://"):
            raise RuntimeError(f"the server did not start (exit {proc.wait(30)})")
        after_start = _memory_mb(proc.pid)
        grouped = f"{url}/v2/aggs/grouped/locale/us/market/stocks/{DAY}?include_otc=true"
        cold_s, plain = _get(grouped, **{"Accept-Encoding": "identity"})
        warm_s, zipped = _get(grouped, **{"Accept-Encoding": "gzip"})
        tickers = requests.get(f"{url}/_admin/health", timeout=30).json()["tickers"]
        ticker = tickers[len(tickers) // 2]
        year = (dt.date.fromisoformat(DAY) - dt.timedelta(days=365)).isoformat()
        range_s, ranged = _get(f"{url}/v2/aggs/ticker/{ticker}/range/1/day/{year}/{DAY}")
        return {
            "tickers": len(tickers),
            "start_s": round(start_s, 3),
            "rss_after_start_mb": after_start.get("VmRSS"),
            "grouped_rows": plain.json()["resultsCount"],
            "grouped_cold_s": round(cold_s, 3),
            "grouped_warm_gzip_s": round(warm_s, 3),
            "grouped_bytes": len(plain.content),
            "grouped_gzip_bytes": int(zipped.headers["Content-Length"]),  # as sent, compressed
            "range_1y_s": round(range_s, 4),
            "range_1y_bars": ranged.json()["resultsCount"],
            **{f"{k.lower()}_end_mb": v for k, v in _memory_mb(proc.pid).items()},
        }
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    return {str(n): measure(n) for n in sizes}


if __name__ == "__main__":
    chosen = tuple(int(a) for a in sys.argv[1:]) or SIZES
    print(json.dumps(run(chosen), indent=2))
