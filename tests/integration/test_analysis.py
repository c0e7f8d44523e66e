"""Issue 7 acceptance on the local AWS: the daily-analysis machine over stored history equals an independent
computation (plain Python + Fraction over the bundled CSV), its SNS report arrives, a MoverStored event
starts it without manual action, re-runs rewrite the same item, short history gives a partial result.

Dates are in Aug-Sep 2023 so they never meet the other stack tests' days (the five-year backfill test may
store the same sessions: from the same CSV, with the same default watchlist, so the figures agree).
"""

from __future__ import annotations

import io
import json
import math
import statistics
import time
from fractions import Fraction
from typing import Any

import pyarrow.parquet as pq
import pytest

from stock_movers.adapters.storage import WINNER_PK, ticker_pk
from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
TICKERS = list(oracle.DEFAULT)
HISTORY = ("2023-08-01", "2023-09-08")  # 28 sessions (Labor Day 2023-09-04 is closed)
DAY = "2023-09-08"
EARLY = "2023-08-03"  # the third stored session: too little history for volatility and z-scores
EVENT_DAY = "2023-09-11"  # stored by a daily run in the test; its MoverStored event starts the analysis
WINDOW, THRESHOLD, TOL = 20, 2.0, 2e-6


# --- the independent computation ----------------------------------------------------------------


def stored_days(stack: StackHandle, pk: str, up_to: str) -> list[str]:
    """Sort keys of one partition up to a day (which sessions the table holds, not their values)."""
    return sorted(i["sk"]["S"] for i in stack.table.query(pk, last=up_to, attributes="sk"))


def sample_std(values: list[Fraction]) -> float:
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def expected(stack: StackHandle, day: str) -> dict[str, Any]:
    """The figures for `day` from the CSV over the sessions the table holds (plain Python only)."""
    out: dict[str, Any] = {"tickers": {}}
    for t in TICKERS:
        days = stored_days(stack, ticker_pk(t), day)
        values = [Fraction(oracle.pct6(t, d)) for d in days]
        row: dict[str, Any] = {"pct": None, "vol": None, "z": None}
        if days and days[-1] == day:
            row["pct"] = float(values[-1])
            if len(values) >= WINDOW:
                row["vol"] = sample_std(values[-WINDOW:])
            base = values[:-1][-WINDOW:]
            if len(base) == WINDOW:
                row["z"] = float(values[-1] - sum(base) / WINDOW) / sample_std(base)
        out["tickers"][t] = row
    sessions = [d for d in oracle.sessions() if d <= day]
    stored = set(stored_days(stack, WINNER_PK, day))
    winner_of = {d: oracle.winner(d)[0] for d in sessions[-90:] if d in stored}
    for n in (7, 30, 90):
        won = [winner_of[d] for d in sessions[-n:] if d in winner_of]
        out[f"stored{n}"] = len(won)
        for t in TICKERS:
            out["tickers"][t][f"wins{n}"] = won.count(t)
    for t in TICKERS:
        streak = 0
        for d in reversed(sessions[-90:]):
            if winner_of.get(d) != t:
                break
            streak += 1
        out["tickers"][t]["streak"] = streak
    moves = [r["pct"] for r in out["tickers"].values() if r["pct"] is not None]
    out["dispersion_std"] = statistics.pstdev(moves) if len(moves) > 1 else None
    out["dispersion_range"] = max(moves) - min(moves) if len(moves) > 1 else None
    out["winner"] = oracle.winner(day) if day in stored else None
    return out


def close(got: dict[str, Any], key: str, want: float | None) -> bool:
    attr = got[key]
    if want is None:
        return attr == {"NULL": True}
    return abs(float(attr["N"]) - want) <= TOL


