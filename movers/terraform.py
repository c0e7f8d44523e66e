"""How this repository runs Terraform, for AWS and the local stack alike: where the root module is, and the
environment every `terraform` call gets (no prompts, no checkpoint calls, the offline plugin mirror when the
machine has one).

It imports nothing of the local stack, so the operator CLI's AWS path (`terraform output` for the stack's
outputs) uses it without loading the emulator.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TF_DIR = ROOT / "infrastructure"
MIRROR = Path("/opt/tf-plugins/registry.terraform.io")


def terraform_env(data_dir: Path) -> dict[str, str]:
    """The environment of a `terraform` call whose plugin data lives in `data_dir`."""
    env = dict(os.environ)
    env["CHECKPOINT_DISABLE"] = "1"
    env["TF_IN_AUTOMATION"] = "1"
    env["TF_INPUT"] = "0"
    env["TF_DATA_DIR"] = str(data_dir)
    if MIRROR.is_dir():
        env["TF_CLI_CONFIG_FILE"] = str(TF_DIR / "terraformrc.local")
    return env
