"""The daily run's commands: `movers run`, `trace`, `list`, `status` and `schedule show|fire`."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from movers.cli.common import (
    EXAMPLE_EXECUTION,
    CliError,
    Target,
    cli_date,
    cli_tickers,
    default_session,
    history,
    items,
    machine_arn,
    map_runs,
    resolve_execution,
    signed,
    start_execution,
    stored_winner,
    target,
    wait,
    winner_line,
    workflows,
)
from stock_movers.domain.inputs import MARKET_SCOPE, SCOPES, WATCHLIST_SCOPE


def cmd_run(args: argparse.Namespace) -> int:
    from movers.cli.trace import render
    from stock_movers.execution_names import daily_execution_name
    from stock_movers.usecases.daily import DailyStart, DailyStartError, start_daily_run

    day = cli_date(args.date, "--date")
    tickers = cli_tickers(args.tickers)
    market = args.scope == MARKET_SCOPE
    if market and tickers:
        raise CliError(f"--tickers: not allowed with --scope {MARKET_SCOPE} (it covers the whole market)")
    t = target(args)
    day = day or default_session(t)
    payload: dict[str, Any] = {"date": day}
    if market:
        payload["scope"] = MARKET_SCOPE
    if tickers:
        payload["tickers"] = tickers
    if args.force:
        payload["force"] = True
    if not args.force and not args.name:
        stored = stored_winner(t, day, args.scope)
        if stored is not None:
            print(f"AlreadyStored {winner_line(stored)} (store it again with --force)")
            return 0
    if args.force or args.name:
        name = args.name or daily_execution_name(day, forced_at=dt.datetime.now(dt.UTC), scope=args.scope)
        started = DailyStart("Started", name, start_execution(t, "ingest", name, payload))
    else:
        try:
            started = start_daily_run(t.client("stepfunctions"), machine_arn(t, "ingest"), day, payload)
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
    events = history(t, arn)
    print(render(desc, events, map_runs=map_runs(t, events)))
    if desc["status"] == "SUCCEEDED":
        summary = json.loads(desc.get("output") or "{}")
        stored = stored_winner(t, day, args.scope)
        print(f"{summary.get('status', 'SUCCEEDED')}" + (f" {winner_line(stored)}" if stored else f" {day}"))
        return 0
    again = f"movers run --date {day}" + (f" --scope {MARKET_SCOPE}" if market else "")
    print(f"{started.name} {desc['status']}: start another attempt with `{again}`")
    return 1


def cmd_trace(args: argparse.Namespace) -> int:
    from movers.cli.trace import render

    t = target(args)
    arn = resolve_execution(t, args.execution)
    desc = workflows(t).describe(arn)
    events = history(t, arn)
    print(render(desc, events, verbose=args.verbose, map_runs=map_runs(t, events)))
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
    """Show the daily (or --market: the whole-market run's, --catchup: the analysis catch-up) schedule, or
    fire it now: invoke its target with its input, as Scheduler would."""
    day = cli_date(args.date, "--date")
    if args.catchup and args.market:
        raise CliError("--catchup and --market name different schedules: give one")
    t = target(args)
    which = "analysis_catchup" if args.catchup else "market" if args.market else "daily"
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
        from movers.cli.trace import render

        arn = body.get("executionArn") or resolve_execution(t, str(body.get("name")))
        desc = wait(t, arn, live=True)
        print(render(desc, history(t, arn)))
        return 0 if desc["status"] == "SUCCEEDED" else 1
    return 0


def _positive(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 1000:
        raise argparse.ArgumentTypeError(f"must be a whole number within 1..1000, got {text!r}")
    return int(text)


def add_run_parser(sub: Any) -> None:
    """`movers run`."""
    run = sub.add_parser(
        "run", help="start the daily run (execution daily-<date>; whole market: daily-market-<date>)"
    )
    run.add_argument("--date", help="session date YYYY-MM-DD (default: the latest session the provider has)")
    run.add_argument(
        "--scope",
        choices=SCOPES,
        default=WATCHLIST_SCOPE,
        help="the watchlist (default) or the whole market of the provider's session snapshot (massive only)",
    )
    run.add_argument("--tickers", nargs="+", help=f"override the watchlist (not with --scope {MARKET_SCOPE})")
    run.add_argument("--force", action="store_true", help="store again even if the day is stored")
    run.add_argument("--wait", action="store_true", help="wait and print the trace")
    run.add_argument("--name", help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)


def add_parsers(sub: Any) -> None:
    """`movers trace`, `list`, `status` and `schedule`."""
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
        "--market",
        action="store_true",
        help="the whole-market run's schedule instead (market_schedule_enabled)",
    )
    schedule.add_argument(
        "--date", help="session to run (catch-up: last day to look back from) when firing (default: today)"
    )
    schedule.add_argument("--wait", action="store_true")
    schedule.set_defaults(func=cmd_schedule)
