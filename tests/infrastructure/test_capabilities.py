"""Terraform's provider capability table (plan-time refusal of a fetch strategy the provider cannot serve)
equals the Python adapters' `capabilities` (the run's input validation)."""

from __future__ import annotations

import json
from pathlib import Path

from stock_movers.providers.capabilities import capability_table
from tests.infrastructure.conftest import terraform


def python_daily_calls() -> dict[str, int]:
    """The adapters' free-plan daily calls, 0 for none (Terraform's table has no nulls)."""
    return {name: int(str(caps["daily_calls"] or 0)) for name, caps in capability_table().items()}


def run_capabilities_test(
    tf_init: Path, table: dict[str, list[str]], daily: dict[str, int] | None = None
) -> tuple[int, str]:
    proc = terraform(
        tf_init, "test", "-no-color", "-test-directory=tests/capabilities",
        "-var", f"python_fetch_strategies={json.dumps(table)}",
        "-var", f"python_daily_calls={json.dumps(python_daily_calls() if daily is None else daily)}",
        check=False,
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


def test_the_comparison_fails_on_a_daily_quota_difference(tf_init: Path) -> None:
    # Given a table that claims Alpha Vantage's free key allows 500 calls a day
    python = {name: list(caps["strategies"]) for name, caps in capability_table().items()}
    assert python_daily_calls() == {"alphavantage": 25, "massive": 0, "tiingo": 1000}
    code, out = run_capabilities_test(tf_init, python, {**python_daily_calls(), "alphavantage": 500})
    # Then the Terraform test fails naming the daily table
    assert code != 0
    assert "must equal the Python adapters' daily_calls" in out
