"""The Lambda runtime a local function runs on: its Python interpreter, the runtime dir (Lambda's
``/var/runtime``: boto3), the extracted code and layers, and the run spec of a function.

Part of the local Lambda executor (:mod:`movers.local.executor`).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_RUNTIME_DIR = REPO_ROOT / "build" / "local-runtime" / "python3.12"

DEFAULT_CACHE_DIR = REPO_ROOT / "build" / "local-cache"


class ExecutorError(RuntimeError):
    """The executor cannot run a function at all (no interpreter, no runtime dir, image package...)."""


_interpreters: dict[str, str] = {}

_interp_lock = threading.Lock()


def _probe(cmd: list[str], env: dict[str, str] | None, want: str) -> str | None:
    """Runs ``cmd -c ...`` and returns the real executable path if it runs and is Python ``want``."""
    try:
        out = subprocess.run(
            [*cmd, "-c", "import sys; print(sys.executable); print('%d.%d' % sys.version_info[:2])"],
            env=env,
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.split()
    if out.returncode == 0 and len(lines) == 2 and lines[1] == want:
        return lines[0]
    return None


def find_interpreter(runtime: str = "python3.12") -> str:
    """Returns the path of a Python interpreter that really runs and matches the Lambda runtime.

    Tries ``MOVERS_LAMBDA_PYTHON``, ``pythonX.Y`` on PATH, pyenv's ``pythonX.Y`` with ``PYENV_VERSION`` set to
    an installed X.Y.z, then the base interpreter of the running venv. Raises :class:`ExecutorError` if none.
    """
    match = re.fullmatch(r"python(\d+\.\d+)", runtime or "")
    if not match:
        raise ExecutorError(f"unsupported Lambda runtime {runtime!r}: the local executor runs pythonX.Y only")
    want = match.group(1)
    with _interp_lock:
        if runtime in _interpreters:
            return _interpreters[runtime]
        base_env = dict(os.environ)
        candidates: list[tuple[list[str], dict[str, str] | None]] = []
        override = os.environ.get("MOVERS_LAMBDA_PYTHON")
        if override:
            candidates.append(([override], None))
        candidates.append(([runtime], None))
        pyenv = shutil.which("pyenv")
        if pyenv:
            versions = subprocess.run(
                [pyenv, "versions", "--bare"], capture_output=True, text=True, check=False
            ).stdout.split()
            for version in sorted((v for v in versions if v.startswith(want + ".")), reverse=True):
                candidates.append(([runtime], {**base_env, "PYENV_VERSION": version}))
        candidates.append(([getattr(sys, "_base_executable", sys.executable)], None))
        for cmd, env in candidates:
            found = _probe(cmd, env, want)
            if found:
                _interpreters[runtime] = found
                return found
        raise ExecutorError(
            f"no working Python {want} interpreter for Lambda runtime {runtime} "
            f"(tried MOVERS_LAMBDA_PYTHON, {runtime} on PATH, pyenv, the venv's base interpreter)"
        )


def _boto3_pin() -> list[str]:
    pins = []
    constraints = REPO_ROOT / "requirements" / "constraints.txt"
    if constraints.exists():
        for line in constraints.read_text().splitlines():
            if line.lower().startswith(("boto3==", "botocore==")):
                pins.append(line.strip())
    return pins or ["boto3"]


def ensure_runtime(directory: str | Path = DEFAULT_RUNTIME_DIR) -> Path:
    """Builds the runtime dir (boto3 + botocore, Lambda's ``/var/runtime``) once; returns its path.

    Uses ``pip install --target`` with the versions pinned in ``requirements/constraints.txt``. A marker file
    records the pins, so a changed pin rebuilds the directory.
    """
    target = Path(directory)
    pins = _boto3_pin()
    marker = target / ".movers-runtime"
    if marker.exists() and marker.read_text() == "\n".join(pins):
        return target
    tmp = target.with_name(target.name + f".tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--target",
        str(tmp),
    ]
    proc = subprocess.run([*cmd, *pins], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ExecutorError(f"building the Lambda runtime dir failed: {proc.stderr.strip()[-500:]}")
    (tmp / ".movers-runtime").write_text("\n".join(pins))
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp.rename(target)
    return target


def runtime_dir() -> Path:
    """The runtime dir handlers see; raises :class:`ExecutorError` if it has not been built."""
    path = Path(os.environ.get("MOVERS_LAMBDA_RUNTIME", DEFAULT_RUNTIME_DIR))
    if not (path / "boto3").is_dir():
        raise ExecutorError(
            f"Lambda runtime dir {path} has no boto3: "
            f"run `python -m movers.local.executor --prepare-runtime {path}`"
        )
    return path


_extract_lock = threading.Lock()


def extract_zip(code: bytes, kind: str, digest: str | None = None) -> Path:
    """Extracts a zip into ``<cache>/<kind>/<sha256>`` once (atomic rename) and returns the directory."""
    digest = digest or hashlib.sha256(code).hexdigest()
    cache = Path(os.environ.get("MOVERS_LAMBDA_CACHE", DEFAULT_CACHE_DIR))
    target = cache / kind / digest
    if target.is_dir():
        return target
    with _extract_lock:
        if target.is_dir():
            return target
        tmp = target.with_name(f".{digest}.{os.getpid()}.{threading.get_ident()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        try:
            with zipfile.ZipFile(io.BytesIO(code)) as zf:
                zf.extractall(tmp)
        except zipfile.BadZipFile as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ExecutorError(f"{kind} code is not a valid zip: {exc}") from exc
        tmp.rename(target)
    return target


@dataclass
class InvokeResult:
    """What one invoke produced: the payload text, whether it is a function error, and the log text."""

    payload: str
    error: bool
    log: str
    duration_ms: float = 0.0
    stream: str = ""


@dataclass
class FunctionSpec:
    """Everything that decides how a function runs; two invokes with equal specs may share workers."""

    function_arn: str
    function_name: str
    version: str
    handler: str
    runtime: str
    timeout: int
    memory_size: int
    region: str
    env: dict[str, str]
    task_root: Path
    layer_roots: list[Path] = field(default_factory=list)
    role_arn: str = ""  # the execution role; its session's credentials go into the worker's environment

    @property
    def key(self) -> str:
        raw = json.dumps(
            [
                self.function_arn,
                self.role_arn,
                str(self.task_root),
                [str(p) for p in self.layer_roots],
                self.env,
                self.handler,
                self.runtime,
                self.timeout,
                self.memory_size,
            ],
            sort_keys=True,
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    def sys_path(self) -> list[str]:
        py = "python" + self.runtime.removeprefix("python")
        later_first = list(reversed(self.layer_roots))
        return (
            [str(self.task_root)]
            + [str(p / "python" / "lib" / py / "site-packages") for p in later_first]
            + [str(p / "python") for p in later_first]
            + [str(runtime_dir())]
        )
