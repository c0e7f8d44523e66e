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

The parts: :mod:`movers.local.runtime` (interpreter, runtime dir, code extraction, run spec),
:mod:`movers.local.worker_pool` (warm workers and the executor) and :mod:`movers.local.compat.lambda_hook`
(the moto hook, beside the other moto fixes). This module re-exports them and is the CLI
(``python -m movers.local.executor --prepare-runtime DIR``).
"""

from __future__ import annotations

import argparse
import sys

from movers.local.compat.lambda_hook import (
    RESPONSE_MAX_BYTES,
    install,
    invoke_function,
    limit_response,
    ship_logs,
    spec_for,
    uninstall,
)
from movers.local.runtime import (
    DEFAULT_CACHE_DIR,
    DEFAULT_RUNTIME_DIR,
    REPO_ROOT,
    ExecutorError,
    FunctionSpec,
    InvokeResult,
    ensure_runtime,
    extract_zip,
    find_interpreter,
    runtime_dir,
)
from movers.local.worker_pool import (
    DEFAULT_MAX_WORKERS,
    WORKER_SCRIPT,
    Executor,
    Worker,
    WorkerPool,
    get_executor,
    shutdown,
)

__all__ = [
    "DEFAULT_CACHE_DIR",
    "DEFAULT_MAX_WORKERS",
    "DEFAULT_RUNTIME_DIR",
    "REPO_ROOT",
    "RESPONSE_MAX_BYTES",
    "WORKER_SCRIPT",
    "Executor",
    "ExecutorError",
    "FunctionSpec",
    "InvokeResult",
    "Worker",
    "WorkerPool",
    "ensure_runtime",
    "extract_zip",
    "find_interpreter",
    "get_executor",
    "install",
    "invoke_function",
    "limit_response",
    "main",
    "runtime_dir",
    "ship_logs",
    "shutdown",
    "spec_for",
    "uninstall",
]


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
