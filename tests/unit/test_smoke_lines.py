"""`movers smoke`'s checks and output contract (DESIGN.md §5) against in-memory fakes of the deployment."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from movers.cli import smoke as smoke_module
from movers.cli.common import Target
from movers.cli.smoke import SmokeTarget, smoke

DAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:stock-movers-dev-ingest"


class FakeSfn:
    class exceptions:
        class ExecutionAlreadyExists(Exception):
            pass

    def __init__(self, status: str = "SUCCEEDED") -> None:
        self.status = status
        self.started: list[dict[str, Any]] = []

    def start_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.started.append(kwargs)
        return {"executionArn": f"{MACHINE.replace(':stateMachine:', ':execution:')}:{kwargs['name']}"}

    def describe_execution(self, executionArn: str) -> dict[str, Any]:
        out = {
            "status": self.status,
            "name": executionArn.rsplit(":", 1)[1],
            "output": '{"status": "Stored"}',
        }
        if self.status != "SUCCEEDED":
            out.update(error="MissingTickers", cause="no bars for 2026-11-20")
        return out


class FakeCloudWatch:
    def __init__(self, states: dict[str, str]) -> None:
        self.states = states

    def describe_alarms(self, **kwargs: Any) -> dict[str, Any]:
        alarms = [
            {"AlarmName": n, "StateValue": v}
            for n, v in self.states.items()
            if n.startswith(kwargs["AlarmNamePrefix"])
        ]
        return {"MetricAlarms": alarms, "CompositeAlarms": []}


class FakeTarget(Target):
    def __init__(self, sfn: FakeSfn, cw: FakeCloudWatch) -> None:
        super().__init__({"name_prefix": "stock-movers-dev", "ingest_state_machine_arn": MACHINE,
                          "release_aliases": {"ingest_state_machine": f"{MACHINE}:live"}})  # fmt: skip
        self.fakes = {"stepfunctions": sfn, "cloudwatch": cw}

    def client(self, service: str) -> Any:
        return self.fakes[service]


@pytest.fixture(autouse=True)
def _no_retry_pause(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(smoke_module, "RETRY_PAUSE_SECONDS", 0.0)


MOVER = {"Date": "2026-11-20", "Ticker": "NVDA", "PercentChange": 3.2, "ClosingPrice": 181.5}


def site(overrides: dict[str, list[tuple[int, bytes]]] | None = None):
    """A fake GET: the healthy API and page, with per-path scripted answers taken first."""
    script = {k: list(v) for k, v in (overrides or {}).items()}
    calls: list[str] = []

    def get(url: str) -> tuple[int, str, bytes]:
        path = url.split("example", 1)[1]
        calls.append(path)
        if script.get(path):
            status, body = script[path].pop(0)
            return status, "application/json", body
        answers = {
            ".org/v1/movers": json.dumps([MOVER]).encode(),
            ".org/v1/movers/2026-11-20": json.dumps(MOVER).encode(),
            ".org/v1/health": b'{"status": "ok"}',
        }
        if path in answers:
            return 200, "application/json", answers[path]
        return 200, "text/html", b"<!doctype html><html></html>"

    get.calls = calls  # type: ignore[attr-defined]
    return get


def _run(
    sfn: FakeSfn, alarms: dict[str, str], get: Any, page: str = "https://page.example.org/"
) -> tuple[int, list[str]]:
    st = SmokeTarget(FakeTarget(sfn, FakeCloudWatch(alarms)), "https://api.example.org/v1", page)
    out, notes = io.StringIO(), io.StringIO()
    status = smoke(st, DAY, out=out, notes=notes, get=get, now=NOW, timeout=5)
    return status, out.getvalue().splitlines()


def test_a_healthy_deployment_prints_one_ok_line_per_check_and_exits_0():
    sfn = FakeSfn()
    status, lines = _run(sfn, {"stock-movers-dev-api-5xx": "OK"}, site())
    assert (status, lines) == (0, ["ok run", "ok api-movers", "ok api-health", "ok page", "ok alarms"])
    # the run went through the live alias under a smoke- name, for the past day, without force
    assert sfn.started == [
        {"stateMachineArn": f"{MACHINE}:live", "name": "smoke-2026-11-20-20261126T120000",
         "input": '{"date": "2026-11-20"}'}
    ]  # fmt: skip


def test_each_failure_is_its_own_fail_line_and_the_exit_status_is_1():
    get = site(
        {".org/v1/movers": [(200, b'[{"Date": "2026-11-20"}]')], ".org/v1/health": [(500, b"boom")] * 2}
    )
    status, lines = _run(
        FakeSfn("FAILED"), {"stock-movers-dev-lambda-errors": "ALARM", "other-x": "ALARM"}, get
    )
    assert status == 1
    assert lines[0].startswith("FAIL run: smoke-2026-11-20-20261126T120000 FAILED: MissingTickers")
    assert lines[1].startswith("FAIL api-movers: GET /movers item is not ")
    assert lines[2] == "FAIL api-health: GET https://api.example.org/v1/health answered 500: boom"
    assert lines[3:] == ["ok page", "FAIL alarms: in ALARM: stock-movers-dev-lambda-errors"]


def test_a_502_is_asked_once_more_and_two_fail_the_check():
    once = site({".org/v1/health": [(502, b"{}")]})
    assert _run(FakeSfn(), {"stock-movers-dev-a": "OK"}, once)[1][2] == "ok api-health"
    twice = site({".org/v1/health": [(502, b"{}"), (504, b"{}")]})
    assert _run(FakeSfn(), {"stock-movers-dev-a": "OK"}, twice)[1][2].startswith("FAIL api-health: ")


def test_no_page_means_no_page_check_and_no_alarms_is_a_failure():
    status, lines = _run(FakeSfn(), {}, site(), page="")
    assert status == 1
    assert [line.split(":")[0] for line in lines] == [
        "ok run",
        "ok api-movers",
        "ok api-health",
        "FAIL alarms",
    ]
