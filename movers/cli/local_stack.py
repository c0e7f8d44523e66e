"""The local stack's commands: `movers local up|down|status` and `movers demo`.

Only these commands need the local stack and the market server (`movers.local`, `movers.market`); they
import them inside the command, so the AWS commands beside them never load the emulator.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from movers.cli.backfill import run_backfill
from movers.cli.common import CliError, Target, cli_date, default_session, history, machine_arn, wait
from movers.terraform import ROOT


def cmd_local(args: argparse.Namespace) -> int:
    from movers.local import daemon

    if args.action == "status":
        state = daemon.read_state()
        print(json.dumps(state, indent=2) if state else "the local stack is not running")
        return 0 if state else 1
    if args.action == "down":
        state = daemon.read_state()
        if state is None:
            print("the local stack is not running")
            return 0
        os.kill(int(state["pid"]), 15)
        for _ in range(120):
            if daemon.read_state() is None:
                break
            time.sleep(0.5)
        print("local stack stopped")
        return 0
    state = local_up(args)
    print_endpoints(state)
    return 0


def daemon_args(args: argparse.Namespace) -> list[str]:
    """The daemon's flags from `movers local up` / `movers demo` (ports, market server, rate limit)."""
    out = ["--rate-period", str(args.rate_period)]
    for flag in ("aws_port", "market_port", "web_port", "market_url", "universe", "universe_seed"):
        value = getattr(args, flag, None)
        if value is not None:
            out += [f"--{flag.replace('_', '-')}", str(value)]
    if getattr(args, "api_key_file", None):
        out += ["--api-key-file", str(Path(args.api_key_file).resolve())]  # a path, never the key
    return out


def check_universe(args: argparse.Namespace) -> None:
    """`--universe` and `--universe-seed` go to the bundled market server, which holds its 10 tickers too."""
    from movers.market.dataset import TICKERS

    universe, seed = getattr(args, "universe", None), getattr(args, "universe_seed", None)
    if universe is None:
        if seed is not None:
            raise CliError("--universe-seed needs --universe N")
        return
    if getattr(args, "market_url", None):
        raise CliError("--universe is served by the bundled market server: leave out --market-url")
    if universe < len(TICKERS):
        raise CliError(f"--universe {universe}: the universe holds the {len(TICKERS)} bundled tickers too")


def local_up(args: argparse.Namespace) -> dict[str, Any]:
    """Start the daemon (unless a stack runs), printing its progress lines as they come."""
    from movers.local import daemon

    if bool(getattr(args, "market_url", None)) != bool(getattr(args, "api_key_file", None)):
        raise CliError("--market-url and --api-key-file go together")
    check_universe(args)
    if getattr(args, "api_key_file", None):
        daemon.read_key_file(args.api_key_file)  # a missing or empty key file fails now, not in 2 minutes
        daemon.check_market_url(args.market_url)
    state = daemon.read_state()
    if state is not None:
        if getattr(args, "market_url", None) and state.get("market_url") != args.market_url.rstrip("/"):
            raise CliError(
                f"a local stack already runs against {state.get('market_url')}: stop it with"
                " `movers local down` first"
            )
        return state
    state_dir = daemon.state_file().parent
    state_dir.mkdir(parents=True, exist_ok=True)
    daemon.error_file().unlink(missing_ok=True)
    daemon.progress_file().unlink(missing_ok=True)
    log = (state_dir / "daemon.log").open("w")
    cmd = [sys.executable, "-m", "movers.local.daemon", *daemon_args(args)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=ROOT, start_new_session=True)
    print("starting the local stack (local AWS, market server, terraform apply: 2-3 minutes)", flush=True)
    started = time.monotonic()
    shown = 0
    deadline = started + 600
    while time.monotonic() < deadline:
        shown = _print_progress(daemon.progress_file(), shown, started)
        state = daemon.read_state()
        if state is not None:
            _print_progress(daemon.progress_file(), shown, started)
            print(f"  [{time.monotonic() - started:5.0f} s] local stack up", flush=True)
            return state
        if proc.poll() is not None:
            _print_progress(daemon.progress_file(), shown, started)
            err = daemon.error_file()
            reason = err.read_text().strip() if err.exists() else f"see {state_dir / 'daemon.log'}"
            raise CliError(f"the local stack did not start: {reason}")
        time.sleep(0.5)
    raise CliError(f"the local stack did not start within 10 minutes: see {state_dir / 'daemon.log'}")


