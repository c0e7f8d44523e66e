"""Every Step Functions execution name the system gives, in one place (pure: no AWS).

Standard workflows keep a name for 90 days and refuse it with other input, so a name is how a start is
made idempotent: the same request gets the same name. The schedule's IAM policy (infrastructure/
schedule.tf, `:execution:<ingest>:daily-*`) and the docs spell the daily prefix too.

- daily runs: `daily-<date>`, `daily-<date>-retry-<n>`, forced `daily-<date>-force-<HHMMSS>`; the
  whole-market run of a day (scope market) the same under `daily-market-<date>` (never a watchlist name)
- backfills: `backfill-<from>-<to>-<hash of tickers and force>`; gap healing `heal-<day>-<from>-<to>`
- analysis catch-up: `catchup-<run day>-<day>`; `movers analyse`: `analyse-<day>-<stamp>`
- `make smoke`: `smoke-<day>-<stamp>`; a replay's stores: `replay-<stamp>`
- `movers reconcile`: `reconcile-<through or latest>-<stamp>` (the schedule's starts are named by Scheduler)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence

DAILY_PREFIX = "daily-"
# Scope -> the prefix of its daily runs' names. Both start with DAILY_PREFIX (the schedule's IAM grant,
# `daily-*`, covers both); a watchlist name continues with a digit, a market name with "market-", so no
# watchlist attempt (`daily-<date>[-retry-<n>|-force-<HHMMSS>]`) can be named like a market one.
DAILY_PREFIXES = {"watchlist": DAILY_PREFIX, "market": f"{DAILY_PREFIX}market-"}


def _iso(day: dt.date | str) -> str:
    return day.isoformat() if isinstance(day, dt.date) else str(day)


def daily_execution_name(
    day: dt.date | str,
    attempt: int = 0,
    *,
    forced_at: dt.datetime | None = None,
    scope: str = "watchlist",
) -> str:
    """`daily-<date>`, `daily-<date>-retry-<attempt>` (attempt >= 1), or with `forced_at` the forced run
    `daily-<date>-force-<HHMMSS>` (a forced store is a new request, not a retry). With scope "market" the
    day's whole-market run: `daily-market-<date>` and the same suffixes. Another scope is ValueError."""
    prefix = DAILY_PREFIXES.get(scope) if isinstance(scope, str) else None
    if prefix is None:
        raise ValueError(f"scope: unknown scope {scope!r}; expected one of {', '.join(DAILY_PREFIXES)}")
    text = _iso(day)
    if forced_at is not None:
        return f"{prefix}{text}-force-{forced_at.astimezone(dt.UTC):%H%M%S}"
    return f"{prefix}{text}" if attempt == 0 else f"{prefix}{text}-retry-{attempt}"


def _digest(tickers: Sequence[str] | None, force: bool) -> str:
    canonical = json.dumps({"tickers": list(tickers) if tickers else None, "force": bool(force)})
    return hashlib.sha256(canonical.encode()).hexdigest()[:8]


def backfill_execution_name(
    start: dt.date, end: dt.date, tickers: Sequence[str] | None = None, force: bool = False
) -> str:
    """`backfill-<from>-<to>-<hash of tickers and force>`: one name per distinct canonical input.

    Standard workflows refuse a reused name with other input, so everything in the input that is not in
    the dates goes into the hash.
    """
    return f"backfill-{start.isoformat()}-{end.isoformat()}-{_digest(tickers, force)}"


def heal_execution_name(day: dt.date, start: dt.date, end: dt.date) -> str:
    """Name of the backfill a daily run for `day` starts to heal [start, end] (one heal per daily date)."""
    return f"{heal_name_prefix(day)}{start.isoformat()}-{end.isoformat()}"


def heal_name_prefix(day: dt.date | str) -> str:
    """What the name of every heal a daily run for `day` starts begins with."""
    return f"heal-{day.isoformat() if isinstance(day, dt.date) else day}-"


def catchup_execution_name(run_day: dt.date, day: dt.date) -> str:
    """``catchup-<run day>-<day>``: one start per day and catch-up day (a repeated catch-up reuses it)."""
    return f"catchup-{run_day.isoformat()}-{day.isoformat()}"


def analyse_execution_name(day: dt.date | str, stamp: str) -> str:
    """`movers analyse`'s analysis of `day`, unique per invocation (`stamp`)."""
    return f"analyse-{_iso(day)}-{stamp}"


def smoke_execution_name(day: dt.date | str, stamp: str) -> str:
    """`make smoke`'s ingest run of `day`, unique per invocation (`stamp`)."""
    return f"smoke-{_iso(day)}-{stamp}"


def reconcile_execution_name(through: dt.date | str | None, stamp: str) -> str:
    """`movers reconcile`'s execution, unique per invocation (`stamp`): a reconcile is a new look at the
    provider each time, never a repeat of an earlier one."""
    return f"reconcile-{_iso(through) if through else 'latest'}-{stamp}"


def replay_execution_name(stamp: str) -> str:
    """The execution name a replay's stores record (no execution runs: the replay stores directly)."""
    return f"replay-{stamp}"


def execution_arn(machine_arn: str, name: str) -> str:
    """The ARN of execution `name` of a state machine given by its ARN, its version's or its alias's
    (`arn:aws:states:<region>:<account>:stateMachine:<machine>[:<version or alias>]`): executions belong
    to the machine itself, `arn:aws:states:<region>:<account>:execution:<machine>:<name>`."""
    parts = machine_arn.split(":")
    return ":".join([*parts[:5], "execution", parts[6], name])
