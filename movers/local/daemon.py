"""The local stack as a background process: local AWS, market server, Terraform stack, local API gateway.

`movers local up` (and `make demo`) start `python -m movers.local.daemon` detached; it writes
`.local/stack.json` once everything answers (endpoints, Terraform outputs, its pid) and tears everything
down on SIGTERM/SIGINT (`movers local down`). Failures are written to `.local/stack.error` as one line;
progress lines (ports, terraform apply's live resource count, ...) to `.local/stack.progress`, which the
CLI that started the daemon prints as they come.

Ports: each of local AWS, market server and web (page + API) takes its flag, else its environment variable
(MOVERS_AWS_PORT, MOVERS_MARKET_PORT, MOVERS_WEB_PORT), else its default (4566, 8181, 8080). A port named
by flag or variable must be free; a default that is taken is replaced by a free port, and the line says so.

`--market-url URL --api-key-file FILE` runs the stack against that Massive-compatible server instead of
the bundled one: the key is read from the file and put into the Secrets Manager secret, nowhere else.
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
from urllib.parse import urlsplit

from movers.local.stack import LOCAL_API_KEY, ROOT, ExternalMarket, LocalStack, StackError, page_note

STATE_DIR = ROOT / ".local"
# MOVERS_STATE_FILE lets the tests point the CLI at the stack they started.
STATE_FILE = Path(os.environ.get("MOVERS_STATE_FILE", STATE_DIR / "stack.json"))
DEFAULT_PORTS = {"aws": 4566, "market": 8181, "web": 8080}
PORT_NAMES = {"aws": "local AWS", "market": "market server", "web": "web (page and API)"}


def state_file() -> Path:
    return Path(os.environ.get("MOVERS_STATE_FILE", STATE_FILE))


def progress_file() -> Path:
    """Where the daemon appends its progress lines (beside the state file)."""
    return state_file().with_suffix(".progress")


def error_file() -> Path:
    """Where the daemon writes why it stopped (one line, beside the state file)."""
    return state_file().with_suffix(".error")


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def choose_port(kind: str, requested: int | None, report: Any = print) -> int:
    """The port for `kind`: `requested` (flag or variable) must be free; the default, if taken, is
    replaced by a free one (reported)."""
    name = PORT_NAMES[kind]
    if requested is not None:
        if requested == 0:
            return free_port()
        if not port_free(requested):
            variable = f"MOVERS_{kind.upper()}_PORT"
            raise StackError(
                f"port {requested} on 127.0.0.1 ({name}) is already in use: stop what holds it, set"
                f" another {variable} (or --{kind}-port), or leave it unset to pick a free port"
            )
        return requested
    default = DEFAULT_PORTS[kind]
    if port_free(default):
        return default
    chosen = free_port()
    report(f"port {default} ({name}) is taken: using {chosen}")
    return chosen


def requested_port(flag: int | None, kind: str) -> int | None:
    if flag is not None:
        return flag
    raw = os.environ.get(f"MOVERS_{kind.upper()}_PORT", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 <= int(raw) <= 65535:
        raise StackError(f"MOVERS_{kind.upper()}_PORT must be a port number 0..65535, got {raw!r}")
    return int(raw)


def check_market_url(url: str) -> str:
    """An http(s) base URL without credentials, query or fragment (the key travels in a header only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise StackError(f"--market-url must be an http(s) base URL like http://127.0.0.1:9000, got {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise StackError(
            "--market-url must carry no credentials, query or fragment: the key goes in --api-key-file"
        )
    return url.rstrip("/")


def read_key_file(path: str) -> str:
    """The API key: the file's only line (a trailing newline is fine). The key itself is never echoed."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise StackError(f"--api-key-file {path}: cannot read it ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise StackError(f"--api-key-file {path}: not UTF-8 text") from None
    key = text.strip()
    if not key or "\n" in key or any(c.isspace() for c in key):
        raise StackError(f"--api-key-file {path}: must hold the key alone on one line")
    return key


def read_state() -> dict[str, Any] | None:
    """The running stack's state, or None when none is running (a stale file is ignored)."""
    path = state_file()
    try:
        state: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(int(state["pid"]), 0)
    except (OSError, KeyError, ValueError):
        return None
    return state


def latest_external_session(stack: LocalStack, url: str, key: str) -> str | None:
    """The last session an external Massive-compatible server has (its previous close for the first
    watchlist ticker), so `movers run` without --date asks for a day the server can answer. None when the
    server cannot say (then the calendar decides). A refused key stops the stack: nothing would work."""
    from movers.cli.replay import ReplayError, deployed_watchlist
    from stock_movers.providers.errors import ProviderAuthError, ProviderError
    from stock_movers.providers.massive import MassiveProvider

    functions = stack.outputs.get("function_names") or {}
    try:
        tickers = deployed_watchlist(stack.client("lambda"), stack.client("s3"), functions["validate_input"])
    except ReplayError:
        return None
    try:
        result = MassiveProvider(api_key=key, base_url=url).previous_close(tickers[0])
    except ProviderAuthError as exc:
        raise StackError(f"the market server at {url} refused the key: {exc}") from None
    except ProviderError:
        return None
    return max(b.date for b in result.bars).isoformat()


def serve(args: argparse.Namespace) -> int:
    from movers.local.apigw import LocalApiGateway, execution_arn_from_url
    from movers.market.server import MarketServer

    path = state_file()
    state_dir = path.parent
    state_dir.mkdir(parents=True, exist_ok=True)
    error_file().unlink(missing_ok=True)
    log = progress_file()
    log.write_text("")

    def report(line: str) -> None:
        with log.open("a") as f:
            f.write(line.rstrip() + "\n")

    external = bool(args.market_url)
    if external != bool(args.api_key_file):
        raise StackError("--market-url and --api-key-file go together")
    aws_port = choose_port("aws", requested_port(args.aws_port, "aws"), report)
    web_port = choose_port("web", requested_port(args.web_port, "web"), report)
    market: Any
    if external:
        url = check_market_url(args.market_url)
        key = read_key_file(args.api_key_file)
        market = ExternalMarket(url)
        report(f"market server: {url} (yours)")
        latest: str | None = None
    else:
        market_port = choose_port("market", requested_port(args.market_port, "market"), report)
        key = LOCAL_API_KEY
        market = MarketServer(
            api_key=key,
            rate_limit=(args.rate_calls, args.rate_period),
            port=market_port,
            universe=args.universe,
            universe_seed=args.universe_seed,
        )
        market.start()
        what = (
            "bundled SYNTHETIC data"
            if args.universe is None
            else f"SYNTHETIC universe of {args.universe} tickers, seed {args.universe_seed}"
        )
        report(f"market server: {market.url} ({what})")
        latest = market.dataset.last_session.isoformat()
    report(f"local AWS: starting on port {aws_port}")
    stack = LocalStack(
        work_dir=state_dir / "stack",
        aws_port=aws_port,
        market=market,
        market_rate_limit=(args.rate_calls, args.rate_period),
        api_key=key,
        progress=report,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    gateway = None
    try:
        outputs = stack.start()
        assert stack.aws is not None
        if external:
            latest = latest_external_session(stack, market.url, key)
        report(f"API gateway: starting on port {web_port}")
        gateway = LocalApiGateway(
            outputs.get("api_function_alias_arn") or outputs["api_function_name"],
            stack.aws.endpoint,
            port=web_port,
            data_note=page_note(market),
            # invoke as API Gateway, so the function's Lambda permission (api.tf) is what allows it
            execution_arn=execution_arn_from_url(outputs.get("api_url", "")),
        )
        url = gateway.start()
        state = {
            "pid": os.getpid(),
            "aws_endpoint": stack.aws.endpoint,
            "market_url": market.url,
            "market_latest_session": latest,
            "web_url": url,
            "api_url": f"{url}/v1",
            "outputs": outputs,
            "timings": stack.timings,
        }
        path.write_text(json.dumps(state, indent=2))
        stopped.wait()
    finally:
        path.unlink(missing_ok=True)
        if gateway is not None:
            gateway.stop()
        stack.stop()
        if not external:
            market.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m movers.local.daemon", description=__doc__)
    parser.add_argument("--aws-port", type=int, default=None)
    parser.add_argument("--market-port", type=int, default=None)
    parser.add_argument("--web-port", type=int, default=None)
    parser.add_argument("--market-url", default=None)
    parser.add_argument("--api-key-file", default=None)
    parser.add_argument("--rate-calls", type=int, default=5)
    parser.add_argument("--rate-period", type=float, default=60.0)
    parser.add_argument("--universe", type=int, default=None)
    parser.add_argument("--universe-seed", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        return serve(args)
    except Exception as exc:  # one line for the CLI that started us; details in the logs
        error_file().parent.mkdir(parents=True, exist_ok=True)
        error_file().write_text(f"{exc}".strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
