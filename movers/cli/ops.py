"""Operations commands: `movers redrive <execution>` and `movers replay --from D --to D` (the restore drill).

replay (movers/cli/replay.py) rebuilds each session in [from, to] whose winner is missing from the raw
provider bodies in S3, as strictly as the daily run: the deployed watchlist (or --tickers), the Pick Winner
step's own `reduce_day`, and the deployed Store Day function for Parquet, per-ticker items and the winner
(last).
Days the daily run would refuse are refused with the same named error; nothing is written for them.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from movers.cli.common import EXAMPLE_EXECUTION, CliError, resolve_execution, target

# ---------------------------------------------------------------------------------------------- redrive


def redrive(sfn: Any, execution_arn: str) -> str:
    """Step Functions RedriveExecution: restarts a failed, timed-out or aborted Standard execution from its
    failed states (successful states are not re-run; within 14 days of the stop). Returns the redrive date."""
    try:
        out = sfn.redrive_execution(executionArn=execution_arn)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "") or str(exc)
        if code == "ExecutionNotRedrivable":
            raise CliError(f"not redrivable: {message}") from None
        if code in ("ExecutionDoesNotExist", "ResourceNotFound"):
            raise CliError(f"unknown execution: {execution_arn}") from None
        if code in ("500", "InternalFailure", "NotImplemented") or "not yet implemented" in message.lower():
            raise CliError(
                "this Step Functions endpoint does not implement RedriveExecution (the local AWS does not);"
                " on AWS it works, or start a new run: see docs/operations.md#redrive"
            ) from None
        raise
    return str(out.get("redriveDate", ""))


def cmd_redrive(args: argparse.Namespace) -> int:
    t = target(args)
    arn = resolve_execution(t, args.execution)
    when = redrive(t.client("stepfunctions"), arn)
    print(f"redriven {arn.rsplit(':', 1)[-1]} at {when}: follow it with `movers trace {args.execution}`")
    return 0


# ---------------------------------------------------------------------------------------------- replay


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_replay(args: argparse.Namespace) -> int:
    """One line per session (rebuilt, skipped, refused with its error, failed), then a tally. Refused days
    are the drill's findings, not its failure: the exit status is 1 only when Store Day failed for a day."""
    from movers.cli.replay import (
        DynamoWinners,
        LambdaStoreDay,
        ReplayError,
        S3Bodies,
        deployed_watchlist,
        replay,
    )
    from stock_movers.domain.errors import InvalidInput
    from stock_movers.domain.inputs import parse_ticker

    t = target(args)
    lam = t.client("lambda")
    functions = t.outputs.get("function_names") or {}
    try:
        tickers = (
            [parse_ticker(x, "--tickers") for x in args.tickers]
            if args.tickers
            else deployed_watchlist(lam, t.client("s3"), str(functions["validate_input"]))
        )
        report = replay(
            S3Bodies(t.client("s3"), t.outputs["bucket_name"]),
            DynamoWinners(t.client("dynamodb"), t.outputs["table_name"]),
            LambdaStoreDay(lam, str(functions["store_day"])),
            start=args.start,
            end=args.end,
            tickers=tickers,
            provider=args.provider,
            force=args.force,
        )
    except (ReplayError, InvalidInput) as exc:
        raise CliError(str(exc)) from None
    print(f"replay {args.start}..{args.end} for {', '.join(tickers)}")
    return print_report(report)


def print_report(report: Any) -> int:
    """One line per session and a tally; returns the exit status (1 only when a day failed to store)."""
    for day in report.days:
        if day.status == "rebuilt":
            print(f"{day.date}  rebuilt (winner {day.ticker})")
        elif day.status == "skipped":
            print(f"{day.date}  skipped: {day.cause}")
        else:
            print(f"{day.date}  {day.status} {day.error}: {day.cause}")
    print(
        f"replayed {len(report.rebuilt)} session(s): {len(report.skipped)} skipped, "
        f"{len(report.refused)} refused, {len(report.failed)} failed"
    )
    return 1 if report.failed else 0


def add_parsers(sub: Any) -> None:
    """Registers `redrive` and `replay` on the `movers` subcommand parser."""
    rd = sub.add_parser("redrive", help="redrive a failed/timed-out/aborted execution from where it failed")
    rd.add_argument("execution", help=f"execution name (e.g. {EXAMPLE_EXECUTION}) or ARN")
    rd.set_defaults(func=cmd_redrive)

    rp = sub.add_parser(
        "replay", help="restore drill: rebuild stored days (items and Parquet) from the raw S3 bodies"
    )
    rp.add_argument("--from", dest="start", type=_date, required=True, help="first session YYYY-MM-DD")
    rp.add_argument("--to", dest="end", type=_date, required=True, help="last session YYYY-MM-DD")
    rp.add_argument(
        "--provider",
        default="massive",
        choices=("massive", "alphavantage", "tiingo"),
        help="raw/provider=<p>/ to read (default massive)",
    )
    rp.add_argument(
        "--tickers", nargs="+", help="the watchlist of each day (default: the deployed watchlist object)"
    )
    rp.add_argument("--force", action="store_true", help="overwrite days whose winner exists")
    rp.set_defaults(func=cmd_replay)
