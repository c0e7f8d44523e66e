"""Lambda executor for the local AWS: runs a function's real deployed zip and layers, like Lambda does.

moto runs Lambda code only in Docker. :func:`install` replaces ``moto.awslambda.models.LambdaFunction.invoke``
(the one method every invoke path goes through: the Invoke API, Step Functions, SNS/SQS deliveries and the
local API gateway) with :func:`invoke_function`, which

- extracts the function zip (keyed by its sha256, the ``/var/task`` equivalent) and each layer zip (keyed by
  its sha256) into a cache directory,
- runs the handler in a warm worker process (``lambda_worker.py``) started with the function's Python runtime
  in isolated mode, ``sys.path`` = task root, layers, a runtime dir with boto3 (Lambda's ``/var/runtime``),
  stdlib, and an environment built from scratch (function variables, Lambda's reserved variables, dummy
  credentials, ``AWS_ENDPOINT_URL`` pointing at the local AWS),
- returns the payload, or a FunctionError payload (``errorType`` = the exception class name) flagged
  ``Unhandled``, so Step Functions ``Retry``/``Catch`` match the same error names as on AWS,
- enforces the function's timeout (``Sandbox.Timedout``), and writes START/END/REPORT plus the handler's
  output to CloudWatch Logs (``/aws/lambda/<name>``, one stream per worker).

Layer order: each layer is extracted into its own directory; later layers come first on ``sys.path`` so a
package in a later layer shadows the same package in an earlier one (Lambda merges ``/opt`` file by file; the
two differ only if two layers ship different files of one package, which our layers do not).

Environment variables read here: ``MOVERS_LAMBDA_CACHE`` (extraction cache, default
``build/local-cache``), ``MOVERS_LAMBDA_RUNTIME`` (runtime dir, default ``build/local-runtime/python3.12``),
``MOVERS_LAMBDA_PYTHON`` (interpreter override), ``MOVERS_LAMBDA_MAX_WORKERS`` (per function, default 8),
``MOTO_PORT`` (where handlers' boto3 calls go).
"""

from __future__ import annotations

import argparse
import atexit
import base64
import contextlib
import hashlib
import io
import json
import math
import os
import re
import select
import shutil
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_RUNTIME_DIR = REPO_ROOT / "build" / "local-runtime" / "python3.12"
DEFAULT_CACHE_DIR = REPO_ROOT / "build" / "local-cache"
WORKER_SCRIPT = Path(__file__).with_name("lambda_worker.py")
DEFAULT_MAX_WORKERS = 8
# Lambda keeps only the last 4 KB of the log in the X-Amz-Log-Result header.
_LOG_TAIL_BYTES = 4096


class ExecutorError(RuntimeError):
    """The executor cannot run a function at all (no interpreter, no runtime dir, image package...)."""


# --------------------------------------------------------------------------------------------------
# Interpreter and runtime dir


_interpreters: dict[str, str] = {}
_interp_lock = threading.Lock()


