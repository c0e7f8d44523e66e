"""Reproducible artifacts: the same tree gives byte-identical zips, so Terraform's source_code_hash only
changes with content."""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from movers import build, lambda_limits

ROOT = Path(__file__).resolve().parents[2]


def make_tree(root: Path) -> Path:
    (root / "pkg" / "__pycache__").mkdir(parents=True)
    (root / "app.py").write_text("def handler(e, c):\n    return e\n")
    (root / "pkg" / "mod.py").write_text("X = 1\n")
    (root / "pkg" / "__pycache__" / "mod.cpython-312.pyc").write_bytes(b"\x00junk")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    return root


def test_same_tree_gives_identical_bytes_whatever_the_mtimes(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    build.zip_tree(src, tmp_path / "a.zip")
    for path in src.rglob("*"):
        path.touch()  # new mtimes must not change the archive
    build.zip_tree(src, tmp_path / "b.zip")
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()


def test_entries_are_sorted_fixed_time_no_bytecode_and_keep_exec_bit(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    build.zip_tree(src, tmp_path / "a.zip", prefix="python/")
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) == ["python/app.py", "python/pkg/mod.py", "python/run.sh"]
    assert {i.date_time for i in infos} == {build.FIXED_DATE}
    modes = {i.filename: (i.external_attr >> 16) & 0o777 for i in infos}
    assert modes == {"python/app.py": 0o644, "python/pkg/mod.py": 0o644, "python/run.sh": 0o755}


def test_wheel_layers_keep_their_bytecode(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "src")
    build.zip_tree(src, tmp_path / "a.zip", bytecode=True)
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        assert "pkg/__pycache__/mod.cpython-312.pyc" in zf.namelist()


def test_every_function_folder_is_built(tmp_path: Path) -> None:
    names = build.function_names()
    assert {"validate_input", "fetch_bars", "pick_winner", "store_day", "api", "start_daily"} <= set(names)


def test_platform_arguments_target_the_lambda_runtime() -> None:
    args = build._platform_args("arm64")
    assert args[args.index("--python-version") + 1] == "3.12"
    assert "manylinux_2_28_aarch64" in args and "manylinux2014_aarch64" in args
    assert "--only-binary=:all:" in args


# ---------------------------------------------------------------------------------------------- bytecode


def test_source_zips_ship_bytecode_the_runtime_uses_and_stay_byte_identical(tmp_path: Path) -> None:
    # Given a source tree with a stale pyc lying around
    src = make_tree(tmp_path / "src")
    build.zip_sources_with_bytecode(src, tmp_path / "a.zip", "python/")
    build.zip_sources_with_bytecode(src, tmp_path / "b.zip", "python/")
    # Then two builds are byte-identical and carry fresh bytecode for every module, not the stale file
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        names = zf.namelist()
        zf.extractall(tmp_path / "opt")
    tag = sys.implementation.cache_tag
    assert f"python/__pycache__/app.{tag}.pyc" in names and f"python/pkg/__pycache__/mod.{tag}.pyc" in names
    assert (tmp_path / "opt/python/pkg/__pycache__/mod.cpython-312.pyc").read_bytes() != b"\x00junk"
    # When the source changes after packaging, the runtime still runs the shipped bytecode (unchecked hash:
    # no stat or compile at import), and the code names its file relative to the zip root
    root = tmp_path / "opt" / "python"
    (root / "pkg" / "mod.py").write_text("X = 2\n")
    script = f"import sys; sys.path.insert(0, {str(root)!r}); import pkg.mod as m; print(m.X)"
    done = subprocess.run([sys.executable, "-I", "-S", "-B", "-c", script], capture_output=True, text=True)
    assert done.stdout.strip() == "1", done.stderr
    code = marshal.loads((root / "app.py").parent.joinpath(f"__pycache__/app.{tag}.pyc").read_bytes()[16:])
    assert code.co_filename == "app.py"


# ---------------------------------------------------------------------------------------------- limits


def write_member_zip(path: Path, size: int, *, random: bool = False) -> Path:
    """A zip with one member of `size` bytes: random (incompressible, stored) or zeros (tiny zipped)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compresslevel=1) as zf:
        info = zipfile.ZipInfo("python/blob.bin")
        info.compress_type = zipfile.ZIP_STORED if random else zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as member:
            left = size
            while left:
                n = min(left, 8 * 1024 * 1024)
                member.write(os.urandom(n) if random else bytes(n))
                left -= n
    return path


def small_dist(out: Path) -> Path:
    for name in ("functions/store_day.zip", "functions/api.zip", *(f"layers/{n}.zip" for n in build.LAYERS)):
        write_member_zip(out / name, 1000)
    return out


def test_a_dist_within_the_limits_passes_and_every_function_is_counted_with_its_layers(
    tmp_path: Path,
) -> None:
    out = small_dist(tmp_path / "dist")
    artifacts = build.check(out, quiet=True)
    assert build.violations(artifacts) == []
    deployments = build.deployments(artifacts)
    assert deployments["store_day"] == (4000, ("shared", "deps", "arrow"))
    assert deployments["api"] == (4000, ("shared", "deps", "pydantic"))
    table = "\n".join(build.report(artifacts))
    assert "layers/arrow.zip" in table and "fn store_day + layers" in table


def test_a_zip_one_byte_over_50_mib_fails_the_build_with_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a built dist whose arrow layer zip is 50 MiB + 1 byte (incompressible)
    out = small_dist(tmp_path / "dist")
    write_member_zip(out / "layers" / "arrow.zip", lambda_limits.MAX_DIRECT_UPLOAD_ZIP, random=True)
    assert (out / "layers" / "arrow.zip").stat().st_size > lambda_limits.MAX_DIRECT_UPLOAD_ZIP
    # When the build runs (here only the shared layer is rebuilt; the check covers the whole dist)
    status = build.main(["--only", "shared", "--out", str(out)])
    # Then it fails with one line on stderr naming the artifact and the limit
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 1 and len(err) == 1
    assert err[0].startswith("error: layers/arrow.zip is ") and "direct-upload limit of 52,428,800" in err[0]


def test_a_function_with_its_layers_over_250_mib_unzipped_is_named(tmp_path: Path) -> None:
    # Given layers that fit alone, and store_day whose code plus shared, deps and arrow is one byte over
    out = small_dist(tmp_path / "dist")
    write_member_zip(out / "layers" / "arrow.zip", 200 * lambda_limits.MIB)
    write_member_zip(
        out / "functions" / "store_day.zip", lambda_limits.MAX_UNZIPPED - 200 * lambda_limits.MIB - 1999
    )
    with pytest.raises(build.LimitExceeded) as info:
        build.check(out, quiet=True)
    # Then the error names the function and its layers; the API (no arrow layer) is not blamed
    assert str(info.value).startswith(
        "error: function store_day with layers shared, deps, arrow is 262,144,001"
    )
    assert len(build.violations(build.measure(out))) == 1
    # and a layer alone over 250 MiB is named too
    write_member_zip(out / "layers" / "pydantic.zip", lambda_limits.MAX_UNZIPPED + 1)
    assert any(
        v.startswith("layers/pydantic.zip is 262,144,001 bytes unzipped")
        for v in build.violations(build.measure(out))
    )


def test_the_layers_each_function_gets_match_terraform() -> None:
    # Given every function module in infrastructure/ with its layer_arns expression
    modules = {}
    for tf in (ROOT / "infrastructure").glob("*.tf"):
        for block in re.findall(r'module "fn_\w+" \{(.*?)\n\}', tf.read_text(), re.S):
            name = re.search(r'\n\s*name\s*=\s*"(\w+)"', block)
            arns = re.search(r"\n\s*layer_arns\s*=\s*(.+)", block)
            if name and arns:
                expression = arns.group(1)
                layers = ["shared", "deps"] if "local.base_layers" in expression else []
                layers += re.findall(r'aws_lambda_layer_version\.layer\["(\w+)"\]\.arn', expression)
                modules[name.group(1)] = tuple(layers)
    # Then the build checks each function with exactly the layers Terraform attaches
    assert set(modules) == set(build.function_names())
    assert {fn: build.function_layers(fn) for fn in modules} == modules


def test_pydantic_is_only_in_the_layer_of_the_function_that_imports_it() -> None:
    deps = (ROOT / "layers" / "deps" / "requirements.txt").read_text()
    assert "pydantic" not in deps.lower()
    users = {
        p.relative_to(ROOT / "functions").parts[0]
        for p in (ROOT / "functions").rglob("*.py")
        if re.search(r"^\s*(from|import) pydantic", p.read_text(), re.M)
    }
    shared = [p for p in (ROOT / "layers" / "shared").rglob("*.py") if "pydantic" in p.read_text()]
    assert shared == []
    assert (
        {fn for fn in build.function_names() if "pydantic" in build.function_layers(fn)} == users == {"api"}
    )
