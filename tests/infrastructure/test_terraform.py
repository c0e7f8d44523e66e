"""Terraform static checks: fmt, validate and `terraform test` (plan-time assertions, AWS provider mocked)."""

from __future__ import annotations

import re
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


def _blocks(directory: Path, kind: str) -> dict[str, list[str]]:
    """file name => names of the top-level `kind` blocks (variable, output) of the .tf files of `directory`."""
    found: dict[str, list[str]] = {}
    for path in sorted(directory.glob("*.tf")):
        names = re.findall(rf'^{kind} "([^"]+)"', path.read_text(), flags=re.MULTILINE)
        if names:
            found[path.name] = names
    return found


def test_variables_and_outputs_live_only_in_variables_tf_and_outputs_tf() -> None:
    # Given every Terraform root (the stack, the bootstrap) and module, as variables.tf's header promises
    roots = [TF_DIR, TF_DIR / "bootstrap", *sorted(p for p in (TF_DIR / "modules").iterdir() if p.is_dir())]
    for root in roots:
        variables, outputs = _blocks(root, "variable"), _blocks(root, "output")
        # Then each declares its inputs only in variables.tf and its outputs only in outputs.tf
        assert set(variables) <= {"variables.tf"}, f"{root.name}: variables outside variables.tf: {variables}"
        assert set(outputs) <= {"outputs.tf"}, f"{root.name}: outputs outside outputs.tf: {outputs}"
    # And the checker finds blocks at all (the stack has dozens of each)
    assert len(_blocks(TF_DIR, "variable")["variables.tf"]) > 40
    assert len(_blocks(TF_DIR, "output")["outputs.tf"]) > 20