def assert_matches(item: dict[str, Any], want: dict[str, Any]) -> None:
    rows = {r["M"]["Ticker"]["S"]: r["M"] for r in item["Tickers"]["L"]}
    assert sorted(rows) == sorted(TICKERS)
    for t, w in want["tickers"].items():
        r = rows[t]
        assert close(r, "PercentChange", w["pct"]), (t, r["PercentChange"], w["pct"])
        assert close(r, "Volatility", w["vol"]), (t, r["Volatility"], w["vol"])
        assert close(r, "ZScore", w["z"]), (t, r["ZScore"], w["z"])
        unusual = None if w["z"] is None else abs(w["z"]) > THRESHOLD
        assert r["Unusual"] == ({"NULL": True} if unusual is None else {"BOOL": unusual}), t
        assert [int(r[f"Wins{n}"]["N"]) for n in (7, 30, 90)] == [w[f"wins{n}"] for n in (7, 30, 90)], t
        assert int(r["Streak"]["N"]) == w["streak"], t
    windows = [(int(w["M"]["Sessions"]["N"]), int(w["M"]["Stored"]["N"])) for w in item["WinWindows"]["L"]]
    assert windows == [(n, want[f"stored{n}"]) for n in (7, 30, 90)]
    assert close(item["Dispersion"]["M"], "StdDev", want["dispersion_std"])
    assert close(item["Dispersion"]["M"], "Range", want["dispersion_range"])
    unusual = sorted(t for t, w in want["tickers"].items() if w["z"] is not None and abs(w["z"]) > THRESHOLD)
    assert [u["S"] for u in item["Unusual"]["L"]] == unusual
    if want["winner"]:
        assert item["Winner"]["M"]["Ticker"]["S"] == want["winner"][0]
        assert item["Winner"]["M"]["PercentChange"]["N"] == want["winner"][1]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_queue(stack: StackHandle) -> str:
    """Given an SQS queue subscribed to the report topic (how the test reads what SNS published)."""
    sqs, sns = stack.stack.client("sqs"), stack.stack.client("sns")
    url = sqs.create_queue(QueueName="analysis-report-test")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=stack.outputs["analysis_report_topic_arn"], Protocol="sqs", Endpoint=arn)
    return url


@pytest.fixture(scope="module")
def history(stack: StackHandle, report_queue: str) -> None:
    """Given Aug-Sep 2023 stored: by one backfill when the stack has the backfill machine, else daily runs."""
    if "backfill_state_machine_arn" in stack.outputs:
        desc = stack.run("backfill", "analysis-history", {"from": HISTORY[0], "to": HISTORY[1]}, timeout=180)
        assert desc["status"] == "SUCCEEDED", desc.get("cause")
    else:  # pragma: no cover - only before the backfill machine existed
        for day in oracle.sessions():
            if HISTORY[0] <= day <= HISTORY[1]:
                desc = stack.run("ingest", f"analysis-history-{day}", {"date": day})
                assert desc["status"] == "SUCCEEDED", desc.get("cause")


def reports(
    stack: StackHandle, url: str, day: str, count: int, timeout: float = 30.0
) -> list[dict[str, Any]]:
    """The SNS envelopes for `day` that reached the queue (waits for `count` of them)."""
    sqs = stack.stack.client("sqs")
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(found) < count:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        ):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            envelope = json.loads(m["Body"])
            if day in envelope.get("Subject", ""):
                found.append(envelope)
    return found


# --- acceptance ---------------------------------------------------------------------------------


def test_analysis_equals_an_independent_computation_and_is_reported(
    stack: StackHandle, history: None, report_queue: str
) -> None:
    # When the analysis runs by hand for the last stored day
    desc = stack.run("daily_analysis", f"analysis-{DAY}", {"date": DAY})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    output = json.loads(desc["output"])
    # Then the stored item equals the figures computed independently over the stored history
    item = stack.analysis(DAY)
    assert item is not None
    want = expected(stack, DAY)
    assert want["stored7"] == 7 and all(r["z"] is not None for r in want["tickers"].values())
    assert_matches(item, want)
    # And it is Partial only for the win windows reaching before the stored history, saying so
    short = [n for n in (30, 90) if want[f"stored{n}"] < n]
    assert [r["S"] for r in item["Reasons"]["L"]] == [
        f"wins over {n} sessions: {want[f'stored{n}']} of {n} sessions stored" for n in short
    ]
    assert output["status"] == ("Partial" if short else "Complete")
    # And the Parquet summary holds the same figures
    key = f"curated/analysis/year=2023/date={DAY}/analysis.parquet"
    assert output["parquetKey"] == key
    body = stack.s3.get_object(Bucket=stack.outputs["bucket_name"], Key=key)["Body"].read()
    rows = {r["ticker"]: r for r in pq.read_table(io.BytesIO(body)).to_pylist()}
    for t, w in want["tickers"].items():
        assert abs(float(rows[t]["volatility"]) - w["vol"]) <= TOL and rows[t]["wins_7"] == w["wins7"]
    # And the plain-text report reached the topic with the winner, the unusual moves and every ticker
    (envelope,) = reports(stack, report_queue, DAY, 1)
    ticker, pct = want["winner"]
    assert envelope["Subject"].startswith(f"stock-movers {DAY}: {ticker} {float(pct):+.2f}%")
    message = envelope["Message"]
    assert f"Winner: {ticker} {float(pct):+.2f}%" in message
    for t, w in want["tickers"].items():
        assert f"  {t:<6} {w['wins7']}/{w['wins30']}/{w['wins90']}" in message
        if w["z"] is not None and abs(w["z"]) > THRESHOLD:
            assert f"  {t} {w['pct']:+.2f}% (z {w['z']:.2f})" in message


