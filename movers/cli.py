"""`movers`: the operator CLI, against AWS (default credential chain, Terraform outputs) or the local stack.

Errors are one line on stderr and a non-zero exit (no stack trace): no stack deployed, local stack not
running, unknown execution, credentials missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from movers.local.stack import ROOT, TF_DIR, StackError, terraform_env

TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


class CliError(Exception):
    """A one-line error for the operator."""


@dataclass
class Target:
    """Where the stack lives: its Terraform outputs and how to reach its APIs."""

    outputs: dict[str, Any]
    endpoint: str | None = None  # the local AWS, or None for AWS itself
    web_url: str | None = None

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
    from movers.local.daemon import read_state

    state = read_state()
    if state is None:
        raise CliError("the local stack is not running: start it with `make demo` or `movers local up`")
    return Target(state["outputs"], state["aws_endpoint"], state["web_url"])


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


def _machine_arn(t: Target, machine: str) -> str:
    key = f"{machine}_state_machine_arn"
    if key not in t.outputs:
        raise CliError(f"the stack has no {machine} state machine")
    return str(t.outputs[key])


def release_arn(t: Target, machine: str) -> str:
    """The machine's `live` alias (what schedules and rules start), or the machine on an older stack."""
    aliases = t.outputs.get("release_aliases") or {}
    return str(aliases.get(f"{machine}_state_machine") or _machine_arn(t, machine))


def start_execution(t: Target, machine: str, name: str, payload: dict[str, Any]) -> str:
    sfn = t.client("stepfunctions")
    try:
        return str(
            sfn.start_execution(
                stateMachineArn=release_arn(t, machine), name=name, input=json.dumps(payload)
            )["executionArn"]
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        raise CliError(
            f"an execution named {name} already exists with other input (names are kept 90 days)"
        ) from None


def wait(t: Target, arn: str, timeout: float = 900.0) -> dict[str, Any]:
    sfn = t.client("stepfunctions")
    deadline = time.monotonic() + timeout
    while True:
        desc: dict[str, Any] = sfn.describe_execution(executionArn=arn)
        if desc["status"] in TERMINAL:
            return desc
        if time.monotonic() > deadline:
            raise CliError(f"{desc['name']} still {desc['status']} after {timeout:.0f}s")
        time.sleep(0.5)


def history(t: Target, arn: str) -> list[dict[str, Any]]:
    sfn = t.client("stepfunctions")
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events += page["events"]
        if not page.get("nextToken"):
            return events
        kwargs["nextToken"] = page["nextToken"]


def resolve_execution(t: Target, ref: str) -> str:
    if ref.startswith("arn:"):
        return ref
    for key, arn in t.outputs.items():
        if key.endswith("_state_machine_arn"):
            candidate = str(arn).replace(":stateMachine:", ":execution:") + f":{ref}"
            try:
                t.client("stepfunctions").describe_execution(executionArn=candidate)
                return candidate
            except Exception:  # noqa: S112 - try the next state machine
                continue
    raise CliError(f"unknown execution: {ref}")


# ---------------------------------------------------------------------------------------------- commands
def cmd_run(args: argparse.Namespace) -> int:
    from movers.trace import render

    t = target(args)
    payload: dict[str, Any] = {}
    if args.date:
        payload["date"] = args.date
    if args.tickers:
        payload["tickers"] = args.tickers
    if args.force:
        payload["force"] = True
    if not args.date:
        from stock_movers.domain.calendar import latest_completed_session

        # name and input agree: daily-<session> processes that session (the machine would resolve the same)
        payload["date"] = latest_completed_session(dt.datetime.now(dt.UTC)).isoformat()
    day = payload["date"]
    name = args.name or (
        f"daily-{day}" + ("-force-" + dt.datetime.now(dt.UTC).strftime("%H%M%S") if args.force else "")
    )
    arn = start_execution(t, "ingest", name, payload)
    print(f"started {name}")
    if not args.wait:
        print(arn)
        return 0
    desc = wait(t, arn)
    print(render(desc, history(t, arn)))
    return 0 if desc["status"] == "SUCCEEDED" else 1


def cmd_trace(args: argparse.Namespace) -> int:
    from movers.trace import render

    t = target(args)
    arn = resolve_execution(t, args.execution)
    desc = t.client("stepfunctions").describe_execution(executionArn=arn)
    print(render(desc, history(t, arn)))
    return 0 if desc["status"] in ("SUCCEEDED", "RUNNING") else 1


def cmd_list(args: argparse.Namespace) -> int:
    t = target(args)
    out = t.client("dynamodb").query(
        TableName=t.outputs["table_name"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "MOVERS"}},
        ScanIndexForward=False,
        Limit=args.limit,
    )
    items = out["Items"]
    if not items:
        print("no movers stored yet")
        return 0
    print(f"{'Date':<12}{'Ticker':<8}{'Change %':>12}{'Close':>12}")
    for i in items:
        print(f"{i['Date']['S']:<12}{i['Ticker']['S']:<8}{float(i['PercentChange']['N']):>+12.4f}"
              f"{float(i['ClosingPrice']['N']):>12.2f}")  # fmt: skip
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    t = target(args)
    sfn = t.client("stepfunctions")
    for key, arn in sorted(t.outputs.items()):
        if not key.endswith("_state_machine_arn"):
            continue
        print(key.removesuffix("_state_machine_arn"))
        execs = sfn.list_executions(stateMachineArn=arn, maxResults=args.limit)["executions"]
        if not execs:
            print("  (no executions)")
        for e in execs:
            stop = e.get("stopDate")
            took = f"{(stop - e['startDate']).total_seconds():7.1f}s" if stop else "        "
            started = e["startDate"].astimezone(dt.UTC)
            print(f"  {started:%Y-%m-%d %H:%M:%S}Z  {e['status']:<10}{took}  {e['name']}")
    return 0


