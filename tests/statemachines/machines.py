"""The backfill, daily-analysis and reconcile machines as the mock-config tests create them, and the mock
configuration.

The machines are rendered from ``statemachines/*.asl.json`` as the Terraform module does
(tests/support/asl.py), with placeholder resources: every Task state is mocked in every test case, so none is
ever called.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from movers.local.server import ACCOUNT_ID, REGION
from tests.support import asl

ROOT = Path(__file__).resolve().parents[2]
MOCK_CONFIG = Path(__file__).resolve().parent / "mock-config.json"
# Mock-config state machine name -> the template it is created from.
MACHINES = {
    "Backfill": ROOT / "statemachines" / "backfill.asl.json",
    "DailyAnalysis": ROOT / "statemachines" / "daily_analysis.asl.json",
    "Reconcile": ROOT / "statemachines" / "reconcile.asl.json",
}
ROLE = f"arn:aws:iam::{ACCOUNT_ID}:role/stock-movers-mock-config"


def render(template: Path) -> str:
    """The definition the Terraform module would deploy, with placeholder resources.

    A text placeholder is a resource (``*_arn``: a Lambda function, or an SNS topic when the name says so)
    or a name; a number placeholder (``MaxConcurrency``) is 2. Mocked states never call the resources.
    """

    texts, numbers = asl.terraform_inputs(template)
    values = {n: asl.placeholder_value(n, "stock-movers-mock", REGION, ACCOUNT_ID) for n in texts}
    return asl.render(template.read_text(), values, dict.fromkeys(numbers, 2))


def machine(name: str) -> dict[str, Any]:
    """The rendered definition of a mock-config state machine, parsed."""
    return dict(json.loads(render(MACHINES[name])))


def mock_config() -> dict[str, Any]:
    return dict(json.loads(MOCK_CONFIG.read_text()))
