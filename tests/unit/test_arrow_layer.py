"""The slim arrow layer: what it drops, that its shared libraries still resolve, and that our Parquet files
are written and read with nothing but the built layer on sys.path (a separate interpreter, no
site-packages)."""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from movers import build

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "build" / "dist"
HOST_ARCH = "arm64" if platform.machine() in ("aarch64", "arm64") else "x86_64"
CACHED_ARROW_TREES = sorted((ROOT / "build" / "cache").glob("arrow-*/python"))


def _built_arrow_layer() -> Path:
    arch_file = DIST / "ARCH"
    layer = DIST / "layers" / "arrow.zip"
    if not layer.is_file() or not arch_file.is_file() or arch_file.read_text().strip() != HOST_ARCH:
        pytest.skip(f"needs build/dist built for this host ({HOST_ARCH}): run `make build-local`")
    return layer


@pytest.fixture(scope="module")
def arrow_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Given the arrow layer zip that `make build-local` built, extracted as Lambda extracts it under /opt."""
    opt = tmp_path_factory.mktemp("opt")
    with zipfile.ZipFile(_built_arrow_layer()) as zf:
        zf.extractall(opt)
    for path in (opt / "python" / "pyarrow").glob("*.so*"):
        path.chmod(0o755)
    return opt / "python"


def run_with_layer(layer: Path, function: str, code: str) -> dict:
    """Run `code` in a fresh interpreter that sees only the stdlib, the layer, the shared layer's source
    (every function has it) and the function's folder."""
    shared = ROOT / "layers" / "shared" / "python"
    prelude = f"""
        import json, sys
        sys.path[:0] = [{str(ROOT / "functions" / function)!r}, {str(layer)!r}, {str(shared)!r}]
        import pyarrow
        assert pyarrow.__file__.startswith({str(layer)!r}), pyarrow.__file__
    """
    # Ends like a Lambda worker, which is frozen and killed, never finalized: pyarrow's C++ thread pools
    # can abort in interpreter finalization on a loaded machine ("terminate called without an active
    # exception"), after the work this checks is done and printed.
    epilogue = "\nimport os\nsys.stdout.flush()\nos._exit(0)\n"
    script = textwrap.dedent(prelude) + textwrap.dedent(code) + epilogue
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


BAR = {
    "date": "2026-01-02",
    "ticker": "AAPL",
    "open": "187.15",
    "high": "188.44",
    "low": "183.885",
    "close": "185.64",
    "volume": "82488674",
    "percentChange": "-0.811114",
    "provider": "massive",
}


def test_the_slim_layer_writes_and_reads_the_daily_bars_parquet(arrow_layer: Path, tmp_path: Path) -> None:
    # Given store_day's writer and the slim layer
    # When it writes a day's bars into a Hive-style key, and the file is read back directly and as a dataset
    out = run_with_layer(
        arrow_layer,
        "store_day",
        f"""
        import io, pathlib
        import pyarrow as pa
        import pyarrow.dataset as ds
        import pyarrow.parquet as pq
        import datetime as dt
        from decimal import Decimal
        from parquet import bars_parquet
        from stock_movers.domain.leaders import Board, Leader
        rows = [{BAR!r}, dict({BAR!r}, ticker="MSFT", percentChange="1.250000")]
        board = Board(dt.date(2026, 1, 2), 10, 2, (Leader("MSFT", Decimal("1.25"), Decimal("185.64")),),
                      (Leader("AAPL", Decimal("-0.811114"), Decimal("185.64")),))
        body = bars_parquet(rows, board)
        direct = pq.read_table(io.BytesIO(body)).to_pylist()
        folder = pathlib.Path({str(tmp_path)!r}) / "curated/daily_bars/year=2026/date=2026-01-02"
        folder.mkdir(parents=True)
        (folder / "bars.parquet").write_bytes(body)
        # the year= folder as a partition column, as a query engine reads curated/daily_bars
        years = ds.partitioning(pa.schema([("year", pa.int16())]), flavor="hive")
        hive = ds.dataset({str(tmp_path / "curated/daily_bars")!r}, format="parquet", partitioning=years)
        table = hive.to_table()
        print(json.dumps({{
            "direct": [{{k: str(v) for k, v in r.items()}} for r in direct],
            "schema": str(pq.read_schema(io.BytesIO(body))),
            "hive_rows": table.num_rows,
            "hive_columns": table.column_names,
        }}))
        """,
    )
    # Then the values come back exactly (decimal128), through both readers
    assert [r["ticker"] for r in out["direct"]] == ["AAPL", "MSFT"]
    first = out["direct"][0]
    assert first["low"] == "183.88500000" and first["volume"] == "82488674.00000000"
    assert first["pct_change"] == "-0.811114" and first["date"] == "2026-01-02"
    # And the board's ranks (null off the board)
    assert [(r["gainer_rank"], r["loser_rank"]) for r in out["direct"]] == [("None", "1"), ("1", "None")]
    assert "decimal128(28, 8)" in out["schema"]
    assert out["hive_rows"] == 2 and out["hive_columns"][-1] == "year"


