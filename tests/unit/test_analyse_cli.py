"""`movers analyse`: the span it accepts (named one-line errors), its per-date lines, and what it starts."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from movers.cli import analyse as analyse_cli
from movers.cli.analyse import AnalyseError, outcome, run_analyse, span
from movers.cli.common import CliError, Target

TODAY = dt.date(2025, 7, 2)


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2025-1-01", "2025-01-31", "--from: must be YYYY-MM-DD"),
        ("2025-01-01", "2025-02-30", "--to: is not a real calendar date"),
        ("2025-02-01", "2025-01-01", "--from 2025-02-01 is after --to 2025-01-01"),
        ("2025-07-01", "2025-07-03", "--to 2025-07-03 is in the future"),
        ("2020-01-01", "2025-01-01", "the span has 1828 days; at most 400"),
        ("2025-07-01 ", "2025-07-01", "--from: must be YYYY-MM-DD"),
    ],
)
def test_bad_spans_are_named_one_line_errors(start: str, end: str, message: str) -> None:
    with pytest.raises(AnalyseError) as exc:
        span(start, end, today=TODAY)
    assert isinstance(exc.value, CliError)
    assert str(exc.value).startswith(message) and "\n" not in str(exc.value)


def test_outcome_lines() -> None:
    def done(status: str) -> dict[str, Any]:
        return {"status": "SUCCEEDED", "output": json.dumps({"status": status})}

    d = dt.date(2025, 6, 30)
    assert outcome(d, done("Complete")) == "2025-06-30 Analysed Complete"
    assert outcome(d, done("Partial")) == "2025-06-30 Analysed Partial"
    assert outcome(d, done("AlreadyAnalysed")) == "2025-06-30 AlreadyAnalysed"
    assert outcome(d, done("NotStored")) == "2025-06-30 NotStored"
    failed = {"status": "FAILED", "error": "States.TaskFailed", "cause": "boom\nmore"}
    assert outcome(d, failed) == "2025-06-30 FAILED States.TaskFailed: boom"


class FakeSfn:
    def __init__(self, results: dict[str, str]) -> None:
        self.results, self.inputs = results, {}  # type: ignore[var-annotated]

    def start_execution(self, stateMachineArn: str, name: str, input: str) -> dict[str, Any]:
        self.inputs[name] = json.loads(input)
        return {"executionArn": f"arn:exec:{name}"}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        date = self.inputs[executionArn.removeprefix("arn:exec:")]["date"]
        status = self.results[date]
        if status == "FAILED":
            return {"name": executionArn, "status": "FAILED", "error": "InvalidInput", "cause": "date: bad"}
        return {"name": executionArn, "status": "SUCCEEDED", "output": json.dumps({"status": status})}


class FakeTarget(Target):
    def __init__(self, sfn: FakeSfn) -> None:
        super().__init__({"daily_analysis_state_machine_arn": "arn:sm:analysis"})
        self.sfn = sfn

    def client(self, service: str) -> Any:
        assert service == "stepfunctions"
        return self.sfn


def test_one_line_per_date_sessions_started_closed_days_not(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a week with Independence Day (Friday 2025-07-04) and a weekend, and one analysis failing
    sfn = FakeSfn({"2025-07-01": "Complete", "2025-07-02": "AlreadyAnalysed", "2025-07-03": "FAILED",
                   "2025-07-07": "NotStored"})  # fmt: skip
    monkeypatch.setattr(analyse_cli, "BATCH", 2)
    out = io.StringIO()
    # When analysing 2025-07-01..2025-07-07 with force
    code = run_analyse(
        FakeTarget(sfn), "2025-07-01", "2025-07-07", force=True, out=out, today=dt.date(2025, 7, 8)
    )
    # Then one line per date, in order, and exit status 1 for the failed date
    assert out.getvalue().splitlines() == [
        "2025-07-01 Analysed Complete",
        "2025-07-02 AlreadyAnalysed",
        "2025-07-03 FAILED InvalidInput: date: bad",
        "2025-07-04 MarketClosed",
        "2025-07-05 MarketClosed",
        "2025-07-06 MarketClosed",
        "2025-07-07 NotStored",
    ]
    assert code == 1
    # And only sessions were started, each with force
    assert sorted(p["date"] for p in sfn.inputs.values()) == ["2025-07-01", "2025-07-02", "2025-07-03",
                                                              "2025-07-07"]  # fmt: skip
    assert all(p["force"] is True for p in sfn.inputs.values())


def test_the_command_names_a_bad_date_on_one_line_before_looking_for_a_stack(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from movers.cli import main

    assert main(["analyse", "--from", "2025-02-30", "--to", "2025-03-03"]) == 2
    assert capsys.readouterr().err == "error: --from: is not a real calendar date: '2025-02-30'\n"
