"""Issue 4 acceptance: every Retry and Catch path of statemachines/ingest.asl.json is executed by a test.

Faults come from two honest switches: the market server's scripted faults (provider errors: RateLimited,
slow calls) and the local AWS fault switch (movers.local.faults), which answers the next matching AWS API
call - the interpreter's Lambda Invoke, DynamoDB GetItem or EventBridge PutEvents - with the error AWS sends.
Each test reads the execution history: which state failed with which error name, what was entered next,
and the outcome (SUCCEEDED after a retry; FAILED with the original error via "Run Failed" after a Catch).

Every run uses force=true and its own 2024 date (a month apart, so one run's gap healing never reaches
another's date), so what other tests stored never changes the path taken. `COVERED` lists the path each
test takes; `test_every_retry_and_catch_of_the_machine_is_covered` fails when the machine gains a path no
test takes.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from movers.local.server import LocalAws
from stock_movers.execution_names import heal_execution_name, heal_name_prefix
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
ASL = Path(__file__).resolve().parents[2] / "statemachines" / "ingest.asl.json"
RETRIES = 3  # MaxAttempts of the Lambda/DynamoDB/EventBridge clauses: 1 + 3 attempts exhaust them

# (kind, state, representative error) -> the test that makes that state fail with that error and checks
# the clause handled it. A Catch row names the error that reaches the Catch.
RETRIED = "test_transient_aws_faults_are_retried_and_the_day_is_stored"
SNAPSHOT = "test_snapshot_faults_are_retried"
SAME_BAR = "test_a_second_invocation_of_one_fetch_waits_for_the_first"
CRASH = "test_a_killed_fetch_worker_is_retried_and_the_next_run_converges_at_once"
CAUGHT_RUN = "test_exhausted_retries_are_caught_and_fail_the_run"
THROTTLED_COMMIT = "test_a_throttled_commit_is_retried_and_the_day_is_stored_whole"
SVC = "Lambda.ServiceException"
TMR = "Lambda.TooManyRequestsException"
PTEE = "DynamoDB.ProvisionedThroughputExceededException"
EB = "EventBridge.InternalException"
PENDING = "test_announce_failure_leaves_a_succeeded_run_and_a_re_run_announces_the_day_once"
PENDING_CAUGHT = "test_failures_around_a_pending_announcement_never_fail_a_run"
ELE = "StepFunctions.ExecutionLimitExceededException"
HEAL_RETRIED = "test_a_refused_healing_start_is_retried_and_the_backfill_heals_the_gaps"
HEAL_CAUGHT = "test_a_heal_already_started_or_never_started_leaves_the_run_succeeded"
COVERED: dict[tuple[str, str, str], str] = {
    ("Retry", "Validate Input", SVC): RETRIED,
    ("Retry", "Check Already Stored", PTEE): RETRIED,
    ("Retry", "Fetch Bars", TMR): RETRIED,
    ("Retry", "Fetch Bars", "RateLimited"): RETRIED,
    ("Retry", "Pick Winner", SVC): RETRIED,
    ("Retry", "Store Day", SVC): RETRIED,
    ("Retry", "Store Day", "StorageUnavailable"): THROTTLED_COMMIT,
    ("Retry", "Announce", EB): RETRIED,
    ("Retry", "Find Gaps", SVC): RETRIED,
    ("Retry", "Start Healing Backfill", ELE): HEAL_RETRIED,
    ("Retry", "Fetch Session Snapshot", "RateLimited"): SNAPSHOT,
    ("Retry", "Fetch Session Snapshot", SVC): SNAPSHOT,
    ("Retry", "Fetch Bars", "IdempotencyAlreadyInProgressError"): SAME_BAR,
    ("Retry", "Fetch Bars", "Runtime.ExitError"): CRASH,
    ("Catch", "Validate Input", SVC): CAUGHT_RUN,
    ("Catch", "Check Already Stored", PTEE): CAUGHT_RUN,
    ("Catch", "Fetch Watchlist", SVC): CAUGHT_RUN,
    ("Catch", "Pick Winner", SVC): CAUGHT_RUN,
    ("Catch", "Store Day", TMR): CAUGHT_RUN,
    ("Catch", "Fetch Session Snapshot", SVC): "test_exhausted_snapshot_retries_fail_the_run",
    ("Catch", "Announce", EB): PENDING,
    ("Retry", "Record Pending Announcement", PTEE): PENDING,
    ("Retry", "Already Stored", PTEE): PENDING,
    ("Retry", "Re-announce", EB): PENDING,
    ("Retry", "Clear Pending Announcement", PTEE): PENDING,
    ("Catch", "Record Pending Announcement", PTEE): PENDING_CAUGHT,
    ("Catch", "Already Stored", PTEE): PENDING_CAUGHT,
    ("Catch", "Re-announce", EB): PENDING_CAUGHT,
    ("Catch", "Clear Pending Announcement", PTEE): PENDING_CAUGHT,
    ("Catch", "Find Gaps", SVC): "test_heal_failure_never_fails_the_run",
    ("Catch", "Start Healing Backfill", "StepFunctions.ExecutionAlreadyExistsException"): HEAL_CAUGHT,
    ("Catch", "Start Healing Backfill", ELE): HEAL_CAUGHT,
}


# --------------------------------------------------------------------------------------------------
# The machine's paths


def _machine() -> dict[str, Any]:
    return dict(json.loads(ASL.read_text()))  # valid JSON as committed; only the shape matters here


def machine_paths() -> list[tuple[str, str, list[str]]]:
    """Every (kind, state, ErrorEquals) of the machine, Map processors included."""
    out: list[tuple[str, str, list[str]]] = []

    def walk(states: dict[str, Any]) -> None:
        for name, state in states.items():
            out.extend(("Retry", name, r["ErrorEquals"]) for r in state.get("Retry", []))
            out.extend(("Catch", name, c["ErrorEquals"]) for c in state.get("Catch", []))
            for nested in ("ItemProcessor", "Iterator"):
                if nested in state:
                    walk(state[nested]["States"])
            for branch in state.get("Branches", []):
                walk(branch["States"])

    walk(_machine()["States"])
    return out


def _handles(error_equals: list[str], error: str) -> bool:
    """Whether a clause matches an error name (States.ALL: any; States.TaskFailed: any but States.*)."""
    return (
        error in error_equals
        or "States.ALL" in error_equals
        or ("States.TaskFailed" in error_equals and not error.startswith("States."))
    )


def test_every_retry_and_catch_of_the_machine_is_covered() -> None:
    # Given the machine's definition and the table of covered paths: every clause is taken by a test (the
    # first clause of its kind in that state that matches the error), and every row names a real clause
    # and a test in this module.
    paths = machine_paths()
    assert paths, "no Retry/Catch found: did the definition move?"
    taken: set[tuple[str, str, int]] = set()
    for (kind, state, error), test in COVERED.items():
        assert test in globals(), f"COVERED names a missing test {test}"
        clauses = [(i, eq) for i, (k, s, eq) in enumerate(paths) if (k, s) == (kind, state)]
        first = next((i for i, eq in clauses if _handles(eq, error)), None)
        assert first is not None, f"{kind} of {state!r} has no clause for {error} (stale COVERED row)"
        taken.add((kind, state, first))
    # A distributed child's "Batch X" states are X's states (tests/unit/test_ingest_fanout_asl.py keeps the
    # two processors equal), so X's row stands for them.
    covered = {(k, s, tuple(eq)) for i, (k, s, eq) in enumerate(paths) if (k, s, i) in taken}
    missing = [
        (k, s, eq)
        for i, (k, s, eq) in enumerate(paths)
        if (k, s, i) not in taken
        and not (
            s.startswith("Batch ")
            and (k, s.removeprefix("Batch "), tuple(eq)) in covered | set(NOT_YET_TAKEN_HERE)
        )
    ]
    unlisted = [m for m in missing if (m[0], m[1], tuple(m[2])) not in NOT_YET_TAKEN_HERE]
    assert not unlisted, f"Retry/Catch clauses no test takes (add a test and a COVERED row): {unlisted}"
    stale = set(NOT_YET_TAKEN_HERE) - {(k, s, tuple(eq)) for k, s, eq in missing}
    assert not stale, f"NOT_YET_TAKEN_HERE rows a test now takes or that no longer exist: {sorted(stale)}"


# Clauses added with the market scope, the Distributed Map, the push feed and failover (session 6) that no
# fault test of this module takes yet. Each is known debt, listed so a new untested clause still fails the
# test above; the value says what exercises the state today.
_LAMBDA = (
    "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)  # fmt: skip
NOT_YET_TAKEN_HERE: dict[tuple[str, str, tuple[str, ...]], str] = {
    ("Retry", "Check Market Day Stored", ("DynamoDB.ProvisionedThroughputExceededException",
     "DynamoDB.ThrottlingException", "DynamoDB.InternalServerErrorException", "States.TaskFailed")):
        "test_market_scope (its re-run takes the stored path)",
    ("Catch", "Check Market Day Stored", ("States.ALL",)): "no fault test",
    ("Retry", "Fetch Market Snapshot", ("RateLimited",)): "no fault test",
    ("Retry", "Fetch Market Snapshot", ("ProviderUnavailable", "Runtime.ExitError", "Sandbox.Timedout",
     *_LAMBDA)): "no fault test",
    ("Catch", "Fetch Market Snapshot", ("States.ALL",)): "no fault test",
    ("Retry", "Reduce Market Day", _LAMBDA): "no fault test",
    ("Catch", "Reduce Market Day", ("States.ALL",)): "no fault test",
    ("Retry", "Store Market Day", _LAMBDA): "no fault test",
    ("Retry", "Store Market Day", ("StorageUnavailable", "Runtime.ExitError", "Sandbox.Timedout")):
        "no fault test",
    ("Catch", "Store Market Day", ("States.ALL",)): "no fault test",
    ("Catch", "Fetch Session Snapshot", ("ProviderUnavailable", "PlanLimitError")):
        "the snapshot failover: unit tests of the ASL only",
    ("Retry", "Collect Pushed Bars", ("Runtime.ExitError", "Sandbox.Timedout", *_LAMBDA)): "no fault test",
    ("Catch", "Collect Pushed Bars", ("States.ALL",)): "no fault test",
    ("Catch", "Fetch Bars", ("ProviderUnavailable", "PlanLimitError")):
        "tests/integration/test_failover.py (the failover to the next provider)",
    ("Retry", "Write Fetch Items", ("States.TaskFailed",)): "no fault test",
    ("Catch", "Write Fetch Items", ("States.ALL",)): "no fault test",
    ("Catch", "Fetch Watchlist Distributed", ("States.ALL",)): "no fault test",
}  # fmt: skip


# --------------------------------------------------------------------------------------------------
# Helpers


@pytest.fixture
def switch(stack: StackHandle) -> Iterator[LocalAws]:
    """Given the stack's local AWS fault switch, disarmed before and after the test."""
    aws = stack.stack.aws
    assert aws is not None
    aws.clear_faults()
    try:
        yield aws
    finally:
        aws.clear_faults()
        stack.market.set_faults(None)


