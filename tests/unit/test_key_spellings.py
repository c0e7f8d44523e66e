"""The main table's key schema and the execution names are spelt in one place each.

The key schema lives in stock_movers.adapters.storage (its builders), the names in
stock_movers.execution_names; statemachines/*.asl.json spell the keys of their DynamoDB integrations, which
tests/unit/test_table_adapter.py checks against the builders. Everything else builds keys and names with
them, so this test fails on any other spelling in a Python file of the repository.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Where a spelling is the definition, or a test that pins it (the contract's keys, the names' format).
ALLOWED = {
    "layers/shared/python/stock_movers/adapters/storage.py",  # the key schema
    "layers/shared/python/stock_movers/execution_names.py",  # the execution names
    "tests/unit/test_table_adapter.py",  # pins the key builders to the design contract
    "tests/unit/test_daily_attempts.py",  # pins the daily names
    "tests/unit/test_backfill_plan.py",  # pins the backfill and heal names
    "tests/unit/test_healing.py",  # pins the heal name a decision carries
    "tests/unit/test_audit_record.py",  # pins the audit record's key
    "tests/unit/test_key_spellings.py",  # this test's own patterns
}

SPELLINGS = {
    "a main-table partition key": re.compile(
        r"""["'](MOVERS|ANALYSIS)["']|TICKER#|ANALYSIS#|AUDIT#|PUSHED#"""
    ),
    "an execution name": re.compile(
        r"""\b(daily|daily-market|backfill|heal|catchup)-(\{|\d{4}-\d\d-\d\d)|["'](daily|daily-market|backfill|heal|catchup)-["']"""
    ),
}


def python_files() -> list[str]:
    """Every Python file git knows of here (tracked, or new and not ignored)."""
    out = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return sorted({line for line in out.splitlines() if (ROOT / line).is_file()})


def offenders(files: list[str]) -> list[str]:
    found = []
    for rel in files:
        if rel in ALLOWED:
            continue
        for number, line in enumerate((ROOT / rel).read_text(encoding="utf-8").splitlines(), 1):
            for what, pattern in SPELLINGS.items():
                if pattern.search(line):
                    found.append(f"{rel}:{number}: {what} spelt out: {line.strip()[:100]}")
    return found


def test_key_schema_and_execution_names_are_spelt_only_where_they_are_defined() -> None:
    files = python_files()
    # The scan sees the code it guards (not an empty or wrong tree)
    assert {"functions/staleness_check/app.py", "movers/cli/runs.py", "tests/support/localstack.py"} <= set(
        files
    )
    assert offenders(files) == []


def test_the_patterns_catch_each_spelling(tmp_path: Path) -> None:
    # Given lines that spell keys and names by hand, Then each is caught; and ordinary words are not
    caught = [
        'Key={"pk": {"S": "MOVERS"}}',
        "pk = f'TICKER#{t}'",
        '":pk": {"S": "ANALYSIS"}',
        'CLAIM = "ANALYSIS#CLAIM"',
        'p = "AUDIT#" + day',
        'name = f"daily-{day}"',
        'name = f"daily-market-{day}"',
        'assert n == "daily-market-2026-11-20-retry-1"',
        'stack.run("ingest", "daily-2025-01-02", {})',
        '"executionName": "daily-" + day',
        'f"backfill-{a}-{b}"',
        'f"catchup-{d}"',
    ]
    fine = ["the daily-analysis machine", "MOVERS_LOCAL=1", "`movers` CLI", "daily-bar dataset", "heal-ing",
            'mkdtemp(prefix="movers-bench-backfill-")']  # fmt: skip
    for line in caught:
        assert any(p.search(line) for p in SPELLINGS.values()), line
    for line in fine:
        assert not any(p.search(line) for p in SPELLINGS.values()), line
