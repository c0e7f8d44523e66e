"""The whole-market schedule (market_schedule_enabled) with a provider without a grouped-daily endpoint is
refused at plan time by a message naming the variable and the provider that has one; with massive it plans.
operations.tftest.hcl checks the schedule's input and that the refusal is the variable's (expect_failures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infrastructure.conftest import terraform


def plan_market_schedule(tf_init: Path, provider: str) -> tuple[int, str]:
    proc = terraform(
        tf_init, "test", "-no-color", "-test-directory=tests/market_schedule",
        "-var", f"market_provider={provider}",
        check=False,
    )  # fmt: skip
    return proc.returncode, " ".join((proc.stdout + proc.stderr).split())


@pytest.mark.parametrize("provider", ["alphavantage", "tiingo"])
def test_a_market_schedule_without_a_grouped_daily_endpoint_fails_the_plan_naming_the_variable(
    tf_init: Path, provider: str
) -> None:
    # Given market_schedule_enabled with a per-ticker provider, When planned
    code, out = plan_market_schedule(tf_init, provider)
    # Then the plan fails on the variable, saying which provider serves a whole-market run
    assert code != 0
    assert "var.market_schedule_enabled" in out, out[-3000:]
    assert (
        "market_schedule_enabled needs a market_provider with a grouped-daily (whole-market) endpoint, "
        "which only massive has"
    ) in out, out[-3000:]


def test_a_market_schedule_with_massive_plans(tf_init: Path) -> None:
    # Given the same configuration with massive (the comparison above must be able to pass)
    code, out = plan_market_schedule(tf_init, "massive")
    assert code == 0, out[-3000:]
