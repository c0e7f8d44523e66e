"""`movers reconcile`: run the next-day reconcile now (the function the weekday schedule invokes).

Invokes the deployed reconcile function synchronously with `{"through", "sessions", "reason"}` (each only
when given) and prints its report: the sessions it re-read, the provider calls, the unchanged days, each
revised day "winner from -> to", and any rejected revision (exit status 1).
"""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from movers.cli.common import CliError, Target, cli_date, target


def reconcile_payload(through: str | None, sessions: int | None, reason: str | None) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    if through:
        payload["through"] = through
    if sessions is not None:
        if not 1 <= sessions <= 10:
            raise CliError("--sessions must be 1..10")
        payload["sessions"] = sessions
    if reason:
        payload["reason"] = reason
    return payload


def run_reconcile(t: Target, payload: dict[str, Any], out: TextIO) -> int:
    name = t.outputs.get("reconcile_function_name")
    if not name:
        raise CliError("the stack has no reconcile function (reconcile_function_name output)")
    reply = t.client("lambda").invoke(FunctionName=str(name), Payload=json.dumps(payload))
    body = json.loads(reply["Payload"].read() or b"null")
    if reply.get("FunctionError"):
        error = body.get("errorType", "Error") if isinstance(body, dict) else "Error"
        message = body.get("errorMessage", "") if isinstance(body, dict) else ""
        print(f"FAIL {error}: {message}", file=out)
        return 1
    print(
        f"sessions {', '.join(body['sessions']) or '(none stored)'}; provider calls {body['providerCalls']}",
        file=out,
    )
    for day in body["unchanged"]:
        print(f"unchanged {day}", file=out)
    for r in body["revised"]:
        print(
            f"revised {r['date']}: winner {r['winnerFrom']} -> {r['winnerTo']} ({r['changes']} changes)",
            file=out,
        )
    return 0


def cmd_reconcile(args: argparse.Namespace) -> int:
    import sys

    payload = reconcile_payload(cli_date(args.through, "--through"), args.sessions, args.reason)
    return run_reconcile(target(args), payload, sys.stdout)


def add_parser(sub: Any) -> None:
    """Adds `reconcile` to the `movers` CLI."""
    p = sub.add_parser("reconcile", help="re-read the newest stored sessions and store provider revisions")
    p.add_argument("--through", help="newest session to consider (default: the latest completed session)")
    p.add_argument(
        "--sessions", type=int, help="how many stored sessions to re-read (default: the deployed 3)"
    )
    p.add_argument("--reason", help="the reason written in the audit records")
    p.set_defaults(func=cmd_reconcile)
