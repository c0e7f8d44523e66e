"""StackHandle: a started LocalStack plus the helpers the stack tests share."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from typing import Any

from movers.local.stack import LocalStack
from stock_movers.adapters.storage import (
    ANALYSIS_PK,
    TICKER_PREFIX,
    WINNER_PK,
    ItemStore,
    leaders_key,
    parquet_key,
    winner_key,
)
from stock_movers.adapters.workflows import StillRunning, Workflows


class StackHandle:
    """A started LocalStack plus helpers the tests share."""

    def __init__(self, stack: LocalStack) -> None:
        self.stack = stack
        self.outputs = stack.outputs
        self.market = stack.market
        self.sfn = stack.client("stepfunctions")
        self.ddb = stack.client("dynamodb")
        self.s3 = stack.client("s3")
        self.logs = stack.client("logs")
        self.table = ItemStore(self.outputs["table_name"], self.ddb)  # the main table's adapter
        self.workflows = Workflows(self.sfn, sleep=time.sleep)

    @property
    def endpoint(self) -> str:
        assert self.stack.aws is not None
        return self.stack.aws.endpoint

    def run(self, machine: str, name: str, payload: Any, timeout: float = 240.0) -> dict[str, Any]:
        """Start an execution and wait for its end; returns DescribeExecution."""
        started = self.workflows.start(self.outputs[f"{machine}_state_machine_arn"], name, payload)
        return self.wait(started.execution_arn, timeout)

    def release_function_env(self, name: str, env: dict[str, str]) -> None:
        """Sets a function's environment the way `terraform apply` does (see :meth:`release_function`)."""
        self.release_function(name, Environment={"Variables": env})

    def release_function(self, name: str, **config: Any) -> str:
        """See :meth:`movers.local.stack.LocalStack.release_function`."""
        return self.stack.release_function(name, **config)

    def released(self, name: str, **config: Any) -> contextlib.AbstractContextManager[None]:
        """See :meth:`movers.local.stack.LocalStack.released`."""
        return self.stack.released(name, **config)

    def quiesce_market(self, quiet: float = 1.5, limit: float = 30.0) -> None:
        """Waits until the market server saw no call for `quiet` s: a failed Map iteration ends its
        execution, but moto's interpreter lets sibling iterations finish their in-flight fetches, and a
        run's gap healing fetches in the background."""
        deadline = time.monotonic() + limit
        last = self.market.stats()["total"]
        while time.monotonic() < deadline:
            time.sleep(quiet)
            now = self.market.stats()["total"]
            if now == last:
                return
            last = now

    def quiesce(self, limit: float = 120.0) -> None:
        """Waits until no ingest or backfill execution runs (a run's gap healing starts a backfill that may
        sit in a rate-limit Wait state for seconds) and then for a quiet market."""
        deadline = time.monotonic() + limit
        machines = [self.outputs[f"{m}_state_machine_arn"] for m in ("ingest", "backfill")]
        while time.monotonic() < deadline:
            running = [
                e
                for arn in machines
                for e in self.sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"]
            ]
            if not running:
                self.quiesce_market(limit=max(1.0, deadline - time.monotonic()))
                return
            time.sleep(0.5)
        raise AssertionError("the stack did not quiesce")

    def wait(self, execution_arn: str, timeout: float = 240.0) -> dict[str, Any]:
        try:
            return self.workflows.wait(execution_arn, timeout=timeout, poll=0.2)
        except StillRunning as exc:
            raise AssertionError(f"execution {execution_arn}: {exc}") from None

    def history(self, execution_arn: str) -> list[dict[str, Any]]:
        return self.workflows.history(execution_arn)

    # the main table, through its adapter (items are raw DynamoDB attribute maps)
    def winner(self, day: str) -> dict[str, Any] | None:
        return self.table.winner(day)

    def winners(self) -> list[dict[str, Any]]:
        """Every stored winner, oldest first."""
        return self.table.query(WINNER_PK)

    def leaders(self, day: str, scope: str = "watchlist") -> dict[str, Any] | None:
        return self.table.leaders(day, scope)

    def ticker_day(self, ticker: str, day: str) -> dict[str, Any] | None:
        return self.table.ticker_day(ticker, day)

    def analysis(self, day: str) -> dict[str, Any] | None:
        return self.table.analysis(day)

    def analyses(self) -> list[dict[str, Any]]:
        """Every stored analysis summary, oldest first."""
        return self.table.query(ANALYSIS_PK)

    def keys(self, prefix: str) -> list[str]:
        out = self.s3.list_objects_v2(Bucket=self.outputs["bucket_name"], Prefix=prefix)
        return sorted(o["Key"] for o in out.get("Contents", []))

    def forget_day(self, day: str) -> None:
        """Removes everything a watchlist run stored for `day` (per-ticker items, winner, board, every Parquet
        version), so later tests see the day unrun."""
        table, bucket = self.outputs["table_name"], self.outputs["bucket_name"]
        written = self.day_written(day)
        keys = [{"pk": i["pk"], "sk": i["sk"]} for i in written["ticker_items"]]
        keys += [winner_key(day), leaders_key(day, "watchlist")]
        for key in keys:
            self.ddb.delete_item(TableName=table, Key=key)
        versions = self.s3.list_object_versions(Bucket=bucket, Prefix=parquet_key(dt.date.fromisoformat(day)))
        for v in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
            self.s3.delete_object(Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"])

    def day_written(self, day: str) -> dict[str, Any]:
        """Everything a run may have written for `day` (winner, per-ticker items, Parquet)."""
        pages = self.ddb.get_paginator("scan").paginate(
            TableName=self.outputs["table_name"],
            FilterExpression="sk = :d AND begins_with(pk, :t)",
            ExpressionAttributeValues={":d": {"S": day}, ":t": {"S": TICKER_PREFIX}},
        )  # every page: a scan answers 1 MB at most, and the suite's table holds years of days
        tickers = [i for page in pages for i in page["Items"]]
        return {
            "winner": self.winner(day),
            "ticker_items": tickers,
            "parquet": self.keys(f"curated/daily_bars/year={day[:4]}/date={day}/"),
        }

    def state_file(self, path: Any) -> Any:
        """Write a local-stack state file for this stack (read by `movers --local` via MOVERS_STATE_FILE)."""
        import os

        state = {
            "pid": os.getpid(),
            "aws_endpoint": self.endpoint,
            "market_url": self.market.url,
            "market_latest_session": self.market.dataset.last_session.isoformat(),
            "web_url": "",
            "api_url": "",
            "outputs": self.outputs,
        }
        path.write_text(json.dumps(state))
        return path


def largest_payload(history: list[dict[str, Any]]) -> int:
    """The largest state input, output or task parameters of an execution's history, in UTF-8 bytes (what
    AWS's 256 KB limit counts)."""
    return max(
        len(str(value).encode())
        for event in history
        for key, details in event.items()
        if key.endswith("EventDetails") and isinstance(details, dict)
        for field, value in details.items()
        if field in ("input", "output", "parameters")
    )
