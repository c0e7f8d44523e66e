"""CLI: run the local market server (Massive's API, and Alpha Vantage's and Tiingo's) until SIGTERM/SIGINT.

    MARKET_API_KEY=KEY python -m movers.market --port 8181 --rate-limit 5/60 [--csv FILE] [--faults JSON]
        [--universe N [--universe-seed S] [--universe-without-bundled]]
        [--alphavantage-plan burst=1/1,daily=25/86400] [--tiingo-plan hourly=50/3600,daily=1000/86400]

Prefer MARKET_API_KEY over --api-key so the key does not show in `ps` output. Prints the base URL on the
first line of stdout once the server accepts connections.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .dataset import DatasetError
from .faults import FaultConfigError
from .ratelimit import RateLimitConfigError, parse_rate_limit
from .server import MarketServer, PortInUseError
from .vendors import parse_plan

DEFAULT_KEY = "local-key"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m movers.market", description=__doc__.split("\n\n")[0])
    p.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8181, help="port (0 = any free port; default 8181)")
    p.add_argument("--api-key", help=f"accepted key (default: $MARKET_API_KEY, else {DEFAULT_KEY!r})")
    p.add_argument("--rate-limit", default="5/60", help="CALLS/SECONDS per key, or 'none' (default 5/60)")
    p.add_argument("--csv", type=Path, help="serve this CSV instead of the bundled SYNTHETIC data")
    p.add_argument("--faults", help="fault config as JSON, or @FILE holding it")
    p.add_argument(
        "--universe",
        type=int,
        metavar="N",
        help="serve a generated SYNTHETIC market of N tickers (the data's own tickers, bars unchanged, plus"
        " generated 1-5 letter symbols; some OTC, penny and thinly traded), made on the fly from the seed",
    )
    p.add_argument("--universe-seed", type=int, default=1, metavar="S", help="seed of --universe (default 1)")
    p.add_argument(
        "--universe-without-bundled",
        action="store_true",
        help="--universe holds only generated symbols (the data's own tickers are left out)",
    )
    p.add_argument("--history-days", type=int, help="plan depth: older data gets 403 NOT_AUTHORIZED")
    p.add_argument("--now", help="the server's 'now' as an ISO datetime with offset (default: last session)")
    p.add_argument("--max-limit", type=int, default=50_000, help="largest range page (default 50000)")
    p.add_argument(
        "--alphavantage-plan",
        type=str,
        metavar="PLAN",
        help="Alpha Vantage's windows per key, e.g. burst=1/1,daily=25/86400 (the default), or 'none'",
    )
    p.add_argument(
        "--tiingo-plan",
        type=str,
        metavar="PLAN",
        help="Tiingo's windows per key, e.g. hourly=50/3600,daily=1000/86400 (the default), or 'none'",
    )
    p.add_argument("--quiet", action="store_true", help="no access log on stderr")
    return p


def _faults(text: str | None) -> object:
    if text is None:
        return None
    raw = Path(text[1:]).read_text() if text.startswith("@") else text
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--faults is not valid JSON ({exc})") from None


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    api_key = args.api_key or os.environ.get("MARKET_API_KEY") or DEFAULT_KEY
    try:
        now = dt.datetime.fromisoformat(args.now) if args.now else None
        server = MarketServer(
            dataset=args.csv,
            api_key=api_key,
            rate_limit=parse_rate_limit(args.rate_limit),
            faults=_faults(args.faults),  # type: ignore[arg-type]
            host=args.host,
            port=args.port,
            history_days=args.history_days,
            now=now,
            max_limit=args.max_limit,
            access_log=not args.quiet,
            universe=args.universe,
            universe_seed=args.universe_seed,
            universe_include_base=not args.universe_without_bundled,
            alphavantage_plan=None if args.alphavantage_plan is None else parse_plan(args.alphavantage_plan),
            tiingo_plan=None if args.tiingo_plan is None else parse_plan(args.tiingo_plan),
        )
        url = server.start()
    except (PortInUseError, DatasetError, FaultConfigError, RateLimitConfigError, ValueError, OSError) as exc:
        print(f"market server: {exc}", file=sys.stderr)
        return 2

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    print(url, flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.stop()
    print("market server stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
