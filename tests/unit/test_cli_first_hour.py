"""`movers` refusals before any AWS call, global flags anywhere, stored precision, re-runs of a day, and
one-line failures in traces. The AWS side is an in-memory fake behind Target.client."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from movers.cli import app, common, runs
from movers.cli.trace import render
from stock_movers.adapters.storage import scope_winner_key, winner_key
from stock_movers.domain.inputs import SCOPES, WATCHLIST_SCOPE
from stock_movers.execution_names import daily_execution_name, execution_arn
from tests.unit.test_daily_attempts import FakeSfn

TABLE = "movers-local"
WINNER = {
    **winner_key("2026-11-20"), "Date": {"S": "2026-11-20"}, "Ticker": {"S": "NVDA"},
    "PercentChange": {"N": "-4.123456"}, "ClosingPrice": {"N": "187.1234"},
}  # fmt: skip


class FakeDynamo:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items

    def get_item(self, TableName: str, Key: dict[str, Any]) -> dict[str, Any]:
        found = [i for i in self.items if i["pk"] == Key["pk"] and i["sk"] == Key["sk"]]
        return {"Item": found[0]} if found else {}

    def query(self, **kwargs: Any) -> dict[str, Any]:
        return {"Items": list(self.items)}


class FakeTarget(common.Target):
    def __init__(self, sfn: FakeSfn, items: list[dict[str, Any]], latest: str | None = None) -> None:
        super().__init__({"table_name": TABLE, "ingest_state_machine_arn": MACHINE}, "http://x", None, latest)
        self.fakes = {"stepfunctions": sfn, "dynamodb": FakeDynamo(items)}

    def client(self, service: str) -> Any:
        return self.fakes[service]


MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:ingest"


@pytest.fixture
def no_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> Any:
        raise AssertionError("an AWS call was made")

    monkeypatch.setattr(common, "local_target", refuse)
    monkeypatch.setattr(common, "aws_target", refuse)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--date", "2026-13-01"], "error: --date: is not a real calendar date: '2026-13-01'\n"),
        (["run", "--date", "20261120"], "error: --date: must be YYYY-MM-DD, got '20261120'\n"),
        (["run", "--tickers", "aapl"],
         "error: --tickers: must be an uppercase symbol like AAPL or BRK.B, got 'aapl'\n"),
        (["run", "--scope", "market", "--tickers", "AAPL"],
         "error: --tickers: not allowed with --scope market (it covers the whole market)\n"),
        (["schedule", "show", "--market", "--catchup"],
         "error: --catchup and --market name different schedules: give one\n"),
        (["backfill", "--from", "2025-02-30", "--to", "2025-03-01"],
         "error: --from: is not a real calendar date: '2025-02-30'\n"),
        (["schedule", "fire", "--date", "2026-02-29"],
         "error: --date: is not a real calendar date: '2026-02-29'\n"),
        (["list", "--limit", "0"],
         "error: movers list: argument --limit: must be a whole number within 1..1000, got '0'\n"),
        (["demo", "--date", "tomorrow"], "error: --date: must be YYYY-MM-DD, got 'tomorrow'\n"),
    ],
)  # fmt: skip
def test_bad_arguments_are_refused_in_one_line_before_any_aws_call(
    no_aws: None, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) if argv[0] == "list" else _no_raise():
        assert app.main(["--local", *argv]) == 2
    assert capsys.readouterr().err == message


class _no_raise:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> bool:
        return False


def test_global_flags_are_accepted_after_the_command() -> None:
    assert app.parser().parse_args(["list", "--local"]).local is True
    assert app.parser().parse_args(["--local", "list"]).local is True
    assert app.parser().parse_args(["list"]).local is False
    assert (
        app.parser().parse_args(["trace", daily_execution_name("2026-11-20"), "--local", "--verbose"]).local
        is True
    )


def test_run_scope_takes_exactly_the_domains_scopes_with_the_watchlist_by_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the scopes the pipeline validates (one definition, in the domain)
    # Then `movers run --scope` takes each of them, defaults to the watchlist, and refuses any other spelling
    for scope in SCOPES:
        assert app.parser().parse_args(["run", "--scope", scope]).scope == scope
    assert app.parser().parse_args(["run"]).scope == WATCHLIST_SCOPE
    for spelling in ("Market", "whole-market", "market "):
        with pytest.raises(SystemExit):
            app.parser().parse_args(["run", "--scope", spelling])
        assert "--scope" in capsys.readouterr().err


def test_list_shows_the_stored_precision(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(FakeSfn(), [WINNER]))
    assert app.main(["list", "--local"]) == 0
    assert capsys.readouterr().out.splitlines()[1] == "2026-11-20  NVDA       -4.123456    187.1234"


def test_run_on_a_stored_day_answers_already_stored_with_the_winner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sfn = FakeSfn({daily_execution_name("2026-11-20"): ("SUCCEEDED", {"date": "2026-11-20"})})
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(sfn, [WINNER]))
    assert app.main(["--local", "run", "--date", "2026-11-20", "--wait"]) == 0
    out = capsys.readouterr().out
    assert out == "AlreadyStored 2026-11-20 NVDA -4.123456% close 187.1234 (store it again with --force)\n"
    assert sfn.started == []


def test_run_after_a_failed_attempt_starts_a_named_retry(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sfn = FakeSfn({daily_execution_name("2026-11-20"): ("FAILED", {"date": "2026-11-20"})})
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(sfn, []))
    assert app.main(["--local", "run", "--date", "2026-11-20"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:2] == [
        f"earlier attempt {daily_execution_name('2026-11-20')} FAILED",
        f"started {daily_execution_name('2026-11-20', 1)}",
    ]
    assert sfn.started == [daily_execution_name("2026-11-20", 1)]


def test_run_without_date_uses_the_last_session_the_market_server_has(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sfn = FakeSfn()
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(sfn, [], latest="2026-11-20"))
    assert app.main(["--local", "run"]) == 0
    assert sfn.started == [daily_execution_name("2026-11-20")]
    t = FakeTarget(sfn, [], latest="2026-11-20")
    assert common.default_session(t, dt.datetime(2026, 11, 18, 12, tzinfo=dt.UTC)) == "2026-11-17"
    assert (
        common.default_session(FakeTarget(sfn, []), dt.datetime(2026, 11, 25, 23, tzinfo=dt.UTC))
        == "2026-11-25"
    )


MARKET_WINNER = {
    **scope_winner_key("2026-11-20", "market"), "Date": {"S": "2026-11-20"}, "Ticker": {"S": "ZZZT"},
    "PercentChange": {"N": "31.5"}, "ClosingPrice": {"N": "12.06"},
}  # fmt: skip
MARKET_RUN = {"date": "2026-11-20", "scope": "market"}


def test_a_market_run_starts_under_its_own_name_whatever_the_watchlist_stored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the day's watchlist run stored its winner (and its execution succeeded)
    sfn = FakeSfn({daily_execution_name("2026-11-20"): ("SUCCEEDED", {"date": "2026-11-20"})})
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(sfn, [WINNER]))
    # When the whole market's run of that day is started
    assert app.main(["--local", "run", "--date", "2026-11-20", "--scope", "market"]) == 0
    # Then the market run starts, named for the market, with the market input (the watchlist's day is not
    # "already stored" for it)
    name = daily_execution_name("2026-11-20", scope="market")
    assert capsys.readouterr().out.splitlines()[0] == f"started {name}"
    assert sfn.started == [name] and sfn.executions[execution_arn(MACHINE, name)] == ("RUNNING", MARKET_RUN)


def test_a_market_run_on_a_day_with_a_market_winner_answers_already_stored(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the market's winner of the day is stored (and no watchlist winner)
    sfn = FakeSfn()
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(sfn, [MARKET_WINNER]))
    # When the market run is started, Then it answers the market's winner and starts nothing
    assert app.main(["--local", "run", "--date", "2026-11-20", "--scope", "market"]) == 0
    out = capsys.readouterr().out
    assert out == "AlreadyStored 2026-11-20 ZZZT +31.5% close 12.06 (store it again with --force)\n"
    # And the watchlist's run of that day is not blocked by the market's winner
    assert app.main(["--local", "run", "--date", "2026-11-20"]) == 0
    assert sfn.started == [daily_execution_name("2026-11-20")]


def test_a_market_run_after_a_failed_attempt_retries_under_the_market_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    first = daily_execution_name("2026-11-20", scope="market")
    sfn = FakeSfn({first: ("FAILED", MARKET_RUN)})
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(sfn, []))
    assert app.main(["--local", "run", "--date", "2026-11-20", "--scope", "market"]) == 0
    retry = daily_execution_name("2026-11-20", 1, scope="market")
    assert capsys.readouterr().out.splitlines()[:2] == [f"earlier attempt {first} FAILED", f"started {retry}"]
    assert sfn.started == [retry]


def test_a_forced_market_run_is_a_new_market_execution(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sfn = FakeSfn()
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(sfn, [MARKET_WINNER]))
    assert app.main(["--local", "run", "--date", "2026-11-20", "--scope", "market", "--force"]) == 0
    [name] = sfn.started
    assert name.startswith(daily_execution_name("2026-11-20", scope="market") + "-force-")
    assert sfn.executions[execution_arn(MACHINE, name)] == ("RUNNING", {**MARKET_RUN, "force": True})


def test_the_market_schedule_of_a_stack_without_one_is_named_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a stack planned with market_schedule_enabled = false (no market_schedule_name output)
    monkeypatch.setattr(runs, "target", lambda args: FakeTarget(FakeSfn(), []))
    # When its market schedule is shown, Then one line says there is none
    assert app.main(["--local", "schedule", "show", "--market"]) == 2
    assert capsys.readouterr().err == "error: the stack has no market schedule\n"


def test_an_unknown_scope_is_refused_by_the_parser(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        app.main(["--local", "run", "--scope", "Market"])
    assert "invalid choice: 'Market'" in capsys.readouterr().err


T0 = dt.datetime(2026, 11, 20, 21, tzinfo=dt.UTC)
LAMBDA_CAUSE = json.dumps({"errorType": "NoData", "errorMessage": "TSLA: the provider returned no bars\nmore",
                           "stackTrace": ["  File \"/tmp/x/app.py\", line 3"]})  # fmt: skip


def failed_backfill() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ev: list[dict[str, Any]] = []

    def add(kind: str, prev: int, **details: Any) -> int:
        ev.append({"id": len(ev) + 1, "previousEventId": prev, "type": kind, "timestamp": T0, **details})
        return len(ev)

    m = add("MapStateEntered", 0, stateEnteredEventDetails={"name": "Fetch Ranges"})
    m = add("MapStateStarted", m, mapStateStartedEventDetails={"length": 2})
    for ticker in ("TSLA", "GOOGL"):
        s = add("TaskStateEntered", m, stateEnteredEventDetails={"name": "Fetch Range"})
        cause = LAMBDA_CAUSE.replace("TSLA", ticker)
        add("TaskFailed", s, taskFailedEventDetails={"error": "NoData", "cause": cause})
    f = add("MapStateFailed", len(ev))
    f = add("FailStateEntered", f, stateEnteredEventDetails={"name": "Backfill Failed"})
    add("ExecutionFailed", f, executionFailedEventDetails={"error": "NoData", "cause": LAMBDA_CAUSE})
    desc = {"name": "backfill-x", "status": "FAILED", "startDate": T0, "stopDate": T0, "error": "NoData",
            "cause": LAMBDA_CAUSE}  # fmt: skip
    return desc, ev


def test_a_failure_is_one_line_per_error_naming_every_failed_ticker() -> None:
    desc, events = failed_backfill()
    lines = render(desc, events).splitlines()
    assert lines[-2] == "FAILED: NoData: TSLA: the provider returned no bars"
    assert lines[-1] == "  also NoData: GOOGL: the provider returned no bars (Fetch Range)"
    assert not any("stackTrace" in line or "/tmp/x" in line for line in lines)
    assert any(
        "Backfill Failed" in line and "failed" in line and "not finished" not in line for line in lines
    )


def test_verbose_shows_the_whole_cause() -> None:
    desc, events = failed_backfill()
    text = render(desc, events, verbose=True)
    assert "  TSLA: the provider returned no bars\n  more" in text and "also NoData in Fetch Range:" in text
