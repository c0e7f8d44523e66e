"""`movers analyse --from D --to D [--force]`: run the daily analysis for every session of a span, on demand.

For each NYSE session in [from, to] it starts the daily-analysis machine (execution
``analyse-<date>-<stamp>``) with ``{"date": D}`` (plus ``"force": true`` with --force), a few at a time,
and prints one line per date: ``<date> Analysed Complete|Partial`` (the analysis ran), ``<date>
AlreadyAnalysed`` (an earlier analysis of the same stored winner holds the day's claim), ``<date>
NotStored`` (no winner stored), ``<date> MarketClosed`` (no session; nothing started) or ``<date> FAILED
<error>: <cause>``. Exit status 1 when any date failed. Bad dates are a named one-line error before
anything starts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import uuid
from typing import Any, TextIO

from movers.cli.common import CliError, Target, release_arn, target, wait
from stock_movers.adapters.workflows import Workflows
from stock_movers.domain.calendar import NEW_YORK, is_session
from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_date
from stock_movers.execution_names import analyse_execution_name

MAX_DAYS = 400  # a span longer than a year and a bit is a typo, not a request
BATCH = 5  # analyses started together (each is a Map over the watchlist)


class AnalyseError(CliError):
    """The requested span cannot be analysed (bad or future dates, reversed or too long a span)."""


def span(start: str, end: str, *, today: dt.date) -> list[dt.date]:
    """Every calendar date in [start, end]; bad input raises AnalyseError naming the flag."""
    try:
        first, last = parse_date(start, "--from"), parse_date(end, "--to")
    except InvalidInput as exc:
        raise AnalyseError(str(exc)) from None
    if first > last:
        raise AnalyseError(f"--from {first} is after --to {last}")
    if last > today:
        raise AnalyseError(f"--to {last} is in the future (today in America/New_York: {today})")
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise AnalyseError(f"the span has {days} days; at most {MAX_DAYS} per call")
    return [first + dt.timedelta(days=i) for i in range(days)]


def outcome(day: dt.date, desc: dict[str, Any]) -> str:
    """One line for a finished analysis execution."""
    if desc["status"] != "SUCCEEDED":
        cause = (desc.get("cause") or "").splitlines()[0][:200] if desc.get("cause") else ""
        return f"{day} FAILED {desc.get('error') or desc['status']}: {cause}".rstrip(": ")
    summary = json.loads(desc.get("output") or "{}")
    status = summary.get("status", "")
    if status in ("Complete", "Partial"):
        return f"{day} Analysed {status}"
    return f"{day} {status}"


def run_analyse(
    t: Target,
    start: str,
    end: str,
    *,
    force: bool = False,
    out: TextIO = sys.stdout,
    today: dt.date | None = None,
) -> int:
    """What `movers analyse` does; returns the exit status (1 when any date's analysis failed)."""
    days = span(start, end, today=today or dt.datetime.now(NEW_YORK).date())
    machine = release_arn(t, "daily_analysis")  # the live alias: a rollback applies to these runs too
    workflows = Workflows(t.client("stepfunctions"))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    failed = False
    pending: list[tuple[dt.date, str | None]] = []

    def flush() -> None:
        nonlocal failed
        for day, arn in pending:
            if arn is None:
                out.write(f"{day} MarketClosed\n")
                continue
            line = outcome(day, wait(t, arn))
            failed = failed or " FAILED " in line
            out.write(line + "\n")
        out.flush()
        pending.clear()

    for day in days:
        if not is_session(day):
            pending.append((day, None))
            continue
        payload: dict[str, Any] = {"date": day.isoformat()}
        if force:
            payload["force"] = True
        started = workflows.start(machine, analyse_execution_name(day, stamp), payload)
        if not started.started:
            raise CliError(f"an execution named {started.name} already exists")
        pending.append((day, started.execution_arn))
        if sum(1 for _, a in pending if a) >= BATCH:
            flush()
    flush()
    return 1 if failed else 0


def cmd_analyse(args: argparse.Namespace) -> int:
    span(args.start, args.end, today=dt.datetime.now(NEW_YORK).date())  # bad dates fail before any AWS call
    return run_analyse(target(args), args.start, args.end, force=args.force, out=sys.stdout)


def add_parser(sub: Any) -> None:
    """Register `movers analyse` on the CLI's subparsers."""
    p = sub.add_parser(
        "analyse", help="run the daily analysis for each session of a span (one line per date)"
    )
    p.add_argument("--from", dest="start", required=True, help="first date YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, help="last date YYYY-MM-DD (inclusive)")
    p.add_argument(
        "--force", action="store_true", help="analyse again even when the stored winner was analysed already"
    )
    p.set_defaults(func=cmd_analyse)