def test_rerun_rewrites_the_same_item(stack: StackHandle, history: None) -> None:
    # Given the day analysed once (another test may have done it; this makes sure)
    first = stack.run("daily_analysis", f"analysis-{DAY}-first", {"date": DAY})
    before = stack.analysis(DAY)
    # When it runs again under another execution name
    again = stack.run("daily_analysis", f"analysis-{DAY}-again", {"date": DAY})
    # Then both succeed and the item is identical
    assert (first["status"], again["status"]) == ("SUCCEEDED", "SUCCEEDED")
    assert stack.analysis(DAY) == before
    assert len([i for i in stack.analyses() if i["sk"]["S"] == DAY]) == 1


def test_short_history_gives_a_partial_result_not_an_error(stack: StackHandle, history: None) -> None:
    desc = stack.run("daily_analysis", f"analysis-{EARLY}", {"date": EARLY})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    item = stack.analysis(EARLY)
    assert item is not None and item["Status"] == {"S": "Partial"}
    want = expected(stack, EARLY)
    assert_matches(item, want)
    reasons = [r["S"] for r in item["Reasons"]["L"]]
    assert any("volatility needs 20 sessions" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"date": "2023-13-01"}, "date"), ({"date": DAY, "tickers": ["aapl"]}, "tickers[0]"), ([1], "input")],
)
def test_bad_input_fails_with_invalid_input(stack: StackHandle, payload: Any, field: str) -> None:
    desc = stack.run("daily_analysis", f"analysis-bad-{field.replace('[', '-').replace(']', '')}", payload)
    assert (desc["status"], desc.get("error")) == ("FAILED", "InvalidInput")
    assert field in json.loads(desc["cause"])["errorMessage"]


def test_a_mover_stored_event_starts_the_analysis(stack: StackHandle, history: None) -> None:
    # Given the history stored; When the daily run stores a new day (force: announce even if stored before)
    machine = stack.outputs["daily_analysis_state_machine_arn"]
    ingest = stack.run("ingest", f"analysis-event-{EVENT_DAY}", {"date": EVENT_DAY, "force": True})
    assert ingest["status"] == "SUCCEEDED", ingest.get("cause")
    assert json.loads(ingest["output"])["status"] == "Stored"
    # Then an analysis execution for that day appears without anyone starting it, and succeeds
    deadline, started = time.monotonic() + 30, None
    while started is None and time.monotonic() < deadline:
        for e in stack.sfn.list_executions(stateMachineArn=machine)["executions"]:
            described = stack.sfn.describe_execution(executionArn=e["executionArn"])
            if json.loads(described["input"]) == {"date": EVENT_DAY}:
                started = described
        time.sleep(0.3)
    assert started is not None, "no analysis execution started from the MoverStored event"
    done = stack.wait(started["executionArn"])
    assert done["status"] == "SUCCEEDED", done.get("cause")
    # And its item equals the independent computation for that day
    item = stack.analysis(EVENT_DAY)
    assert item is not None
    assert_matches(item, expected(stack, EVENT_DAY))


# --- one analysis per stored winner; the catch-up; movers analyse ----------------------------------

CONCURRENT_DAY = "2023-09-12"  # five concurrent forced runs
PENDING_DAY = "2023-09-13"  # its announcement fails; the catch-up re-announces it
CATCHUP_SPAN = ("2023-08-28", "2023-08-31")  # backfilled, never announced: analysed by the catch-up


def input_date(desc: dict[str, Any]) -> Any:
    """The `date` of an execution's input (None for inputs that are not objects, e.g. bad-input tests)."""
    payload = json.loads(desc["input"])
    return payload.get("date") if isinstance(payload, dict) else None


