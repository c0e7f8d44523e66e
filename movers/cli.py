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
from pathlib import Path
from typing import Any, NoReturn

from movers.local.stack import ROOT, TF_DIR, StackError, terraform_env
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
    return Target(
        state["outputs"], state["aws_endpoint"], state["web_url"], state.get("market_latest_session")
    )


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
    """Wait for the execution to end; `live` shows its progress on stdout meanwhile (movers.progress)."""
    from stock_movers.adapters.workflows import StillRunning

    flows = workflows(t)
    if live:
        from movers.progress import follow

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


def stored_winner(t: Target, day: str) -> dict[str, Any] | None:
    """The winner item stored for `day`, or None."""
    item: dict[str, Any] | None = items(t).winner(day)
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


def cmd_run(args: argparse.Namespace) -> int:
    from movers.trace import render
    from stock_movers.usecases.daily import DailyStart, DailyStartError, start_daily_run

    day = cli_date(args.date, "--date")
    tickers = cli_tickers(args.tickers)
    t = target(args)
    day = day or default_session(t)
    payload: dict[str, Any] = {"date": day}
    if tickers:
        payload["tickers"] = tickers
    if args.force:
        payload["force"] = True
    if not args.force and not args.name:
        stored = stored_winner(t, day)
        if stored is not None:
            print(f"AlreadyStored {winner_line(stored)} (store it again with --force)")
            return 0
    if args.force or args.name:
        name = args.name or daily_execution_name(day, forced_at=dt.datetime.now(dt.UTC))
        started = DailyStart("Started", name, start_execution(t, "ingest", name, payload))
    else:
        try:
            started = start_daily_run(t.client("stepfunctions"), _machine_arn(t, "ingest"), day, payload)
        except DailyStartError as exc:
            raise CliError(str(exc)) from None
    for name, status in started.failed:
        print(f"earlier attempt {name} {status}")
    arn = started.execution_arn
    print({"Started": "started", "AlreadyRunning": "already running:", "AlreadySucceeded": "already ran:"}[
        started.status
    ] + f" {started.name}")  # fmt: skip
    if not args.wait:
        print(arn)
        return 0
    desc = wait(t, arn, live=True)
    print(render(desc, history(t, arn)))
    if desc["status"] == "SUCCEEDED":
        summary = json.loads(desc.get("output") or "{}")
        stored = stored_winner(t, day)
        print(f"{summary.get('status', 'SUCCEEDED')}" + (f" {winner_line(stored)}" if stored else f" {day}"))
        return 0
    print(f"{started.name} {desc['status']}: start another attempt with `movers run --date {day}`")
    return 1


def cmd_trace(args: argparse.Namespace) -> int:
    from movers.trace import render

    t = target(args)
    arn = resolve_execution(t, args.execution)
    desc = workflows(t).describe(arn)
    print(render(desc, history(t, arn), verbose=args.verbose))
    return 0 if desc["status"] in ("SUCCEEDED", "RUNNING") else 1


def cmd_list(args: argparse.Namespace) -> int:
    t = target(args)
    stored = items(t).newest_winners(args.limit)
    if not stored:
        print("no movers stored yet")
        return 0
    print(f"{'Date':<12}{'Ticker':<8}{'Change %':>12}{'Close':>12}")
    for i in stored:  # as stored: the percent change has 6 decimals, the close the provider's
        print(f"{i['Date']['S']:<12}{i['Ticker']['S']:<8}{signed(i['PercentChange']['N']):>12}"
              f"{i['ClosingPrice']['N']:>12}")  # fmt: skip
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
    state = local_up(args)
    print_endpoints(state)
    return 0


def daemon_args(args: argparse.Namespace) -> list[str]:
    """The daemon's flags from `movers local up` / `movers demo` (ports, market server, rate limit)."""
    out = ["--rate-period", str(args.rate_period)]
    for flag in ("aws_port", "market_port", "web_port", "market_url", "universe", "universe_seed"):
        value = getattr(args, flag, None)
        if value is not None:
            out += [f"--{flag.replace('_', '-')}", str(value)]
    if getattr(args, "api_key_file", None):
        out += ["--api-key-file", str(Path(args.api_key_file).resolve())]  # a path, never the key
    return out


