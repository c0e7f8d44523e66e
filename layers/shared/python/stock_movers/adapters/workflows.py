"""Step Functions: the one adapter that starts executions, waits for them and reads their history.

Used by the Lambda code (catch-up, the daily start) and the operator CLI, bench and test helpers alike. The
boto3 client is injected (or created lazily), so tests pass a fake and the CLI passes its target's client.
Names come from stock_movers.execution_names: a deterministic name makes a repeated start idempotent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from stock_movers.adapters.aws import LazyClient
from stock_movers.execution_names import execution_arn

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


@dataclass(frozen=True)
class Start:
    """What a start did: `Started` (this call started it, or AWS attached it to the running execution of the
    same name and input) or `AlreadyStarted` (the name is taken: running with other input, or closed)."""

    status: Literal["Started", "AlreadyStarted"]
    name: str
    execution_arn: str

    @property
    def started(self) -> bool:
        return self.status == "Started"


class StillRunning(TimeoutError):
    """An execution had not ended when a wait gave up; `description` is its last DescribeExecution."""

    def __init__(self, description: dict[str, Any], timeout: float) -> None:
        super().__init__(
            f"{description.get('name', '?')} still {description.get('status')} after {timeout:.0f}s"
        )
        self.description = description


def _already_exists(sfn: Any, exc: Exception) -> bool:
    modelled = getattr(getattr(sfn, "exceptions", None), "ExecutionAlreadyExists", None)
    if isinstance(modelled, type) and isinstance(exc, modelled):
        return True
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", "")) == "ExecutionAlreadyExists"


class Workflows:
    """StartExecution, DescribeExecution, GetExecutionHistory (paginated), and a wait for the end."""

    sfn = LazyClient("stepfunctions")

    def __init__(
        self,
        sfn: Any = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sfn = sfn
        self._sleep = sleep
        self._clock = clock

    def start(self, machine_arn: str, name: str, payload: Any) -> Start:
        """Start execution `name` of `machine_arn` (a machine, version or alias ARN), `payload` as JSON."""
        try:
            out = self.sfn.start_execution(stateMachineArn=machine_arn, name=name, input=json.dumps(payload))
        except Exception as exc:
            if not _already_exists(self.sfn, exc):
                raise
            return Start("AlreadyStarted", name, execution_arn(machine_arn, name))
        return Start("Started", name, str(out["executionArn"]))

    def describe(self, arn: str) -> dict[str, Any]:
        desc: dict[str, Any] = self.sfn.describe_execution(executionArn=arn)
        return desc

    def wait(self, arn: str, *, timeout: float = 900.0, poll: float = 0.5) -> dict[str, Any]:
        """DescribeExecution once the execution has ended; StillRunning after `timeout` seconds."""
        deadline = self._clock() + timeout
        while True:
            desc = self.describe(arn)
            if desc["status"] in TERMINAL:
                return desc
            if self._clock() > deadline:
                raise StillRunning(desc, timeout)
            self._sleep(poll)

    def run(
        self, machine_arn: str, name: str, payload: Any, *, timeout: float = 900.0, poll: float = 0.5
    ) -> dict[str, Any]:
        """Start (or find) execution `name` and wait for its end."""
        return self.wait(self.start(machine_arn, name, payload).execution_arn, timeout=timeout, poll=poll)

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every event of the execution, oldest first (all pages)."""
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
        while True:
            page = self.sfn.get_execution_history(**kwargs)
            events += page["events"]
            if not page.get("nextToken"):
                return events
            kwargs["nextToken"] = page["nextToken"]
