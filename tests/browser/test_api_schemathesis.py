"""Property-based conformance of the running API to docs/openapi.json (schemathesis, every check).

Runs the schemathesis CLI (all phases: examples, coverage, fuzzing, stateful; ``--checks all``) against the
same stack as the browser tests, bounded to 25 generated examples per operation and a fixed seed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


@pytest.mark.timeout(240)
def test_the_api_conforms_to_its_openapi_document(api_stack: Any) -> None:
    # Given the running API and its OpenAPI document,
    # when schemathesis sends generated valid and invalid requests through the local API Gateway,
    # then every check passes (status codes and content types documented, schemas met, bad input -> 4xx).
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            str(SPEC),
            "--url",
            api_stack.api_url,
            "--checks",
            "all",
            "--max-examples",
            "25",
            "--seed",
            "20260105",
            "--request-timeout",
            "20",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=230,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
