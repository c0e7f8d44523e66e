"""Read-API benchmark: cold import of the handler module, warm GET /movers latency, zip size.

``run(url)`` measures against a running API base URL (e.g. the local gateway's ``http://127.0.0.1:P/v1``):

- ``cold_import_ms``: median of 5 fresh ``python -I -S`` processes importing ``app`` with only the function
  zip and its layers on ``sys.path`` (what Lambda's init phase pays for our code, without the runtime), as
  built (no bytecode in the zips), and ``cold_import_precompiled_ms`` with bytecode compiled beforehand;
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


def _function_zip() -> bytes:
    built = DIST / "functions" / "api.zip"
    if built.is_file():
        return built.read_bytes()
    sys.path.insert(0, str(REPO))
    from tests.browser.stack import function_zip

    return function_zip()


def _layer_zips() -> list[bytes]:
    sys.path.insert(0, str(REPO))
    from tests.browser.stack import layer_zips

    return [content for _name, content in layer_zips()]


def cold_import_ms(runs: int = COLD_RUNS) -> dict[str, Any]:
    """Median wall time of importing the handler module in fresh interpreters (only zip + layers on path)."""
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

        # As built: the zips carry no bytecode and /opt is read-only on Lambda, so every cold start
        # compiles the sources it imports. Then with bytecode compiled once (what precompiled layers give).
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
    return {
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


def run(url: str) -> dict[str, Any]:
    """All read-API figures against a running API base URL (the stage URL, ending in /v1)."""
    zip_bytes = len(_function_zip())
    return {"api_url": url, **cold_import_ms(), **warm_latency(url), "zip_bytes": zip_bytes}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        print(json.dumps(run(args[0]), indent=2))
        return 0
    sys.path.insert(0, str(REPO))
    from tests.browser.stack import ApiStack

    stack = ApiStack().start()
    try:
        print(json.dumps(run(stack.api_url), indent=2))
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
