"""asl-validator (installed by `make asl-validator`, pinned by requirements/asl-validator/package-lock.json)
over each state machine as the Terraform module deploys it: the source rendered with ARN-shaped values and its
numbers as numbers (tests/support/asl.py). The committed source itself is JSON but not yet a definition: its
numbers are still placeholder strings, which the schema rejects (the last test shows the validator does)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.support import asl

VALIDATOR = asl.ROOT / "build" / "tools" / "asl-validator" / "node_modules" / ".bin" / "asl-validator"
IDS = [s.name for s in asl.SOURCES]


@pytest.fixture(scope="module")
def validator() -> Path:
    if not VALIDATOR.exists():
        if os.environ.get("MOVERS_REQUIRE_ASL_VALIDATOR"):
            pytest.fail("asl-validator missing: `make asl-validator` installs it")
        pytest.skip("asl-validator not installed: run `make asl-validator` (make test installs it first)")
    return VALIDATOR


def _value(name: str) -> str:
    value = asl.placeholder_value(name, "stock-movers-dev")
    return f"{value}:live" if value.startswith("arn:aws:lambda:") else value


def _validate(validator: Path, definition: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(validator), "--json-path", str(definition)], capture_output=True, text=True, check=False, timeout=60
    )


@pytest.mark.parametrize("source", asl.SOURCES, ids=IDS)
def test_each_machine_as_deployed_passes_asl_validator(validator: Path, source: Path, tmp_path: Path) -> None:
    # Given the source rendered as the module renders it
    texts, numbers = asl.terraform_inputs(source)
    rendered = tmp_path / source.name
    rendered.write_text(asl.render(source.read_text(), {n: _value(n) for n in texts}, dict.fromkeys(numbers, 6)))
    # When asl-validator checks it (schema, Resource ARNs, JSONPath expressions)
    proc = _validate(validator, rendered)
    # Then it is valid
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "is valid" in proc.stdout


def test_the_validator_rejects_a_number_left_as_a_string(validator: Path) -> None:
    # Given a committed source, whose MaxConcurrency is still a placeholder string
    source = asl.ROOT / "statemachines" / "backfill.asl.json"
    # When it is validated unrendered, Then the schema's "must be number" fails it
    proc = _validate(validator, source)
    assert proc.returncode != 0
    assert "MaxConcurrency" in proc.stdout + proc.stderr
