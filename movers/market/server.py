"""The local market server: `MarketApp` on a stdlib ThreadingHTTPServer, loopback only. It speaks Massive's
API and, over the same dataset, Alpha Vantage's and Tiingo's (vendors.py), told apart by path.

    with MarketServer(rate_limit=(5, 2.0)) as server:      # bundled SYNTHETIC data, key "local-key"
        requests.get(f"{server.url}/v2/aggs/ticker/AAPL/prev", headers={"Authorization": "Bearer local-key"})

Access logs (off by default, on in the CLI) never contain the API key: `apiKey=` values are redacted and
headers are not logged.
"""

from __future__ import annotations

import datetime as dt
import errno
import gzip
import ipaddress
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .app import Clock, MarketApp, Request, Response, json_response
from .dataset import BarSource, Dataset, bundled, load_csv
from .faults import FaultConfig
from .ratelimit import validate_rate_limit
from .universe import Universe

MAX_BODY = 1 << 20
_GZIP_MIN = 512
_KEY_IN_QUERY = re.compile(r"(?i)(apiKey=)[^&\s\"]*")


class PortInUseError(RuntimeError):
    """The requested port is already bound by another process."""


def redact(text: str) -> str:
    """`text` with every apiKey=... query value replaced, for logs."""
    return _KEY_IN_QUERY.sub(r"\1REDACTED", text)