def analyses_of(stack: StackHandle, day: str, expect: int, settle: float = 3.0) -> list[dict[str, Any]]:
    """The finished analysis executions whose input names `day` (waits for `expect`, then `settle` s more)."""
    machine = stack.outputs["daily_analysis_state_machine_arn"]
    deadline, quiet_since, found = time.monotonic() + 180, None, []
    while time.monotonic() < deadline:
        found = []
        for page in stack.sfn.get_paginator("list_executions").paginate(stateMachineArn=machine):
            for e in page["executions"]:
                desc = stack.sfn.describe_execution(executionArn=e["executionArn"])
                if input_date(desc) == day:
                    found.append(desc)
        if len(found) >= expect and all(d["status"] != "RUNNING" for d in found):
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= settle:
                return found
        else:
            quiet_since = None
        time.sleep(0.5)
    raise AssertionError(f"analyses of {day}: {[(d['name'], d['status']) for d in found]}, expected {expect}")


def outcomes(found: list[dict[str, Any]]) -> list[str]:
    """The summary status of each analysis execution (all of them must have succeeded)."""
    assert all(d["status"] == "SUCCEEDED" for d in found), [(d["name"], d.get("cause")) for d in found]
    return sorted(json.loads(d["output"])["status"] for d in found)


def catch_up(stack: StackHandle, payload: dict[str, Any]) -> dict[str, Any]:
    """Invoke the catch-up function as its schedule does (the schedule's own target and input, plus ours)."""
    scheduler, lam = stack.stack.client("scheduler"), stack.stack.client("lambda")
    schedule = scheduler.get_schedule(Name=stack.outputs["analysis_catchup_schedule_name"])
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    target = schedule["Target"]
    assert target["Arn"].endswith(stack.outputs["function_names"]["analysis_catchup"] + ":live")
    event = {**json.loads(target["Input"]), **payload}
    out = lam.invoke(FunctionName=target["Arn"], Payload=json.dumps(event).encode())
    body: dict[str, Any] = json.loads(out["Payload"].read())
    assert not out.get("FunctionError"), body
    return body


def test_five_concurrent_forced_runs_give_one_analysis_and_a_new_winner_another(
    stack: StackHandle, history: None
) -> None:
    # Given five forced runs of one day started together (each stores and announces the same winner)
    day, tickers = CONCURRENT_DAY, ["AAPL", "MSFT"]
    machine = stack.outputs["ingest_state_machine_arn"]
    payload = json.dumps({"date": day, "tickers": tickers, "force": True})
    arns = [
        stack.sfn.start_execution(stateMachineArn=machine, name=f"analysis-forced-{i}-{day}", input=payload)[
            "executionArn"
        ]
        for i in range(5)
    ]
    runs = [stack.wait(a) for a in arns]
    assert [r["status"] for r in runs] == ["SUCCEEDED"] * 5, [r.get("cause") for r in runs]
    announced = sum(
        1 for r in runs if json.loads(r["output"]).get("announce", {}).get("status") == "Announced"
    )
    # Then every announcement started an analysis, and exactly one of them analysed the day
    found = outcomes(analyses_of(stack, day, announced))
    assert len(found) == announced and len([s for s in found if s != "AlreadyAnalysed"]) == 1, found
    item = stack.analysis(day)
    assert item is not None
    winner = stack.winner(day)
    assert winner is not None and item["Winner"]["M"]["Ticker"] == winner["Ticker"]
    # When a forced rewrite changes the winner (only the other ticker)
    other = next(t for t in tickers if t != winner["Ticker"]["S"])
    rewrite = stack.run(
        "ingest", f"analysis-forced-rewrite-{day}", {"date": day, "tickers": [other], "force": True}
    )
    assert rewrite["status"] == "SUCCEEDED", rewrite.get("cause")
    # Then the day is analysed once more, for the new winner
    found = outcomes(analyses_of(stack, day, announced + 1))
    assert len([s for s in found if s != "AlreadyAnalysed"]) == 2, found
    item = stack.analysis(day)
    assert item is not None and item["Winner"]["M"]["Ticker"] == {"S": other}
    restore_watchlist_winner(stack, day)


def restore_watchlist_winner(stack: StackHandle, day: str) -> None:
    """Stores the day again for the whole watchlist (forced), so later tests that check stored winners
    against the independent computation (the five-year backfill keeps stored days) see the contract's."""
    done = stack.run("ingest", f"analysis-restore-{day}", {"date": day, "force": True})
    assert done["status"] == "SUCCEEDED", done.get("cause")
    assert (stack.winner(day) or {})["Ticker"]["S"] == oracle.winner(day)[0]


