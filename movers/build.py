"""Reproducible Lambda artifacts: one zip per function and four layer zips, checked against Lambda's quotas.

`python -m movers.build --arch x86_64|arm64 [--out build/dist]` writes
  build/dist/functions/<name>.zip   from functions/<name>/, with bytecode
  build/dist/layers/shared.zip      from layers/shared/python (the stock_movers package), with bytecode
  build/dist/layers/deps.zip        pip wheels from layers/deps/requirements.txt for python3.12/<arch>
  build/dist/layers/arrow.zip       pyarrow for python3.12/<arch>, slimmed to what Parquet needs (ARROW_SLIM)
  build/dist/layers/pydantic.zip    pydantic, for the API function only
and prints every artifact's zipped and unzipped size against the limits (movers.lambda_limits). It fails
with one line naming the artifact when a zip is over Lambda's 50 MiB direct-upload limit or a layer, or a
function plus its layers, is over 250 MiB unzipped.

Zips are byte-identical across builds (sorted entries, fixed timestamps and permissions, unchecked-hash
bytecode compiled with a fixed hash seed), so Terraform's `source_code_hash` only changes when the content
does. Wheel layers are cached by a digest of their requirements and target platform (build/cache); a cached
layer builds offline, a new one needs PyPI.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from movers import lambda_limits as limits

ROOT = Path(__file__).resolve().parent.parent
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
EXCLUDED_PARTS = {"__pycache__", ".pytest_cache", ".mypy_cache", "tests"}
EXCLUDED_SUFFIXES = {".pyc", ".pyo"}
LAMBDA_PYTHON = "3.12"
# Build-time sources wheels ship next to their binaries: Cython sources and declarations, C/C++ headers and
# sources. Nothing imports them at run time.
SOURCE_SUFFIXES = {".pyx", ".pxd", ".pxi", ".h", ".hpp", ".c", ".cc", ".cpp", ".cmake"}


@dataclass(frozen=True)
class Slim:
    """What a wheel layer leaves out beyond tests and build sources.

    drop_dirs: folders (relative to python/) not needed at run time.
    drop_extensions: extension modules (``package/_module``, any ABI tag) of features no function uses.
    prune_libraries: keep only the ``lib*.so*`` files that a kept extension module loads, by the DT_NEEDED
      names in the ELF headers, followed transitively. Wheels cannot carry symlinks, so a library often
      comes as three full copies (``libx.so``, ``libx.so.N``, ``libx.so.N.M.P``); the loader opens only the
      soname the modules were linked against, so only that copy stays.
    """

    drop_dirs: frozenset[str] = frozenset()
    drop_extensions: frozenset[str] = frozenset()
    prune_libraries: bool = False


# pyarrow for writing and reading our Parquet files (functions/store_day/parquet.py,
# functions/analysis_store/parquet.py): Arrow core, compute, Parquet and datasets (pyarrow.parquet reads
# through pyarrow.dataset) stay; Flight, the cloud and HDFS filesystems, Substrait, ORC, CUDA, Gandiva,
# Parquet encryption and pyarrow's C++ test module go. pyarrow imports each of those lazily or behind
# try/except ImportError, so `import pyarrow.flight` fails with ImportError and nothing else changes. The
# shared libraries follow from the DT_NEEDED entries: libarrow_flight and libarrow_s3 are needed by nothing
# that stays. tests/unit/test_arrow_layer.py writes and reads our Parquet files with the built layer.
ARROW_SLIM = Slim(
    drop_dirs=frozenset({"pyarrow/include", "pyarrow/includes", "pyarrow/src"}),
    drop_extensions=frozenset(
        f"pyarrow/{module}"
        for module in (
            "_flight",
            "_s3fs",
            "_gcsfs",
            "_azurefs",
            "_hdfs",
            "_substrait",
            "_orc",
            "_dataset_orc",
            "_cuda",
            "gandiva",
            "_parquet_encryption",
            "_dataset_parquet_encryption",
            "_pyarrow_cpp_tests",
        )
    ),
    prune_libraries=True,
)
WHEEL_LAYERS: dict[str, Slim] = {"deps": Slim(), "arrow": ARROW_SLIM, "pydantic": Slim()}
LAYERS = ("shared", *WHEEL_LAYERS)
# The layers each function gets in Terraform (infrastructure/*.tf `layer_arns`; a unit test keeps the two
# in step), for the function-plus-layers limit.
BASE_LAYERS = ("shared", "deps")
EXTRA_LAYERS: dict[str, tuple[str, ...]] = {
    "store_day": ("arrow",),
    "analysis_store": ("arrow",),
    "api": ("pydantic",),
}


class LimitExceeded(Exception):
    """An artifact over a Lambda quota; the message is one line naming it."""


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


def zip_sources_with_bytecode(src: Path, dest: Path, prefix: str = "") -> None:
    """Zip a source tree (no stale __pycache__) plus bytecode compiled from it for the Lambda runtime.

    /var/task and /opt are read-only on Lambda, so without shipped bytecode every cold start compiles the
    modules again. The pycs are unchecked-hash (no timestamps; the runtime trusts them without reading the
    source) and record the path relative to the zip root, which linecache resolves through sys.path, so
    tracebacks still show source lines both on Lambda and locally. Built only when the build runs on the
    runtime's Python (a pyc of another version would be ignored by the runtime anyway).
    """
    sources = [(p, prefix + p.relative_to(src).as_posix()) for p in _files(src)]
    with tempfile.TemporaryDirectory(prefix="movers-pyc-") as tmp:
        compiled = _compile_sources(src, Path(tmp), prefix)
        write_zip(dest, sources + compiled)


def _compile_sources(src: Path, stage: Path, prefix: str) -> list[tuple[Path, str]]:
    if sys.version_info[:2] != tuple(int(x) for x in LAMBDA_PYTHON.split(".")):
        return []
    tag = sys.implementation.cache_tag
    jobs = []
    for path in _files(src):
        if path.suffix != ".py":
            continue
        rel = path.relative_to(src)
        cfile = stage / rel.parent / "__pycache__" / f"{rel.stem}.{tag}.pyc"
        jobs.append((str(path), str(cfile), rel.as_posix()))
    if not jobs:
        return []
    script = (
        "import json, py_compile, sys\n"
        "for src, cfile, dfile in json.load(sys.stdin):\n"
        "    py_compile.compile(src, cfile=cfile, dfile=dfile, doraise=True,\n"
        "                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)\n"
    )
    # A fixed hash seed: set and frozenset constants are marshalled in iteration order, which follows it.
    env = dict(os.environ, PYTHONHASHSEED="0")
    subprocess.run([sys.executable, "-c", script], input=json.dumps(jobs), text=True, env=env, check=True)
    return [(Path(cfile), prefix + Path(cfile).relative_to(stage).as_posix()) for _, cfile, _ in jobs]


def function_names() -> list[str]:
    return sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "app.py").is_file())


def build_functions(out: Path) -> None:
    for name in function_names():
        zip_sources_with_bytecode(ROOT / "functions" / name, out / "functions" / f"{name}.zip")


def build_shared_layer(out: Path) -> None:
    zip_sources_with_bytecode(ROOT / "layers" / "shared" / "python", out / "layers" / "shared.zip", "python/")


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


# --------------------------------------------------------------------------------------------------
# ELF: which shared libraries a module loads


def elf_dynamic(path: Path) -> tuple[str | None, list[str]]:
    """(DT_SONAME, [DT_NEEDED...]) of an ELF shared object, read from its .dynamic section; (None, []) for a
    file that is not ELF. Pure Python, so the build needs no binutils."""
    data = path.read_bytes()
    if data[:4] != b"\x7fELF":
        return None, []
    end = "<" if data[5] == 1 else ">"  # EI_DATA: little or big endian
    if data[4] == 2:  # EI_CLASS: ELF64
        (shoff,) = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
        section, dyn = struct.Struct(end + "IIQQQQIIQQ"), struct.Struct(end + "qQ")
    else:
        (shoff,) = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
        section, dyn = struct.Struct(end + "IIIIIIIIII"), struct.Struct(end + "iI")
    headers = [section.unpack_from(data, shoff + i * shentsize) for i in range(shnum)]
    soname, needed = None, []
    for header in headers:
        sh_type, sh_offset, sh_size, sh_link = header[1], header[4], header[5], header[6]
        if sh_type != 6:  # SHT_DYNAMIC
            continue
        strtab_offset = headers[sh_link][4]

        def string(offset: int, base: int = strtab_offset) -> str:
            return data[base + offset : data.index(b"\0", base + offset)].decode()

        for pos in range(sh_offset, sh_offset + sh_size, dyn.size):
            tag, value = dyn.unpack_from(data, pos)
            if tag == 0:  # DT_NULL
                break
            if tag == 1:  # DT_NEEDED
                needed.append(string(value))
            elif tag == 14:  # DT_SONAME
                soname = string(value)
    return soname, needed


_EXTENSION = re.compile(r"^(?P<stem>[^.]+)\.(cpython-[^.]+|abi3)\.so$")
_LIBRARY = re.compile(r"^lib[^/]*\.so(\.[0-9]+)*$")


def _is_library(name: str) -> bool:
    """A plain shared library (``libarrow.so.2600``), as opposed to a Python extension module."""
    return bool(_LIBRARY.match(name)) and not _EXTENSION.match(name)


def _extension_stem(rel: str) -> str | None:
    """``pyarrow/_flight`` for ``pyarrow/_flight.cpython-312-x86_64-linux-gnu.so``; None for other files."""
    folder, _, name = rel.rpartition("/")
    match = _EXTENSION.match(name)
    if match is None:
        return None
    return f"{folder}/{match['stem']}" if folder else match["stem"]


def slim_files(root: Path, slim: Slim) -> list[Path]:
    """The files of an installed wheel tree that a layer ships, after `slim` and the source/test rules."""
    kept = []
    for path in _files(root, bytecode=True):
        rel = path.relative_to(root).as_posix()
        if path.suffix in SOURCE_SUFFIXES or any(rel.startswith(d + "/") for d in slim.drop_dirs):
            continue
        if _extension_stem(rel) in slim.drop_extensions:
            continue
        kept.append(path)
    if not slim.prune_libraries:
        return kept
    libraries = {p.name: p for p in kept if _is_library(p.name)}
    wanted: set[str] = set()
    pending = [p for p in kept if _extension_stem(p.name) is not None]
    while pending:
        _, needed = elf_dynamic(pending.pop())
        for name in needed:
            if name in libraries and name not in wanted:
                wanted.add(name)
                pending.append(libraries[name])
    return [p for p in kept if p.name not in libraries or p.name in wanted]


def build_wheel_layer(name: str, arch: str, out: Path, cache: Path) -> None:
    """pip-install a layer's pinned requirements for the Lambda platform into python/, slim it and zip it."""
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
    # The cache keeps the whole install; slimming happens when zipping, so its rules can change freely.
    root = target / "python"
    files = slim_files(root, WHEEL_LAYERS[name])
    write_zip(
        out / "layers" / f"{name}.zip", ((p, "python/" + p.relative_to(root).as_posix()) for p in files)
    )


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


