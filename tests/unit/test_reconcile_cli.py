"""`movers reconcile`: its payload, its report lines and a refused revision's exit status (fake Lambda)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from movers.cli.common import CliError, Target
from movers.cli.reconcile import reconcile_payload, run_reconcile


class FakeLambda:
    def __init__(self, body: Any, error: str | None = None) -> None:
        self.body, self.error, self.calls = body, error, []  # type: ignore[var-annotated]

    def invoke(self, **kwargs: Any) -> dict[str, Any]:
        self.calls.append(kwargs)
        out: dict[str, Any] = {"Payload": io.BytesIO(json.dumps(self.body).encode())}
        if self.error:
            out["FunctionError"] = self.error
        return out


class FakeTarget(Target):
    def __init__(self, lam: FakeLambda) -> None:
        super().__init__({"reconcile_function_name": "fn-reconcile"})
        self.lam = lam

    def client(self, service: str) -> Any:
        assert service == "lambda"
        return self.lam


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
    lam, out = FakeLambda(body), io.StringIO()
    assert run_reconcile(FakeTarget(lam), {"sessions": 2}, out) == 0
    assert lam.calls[0]["FunctionName"] == "fn-reconcile" and json.loads(lam.calls[0]["Payload"]) == {
        "sessions": 2
    }
    assert out.getvalue().splitlines() == [
        "sessions 2021-03-23, 2021-03-24; provider calls 6",
        "unchanged 2021-03-23",
        "revised 2021-03-24: winner A 1 -> B 2 (3 changes)",
    ]


def test_a_refused_revision_fails_with_its_name() -> None:
    lam = FakeLambda(
        {"errorType": "RevisionRejected", "errorMessage": "2021-03-24: InvalidBar: x"}, "Unhandled"
    )
    out = io.StringIO()
    assert run_reconcile(FakeTarget(lam), {}, out) == 1
    assert out.getvalue() == "FAIL RevisionRejected: 2021-03-24: InvalidBar: x\n"
