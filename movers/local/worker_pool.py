"""Warm worker processes: one process per function instance (``lambda_worker.py``), pooled per run spec,
and the process-wide executor that runs an invoke on one of them (timeouts, START/END/REPORT lines).

Part of the local Lambda executor (:mod:`movers.local.executor`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from movers.local.runtime import DEFAULT_CACHE_DIR, FunctionSpec, InvokeResult, find_interpreter, runtime_dir

WORKER_SCRIPT = Path(__file__).with_name("lambda_worker.py")

DEFAULT_MAX_WORKERS = 8

_DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}

# Set by movers.local.iam.install: the worker credentials of a function (its execution role's session).
credentials_provider: Callable[[FunctionSpec], dict[str, str]] | None = None


def _endpoint() -> str:
    return f"http://127.0.0.1:{os.environ.get('MOTO_PORT') or '5000'}"


# Lambda's limit on the Init phase of an on-demand function (its timeout starts after Init).
INIT_LIMIT_S = 10.0


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
            "timeout_ms": int(timeout_s * 1000),
            "invoked_arn": self.spec.function_arn,
        }
        cold = self.invokes == 0
        if crash_after_ms is not None:
            request["crash_after_ms"] = crash_after_ms
        self.invokes += 1
        try:
            self.proc.stdin.write((json.dumps(request) + "\n").encode())
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError):
            return None, self._read_log(), False
        # As on Lambda, a cold worker's Init phase (imports, module-level clients) has its own limit and the
        # function's timeout counts from the end of Init: the worker says when Init is done.
        line = self._read_line(time.monotonic() + (INIT_LIMIT_S if cold else timeout_s))
        if cold and line and json.loads(line).get("init"):
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
        max_rss_mb = _max_rss_mb(worker.proc.pid)
        if answer is not None and max_rss_mb > spec.memory_size:
            # Lambda ends an execution environment whose memory exceeds the function's memory size: the
            # invoke fails with Runtime.OutOfMemory and the next one starts cold. The local worker's peak
            # is read when the handler returns (Lambda stops it at the moment it crosses the limit).
            answer = {"ok": False, "fatal": True, "error": _out_of_memory(request_id)}
        keep = answer is not None and not answer.get("fatal")
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


def _out_of_memory(request_id: str) -> dict[str, str]:
    message = f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
    return {"errorType": "Runtime.OutOfMemory", "errorMessage": message}


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


_executor: Executor | None = None

_executor_lock = threading.Lock()


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
