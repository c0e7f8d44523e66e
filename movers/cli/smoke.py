"""`movers smoke` (`make smoke ENV=<env>`): is a deployment alive, end to end?

Contract (DESIGN.md §5): one `ok <check>` or `FAIL <check>: <reason>` line per check on stdout, exit status
non-zero on any FAIL. The checks, in order:

- `run`: starts the ingest (through its `live` alias, like the schedule) for a past trading day under a
  `smoke-` name and waits for it to succeed;
- `api-movers`: `GET /movers` answers 200 with the contract's items, and `GET /movers/<day>` has the day;
- `api-health`: `GET /health` answers 200 JSON;
- `page`: the page URL answers 200 HTML (skipped, with a note, when the stack hosts no page);
- `alarms`: no alarm of the stack is in ALARM.

The same code runs against AWS (Terraform outputs: `api_url`, `frontend_url`) and the local stack
(`--local`: the running stack's state file, whose local API gateway serves the API and the page); only the
target changes. Notes go to stderr so stdout stays the contract.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from movers.cli.common import CliError, Target, aws_target, local_target, start_execution, wait
from stock_movers.execution_names import smoke_execution_name

MOVER_KEYS = {"Date", "Ticker", "PercentChange", "ClosingPrice"}
RETRY_PAUSE_SECONDS = 2.0


@dataclass
class SmokeTarget:
    """A deployment to smoke-test: its AWS target plus the API base URL and the page URL."""

    target: Target
    api_url: str
    page_url: str


class CheckFailed(Exception):
    """A check's one-line reason."""


def http_get(url: str, timeout: float = 30.0) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET; HTTP error statuses are answers, not exceptions."""
    request = urllib.request.Request(url, headers={"Accept": "application/json, text/html"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 - our own API and page
            return resp.status, resp.headers.get("Content-Type", ""), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Content-Type", ""), exc.read()
    except (urllib.error.URLError, OSError) as exc:
        raise CheckFailed(f"GET {url}: {getattr(exc, 'reason', exc)}") from None


def _get(url: str, get: Callable[[str], tuple[int, str, bytes]]) -> tuple[int, str, bytes]:
    """A GET, asked once more after a 502/503/504 (a cold start past the function's timeout, a gateway
    hiccup); a deployment that fails twice in a row fails the check. The retry is noted on stderr."""
    status, ctype, body = get(url)
    if status in (502, 503, 504):
        print(f"note: GET {url} answered {status}; asking once more", file=sys.stderr)
        time.sleep(RETRY_PAUSE_SECONDS)
        status, ctype, body = get(url)
    return status, ctype, body


def _json(url: str, get: Callable[[str], tuple[int, str, bytes]]) -> Any:
    status, _, body = _get(url, get)
    if status != 200:
        raise CheckFailed(f"GET {url} answered {status}: {body[:200].decode('utf-8', 'replace')}")
    try:
        return json.loads(body)
    except ValueError:
        raise CheckFailed(f"GET {url} answered 200 with a body that is not JSON") from None


def check_run(st: SmokeTarget, day: dt.date, name: str, force: bool, timeout: float) -> str:
    payload: dict[str, Any] = {"date": day.isoformat()}
    if force:
        payload["force"] = True
    try:
        arn = start_execution(st.target, "ingest", name, payload)
        desc = wait(st.target, arn, timeout=timeout)
    except CliError as exc:
        raise CheckFailed(str(exc)) from None
    if desc["status"] != "SUCCEEDED":
        raise CheckFailed(
            f"{name} {desc['status']}: {desc.get('error', '')} {desc.get('cause', '')[:200]}".strip()
        )
    output = json.loads(desc.get("output") or "{}")
    status = output.get("status", "") if isinstance(output, dict) else ""
    return f"{name} SUCCEEDED {status}".strip()


def check_movers(st: SmokeTarget, day: dt.date, get: Callable[[str], tuple[int, str, bytes]]) -> str:
    base = st.api_url.rstrip("/")
    movers = _json(f"{base}/movers", get)
    if not isinstance(movers, list):
        raise CheckFailed("GET /movers did not answer a JSON array")
    for item in movers:
        if not isinstance(item, dict) or set(item) != MOVER_KEYS:
            raise CheckFailed(f"GET /movers item is not {sorted(MOVER_KEYS)}: {item!r}"[:300])
    one = _json(f"{base}/movers/{day.isoformat()}", get)
    if not isinstance(one, dict) or one.get("Date") != day.isoformat():
        raise CheckFailed(f"GET /movers/{day.isoformat()} does not hold that day: {one!r}"[:300])
    return f"{len(movers)} movers; {day.isoformat()}: {one.get('Ticker')} {one.get('PercentChange')}"


def check_health(st: SmokeTarget, get: Callable[[str], tuple[int, str, bytes]]) -> str:
    health = _json(f"{st.api_url.rstrip('/')}/health", get)
    if not isinstance(health, dict):
        raise CheckFailed("GET /health did not answer a JSON object")
    return json.dumps(health, sort_keys=True)[:200]


def check_page(st: SmokeTarget, get: Callable[[str], tuple[int, str, bytes]]) -> str:
    status, ctype, body = _get(st.page_url, get)
    if status != 200:
        raise CheckFailed(f"GET {st.page_url} answered {status}")
    if "html" not in ctype.lower() and b"<html" not in body[:2000].lower():
        raise CheckFailed(f"GET {st.page_url} answered {ctype or 'no content type'}, not HTML")
    return f"{len(body)} bytes"


def check_alarms(st: SmokeTarget) -> str:
    prefix = str(st.target.outputs.get("name_prefix") or "")
    if not prefix:
        raise CheckFailed("the stack has no name_prefix output")
    cw = st.target.client("cloudwatch")
    firing: list[str] = []
    total = 0
    kwargs: dict[str, Any] = {"AlarmNamePrefix": f"{prefix}-"}
    while True:
        page = cw.describe_alarms(**kwargs)
        alarms = page.get("MetricAlarms", []) + page.get("CompositeAlarms", [])
        total += len(alarms)
        firing += [a["AlarmName"] for a in alarms if a.get("StateValue") == "ALARM"]
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
    if firing:
        raise CheckFailed(f"in ALARM: {', '.join(sorted(firing))}")
    if total == 0:
        raise CheckFailed(f"no alarms named {prefix}-* (is this the right account and region?)")
    return f"{total} alarms, none in ALARM"


def smoke(
    st: SmokeTarget,
    day: dt.date,
    *,
    out: TextIO = sys.stdout,
    notes: TextIO = sys.stderr,
    force: bool = False,
    timeout: float = 900.0,
    get: Callable[[str], tuple[int, str, bytes]] = http_get,
    now: dt.datetime | None = None,
) -> int:
    """Runs every check, prints the contract lines; returns 0 when all passed, 1 otherwise."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S")
    name = smoke_execution_name(day, stamp)
    checks: list[tuple[str, Callable[[], str]]] = [
        ("run", lambda: check_run(st, day, name, force, timeout)),
        ("api-movers", lambda: check_movers(st, day, get)),
        ("api-health", lambda: check_health(st, get)),
    ]
    if st.page_url:
        checks.append(("page", lambda: check_page(st, get)))
    else:
        print("note: the stack hosts no page (frontend_hosting = none): page not checked", file=notes)
    checks.append(("alarms", lambda: check_alarms(st)))
    failed = 0
    for check, run in checks:
        try:
            detail = run()
        except CheckFailed as exc:
            failed += 1
            print(f"FAIL {check}: {exc}", file=out, flush=True)
            continue
        except Exception as exc:  # credentials, endpoints: still one line for this check
            failed += 1
            print(f"FAIL {check}: {type(exc).__name__}: {exc}"[:400], file=out, flush=True)
            continue
        print(f"ok {check}", file=out, flush=True)
        print(f"  {check}: {detail}", file=notes)
    return 1 if failed else 0


