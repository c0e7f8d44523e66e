"""`movers push`: publish one daily bar on the stack's market-data bus (docs/push-feed.md).

Puts one `Daily Bar` event on the bus Terraform named (`market_data_bus_name`) with the values exactly as
given (decimal strings; the processor, not this command, validates them: a bad bar is refused there with its
audit record and dead-letter message, as any publisher's would be), then waits up to `--wait` seconds for
the event's audit record and prints its outcome: `accepted`, `superseded` or `rejected <Error>: <message>`
(exit status 1 when rejected, 2 when no record appeared in time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any, TextIO

from movers.cli.common import CliError, Target, cli_date, items, target

SOURCE = "movers.cli"


def bus_name(t: Target) -> str:
    """The market-data bus of the target stack (CliError on a stack deployed before it existed)."""
    name = t.outputs.get("market_data_bus_name")
    if not name:
        raise CliError("the stack has no market-data bus (deploy this version first)")
    return str(name)


def bar_detail(args: argparse.Namespace) -> dict[str, Any]:
    """The event's detail from the command's arguments (checked by the processor, not here)."""
    day = cli_date(args.date, "--date")
    return {
        "ticker": args.ticker,
        "date": day,
        "open": args.open,
        "high": args.high,
        "low": args.low,
        "close": args.close,
        "volume": args.volume,
        "adjusted": not args.unadjusted,
        "provider": args.provider,
    }


def publish(t: Target, detail: dict[str, Any], source: str = SOURCE) -> str:
    """Put the event on the market-data bus; its event id (CliError when EventBridge refuses the entry)."""
    bus = bus_name(t)
    entry = {"EventBusName": bus, "Source": source, "DetailType": "Daily Bar", "Detail": json.dumps(detail)}
    answer = t.client("events").put_events(Entries=[entry])
    (result,) = answer["Entries"]
    if answer.get("FailedEntryCount") or "EventId" not in result:
        raise CliError(
            f"EventBridge refused the event: {result.get('ErrorCode')}: {result.get('ErrorMessage')}"
        )
    return str(result["EventId"])


def find_audit(t: Target, event_id: str, now: dt.datetime) -> dict[str, Any] | None:
    """The event's audit record (in the New York day it arrived: today's partition, or yesterday's)."""
    from stock_movers.domain.calendar import NEW_YORK

    today = now.astimezone(NEW_YORK).date()
    for day in (today, today - dt.timedelta(days=1)):
        for item in items(t).audit_records(day):
            if item.get("EventId", {}).get("S") == event_id:
                return dict(item)
    return None


def run_push(
    t: Target,
    detail: dict[str, Any],
    out: TextIO,
    *,
    wait: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    event_id = publish(t, detail)
    print(f"published {event_id} on {bus_name(t)}", file=out)
    deadline = time.monotonic() + wait
    while True:
        record = find_audit(t, event_id, dt.datetime.now(dt.UTC))
        if record is not None:
            outcome = record["Outcome"]["S"]
            if outcome == "Rejected":
                print(f"rejected {record['Error']['S']}: {record['Message']['S']}", file=out)
                return 1
            print(outcome.lower(), file=out)
            return 0
        if time.monotonic() >= deadline:
            print(f"no audit record for {event_id} within {wait:g} s", file=out)
            return 2
        sleep(0.5)


def cmd_push(args: argparse.Namespace) -> int:
    import sys

    return run_push(target(args), bar_detail(args), sys.stdout, wait=args.wait)


def add_parser(sub: Any) -> None:
    """Adds `push` to the `movers` CLI."""
    p = sub.add_parser("push", help="publish one daily bar on the market-data bus (bring your own feed)")
    p.add_argument("--ticker", required=True)
    p.add_argument("--date", required=True, help="the session, YYYY-MM-DD")
    for name in ("open", "high", "low", "close", "volume"):
        p.add_argument(f"--{name}", required=True, help="a decimal string, e.g. 189.30")
    p.add_argument("--unadjusted", action="store_true", help="prices as traded (default: split-adjusted)")
    p.add_argument("--provider", default="movers-cli", help="where the data came from (default movers-cli)")
    p.add_argument(
        "--wait", type=float, default=30.0, help="seconds to wait for the audit record (default 30)"
    )
    p.set_defaults(func=cmd_push)