# --------------------------------------------------------------------------------------------------
# Sizes against Lambda's quotas


@dataclass(frozen=True)
class Artifact:
    """One built zip: its path under the output folder and its zipped and unzipped sizes in bytes."""

    name: str
    zipped: int
    unzipped: int


def measure(out: Path) -> dict[str, Artifact]:
    """Every zip under `out` (functions/*.zip, layers/*.zip), keyed by its path relative to `out`."""
    artifacts = {}
    for path in sorted([*out.glob("functions/*.zip"), *out.glob("layers/*.zip")]):
        name = path.relative_to(out).as_posix()
        artifacts[name] = Artifact(name, path.stat().st_size, limits.unzipped_size(path))
    return artifacts


def function_layers(function: str) -> tuple[str, ...]:
    return BASE_LAYERS + EXTRA_LAYERS.get(function, ())


def deployments(artifacts: Mapping[str, Artifact]) -> dict[str, tuple[int, tuple[str, ...]]]:
    """Each built function's unzipped code plus its layers' (as Lambda counts them), with the layer names."""
    result = {}
    for name, artifact in artifacts.items():
        if not name.startswith("functions/"):
            continue
        function = name.removeprefix("functions/").removesuffix(".zip")
        layers = function_layers(function)
        sizes = [
            artifacts[f"layers/{layer}.zip"].unzipped
            for layer in layers
            if f"layers/{layer}.zip" in artifacts
        ]
        result[function] = (artifact.unzipped + sum(sizes), layers)
    return result