def cmd_local(args: argparse.Namespace) -> int:
    from movers.local import daemon

    if args.action == "status":
        state = daemon.read_state()
        print(json.dumps(state, indent=2) if state else "the local stack is not running")
        return 0 if state else 1
    if args.action == "down":
        state = daemon.read_state()
        if state is None:
            print("the local stack is not running")
            return 0
        os.kill(int(state["pid"]), 15)
        for _ in range(120):
            if daemon.read_state() is None:
                break
            time.sleep(0.5)
        print("local stack stopped")
        return 0
    state = local_up(args.rate_period)
    print_endpoints(state)
    return 0


def local_up(rate_period: float = 60.0) -> dict[str, Any]:
    from movers.local import daemon

    state = daemon.read_state()
    if state is not None:
        return state
    daemon.STATE_DIR.mkdir(exist_ok=True)
    daemon.ERROR_FILE.unlink(missing_ok=True)
    log = (daemon.STATE_DIR / "daemon.log").open("w")
    cmd = [sys.executable, "-m", "movers.local.daemon", "--rate-period", str(rate_period)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=ROOT, start_new_session=True)
    print("starting the local stack (local AWS, market server, terraform apply: about 90 s)...", flush=True)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        state = daemon.read_state()
        if state is not None:
            return state
        if proc.poll() is not None:
            reason = (
                daemon.ERROR_FILE.read_text().strip()
                if daemon.ERROR_FILE.exists()
                else "see .local/daemon.log"
            )
            raise CliError(f"the local stack did not start: {reason}")
        time.sleep(1)
    raise CliError("the local stack did not start within 10 minutes: see .local/daemon.log")


def print_endpoints(state: dict[str, Any]) -> None:
    print(f"local AWS:      {state['aws_endpoint']}")
    print(f"market server:  {state['market_url']}")
    print(f"API:            {state['api_url']}")
    print(f"page:           {state['web_url']}/")