def test_the_slim_layer_writes_and_reads_the_analysis_parquet(arrow_layer: Path) -> None:
    # Given analysis_store's writer, a summary with a null figure, and the slim layer
    summary = {
        "Date": "2026-01-02",
        "Status": "complete",
        "Dispersion": {"StdDev": "1.5", "Range": "3.25"},
        "Tickers": [
            {
                "Ticker": "AAPL",
                "PercentChange": "-0.811114",
                "Volatility": None,
                "ZScore": "0.5",
                "Unusual": False,
                "Wins7": 1,
                "Wins30": 2,
                "Wins90": 3,
                "Streak": 1,
                "LongestStreak": 2,
                "Sessions": 40,
            }
        ],
    }
    # When it writes and reads the analysis file
    out = run_with_layer(
        arrow_layer,
        "analysis_store",
        f"""
        import io
        from decimal import Decimal
        import pyarrow.parquet as pq
        from parquet import analysis_parquet
        summary = json.loads({json.dumps(summary)!r}, parse_float=Decimal)
        for row in summary["Tickers"]:
            for k in ("PercentChange", "ZScore"):
                row[k] = Decimal(row[k])
        summary["Dispersion"] = {{k: Decimal(v) for k, v in summary["Dispersion"].items()}}
        rows = pq.read_table(io.BytesIO(analysis_parquet(summary))).to_pylist()
        print(json.dumps([{{k: None if v is None else str(v) for k, v in r.items()}} for r in rows]))
        """,
    )
    # Then the row is exact and the missing figure is null
    assert out == [
        {
            "date": "2026-01-02",
            "ticker": "AAPL",
            "pct_change": "-0.811114",
            "volatility": None,
            "z_score": "0.500000",
            "unusual": "False",
            "wins_7": "1",
            "wins_30": "2",
            "wins_90": "3",
            "streak": "1",
            "longest_streak": "2",
            "sessions": "40",
            "dispersion_std": "1.500000",
            "dispersion_range": "3.250000",
            "status": "complete",
        }
    ]


def test_a_dropped_feature_fails_with_import_error_not_a_crash(arrow_layer: Path) -> None:
    # Given the slim layer, when code asks for Flight or S3, then Python says they are not there
    out = run_with_layer(
        arrow_layer,
        "store_day",
        """
        import pyarrow.fs
        try:
            import pyarrow.flight
            flight = "imported"
        except ImportError:
            flight = "ImportError"
        try:
            pyarrow.fs.S3FileSystem
            s3 = "available"
        except ImportError:
            s3 = "ImportError"
        print(json.dumps({"flight": flight, "s3": s3}))
        """,
    )
    assert out == {"flight": "ImportError", "s3": "ImportError"}


@pytest.mark.parametrize("tree", CACHED_ARROW_TREES, ids=[t.parent.name for t in CACHED_ARROW_TREES])
def test_slimming_keeps_every_library_a_kept_module_loads_and_one_copy_of_each(tree: Path) -> None:
    # Given the installed pyarrow wheel of an architecture (arm64 cannot run here: check its files instead)
    original = {p.name for p in (tree / "pyarrow").iterdir()}
    # When the arrow layer's rules pick its files
    kept = build.slim_files(tree, build.ARROW_SLIM)
    names = {p.name for p in kept if p.parent.name == "pyarrow"}
    # Then every DT_NEEDED of a kept module or library that the wheel ships is kept too
    for path in kept:
        if path.suffix == ".so" or ".so." in path.name:
            _, needed = build.elf_dynamic(path)
            assert {n for n in needed if n in original} <= names, path.name
    # and the features Parquet does not need, the duplicate library copies and the build sources are gone
    assert not {n for n in names if n.startswith(("libarrow_flight", "libarrow_s3", "_flight.", "_s3fs."))}
    assert "libarrow_python.so.2600" in names or any(n.startswith("libarrow_python.so.") for n in names)
    assert len([n for n in names if n.startswith("libarrow_python.so")]) == 1
    assert not [p for p in kept if p.suffix in {".pyx", ".pxd", ".pxi", ".h", ".cc"} or "include" in p.parts]
    # and what stays is far below Lambda's limits (zipped it measures ~31 MiB; unzipped it must fit 250 MiB)
    assert sum(p.stat().st_size for p in kept) < 120 * 1024 * 1024


def test_elf_dynamic_reads_the_soname_and_needed_libraries_of_a_real_library() -> None:
    # Given pyarrow's core library as installed in the dev environment (a real ELF shared object)
    pyarrow = pytest.importorskip("pyarrow")
    library = next(Path(pyarrow.__file__).parent.glob("libparquet.so.*"))
    # When its dynamic section is read
    soname, needed = build.elf_dynamic(library)
    # Then the soname is the file's own name and it links against Arrow core and libc
    assert soname == library.name
    assert any(n.startswith("libarrow.so.") for n in needed) and "libc.so.6" in needed
    assert build.elf_dynamic(Path(pyarrow.__file__)) == (None, [])  # not ELF
