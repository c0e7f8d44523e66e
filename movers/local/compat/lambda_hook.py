"""The Lambda hook: replaces ``moto.awslambda.models.LambdaFunction.invoke`` (the one method every invoke
path goes through) with :func:`invoke_function`, which runs the function on the local executor and answers
like the Lambda API (payload, ``Unhandled`` function errors, log tail, Lambda's response quota).

Part of the local Lambda executor (:mod:`movers.local.executor`).
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import json
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from movers.local.runtime import ExecutorError, FunctionSpec, InvokeResult, extract_zip
from movers.local.worker_pool import get_executor, shutdown

# Lambda keeps only the last 4 KB of the log in the X-Amz-Log-Result header.
_LOG_TAIL_BYTES = 4096

# Set by movers.local.iam.install: may this function's role write this log stream (fn, group, stream)?
logs_authorizer: Callable[[Any, str, str], bool] | None = None

_original_invoke: Any = None


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