def cmd_demo(args: argparse.Namespace) -> int:
    """Local stack, then the way a user fills and runs it: one backfill of the last sessions (one range
    call per ticker), then the daily run for the last session; prints its trace and the page's URL."""
    from movers.backfill_cli import run_backfill
    from movers.trace import render
    from stock_movers.domain.calendar import last_n_sessions, previous_session

    state = local_up(args.rate_period)
    t = Target(state["outputs"], state["aws_endpoint"], state["web_url"])
    last = dt.date.fromisoformat(args.date)
    span = last_n_sessions(previous_session(last), args.days)
    print(f"\nbackfill {span[0]}..{span[-1]} ({len(span)} sessions, SYNTHETIC data):", flush=True)
    if run_backfill(t, span[0].isoformat(), span[-1].isoformat(), wait=True) != 0:
        raise CliError("the demo backfill failed (see `movers --local status`)")
    name = f"daily-{last.isoformat()}"
    try:
        arn = start_execution(t, "ingest", name, {"date": last.isoformat()})
    except CliError:
        arn = resolve_execution(t, name)  # re-running the demo: the same execution
    print(f"\ndaily run {name}:", flush=True)
    final = wait(t, arn)
    print(render(final, history(t, arn)))
    print()
    print_endpoints(state)
    print(f"\nOpen {state['web_url']}/  (stop everything with `make local-down`)")
    return 0 if final.get("status") == "SUCCEEDED" else 1