def fn(stack: StackHandle, short: str) -> str:
    names = {**stack.outputs["function_names"], **stack.outputs.get("backfill_function_names", {})}
    return str(names[short])


def quiesce(stack: StackHandle) -> None:
    stack.quiesce_market(quiet=1.0)


def start(stack: StackHandle, label: str, payload: dict[str, Any]) -> str:
    name = f"paths-{label}-{payload['date']}-{uuid.uuid4().hex[:6]}"
    arn = stack.outputs["ingest_state_machine_arn"]
    return str(
        stack.sfn.start_execution(stateMachineArn=arn, name=name, input=json.dumps(payload))["executionArn"]
    )


class History:
    """An execution's history, read as: which state failed with what, and what was entered."""

    def __init__(self, stack: StackHandle, execution_arn: str) -> None:
        self.events = stack.history(execution_arn)
        self._by_id = {e["id"]: e for e in self.events}

    def _state_of(self, event: dict[str, Any]) -> str:
        # follow previousEventId back to the state's *StateEntered event (robust to Map interleaving)
        e: dict[str, Any] | None = event
        while e is not None:
            if e["type"].endswith("StateEntered"):
                return str(e["stateEnteredEventDetails"]["name"])
            e = self._by_id.get(e.get("previousEventId", 0))
        return ""

    def failures(self, state: str) -> list[str]:
        """Error names of the TaskFailed events of `state`, in order."""
        return [
            e["taskFailedEventDetails"]["error"]
            for e in self.events
            if e["type"] == "TaskFailed" and self._state_of(e) == state
        ]

    def succeeded(self, state: str) -> int:
        return sum(1 for e in self.events if e["type"] == "TaskSucceeded" and self._state_of(e) == state)

    def entered(self) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"] for e in self.events if e["type"].endswith("StateEntered")
        ]


