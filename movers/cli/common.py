"""What every `movers` command shares: the target stack (AWS through Terraform's outputs, or the running
local stack), its executions (start, wait, history, resolve a name), arguments checked before any AWS call,
and the one-line `CliError`.

Nothing here imports the local stack or the market server: `--local` reads the running stack's state file
through `movers.local.daemon` only when a command asks for the local target.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movers.terraform import TF_DIR, terraform_env
from stock_movers.domain.inputs import WATCHLIST_SCOPE
from stock_movers.execution_names import daily_execution_name

EXAMPLE_EXECUTION = daily_execution_name("2026-11-20")  # in the help of commands that take an execution


class CliError(Exception):
    """A one-line error for the operator."""


@dataclass
class Target:
    """Where the stack lives: its Terraform outputs and how to reach its APIs."""

    outputs: dict[str, Any]
    endpoint: str | None = None  # the local AWS, or None for AWS itself
    web_url: str | None = None
    market_latest_session: str | None = None  # the last session the local stack's market server has
    work_dir: Path | None = None  # the local stack's own folder (its state file's), for the CLI's caches

    def client(self, service: str) -> Any:
        import boto3

        if self.endpoint:
            return boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name="us-east-1",
                aws_access_key_id="test",
                aws_secret_access_key="test",  # noqa: S106 - the local AWS's dummy credentials
            )
        return boto3.client(service)


def local_target() -> Target:
    from movers.local.daemon import read_state, state_file

    state = read_state()
    if state is None:
        raise CliError("the local stack is not running: start it with `make demo` or `movers local up`")
    return Target(
        state["outputs"], state["aws_endpoint"], state["web_url"], state.get("market_latest_session"),
        work_dir=state_file().parent,
    )  # fmt: skip


def aws_target() -> Target:
    if not (TF_DIR / "terraform.tfstate").exists() and not (TF_DIR / ".terraform").exists():
        raise CliError(
            "no stack deployed: run `make deploy ENV=dev` first (or use --local for the local stack)"
        )
    proc = subprocess.run(
        ["terraform", f"-chdir={TF_DIR}", "output", "-json"],
        capture_output=True, text=True, env=terraform_env(TF_DIR / ".terraform"), check=False,
    )  # fmt: skip
    outputs = json.loads(proc.stdout or "{}") if proc.returncode == 0 else {}
    if "ingest_state_machine_arn" not in outputs:
        raise CliError("no stack deployed: `terraform output` has no ingest_state_machine_arn")
    return Target({k: v["value"] for k, v in outputs.items()})


def target(args: argparse.Namespace) -> Target:
    local = args.local or os.environ.get("MOVERS_LOCAL", "") not in ("", "0", "false")
    return local_target() if local else aws_target()


def machine_arn(t: Target, machine: str) -> str:
    key = f"{machine}_state_machine_arn"
    if key not in t.outputs:
        raise CliError(f"the stack has no {machine} state machine")
    return str(t.outputs[key])


def release_arn(t: Target, machine: str) -> str:
    """The machine's `live` alias (what schedules and rules start), or the machine on an older stack."""
    aliases = t.outputs.get("release_aliases") or {}
    return str(aliases.get(f"{machine}_state_machine") or machine_arn(t, machine))


def workflows(t: Target) -> Any:
    """The Step Functions adapter over the target's client."""
    from stock_movers.adapters.workflows import Workflows

    return Workflows(t.client("stepfunctions"))


def start_execution(t: Target, machine: str, name: str, payload: dict[str, Any]) -> str:
    started = workflows(t).start(release_arn(t, machine), name, payload)
    if not started.started:
        raise CliError(f"an execution named {name} already exists with other input (names are kept 90 days)")
    return str(started.execution_arn)


