"""Reproducible artifacts: the same tree gives byte-identical zips, so Terraform's source_code_hash only
changes with content."""

from __future__ import annotations

import zipfile
from pathlib import Path

from movers import build


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
