"""`movers smoke` (what `make smoke ENV=local` runs) against the local stack: the same code as for AWS, only
the target differs (the running stack's state file instead of Terraform outputs). DESIGN.md §5 "Smoke"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from movers.local.apigw import LocalApiGateway
from tests.support.localstack import StackHandle

ROOT = Path(__file__).resolve().parents[2]
CHECKS = ["run", "api-movers", "api-health", "page", "alarms"]


@pytest.fixture(scope="module")
def state_file(stack: StackHandle, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Given the stack served as `movers local up` serves it: a local API gateway and a state file."""
    gateway = LocalApiGateway(stack.outputs["api_function_alias_arn"], stack.endpoint, port=0)
    url = gateway.start()
    path = tmp_path_factory.mktemp("smoke") / "stack.json"
    path.write_text(
        json.dumps(
            {
                "pid": os.getpid(),
                "aws_endpoint": stack.endpoint,
                "web_url": url,
                "api_url": f"{url}/v1",
                "outputs": stack.outputs,
            }
        )
    )
    try:
        yield path
    finally:
        gateway.stop()


def _smoke(state_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MOVERS_STATE_FILE": str(state_file)}
    return subprocess.run(
        [sys.executable, "-m", "movers", "--local", "smoke", *args],
        cwd=ROOT, env=env, text=True, capture_output=True, timeout=600, check=False,
    )  # fmt: skip


def test_smoke_passes_against_the_local_stack(state_file: Path) -> None:
    # When the smoke test runs against the healthy local stack (the bundled dataset's last session)
    proc = _smoke(state_file, "--date", "2026-11-20")
    # Then it prints one `ok <check>` line per check and exits 0
    assert proc.stdout.splitlines() == [f"ok {c}" for c in CHECKS], proc.stdout + proc.stderr
    assert proc.returncode == 0
    assert "smoke-2026-11-20-" in proc.stderr  # the run's name, in the notes


def test_smoke_fails_on_an_alarm_in_alarm_and_on_a_day_without_data(
    stack: StackHandle, state_file: Path
) -> None:
    # Given an alarm of the stack in ALARM
    cw = stack.stack.client("cloudwatch")
    alarm = cw.describe_alarms(AlarmNamePrefix=stack.outputs["name_prefix"] + "-")["MetricAlarms"][0][
        "AlarmName"
    ]
    cw.set_alarm_state(AlarmName=alarm, StateValue="ALARM", StateReason="smoke test")
    try:
        # When the smoke test runs for a day the provider has no data for
        proc = _smoke(state_file, "--date", "2026-11-23", "--timeout", "300")
    finally:
        cw.set_alarm_state(AlarmName=alarm, StateValue="OK", StateReason="smoke test done")
    lines = proc.stdout.splitlines()
    # Then the run, the day's API read and the alarms each FAIL with a reason, the rest pass, exit non-zero
    assert proc.returncode != 0
    assert lines[0].startswith("FAIL run: smoke-2026-11-23-"), lines
    assert lines[1].startswith("FAIL api-movers: GET ") and "/movers/2026-11-23 answered 404" in lines[1], (
        lines
    )
    assert lines[2:4] == ["ok api-health", "ok page"], lines
    assert lines[4] == f"FAIL alarms: in ALARM: {alarm}", lines