def wait(t: Target, arn: str, timeout: float = 900.0, *, live: bool = False) -> dict[str, Any]:
    """Wait for the execution to end; `live` shows its progress on stdout meanwhile (movers.cli.progress)."""
    from stock_movers.adapters.workflows import StillRunning

    flows = workflows(t)
    if live:
        from movers.cli.progress import follow

        return follow(
            lambda: flows.describe(arn),
            lambda: flows.history(arn),
            sys.stdout,
            poll=0.5,
            timeout=timeout,
            on_timeout=lambda d: CliError(f"{d['name']} still {d['status']} after {timeout:.0f}s"),
        )
    try:
        desc: dict[str, Any] = flows.wait(arn, timeout=timeout, poll=0.5)
    except StillRunning as exc:
        raise CliError(str(exc)) from None
    return desc


def history(t: Target, arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = workflows(t).history(arn)
    return events


def map_runs(t: Target, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DescribeMapRun of each Distributed Map run in an execution's history (child executions and items)."""
    from movers.cli.trace import map_run_arns

    sfn = t.client("stepfunctions")
    return [dict(sfn.describe_map_run(mapRunArn=arn)) for arn in map_run_arns(events)]


def resolve_execution(t: Target, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    for key, arn in t.outputs.items():
        if key.endswith("_state_machine_arn"):
            from stock_movers.execution_names import execution_arn

            candidate = execution_arn(str(arn), ref)
            try:
                workflows(t).describe(candidate)
                return candidate
            except Exception:  # noqa: S112 - try the next state machine
                continue
    raise CliError(f"unknown execution: {ref}")


# ---------------------------------------------------------------------------------------------- commands
def cli_date(text: str | None, flag: str) -> str | None:
    """A `YYYY-MM-DD` argument checked before any AWS call (CliError naming the flag)."""
    if text is None:
        return None
    from stock_movers.domain.errors import InvalidInput
    from stock_movers.domain.inputs import parse_date

    try:
        return parse_date(text, flag).isoformat()
    except InvalidInput as exc:
        raise CliError(str(exc)) from None


def cli_tickers(tickers: list[str] | None, flag: str = "--tickers") -> list[str] | None:
    from stock_movers.domain.errors import InvalidInput
    from stock_movers.domain.inputs import parse_ticker

    try:
        return [parse_ticker(x, flag) for x in tickers] if tickers else None
    except InvalidInput as exc:
        raise CliError(str(exc)) from None


def default_session(t: Target, now: dt.datetime | None = None) -> str:
    """The session a run without --date processes: the latest completed NYSE session, or the last session
    the local stack's market server has when its data ends earlier (the SYNTHETIC dataset does)."""
    from stock_movers.domain.calendar import latest_completed_session

    latest = latest_completed_session(now or dt.datetime.now(dt.UTC)).isoformat()
    if t.market_latest_session and t.market_latest_session < latest:
        return t.market_latest_session
    return latest


def items(t: Target) -> Any:
    """The main table's adapter over the target's client."""
    from stock_movers.adapters.storage import ItemStore

    return ItemStore(t.outputs["table_name"], t.client("dynamodb"))


def stored_winner(t: Target, day: str, scope: str = WATCHLIST_SCOPE) -> dict[str, Any] | None:
    """The winner item stored for `day` of `scope` (the watchlist's, or the whole market's own item), or
    None."""
    from stock_movers.adapters.storage import scope_winner_key

    item: dict[str, Any] | None = items(t).get(scope_winner_key(day, scope))
    return item


def signed(number: str) -> str:
    """A stored DynamoDB number with its sign, exactly as stored (`+4.123456`, `-0.5`)."""
    return number if number.startswith("-") else f"+{number}"


def winner_line(item: dict[str, Any]) -> str:
    """`2026-11-20 NVDA +4.123456% close 187.12`, at the stored precision."""
    return (
        f"{item['Date']['S']} {item['Ticker']['S']} {signed(item['PercentChange']['N'])}% "
        f"close {item['ClosingPrice']['N']}"
    )
