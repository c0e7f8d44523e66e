"""What one run on a local stack wrote and used (issue 17 item 8): DynamoDB write units, the bytes of the
Parquet (and raw) objects it wrote, Lambda invocations and each function's peak memory.

The write units come from the local AWS's request meter (movers.local.meter: one per item written, as
DynamoDB bills an item under 1 KB, two per item of a transaction), also per table and per "table, item
kind, operation, outcome" (a failed conditional write is billed too). The meter is reset when the
measurement starts, so a bench stack must run nothing else meanwhile. Object bytes are the objects under
`curated/` and `raw/` that are new or changed between the start and the end (S3 listings compared by key
and ETag). The peak memory is the largest "Max Memory Used" of each function's REPORT lines in CloudWatch
Logs since the start (the local executor reads it from the worker's VmHWM, as Lambda reports it).
"""

from __future__ import annotations

import time
from typing import Any

from movers.cli.cost import (
    function_log_events,
    meter_counts,
    peak_memory_mb,
    read_meter,
    report_usage,
    write_units,
)

PREFIXES = ("curated/", "raw/")


def _listing(stack: Any, prefix: str) -> dict[str, tuple[str, int]]:
    s3, bucket = stack.client("s3"), stack.outputs["bucket_name"]
    objects: dict[str, tuple[str, int]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            objects[o["Key"]] = (o["ETag"], o["Size"])
    return objects


class Footprint:
    """Measures the run(s) between `start()` and `figures()` on `stack` (a movers.local.stack.LocalStack)."""

    def __init__(self, stack: Any) -> None:
        self.stack = stack
        self.since_ms = 0
        self.before: dict[str, dict[str, tuple[str, int]]] = {}

    def start(self) -> Footprint:
        self.since_ms = int(time.time() * 1000) - 1000
        self.before = {p: _listing(self.stack, p) for p in PREFIXES}
        read_meter(self.stack.aws.endpoint, reset=True)
        return self

    def figures(self, settle_s: float = 1.0) -> dict[str, Any]:
        time.sleep(settle_s)  # the last REPORT lines reach the log groups
        snapshot = read_meter(self.stack.aws.endpoint)
        counts = meter_counts(snapshot)
        writes = write_units(snapshot, self.stack.outputs["name_prefix"])
        written = {}
        for prefix in PREFIXES:
            after = _listing(self.stack, prefix)
            written[prefix] = [v for k, v in after.items() if self.before[prefix].get(k) != v]
        logs, prefix = self.stack.client("logs"), self.stack.outputs["name_prefix"]
        events = list(function_log_events(logs, prefix, self.since_ms))  # read once for both figures
        peaks = peak_memory_mb(events)
        invocations, _ = report_usage([message for _, message in events if message.startswith("REPORT ")])
        top = max(peaks, key=lambda f: (peaks[f], f), default="")
        return {
            "dynamodb_write_units": int(counts.get("dynamodb.wru", 0)),
            "dynamodb_write_units_by_table": writes["by_table"],
            "dynamodb_writes": writes["detail"],
            "dynamodb_read_units": int(counts.get("dynamodb.rru", 0)),
            "parquet_objects": len(written["curated/"]),
            "parquet_bytes": sum(size for _, size in written["curated/"]),
            "raw_bytes": sum(size for _, size in written["raw/"]),
            "lambda_invocations": int(invocations),
            "peak_lambda_memory_mb": peaks.get(top, 0),
            "peak_lambda_memory_at": top.removeprefix(f"{prefix}-"),
        }