def default_day(local: bool, now: dt.datetime) -> dt.date:
    """A past trading day: the session before the latest completed one (local: the bundled dataset's last)."""
    from stock_movers.domain.calendar import latest_completed_session, previous_session

    if local:
        from movers.market.dataset import END_DATE

        return END_DATE
    return previous_session(latest_completed_session(now))


def smoke_target(args: argparse.Namespace) -> SmokeTarget:
    local = args.local
    if local:
        from movers.local.daemon import read_state

        t = local_target()
        state = read_state() or {}
        return SmokeTarget(t, str(state.get("api_url") or ""), str(state.get("web_url") or ""))
    t = aws_target()
    return SmokeTarget(t, str(t.outputs.get("api_url") or ""), str(t.outputs.get("frontend_url") or ""))


def cmd_smoke(args: argparse.Namespace) -> int:
    import os

    from stock_movers.domain.inputs import parse_date

    args.local = args.local or os.environ.get("MOVERS_LOCAL", "") not in ("", "0", "false")
    st = smoke_target(args)
    if not st.api_url:
        raise CliError("the stack has no API URL (api_url output / local API gateway)")
    now = dt.datetime.now(dt.UTC)
    day = parse_date(args.date, "date") if args.date else default_day(args.local, now)
    return smoke(st, day, force=args.force, timeout=args.timeout, now=now)


def add_parser(sub: Any) -> None:
    """Adds `smoke` to the `movers` CLI."""
    p = sub.add_parser("smoke", help="smoke-test the deployment: a run, the API, the page, the alarms")
    p.add_argument(
        "--date", help="past trading day to run (default: the session before the latest completed)"
    )
    p.add_argument("--force", action="store_true", help="store the day again even if it is stored")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the run")
    p.set_defaults(func=cmd_smoke)
