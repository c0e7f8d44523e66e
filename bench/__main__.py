"""`make bench`: every benchmark, printed with its ratio to the theoretical limit or a baseline, and written
to bench/results.json (each run appended to bench/history.jsonl) so runs can be compared.

Figures come from: bench/packaging.py (every artifact's size against Lambda's limits), bench/localaws.py
(start, invoke overhead), bench/market.py (market server throughput), bench/ingest.py (daily run vs the
rate-limit floor, both strategies; it starts the Terraform stack, which also serves bench/api.py, whose cold
start includes the first request), and bench/backfill.py / bench/analysis.py / bench/chaos.py (the chaos
suite with N >= 200 on its own stack, docs/chaos.md), bench/state_payload.py (500-ticker runs' largest state),
bench/fanout.py (the Distributed Map at 500 and 2,000 tickers, a whole-market run over 10,000 tickers and
the analysis of 500 tickers over a stored year, each with its footprint) and bench/analysis_scale.py (the
batched analysis over 500 tickers) when present.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results.json"
HISTORY = ROOT / "bench" / "history.jsonl"


def _section(name: str, fn: Any, *args: Any) -> dict[str, Any]:
    print(f"\n== {name}", flush=True)
    try:
        figures = dict(fn(*args))
    except Exception as exc:  # one failing benchmark must not hide the others' figures
        traceback.print_exc()
        figures = {"error": f"{type(exc).__name__}: {exc}"}
    for key, value in figures.items():
        print(f"  {key:<52} {value}")
    return {f"{name}.{k}": v for k, v in figures.items()}


def main() -> int:
    from bench import ingest, localaws, market, packaging
    from movers.local.apigw import LocalApiGateway
    from movers.local.stack import LocalStack

    results: dict[str, Any] = {"when": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    results |= _section("packaging", packaging.run)
    results |= _section("localaws", localaws.run)
    results |= _section("market", market.run)

    work = Path(tempfile.mkdtemp(prefix="movers-bench-"))
    stack = LocalStack(work_dir=work, market_rate_limit=(ingest.CALLS, ingest.PERIOD))
    try:
        stack.start()
        results |= _section("ingest", ingest.run, stack)
        assert stack.aws is not None
        gateway = LocalApiGateway(stack.outputs["api_function_alias_arn"], stack.aws.endpoint, port=0)
        url = gateway.start()
        try:
            from bench import api

            table = stack.outputs["table_name"]
            results |= _section("api", api.run, f"{url}/v1", stack.aws.endpoint, table)
        finally:
            gateway.stop()
    finally:
        stack.stop()

    # issue 17's scale figures: 500-ticker state and payloads (both strategies); the Distributed Map's 500-
    # and 2,000-ticker per-ticker runs, a whole-market run and the analysis of 500 tickers x 1 year, side by
    # side on one stack; and the batched analysis over 500 tickers in process
    for optional in ("backfill", "analysis", "chaos", "state_payload", "fanout", "analysis_scale"):
        try:
            module = importlib.import_module(f"bench.{optional}")
        except ModuleNotFoundError:
            continue
        results |= _section(optional, module.run)

    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    with HISTORY.open("a") as f:
        f.write(json.dumps(results) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)} (history: {HISTORY.relative_to(ROOT)})")
    return 1 if any(k.endswith(".error") for k in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