def check_universe(args: argparse.Namespace) -> None:
    """`--universe` and `--universe-seed` go to the bundled market server, which holds its 10 tickers too."""
    from movers.market.dataset import TICKERS

    universe, seed = getattr(args, "universe", None), getattr(args, "universe_seed", None)
    if universe is None:
        if seed is not None:
            raise CliError("--universe-seed needs --universe N")
        return
    if getattr(args, "market_url", None):
        raise CliError("--universe is served by the bundled market server: leave out --market-url")
    if universe < len(TICKERS):
        raise CliError(f"--universe {universe}: the universe holds the {len(TICKERS)} bundled tickers too")


def local_up(args: argparse.Namespace) -> dict[str, Any]:
    """Start the daemon (unless a stack runs), printing its progress lines as they come."""
    from movers.local import daemon

    if bool(getattr(args, "market_url", None)) != bool(getattr(args, "api_key_file", None)):
        raise CliError("--market-url and --api-key-file go together")
    check_universe(args)
    if getattr(args, "api_key_file", None):
        daemon.read_key_file(args.api_key_file)  # a missing or empty key file fails now, not in 2 minutes
        daemon.check_market_url(args.market_url)
    state = daemon.read_state()
    if state is not None:
        if getattr(args, "market_url", None) and state.get("market_url") != args.market_url.rstrip("/"):
            raise CliError(
                f"a local stack already runs against {state.get('market_url')}: stop it with"
                " `movers local down` first"
            )
        return state
    state_dir = daemon.state_file().parent
    state_dir.mkdir(parents=True, exist_ok=True)
    daemon.error_file().unlink(missing_ok=True)
    daemon.progress_file().unlink(missing_ok=True)
    log = (state_dir / "daemon.log").open("w")
    cmd = [sys.executable, "-m", "movers.local.daemon", *daemon_args(args)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=log, cwd=ROOT, start_new_session=True)
    print("starting the local stack (local AWS, market server, terraform apply: 2-3 minutes)", flush=True)
    started = time.monotonic()
    shown = 0
    deadline = started + 600
    while time.monotonic() < deadline:
        shown = _print_progress(daemon.progress_file(), shown, started)
        state = daemon.read_state()
        if state is not None:
            _print_progress(daemon.progress_file(), shown, started)
            print(f"  [{time.monotonic() - started:5.0f} s] local stack up", flush=True)
            return state
        if proc.poll() is not None:
            _print_progress(daemon.progress_file(), shown, started)
            err = daemon.error_file()
            reason = err.read_text().strip() if err.exists() else f"see {state_dir / 'daemon.log'}"
            raise CliError(f"the local stack did not start: {reason}")
        time.sleep(0.5)
    raise CliError(f"the local stack did not start within 10 minutes: see {state_dir / 'daemon.log'}")


def _print_progress(path: Path, shown: int, started: float) -> int:
    """Print the progress lines after the first `shown`; returns how many are shown now."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return shown
    for line in lines[shown:]:
        print(f"  [{time.monotonic() - started:5.0f} s] {line}", flush=True)
    return max(shown, len(lines))


def print_endpoints(state: dict[str, Any]) -> None:
    print(f"local AWS:      {state['aws_endpoint']}")
    print(f"market server:  {state['market_url']}")
    print(f"API:            {state['api_url']}")
    print(f"page:           {state['web_url']}/")


def cmd_demo(args: argparse.Namespace) -> int:
    """Local stack, then the way a user fills and runs it: one backfill of the last sessions (one range
    call per ticker), then the daily run for the last session; prints its trace and the page's URL."""
    day = cli_date(args.date, "--date")
    if not 1 <= args.days <= 1250:
        raise CliError(f"--days must be within 1..1250, got {args.days}")
    state = local_up(args)
    t = Target(state["outputs"], state["aws_endpoint"], state["web_url"], state.get("market_latest_session"))
    note = "" if args.market_url else ", SYNTHETIC data"
    final = demo_runs(t, dt.date.fromisoformat(day or default_session(t)), args.days, note)
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


def demo_runs(t: Target, last: dt.date, days: int, note: str = "") -> dict[str, Any]:
    """The demo's runs: a backfill of the `days` sessions before `last`, then the daily run of `last`
    (printing progress and its trace); returns the daily run's DescribeExecution."""
    from movers.backfill_cli import run_backfill
    from movers.trace import render
    from stock_movers.domain.calendar import last_n_sessions, previous_session
    from stock_movers.usecases.daily import DailyStartError, start_daily_run

    span = last_n_sessions(previous_session(last), days)
    print(f"\nbackfill {span[0]}..{span[-1]} ({len(span)} sessions{note}):", flush=True)
    if run_backfill(t, span[0].isoformat(), span[-1].isoformat(), wait=True) != 0:
        raise CliError("the demo backfill failed (see `movers --local status`)")
    try:
        started = start_daily_run(
            t.client("stepfunctions"), _machine_arn(t, "ingest"), last, {"date": last.isoformat()}
        )
    except DailyStartError as exc:
        raise CliError(str(exc)) from None
    print(f"\ndaily run {started.name}:", flush=True)
    final = wait(t, started.execution_arn, live=True)
    print(render(final, history(t, started.execution_arn)))
    return final