def _probe(cmd: list[str], env: dict[str, str] | None, want: str) -> str | None:
    """Runs ``cmd -c ...`` and returns the real executable path if it runs and is Python ``want``."""
    try:
        out = subprocess.run(
            [*cmd, "-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])"],
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.split()
    if out.returncode == 0 and len(lines) == 2 and lines[1] == want:
        return lines[0]
    return None


def find_interpreter(runtime: str = "python3.12") -> str:
    """Returns the path of a Python interpreter that really runs and matches the Lambda runtime.

    Tries ``MOVERS_LAMBDA_PYTHON``, ``pythonX.Y`` on PATH, pyenv's ``pythonX.Y`` with ``PYENV_VERSION`` set to
    an installed X.Y.z, then the base interpreter of the running venv. Raises :class:`ExecutorError` if none.
    """
    match = re.fullmatch(r"python(\d+\.\d+)", runtime or "")
    if not match:
        raise ExecutorError(f"unsupported Lambda runtime {runtime!r}: the local executor runs pythonX.Y only")
    want = match.group(1)
    with _interp_lock:
        if runtime in _interpreters:
            return _interpreters[runtime]
        base_env = dict(os.environ)
        candidates: list[tuple[list[str], dict[str, str] | None]] = []
        override = os.environ.get("MOVERS_LAMBDA_PYTHON")
        if override:
            candidates.append(([override], None))
        candidates.append(([runtime], None))
        pyenv = shutil.which("pyenv")
        if pyenv:
            versions = subprocess.run(
                [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
            ).stdout.split()
            for version in sorted((v for v in versions if v.startswith(want + ".")), reverse=True):
                candidates.append(([runtime], {**base_env, "PYENV_VERSION": version}))
        candidates.append(([getattr(sys, "_base_executable", sys.executable)], None))
        for cmd, env in candidates:
            found = _probe(cmd, env, want)
            if found:
                _interpreters[runtime] = found
                return found
        raise ExecutorError(
            f"no working Python {want} interpreter for Lambda runtime {runtime} "
            f"(tried MOVERS_LAMBDA_PYTHON, {runtime} on PATH, pyenv, the venv's base interpreter)"
        )


def _boto3_pin() -> list[str]:
    pins = []
    constraints = REPO_ROOT / "requirements" / "constraints.txt"
    if constraints.exists():
        for line in constraints.read_text().splitlines():
            if line.lower().startswith(("boto3==", "botocore==")):
                pins.append(line.strip())
    return pins or ["boto3"]


def ensure_runtime(directory: str | Path = DEFAULT_RUNTIME_DIR) -> Path:
    """Builds the runtime dir (boto3 + botocore, Lambda's ``/var/runtime``) once; returns its path.

    Uses ``pip install --target`` with the versions pinned in ``requirements/constraints.txt``. A marker file
    records the pins, so a changed pin rebuilds the directory.
    """
    target = Path(directory)
    pins = _boto3_pin()
    marker = target / ".movers-runtime"
    if marker.exists() and marker.read_text() == "\n".join(pins):
        return target
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(tmp),
    ]
    proc = subprocess.run([*cmd, *pins], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExecutorError(f"building the Lambda runtime dir failed: {proc.stderr.strip()[-500:]}")
    (tmp / ".movers-runtime").write_text("\n".join(pins))
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(target)
    return target


def runtime_dir() -> Path:
    """The runtime dir handlers see; raises :class:`ExecutorError` if it has not been built."""
    path = Path(os.environ.get("MOVERS_LAMBDA_RUNTIME", DEFAULT_RUNTIME_DIR))
    if not (path / "boto3").is_dir():
        raise ExecutorError(
            f"Lambda runtime dir {path} has no boto3: "
            f"run `python -m movers.local.executor --prepare-runtime {path}`"
        )
    return path


# --------------------------------------------------------------------------------------------------
# Code extraction


_extract_lock = threading.Lock()


def extract_zip(code: bytes, kind: str, digest: str | None = None) -> Path:
    """Extracts a zip into ``<cache>/<kind>/<sha256>`` once (atomic rename) and returns the directory."""
    digest = digest or hashlib.sha256(code).hexdigest()
    cache = Path(os.environ.get("MOVERS_LAMBDA_CACHE", DEFAULT_CACHE_DIR))
    target = cache / kind / digest
    if target.is_dir():
        return target
    with _extract_lock:
        if target.is_dir():
            return target
        tmp = target.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            with zipfile.ZipFile(io.BytesIO(code)) as zf:
                zf.extractall(tmp)
        except zipfile.BadZipFile as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ExecutorError(f"{kind} code is not a valid zip: {exc}") from exc
        tmp.rename(target)
    return target


# --------------------------------------------------------------------------------------------------
# Workers


@dataclass
class InvokeResult:
    """What one invoke produced: the payload text, whether it is a function error, and the log text."""

    payload: str
    error: bool
    log: str
    duration_ms: float = 0.0
    stream: str = ""


@dataclass
class FunctionSpec:
    """Everything that decides how a function runs; two invokes with equal specs may share workers."""

    function_arn: str
    function_name: str
    version: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    region: str
    env: dict[str, str]
    task_root: Path
    layer_roots: list[Path] = field(default_factory=list)
    role_arn: str = ""  # the execution role; its session's credentials go into the worker's environment

    @property
    def key(self) -> str:
        raw = json.dumps(
            [
                self.function_arn,
                self.role_arn,
                str(self.task_root),
                [str(p) for p in self.layer_roots],
                self.env,
                self.handler,
                self.runtime,
                self.timeout,
                self.memory_size,
            ],
            sort_keys=True,
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    def sys_path(self) -> list[str]:
        py = "python" + self.runtime.removeprefix("python")
        later_first = list(reversed(self.layer_roots))
        return (
            [str(self.task_root)]
            + [str(p / "python" / "lib" / py / "site-packages") for p in later_first]
            + [str(p / "python") for p in later_first]
            + [str(runtime_dir())]
        )


_DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}
# Set by movers.local.iam.install: the worker credentials of a function (its execution role's session).
credentials_provider: Callable[[FunctionSpec], dict[str, str]] | None = None
# Set by movers.local.iam.install: may this function's role write this log stream (fn, group, stream)?
logs_authorizer: Callable[[Any, str, str], bool] | None = None


def _endpoint() -> str:
    return f"http://127.0.0.1:{os.environ.get('MOTO_PORT') or '5000'}"


class Worker:
    """One warm process serving one function (never another), one invoke at a time."""

    def __init__(self, spec: FunctionSpec) -> None:
        self.spec = spec
        now = datetime.now(UTC)
        self.log_stream = f"{now:%Y/%m/%d}/[{spec.version}]{uuid.uuid4().hex}"
        cache = Path(os.environ.get("MOVERS_LAMBDA_CACHE", DEFAULT_CACHE_DIR))
        (cache / "logs").mkdir(parents=True, exist_ok=True)
        self.log_file = cache / "logs" / f"{uuid.uuid4().hex}.log"
        env = self._environment()
        self.proc = subprocess.Popen(
            [find_interpreter(spec.runtime), "-I", "-S", "-u", str(WORKER_SCRIPT)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=spec.task_root,
        )
        self._buffer = b""
        self.invokes = 0

    def _environment(self) -> dict[str, str]:
        spec = self.spec
        env = {k: str(v) for k, v in spec.env.items()}
        # Lambda's reserved variables win over function variables (the Lambda API refuses to set them).
        env.update(
            {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "LANG": "en_US.UTF-8",
                "TZ": ":UTC",
                "LAMBDA_TASK_ROOT": str(spec.task_root),
                "LAMBDA_RUNTIME_DIR": str(runtime_dir()),
                "_HANDLER": spec.handler,
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
                "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_size),
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
                "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream,
                "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
                "AWS_REGION": spec.region,
                "AWS_DEFAULT_REGION": spec.region,
                # the execution role's session when IAM is installed (movers.local.iam), else dummies
                **(credentials_provider(spec) if credentials_provider else _DUMMY_CREDENTIALS),
                # Local-only: handlers' boto3 talks to the local AWS, never to a real account or the
                # machine's ~/.aws files.
                "AWS_ENDPOINT_URL": _endpoint(),
                "AWS_CONFIG_FILE": os.devnull,
                "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true",
                "MOVERS_WORKER_PATH": os.pathsep.join(spec.sys_path()),
                "MOVERS_WORKER_LOG": str(self.log_file),
            }
        )
        return env

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read_line(self, deadline: float) -> bytes | None:
        """Reads one protocol line; b"" when the worker closed its end (exited), None on timeout."""
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return b""
            self._buffer += chunk
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line

    def _read_log(self) -> str:
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def invoke(
        self, event: str, request_id: str, crash_after_ms: int | None = None
    ) -> tuple[dict[str, Any] | None, str, bool]:
        """Sends one event; returns (answer or None on timeout/crash, log text, timed_out)."""
        assert self.proc.stdin is not None
        timeout_s = float(self.spec.timeout)
        deadline_ms = int(time.time() * 1000 + timeout_s * 1000)
        request: dict[str, Any] = {
            "request_id": request_id,
            "event": event,
            "deadline_ms": deadline_ms,
            "invoked_arn": self.spec.function_arn,
        }
        if crash_after_ms is not None:
            request["crash_after_ms"] = crash_after_ms
        self.invokes += 1
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None, self._read_log(), False
        line = self._read_line(time.monotonic() + timeout_s)
        if not line:
            self.kill()
            return None, self._read_log(), line is None
        return json.loads(line), self._read_log(), False

    def kill(self) -> None:
        if self.alive():
            self.proc.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream:
                with contextlib.suppress(OSError):
                    stream.close()
        self.log_file.unlink(missing_ok=True)


class WorkerPool:
    """Warm workers of one function spec: reuse idle ones, grow up to ``max_workers`` for concurrency."""

    def __init__(self, spec: FunctionSpec, max_workers: int) -> None:
        self.spec = spec
        self.max_workers = max_workers
        self.idle: list[Worker] = []
        self.busy = 0
        self.cond = threading.Condition()
        self.closed = False

    def acquire(self) -> tuple[Worker, bool]:
        """Returns (worker, cold) where cold says the process was just started."""
        with self.cond:
            while True:
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive():
                        self.busy += 1
                        return worker, False
                    worker.kill()
                if self.busy < self.max_workers:
                    self.busy += 1
                    break
                self.cond.wait()
        try:
            return Worker(self.spec), True
        except BaseException:
            with self.cond:
                self.busy -= 1
                self.cond.notify()
            raise

    def release(self, worker: Worker, keep: bool) -> None:
        with self.cond:
            self.busy -= 1
            if keep and worker.alive() and not self.closed:
                self.idle.append(worker)
            else:
                worker.kill()
            self.cond.notify()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            idle, self.idle = self.idle, []
        for worker in idle:
            worker.kill()


class Executor:
    """All worker pools of one local AWS process, keyed by function spec."""

    def __init__(self, max_workers: int | None = None) -> None:
        self.max_workers = max_workers or int(
            os.environ.get("MOVERS_LAMBDA_MAX_WORKERS", DEFAULT_MAX_WORKERS)
        )
        self.pools: dict[str, WorkerPool] = {}
        self.lock = threading.Lock()

    def pool_for(self, spec: FunctionSpec) -> WorkerPool:
        key = spec.key
        with self.lock:
            pool = self.pools.get(key)
            if pool is None:
                # A new code/config for a function retires the workers of its old spec.
                for old_key, old in list(self.pools.items()):
                    if old.spec.function_arn == spec.function_arn:
                        old.close()
                        del self.pools[old_key]
                pool = self.pools[key] = WorkerPool(spec, self.max_workers)
            return pool

    def run(
        self, spec: FunctionSpec, event: str, request_id: str, crash_after_ms: int | None = None
    ) -> InvokeResult:
        """Runs one invoke on a warm (or new) worker and returns its payload, error flag and log.
        `crash_after_ms` makes the worker process die that long into the handler (or as it returns)."""
        pool = self.pool_for(spec)
        started = time.monotonic()
        worker, _cold = pool.acquire()
        answer, output, timed_out = worker.invoke(event, request_id, crash_after_ms)
        keep = answer is not None and not answer.get("fatal")
        max_rss_mb = _max_rss_mb(worker.proc.pid)
        pool.release(worker, keep)
        duration_ms = (time.monotonic() - started) * 1000
        if answer is None:
            if timed_out:
                message = f"RequestId: {request_id} Error: Task timed out after {spec.timeout:.2f} seconds"
                error = {"errorType": "Sandbox.Timedout", "errorMessage": message}
                output += f"{_now_iso()} {request_id} Task timed out after {spec.timeout:.2f} seconds\n"
            else:
                code = worker.proc.returncode
                message = f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
                error = {"errorType": "Runtime.ExitError", "errorMessage": message}
            failure = "timeout" if timed_out else "error"
            log = _framed(spec, request_id, output, duration_ms, None, failure, max_rss_mb)
            return InvokeResult(json.dumps(error), True, log, duration_ms, worker.log_stream)
        status: str | None = None
        if answer["ok"]:
            payload, is_error = answer["payload"], False
        else:
            error = dict(answer["error"])
            if not error.get("requestId") and not answer.get("fatal"):
                error["requestId"] = request_id
            payload, is_error = json.dumps(error), True
            if answer.get("fatal"):
                output += f"[ERROR] {error['errorType']}: {error['errorMessage']}\n"
                status = "error"
        log = _framed(spec, request_id, output, duration_ms, answer.get("init_ms"), status, max_rss_mb)
        return InvokeResult(payload, is_error, log, duration_ms, worker.log_stream)

    def shutdown(self) -> None:
        with self.lock:
            pools, self.pools = list(self.pools.values()), {}
        for pool in pools:
            pool.close()


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _max_rss_mb(pid: int) -> int:
    """Peak resident memory of a worker in MB (Linux /proc), 0 if unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return max(1, int(line.split()[1]) // 1024)
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _framed(
    spec: FunctionSpec,
    request_id: str,
    output: str,
    duration_ms: float,
    init_ms: float | None,
    status: str | None,
    max_rss_mb: int,
) -> str:
    """Wraps the handler's output in Lambda's START / END / REPORT lines."""
    billed = max(1, math.ceil(duration_ms))
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
        f"Memory Size: {spec.memory_size} MB\tMax Memory Used: {max_rss_mb} MB"
    )
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    if status:
        report += f"\tStatus: {status}"
    body = output if not output or output.endswith("\n") else output + "\n"
    start = f"START RequestId: {request_id} Version: {spec.version}\n"
    return f"{start}{body}END RequestId: {request_id}\n{report}\n"


# --------------------------------------------------------------------------------------------------
# moto hook


_executor: Executor | None = None
_executor_lock = threading.Lock()
_original_invoke: Any = None


def get_executor() -> Executor:
    """The process-wide executor (created on first use)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = Executor()
        return _executor


def shutdown() -> None:
    """Kills every warm worker; safe to call more than once."""
    global _executor
    with _executor_lock:
        executor, _executor = _executor, None
    if executor is not None:
        executor.shutdown()


def spec_for(fn: Any) -> FunctionSpec:
    """Builds the run spec of a moto ``LambdaFunction``: extracted code, layers and settings."""
    from moto.awslambda.models import get_backend

    if getattr(fn, "package_type", "Zip") != "Zip":
        raise ExecutorError(f"function {fn.function_name}: only Zip packages run locally")
    task_root = extract_zip(fn.code_bytes, "task", getattr(fn, "code_digest", None) or None)
    backend = get_backend(fn.account_id, fn.region)
    layer_roots = []
    for layer in fn.layers:
        version = backend.layers_versions_by_arn(layer["Arn"])
        if version is None:
            raise ExecutorError(f"function {fn.function_name}: layer {layer['Arn']} does not exist")
        layer_roots.append(extract_zip(version.code_bytes, "layers", version.code_digest or None))
    return FunctionSpec(
        function_arn=fn.function_arn,
        function_name=fn.function_name,
        version=str(fn.version),
        handler=fn.handler,
        runtime=fn.run_time,
        timeout=int(fn.timeout),
        memory_size=int(fn.memory_size),
        region=fn.region,
        env=dict(fn.environment_vars or {}),
        task_root=task_root,
        layer_roots=layer_roots,
        role_arn=str(getattr(fn, "role", "") or ""),
    )


def ship_logs(fn: Any, stream: str, log: str) -> None:
    """Appends the invoke's log lines to ``/aws/lambda/<name>`` in moto's logs backend, creating it."""
    from moto.core.utils import unix_time_millis

    backend = fn.logs_backend
    group = f"/aws/lambda/{fn.function_name}"
    from moto.logs.exceptions import ResourceAlreadyExistsException

    # Lambda creates its log group and stream on first use; a concurrent invoke may win the race.
    if group not in backend.groups:
        with contextlib.suppress(ResourceAlreadyExistsException):
            backend.create_log_group(group, {})
    if stream not in backend.groups[group].streams:
        with contextlib.suppress(ResourceAlreadyExistsException):
            backend.create_log_stream(group, stream)
    now = int(unix_time_millis())
    events = [{"timestamp": now, "message": line} for line in log.splitlines() if line]
    if events:
        backend.put_log_events(group, stream, events)


# Lambda's synchronous response quota: "Response payload size exceeded maximum allowed payload size (6291556
# bytes)." A response up to that many bytes is delivered; one byte more and the caller gets this error.
RESPONSE_MAX_BYTES = 6_291_556


def limit_response(result: InvokeResult) -> InvokeResult:
    """Replaces a response over Lambda's 6,291,556-byte quota with Lambda's ``Function.ResponseSizeTooLarge``.

    On Lambda the handler runs to completion, but the runtime cannot deliver the oversized payload: the
    caller gets a function error (``Unhandled``) instead, on every invoke path (Invoke, Step Functions,
    API Gateway). The log keeps what the handler wrote.
    """
    if len(result.payload.encode("utf-8")) <= RESPONSE_MAX_BYTES:
        return result
    error = {
        "errorMessage": (
            f"Response payload size exceeded maximum allowed payload size ({RESPONSE_MAX_BYTES} bytes)."
        ),
        "errorType": "Function.ResponseSizeTooLarge",
    }
    return InvokeResult(json.dumps(error), True, result.log, result.duration_ms, result.stream)


def invoke_function(fn: Any, body: Any, request_headers: Any, response_headers: Any) -> str | bytes:
    """Replacement for ``LambdaFunction.invoke``: runs the function and answers like the Lambda API."""
    if isinstance(body, bytes):
        body = body.decode("utf-8")
    event = body if body else "{}"
    headers = {str(k).lower(): v for k, v in dict(request_headers or {}).items()}
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    request_id = str(uuid.uuid4())
    response_headers["x-amz-executed-version"] = str(fn.version)
    if invocation_type == "DryRun":
        return b""
    from movers.local.faults import take_crash

    crash_after_ms = take_crash()  # armed by the fault switch for this very request, else None

    def run() -> InvokeResult:
        try:
            spec = spec_for(fn)
            result = get_executor().run(spec, event, request_id, crash_after_ms)
        except ExecutorError as exc:
            error = {"errorType": "Runtime.LocalExecutorError", "errorMessage": str(exc)}
            return InvokeResult(json.dumps(error), True, f"[ERROR] {exc}\n")
        stream = result.stream or f"{datetime.now(UTC):%Y/%m/%d}/[{fn.version}]{uuid.uuid4().hex}"
        # Lambda writes the function's logs with its execution role: denied, they are dropped
        # (movers.local.iam)
        if logs_authorizer is None or logs_authorizer(fn, f"/aws/lambda/{fn.function_name}", stream):
            ship_logs(fn, stream, result.log)
        return limit_response(result)

    if invocation_type == "Event":
        # Lambda queues async invokes and answers 202 at once; errors only show in the logs.
        threading.Thread(target=run, name=f"lambda-async-{fn.function_name}", daemon=True).start()
        return b""
    result = run()
    if result.error:
        response_headers["x-amz-function-error"] = "Unhandled"
    tail = result.log.encode("utf-8")[-_LOG_TAIL_BYTES:]
    response_headers["x-amz-log-result"] = base64.b64encode(tail).decode("ascii")
    return result.payload.encode("utf-8")


def install() -> None:
    """Hooks the executor into moto (idempotent) and kills workers at interpreter exit."""
    global _original_invoke
    from moto.awslambda.models import LambdaFunction

    if _original_invoke is not None:
        return
    _original_invoke = LambdaFunction.invoke

    def invoke(self: Any, body: Any, request_headers: Any, response_headers: Any) -> str | bytes:
        return invoke_function(self, body, request_headers, response_headers)

    LambdaFunction.invoke = invoke  # type: ignore[method-assign]
    atexit.register(shutdown)


def uninstall() -> None:
    """Restores moto's own ``LambdaFunction.invoke`` and shuts the workers down."""
    global _original_invoke
    from moto.awslambda.models import LambdaFunction

    if _original_invoke is not None:
        LambdaFunction.invoke = _original_invoke  # type: ignore[method-assign]
        _original_invoke = None
    shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Lambda executor utilities.")
    parser.add_argument(
        "--prepare-runtime",
        metavar="DIR",
        nargs="?",
        const=str(DEFAULT_RUNTIME_DIR),
        help="build the runtime dir (boto3) handlers see, like Lambda's /var/runtime",
    )
    parser.add_argument("--find-interpreter", metavar="RUNTIME", help="print the interpreter for a runtime")
    args = parser.parse_args(argv)
    try:
        if args.prepare_runtime:
            print(ensure_runtime(args.prepare_runtime))
        if args.find_interpreter:
            print(find_interpreter(args.find_interpreter))
    except ExecutorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