def _print_progress(path: Path, shown: int, started: float) -> int:
    """Print the progress lines after the first `shown`; returns how many are shown now."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return shown
    for line in lines[shown:]:
        print(f"  [{time.monotonic() - started:5.0f} s] {line}", flush=True)
    return max(shown, len(lines))


def print_endpoints(state: dict[str, Any]) -> None:
    print(f"local AWS:      {state['aws_endpoint']}")
    print(f"market server:  {state['market_url']}")
    print(f"API:            {state['api_url']}")
    print(f"page:           {state['web_url']}/")


def cmd_demo(args: argparse.Namespace) -> int:
    """Local stack, then the way a user fills and runs it: one backfill of the last sessions (one range
    call per ticker), then the daily run for the last session; prints its trace and the page's URL."""
    day = cli_date(args.date, "--date")
    if not 1 <= args.days <= 1250:
        raise CliError(f"--days must be within 1..1250, got {args.days}")
    state = local_up(args)
    t = Target(state["outputs"], state["aws_endpoint"], state["web_url"], state.get("market_latest_session"))
    note = "" if args.market_url else ", SYNTHETIC data"
    final = demo_runs(t, dt.date.fromisoformat(day or default_session(t)), args.days, note)
    print()
    print_endpoints(state)
    print(f"\nOpen {state['web_url']}/  (stop everything with `make local-down`)")
    return 0 if final.get("status") == "SUCCEEDED" else 1


def demo_runs(t: Target, last: dt.date, days: int, note: str = "") -> dict[str, Any]:
    """The demo's runs: a backfill of the `days` sessions before `last`, then the daily run of `last`
    (printing progress and its trace); returns the daily run's DescribeExecution."""
    from movers.cli.trace import render
    from stock_movers.domain.calendar import last_n_sessions, previous_session
    from stock_movers.usecases.daily import DailyStartError, start_daily_run

    span = last_n_sessions(previous_session(last), days)
    print(f"\nbackfill {span[0]}..{span[-1]} ({len(span)} sessions{note}):", flush=True)
    if run_backfill(t, span[0].isoformat(), span[-1].isoformat(), wait=True) != 0:
        raise CliError("the demo backfill failed (see `movers --local status`)")
    try:
        started = start_daily_run(
            t.client("stepfunctions"), machine_arn(t, "ingest"), last, {"date": last.isoformat()}
        )
    except DailyStartError as exc:
        raise CliError(str(exc)) from None
    print(f"\ndaily run {started.name}:", flush=True)
    final = wait(t, started.execution_arn, live=True)
    print(render(final, history(t, started.execution_arn)))
    return final


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number within 0..65535 (0: any free one), got {text!r}"
        )
    return int(text)


def _rate_period(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.1 <= value <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be seconds within 0.1..3600, got {text!r}")
    return value


def _universe_size(text: str) -> int:
    from movers.market.universe import MAX_UNIVERSE

    if not text.isdigit() or not 1 <= int(text) <= MAX_UNIVERSE:
        raise argparse.ArgumentTypeError(
            f"must be a number of tickers within 1..{MAX_UNIVERSE}, got {text!r}"
        )
    return int(text)


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return int(text)


def add_stack_options(p: argparse.ArgumentParser) -> None:
    """`movers local up` and `movers demo`: ports, the market server, its rate limit."""
    p.add_argument("--rate-period", type=_rate_period, default=60.0,
                   help="bundled market server: 5 calls per this many s (free tier: 60)")  # fmt: skip
    for kind, default in (("aws", 4566), ("market", 8181), ("web", 8080)):
        p.add_argument(
            f"--{kind}-port", type=_port, default=None,
            help=f"port of the {kind} server (else MOVERS_{kind.upper()}_PORT, else {default}; a taken"
            " default is replaced by a free port)",
        )  # fmt: skip
    p.add_argument(
        "--market-url", help="run against this Massive-compatible server instead of the bundled one"
    )
    p.add_argument("--api-key-file", help="file holding that server's API key (put into the secret only)")
    p.add_argument(
        "--universe", type=_universe_size, metavar="N",
        help="bundled market server: serve a generated SYNTHETIC market of N tickers (the bundled ones, bars"
        " unchanged, plus generated symbols), made on the fly from --universe-seed",
    )  # fmt: skip
    p.add_argument(
        "--universe-seed", type=_seed, default=None, metavar="S", help="seed of --universe (default 1)"
    )


def add_parsers(sub: Any) -> None:
    """`movers local` and `movers demo`."""
    local = sub.add_parser("local", help="start/stop the local stack")
    local.add_argument("action", choices=["up", "down", "status"])
    add_stack_options(local)
    local.set_defaults(func=cmd_local)

    demo = sub.add_parser("demo", help="local stack, a backfill of the last sessions, then the daily run")
    demo.add_argument("--date", help="daily run session (default: the last session the market server has)")
    demo.add_argument("--days", type=int, default=40, help="sessions to backfill first")
    add_stack_options(demo)
    demo.set_defaults(func=cmd_demo)
