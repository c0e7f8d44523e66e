"""Terraform static checks: fmt, validate and `terraform test` (plan-time assertions, AWS provider mocked)."""

from __future__ import annotations

from pathlib import Path

from movers.local.stack import TF_DIR
from tests.infrastructure.conftest import terraform


def test_terraform_files_are_formatted(tf_init: Path) -> None:
    # Given every .tf/.tfvars/.tftest.hcl under infrastructure/, When fmt checks them, Then none would change
    proc = terraform(tf_init, "fmt", "-check", "-recursive", "-no-color", check=False)
    assert proc.returncode == 0, f"terraform fmt would change: {proc.stdout.split()}"


def test_root_and_bootstrap_configurations_are_valid(tf_init: Path, tmp_path: Path) -> None:
    # Given the root (initialised without a backend), When validated, Then it is valid
    terraform(tf_init, "validate", "-no-color")
    # And the remote-state bootstrap root is valid on its own
    boot = tmp_path / ".terraform-bootstrap"
    terraform(boot, "init", "-backend=false", "-input=false", "-no-color", cwd=TF_DIR / "bootstrap")
    terraform(boot, "validate", "-no-color", cwd=TF_DIR / "bootstrap")


def test_terraform_test_plan_assertions_pass(tf_init: Path) -> None:
    # Given infrastructure/tests/*.tftest.hcl (mock AWS provider, plan only), When run, Then all pass
    proc = terraform(tf_init, "test", "-no-color", check=False)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert " 0 failed" in proc.stdout and "passed" in proc.stdout
