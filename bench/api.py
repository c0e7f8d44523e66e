"""Read-API benchmark: cold start (import plus the first request), warm GET /movers latency, zip size.

``run(url, aws_endpoint=..., table_name=...)`` measures against a running API base URL (e.g. the local
gateway's ``http://127.0.0.1:P/v1``) and the local AWS behind it:

- ``cold_start_ms``: median of 5 fresh ``python -I -S`` processes that import ``app`` with only the function
  zip, its layers and the runtime's boto3 on ``sys.path`` (as Lambda's init phase does) and then handle one
  ``GET /movers`` against the local AWS: the API loads boto3 only at its first DynamoDB call, so a cold
  start pays ~145 ms more than its import, and this figure counts it. Without an endpoint it is not measured;
- ``cold_import_ms``: the import alone, as built (the zips carry bytecode), and
  ``cold_import_precompiled_ms`` after compiling whatever the zips left uncompiled;
- ``warm_p50_ms`` / ``warm_p99_ms``: 200 sequential ``GET /movers`` after 10 warm-up requests;
- ``zip_bytes``: size of the API function zip (``build/dist/functions/api.zip``, or one built from the tree).

``python -m bench.api [URL]`` prints the figures as JSON; without a URL it starts the local stack itself.
"""

from __future__ import annotations

import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "build" / "dist"
COLD_RUNS = 5
WARM_REQUESTS = 200
WARMUP_REQUESTS = 10
# A budget, reported beside the figure (not asserted): Lambda init of our module should stay small.
COLD_IMPORT_TARGET_MS = 250.0

_IMPORT_SCRIPT = """
import sys, time
sys.path[:0] = {paths!r}
start = time.perf_counter()
import app  # the handler module, as Lambda imports it
elapsed = time.perf_counter() - start
heavy = sorted(m for m in ("boto3", "botocore", "pyarrow", "aws_xray_sdk") if m in sys.modules)
print(elapsed * 1000.0, ",".join(heavy))
"""

# Import, then one GET /movers through the handler, as the first request after a cold start.
_FIRST_REQUEST_SCRIPT = """
import sys, time
sys.path[:0] = {paths!r}
start = time.perf_counter()
import app
imported = time.perf_counter()


class Context:
    function_name = "movers-api"
    memory_limit_in_mb = 256
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:movers-api"
    aws_request_id = "bench-cold"

    @staticmethod
    def get_remaining_time_in_millis():
        return 10000


response = app.handler({event!r}, Context())
done = time.perf_counter()
assert response["statusCode"] == 200, response
print((imported - start) * 1000.0, (done - start) * 1000.0)
"""