def violations(artifacts: Mapping[str, Artifact]) -> list[str]:
    """One line per artifact over a Lambda quota, naming it; empty when everything fits."""
    lines = []
    for name, artifact in artifacts.items():
        if artifact.zipped > limits.MAX_DIRECT_UPLOAD_ZIP:
            lines.append(
                f"{name} is {artifact.zipped:,} bytes zipped, over Lambda's direct-upload limit of "
                f"{limits.MAX_DIRECT_UPLOAD_ZIP:,} bytes (50 MiB)"
            )
        if name.startswith("layers/") and artifact.unzipped > limits.MAX_UNZIPPED:
            lines.append(
                f"{name} is {artifact.unzipped:,} bytes unzipped, over Lambda's limit of "
                f"{limits.MAX_UNZIPPED:,} bytes (250 MiB)"
            )
    for function, (total, layers) in deployments(artifacts).items():
        if total > limits.MAX_UNZIPPED:
            lines.append(
                f"function {function} with layers {', '.join(layers)} is {total:,} bytes unzipped, over "
                f"Lambda's limit of {limits.MAX_UNZIPPED:,} bytes (250 MiB)"
            )
    return lines


def _mb(size: int) -> str:
    return f"{size / limits.MIB:7.2f} MiB"


def report(artifacts: Mapping[str, Artifact]) -> list[str]:
    """The size table `make build` and `make bench` print: every artifact, then every function with layers."""
    lines = [f"{'artifact':<32} {'zipped':>11} {'unzipped':>11}   limits: 50 MiB zipped, 250 MiB unzipped"]
    for name, a in artifacts.items():
        share = 100 * a.zipped / limits.MAX_DIRECT_UPLOAD_ZIP
        lines.append(f"{name:<32} {_mb(a.zipped)} {_mb(a.unzipped)}   {share:5.1f}% of the zipped limit")
    for function, (total, layers) in deployments(artifacts).items():
        share = 100 * total / limits.MAX_UNZIPPED
        lines.append(
            f"{'fn ' + function + ' + layers':<32} {'':>11} {_mb(total)}   "
            f"{share:5.1f}% of the unzipped limit ({'+'.join(layers)})"
        )
    return lines


def check(out: Path, *, quiet: bool = False) -> dict[str, Artifact]:
    """Measure `out`, print the table (unless quiet), and raise LimitExceeded with the first violation."""
    artifacts = measure(out)
    if not quiet:
        print("\n".join(report(artifacts)))
    problems = violations(artifacts)
    if problems:
        raise LimitExceeded(f"error: {problems[0]}")
    return artifacts


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
    try:
        check(out)
    except LimitExceeded as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