def test_backfilled_days_are_analysed_by_the_catch_up_once(stack: StackHandle, history: None) -> None:
    # Given backfilled days (never announced) without an analysis
    first, last = CATCHUP_SPAN
    days = [d for d in oracle.sessions() if first <= d <= last]
    assert all(stack.winner(d) and stack.analysis(d) is None for d in days)
    # When the catch-up runs over them
    out = catch_up(stack, {"date": last, "sessions": len(days)})
    # Then it started one analysis per day, each analysed the day for its stored winner
    assert (out["from"], out["to"], out["started"]) == (first, last, days), out
    for d in days:
        assert len([s for s in outcomes(analyses_of(stack, d, 1)) if s != "AlreadyAnalysed"]) == 1
        item, winner = stack.analysis(d), stack.winner(d)
        assert item is not None and winner is not None
        assert item["Winner"]["M"]["Ticker"] == winner["Ticker"]
        assert_matches(item, expected(stack, d))
    # And a second catch-up finds nothing to do
    again = catch_up(stack, {"date": last, "sessions": len(days)})
    assert (again["started"], again["analysed"], again["announced"]) == ([], days, []), again


def test_a_pending_announcement_is_reannounced_by_the_catch_up(stack: StackHandle, history: None) -> None:
    aws = stack.stack.aws
    assert aws is not None
    day = PENDING_DAY
    # Given a day whose announcement failed (the run succeeded, the announcement is pending)
    aws.clear_faults()
    aws.inject("events", "PutEvents", ["InternalException"] * 4, body_contains=day)
    try:
        run = stack.run(
            "ingest", f"analysis-pending-{day}", {"date": day, "tickers": ["AAPL", "MSFT"], "force": True}
        )
    finally:
        aws.clear_faults()
    assert run["status"] == "SUCCEEDED" and json.loads(run["output"])["announce"]["status"] == "Pending"
    assert (stack.winner(day) or {}).get("AnnouncePending") == {"BOOL": True}
    # When the catch-up runs
    out = catch_up(stack, {"date": day, "sessions": 1})
    # Then it re-announced the day and cleared the mark, and the announcement's analysis ran once
    assert out["announced"] == [day] and out["started"] == [], out
    assert "AnnouncePending" not in (stack.winner(day) or {})
    found = outcomes(analyses_of(stack, day, 1))
    assert len([s for s in found if s != "AlreadyAnalysed"]) == 1, found
    restore_watchlist_winner(stack, day)


def test_movers_analyse_prints_one_line_per_date(stack: StackHandle, history: None) -> None:
    from movers.cli.analyse import run_analyse
    from movers.cli.common import Target

    t = Target(stack.outputs, stack.endpoint)
    # Given Fri 2023-09-01 and Tue 2023-09-05 stored (Labor Day weekend between)
    out = io.StringIO()
    # When analysing the span
    assert run_analyse(t, "2023-09-01", "2023-09-05", out=out) == 0
    lines = out.getvalue().splitlines()
    # Then one line per date: each session analysed (or already analysed, when another test did it)
    assert [ln.split()[0] for ln in lines] == [
        "2023-09-01",
        "2023-09-02",
        "2023-09-03",
        "2023-09-04",
        "2023-09-05",
    ]
    assert lines[1:4] == ["2023-09-02 MarketClosed", "2023-09-03 MarketClosed", "2023-09-04 MarketClosed"]
    for line in (lines[0], lines[4]):
        assert line.split(" ", 1)[1] in ("Analysed Complete", "Analysed Partial", "AlreadyAnalysed"), line
    # When analysing again: nothing to do; with --force: analysed again
    again = io.StringIO()
    assert run_analyse(t, "2023-09-01", "2023-09-01", out=again) == 0
    assert again.getvalue() == "2023-09-01 AlreadyAnalysed\n"
    forced = io.StringIO()
    assert run_analyse(t, "2023-09-01", "2023-09-01", force=True, out=forced) == 0
    assert forced.getvalue() in ("2023-09-01 Analysed Complete\n", "2023-09-01 Analysed Partial\n")
    # And a session without a stored winner is NotStored (nothing is written)
    empty = "2019-01-02"
    if stack.winner(empty) is None:
        none = io.StringIO()
        assert run_analyse(t, empty, empty, out=none) == 0
        assert none.getvalue() == f"{empty} NotStored\n" and stack.analysis(empty) is None
