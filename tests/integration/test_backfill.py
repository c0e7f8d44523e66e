"""Issue 5 acceptance on the local AWS: backfills by StartExecution (one range call per ticker, the daily
run's store code, skips, force, a five-year span inside Step Functions limits), gap healing by the daily
run, and `movers backfill` end to end. Dates: the 2024 year (2020-2024 for five years) and Jan-May 2025,
clear of the other stack tests' days (ingest: Oct-Nov 2026; strategies: June 2025; analysis: Aug-Sep 2023,
which the five-year span skips as stored)."""

from __future__ import annotations

import datetime as dt
import io
import json
from decimal import Decimal
from typing import Any

import pytest

from movers.cli import app
from movers.cli import backfill as backfill_cli
from movers.cli.common import Target
from stock_movers.adapters.storage import winner_key
from stock_movers.domain.calendar import sessions_in_range
from stock_movers.execution_names import backfill_execution_name, daily_execution_name
from tests.support import oracle
from tests.support.localstack import StackHandle

pytestmark = pytest.mark.stack
DEFAULT = list(oracle.DEFAULT)
YEAR = ("2024-01-01", "2024-12-31")  # one year of sessions, ending where the gap-healing test starts
FIVE_YEARS = ("2020-01-01", "2024-12-31")


def calls(stack: StackHandle) -> int:
    return int(stack.market.stats()["total"])


def winners(stack: StackHandle, start: str, end: str) -> dict[str, dict[str, Any]]:
    return {i["sk"]["S"]: i for i in stack.table.winners_between(start, end)}