def winner_item(stack: StackHandle, day: str) -> dict[str, Any] | None:
    return stack.winner(day)


# --------------------------------------------------------------------------------------------------
# Retries: a transient fault, then the state succeeds and the run stores its day


def test_transient_aws_faults_are_retried_and_the_day_is_stored(stack: StackHandle, switch: LocalAws) -> None:
    # Given one transient fault for every task of the per-ticker path (the AWS ones through the fault switch,
    # a 429 from the provider for one ticker), when the day runs, then each task fails once with the name
    # AWS gives that error, its Retry runs it again, and the day is stored and announced as usual.
    day, tickers = "2024-01-17", ["AAPL", "MSFT"]
    quiesce(stack)
    stack.market.set_faults({"script": ["429"], "tickers": ["MSFT"]})
    faults = {
        "Validate Input": ("lambda", "validate_input", "ServiceException"),
        "Fetch Bars": ("lambda", "fetch_bars", "TooManyRequestsException"),
        "Pick Winner": ("lambda", "pick_winner", "ServiceException"),
        "Store Day": ("lambda", "store_day", "ServiceException"),
        "Find Gaps": ("lambda", "plan_backfill", "ServiceException"),
    }
    for service, short, code in faults.values():
        switch.inject(service, "Invoke", [code], function=fn(stack, short), body_contains=day)
    switch.inject("dynamodb", "GetItem", ["ProvisionedThroughputExceededException"], body_contains=day)
    switch.inject("events", "PutEvents", ["InternalException"], body_contains=day)
    arn = start(stack, "retried", {"date": day, "tickers": tickers, "force": True})
    desc = stack.wait(arn)
    h = History(stack, arn)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    expected = {
        "Validate Input": ["Lambda.ServiceException"],
        "Check Already Stored": ["DynamoDB.ProvisionedThroughputExceededException"],
        "Pick Winner": ["Lambda.ServiceException"],
        "Store Day": ["Lambda.ServiceException"],
        "Announce": ["EventBridge.InternalException"],
        "Find Gaps": ["Lambda.ServiceException"],
    }
    for state, errors in expected.items():
        assert h.failures(state) == errors, (state, h.failures(state))
        assert h.succeeded(state) == 1, state
    assert sorted(h.failures("Fetch Bars")) == ["Lambda.TooManyRequestsException", "RateLimited"]
    assert h.succeeded("Fetch Bars") == len(tickers)
    assert switch.faults()["injected"] == 7
    out = json.loads(desc["output"])
    assert out["status"] == "Stored" and (winner_item(stack, day) or {})["ExecutionArn"]["S"] == arn
    assert "Run Failed" not in h.entered() and "Heal Failed" not in h.entered()


@pytest.fixture
def snapshot_strategy(stack: StackHandle) -> Iterator[None]:
    """Given fetch_strategy=snapshot on the validate_input function (as Terraform sets it), restored after."""
    lam = stack.stack.client("lambda")
    name = fn(stack, "validate_input")
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    stack.release_function_env(name, {**env, "FETCH_STRATEGY": "snapshot"})
    try:
        yield
    finally:
        stack.release_function_env(name, env)