def schedule_invoker(t: Target, schedule: dict[str, Any]) -> Any:
    """The Lambda client a firing uses. Locally it stands in for EventBridge Scheduler: the local AWS issues
    the schedule's target role as Scheduler assumes it (trust policy checked), so the role's grant decides,
    as on AWS. Against AWS the operator's own credentials invoke (Scheduler itself fires there)."""
    if not t.endpoint:
        return t.client("lambda")
    import urllib.request

    import boto3

    body = {
        "role_session": {
            "role_arn": schedule["Target"]["RoleArn"],
            "service": "scheduler.amazonaws.com",
            "source_arn": schedule["Arn"],
        }
    }
    # t.endpoint is the local AWS on 127.0.0.1
    req = urllib.request.Request(f"{t.endpoint}/_movers/iam", data=json.dumps(body).encode(), method="POST")  # noqa: S310
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
        creds = json.loads(resp.read())["credentials"]
    return boto3.client(
        "lambda",
        endpoint_url=t.endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=creds["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=creds["AWS_SESSION_TOKEN"],
    )


def cmd_schedule(args: argparse.Namespace) -> int:
    """Show the daily (or --catchup: the analysis catch-up) schedule, or fire it now: invoke its target with
    its input, as Scheduler would."""
    t = target(args)
    which = "analysis_catchup" if args.catchup else "daily"
    name = t.outputs.get(f"{which}_schedule_name")
    if not name:
        raise CliError(f"the stack has no {which.replace('_', ' ')} schedule")
    schedule = t.client("scheduler").get_schedule(Name=name)
    if args.action == "show":
        print(f"{name}: {schedule['ScheduleExpression']} {schedule.get('ScheduleExpressionTimezone', 'UTC')}"
              f"  {schedule['State']}  -> {schedule['Target']['Arn']}")  # fmt: skip
        return 0
    payload = json.loads(schedule["Target"].get("Input") or "{}")
    if args.date:
        payload["date"] = args.date
    out = schedule_invoker(t, schedule).invoke(
        FunctionName=schedule["Target"]["Arn"], Payload=json.dumps(payload).encode()
    )
    body = json.loads(out["Payload"].read() or b"{}")
    if out.get("FunctionError"):
        raise CliError(f"the schedule's target failed: {body.get('errorType')}: {body.get('errorMessage')}")
    if args.catchup:
        print(f"fired {name}: {json.dumps(body, sort_keys=True)}")
        return 0
    print(f"fired {name}: {body.get('status')} {body.get('name')}")
    if args.wait and body.get("executionArn"):
        from movers.trace import render

        desc = wait(t, body["executionArn"])
        print(render(desc, history(t, body["executionArn"])))
        return 0 if desc["status"] == "SUCCEEDED" else 1
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="movers", description="Operate the stock-movers pipeline.")
    p.add_argument("--local", action="store_true", help="use the local stack (or set MOVERS_LOCAL=1)")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the daily run (execution daily-<date>)")
    run.add_argument("--date", help="session date YYYY-MM-DD (default: the latest completed session)")
    run.add_argument("--tickers", nargs="+", help="override the watchlist")
    run.add_argument("--force", action="store_true", help="store again even if the day is stored")
    run.add_argument("--wait", action="store_true", help="wait and print the trace")
    run.add_argument("--name", help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)

    from movers.backfill_cli import add_parser as add_backfill  # imports this module: import late

    add_backfill(sub)

    from movers.analyse_cli import add_parser as add_analyse  # imports this module: import late

    add_analyse(sub)

    from movers.ops_cli import add_parsers as add_ops  # redrive, replay (imports this module: import late)

    add_ops(sub)

    from movers.release_cli import add_parsers as add_release  # rollback, releases (imports this module)

    add_release(sub)

    from movers.smoke import add_parser as add_smoke  # imports this module: import late

    add_smoke(sub)

    from movers.cost import add_parser as add_cost  # imports this module: import late

    add_cost(sub)

    trace = sub.add_parser("trace", help="an execution as a readable trace")
    trace.add_argument("execution", help="execution name (e.g. daily-2026-11-20) or ARN")
    trace.set_defaults(func=cmd_trace)

    lst = sub.add_parser("list", help="stored winners, newest first")
    lst.add_argument("--limit", type=int, default=10)
    lst.set_defaults(func=cmd_list)

    status = sub.add_parser("status", help="latest executions of each state machine")
    status.add_argument("--limit", type=int, default=5)
    status.set_defaults(func=cmd_status)

    schedule = sub.add_parser("schedule", help="show the daily schedule, or fire it now (local stack)")
    schedule.add_argument("action", choices=["show", "fire"])
    schedule.add_argument("--catchup", action="store_true", help="the analysis catch-up schedule instead")
    schedule.add_argument(
        "--date", help="session to run (catch-up: last day to look back from) when firing (default: today)"
    )
    schedule.add_argument("--wait", action="store_true")
    schedule.set_defaults(func=cmd_schedule)

    local = sub.add_parser("local", help="start/stop the local stack")
    local.add_argument("action", choices=["up", "down", "status"])
    local.add_argument(
        "--rate-period", type=float, default=60.0, help="market server: 5 calls per this many s"
    )
    local.set_defaults(func=cmd_local)

    demo = sub.add_parser("demo", help="local stack, a backfill of the last sessions, then the daily run")
    demo.add_argument("--date", default="2026-11-20", help="daily run session (dataset ends there)")
    demo.add_argument("--days", type=int, default=40, help="sessions to backfill first")
    demo.add_argument(
        "--rate-period", type=float, default=60.0, help="market server: 5 calls per N seconds (free tier: 60)"
    )
    demo.set_defaults(func=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (CliError, StackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # credentials missing, endpoint down: one line, no trace
        name = type(exc).__name__
        if name in ("NoCredentialsError", "NoRegionError", "PartialCredentialsError"):
            print(
                "error: AWS credentials missing: configure them (aws configure) or use --local",
                file=sys.stderr,
            )
        elif name in ("EndpointConnectionError", "ConnectionRefusedError"):
            print(f"error: cannot reach AWS endpoint ({exc}); is the local stack running?", file=sys.stderr)
        else:
            print(f"error: {name}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
