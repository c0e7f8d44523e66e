"""Measurement: the ingest state machine's largest state payload, transitions and history events at 500
tickers, for both fetch strategies, on a local stack of its own (issue 17 item 2).

The stack's market server serves a generated SYNTHETIC universe (movers/market/universe.py) of 700 tickers
without a rate limit, and the stack's shared limiter is deployed wide (`rate_limit_calls`), so the figures
are the state machine's, not the quota's. Each run names 500 of the universe's grouped-daily tickers (OTC
symbols are not in Massive's grouped answer) in its input. The largest payload is the largest state input,
output or task parameters in the execution history, in UTF-8 bytes: what Step Functions' 256 KB counts.
Run `python bench/state_payload.py` to print the figures as JSON (about 3 minutes; `make bench` runs it too).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from movers.local.stack import LocalStack
from stock_movers.adapters.workflows import Workflows

TICKERS = 500
LIMIT = 256 * 1024


def largest_payload(history: list[dict[str, Any]]) -> tuple[int, str]:
    """The largest state input/output/parameters of a history (UTF-8 bytes) and the state it belongs to."""
    best, where, state = 0, "", ""
    for event in history:
        for key, details in event.items():
            if not (key.endswith("EventDetails") and isinstance(details, dict)):
                continue
            state = str(details.get("name", state))
            for field in ("input", "output", "parameters"):
                size = len(str(details.get(field, "")).encode())
                if size > best:
                    best, where = size, f"{state} {field}"
    return best, where


def _strategy(stack: LocalStack, strategy: str) -> None:
    lam = stack.client("lambda")
    name = stack.outputs["function_names"]["validate_input"]
    env = lam.get_function_configuration(FunctionName=name)["Environment"]["Variables"]
    stack.release_function(name, Environment={"Variables": {**env, "FETCH_STRATEGY": strategy}})


def _run(stack: LocalStack, name: str, payload: dict[str, Any]) -> dict[str, Any]:
    workflows = Workflows(stack.client("stepfunctions"))
    assert stack.market is not None
    before = stack.market.stats()["total"]
    started = time.monotonic()
    arn = workflows.start(stack.outputs["ingest_state_machine_arn"], name, payload).execution_arn
    desc = workflows.wait(arn, timeout=1800.0, poll=0.2)
    wall = time.monotonic() - started
    history = workflows.history(arn)
    largest, where = largest_payload(history)
    return {
        "status": desc["status"],
        "wall_s": round(wall, 1),
        "provider_calls": stack.market.stats()["total"] - before,
        "transitions": sum(1 for e in history if "stateEnteredEventDetails" in e),
        "history_events": len(history),
        "largest_state_bytes": largest,
        "largest_state_at": where,
        "largest_vs_limit": round(largest / LIMIT, 4),
    }


def run() -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="movers-state-"))
    variables = {"rate_limit_calls": 10_000, "rate_limit_period_seconds": 1, "map_max_concurrency": 10}
    stack = LocalStack(work_dir=work, market_rate_limit=None, market_universe=700, variables=variables)
    stack.start()
    try:
        assert stack.market is not None
        universe: Any = stack.market.dataset
        tickers = [t for t in universe.tickers if not universe.is_otc(t)][:TICKERS]
        figures: dict[str, Any] = {"tickers": len(tickers)}
        _strategy(stack, "snapshot")
        snap = _run(stack, "state-snapshot-500", {"date": "2026-11-19", "tickers": tickers})
        _strategy(stack, "per_ticker")
        per = _run(stack, "state-per-ticker-500", {"date": "2026-11-20", "tickers": tickers})
        figures.update({f"snapshot_{k}": v for k, v in snap.items()})
        figures.update({f"per_ticker_{k}": v for k, v in per.items()})
        return figures
    finally:
        stack.stop()


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