def test_snapshot_faults_are_retried(stack: StackHandle, switch: LocalAws, snapshot_strategy: None) -> None:
    # Given the snapshot strategy, a Lambda ServiceException on the first snapshot invoke and a 429 on the
    # first grouped-daily call, when the day runs, then the snapshot task is retried by each of its two
    # clauses (the invoke fault never reaches the provider) and the day is stored from the snapshot.
    day = "2024-02-14"
    quiesce(stack)
    stack.market.set_faults({"script": ["429"], "endpoints": ["grouped"]})
    switch.inject(
        "lambda", "Invoke", ["ServiceException"], function=fn(stack, "fetch_bars"), body_contains=day
    )
    arn = start(stack, "snapshot-retried", {"date": day, "force": True})
    desc = stack.wait(arn)
    h = History(stack, arn)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    assert h.failures("Fetch Session Snapshot") == ["Lambda.ServiceException", "RateLimited"]
    assert h.succeeded("Fetch Session Snapshot") == 1 and h.failures("Fetch Bars") == []
    assert (winner_item(stack, day) or {})["ExecutionArn"]["S"] == arn


def _in_progress(stack: StackHandle, function: str) -> list[dict[str, Any]]:
    """The fetch function's idempotency records in progress now (Powertools, control table): an earlier
    crashed call's record keeps its INPROGRESS status after its lock expired, so expired ones are left out."""
    pages = stack.ddb.get_paginator("scan").paginate(TableName=stack.outputs["control_table_name"])
    mine = [i for page in pages for i in page["Items"] if i["id"]["S"].startswith(f"{function}.")]
    now_ms = time.time() * 1000
    return [
        i
        for i in mine
        if i.get("status", {}).get("S") == "INPROGRESS"
        and int(i.get("in_progress_expiration", {}).get("N", "0")) > now_ms
    ]


def _wait_for(check: Any, limit: float = 20.0) -> Any:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_a_second_invocation_of_one_fetch_waits_for_the_first(stack: StackHandle, switch: LocalAws) -> None:
    # Given a fetch of one bar already running for an execution (as when Step Functions saw an invoke fail
    # while the function still ran) and a slow provider answer, when that execution's Fetch Bars invokes
    # the same fetch, then it finds the idempotency record in progress (IdempotencyAlreadyInProgressError),
    # retries, and gets the first one's result: one provider call in all.
    day, ticker = "2024-03-13", "TSLA"
    quiesce(stack)
    before = stack.market.stats()["by_ticker"].get(ticker, 0)
    # The first call stays in flight 2 s: the execution must reach its Fetch Bars within that (under two
    # loaded pytest workers 1.5 s was once too short), and Fetch Bars' 8 scaled retries (~2.4 s) outlast it.
    stack.market.set_faults({"script": ["slow"], "slow_ms": 2000, "tickers": [ticker]})
    name = f"paths-same-bar-{day}-{uuid.uuid4().hex[:6]}"
    lam = stack.stack.client("lambda")
    event = {"ticker": ticker, "date": day, "snapshotKey": "", "executionName": name}
    first: dict[str, Any] = {}
    t = threading.Thread(
        target=lambda: first.update(
            lam.invoke(FunctionName=fn(stack, "fetch_bars"), Payload=json.dumps(event).encode())
        )
    )
    t.start()
    _wait_for(lambda: _in_progress(stack, fn(stack, "fetch_bars")))
    arn = stack.sfn.start_execution(
        stateMachineArn=stack.outputs["ingest_state_machine_arn"],
        name=name,
        input=json.dumps({"date": day, "tickers": [ticker], "force": True}),
    )["executionArn"]
    desc = stack.wait(arn)
    t.join()
    assert "FunctionError" not in first and json.loads(first["Payload"].read())["status"] == "Fetched"
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    h = History(stack, arn)
    assert set(h.failures("Fetch Bars")) == {"IdempotencyAlreadyInProgressError"}
    assert h.succeeded("Fetch Bars") == 1
    assert stack.market.stats()["by_ticker"].get(ticker, 0) - before == 1


SDK_ATTEMPTS = 3  # AWS_MAX_ATTEMPTS of every function (standard mode): the throttles one attempt eats


def test_a_throttled_commit_is_retried_and_the_day_is_stored_whole(
    stack: StackHandle, switch: LocalAws
) -> None:
    # Given DynamoDB throttling four writes of the day's commit (items + winner, one transaction): the
    # first Store Day attempt spends its SDK attempts and fails with StorageUnavailable, having written
    # nothing; when the day runs, then the state machine retries Store Day and the whole day is stored.
    day, tickers = "2026-01-21", ["AAPL", "MSFT", "NVDA"]  # after the five-year backfill's span
    quiesce(stack)
    switch.inject(
        "dynamodb", "TransactWriteItems", ["ProvisionedThroughputExceededException"] * 4, body_contains=day
    )
    arn = start(stack, "commit-throttled", {"date": day, "tickers": tickers, "force": True})
    desc = stack.wait(arn)
    h = History(stack, arn)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    assert h.failures("Store Day") == ["StorageUnavailable"] and h.succeeded("Store Day") == 1
    assert switch.faults()["injected"] == 4
    written = stack.day_written(day)
    assert (written["winner"] or {})["ExecutionArn"]["S"] == arn
    assert sorted(i["Ticker"]["S"] for i in written["ticker_items"]) == tickers and written["parquet"]
    assert "Announce" in h.entered()