def _loopback(host: str) -> str:
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"host must be a loopback address, got {host!r}") from None
    if address.version != 4 or not address.is_loopback:
        raise ValueError(f"host must be an IPv4 loopback address (127.0.0.0/8), got {host!r}")
    return host


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: MarketApp
    base_url: str
    access_log: bool


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive: clients using a requests.Session reuse one connection, like against Massive.
    protocol_version = "HTTP/1.1"
    server_version = "LocalMassive/1.0"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle + delayed ACK adds ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._send(json_response(413, {"status": "ERROR", "error": "Request body too large"}), False)
            return
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=parts.path,
            query=parse_qs(parts.query),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            base_url=self.server.base_url,
        )
        try:
            response = self.server.app.handle(request)
        except Exception as exc:  # a bug must not kill the connection thread silently
            self.log_message("internal error: %s", type(exc).__name__)
            response = json_response(500, {"status": "ERROR", "error": "Internal server error"})
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        self._send(response, accepts_gzip)

    def _send(self, response: Response, accepts_gzip: bool) -> None:
        body = response.body
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        if accepts_gzip and len(body) >= _GZIP_MIN:
            # Massive answers gzip when asked; mtime=0 keeps identical bodies identical on the wire.
            body = gzip.compress(body, compresslevel=5, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up (e.g. its read timeout): nothing to do

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        if self.server.access_log:
            self.log_message('"%s" %s %s', redact(self.requestline), str(code), str(size))

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.access_log:
            line = format % args
            sys.stderr.write(f"{self.log_date_time_string()} {redact(line)}\n")

    def log_error(self, format: str, *args: Any) -> None:
        # Parse errors echo the raw request line, which may hold a key: always redacted.
        self.log_message(format, *args)


class MarketServer:
    """A running (or startable) local market server.

    dataset: a Dataset, a CSV path, or None for the bundled SYNTHETIC data. api_key: the accepted key, a
    list of keys, or None for no auth. rate_limit: (calls, period_seconds) per key, or None. faults: a
    FaultConfig, its dict form, a list (a script), or None. history_days: plan depth (403 beyond it).
    now: the server's "now" (aware datetime or a callable); default the evening of the last session.
    max_limit: the largest page a range call returns (Massive: 50,000); lower it to test pagination.
    universe: serve a generated SYNTHETIC market of this many tickers on the dataset's sessions (see
    `universe.Universe`): the dataset's tickers with their bars unchanged plus generated symbols, or only
    generated ones with universe_include_base=False. universe_seed picks the symbols and their bars.
    alphavantage_plan / tiingo_plan: those APIs' windows per key, {name: (calls, period_seconds)}; None for
    each vendor's free plan (vendors.ALPHAVANTAGE_FREE, vendors.TIINGO_FREE), {} for none.
    """

    def __init__(
        self,
        dataset: Dataset | str | Path | None = None,
        api_key: str | Sequence[str] | None = "local-key",
        rate_limit: tuple[int, float] | None = (5, 60.0),
        faults: FaultConfig | Mapping[str, Any] | Sequence[Any] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        history_days: int | None = None,
        now: dt.datetime | Clock | None = None,
        max_limit: int = 50_000,
        access_log: bool = False,
        universe: int | None = None,
        universe_seed: int = 1,
        universe_include_base: bool = True,
        alphavantage_plan: Mapping[str, tuple[int, float]] | None = None,
        tiingo_plan: Mapping[str, tuple[int, float]] | None = None,
    ) -> None:
        base: Dataset
        if dataset is None:
            base = bundled()
        elif isinstance(dataset, Dataset):
            base = dataset
        else:
            base = load_csv(dataset)
        data: BarSource = base
        if universe is not None:
            data = Universe(base, universe, universe_seed, include_base=universe_include_base)
        keys = None if api_key is None else ([api_key] if isinstance(api_key, str) else list(api_key))
        self.app = MarketApp(
            data,
            api_keys=keys,
            rate_limit=validate_rate_limit(rate_limit),
            faults=_fault_config(faults),
            history_days=history_days,
            now=now,
            max_limit=max_limit,
            alphavantage_plan=alphavantage_plan,
            tiingo_plan=tiingo_plan,
        )
        self.host = _loopback(host)
        if not 0 <= port <= 65535:
            raise ValueError(f"port must be within 0..65535, got {port}")
        self._port = port
        self._access_log = access_log
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> str:
        """Bind and serve on a background thread; returns the base URL (with the bound port)."""
        if self._httpd is not None:
            return self.url
        try:
            httpd = _Server((self.host, self._port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(f"port {self._port} on {self.host} is already in use") from None
            raise
        httpd.app = self.app
        httpd.access_log = self._access_log
        httpd.base_url = f"http://{self.host}:{httpd.server_address[1]}"
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, name="market-server", daemon=True
        )
        self._thread.start()
        return self.url

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> MarketServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- introspection and control ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running; call start() first")
        return self._httpd.base_url

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the server is not running; call start() first")
        return int(self._httpd.server_address[1])

    @property
    def dataset(self) -> BarSource:
        return self.app.dataset

    def stats(self) -> dict[str, Any]:
        """The same counters as GET /_admin/stats."""
        return self.app.stats.snapshot()

    def reset(self) -> None:
        """Zero the counters and arrivals and empty the rate-limit windows."""
        self.app.reset()

    def set_rate_limit(self, rate_limit: tuple[int, float] | None) -> None:
        """Replace the plan (calls, period_seconds) per key, or None (as POST /_admin/rate-limit)."""
        self.app.set_rate_limit(validate_rate_limit(rate_limit))

    def arrivals(self) -> list[tuple[float, int | None]]:
        """(monotonic time, status) of every data request since the last reset (as GET /_admin/arrivals)."""
        return self.app.stats.arrivals()

    def peak(self, window: float) -> int:
        """The most data requests that arrived within any `window` seconds since the last reset."""
        return self.app.stats.peak(window)

    def set_plans(
        self,
        alphavantage: Mapping[str, tuple[int, float]] | None = None,
        tiingo: Mapping[str, tuple[int, float]] | None = None,
    ) -> None:
        """Replace Alpha Vantage's and/or Tiingo's plan (None keeps it; as POST /_admin/plan/<vendor>)."""
        self.app.vendors.set_plans(alphavantage, tiingo)

    def plan_usage(self, vendor: str, key: str) -> dict[str, int]:
        """Calls `key` has in each window of `vendor`'s plan now ("alphavantage" or "tiingo")."""
        plan = self.app.vendors.alphavantage if vendor == "alphavantage" else self.app.vendors.tiingo
        return plan.used(key)

    def set_faults(self, faults: FaultConfig | Mapping[str, Any] | Sequence[Any] | None) -> None:
        """Replace the fault configuration (restarts the script and the RNG)."""
        self.app.faults.configure(_fault_config(faults) or FaultConfig())

    def set_now(self, now: dt.datetime | Clock | None) -> None:
        self.app.set_now(now)

    def set_revisions(self, revisions: Sequence[Mapping[str, Any]]) -> None:
        """Replace the post-close revision set (as POST /_admin/revisions; [] clears it)."""
        self.app.revisions.configure(revisions, self.app.dataset)


def _fault_config(faults: FaultConfig | Mapping[str, Any] | Sequence[Any] | None) -> FaultConfig | None:
    if faults is None or isinstance(faults, FaultConfig):
        return faults
    return FaultConfig.from_dict(faults)
