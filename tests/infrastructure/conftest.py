"""Helpers for the Terraform tests: run terraform in infrastructure/ with a private data dir, offline."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from movers.local.stack import TF_DIR, terraform_env


def terraform(
    data_dir: Path, *args: str, cwd: Path = TF_DIR, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """`terraform -chdir=<cwd> <args>` with the stack's offline environment; raises with the output tail."""
    proc = subprocess.run(
        ["terraform", f"-chdir={cwd}", *args],
        env=terraform_env(data_dir),
        text=True,
        capture_output=True,
        check=False,
    )
    if check and proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-30:])
        raise AssertionError(f"terraform {' '.join(args)} failed:\n{tail}")
    return proc


@pytest.fixture(scope="session")
def tf_init(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Given infrastructure/ initialised without its S3 backend (fmt, validate, test need none); yields
    the data dir."""
    if shutil.which("terraform") is None:
        pytest.fail("terraform not found: install Terraform >= 1.6 (make tools)")
    data_dir = tmp_path_factory.mktemp("tf") / ".terraform"
    terraform(data_dir, "init", "-backend=false", "-input=false", "-no-color")
    return data_dir