def test_a_commit_throttled_past_every_retry_leaves_nothing_and_the_next_run_stores_the_day(
    stack: StackHandle, switch: LocalAws
) -> None:
    # Given a day nothing has stored and DynamoDB throttling every attempt of its commit (each Store Day
    # attempt spends its SDK attempts; 1 + 4 attempts), when the day runs, then it fails with
    # StorageUnavailable and nothing of the day exists: no winner, no ticker item, no Parquet.
    day, tickers = "2025-11-19", ["AMZN", "TSLA"]  # a day no other test stores
    assert stack.day_written(day) == {"winner": None, "ticker_items": [], "parquet": []}
    switch.inject(
        "dynamodb",
        "TransactWriteItems",
        ["ThrottlingException"] * (SDK_ATTEMPTS * 5),
        body_contains=day,
    )
    arn = start(stack, "commit-exhausted", {"date": day, "tickers": tickers})
    desc = stack.wait(arn)
    assert desc["status"] == "FAILED" and desc["error"] == "StorageUnavailable", desc.get("cause")
    assert History(stack, arn).failures("Store Day") == ["StorageUnavailable"] * 5
    assert stack.day_written(day) == {"winner": None, "ticker_items": [], "parquet": []}
    # When the throttling is over and the day runs again (no force), then it is stored at once
    switch.clear_faults()
    again = start(stack, "commit-converges", {"date": day, "tickers": tickers})
    done = stack.wait(again)
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["status"] == "Stored"
    written = stack.day_written(day)
    assert (written["winner"] or {})["ExecutionArn"]["S"] == again
    assert len(written["ticker_items"]) == len(tickers) and written["parquet"]


