"""`movers reconcile`: run the next-day reconcile now (the state machine the weekday schedule starts).

Starts the reconcile state machine (its `live` alias) as `reconcile-<through or latest>-<stamp>` with
`{"through", "sessions", "reason"}` (each only when given), waits for its end and prints its report: the
sessions it re-read, the provider calls, the unchanged days, each revised day "winner from -> to", and a
failed execution's error and cause (exit status 1): RevisionRejected names every day refused or not stored.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import uuid
from typing import Any, TextIO

from movers.cli.common import CliError, Target, cli_date, release_arn, target, workflows
from stock_movers.execution_names import reconcile_execution_name


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


def run_reconcile(t: Target, payload: dict[str, Any], out: TextIO, *, timeout: float = 900.0) -> int:
    machine = release_arn(t, "reconcile")
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    name = reconcile_execution_name(payload.get("through"), stamp)
    desc = workflows(t).run(machine, name, payload, timeout=timeout)
    if desc["status"] != "SUCCEEDED":
        error = desc.get("error") or desc["status"]
        print(f"FAIL {error}: {desc.get('cause', '')}", file=out)
        return 1
    body = json.loads(desc.get("output") or "{}")
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
