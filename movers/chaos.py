"""The chaos suite: N seeded, randomized ingest runs against the local stack under provider and local-AWS
faults, every stored day checked against an independent computation (movers.oracle), then a per-kind
breakdown and the tally line of DESIGN.md §5:

    chaos: R runs, W wrong winners, F winners for failed runs, P partial writes, T transient faults failed
    a run, K permanent faults passed, peak C calls in any W-second window (limit L)

`make chaos` (N from CHAOS_RUNS, seed from CHAOS_SEED) brings up its own stack; the stack tests
(tests/chaos) and `make bench` (bench/chaos.py) call `run_suite` on theirs. The plan (dates, inputs,
faults) is a pure function of the seed; outcomes depend on timing only where the pipeline does.

How each fault reaches the pipeline: provider faults are scripted on the market server
(movers/market/faults.py) for the run's session only (`dates`), so gap-healing backfills never draw them;
local-AWS faults are armed on the fault switch (movers/local/faults.py) with `body_contains` naming the
run's execution (or its date), so each is counted for the run it hit. Runs that share the provider (a
concurrent group) get local-AWS faults only, so every injected fault has one owner.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from movers import oracle
from stock_movers.adapters.storage import WINNER_PK, ItemStore, leaders_key, ticker_of
from stock_movers.adapters.workflows import StillRunning, Workflows

# ---------------------------------------------------------------------------------------------------------
# The fault kinds: transient (the pipeline must absorb up to `budget` of them in one run) or permanent (the
# run must fail, storing nothing). Budgets are the retry budgets of statemachines/ingest.asl.json and of the
# design (issue 13): a run holding no more of a transient kind than its budget must SUCCEED.


@dataclass(frozen=True)
class Kind:
    name: str
    side: str  # "provider" (market server) or "aws" (local AWS fault switch)
    transient: bool
    budget: int | None  # transient: injections one run absorbs (None: any number); permanent: None
    what: str
    weight: int = 2  # relative draw weight (timeouts cost 10 s each, so they are drawn less)


# How many calls a permanent provider fault answers in its run: more than a run makes for one ticker (its
# fetch, the Retry clauses' attempts after a crashed or throttled invocation), so every one of them sees it.
PERMANENT_ANSWERS = 12

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "429_storm",
            "provider",
            True,
            8,
            "HTTP 429 rate-limit answers (Fetch Bars retries RateLimited 8x)",
        ),
        Kind("5xx", "provider", True, 3, "HTTP 500/502/503 (ProviderUnavailable, retried 3x)"),
        Kind("slow", "provider", True, None, "answers 0.2-3 s late, inside the 10 s client timeout"),
        Kind("timeout", "provider", True, 3, "held past the 10 s client timeout (ProviderUnavailable)", 1),
        Kind("malformed", "provider", False, None, "HTTP 200 with the JSON body cut in half"),
        Kind("empty", "provider", False, None, "HTTP 200 with no results"),
        Kind("missing_ticker", "provider", False, None, "the watchlist ticker's bar left out"),
        Kind("wrong_date", "provider", False, None, "a bar for the next day"),
        Kind(
            "bad_numbers", "provider", False, None, "huge, inverted, negative, zero-open or huge-volume bar"
        ),
        Kind("auth_401", "provider", False, None, "HTTP 401 unknown API key (revoked)"),
        Kind("plan_403", "provider", False, None, "HTTP 403 NOT_AUTHORIZED (plan downgraded)"),
        Kind(
            "lambda_error", "aws", True, 3, "Lambda Invoke ServiceException/TooManyRequests (Task Retry 3x)"
        ),
        Kind("dynamodb_throttling", "aws", True, 3, "DynamoDB throttling of the day's reads and writes"),
        Kind("eventbridge_error", "aws", True, 3, "EventBridge PutEvents errors at Announce (Retry 3x)"),
        Kind("worker_crash", "aws", True, 1, "the fetch or store worker process dies mid-handler"),
    )
}
PROVIDER_KINDS = [k for k in KINDS.values() if k.side == "provider"]
AWS_KINDS = [k for k in KINDS.values() if k.side == "aws"]
# the market server's fault kind each provider kind scripts (the 5xx statuses are drawn per injection)
SERVER_KIND = {
    "429_storm": "429",
    "slow": "slow",
    "timeout": "timeout",
    "malformed": "malformed",
    "empty": "empty",
    "missing_ticker": "missing",
    "wrong_date": "wrong_date",
    "bad_numbers": "bad_numbers",
    "auth_401": "401",
    "plan_403": "403",
}
SERVER_5XX = ("500", "502", "503")
BAD_NUMBER_MODES = ("huge", "inverted", "negative", "zero_open", "huge_volume")
CLIENT_TIMEOUT_MS = 10_000  # the fetch function's provider read timeout (providers.factory)
# fault-switch targets: (service, action, function short name or None, what body_contains names)
AWS_TARGETS: dict[str, list[tuple[str, str, str | None, str]]] = {
    "lambda_error": [
        ("lambda", "Invoke", "validate_input", "execution"),
        ("lambda", "Invoke", "fetch_bars", "execution"),
        ("lambda", "Invoke", "pick_winner", "date"),
        ("lambda", "Invoke", "store_day", "execution"),
    ],
    "dynamodb_throttling": [
        ("dynamodb", "GetItem", None, "date"),  # Check Already Stored (and the fetch's own reads)
        ("dynamodb", "TransactWriteItems", None, "date"),  # Store Day: the items and the winner, one commit
    ],
    "eventbridge_error": [("events", "PutEvents", None, "date")],
    "worker_crash": [
        ("lambda", "Invoke", "fetch_bars", "execution"),
        ("lambda", "Invoke", "store_day", "execution"),
    ],
}
AWS_CODES = {
    "lambda_error": ("ServiceException", "TooManyRequestsException"),
    "dynamodb_throttling": ("ProvisionedThroughputExceededException", "ThrottlingException"),
    "eventbridge_error": ("InternalException", "ThrottlingException"),
    "worker_crash": ("Runtime.ExitError",),
}


@dataclass
class Fault:
    """One fault drawn for a run: `count` injections of `kind` at `target`."""

    kind: str
    count: int
    target: str = ""  # a ticker (provider), or "service:action[:function]" (aws)
    detail: str = ""  # bad_numbers mode, slow ms, 5xx statuses, or the AWS error code
    body: str = ""  # aws: "execution" or "date"

    @property
    def within_budget(self) -> bool:
        budget = KINDS[self.kind].budget
        return KINDS[self.kind].transient and (budget is None or self.count <= budget)

    def label(self) -> str:
        extra = f" {self.detail}" if self.detail else ""
        at = f" @{self.target}" if self.target else ""
        return f"{self.kind} x{self.count}{extra}{at}"


@dataclass
class Run:
    index: int
    date: str
    force: bool
    tickers: tuple[str, ...] | None  # None: the stack's watchlist
    faults: list[Fault]
    group: int | None = None  # runs of one group start together
    name: str = ""
    arn: str = ""
    status: str = "NOT_RUN"  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    result: str = ""  # Stored, AlreadyStored, MarketClosed (SUCCEEDED runs)
    error: str = ""
    cause: str = ""
    injected: Counter[str] = field(default_factory=Counter)
    stored_winner: bool = False  # right after the run, the date's winner item carried this run's ARN
    calls: int | None = None  # provider requests while it ran (lone runs only)
    seconds: float = 0.0

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"date": self.date}
        if self.tickers is not None:
            body["tickers"] = list(self.tickers)
        if self.force:
            body["force"] = True
        return body

    @property
    def permanent_injected(self) -> bool:
        return any(self.injected[f.kind] > 0 for f in self.faults if not KINDS[f.kind].transient)

    @property
    def transient_within_budget(self) -> bool:
        """No permanent fault reached the pipeline and no transient kind beyond its budget (a run with no
        fault at all qualifies: it must succeed too)."""
        if self.permanent_injected:
            return False
        for kind, count in self.injected.items():
            budget = KINDS[kind].budget
            if budget is not None and count > budget:
                return False
        return True

    def describe(self) -> str:
        faults = ", ".join(f"{f.label()} (hit {self.injected[f.kind]})" for f in self.faults) or "no faults"
        what = ("forced " if self.force else "") + (f"[{','.join(self.tickers)}] " if self.tickers else "")
        outcome = (
            self.status
            + (f" {self.result}" if self.result else "")
            + (f" {self.error}" if self.error else "")
        )
        why = f" ({' '.join(self.cause.split())[:160]})" if self.cause else ""
        return f"{self.name or f'run {self.index}'} {what}{self.date}: {faults} -> {outcome}{why}"


# ---------------------------------------------------------------------------------------------------------
# The plan: a pure function of the seed


@dataclass(frozen=True)
class Config:
    runs: int = 30
    seed: int = 1
    date_from: str | None = None  # sessions drawn from [date_from, date_to] of the dataset
    date_to: str | None = None
    concurrent: float = 0.12  # share of steps that start a group of 2-3 runs at once
    run_timeout_s: float = 300.0
    deadline_s: float | None = None  # stop starting runs after this long (the tally says so)


def _draw_count(rng: random.Random, kind: Kind) -> int:
    if kind.name == "timeout":
        return 1  # 10 s each: one is enough to prove the path
    if kind.budget is None:
        return rng.randint(1, 3) if kind.transient else 1
    if rng.random() < 0.2:
        return kind.budget + rng.randint(1, 2)  # beyond the budget: the run may fail, nothing may be wrong
    return rng.randint(1, kind.budget)


def _weighted(rng: random.Random, kinds: Sequence[Kind]) -> Kind:
    return rng.choices(list(kinds), weights=[k.weight for k in kinds])[0]


def draw_provider_fault(rng: random.Random, watchlist: Sequence[str]) -> Fault:
    kind = _weighted(rng, PROVIDER_KINDS)
    count = _draw_count(rng, kind)
    fault = Fault(kind.name, count)
    if kind.name == "5xx":
        fault.detail = ",".join(rng.choice(SERVER_5XX) for _ in range(count))
    elif kind.name == "slow":
        fault.detail = f"{rng.randint(200, 3000)}ms"
    elif kind.name == "bad_numbers":
        fault.detail = rng.choice(BAD_NUMBER_MODES)
    if not kind.transient:
        fault.target = rng.choice(sorted(watchlist))  # the ticker whose answer goes wrong
    return fault


def draw_aws_fault(rng: random.Random, *, shared_provider: bool = False) -> Fault:
    def owned(kind: Kind) -> list[tuple[str, str, str | None, str]]:
        # concurrent runs share a date: only faults naming the execution have one owner
        return [t for t in AWS_TARGETS[kind.name] if not shared_provider or t[3] == "execution"]

    kind = _weighted(rng, [k for k in AWS_KINDS if owned(k)])
    targets = owned(kind)
    service, action, function, body = rng.choice(targets)
    target = f"{service}:{action}" + (f":{function}" if function else "")
    return Fault(kind.name, _draw_count(rng, kind), target, rng.choice(AWS_CODES[kind.name]), body)


def draw_faults(rng: random.Random, watchlist: Sequence[str]) -> list[Fault]:
    u = rng.random()
    if u < 0.15:
        return []
    if u < 0.65:
        return [draw_provider_fault(rng, watchlist)]
    if u < 0.85:
        return [draw_aws_fault(rng)]
    return [draw_provider_fault(rng, watchlist), draw_aws_fault(rng)]


def plan(config: Config, sessions: Sequence[str], watchlist: Sequence[str]) -> list[Run]:
    """The runs of a suite: fresh dates, plain re-runs and forced re-runs of planned dates, custom
    watchlists on some fresh dates, and a few concurrent groups; each with its faults."""
    if config.runs < 1:
        raise ValueError("runs must be at least 1")
    pool = [d for d in sessions if (config.date_from or "") <= d <= (config.date_to or "9999")]
    if len(pool) < config.runs:
        raise ValueError(f"only {len(pool)} sessions in the date range for {config.runs} runs")
    rng = random.Random(config.seed)
    used: list[str] = []
    lists: dict[str, tuple[str, ...] | None] = {}
    runs: list[Run] = []
    universe = oracle.tickers()

    def fresh() -> str:
        while True:
            day = rng.choice(pool)
            if day not in lists:
                lists[day] = None
                used.append(day)
                return day

    while len(runs) < config.runs:
        left = config.runs - len(runs)
        if left >= 2 and used and rng.random() < config.concurrent:
            size = min(left, rng.choice((2, 3)))
            same = rng.random() < 0.6
            group = len(runs)
            for i in range(size):
                day = (used[-1] if i else rng.choice(used)) if same else fresh()
                if same and i == 0:
                    used.append(day)  # the group's date becomes the latest
                force = same and rng.random() < 0.5
                faults = [draw_aws_fault(rng, shared_provider=True)] if rng.random() < 0.3 else []
                runs.append(Run(len(runs), day, force, lists[day], faults, group))
            continue
        u = rng.random()
        if not used or u < 0.55:
            day = fresh()
            if rng.random() < 0.2:
                lists[day] = tuple(sorted(rng.sample(universe, rng.randint(3, min(8, len(universe))))))
            force = rng.random() < 0.1
        else:
            day = rng.choice(used)
            force = u >= 0.8
        custom = lists[day]
        watch = custom if custom is not None else tuple(watchlist)
        runs.append(Run(len(runs), day, force, lists[day], draw_faults(rng, watch)))
    return runs


# ---------------------------------------------------------------------------------------------------------
# What is stored, per date, and the verdicts


@dataclass
class DayState:
    winner: dict[str, Any] | None = None  # the raw DynamoDB item
    items: dict[str, dict[str, Any]] = field(default_factory=dict)  # ticker -> raw item
    parquet: str | None = None  # ETag of the day's Parquet file
    parquet_rows: dict[str, str] | None = None  # ticker -> close, when read
    board: dict[str, Any] | None = None  # the raw leaders item of the watchlist scope

    def key(self) -> tuple[Any, ...]:
        w, b = self.winner, self.board
        stamp = (w["ExecutionArn"]["S"], w["StoredAt"]["S"]) if w else None
        board = (b["ExecutionArn"]["S"], b["StoredAt"]["S"]) if b else None
        return (stamp, tuple(sorted(self.items)), self.parquet, board)


_BOARD_PK = leaders_key("2000-01-03")["pk"]["S"]  # the watchlist scope's board partition


def _board_errors(day: str, board: Mapping[str, Any], winner_arn: str, tickers: Sequence[str]) -> list[str]:
    """What is wrong with a day's stored board against the oracle: written by another run than the winner,
    or gainers/losers (ticker, rounded percent change) not the top `Size` of the watchlist's moves."""
    if board["ExecutionArn"]["S"] != winner_arn:
        return [
            f"{day}: board written by {board['ExecutionArn']['S'].rsplit(':', 1)[-1]}, not the winner's run"
        ]
    size = int(board["Size"]["N"])
    moves = {t: Decimal(oracle.pct6(t, day)) for t in tickers}
    want = {
        "Gainers": sorted((t for t in tickers if moves[t] > 0), key=lambda t: (-moves[t], t))[:size],
        "Losers": sorted((t for t in tickers if moves[t] < 0), key=lambda t: (moves[t], t))[:size],
    }
    errors = []
    for side, names in want.items():
        got = [(e["M"]["Ticker"]["S"], _dec(e["M"]["PercentChange"]["N"])) for e in board[side]["L"]]
        if got != [(t, moves[t]) for t in names]:
            errors.append(f"{day}: board {side.lower()} {[g[0] for g in got]}, oracle {names}")
    return errors


