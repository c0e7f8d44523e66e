"""Lambda worker bootstrap: runs one function's handler warm, like the Lambda Python runtime.

The executor starts this file as a script with ``python -I -S lambda_worker.py`` (isolated: no user site,
no venv site-packages) and an environment built from scratch. It must therefore import nothing outside the
standard library until it has set ``sys.path`` from ``MOVERS_WORKER_PATH`` (task root, layers, runtime).

Protocol (one JSON object per line): the executor writes a request ``{"request_id", "event",
"deadline_ms", "invoked_arn"}`` on stdin; the worker answers on its original stdout with
``{"ok": true, "payload": "<json text>"}`` or ``{"ok": false, "error": {...Lambda error payload...},
"fatal": bool}``. While a handler runs, file descriptors 1 and 2 point at the worker's log file (the
executor reads it after each invoke and ships it to CloudWatch Logs), so prints, ``logging`` handlers and
C-level writes are all captured, as on Lambda. A fatal answer (init failed) makes the worker exit so the next
invoke re-runs init, which is what Lambda does after an init error.
"""

import decimal
import importlib
import json
import logging
import os
import sys
import threading
import time
import traceback

# sys.path as Lambda builds it: /var/task, then the layers, then the runtime (boto3), then the stdlib.
_STDLIB = [p for p in sys.path if p and not p.endswith("lambda_worker.py") and "site-packages" not in p]
sys.path[:] = [p for p in os.environ.pop("MOVERS_WORKER_PATH", "").split(os.pathsep) if p] + _STDLIB
_LOG_FILE = os.environ.pop("MOVERS_WORKER_LOG")
CRASH_EXIT_STATUS = 137  # what a SIGKILLed process reports


class LambdaContext:
    """The attributes and method of the Lambda Python runtime's context object that handlers use."""

    def __init__(self, request_id: str, invoked_arn: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.invoked_function_arn = invoked_arn
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"]
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


class _RequestIdFilter(logging.Filter):
    """Adds the current request id to root-logger records, as the Lambda runtime's log handler does."""

    request_id = ""

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _install_root_logging() -> _RequestIdFilter:
    # The Lambda Python runtime puts this handler and format on the root logger.
    request_filter = _RequestIdFilter()
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.formatter.converter = time.gmtime  # type: ignore[union-attr]
    handler.addFilter(request_filter)
    logging.getLogger().addHandler(handler)
    return request_filter


def _decimal_serializer(o: object) -> float:
    # Same default as the Lambda runtime's marshaller: Decimals become JSON numbers.
    if isinstance(o, decimal.Decimal):
        return float(o)
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def _error(error_type: str, message: str, request_id: str, stack: list[str] | None = None) -> dict:
    return {
        "errorMessage": message,
        "errorType": error_type,
        "requestId": request_id,
        "stackTrace": stack or [],
    }


def _load_handler(spec: str, request_id: str) -> tuple[object | None, dict | None]:
    """Imports ``module.attr`` from the handler setting; returns (handler, None) or (None, error payload)."""
    module_name, _, attr = spec.rpartition(".")
    if not module_name:
        return None, _error(
            "Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values to unpack", ""
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as exc:  # everything an import can raise is reported, like the runtime does
        return None, _error(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}", ""
        )
    handler = getattr(module, attr, None)
    if handler is None:
        return None, _error(
            "Runtime.HandlerNotFound", f"Handler '{attr}' missing on module '{module_name}'", ""
        )
    return handler, None


def _redirect_output(log_fd: int) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)


def main() -> None:
    # Keep the protocol channels on private descriptors; fds 0/1/2 become /dev/null and the log file.
    proto_in = os.fdopen(os.dup(0), "r", encoding="utf-8")
    proto_out = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    log_fd = os.open(_LOG_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    _redirect_output(log_fd)
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    sys.stderr.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    request_filter = _install_root_logging()
    handler = None
    for line in proto_in:
        request = json.loads(line)
        request_id = request["request_id"]
        request_filter.request_id = request_id
        # A fresh log for this invoke (the executor has read the previous one).
        os.ftruncate(log_fd, 0)
        os.lseek(log_fd, 0, os.SEEK_SET)
        answer: dict
        init_ms = None
        if handler is None:
            init_started = time.monotonic()
            handler, init_error = _load_handler(os.environ["_HANDLER"], request_id)
            init_ms = (time.monotonic() - init_started) * 1000
            if init_error is not None:
                sys.stdout.flush()
                sys.stderr.flush()
                proto_out.write(json.dumps({"ok": False, "error": init_error, "fatal": True}) + "\n")
                proto_out.flush()
                return
            # Init is done: the executor starts the function's timeout now (Lambda times the Init phase on
            # its own, 10 s at most), and so does the context's deadline.
            proto_out.write(json.dumps({"init": True}) + "\n")
            proto_out.flush()
            request["deadline_ms"] = int(time.time() * 1000) + int(request["timeout_ms"])
        context = LambdaContext(request_id, request["invoked_arn"], request["deadline_ms"])
        crash_after_ms = request.get("crash_after_ms")
        if crash_after_ms is not None:
            # Fault injection (movers.local.faults): the process dies mid-handler, like a sandbox crash.
            timer = threading.Timer(crash_after_ms / 1000, os._exit, (CRASH_EXIT_STATUS,))
            timer.daemon = True
            timer.start()
        try:
            event = json.loads(request["event"])
            result = handler(event, context)  # type: ignore[operator]
            try:
                payload = json.dumps(result, default=_decimal_serializer)
                answer = {"ok": True, "payload": payload}
            except (TypeError, ValueError) as exc:
                answer = {
                    "ok": False,
                    "error": _error("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id),
                }
        except Exception as exc:
            stack = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
            answer = {"ok": False, "error": _error(type(exc).__name__, str(exc), request_id, stack)}
            # The runtime prints the error record to the function's log too.
            print(
                f"[ERROR] {type(exc).__name__}: {exc}\nTraceback (most recent call last):\n{''.join(stack)}"
            )
        sys.stdout.flush()
        sys.stderr.flush()
        answer["init_ms"] = init_ms
        if crash_after_ms is not None:
            os._exit(CRASH_EXIT_STATUS)  # the handler beat the timer: die before answering all the same
        proto_out.write(json.dumps(answer) + "\n")
        proto_out.flush()


if __name__ == "__main__":
    main()
