"""Benchmark of the local AWS: startup time and Lambda invoke overhead (cold and warm).

``run() -> dict`` returns ``{"localaws_start_s", "lambda_invoke_cold_ms",
"lambda_invoke_overhead_ms_median"}``; ``python bench/localaws.py`` prints it as JSON.
"""

from __future__ import annotations

import io
import json
import statistics
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import boto3

from movers.local import executor
from movers.local.server import LocalAws

WARM_INVOKES = 20


def _trivial_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(
            zipfile.ZipInfo("app.py", (2020, 1, 1, 0, 0, 0)),
            "def handler(event, context):\n    return event\n",
        )
    return buf.getvalue()


def _invoke(lam: Any, event: dict[str, Any]) -> None:
    """One invoke that must succeed: a measured error (a refused role, a crash) is no invoke overhead."""
    reply = lam.invoke(FunctionName="bench", Payload=json.dumps(event))
    body = reply["Payload"].read()
    if reply.get("FunctionError") or json.loads(body) != event:
        raise RuntimeError(f"the benchmark function failed: {body[:300]!r}")


def run() -> dict[str, float]:
    """Starts a local AWS, deploys a trivial function, measures one cold and 20 warm invokes."""
    executor.ensure_runtime()
    aws = LocalAws()
    aws.start()
    try:
        kw = {
            "endpoint_url": aws.endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": "bench",
            "aws_secret_access_key": "bench",
        }
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"Service": "lambda.amazonaws.com"}}]}  # fmt: skip
        iam = boto3.client("iam", **kw)
        role = iam.create_role(RoleName="bench", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        lam = boto3.client("lambda", **kw)
        lam.create_function(
            FunctionName="bench",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": _trivial_zip()},
        )
        started = time.perf_counter()
        _invoke(lam, {})
        cold_ms = (time.perf_counter() - started) * 1000
        warm = []
        for i in range(WARM_INVOKES):
            started = time.perf_counter()
            _invoke(lam, {"i": i})
            warm.append((time.perf_counter() - started) * 1000)
    finally:
        aws.stop()
    return {
        "localaws_start_s": round(aws.start_seconds, 3),
        "lambda_invoke_cold_ms": round(cold_ms, 1),
        "lambda_invoke_overhead_ms_median": round(statistics.median(warm), 1),
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