def sessions(start: str, end: str) -> list[str]:
    return [
        d.isoformat() for d in sessions_in_range(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    ]


def backfill(stack: StackHandle, name: str, payload: Any, timeout: float = 300.0) -> dict[str, Any]:
    return stack.run("backfill", name, payload, timeout=timeout)


@pytest.fixture(scope="module")
def year(stack: StackHandle) -> dict[str, Any]:
    """Given the default watchlist backfilled for one year by a plain StartExecution."""
    before = calls(stack)
    desc = backfill(stack, "year", {"from": YEAR[0], "to": YEAR[1]})
    return {"desc": desc, "calls": calls(stack) - before}


def test_one_year_costs_one_call_per_ticker_and_stores_the_independent_winners(
    stack: StackHandle, year: dict[str, Any]
) -> None:
    desc = year["desc"]
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    days = sessions(*YEAR)
    assert json.loads(desc["output"]) == {
        "sessions": len(days),
        "stored": len(days),
        "skipped": 0,
        "failed": [],
    }
    assert year["calls"] <= len(DEFAULT)
    stored = winners(stack, *YEAR)
    assert sorted(stored) == days
    for day in days:
        ticker, pct = oracle.winner(day)
        item = stored[day]
        assert (item["Ticker"]["S"], Decimal(item["PercentChange"]["N"])) == (ticker, Decimal(pct)), day
        assert Decimal(item["ClosingPrice"]["N"]) == Decimal(oracle.rows()[(ticker, day)]["close"])
        assert item["ExecutionArn"]["S"] == desc["executionArn"]
    # the daily run's store code wrote per-ticker items and Parquet too
    mid = days[len(days) // 2]
    written = stack.day_written(mid)
    assert len(written["ticker_items"]) == len(DEFAULT) and len(written["parquet"]) == 1
    # raw bodies under the range key, one per ticker
    assert stack.keys(f"raw/provider=massive/range={days[0]}_{days[-1]}/") == sorted(
        f"raw/provider=massive/range={days[0]}_{days[-1]}/{t}.json" for t in DEFAULT
    )


def test_rerun_stores_nothing_and_costs_no_call(stack: StackHandle, year: dict[str, Any]) -> None:
    before, stored_at = calls(stack), {d: i["StoredAt"]["S"] for d, i in winners(stack, *YEAR).items()}
    desc = backfill(stack, "year-again", {"from": YEAR[0], "to": YEAR[1]})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    n = len(sessions(*YEAR))
    assert json.loads(desc["output"]) == {"sessions": n, "stored": 0, "skipped": n, "failed": []}
    assert calls(stack) == before
    assert {d: i["StoredAt"]["S"] for d, i in winners(stack, *YEAR).items()} == stored_at


def test_force_rewrites_every_session_of_the_span(stack: StackHandle, year: dict[str, Any]) -> None:
    span = ("2024-06-03", "2024-06-28")
    desc = backfill(stack, "june-forced", {"from": span[0], "to": span[1], "force": True})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    n = len(sessions(*span))
    assert json.loads(desc["output"]) == {"sessions": n, "stored": n, "skipped": 0, "failed": []}
    assert {i["ExecutionArn"]["S"] for i in winners(stack, *span).values()} == {desc["executionArn"]}


def test_five_year_span_stays_inside_history_and_payload_limits(
    stack: StackHandle, year: dict[str, Any]
) -> None:
    # Given the stored year, when five years (the configured maximum, ~1,260 sessions) are backfilled
    desc = backfill(stack, "five-years", {"from": FIVE_YEARS[0], "to": FIVE_YEARS[1]}, timeout=600)
    # then it succeeds with every session stored or skipped, in a small history with small payloads
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    days = sessions(*FIVE_YEARS)
    summary = json.loads(desc["output"])
    assert summary["sessions"] == len(days) > 1250 and summary["failed"] == []
    assert summary["stored"] + summary["skipped"] == len(days) and summary["skipped"] >= len(sessions(*YEAR))
    assert sorted(winners(stack, *FIVE_YEARS)) == days
    events = stack.history(desc["executionArn"])
    # about 7 events per stored session (Store Days iterates over them), under half of AWS's 25,000
    assert len(events) < 8 * len(days) < 12_500
    largest = max(len(json.dumps(e, default=str)) for e in events)
    assert largest < 64 * 1024  # AWS allows 256 KB per payload
    for day in days[:: len(days) // 40]:
        assert winners(stack, day, day)[day]["Ticker"]["S"] == oracle.winner(day)[0], day


def test_gap_healing_restores_deleted_days(stack: StackHandle, year: dict[str, Any]) -> None:
    # Given the stored year and three of the last ten sessions deleted
    deleted = ["2024-12-18", "2024-12-23", "2024-12-30"]
    for day in deleted:
        stack.ddb.delete_item(TableName=stack.outputs["table_name"], Key=winner_key(day))
        assert stack.winner(day) is None
    # when the daily run stores the next session
    desc = stack.run("ingest", daily_execution_name("2025-01-02"), {"date": "2025-01-02"})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    out = json.loads(desc["output"])
    assert out["status"] == "Stored" and out["heal"]["status"] == "Started", out
    # then the healing backfill it started brings the three back (with the independent winners)
    healed = stack.wait(out["heal"]["executionArn"], timeout=120)
    assert healed["status"] == "SUCCEEDED", healed.get("cause")
    assert json.loads(healed["output"])["stored"] == 3
    for day in deleted:
        item = stack.winner(day)
        assert item is not None and item["Ticker"]["S"] == oracle.winner(day)[0]


def test_daily_run_inside_stored_history_does_not_heal(stack: StackHandle, year: dict[str, Any]) -> None:
    # Given a hole inside the stored year, when an older day inside the history is re-run with force,
    # then it is an operator's repair of that day: no backfill starts.
    hole = "2024-03-12"
    stack.ddb.delete_item(TableName=stack.outputs["table_name"], Key=winner_key(hole))
    desc = stack.run("ingest", "repair-2024-03-14", {"date": "2024-03-14", "force": True})
    assert desc["status"] == "SUCCEEDED", desc.get("cause")
    assert json.loads(desc["output"])["heal"] == {"status": "NoGaps"}
    assert stack.winner(hole) is None


BAD = [
    ({"from": "2025-02-01", "to": "2025-01-01"}, "from"),
    ({"from": "2025/01/01", "to": "2025-01-31"}, "from"),
    ({"from": "2025-01-01", "to": "2025-02-30"}, "to"),
    ({"from": "2019-01-01", "to": "2025-01-31"}, "to"),  # beyond the maximum span
    ({"from": "2025-01-01"}, "to"),
    ({"from": "2025-01-01", "to": "2025-01-31", "tickers": ["aapl"]}, "tickers"),
    ({"from": "2025-01-01", "to": "2025-01-31", "force": "yes"}, "force"),
    ({"from": "2025-01-01", "to": "2025-01-31", "days": 3}, "days"),
    (["2025-01-01", "2025-01-31"], "input"),
]


def test_malformed_input_fails_with_invalid_input_and_costs_nothing(stack: StackHandle) -> None:
    before = calls(stack)
    arns = [
        stack.sfn.start_execution(
            stateMachineArn=stack.outputs["backfill_state_machine_arn"], name=f"bad-{i}", input=json.dumps(p)
        )["executionArn"]
        for i, (p, _) in enumerate(BAD)
    ]
    for (payload, field), arn in zip(BAD, arns, strict=True):
        desc = stack.wait(arn)
        assert desc["status"] == "FAILED" and desc["error"] == "InvalidInput", (payload, desc.get("cause"))
        assert json.loads(desc["cause"])["errorMessage"].startswith(field), (payload, desc["cause"])
    assert calls(stack) == before


def test_missing_ticker_sessions_are_listed_as_failed(stack: StackHandle) -> None:
    # Given a ticker the provider does not know, when it is backfilled, the run fails with NoData (no session
    # can be stored), like the daily run; nothing is written.
    desc = backfill(
        stack, "unknown-ticker", {"from": "2025-05-05", "to": "2025-05-09", "tickers": ["AAPL", "ZZZZ"]}
    )
    assert desc["status"] == "FAILED" and desc["error"] == "NoData", desc
    assert winners(stack, "2025-05-05", "2025-05-09") == {}


# ------------------------------------------------------------------------------------------------ the CLI
@pytest.fixture
def target(stack: StackHandle) -> Target:
    return Target(stack.outputs, stack.endpoint)


def test_cli_backfill_waits_with_a_progress_bar_and_prints_the_summary(
    stack: StackHandle, target: Target
) -> None:
    out = io.StringIO()
    span = ("2025-02-03", "2025-03-31")
    status = backfill_cli.run_backfill(target, *span, wait=True, out=out, poll=0.2)
    text = out.getvalue()
    n = len(sessions(*span))
    name = backfill_execution_name(dt.date(2025, 2, 3), dt.date(2025, 3, 31))
    assert status == 0, text
    assert text.startswith(f"started {name}\n")
    assert backfill_cli.bar(n, n) in text
    assert f"{name}: {n} sessions, {n} stored, 0 skipped" in text
    assert sorted(winners(stack, *span)) == sessions(*span)
    # the same request again is the same execution: shown, not started, no call
    before, again = calls(stack), io.StringIO()
    assert backfill_cli.run_backfill(target, *span, wait=True, out=again, poll=0.2) == 0
    assert again.getvalue().startswith(f"already exists: {name}\n") and calls(stack) == before


def test_cli_and_plain_start_execution_use_the_same_contract(stack: StackHandle, target: Target) -> None:
    # the CLI's input is exactly the documented one, so a plain StartExecution does the same
    name, payload = backfill_cli.request("2025-04-07", "2025-04-11", ["AAPL", "MSFT"], True)
    assert payload == {"from": "2025-04-07", "to": "2025-04-11", "tickers": ["AAPL", "MSFT"], "force": True}
    assert name == backfill_execution_name(dt.date(2025, 4, 7), dt.date(2025, 4, 11), ["AAPL", "MSFT"], True)
    assert len(name) <= 80
    desc = backfill(stack, "plain-june", payload)
    assert json.loads(desc["output"])["stored"] == 5


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["backfill", "--from", "2025-02-01", "--to", "2025-01-01"],
            "error: --from 2025-02-01 is after --to 2025-01-01",
        ),
        (
            ["backfill", "--from", "2025-13-01", "--to", "2025-12-01"],
            "error: --from: is not a real calendar date: '2025-13-01'",
        ),
        (
            ["backfill", "--from", "2025-01-01", "--to", "2025-01-31", "--tickers", "aapl"],
            "error: --tickers: must be",
        ),
    ],
)
def test_cli_errors_are_one_line(
    target: Target,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    line: str,
) -> None:
    monkeypatch.setattr(backfill_cli, "target", lambda args: target)
    assert app.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(line) and err.count("\n") == 1, err


def test_cli_error_when_the_execution_exists_with_other_input(
    stack: StackHandle,
    target: Target,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    name, _ = backfill_cli.request("2025-04-14", "2025-04-16", None, False)
    backfill(stack, name, {"from": "2025-04-14", "to": "2025-04-16", "tickers": DEFAULT})
    monkeypatch.setattr(backfill_cli, "target", lambda args: target)
    assert app.main(["backfill", "--from", "2025-04-14", "--to", "2025-04-16"]) == 2
    assert capsys.readouterr().err == f"error: an execution named {name} already exists with other input\n"


def test_cli_error_when_no_local_stack_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import movers.local.daemon as daemon

    monkeypatch.setattr(daemon, "read_state", lambda: None)
    assert app.main(["--local", "backfill", "--from", "2025-01-01", "--to", "2025-01-31"]) == 2
    assert capsys.readouterr().err.startswith("error: the local stack is not running")
