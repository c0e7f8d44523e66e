"""The local stack as a background process: local AWS, market server, Terraform stack, local API gateway.

`movers local up` (and `make demo`) start `python -m movers.local.daemon` detached; it writes
`.local/stack.json` once everything answers (endpoints, Terraform outputs, its pid) and tears everything
down on SIGTERM/SIGINT (`movers local down`). Failures are written to `.local/stack.error` as one line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from movers.local.stack import ROOT, LocalStack, StackError

STATE_DIR = ROOT / ".local"
# MOVERS_STATE_FILE lets the tests point the CLI at the stack they started.
STATE_FILE = Path(os.environ.get("MOVERS_STATE_FILE", STATE_DIR / "stack.json"))
ERROR_FILE = STATE_DIR / "stack.error"
DEMO_NOTE = "SYNTHETIC data from the local market server: not real prices."


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def read_state() -> dict[str, Any] | None:
    """The running stack's state, or None when none is running (a stale file is ignored)."""
    path = Path(os.environ.get("MOVERS_STATE_FILE", STATE_FILE))
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(int(state["pid"]), 0)
    except (OSError, KeyError, ValueError):
        return None
    return state


def serve(args: argparse.Namespace) -> int:
    from movers.local.apigw import LocalApiGateway, execution_arn_from_url
    from movers.market.server import MarketServer

    STATE_DIR.mkdir(exist_ok=True)
    ERROR_FILE.unlink(missing_ok=True)
    for name, port in (
        ("local AWS", args.aws_port),
        ("market server", args.market_port),
        ("web", args.web_port),
    ):
        if not port_free(port):
            raise StackError(
                f"port {port} on 127.0.0.1 ({name}) is already in use: stop what holds it or set another port"
            )
    market = MarketServer(
        api_key="local-demo-key", rate_limit=(args.rate_calls, args.rate_period), port=args.market_port
    )
    market.start()
    stack = LocalStack(
        work_dir=STATE_DIR / "stack",
        aws_port=args.aws_port,
        market=market,
        market_rate_limit=(args.rate_calls, args.rate_period),
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    gateway = None
    try:
        outputs = stack.start()
        assert stack.aws is not None
        gateway = LocalApiGateway(
            outputs.get("api_function_alias_arn") or outputs["api_function_name"],
            stack.aws.endpoint,
            port=args.web_port,
            data_note=DEMO_NOTE,
            # invoke as API Gateway, so the function's Lambda permission (api.tf) is what allows it
            execution_arn=execution_arn_from_url(outputs.get("api_url", "")),
        )
        url = gateway.start()
        state = {
            "pid": os.getpid(),
            "aws_endpoint": stack.aws.endpoint,
            "market_url": market.url,
            "web_url": url,
            "api_url": f"{url}/v1",
            "outputs": outputs,
            "timings": stack.timings,
        }
        STATE_FILE.write_text(json.dumps(state, indent=2))
        stopped.wait()
    finally:
        STATE_FILE.unlink(missing_ok=True)
        if gateway is not None:
            gateway.stop()
        stack.stop()
        market.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m movers.local.daemon", description=__doc__)
    parser.add_argument("--aws-port", type=int, default=int(os.environ.get("MOVERS_AWS_PORT", "4566")))
    parser.add_argument("--market-port", type=int, default=int(os.environ.get("MOVERS_MARKET_PORT", "8181")))
    parser.add_argument("--web-port", type=int, default=int(os.environ.get("MOVERS_WEB_PORT", "8080")))
    parser.add_argument("--rate-calls", type=int, default=5)
    parser.add_argument("--rate-period", type=float, default=60.0)
    args = parser.parse_args(argv)
    try:
        return serve(args)
    except Exception as exc:  # one line for the CLI that started us; details in the logs
        STATE_DIR.mkdir(exist_ok=True)
        ERROR_FILE.write_text(f"{exc}".strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