def _dec(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@dataclass
class Tally:
    runs: int
    wrong_winners: list[str]
    failed_winners: list[str]
    partial_writes: list[str]
    transient_failed: list[str]
    permanent_passed: list[str]
    peak: int
    window: float
    limit: int | None
    wrong_values: list[str] = field(default_factory=list)
    failed_runs_that_stored: list[str] = field(default_factory=list)
    healed: list[str] = field(default_factory=list)
    forced_without_calls: list[str] = field(default_factory=list)
    planned: int = 0

    def line(self) -> str:
        limit = "none" if self.limit is None else str(self.limit)
        return (
            f"chaos: {self.runs} runs, {len(self.wrong_winners)} wrong winners, "
            f"{len(self.failed_winners)} winners for failed runs, {len(self.partial_writes)} partial writes, "
            f"{len(self.transient_failed)} transient faults failed a run, "
            f"{len(self.permanent_passed)} permanent faults passed, "
            f"peak {self.peak} calls in any {self.window:g}-second window (limit {limit})"
        )

    @property
    def ok(self) -> bool:
        over = self.limit is not None and self.peak > self.limit
        bad = (
            self.wrong_winners,
            self.failed_winners,
            self.partial_writes,
            self.transient_failed,
            self.permanent_passed,
            self.wrong_values,
        )
        return not over and not any(bad) and self.runs == self.planned


def evaluate(
    runs: Sequence[Run],
    before: Mapping[str, DayState],
    after: Mapping[str, DayState],
    watchlist_of: Callable[[str], tuple[str, ...]],
    succeeded_elsewhere: Callable[[str], bool],
    peak: int,
    window: float,
    limit: int | None,
    planned: int | None = None,
) -> Tally:
    """The verdicts of DESIGN.md §5 over what the runs did and what is stored before and after them.

    - wrong winner: a winner item written during the suite that differs (ticker, percent change, closing
      price) from the oracle for the watchlist of the execution that wrote it;
    - winner for a failed run: a date without a winner before the suite whose chaos runs all failed, yet
      has a winner (unless a succeeded execution outside the suite, a gap-healing backfill, wrote it);
    - partial write: a date changed during the suite with per-ticker items or Parquet but no winner, or a
      winner without every watchlist item, the Parquet file and the day's board;
    - transient fault failed a run: a run with no permanent fault and no transient kind beyond its budget
      (or no fault at all) that did not SUCCEED;
    - permanent fault passed: a run a permanent fault reached that stored a winner.
    Also (in the breakdown, and failing the suite): stored per-ticker items, Parquet rows or board entries
    (another run's board, or not the top N by the oracle's moves) that differ from the oracle; and failed
    runs whose winner stayed stored (not in the tally line).
    """
    wrong, failed, partial, values, healed = [], [], [], [], []
    by_date: dict[str, list[Run]] = {}
    for run in runs:
        by_date.setdefault(run.date, []).append(run)
    ran = [r for r in runs if r.status != "NOT_RUN"]
    chaos_arns = {r.arn for r in ran}
    dates = sorted(set(by_date) | {d for d in after if after[d].key() != before.get(d, DayState()).key()})
    for day in dates:
        old, new = before.get(day, DayState()), after.get(day, DayState())
        changed = old.key() != new.key()
        winner = new.winner
        if winner is not None and changed:
            arn = winner["ExecutionArn"]["S"]
            tickers = watchlist_of(arn)
            want_ticker, want_pct = oracle.winner(day, tickers)
            got = (
                winner["Ticker"]["S"],
                _dec(winner["PercentChange"]["N"]),
                _dec(winner["ClosingPrice"]["N"]),
            )
            if got != (want_ticker, Decimal(want_pct), Decimal(oracle.close(want_ticker, day))):
                wrong.append(
                    f"{day}: stored {got[0]} {got[1]}% close {got[2]}, oracle {want_ticker} {want_pct}%"
                )
            missing = sorted(set(tickers) - set(new.items))
            if missing or new.parquet is None or new.board is None:
                what = (
                    f"items missing for {', '.join(missing)}"
                    if missing
                    else "no Parquet file"
                    if new.parquet is None
                    else "no board"
                )
                partial.append(f"{day}: winner but {what}")
            if new.board is not None:
                values += _board_errors(day, new.board, arn, tickers)
            for t in sorted(set(tickers) & set(new.items)):
                item = new.items[t]
                if (_dec(item["Close"]["N"]), _dec(item["PercentChange"]["N"])) != (
                    Decimal(oracle.close(t, day)),
                    Decimal(oracle.pct6(t, day)),
                ):
                    values.append(
                        f"{day}: item {t} close {item['Close']['N']} pct {item['PercentChange']['N']}"
                    )
            if new.parquet_rows is not None:
                for t in tickers:
                    close = new.parquet_rows.get(t)
                    if close is None or _dec(close) != Decimal(oracle.close(t, day)):
                        values.append(f"{day}: Parquet row {t} close {close}")
        elif winner is None and changed and (new.items or new.parquet):
            partial.append(
                f"{day}: {len(new.items)} per-ticker items, "
                f"Parquet {'yes' if new.parquet else 'no'}, no winner"
            )
        day_runs = [r for r in by_date.get(day, []) if r.status != "NOT_RUN"]
        all_failed = bool(day_runs) and all(r.status != "SUCCEEDED" for r in day_runs)
        if old.winner is None and winner is not None and all_failed:
            arn = winner["ExecutionArn"]["S"]
            if arn not in chaos_arns and succeeded_elsewhere(arn):
                healed.append(f"{day}: stored by {arn.rsplit(':', 1)[-1]}")
            else:
                errors = ", ".join(sorted({r.error or r.status for r in day_runs}))
                failed.append(f"{day}: {len(day_runs)} run(s) failed ({errors}) yet a winner is stored")
    transient = [r.describe() for r in ran if r.transient_within_budget and r.status != "SUCCEEDED"]
    permanent = [
        r.describe() for r in ran if r.permanent_injected and (r.stored_winner or r.result == "Stored")
    ]
    stored_then_failed = [r.describe() for r in ran if r.status != "SUCCEEDED" and r.stored_winner]
    # information, not a verdict: a forced run is meant to fetch again (issue 13, item 3)
    uncalled = [r.describe() for r in ran if r.force and r.calls == 0 and r.result == "Stored"]
    return Tally(
        runs=len(ran),
        wrong_winners=wrong,
        failed_winners=failed,
        partial_writes=partial,
        transient_failed=transient,
        permanent_passed=permanent,
        peak=peak,
        window=window,
        limit=limit,
        wrong_values=values,
        failed_runs_that_stored=stored_then_failed,
        forced_without_calls=uncalled,
        healed=healed,
        planned=len(runs) if planned is None else planned,
    )


def breakdown(runs: Sequence[Run], tally: Tally) -> list[str]:
    """The lines printed before the tally line: faults by kind, outcomes, and every problem found."""
    ran = [r for r in runs if r.status != "NOT_RUN"]
    out = [f"{'fault kind':<20} {'class':<10} {'budget':>6} {'runs':>5} {'hit':>5} {'injected':>8} "
           f"{'succeeded':>9} {'failed':>6}"]  # fmt: skip
    for kind in KINDS.values():
        planned = [r for r in ran if any(f.kind == kind.name for f in r.faults)]
        hit = [r for r in planned if r.injected[kind.name] > 0]
        budget = "-" if kind.budget is None else str(kind.budget)
        out.append(
            f"{kind.name:<20} {'transient' if kind.transient else 'permanent':<10} {budget:>6} "
            f"{len(planned):>5} {len(hit):>5} {sum(r.injected[kind.name] for r in ran):>8} "
            f"{sum(r.status == 'SUCCEEDED' for r in hit):>9} {sum(r.status != 'SUCCEEDED' for r in hit):>6}"
        )
    results = Counter(r.result or "?" for r in ran if r.status == "SUCCEEDED")
    errors = Counter(r.error or r.status for r in ran if r.status != "SUCCEEDED")
    clean = sum(1 for r in ran if not r.faults)
    out.append(
        f"outcomes: {sum(r.status == 'SUCCEEDED' for r in ran)} succeeded "
        f"({', '.join(f'{k} {v}' for k, v in sorted(results.items())) or '-'}), "
        f"{sum(r.status != 'SUCCEEDED' for r in ran)} failed "
        f"({', '.join(f'{k} {v}' for k, v in sorted(errors.items())) or '-'}); "
        f"{clean} runs without faults, {sum(r.force for r in ran)} forced, "
        f"{len({r.group for r in ran if r.group is not None})} concurrent groups"
    )
    sections = [
        ("wrong winner", tally.wrong_winners),
        ("winner for failed runs", tally.failed_winners),
        ("partial write", tally.partial_writes),
        ("transient fault failed the run", tally.transient_failed),
        ("permanent fault passed", tally.permanent_passed),
        ("stored value differs from the oracle", tally.wrong_values),
        ("failed run left its winner stored", tally.failed_runs_that_stored),
        ("failed date healed by a backfill", tally.healed),
        ("forced run stored without a provider call (information)", tally.forced_without_calls),
    ]
    for title, lines in sections:
        for line in lines:
            out.append(f"  {title}: {line}")
    if tally.runs < tally.planned:
        out.append(f"  stopped at the deadline after {tally.runs} of {tally.planned} runs")
    return out


# ---------------------------------------------------------------------------------------------------------
# Driving a started LocalStack


def _print(line: str) -> None:
    print(line, flush=True)


class Suite:
    """Runs a plan on a started movers.local.stack.LocalStack (its market server in this process)."""

    def __init__(self, stack: Any, config: Config, log: Callable[[str], None] = _print) -> None:
        self.stack = stack
        self.config = config
        self.log = log
        self.sfn = stack.client("stepfunctions")
        self.ddb = stack.client("dynamodb")
        self.s3 = stack.client("s3")
        self.outputs = stack.outputs
        self.market = stack.market
        self.aws = stack.aws
        self.table = self.outputs["table_name"]
        self.items = ItemStore(self.table, self.ddb)
        self.workflows = Workflows(self.sfn)
        self.bucket = self.outputs["bucket_name"]
        self.functions: dict[str, str] = dict(self.outputs["function_names"])
        self.token = uuid.uuid4().hex[:6]  # execution names unique across suites on one stack
        self._watchlists: dict[str, tuple[str, ...]] = {}
        self._statuses: dict[str, str] = {}
        from movers.cli.replay import deployed_watchlist

        lam = stack.client("lambda")
        self.watchlist = tuple(deployed_watchlist(lam, stack.client("s3"), self.functions["validate_input"]))

    # -- stored state ------------------------------------------------------------------------------------

    def snapshot(self, read_parquet: bool = False) -> dict[str, DayState]:
        days: dict[str, DayState] = {}
        kwargs: dict[str, Any] = {"TableName": self.table}
        while True:
            page = self.ddb.scan(**kwargs)
            for item in page.get("Items", []):
                pk, sk = item["pk"]["S"], item["sk"]["S"]
                if pk == WINNER_PK:
                    days.setdefault(sk, DayState()).winner = item
                elif pk == _BOARD_PK:
                    days.setdefault(sk, DayState()).board = item
                elif (ticker := ticker_of(pk)) is not None:
                    days.setdefault(sk, DayState()).items[ticker] = item
            if not page.get("LastEvaluatedKey"):
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        for obj in self._objects("curated/daily_bars/"):
            key = obj["Key"]
            if key.endswith("/bars.parquet") and "/date=" in key:
                day = key.split("/date=", 1)[1].split("/", 1)[0]
                days.setdefault(day, DayState()).parquet = obj["ETag"]
        if read_parquet:
            for day, state in days.items():
                if state.parquet is not None:
                    state.parquet_rows = self._parquet_rows(day)
        return days

    def _objects(self, prefix: str) -> Iterable[dict[str, Any]]:
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            page = self.s3.list_objects_v2(**kwargs)
            yield from page.get("Contents", [])
            if not page.get("IsTruncated"):
                return
            kwargs["ContinuationToken"] = page["NextContinuationToken"]

    def _parquet_rows(self, day: str) -> dict[str, str] | None:
        try:
            import pyarrow.parquet as pq
        except ImportError:  # the checks then rest on the items; pyarrow is in the dev environment
            return None
        key = f"curated/daily_bars/year={day[:4]}/date={day}/bars.parquet"
        body = self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        rows = pq.read_table(io.BytesIO(body), columns=["ticker", "close"]).to_pylist()
        return {str(r["ticker"]): str(r["close"]) for r in rows}

    def watchlist_of(self, arn: str) -> tuple[str, ...]:
        if arn not in self._watchlists:
            try:
                body = json.loads(self.workflows.describe(arn).get("input") or "{}")
            except Exception:  # an ARN the local AWS does not know: judge against the stack's watchlist
                body = {}
            tickers = body.get("tickers") if isinstance(body, dict) else None
            self._watchlists[arn] = tuple(tickers) if tickers else self.watchlist
        return self._watchlists[arn]

    def succeeded(self, arn: str) -> bool:
        if arn not in self._statuses:
            try:
                self._statuses[arn] = self.workflows.describe(arn)["status"]
            except Exception:
                self._statuses[arn] = "UNKNOWN"
        return self._statuses[arn] == "SUCCEEDED"

    # -- faults ------------------------------------------------------------------------------------------

    def _arm(self, run: Run) -> list[tuple[Fault, str]]:
        """Arms the run's faults; returns the AWS rules' ids."""
        rules: list[tuple[Fault, str]] = []
        for fault in run.faults:
            if KINDS[fault.kind].side == "provider":
                self.market.set_faults(self._provider_config(run, fault))
                continue
            service, action, *function = fault.target.split(":")
            rule = self.aws.inject(
                service,
                action,
                [fault.detail] * fault.count,
                function=self.functions[function[0]] if function else None,
                body_contains=run.name if fault.body == "execution" else run.date,
            )
            rules.append((fault, rule["id"]))
        return rules

    @staticmethod
    def _provider_config(run: Run, fault: Fault) -> dict[str, Any]:
        # A permanent fault answers every call for its ticker during the run, as a provider that lacks the
        # bar (or refuses the key) does on a retry too. Scripted once, a fetch whose worker crashed after the
        # call (worker_crash) was retried into a clean answer, and the run rightly stored the true day while
        # the tally counted a permanent fault that had passed.
        repeat = fault.count if KINDS[fault.kind].transient else PERMANENT_ANSWERS
        script = fault.detail.split(",") if fault.kind == "5xx" else [SERVER_KIND[fault.kind]] * repeat
        config: dict[str, Any] = {
            "script": script,
            "dates": [run.date],
            "timeout_ms": CLIENT_TIMEOUT_MS + 500,
        }
        if fault.kind == "slow":
            config["slow_ms"] = int(fault.detail.removesuffix("ms"))
        if fault.kind == "bad_numbers":
            config["bad_numbers"] = fault.detail
        if fault.target:  # one ticker's answers go wrong (the others are served clean)
            config["tickers"] = [fault.target]
            config["drop_tickers"] = [fault.target]
        return config

    def _collect(
        self, runs: Sequence[Run], rules: Sequence[tuple[Run, Fault, str]], before: Counter[str]
    ) -> None:
        state = {r["id"]: r["injected"] for r in self.aws.faults()["rules"]}
        for run, fault, rule_id in rules:
            run.injected[fault.kind] += int(state.get(rule_id, 0))
        after = Counter(self.market.stats()["faults_injected"])
        for run in runs:  # provider faults are armed for lone runs only, so the difference is theirs
            for fault in run.faults:
                if KINDS[fault.kind].side != "provider":
                    continue
                kinds = SERVER_5XX if fault.kind == "5xx" else (SERVER_KIND[fault.kind],)
                run.injected[fault.kind] += sum(after[k] - before[k] for k in kinds)
        self.market.set_faults(None)
        self.aws.clear_faults()

    # -- executions --------------------------------------------------------------------------------------

    def _wait_background(self, timeout: float) -> None:
        """Waits for gap-healing backfills (and analyses) so none overlaps the next run's faults."""
        deadline = time.monotonic() + timeout
        for key in ("backfill_state_machine_arn", "daily_analysis_state_machine_arn"):
            arn = self.outputs.get(key)
            while arn and time.monotonic() < deadline:
                running = self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
                if not running:
                    break
                time.sleep(0.25)

    def _start(self, run: Run) -> None:
        started = self.workflows.start(self.outputs["ingest_state_machine_arn"], run.name, run.payload())
        if not started.started:
            raise RuntimeError(f"chaos run name {run.name} is taken")
        run.arn = started.execution_arn

    def _finish(self, run: Run, started: float) -> None:
        left = started + self.config.run_timeout_s - time.monotonic()
        try:
            desc = self.workflows.wait(run.arn, timeout=max(0.0, left), poll=0.2)
        except StillRunning:
            self.sfn.stop_execution(executionArn=run.arn, error="ChaosTimeout", cause="run took too long")
            desc = self.workflows.describe(run.arn)
        run.seconds = round(time.monotonic() - started, 2)
        run.status = desc["status"]
        if run.status == "SUCCEEDED":
            output = json.loads(desc.get("output") or "{}")
            run.result = str(output.get("status", "")) if isinstance(output, dict) else ""
        else:
            run.error, run.cause = str(desc.get("error", "")), str(desc.get("cause", ""))[:300]
        winner = self.items.winner(run.date)
        run.stored_winner = winner is not None and winner["ExecutionArn"]["S"] == run.arn

    def execute(self, runs: Sequence[Run]) -> float:
        """Runs the plan step by step (a group's runs start together); returns the seconds it took."""
        started = time.monotonic()
        steps: list[list[Run]] = []
        for run in runs:
            if run.group is not None and steps and steps[-1][0].group == run.group:
                steps[-1].append(run)
            else:
                steps.append([run])
        for step in steps:
            if self.config.deadline_s is not None and time.monotonic() - started > self.config.deadline_s:
                break
            self._wait_background(120.0)
            stats = self.market.stats()
            before, calls = Counter(stats["faults_injected"]), int(stats["total"])
            rules: list[tuple[Run, Fault, str]] = []
            t0 = time.monotonic()
            for run in step:
                run.name = f"chaos-{self.token}-{run.index:04d}-{run.date}"
                rules += [(run, f, rid) for f, rid in self._arm(run)]
            for run in step:
                self._start(run)
            try:
                for run in step:
                    self._finish(run, t0)
            finally:
                self._collect(step, rules, before)
            if len(step) == 1:
                step[0].calls = int(self.market.stats()["total"]) - calls
            for run in step:
                self.log(f"  {run.describe()} ({run.seconds:.1f} s)")
        self._wait_background(300.0)
        return time.monotonic() - started


# A crashed fetch leaves its idempotency lock until the crashed invocation's deadline (the function's
# timeout, 60 s). On AWS the ASL's Runtime.ExitError retry comes after 65 s, so the lock has expired. The
# local stack runs Wait/Retry sleeps at `time_scale` (65 s -> 1.3 s at 1/50) but not Lambda time, so the
# retries (with the IdempotencyAlreadyInProgressError ones, ~5 s scaled in all) would meet a live lock and
# fail the run: an artifact of the scale. Under a scale the suite restores AWS's order with this timeout,
# as the killed-worker stack test does.
SCALED_FETCH_TIMEOUT_S = 4


@contextlib.contextmanager
def crash_retry_outlasts_the_fetch_deadline(stack: Any) -> Iterator[None]:
    """fetch_bars released with SCALED_FETCH_TIMEOUT_S while the suite runs, when time is scaled."""
    if float(getattr(stack, "time_scale", 1.0)) >= 1.0:
        yield
        return
    with stack.released(stack.outputs["function_names"]["fetch_bars"], Timeout=SCALED_FETCH_TIMEOUT_S):
        yield


def run_suite(stack: Any, config: Config, log: Callable[[str], None] = _print) -> Tally:
    """Plans, runs and judges a suite on a started LocalStack; prints the breakdown and the tally line
    (last) through `log` and returns the tally."""
    suite = Suite(stack, config, log)
    runs = plan(config, oracle.sessions(), suite.watchlist)
    limit = suite.market.app.limiter.limit
    calls, window = (limit[0], limit[1]) if limit else (None, 60.0)
    log(
        f"chaos: seed {config.seed}, {len(runs)} runs over {runs and min(r.date for r in runs)}.."
        f"{runs and max(r.date for r in runs)}, provider limit "
        f"{'none' if limit is None else f'{calls} per {window:g} s'}"
    )
    suite.market.set_faults(None)
    suite.aws.clear_faults()
    suite._wait_background(300.0)
    before = suite.snapshot()
    suite.market.reset()  # arrivals (and counters) from here on are the suite's
    try:
        with crash_retry_outlasts_the_fetch_deadline(stack):
            seconds = suite.execute(runs)
    finally:
        suite.market.set_faults(None)
        suite.aws.clear_faults()
    peak = suite.market.peak(window)
    after = suite.snapshot(read_parquet=True)
    tally = evaluate(runs, before, after, suite.watchlist_of, suite.succeeded, peak, window, calls)
    for line in breakdown(runs, tally):
        log(line)
    log(f"ran {tally.runs} runs in {seconds:.0f} s")
    log(tally.line())
    return tally


# ---------------------------------------------------------------------------------------------------------
# make chaos

TIME_SCALE = 0.02  # Wait/Retry sleeps of the state machines at 1/50 speed, as in the stack tests
MARKET_RATE_LIMIT = (5, 2.0)  # Massive's "5 per minute" shape in a 2 s window


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        return int(text)
    except ValueError:
        raise SystemExit(f"error: {name} must be an integer, got {text!r}") from None


def start_stack(prefix: str = "movers-chaos-") -> Any:
    """A fresh LocalStack for a suite (scaled time and market limit, as in the stack tests), started."""
    from movers.local.stack import LocalStack

    stack = LocalStack(
        work_dir=Path(tempfile.mkdtemp(prefix=prefix)),
        time_scale=TIME_SCALE,
        market_rate_limit=MARKET_RATE_LIMIT,
        variables={"rate_limit_allowance_seconds": 0.5},
    )
    try:
        stack.start()
    except BaseException:
        stack.stop()
        raise
    return stack


def main(argv: Sequence[str] | None = None) -> int:
    """`make chaos`: a fresh local stack, CHAOS_RUNS runs (default 30) with seed CHAOS_SEED (default 1).
    Exits 1 when the tally shows any wrong, failed-run, partial, transient-failed or permanent-passed
    case, a stored value differing from the oracle, more calls in a window than the plan, or runs cut
    short by the deadline; 2 when the stack cannot start."""
    from movers.local.stack import StackError

    del argv
    runs = _env_int("CHAOS_RUNS", 30)
    seed = _env_int("CHAOS_SEED", 1)
    if runs < 1:
        print("error: CHAOS_RUNS must be at least 1", file=sys.stderr)
        return 2
    print("chaos: starting the local stack (terraform apply, ~2 min)", flush=True)
    try:
        stack = start_stack()
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        tally = run_suite(stack, Config(runs=runs, seed=seed, deadline_s=max(600.0, runs * 60.0)))
    finally:
        stack.stop()
    return 0 if tally.ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
