"""`movers push`: the event it publishes on the market-data bus and the outcome it reports (fakes for
EventBridge and the main table's audit partition)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from movers.cli import app
from movers.cli.common import CliError, Target
from movers.cli.push import bar_detail, run_push

ARGS = ["push", "--ticker", "AAPL", "--date", "2026-02-12", "--open", "189.30", "--high", "191.05",
        "--low", "188.12", "--close", "190.64", "--volume", "52000000"]  # fmt: skip


class FakeAws:
    """EventBridge (records the entries) and DynamoDB (the audit record the processor would write)."""

    def __init__(self, outcome: dict[str, Any] | None, refuse: bool = False) -> None:
        self.entries: list[dict[str, Any]] = []
        self.outcome, self.refuse = outcome, refuse

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.entries += Entries
        if self.refuse:
            return {
                "FailedEntryCount": 1,
                "Entries": [{"ErrorCode": "MalformedDetail", "ErrorMessage": "bad"}],
            }
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "ev-1"}]}

    def query(self, **kwargs: Any) -> dict[str, Any]:
        found = [] if self.outcome is None else [{"EventId": {"S": "ev-1"}, **self.outcome}]
        return {"Items": found}


class FakeTarget(Target):
    def __init__(self, aws: FakeAws, outputs: dict[str, Any] | None = None) -> None:
        super().__init__(outputs if outputs is not None else {"market_data_bus_name": "s-market-data",
                                                              "table_name": "t"})  # fmt: skip
        self.aws = aws

    def client(self, service: str) -> Any:
        return self.aws


def detail() -> dict[str, Any]:
    return bar_detail(app.parser().parse_args(ARGS))


def test_the_event_carries_the_arguments_as_given_on_the_stacks_bus() -> None:
    aws = FakeAws({"Outcome": {"S": "Accepted"}})
    out = io.StringIO()
    assert run_push(FakeTarget(aws), detail(), out, wait=0) == 0
    (entry,) = aws.entries
    assert (entry["EventBusName"], entry["DetailType"], entry["Source"]) == ("s-market-data", "Daily Bar",
                                                                             "movers.cli")  # fmt: skip
    assert json.loads(entry["Detail"]) == {"ticker": "AAPL", "date": "2026-02-12", "open": "189.30",
                                           "high": "191.05", "low": "188.12", "close": "190.64",
                                           "volume": "52000000", "adjusted": True,
                                           "provider": "movers-cli"}  # fmt: skip
    assert out.getvalue().splitlines() == ["published ev-1 on s-market-data", "accepted"]


def test_a_rejected_bar_prints_the_processors_error_and_fails() -> None:
    aws = FakeAws({"Outcome": {"S": "Rejected"}, "Error": {"S": "InvalidBar"},
                   "Message": {"S": "AAPL: high 1 is below max(open, close) 190.64"}})  # fmt: skip
    out = io.StringIO()
    assert run_push(FakeTarget(aws), detail(), out, wait=0) == 1
    assert (
        out.getvalue().splitlines()[-1]
        == "rejected InvalidBar: AAPL: high 1 is below max(open, close) 190.64"
    )


def test_no_audit_record_in_time_and_a_refused_put_are_named() -> None:
    out = io.StringIO()
    assert run_push(FakeTarget(FakeAws(None)), detail(), out, wait=0) == 2
    assert out.getvalue().splitlines()[-1] == "no audit record for ev-1 within 0 s"
    with pytest.raises(CliError, match="EventBridge refused the event: MalformedDetail"):
        run_push(FakeTarget(FakeAws(None, refuse=True)), detail(), io.StringIO(), wait=0)
    with pytest.raises(CliError, match="no market-data bus"):
        run_push(FakeTarget(FakeAws(None), {"table_name": "t"}), detail(), io.StringIO(), wait=0)


def test_a_malformed_date_is_refused_before_any_call() -> None:
    with pytest.raises(CliError, match="--date"):
        bar_detail(app.parser().parse_args([*ARGS[:3], "--date", "12/02/2026", *ARGS[5:]]))