def _get_movers_event() -> dict[str, Any]:
    """A REST proxy event (payload 1.0) for GET /movers, as API Gateway sends it."""
    return {
        "resource": "/movers",
        "path": "/movers",
        "httpMethod": "GET",
        "headers": {"Accept": "application/json"},
        "multiValueHeaders": {"Accept": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "requestId": "bench-cold",
            "stage": "v1",
            "path": "/v1/movers",
            "httpMethod": "GET",
            "resourcePath": "/movers",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def _function_zip() -> bytes:
    built = DIST / "functions" / "api.zip"
    if built.is_file():
        return built.read_bytes()
    sys.path.insert(0, str(REPO))
    from movers.local.api_stack import function_zip

    return function_zip()


def _layer_zips() -> list[bytes]:
    sys.path.insert(0, str(REPO))
    from movers.local.api_stack import layer_zips

    return [content for _name, content in layer_zips()]


def cold_import_ms(
    runs: int = COLD_RUNS, aws_endpoint: str | None = None, table_name: str | None = None
) -> dict[str, Any]:
    """Median wall time of importing the handler module in fresh interpreters (only zip + layers on path),
    and, given the local AWS and the table, of import plus the first request (runtime boto3 on the path)."""
    with tempfile.TemporaryDirectory(prefix="bench-api-") as tmp:
        root = Path(tmp)
        task = root / "task"
        zipfile.ZipFile(io.BytesIO(_function_zip())).extractall(task)
        layer_paths = []
        for index, content in enumerate(_layer_zips()):
            target = root / f"layer{index}"
            zipfile.ZipFile(io.BytesIO(content)).extractall(target)
            layer_paths.append(str(target / "python"))
        # Later layers shadow earlier ones, as in the local executor and Lambda's /opt merge.
        paths = [str(task), *reversed(layer_paths)]
        script = _IMPORT_SCRIPT.format(paths=paths)
        env = {"POWERTOOLS_TRACE_DISABLED": "true", "TABLE_NAME": "bench", "PATH": "/usr/bin:/bin"}

        def measure() -> tuple[list[float], str]:
            samples: list[float] = []
            heavy = ""
            for _ in range(runs):
                out = subprocess.run(
                    [sys.executable, "-I", "-S", "-B", "-c", script],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env,
                    timeout=60,
                ).stdout.split()
                samples.append(float(out[0]))
                heavy = out[1] if len(out) > 1 else ""
            return samples, heavy

        first: list[float] = []
        if aws_endpoint and table_name:
            from movers.local.executor import runtime_dir

            script_first = _FIRST_REQUEST_SCRIPT.format(
                paths=[*paths, str(runtime_dir())], event=_get_movers_event()
            )
            env_first = {
                **env,
                "TABLE_NAME": table_name,
                "AWS_ENDPOINT_URL": aws_endpoint,
                "AWS_ACCESS_KEY_ID": "bench",
                "AWS_SECRET_ACCESS_KEY": "bench",
                "AWS_REGION": "us-east-1",
                "AWS_DEFAULT_REGION": "us-east-1",
            }
            for _ in range(runs):
                out = subprocess.run(
                    [sys.executable, "-I", "-S", "-B", "-c", script_first],
                    capture_output=True,
                    text=True,
                    check=True,
                    env=env_first,
                    timeout=60,
                ).stdout.split()
                first.append(float(out[1]))
        # As built: /opt and /var/task are read-only on Lambda, so whatever the zips do not carry as
        # bytecode is compiled on every cold start. Then with everything compiled beforehand.
        as_built, heavy = measure()
        compileall = [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
        ]
        subprocess.run(
            [*compileall, tmp],
            check=True,
            capture_output=True,
            timeout=300,
        )
        compiled, _ = measure()
    cold_start = {"cold_start_ms": round(statistics.median(first), 1)} if first else {}
    return {
        **cold_start,
        "cold_import_ms": round(statistics.median(as_built), 1),
        "cold_import_samples_ms": [round(s, 1) for s in as_built],
        "cold_import_precompiled_ms": round(statistics.median(compiled), 1),
        "cold_import_target_ms": COLD_IMPORT_TARGET_MS,
        "heavy_modules_at_import": heavy.split(",") if heavy else [],
    }


def warm_latency(api_url: str, requests: int = WARM_REQUESTS) -> dict[str, Any]:
    """p50/p99 of sequential GET /movers through the gateway (bounded count, one connection per request)."""
    if not api_url.startswith(("http://", "https://")):
        raise ValueError(f"api_url must be an http(s) URL, got {api_url!r}")
    url = api_url.rstrip("/") + "/movers"
    for _ in range(WARMUP_REQUESTS):
        urllib.request.urlopen(url, timeout=30).read()  # noqa: S310 - http(s) checked above
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - http(s) checked above
            response.read()
            if response.status != 200:
                raise RuntimeError(f"GET /movers answered {response.status}")
        samples.append((time.perf_counter() - start) * 1000.0)
    samples.sort()
    return {
        "warm_requests": requests,
        "warm_p50_ms": round(statistics.median(samples), 2),
        "warm_p99_ms": round(samples[min(len(samples) - 1, int(len(samples) * 0.99))], 2),
        "warm_max_ms": round(samples[-1], 2),
    }


def run(url: str, aws_endpoint: str | None = None, table_name: str | None = None) -> dict[str, Any]:
    """All read-API figures against a running API base URL (the stage URL, ending in /v1); the cold start
    with its first request needs the local AWS endpoint and table behind it."""
    zip_bytes = len(_function_zip())
    cold = cold_import_ms(aws_endpoint=aws_endpoint, table_name=table_name)
    return {"api_url": url, **cold, **warm_latency(url), "zip_bytes": zip_bytes}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        print(json.dumps(run(args[0]), indent=2))
        return 0
    sys.path.insert(0, str(REPO))
    from movers.local.api_stack import ApiStack

    stack = ApiStack().start()
    try:
        print(json.dumps(run(stack.api_url, stack.aws_endpoint, stack.table_name), indent=2))
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
