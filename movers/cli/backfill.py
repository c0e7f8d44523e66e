"""`movers backfill`: start a backfill with its deterministic name and follow it with a progress bar.

The name is `backfill-<from>-<to>-<hash of tickers and force>` (stock_movers.execution_names), so the same
request twice is the same execution: Step Functions refuses a second start of a closed execution with that
name, and the CLI then shows the existing execution instead (same input) or says why it cannot (other input).
`--wait` shows live progress read from the execution history (movers.cli.progress): tickers fetched by the
"Fetch Ranges" Map, then sessions done (the sessions skipped by the plan plus those of every finished batch
of the "Store Sessions" Map), and every rate-limit wait; then the final status.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from movers.cli.common import CliError, Target, history, release_arn, target
from stock_movers.adapters.workflows import Workflows
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date, parse_ticker
from stock_movers.execution_names import backfill_execution_name
from stock_movers.usecases.backfill import backfill_input

BAR_WIDTH = 30


def request(start: str, end: str, tickers: list[str] | None, force: bool) -> tuple[str, dict[str, Any]]:
    """The execution name and canonical input; bad dates or symbols raise CliError (one line)."""
    try:
        first, last = parse_date(start, "--from"), parse_date(end, "--to")
        symbols = [parse_ticker(t, "--tickers") for t in tickers] if tickers else None
    except InvalidInput as exc:
        raise CliError(str(exc)) from None
    if first > last:
        raise CliError(f"--from {first} is after --to {last}")
    return backfill_execution_name(first, last, symbols, force), backfill_input(first, last, symbols, force)


def start(t: Target, name: str, payload: dict[str, Any]) -> tuple[str, bool]:
    """Start the backfill; returns (execution ARN, started now). An existing execution with the same name
    and input is reused; with other input it is a CliError."""
    key = "backfill_state_machine_arn"
    if key not in t.outputs:
        raise CliError("the stack has no backfill state machine")
    workflows = Workflows(t.client("stepfunctions"))
    started = workflows.start(release_arn(t, "backfill"), name, payload)
    if started.started:
        return started.execution_arn, True
    existing = workflows.describe(started.execution_arn)
    if json.loads(existing.get("input") or "null") != payload:
        raise CliError(f"an execution named {name} already exists with other input")
    return started.execution_arn, False


def progress(events: list[dict[str, Any]]) -> tuple[int, int]:
    """(sessions done, sessions in the span) from an execution history; (0, 0) before the plan exists."""
    from movers.cli.progress import snapshot

    return snapshot(events).sessions()


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    """`[#######.......]  120/250 sessions`."""
    filled = 0 if total == 0 else round(width * min(done, total) / total)
    return f"[{'#' * filled}{'.' * (width - filled)}] {done:>5}/{total} sessions"


def follow(
    t: Target,
    arn: str,
    out: TextIO,
    *,
    poll: float = 1.0,
    timeout: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Wait for the execution, showing its live progress (movers.cli.progress); a succeeded backfill ends with
    the full bar of its sessions."""
    from movers.cli.progress import follow as follow_live

    workflows = Workflows(t.client("stepfunctions"))
    desc = follow_live(
        lambda: workflows.describe(arn),
        lambda: history(t, arn),
        out,
        poll=poll,
        timeout=timeout,
        sleep=sleep,
        on_timeout=lambda d: CliError(f"{d['name']} still {d['status']} after {timeout:.0f}s"),
    )
    if desc["status"] == "SUCCEEDED":
        sessions = int(json.loads(desc.get("output") or "{}").get("sessions", 0))
        out.write(bar(sessions, sessions) + "\n")
    return desc


def describe_outcome(desc: dict[str, Any], events: list[dict[str, Any]] | None = None) -> str:
    """The summary of a succeeded backfill (and a line per failed session), or the failure: one line per
    error (its name and the cause's first line), every failed ticker's error listed (from `events`)."""
    from movers.cli.trace import failure_lines

    if desc["status"] != "SUCCEEDED":
        lines = failure_lines(desc, events or [])
        return f"{desc['name']}: {lines[0]}" + "".join("\n" + line for line in lines[1:])
    s = json.loads(desc.get("output") or "{}")
    failed = s.get("failed") or []
    text = (
        f"{desc['name']}: {s.get('sessions')} sessions, {s.get('stored')} stored, {s.get('skipped')} skipped"
    )
    text += f", {len(failed)} failed" if failed else ""
    for f in failed:  # one line each: the session, the error's name, the first line of its cause
        cause = (str(f.get("cause") or "").strip().splitlines() or [""])[0]
        text += f"\n  {f['date']}: {f['error']}" + (f": {cause}" if cause else "")
    return text


def run_backfill(
    t: Target,
    start_date: str,
    end_date: str,
    tickers: list[str] | None = None,
    force: bool = False,
    wait: bool = False,
    out: TextIO | None = None,
    poll: float = 1.0,
) -> int:
    """What `movers backfill` does (on `out`, default the current stdout); returns the exit status (1 for a
    failed execution)."""
    out = out or sys.stdout
    name, payload = request(start_date, end_date, tickers, force)
    arn, fresh = start(t, name, payload)
    out.write(f"{'started' if fresh else 'already exists:'} {name}\n")
    if not wait:
        out.write(arn + "\n")
        return 0
    desc = follow(t, arn, out, poll=poll)
    out.write(describe_outcome(desc, history(t, arn)) + "\n")
    return 0 if desc["status"] == "SUCCEEDED" else 1


def cmd_backfill(args: argparse.Namespace) -> int:
    request(args.start, args.end, args.tickers, args.force)  # refuses bad arguments before any AWS call
    return run_backfill(target(args), args.start, args.end, args.tickers, args.force, args.wait)


def add_parser(sub: Any) -> None:
    """Register `movers backfill` on the CLI's subparsers."""
    p = sub.add_parser("backfill", help="fill a date span (one provider call per ticker), with progress")
    p.add_argument("--from", dest="start", required=True, help="first date YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, help="last date YYYY-MM-DD (inclusive)")
    p.add_argument("--tickers", nargs="+", help="override the watchlist")
    p.add_argument("--force", action="store_true", help="store again the sessions already stored")
    p.add_argument("--wait", action="store_true", help="wait, showing a progress bar of sessions done")
    p.set_defaults(func=cmd_backfill)
