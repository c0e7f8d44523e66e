"""The backfill and daily-analysis machines as the mock-config tests create them, and the mock configuration.

The machines are rendered from ``statemachines/*.asl.json`` as Terraform's templatefile() would, with
placeholder resources: every Task state is mocked in every test case, so none is ever called.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from movers.local.server import ACCOUNT_ID, REGION

ROOT = Path(__file__).resolve().parents[2]
MOCK_CONFIG = Path(__file__).resolve().parent / "mock-config.json"
# Mock-config state machine name -> the template it is created from.
MACHINES = {
    "Backfill": ROOT / "statemachines" / "backfill.asl.json",
    "DailyAnalysis": ROOT / "statemachines" / "daily_analysis.asl.json",
}
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/stock-movers-mock-config"
_PLACEHOLDER = re.compile(r'"\$\{([a-z0-9_]+)\}"|\$\{([a-z0-9_]+)\}')


def render(template: Path) -> str:
    """The definition Terraform's templatefile() would produce, with placeholder resources.

    A placeholder inside quotes is a resource (``*_arn``: a Lambda function, or an SNS topic when the name
    says so) or a name; a bare one is a number (``MaxConcurrency``). Mocked states never call them.
    """

    def value(match: re.Match[str]) -> str:
        quoted, bare = match.groups()
        if bare:
            return "2"
        if "topic" in quoted:
            return json.dumps(f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:stock-movers-mock-{quoted}")
        if quoted.endswith("_arn"):
            return json.dumps(
                f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:stock-movers-mock-{quoted[:-4]}"
            )
        return json.dumps(f"stock-movers-mock-{quoted}")

    return _PLACEHOLDER.sub(value, template.read_text())


def machine(name: str) -> dict[str, Any]:
    """The rendered definition of a mock-config state machine, parsed."""
    return dict(json.loads(render(MACHINES[name])))


def mock_config() -> dict[str, Any]:
    return dict(json.loads(MOCK_CONFIG.read_text()))
