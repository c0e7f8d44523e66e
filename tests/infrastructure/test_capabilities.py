"""Terraform's provider capability table (plan-time refusal of a fetch strategy the provider cannot serve)
equals the Python adapters' `capabilities` (the run's input validation)."""

from __future__ import annotations

import json
from pathlib import Path

from stock_movers.providers.capabilities import capability_table
from tests.infrastructure.conftest import terraform


def run_capabilities_test(tf_init: Path, table: dict[str, list[str]]) -> tuple[int, str]:
    proc = terraform(
        tf_init, "test", "-no-color", "-test-directory=tests/capabilities",
        "-var", f"python_fetch_strategies={json.dumps(table)}", check=False,
    )  # fmt: skip
    return proc.returncode, proc.stdout + proc.stderr


def test_terraform_fetch_strategies_equal_the_python_capabilities(tf_init: Path) -> None:
    # Given the fetch strategies each Python adapter serves
    python = {name: list(caps["strategies"]) for name, caps in capability_table().items()}
    assert python["massive"] == ["per_ticker", "push", "snapshot"]
    # When Terraform's table is compared with it, Then they are equal
    code, out = run_capabilities_test(tf_init, python)
    assert code == 0, out[-3000:]


def test_the_comparison_fails_on_a_difference(tf_init: Path) -> None:
    # Given a table that claims tiingo serves snapshot (the comparison must be able to fail)
    python = {name: list(caps["strategies"]) for name, caps in capability_table().items()}
    wrong = {**python, "tiingo": ["per_ticker", "snapshot"]}
    # When compared, Then the Terraform test fails naming the table
    code, out = run_capabilities_test(tf_init, wrong)
    assert code != 0
    assert "must equal the Python adapters' capabilities" in out
