"""The local AWS: moto's server with Step Functions execution, the compat fixes and the Lambda executor.

``python -m movers.local.server --port 4566 [--time-scale 1.0] [--pid-file F]`` serves in the foreground
until SIGINT/SIGTERM. :class:`LocalAws` runs the same thing in a subprocess (so tests and the CLI talk to it
over HTTP, and handlers in worker processes can call it back) and waits until it answers.

Fixed facts of the local account: region ``us-east-1``, account ``123456789012``, bound to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

HOST = "127.0.0.1"
REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
_READY_PREFIX = "movers-localaws ready "
# Unexpected IAM denials of every LocalAws this process stopped (tests/conftest.py fails the run on any).
UNEXPECTED_DENIALS: list[dict[str, Any]] = []


class LocalAwsError(RuntimeError):
    """The local AWS could not start (port taken, startup crash, not ready in time)."""


def _configure_environment(port: int, time_scale: float) -> None:
    """Environment moto reads at import or at call time; set before importing moto."""
    os.environ["MOTO_PORT"] = str(port)  # the SFN interpreter calls services back on localhost:$MOTO_PORT
    os.environ["MOVERS_TIME_SCALE"] = repr(time_scale)
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"  # AWS managed policies, attached by Terraform
    os.environ["MOTO_ALLOW_NONEXISTENT_REGION"] = os.environ.get("MOTO_ALLOW_NONEXISTENT_REGION", "false")
    os.environ.setdefault("MOTO_ACCOUNT_ID", ACCOUNT_ID)
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)
    # The server process itself must never pick up real credentials or config.
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        os.environ.pop(name, None)
    os.environ["AWS_ACCESS_KEY_ID"] = "testing"
    os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"  # noqa: S105 - a dummy, the local AWS checks none


def serve(port: int, time_scale: float = 1.0, pid_file: str | None = None) -> int:
    """Runs the local AWS in this process until SIGINT/SIGTERM; returns the exit code.

    Binding happens first, so a taken port fails in milliseconds with one clear line on stderr.
    """
    import socket

    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        probe.bind((HOST, port))
        bound_port = probe.getsockname()[1]
    except OSError as exc:
        print(
            f"error: port {port} on {HOST} is already in use ({exc.strerror}); choose another with --port",
            file=sys.stderr,
            flush=True,
        )
        return 2
    finally:
        probe.close()

    _configure_environment(bound_port, time_scale)

    from moto.core import config as moto_config
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    from movers.local import compat, executor, faults, iam, meter

    moto_config.default_user_config["stepfunctions"] = {"execute_state_machine": True}
    compat.apply(time_scale)
    executor.install()
    try:
        iam.install()  # MOVERS_IAM (enforce | off), MOVERS_ACCESS_LOG
    except iam.IamError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2

    # The fault switch sits in front of moto: armed, it answers matching requests with AWS errors. Behind
    # it the request meter counts what reaches the (local) AWS, for the cost model (movers.local.meter).
    app = iam.IamAdmin(
        faults.FaultInjector(meter.RequestMeter(DomainDispatcherApplication(create_backend_app)))
    )
    try:
        server = make_server(HOST, bound_port, app, threaded=True, request_handler=MotoRequestHandler)
    except OSError as exc:  # lost a race for the port between the probe and here
        print(
            f"error: port {bound_port} on {HOST} is already in use ({exc.strerror})",
            file=sys.stderr,
            flush=True,
        )
        return 2

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if pid_file:
        Path(pid_file).write_text(f"{os.getpid()}\n")
    print(f"{_READY_PREFIX}http://{HOST}:{bound_port}", flush=True)
    # Nobody reads our stdout after the ready line: send later writes to the log so a full pipe never blocks.
    os.dup2(2, 1)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        executor.shutdown()
        iam.shutdown()
        server.server_close()
        if pid_file:
            with contextlib.suppress(OSError):
                Path(pid_file).unlink()
    return 0


def _wait_ready(endpoint: str, deadline: float, proc: subprocess.Popen[Any]) -> None:
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return
        try:
            # endpoint is always http://127.0.0.1:PORT, built by us
            with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=2) as resp:  # noqa: S310
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.02)
    raise LocalAwsError(f"local AWS at {endpoint} did not answer in time")


class LocalAws:
    """A local AWS in a subprocess: ``start()`` returns the endpoint URL once it answers; ``stop()`` ends it.

    ``port=0`` picks a free port. ``time_scale`` scales Wait/Retry sleeps. ``state_dir`` holds the server
    log, the pid file and the Lambda code cache (a temporary directory if None). IAM is enforced
    (``movers.local.iam``); ``iam_enforce=False`` switches it off (only the tests proving the switch do).
    The access log goes to ``$MOVERS_ACCESS_LOG_DIR/<unique>.jsonl`` when that is set (a test run's logs,
    for ``make iam-report``), else to ``state_dir/access-log.jsonl``; after ``stop()``, ``denials`` holds
    the calls of confined principals that were denied and no test expected.
    """

    def __init__(
        self,
        port: int = 0,
        time_scale: float = 1.0,
        state_dir: str | Path | None = None,
        iam_enforce: bool = True,
    ) -> None:
        if port < 0 or port > 65535:
            raise ValueError(f"port must be 0..65535, got {port}")
        if not time_scale > 0:
            raise ValueError(f"time_scale must be > 0, got {time_scale}")
        self.port = port
        self.time_scale = time_scale
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.state_dir = Path(state_dir) if state_dir else None
        self.proc: subprocess.Popen[str] | None = None
        self.endpoint = ""
        self.start_seconds = 0.0
        self.iam_enforce = iam_enforce
        self.access_log = ""
        self.denials: list[dict[str, Any]] = []

    def start(self, timeout: float = 30.0) -> str:
        """Starts the server subprocess and returns ``http://127.0.0.1:PORT`` once it answers."""
        if self.proc is not None:
            return self.endpoint
        started = time.monotonic()
        if self.state_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="movers-localaws-")
            self.state_dir = Path(self._tmp.name)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log_path = self.state_dir / "server.log"
        env = dict(os.environ)
        env.setdefault("MOVERS_LAMBDA_CACHE", str(self.state_dir / "lambda-cache"))
        env["MOVERS_IAM"] = "enforce" if self.iam_enforce else "off"
        log_dir = os.environ.get("MOVERS_ACCESS_LOG_DIR")
        if log_dir:
            stamp = time.strftime("%Y%m%dT%H%M%S")
            self.access_log = str(
                Path(log_dir).resolve() / f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.jsonl"
            )
        else:
            self.access_log = str(self.state_dir / "access-log.jsonl")
        env["MOVERS_ACCESS_LOG"] = self.access_log
        repo_root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (repo_root, env.get("PYTHONPATH", "")) if p)
        cmd = [
            sys.executable,
            "-m",
            "movers.local.server",
            "--port",
            str(self.port),
            "--time-scale",
            repr(self.time_scale),
            "--pid-file",
            str(self.state_dir / "server.pid"),
        ]
        log = open(log_path, "w")  # noqa: SIM115 - the child writes to it for its whole life
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=repo_root
        )
        log.close()
        assert self.proc.stdout is not None
        # The child prints one ready line (with the real port) or exits with an error line in the log.
        line = self.proc.stdout.readline()
        if not line.startswith(_READY_PREFIX):
            self.proc.wait(timeout=10)
            error = log_path.read_text().strip().splitlines()
            self.proc = None
            raise LocalAwsError(error[-1] if error else "local AWS exited before it was ready")
        self.endpoint = line[len(_READY_PREFIX) :].strip()
        _wait_ready(self.endpoint, started + timeout, self.proc)
        if self.proc.poll() is not None:
            raise LocalAwsError(f"local AWS exited during startup; see {log_path}")
        self.start_seconds = time.monotonic() - started
        return self.endpoint

    def stop(self) -> None:
        """Stops the server (SIGTERM, then SIGKILL after 10 s); its Lambda workers stop with it."""
        proc, self.proc = self.proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stdout:
                proc.stdout.close()
            self._collect_denials()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self.state_dir = None

    def _collect_denials(self) -> None:
        from movers.local import access_log

        if self.access_log:
            self.denials = access_log.unexpected_denials(access_log.read([self.access_log]))
            UNEXPECTED_DENIALS.extend(self.denials)

    def expect_denials(self, on: bool) -> None:
        """Marks the denials that follow as expected (proof tests), or stops doing so."""
        self._admin_call("/_movers/iam", {"expect_denials": on})

    def _admin_call(self, path: str, body: Any) -> Any:
        if not self.endpoint:
            raise LocalAwsError("the local AWS is not started")
        data = json.dumps(body).encode() if body is not None else None
        # endpoint is always http://127.0.0.1:PORT, built by us
        req = urllib.request.Request(f"{self.endpoint}{path}", data=data, method="POST" if data else "GET")  # noqa: S310
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            raise LocalAwsError(json.loads(exc.read() or b"{}").get("message", str(exc))) from None

    # -- fault injection (see movers.local.faults) --------------------------------------------------

    def _faults_call(self, method: str, body: Any = None) -> Any:
        from movers.local.faults import ADMIN_PATH, FaultError

        if not self.endpoint:
            raise LocalAwsError("the local AWS is not started")
        data = json.dumps(body).encode() if body is not None else None
        # endpoint is always http://127.0.0.1:PORT, built by us
        req = urllib.request.Request(f"{self.endpoint}{ADMIN_PATH}", data=data, method=method)  # noqa: S310
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            message = json.loads(exc.read() or b"{}").get("message", str(exc))
            raise FaultError(message) from None

    def inject(
        self,
        service: str,
        action: str,
        errors: list[str | dict[str, Any]],
        function: str | None = None,
        body_contains: str | None = None,
    ) -> dict[str, Any]:
        """Arms a fault: the next ``len(errors)`` matching requests get these AWS errors, one each.

        ``service`` is the boto3 name (lambda, dynamodb, events, stepfunctions, secretsmanager), ``action``
        the API action (``GetItem``, ``PutEvents``, ``Invoke``...), ``function`` a Lambda function name or
        ARN, ``body_contains`` a substring the request body must contain. Returns the armed rule; a bad
        rule raises :class:`movers.local.faults.FaultError`.
        """
        spec: dict[str, Any] = {"service": service, "action": action, "errors": errors}
        if function is not None:
            spec["function"] = function
        if body_contains is not None:
            spec["body_contains"] = body_contains
        return dict(self._faults_call("POST", spec))

    def clear_faults(self) -> None:
        """Disarms every fault and forgets the injection log."""
        self._faults_call("DELETE")

    def faults(self) -> dict[str, Any]:
        """``{"rules": [...], "injected": N, "log": [...]}``: armed rules and what was injected."""
        return dict(self._faults_call("GET"))

    def __enter__(self) -> LocalAws:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m movers.local.server", description=__doc__)
    parser.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=float(os.environ.get("MOVERS_TIME_SCALE", "1.0")),
        help="factor for Wait-state and Retry sleeps (e.g. 0.01 in tests)",
    )
    parser.add_argument("--pid-file", help="write the server's pid here while it runs")
    args = parser.parse_args(argv)
    if not args.time_scale > 0:
        parser.error("--time-scale must be > 0")
    return serve(args.port, args.time_scale, args.pid_file)


if __name__ == "__main__":
    sys.exit(main())
