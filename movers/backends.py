"""Backend files from the bootstrap's outputs, and the local AWS's backend settings.

`terraform -chdir=infrastructure/bootstrap output -json backend_files | python -m movers.backends --write
infrastructure/environments` (what `make bootstrap` runs) writes `environments/<env>.backend.hcl` for each
environment the bootstrap created, so no backend file is typed by hand. The local stack and the tests add
:func:`local_backend_overrides` as a second `-backend-config` file to point the same S3 backend at the local
AWS; those settings never go into an AWS environment's file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ENVIRONMENTS = ("dev", "staging", "prod")
REQUIRED_SETTINGS = ("bucket", "key", "region", "use_lockfile")


class BackendFilesError(ValueError):
    """The bootstrap's `backend_files` output is not what `make bootstrap` can write (a one-line reason)."""


def parse_backend_files(document: str) -> dict[str, str]:
    """environment => backend file text, from `terraform output -json backend_files`, checked."""
    try:
        files = json.loads(document)
    except json.JSONDecodeError as exc:
        raise BackendFilesError(f"backend_files is not JSON: {exc.msg}") from None
    if not isinstance(files, dict) or not files:
        raise BackendFilesError("backend_files must be a non-empty object environment => file text")
    for env, text in files.items():
        if env not in ENVIRONMENTS:
            raise BackendFilesError(
                f"unknown environment {env!r} (expected one of {', '.join(ENVIRONMENTS)})"
            )
        if not isinstance(text, str):
            raise BackendFilesError(f"the backend file of {env} is not text")
        for setting in REQUIRED_SETTINGS:
            if not re.search(rf"^{setting}\s*=", text, re.MULTILINE):
                raise BackendFilesError(f"the backend file of {env} has no {setting}")
        if f"/{env}/" not in text:
            raise BackendFilesError(f"the backend file of {env} does not name a state key of {env}")
    return dict(files)


def write_backend_files(files: dict[str, str], directory: Path) -> list[Path]:
    """Writes `<directory>/<env>.backend.hcl` for each environment; returns the paths written."""
    written = []
    for env, text in sorted(files.items()):
        path = directory / f"{env}.backend.hcl"
        path.write_text(text if text.endswith("\n") else text + "\n")
        written.append(path)
    return written


def local_backend_overrides(endpoint: str) -> str:
    """The settings that point an S3 backend at the local AWS (path-style S3, dummy credentials, no AWS
    account or region checks). A second -backend-config file: it overrides nothing an environment sets."""
    return "\n".join(
        [
            "# The local AWS (movers.backends.local_backend_overrides); never for an AWS environment.",
            f'endpoints = {{ s3 = "{endpoint}", sts = "{endpoint}", iam = "{endpoint}" }}',
            "use_path_style              = true",
            'access_key                  = "test"',
            'secret_key                  = "test"',
            "skip_credentials_validation = true",
            "skip_requesting_account_id  = true",
            "skip_metadata_api_check     = true",
            "skip_region_validation      = true",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m movers.backends", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--write", type=Path, required=True, help="folder of the backend files (environments/)"
    )
    args = parser.parse_args(argv)
    try:
        files = parse_backend_files(sys.stdin.read())
    except BackendFilesError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for path in write_backend_files(files, args.write):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