def cmd_schedule(args: argparse.Namespace) -> int:
    """Show the daily (or --catchup: the analysis catch-up) schedule, or fire it now: invoke its target with
    its input, as Scheduler would."""
    day = cli_date(args.date, "--date")
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
    if day:
        payload["date"] = day
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
    if args.wait:
        from movers.trace import render

        arn = body.get("executionArn") or resolve_execution(t, str(body.get("name")))
        desc = wait(t, arn, live=True)
        print(render(desc, history(t, arn)))
        return 0 if desc["status"] == "SUCCEEDED" else 1
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors (`error: movers run: ...`, exit 2), like every other refusal."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {self.prog}: {message}\n")


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"must be a whole number within 1..1000, got {text!r}")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(
            f"must be a port number within 0..65535 (0: any free one), got {text!r}"
        )
    return int(text)


def _rate_period(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.1 <= value <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be seconds within 0.1..3600, got {text!r}")
    return value


def _universe_size(text: str) -> int:
    from movers.market.universe import MAX_UNIVERSE

    if not text.isdigit() or not 1 <= int(text) <= MAX_UNIVERSE:
        raise argparse.ArgumentTypeError(
            f"must be a number of tickers within 1..{MAX_UNIVERSE}, got {text!r}"
        )
    return int(text)


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, got {text!r}")
    return int(text)


def add_stack_options(p: argparse.ArgumentParser) -> None:
    """`movers local up` and `movers demo`: ports, the market server, its rate limit."""
    p.add_argument("--rate-period", type=_rate_period, default=60.0,
                   help="bundled market server: 5 calls per this many s (free tier: 60)")  # fmt: skip
    for kind, default in (("aws", 4566), ("market", 8181), ("web", 8080)):
        p.add_argument(
            f"--{kind}-port", type=_port, default=None,
            help=f"port of the {kind} server (else MOVERS_{kind.upper()}_PORT, else {default}; a taken"
            " default is replaced by a free port)",
        )  # fmt: skip
    p.add_argument(
        "--market-url", help="run against this Massive-compatible server instead of the bundled one"
    )
    p.add_argument("--api-key-file", help="file holding that server's API key (put into the secret only)")
    p.add_argument(
        "--universe", type=_universe_size, metavar="N",
        help="bundled market server: serve a generated SYNTHETIC market of N tickers (the bundled ones, bars"
        " unchanged, plus generated symbols), made on the fly from --universe-seed",
    )  # fmt: skip
    p.add_argument(
        "--universe-seed", type=_seed, default=None, metavar="S", help="seed of --universe (default 1)"
    )


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="movers", description="Operate the stock-movers pipeline.")
    p.add_argument("--local", action="store_true", help="use the local stack (or set MOVERS_LOCAL=1)")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the daily run (execution daily-<date>)")
    run.add_argument("--date", help="session date YYYY-MM-DD (default: the latest session the provider has)")
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
    trace.add_argument("execution", help=f"execution name (e.g. {EXAMPLE_EXECUTION}) or ARN")
    trace.add_argument("--verbose", action="store_true", help="each error's whole cause")
    trace.set_defaults(func=cmd_trace)

    lst = sub.add_parser("list", help="stored winners, newest first")
    lst.add_argument("--limit", type=_positive, default=10)
    lst.set_defaults(func=cmd_list)

    status = sub.add_parser("status", help="latest executions of each state machine")
    status.add_argument("--limit", type=_positive, default=5)
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
    add_stack_options(local)
    local.set_defaults(func=cmd_local)

    demo = sub.add_parser("demo", help="local stack, a backfill of the last sessions, then the daily run")
    demo.add_argument("--date", help="daily run session (default: the last session the market server has)")
    demo.add_argument("--days", type=int, default=40, help="sessions to backfill first")
    add_stack_options(demo)
    demo.set_defaults(func=cmd_demo)

    # global flags are accepted after the command too (`movers list --local`)
    for command in sub.choices.values():
        command.add_argument(
            "--local", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS
        )
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
