"""`movers reconcile`: its payload, the execution it starts, its report lines and a refused revision's exit
status (fake Step Functions client)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from movers.cli.common import CliError, Target
from movers.cli.reconcile import reconcile_payload, run_reconcile

MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:sm-reconcile"


class FakeStepFunctions:
    """Starts one execution that has already ended with `desc`."""

    def __init__(self, desc: dict[str, Any]) -> None:
        self.desc, self.starts = desc, []  # type: ignore[var-annotated]

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.starts.append(kwargs)
        return {
            "executionArn": f"arn:aws:states:us-east-1:123456789012:execution:sm-reconcile:{kwargs['name']}"
        }

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        return {"executionArn": executionArn, **self.desc}


class FakeTarget(Target):
    def __init__(self, sfn: FakeStepFunctions) -> None:
        super().__init__({"release_aliases": {"reconcile_state_machine": f"{MACHINE}:live"}})
        self.sfn = sfn

    def client(self, service: str) -> Any:
        assert service == "stepfunctions"
        return self.sfn


def test_the_payload_holds_only_what_was_given() -> None:
    assert reconcile_payload(None, None, None) == {}
    assert reconcile_payload("2021-03-24", 2, "why") == {
        "through": "2021-03-24",
        "sessions": 2,
        "reason": "why",
    }
    with pytest.raises(CliError, match=r"--sessions must be 1\.\.10"):
        reconcile_payload(None, 11, None)


def test_the_report_names_unchanged_and_revised_days() -> None:
    body = {
        "sessions": ["2021-03-23", "2021-03-24"], "providerCalls": 6, "unchanged": ["2021-03-23"],
        "revised": [{"date": "2021-03-24", "winnerFrom": "A 1", "winnerTo": "B 2", "changes": 3}],
        "rejected": [],
    }  # fmt: skip
    sfn, out = FakeStepFunctions({"status": "SUCCEEDED", "output": json.dumps(body)}), io.StringIO()
    # When `movers reconcile --through 2021-03-24 --sessions 2` runs
    assert run_reconcile(FakeTarget(sfn), {"through": "2021-03-24", "sessions": 2}, out) == 0
    # Then it started the machine's live alias with the payload, under a reconcile name
    ((start,),) = [sfn.starts]
    assert start["stateMachineArn"] == f"{MACHINE}:live"
    assert json.loads(start["input"]) == {"through": "2021-03-24", "sessions": 2}
    assert start["name"].startswith("reconcile-2021-03-24-")
    assert out.getvalue().splitlines() == [
        "sessions 2021-03-23, 2021-03-24; provider calls 6",
        "unchanged 2021-03-23",
        "revised 2021-03-24: winner A 1 -> B 2 (3 changes)",
    ]


def test_a_refused_revision_fails_with_its_name() -> None:
    sfn = FakeStepFunctions(
        {"status": "FAILED", "error": "RevisionRejected", "cause": "2021-03-24: InvalidBar: x"}
    )
    out = io.StringIO()
    assert run_reconcile(FakeTarget(sfn), {}, out) == 1
    assert sfn.starts[0]["name"].startswith("reconcile-latest-")
    assert out.getvalue() == "FAIL RevisionRejected: 2021-03-24: InvalidBar: x\n"