def _kill_workers(stack: StackHandle, function: str) -> int:
    """SIGKILLs this stack's Lambda worker processes of `function` (found by their environment)."""
    import os
    import signal

    wanted = {f"AWS_LAMBDA_FUNCTION_NAME={function}".encode(), f"AWS_ENDPOINT_URL={stack.endpoint}".encode()}
    killed = 0
    for pid in [p for p in os.listdir("/proc") if p.isdigit()]:
        try:
            env = set(Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"))
        except OSError:
            continue
        if wanted <= env:
            os.kill(int(pid), signal.SIGKILL)
            killed += 1
    return killed


@pytest.fixture
def short_fetch_timeout(stack: StackHandle) -> Iterator[int]:
    """Given fetch_bars with a 4 s timeout (its in-progress lock ends with the invocation's deadline), so
    the time-scaled retries of the local stack can outlast it as the real 65 s retry outlasts 60 s."""
    with stack.released(fn(stack, "fetch_bars"), Timeout=4):
        yield 4


def test_a_killed_fetch_worker_is_retried_and_the_next_run_converges_at_once(
    stack: StackHandle, switch: LocalAws, short_fetch_timeout: int
) -> None:
    # Given a slow provider answer for one ticker, when the fetch worker is killed mid-call, then Fetch Bars
    # fails with Runtime.ExitError, its Retry runs it again once the crashed call's in-progress lock (which
    # ends at that invocation's deadline) has expired, and the run stores the day.
    day, ticker = "2022-01-12", "NVDA"
    quiesce(stack)
    # (2.5 s: the worker is found and killed mid-call even on a loaded machine, and the call still ends
    # well inside the 4 s timeout when it is not killed)
    stack.market.set_faults({"script": ["slow"], "slow_ms": 2500, "tickers": [ticker]})
    function = fn(stack, "fetch_bars")
    arn = start(stack, "crash", {"date": day, "tickers": [ticker], "force": True})
    (record,) = _wait_for(lambda: _in_progress(stack, function))
    deadline_ms = (time.time() + short_fetch_timeout) * 1000
    assert int(record["in_progress_expiration"]["N"]) <= deadline_ms  # bounded by the Lambda deadline
    assert _kill_workers(stack, function) >= 1
    desc = stack.wait(arn)
    h = History(stack, arn)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"), h.failures("Fetch Bars"))
    failures = h.failures("Fetch Bars")
    assert failures[0] == "Runtime.ExitError" and set(failures) <= {
        "Runtime.ExitError",
        "IdempotencyAlreadyInProgressError",
    }
    assert (winner_item(stack, day) or {})["Ticker"]["S"] == ticker
    # When the day runs again at once, then nothing of the crash is in its way: no task fails.
    again = start(stack, "after-crash", {"date": day, "tickers": [ticker], "force": True})
    desc = stack.wait(again)
    assert desc["status"] == "SUCCEEDED" and History(stack, again).failures("Fetch Bars") == []
    assert (winner_item(stack, day) or {})["ExecutionArn"]["S"] == again


# --------------------------------------------------------------------------------------------------
# Catches: retries exhausted, the error is caught and the run fails with it (or, for healing, succeeds)


CAUGHT = [
    # (state whose Catch is taken, fault (service, action, function short name or None, code), error, date)
    ("Validate Input", ("lambda", "Invoke", "validate_input", "ServiceException"), SVC, "2024-04-17"),
    ("Check Already Stored", ("dynamodb", "GetItem", None, PTEE.split(".")[1]), PTEE, "2024-05-15"),
    ("Fetch Watchlist", ("lambda", "Invoke", "fetch_bars", "ServiceException"), SVC, "2024-06-12"),
    ("Pick Winner", ("lambda", "Invoke", "pick_winner", "ServiceException"), SVC, "2024-07-17"),
    ("Store Day", ("lambda", "Invoke", "store_day", "TooManyRequestsException"), TMR, "2024-08-14"),
]


@pytest.mark.parametrize(("state", "fault", "error", "day"), CAUGHT, ids=[c[0] for c in CAUGHT])
def test_exhausted_retries_are_caught_and_fail_the_run(
    stack: StackHandle,
    switch: LocalAws,
    state: str,
    fault: tuple[str, str, str | None, str],
    error: str,
    day: str,
) -> None:
    # Given a fault on every attempt of one state (1 + 3 retries), when the day runs, then the state's Catch
    # sends the error to "Run Failed", the run fails with the original error name, and the day's winner
    # item is exactly as before (nothing before Store Day writes it; a Store Day that never ran cannot).
    service, action, short, code = fault
    before = winner_item(stack, day)
    function = fn(stack, short) if short else None
    switch.inject(service, action, [code] * (RETRIES + 1), function=function, body_contains=day)
    arn = start(
        stack, f"caught-{state.lower().replace(' ', '-')}", {"date": day, "tickers": ["NVDA"], "force": True}
    )
    desc = stack.wait(arn)
    h = History(stack, arn)
    assert desc["status"] == "FAILED" and desc["error"] == error, (desc.get("error"), desc.get("cause"))
    failing_task = "Fetch Bars" if state == "Fetch Watchlist" else state
    assert h.failures(failing_task) == [error] * (RETRIES + 1)
    entered = h.entered()
    assert entered[-1] == "Run Failed" and entered[-2] in (state, failing_task), entered
    assert switch.faults()["injected"] == RETRIES + 1
    assert winner_item(stack, day) == before


def test_exhausted_snapshot_retries_fail_the_run(
    stack: StackHandle, switch: LocalAws, snapshot_strategy: None
) -> None:
    # Given the snapshot strategy and a ServiceException on every snapshot attempt, when the day runs, then
    # the snapshot's Catch fails the run with Lambda.ServiceException before the Map starts.
    day = "2024-09-18"
    before, calls = winner_item(stack, day), stack.market.stats()["total"]
    switch.inject(
        "lambda",
        "Invoke",
        ["ServiceException"] * (RETRIES + 1),
        function=fn(stack, "fetch_bars"),
        body_contains=day,
    )
    arn = start(stack, "caught-snapshot", {"date": day, "force": True})
    desc = stack.wait(arn)
    h = History(stack, arn)
    assert desc["status"] == "FAILED" and desc["error"] == "Lambda.ServiceException", desc.get("cause")
    assert h.failures("Fetch Session Snapshot") == ["Lambda.ServiceException"] * (RETRIES + 1)
    assert h.entered()[-2:] == ["Fetch Session Snapshot", "Run Failed"]
    assert "Fetch Watchlist" not in h.entered() and winner_item(stack, day) == before
    assert stack.market.stats()["total"] == calls  # no attempt reached the provider


def input_date(desc: dict[str, Any]) -> Any:
    """The `date` of an execution's input (None for inputs that are not objects, e.g. bad-input tests)."""
    payload = json.loads(desc["input"])
    return payload.get("date") if isinstance(payload, dict) else None


def analyses_of(stack: StackHandle, day: str, expect: int, settle: float = 3.0) -> list[dict[str, Any]]:
    """The finished daily-analysis executions whose input names `day`: waits until `expect` of them exist
    and have ended, then `settle` seconds more in which no other may appear."""
    machine = stack.outputs["daily_analysis_state_machine_arn"]
    deadline, quiet_since, found = time.monotonic() + 120, None, []
    while time.monotonic() < deadline:
        found = []
        pages = stack.sfn.get_paginator("list_executions").paginate(stateMachineArn=machine)
        for e in (e for page in pages for e in page["executions"]):
            desc = stack.sfn.describe_execution(executionArn=e["executionArn"])
            if input_date(desc) == day:
                found.append(desc)
        ended = all(d["status"] != "RUNNING" for d in found)
        if len(found) >= expect and ended:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return found
        else:
            quiet_since = None
        time.sleep(0.5)
    raise AssertionError(f"analyses of {day}: {[(d['name'], d['status']) for d in found]}, expected {expect}")


def analysed(found: list[dict[str, Any]]) -> list[str]:
    """Which of the analysis executions did the analysis (the rest ended AlreadyAnalysed)."""
    out = [json.loads(d["output"])["status"] for d in found if d["status"] == "SUCCEEDED"]
    assert len(out) == len(found), [(d["name"], d["status"], d.get("cause")) for d in found]
    assert set(out) <= {"Complete", "Partial", "AlreadyAnalysed"}, out
    return [s for s in out if s != "AlreadyAnalysed"]


def test_announce_failure_leaves_a_succeeded_run_and_a_re_run_announces_the_day_once(
    stack: StackHandle, switch: LocalAws
) -> None:
    # Given PutEvents failing on every attempt of Announce and the pending mark's first write throttled
    day = "2024-10-16"
    switch.inject("events", "PutEvents", ["InternalException"] * (RETRIES + 1), body_contains=day)
    switch.inject("dynamodb", "UpdateItem", ["ProvisionedThroughputExceededException"],
                  body_contains="SET AnnouncePending")  # fmt: skip
    # When the day runs
    arn = start(stack, "pending-announce", {"date": day, "tickers": ["GOOGL"], "force": True})
    desc = stack.wait(arn)
    h = History(stack, arn)
    # Then the run SUCCEEDED (the day is committed), saying the announcement is pending
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    assert h.failures("Announce") == [EB] * (RETRIES + 1)
    assert h.failures("Record Pending Announcement") == [PTEE] and "Run Failed" not in h.entered()
    out = json.loads(desc["output"])
    assert out["status"] == "Stored" and out["announce"] == {"status": "Pending", "error": EB}
    item = winner_item(stack, day) or {}
    assert item["ExecutionArn"]["S"] == arn and item["AnnouncePending"] == {"BOOL": True}
    assert item["AnnounceError"] == {"S": EB}
    # When the day runs again (no force), with one transient fault on each state of the re-announce path
    switch.inject(
        "dynamodb", "GetItem", ["ProvisionedThroughputExceededException"], body_contains="AnnouncePending"
    )
    switch.inject("events", "PutEvents", ["InternalException"], body_contains=day)
    switch.inject("dynamodb", "UpdateItem", ["ProvisionedThroughputExceededException"],
                  body_contains="REMOVE AnnouncePending")  # fmt: skip
    again = stack.wait(start(stack, "re-announce", {"date": day}))
    h2 = History(stack, again["executionArn"])
    # Then it answers AlreadyStored, having announced the day, and the mark is gone
    assert again["status"] == "SUCCEEDED", (again.get("error"), again.get("cause"))
    assert json.loads(again["output"]) == {"status": "AlreadyStored", "date": day,
                                           "announce": {"status": "Reannounced"}}  # fmt: skip
    for state, error in (("Already Stored", PTEE), ("Re-announce", EB), ("Clear Pending Announcement", PTEE)):
        assert h2.failures(state) == [error] and h2.succeeded(state) == 1, state
    assert "AnnouncePending" not in (winner_item(stack, day) or {})
    # And the day gets exactly one analysis, which ran
    assert analysed(analyses_of(stack, day, 1)) in (["Complete"], ["Partial"])
    # And a third run neither announces nor analyses again
    third = stack.wait(start(stack, "after-announce", {"date": day}))
    assert json.loads(third["output"]) == {"status": "AlreadyStored", "date": day}
    assert len(analyses_of(stack, day, 1)) == 1


def test_failures_around_a_pending_announcement_never_fail_a_run(
    stack: StackHandle, switch: LocalAws
) -> None:
    # Each exhausted retry around the pending announcement is caught; every run SUCCEEDS.
    day, tickers = "2024-12-11", ["AMZN"]

    def run(label: str, payload: dict[str, Any]) -> tuple[dict[str, Any], History]:
        desc = stack.wait(start(stack, label, payload))
        assert desc["status"] == "SUCCEEDED", (label, desc.get("error"), desc.get("cause"))
        return desc, History(stack, desc["executionArn"])

    def pending() -> bool:
        return "AnnouncePending" in (winner_item(stack, day) or {})

    # Announce and the pending mark both fail: the run still succeeds and says neither was recorded
    switch.inject("events", "PutEvents", ["InternalException"] * (RETRIES + 1), body_contains=day)
    switch.inject("dynamodb", "UpdateItem", ["ProvisionedThroughputExceededException"] * (RETRIES + 1),
                  body_contains="SET AnnouncePending")  # fmt: skip
    desc, h = run("not-recorded", {"date": day, "tickers": tickers, "force": True})
    assert h.failures("Record Pending Announcement") == [PTEE] * (RETRIES + 1)
    assert json.loads(desc["output"])["announce"] == {
        "status": "NotRecorded",
        "error": EB,
        "recordError": PTEE,
    }
    assert not pending()
    # A forced rewrite whose announcement fails: pending
    switch.inject("events", "PutEvents", ["InternalException"] * (RETRIES + 1), body_contains=day)
    desc, h = run("pending", {"date": day, "tickers": tickers, "force": True})
    assert json.loads(desc["output"])["announce"]["status"] == "Pending" and pending()
    # A re-run that cannot read the winner: AlreadyStored, still pending
    switch.inject("dynamodb", "GetItem", ["ProvisionedThroughputExceededException"] * (RETRIES + 1),
                  body_contains="AnnouncePending")  # fmt: skip
    desc, h = run("unread", {"date": day})
    assert h.failures("Already Stored") == [PTEE] * (RETRIES + 1)
    assert json.loads(desc["output"]) == {"status": "AlreadyStored", "date": day} and pending()
    # A re-run whose re-announcement fails: AlreadyStored, still pending
    switch.inject("events", "PutEvents", ["InternalException"] * (RETRIES + 1), body_contains=day)
    desc, h = run("unannounced", {"date": day})
    assert h.failures("Re-announce") == [EB] * (RETRIES + 1)
    assert json.loads(desc["output"]) == {"status": "AlreadyStored", "date": day} and pending()
    # A re-run that announces but cannot clear the mark: Reannounced (the mark stays; announcing again is
    # harmless, the analysis claims the day)
    switch.inject("dynamodb", "UpdateItem", ["ProvisionedThroughputExceededException"] * (RETRIES + 1),
                  body_contains="REMOVE AnnouncePending")  # fmt: skip
    desc, h = run("uncleared", {"date": day})
    assert h.failures("Clear Pending Announcement") == [PTEE] * (RETRIES + 1)
    assert json.loads(desc["output"])["announce"] == {"status": "Reannounced"} and pending()
    # Only the one announcement that went out started an analysis
    assert len(analysed(analyses_of(stack, day, 1))) == 1


def test_heal_failure_never_fails_the_run(stack: StackHandle, switch: LocalAws) -> None:
    # Given the gap-healing task failing on every attempt, when the day runs, then its Catch records the
    # error in the summary ("Heal Failed") and the run still succeeds with the day stored.
    day = "2024-11-13"
    switch.inject(
        "lambda",
        "Invoke",
        ["ServiceException"] * (RETRIES + 1),
        function=fn(stack, "plan_backfill"),
        body_contains=day,
    )
    arn = start(stack, "caught-heal", {"date": day, "tickers": ["AMZN"], "force": True})
    desc = stack.wait(arn)
    h = History(stack, arn)
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    assert h.failures("Find Gaps") == ["Lambda.ServiceException"] * (RETRIES + 1)
    assert "Heal Failed" in h.entered() and "Run Failed" not in h.entered()
    heal = json.loads(desc["output"])["heal"]
    assert heal["status"] == "HealFailed" and heal["error"] == "Lambda.ServiceException"
    assert (winner_item(stack, day) or {})["ExecutionArn"]["S"] == arn


def _run_day(stack: StackHandle, label: str, day: str, force: bool = False) -> dict[str, Any]:
    """One ingest run of `day` for AMZN alone, waited for; its DescribeExecution."""
    payload: dict[str, Any] = {"date": day, "tickers": ["AMZN"], "force": force}
    desc = stack.wait(start(stack, label, payload))
    assert desc["status"] == "SUCCEEDED", (desc.get("error"), desc.get("cause"))
    return desc


def test_a_refused_healing_start_is_retried_and_the_backfill_heals_the_gaps(
    stack: StackHandle, switch: LocalAws
) -> None:
    # Given a stored session ten sessions before 2025-08-20 and nothing stored between or after it
    _run_day(stack, "heal-seed", "2025-08-06")
    # When the run of 2025-08-20 finds the gaps and its first StartExecution is refused (limit exceeded)
    switch.inject(
        "stepfunctions",
        "StartExecution",
        ["ExecutionLimitExceeded"],
        body_contains=heal_name_prefix("2025-08-20"),
    )
    desc = _run_day(stack, "heal-retried", "2025-08-20")
    h = History(stack, desc["executionArn"])
    # Then the integration's Retry starts it, and that backfill (the live alias) heals the nine sessions
    assert h.failures("Start Healing Backfill") == [ELE] and h.succeeded("Start Healing Backfill") == 1
    heal = json.loads(desc["output"])["heal"]
    assert heal["status"] == "Started" and len(heal["sessions"]) == 9, heal
    assert heal["executionArn"].endswith(
        ":" + heal_execution_name(*map(dt.date.fromisoformat, ("2025-08-20", "2025-08-07", "2025-08-19")))
    ), heal
    healed = stack.wait(heal["executionArn"])
    assert healed["status"] == "SUCCEEDED", healed.get("cause")
    assert healed["stateMachineArn"] == stack.outputs["backfill_state_machine_arn"]
    assert json.loads(healed["input"]) == {"from": "2025-08-07", "to": "2025-08-19", "tickers": ["AMZN"]}
    assert json.loads(healed["output"])["stored"] == 9
    assert all(winner_item(stack, day) is not None for day in heal["sessions"])


def test_a_heal_already_started_or_never_started_leaves_the_run_succeeded(
    stack: StackHandle, switch: LocalAws
) -> None:
    # Given a stored session ten sessions before 2025-08-29 and gaps after it
    _run_day(stack, "heal-seed", "2025-08-15")
    backfills = stack.outputs["backfill_state_machine_arn"]
    # When the heal's name is taken already (an earlier attempt of the day started it)
    switch.inject(
        "stepfunctions",
        "StartExecution",
        ["ExecutionAlreadyExists"],
        body_contains=heal_name_prefix("2025-08-29"),
    )
    desc = _run_day(stack, "heal-exists", "2025-08-29")
    h = History(stack, desc["executionArn"])
    # Then the run reports AlreadyStarted with that execution's ARN and starts nothing else
    assert h.failures("Start Healing Backfill") == ["StepFunctions.ExecutionAlreadyExistsException"]
    heal = json.loads(desc["output"])["heal"]
    assert heal["status"] == "AlreadyStarted" and "Heal Failed" not in h.entered(), heal
    name = heal["executionArn"].rsplit(":", 1)[1]
    assert heal["executionArn"] == backfills.replace(":stateMachine:", ":execution:") + ":" + name
    assert name.startswith(heal_name_prefix("2025-08-29")) and name.endswith("-2025-08-28")
    # And when every start is refused, the retries end in Heal Failed and the run still succeeds
    switch.inject(
        "stepfunctions",
        "StartExecution",
        ["ExecutionLimitExceeded"] * (RETRIES + 1),
        body_contains=heal_name_prefix("2025-08-29"),
    )
    desc = _run_day(stack, "heal-refused", "2025-08-29", force=True)
    h = History(stack, desc["executionArn"])
    assert h.failures("Start Healing Backfill") == [ELE] * (RETRIES + 1)
    heal = json.loads(desc["output"])["heal"]
    assert heal["status"] == "HealFailed" and heal["error"] == ELE, heal
    assert (winner_item(stack, "2025-08-29") or {})["ExecutionArn"]["S"] == desc["executionArn"]
    # Neither run started a backfill
    names = {e["name"] for e in stack.sfn.list_executions(stateMachineArn=backfills)["executions"]}
    assert not any(n.startswith(heal_name_prefix("2025-08-29")) for n in names)


def test_the_fault_switch_leaves_other_runs_alone(stack: StackHandle, switch: LocalAws) -> None:
    # Given a fault armed for one date only, when another date runs at the same time, then that run takes
    # no fault (body_contains scopes the switch) and the armed fault is still waiting.
    armed = switch.inject(
        "lambda",
        "Invoke",
        ["ServiceException"],
        function=fn(stack, "validate_input"),
        body_contains="2024-12-31",
    )
    done: dict[str, Any] = {}
    t = threading.Thread(
        target=lambda: done.update(
            stack.run("ingest", f"paths-untouched-{uuid.uuid4().hex[:6]}", {"date": "2024-12-28"})
        )
    )
    t.start()
    t.join()
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"])["status"] == "MarketClosed"
    assert switch.faults()["rules"][0] == {**armed, "injected": 0}
