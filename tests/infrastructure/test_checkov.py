"""checkov over infrastructure/ (its own virtualenv, offline): no failed check, no parsing error, and every
skip written next to its resource with a reason."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from movers.local.stack import ROOT, TF_DIR

CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
# Offline: no Bridgecrew/Prisma mapping or guideline download, no version check, no VCS config fetch.
OFFLINE_ENV = {
    "BC_SKIP_MAPPING": "TRUE",
    "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true",
    "CKV_GITHUB_CONFIG_FETCH_DATA": "False",
    "CKV_GITLAB_CONFIG_FETCH_DATA": "False",
    "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
}


def run_checkov(directory: Path) -> dict:
    """checkov's JSON report of the Terraform under `directory` (raises when checkov itself fails)."""
    env = {**os.environ, **OFFLINE_ENV}
    proc = subprocess.run(
        [str(CHECKOV), "-d", str(directory), "--framework", "terraform", "--compact",
         "--skip-download", "-o", "json"],
        env=env, text=True, capture_output=True, check=False, timeout=300,
    )  # fmt: skip
    if not proc.stdout.strip().startswith(("{", "[")):
        raise AssertionError(f"checkov did not report (exit {proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(proc.stdout)
    reports = report if isinstance(report, list) else [report]
    (terraform,) = [r for r in reports if r.get("check_type") == "terraform"]
    return terraform


@pytest.fixture(scope="module")
def report() -> dict:
    if not CHECKOV.exists():
        if os.environ.get("MOVERS_REQUIRE_CHECKOV"):
            pytest.fail("checkov virtualenv missing: `make checkov-venv` builds .venv-checkov")
        pytest.skip("checkov not installed: run `make checkov-venv` (make test builds it first)")
    return run_checkov(TF_DIR)


def test_checkov_finds_no_failed_check_in_infrastructure(report: dict) -> None:
    # Given every Terraform file under infrastructure/ (root, modules, bootstrap), When checkov scans it
    failed = [
        f"{c['check_id']} {c['file_path']} {c['resource']}: {c['check_name']}"
        for c in report["results"]["failed_checks"]
    ]
    # Then nothing fails and every file parsed (a file checkov cannot parse is silently unchecked)
    assert failed == [], "\n".join(failed)
    assert report["summary"]["parsing_errors"] == 0, report["results"].get("parsing_errors")
    assert report["summary"]["passed"] > 100


def test_every_skip_is_next_to_its_resource_with_a_reason(report: dict) -> None:
    # Given checkov's skipped checks, Then each comes from an inline comment that states why
    for skipped in report["results"]["skipped_checks"]:
        reason = (skipped.get("check_result") or {}).get("suppress_comment", "")
        assert len(reason.strip()) >= 15, f"{skipped['check_id']} on {skipped['resource']} has no reason"
