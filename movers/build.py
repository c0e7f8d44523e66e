"""Reproducible Lambda artifacts: one zip per function and three layer zips.

`python -m movers.build --arch x86_64|arm64 [--out build/dist]` writes
  build/dist/functions/<name>.zip   from functions/<name>/
  build/dist/layers/shared.zip      from layers/shared/python (the stock_movers package)
  build/dist/layers/deps.zip        pip wheels from layers/deps/requirements.txt for python3.12/<arch>
  build/dist/layers/arrow.zip       pip wheels from layers/arrow/requirements.txt for python3.12/<arch>

Zips are byte-identical across builds (sorted entries, fixed timestamps and permissions, no bytecode), so
Terraform's `source_code_hash` only changes when the content does. Wheel layers are cached by a digest of
their requirements and target platform.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", "tests"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
LAMBDA_PYTHON = "3.12"
WHEEL_LAYERS = ("deps", "arrow")


def _files(base: Path, *, bytecode: bool = False) -> Iterable[Path]:
    excluded_parts = EXCLUDED_PARTS - {"__pycache__"} if bytecode else EXCLUDED_PARTS
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_dir() or excluded_parts.intersection(rel.parts):
            continue
        if path.suffix in EXCLUDED_SUFFIXES and not bytecode:
            continue
        yield path


def write_zip(dest: Path, entries: Iterable[tuple[Path, str]]) -> None:
    """Write `entries` (source file, archive name) in name order with fixed metadata; replace atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".zip.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for src, name in sorted(entries, key=lambda e: e[1]):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = (0o755 if src.stat().st_mode & 0o111 else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            zf.writestr(info, src.read_bytes())
    if dest.exists() and dest.read_bytes() == tmp.read_bytes():
        tmp.unlink()  # unchanged: keep the old file (and its mtime) so make stays quiet
    else:
        tmp.replace(dest)


def zip_tree(src: Path, dest: Path, prefix: str = "", *, bytecode: bool = False) -> None:
    write_zip(dest, ((p, prefix + p.relative_to(src).as_posix()) for p in _files(src, bytecode=bytecode)))


def function_names() -> list[str]:
    return sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").is_file())


def build_functions(out: Path) -> None:
    for name in function_names():
        zip_tree(ROOT / "functions" / name, out / "functions" / f"{name}.zip")


def build_shared_layer(out: Path) -> None:
    zip_tree(ROOT / "layers" / "shared" / "python", out / "layers" / "shared.zip", prefix="python/")


def _platform_args(arch: str) -> list[str]:
    machine = {"x86_64": "x86_64", "arm64": "aarch64"}[arch]
    return [
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON,
        "--platform",
        f"manylinux_2_28_{machine}",
        "--platform",
        f"manylinux2014_{machine}",
    ]


def build_wheel_layer(name: str, arch: str, out: Path, cache: Path) -> None:
    """pip-install a layer's pinned requirements for the Lambda platform into python/ and zip it."""
    requirements = ROOT / "layers" / name / "requirements.txt"
    constraints = ROOT / "requirements" / "constraints.txt"
    digest = hashlib.sha256(requirements.read_bytes() + constraints.read_bytes() + arch.encode()).hexdigest()[
        :16
    ]
    target = cache / f"{name}-{arch}-{digest}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        cmd = [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
            *_platform_args(arch),
            "--target", str(target / "python"),
            "-r", str(requirements),
            # transitive versions come from the project lock, so a layer is as pinned as the dev env
            "-c", str(ROOT / "requirements" / "constraints.txt"),
        ]  # fmt: skip
        subprocess.run(cmd, check=True)
        _compile(target / "python")
        (target / ".complete").write_text(digest)
    zip_tree(target / "python", out / "layers" / f"{name}.zip", prefix="python/", bytecode=True)


def _compile(tree: Path) -> None:
    """Ship bytecode in the dependency layers: /opt is read-only in Lambda, so without it every cold start
    recompiles Powertools and Pydantic. unchecked-hash pycs carry no timestamps; they are built with the
    runtime's Python (3.12) when the build runs on it, and ignored (harmlessly) otherwise."""
    if sys.version_info[:2] != (3, 12):
        return
    subprocess.run(
        [
            sys.executable,
            "-m",
            "compileall",
            "-q",
            "-j",
            "0",
            "--invalidation-mode",
            "unchecked-hash",
            str(tree),
        ],
        check=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", choices=["x86_64", "arm64"], default="arm64")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "dist")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "cache")
    parser.add_argument("--only", choices=["functions", "shared", "wheels"], default=None)
    args = parser.parse_args(argv)
    out: Path = args.out
    if args.only in (None, "functions"):
        build_functions(out)
    if args.only in (None, "shared"):
        build_shared_layer(out)
    if args.only in (None, "wheels"):
        for name in WHEEL_LAYERS:
            build_wheel_layer(name, args.arch, out, args.cache)
    (out / "ARCH").write_text(args.arch + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
