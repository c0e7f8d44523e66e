"""SQL over the curated zone: the Glue table definitions against the Parquet writers, and `movers query`
(partition templates and projection, the local DuckDB engine over fake S3/Glue, Athena over a fake client,
output)."""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from movers.cli import query as query_cli
from movers.cli.query import LocalEngine, QueryError, Result, Table, projected, render, run_athena, text
from stock_movers.adapters.storage import parquet_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.leaders import board_of
from stock_movers.domain.movers import day_rows

ROOT = Path(__file__).resolve().parents[2]
TABLES = json.loads((ROOT / "infrastructure" / "query_tables.json").read_text())
NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


def _load(function: str) -> Any:
    path = ROOT / "functions" / function / "parquet.py"
    spec = importlib.util.spec_from_file_location(f"{function}_parquet", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


BARS = _load("store_day")
ANALYSIS = _load("analysis_store")


def glue_type(t: pa.DataType) -> str:
    """The Glue (Hive) type Athena reads a pyarrow column type as."""
    if pa.types.is_decimal(t):
        return f"decimal({t.precision},{t.scale})"
    known = {pa.date32(): "date", pa.string(): "string", pa.bool_(): "boolean", pa.int16(): "smallint",
             pa.int32(): "int", pa.int64(): "bigint", pa.float64(): "double"}  # fmt: skip
    return known[t]


def _template() -> str:
    """query.tf's storage.location.template, as Terraform renders it for a bucket and a table prefix."""
    tf = (ROOT / "infrastructure" / "query.tf").read_text()
    (raw,) = re.findall(r'"storage\.location\.template"\s*=\s*"([^"]+)"', tf)
    return raw.replace("$${", "\0").replace("${module.data_bucket.bucket}", "data-bucket").replace("\0", "${")


def table(name: str = "daily_bars", **params: str) -> Table:
    """A Table as the local engine reads it from Glue, built from query_tables.json and query.tf."""
    spec = TABLES[name]
    template = _template().replace("${each.value.prefix}", spec["prefix"])
    tf = (ROOT / "infrastructure" / "query.tf").read_text()
    projection = {
        k: v.replace("${var.curated_first_year}", "2020")
        for k, v in re.findall(r'"(projection\.[\w.]+)"\s*=\s*"([^"]+)"', tf)
    }
    return query_cli._table(
        {
            "Name": name,
            "StorageDescriptor": {
                "Columns": [{"Name": c["name"], "Type": c["type"]} for c in spec["columns"]],
                "Location": f"s3://data-bucket/{spec['prefix']}/",
                "SerdeInfo": {
                    "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
                },
            },
            "PartitionKeys": [{"Name": "year", "Type": "string"}, {"Name": "day", "Type": "string"}],
            "Parameters": {**projection, "storage.location.template": template, **params},
        }
    )


# --- the catalog against the writers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "schema"), [("daily_bars", BARS.SCHEMA), ("analysis", ANALYSIS.SCHEMA)], ids=["bars", "analysis"]
)
def test_each_glue_table_declares_exactly_the_columns_and_types_its_writer_puts_in_the_parquet(name, schema):
    # Given the Terraform table definition and the pyarrow schema of the function that writes the objects
    declared = [(c["name"], c["type"]) for c in TABLES[name]["columns"]]
    # Then the columns are the same, in the same order, with the types Athena reads the Parquet types as
    assert declared == [(f.name, glue_type(f.type)) for f in schema]
    # and no partition key repeats a column (Glue refuses a table whose partition key is also a column)
    assert {"year", "day"}.isdisjoint(c for c, _ in declared)


def test_every_curated_key_the_pipeline_writes_falls_in_its_tables_partition_template():
    # Given the key functions of the writers and the tables' location template from query.tf
    day = dt.date(2025, 3, 3)
    cases = [("daily_bars", parquet_key(day)), ("analysis", ANALYSIS.analysis_key(day))]
    for name, key in cases:
        # Then each key is a data file of the partition year=2025, day=2025-03-03 of its table
        assert table(name).partition_of(key) == {"year": "2025", "day": "2025-03-03"}, (name, key)
        assert table(name).bucket == "data-bucket"


# --- partition templates and projection -----------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "curated/daily_bars/year=2025/date=2025-03-03/_SUCCESS",  # Athena skips _ and . files
        "curated/daily_bars/year=2025/date=2025-03-03/.bars.parquet.tmp",
        "curated/daily_bars/year=2025/date=2025-03-03/sub/bars.parquet",  # not in the partition's folder
        "curated/daily_bars/year=2025/bars.parquet",
        "curated/analysis/year=2025/date=2025-03-03/analysis.parquet",  # another table
        "raw/provider=massive/date=2025-03-03/TSLA.json",
        "curated/daily_bars/year=2025/date=2025-03-03/",
    ],
)
def test_keys_outside_a_partitions_data_files_are_not_part_of_the_table(key):
    assert table().partition_of(key) is None


@pytest.mark.parametrize(
    ("values", "seen"),
    [
        ({"year": "2020", "day": "2020-01-02"}, True),
        ({"year": "2026", "day": "2026-11-26"}, True),  # today (NOW)
        ({"year": "2019", "day": "2019-12-31"}, False),  # before curated_first_year
        ({"year": "2026", "day": "2026-11-27"}, False),  # after NOW
        ({"year": "2025", "day": "2025-3-3"}, False),  # Athena formats yyyy-MM-dd: never this path
        ({"year": "2025", "day": "2025-02-30"}, False),
        ({"year": "25", "day": "2025-03-03"}, False),
    ],
)
def test_projection_covers_exactly_the_partitions_athena_computes(values, seen):
    assert projected(table(), values, NOW) is seen


def test_enum_and_integer_projections_are_honoured_and_unknown_ones_are_named():
    t = table(**{"projection.year.type": "integer", "projection.year.range": "2021,2022"})
    assert projected(t, {"year": "2021", "day": "2021-05-05"}, NOW)
    assert not projected(t, {"year": "2023", "day": "2023-05-05"}, NOW)
    t = table(**{"projection.year.type": "enum", "projection.year.values": "2024,2025"})
    assert projected(t, {"year": "2025", "day": "2025-05-05"}, NOW)
    assert not projected(t, {"year": "2023", "day": "2023-05-05"}, NOW)
    with pytest.raises(QueryError, match="projection type injected of year"):
        projected(table(**{"projection.year.type": "injected"}), {"year": "2025", "day": "2025-05-05"}, NOW)


def test_a_table_the_local_engine_cannot_read_is_refused_by_name():
    with pytest.raises(QueryError, match="does not place partition key day"):
        table(**{"storage.location.template": "s3://data-bucket/curated/daily_bars/year=${year}/"})
    with pytest.raises(QueryError, match="without projection"):
        table(**{"projection.enabled": "false"})
    with pytest.raises(QueryError, match="column type 'map<string,int>'"):
        query_cli.duckdb_type("map<string,int>")


# --- the local engine --------------------------------------------------------------------------------------


class FakeS3:
    """The S3 calls the local engine makes, over a dict; counts downloads."""

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects = objects
        self.downloaded: list[str] = []

    def get_paginator(self, name: str) -> Any:
        assert name == "list_objects_v2"
        objects = self.objects

        class Pages:
            def paginate(self, Bucket: str, Prefix: str) -> Iterator[dict[str, Any]]:
                keys = sorted(k for k in objects if k.startswith(Prefix))
                for i in range(0, len(keys), 2):  # two keys a page: pagination is followed
                    yield {"Contents": [{"Key": k, "ETag": etag(objects[k])} for k in keys[i : i + 2]]}

        return Pages()

    def download_file(self, bucket: str, key: str, path: str) -> None:
        assert bucket == "data-bucket"
        self.downloaded.append(key)
        Path(path).write_bytes(self.objects[key])

    def get_object(self, Bucket: str, Key: str) -> dict[str, Any]:
        assert Bucket == "data-bucket"
        self.downloaded.append(Key)
        return {"Body": io.BytesIO(self.objects[Key]), "ETag": etag(self.objects[Key])}


def etag(body: bytes) -> str:
    return f'"{hashlib.md5(body).hexdigest()}"'


class FakeGlue:
    def __init__(self, tables: list[Table]) -> None:
        self.raw = [_raw(t) for t in tables]

    def get_paginator(self, name: str) -> Any:
        assert name == "get_tables"
        raw = self.raw

        class Pages:
            def paginate(self, DatabaseName: str) -> Iterator[dict[str, Any]]:
                assert DatabaseName == "stock_movers_test"
                yield {"TableList": raw[:1]}
                yield {"TableList": raw[1:]}

        return Pages()


def _raw(t: Table) -> dict[str, Any]:
    return {
        "Name": t.name,
        "StorageDescriptor": {
            "Columns": [{"Name": c, "Type": ty} for c, ty in t.columns],
            "Location": f"s3://{t.bucket}/x/",
            "SerdeInfo": {
                "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
            },
        },
        "PartitionKeys": [{"Name": k, "Type": ty} for k, ty in t.partition_keys],
        "Parameters": {**t.parameters, "storage.location.template": f"s3://{t.bucket}/{t.template}"},
    }


def bars(day: str, *rows: tuple[str, str, str, str]) -> bytes:
    """The real writer's Parquet of (ticker, open, close, pct) rows, with the day's board."""
    stored = [
        {"date": day, "ticker": t, "open": o, "high": max(o, c, key=float), "low": min(o, c, key=float),
         "close": c, "volume": "1000", "percentChange": p, "provider": "massive"}
        for t, o, c, p in rows
    ]  # fmt: skip
    board = board_of(day_rows(DailyBar.from_dict(r) for r in stored), dt.date.fromisoformat(day), 10)
    return BARS.bars_parquet(stored, board)


@pytest.fixture
def objects() -> dict[str, bytes]:
    """Given three stored days (one before curated_first_year) and a marker file Athena would skip."""
    return {
        parquet_key(dt.date(2025, 3, 3)): bars(
            "2025-03-03", ("TSLA", "10", "11", "10.000000"), ("AAPL", "5", "4.5", "-10.000000")
        ),
        parquet_key(dt.date(2025, 3, 4)): bars("2025-03-04", ("TSLA", "11", "11.11", "1.000000")),
        parquet_key(dt.date(2019, 12, 31)): bars("2019-12-31", ("TSLA", "9", "10", "11.111111")),
        "curated/daily_bars/year=2025/date=2025-03-03/_SUCCESS": b"not parquet",
    }


def run(
    objects: dict[str, bytes], sql: str, tmp_path: Path, cache: Path | None = None
) -> tuple[Result, FakeS3]:
    s3 = FakeS3(objects)
    engine = LocalEngine(
        s3, FakeGlue([table("analysis"), table("daily_bars")]), "stock_movers_test", tmp_path, NOW, cache
    )
    return engine.run(sql), s3


def test_a_cached_object_is_fetched_again_only_when_its_etag_changed(objects, tmp_path):
    sql = "SELECT day, ticker, close FROM daily_bars ORDER BY day, ticker"
    cache = tmp_path / "cache"
    # Given a first query that fetched every data object
    first, s3 = run(objects, sql, tmp_path / "1", cache)
    assert len(s3.downloaded) == 2
    # When the same query runs again, nothing is downloaded and the answer is the same
    again, s3 = run(objects, sql, tmp_path / "2", cache)
    assert s3.downloaded == [] and again == first
    # When one day is re-stored with other numbers, only that object is fetched, and the answer is the new one
    key = parquet_key(dt.date(2025, 3, 4))
    changed = {**objects, key: bars("2025-03-04", ("TSLA", "11", "12.1", "10.000000"))}
    after, s3 = run(changed, sql, tmp_path / "3", cache)
    assert s3.downloaded == [key]
    assert after.rows[-1] == ["2025-03-04", "TSLA", "12.10000000"]
    assert not list(cache.rglob("*.part"))


def test_a_key_that_would_leave_the_cache_is_a_named_error(tmp_path):
    def never(bucket: str, key: str, path: Path) -> str:
        raise AssertionError("not fetched")

    with pytest.raises(QueryError, match="cannot hold"):
        query_cli.cached_object(tmp_path / "cache", "data-bucket", "curated/../../../etc/x", '"e"', never)


def test_the_local_engine_exposes_the_catalogs_columns_types_and_partition_keys(objects, tmp_path):
    result, s3 = run(objects, "SELECT * FROM daily_bars ORDER BY day, ticker", tmp_path)
    assert result.columns == [c["name"] for c in TABLES["daily_bars"]["columns"]] + ["year", "day"]
    assert result.rows[0] == [
        "2025-03-03", "AAPL", "5.00000000", "5.00000000", "4.50000000", "4.50000000", "1000.00000000",
        "-10.000000", "massive", None, "1", None, None, "2025", "2025-03-03",
    ]  # fmt: skip
    # the 2019 day is outside the projection (as on Athena) and the marker file is skipped
    assert [r[-1] for r in result.rows] == ["2025-03-03", "2025-03-03", "2025-03-04"]
    assert not any(k.endswith(("_SUCCESS", "2019-12-31/bars.parquet")) for k in s3.downloaded)
    typed, _ = run(objects, "SELECT column_name, column_type FROM (DESCRIBE daily_bars)", tmp_path / "d")
    assert ["open", "DECIMAL(28,8)"] in typed.rows and ["year", "VARCHAR"] in typed.rows
    assert ["gainer_rank", "SMALLINT"] in typed.rows


def test_the_example_winner_query_answers_with_the_tie_rule_and_exact_decimals(objects, tmp_path):
    # Given AAPL and TSLA tied at |10%| on 2025-03-03: the tie goes to the ticker that sorts first
    sql = """SELECT "date", ticker, pct_change FROM (
      SELECT "date", ticker, pct_change,
             row_number() OVER (PARTITION BY "date" ORDER BY abs(pct_change) DESC, ticker) AS place
      FROM stock_movers_test.daily_bars WHERE year = '2025') AS ranked
    WHERE place = 1 ORDER BY "date" DESC"""
    result, _ = run(objects, sql, tmp_path)
    assert result.rows == [["2025-03-04", "TSLA", "1.000000"], ["2025-03-03", "AAPL", "-10.000000"]]


def test_only_the_tables_a_statement_names_are_fetched_and_the_others_are_empty(objects, tmp_path):
    result, s3 = run(objects, "SELECT count(*) AS n FROM awsdatacatalog.stock_movers_test.analysis", tmp_path)
    assert result.rows == [["0"]] and s3.downloaded == []
    shown, _ = run(objects, "SHOW TABLES", tmp_path / "s")
    assert shown.rows == [["analysis"], ["daily_bars"]]


def test_a_declared_column_no_file_holds_reads_as_null(tmp_path):
    # Given a file written before a column existed (an older writer)
    table_ = pa.table({"date": [dt.date(2025, 3, 3)], "ticker": ["TSLA"]})
    sink = io.BytesIO()
    pq.write_table(table_, sink)
    result, _ = run(
        {parquet_key(dt.date(2025, 3, 3)): sink.getvalue()}, "SELECT ticker, close FROM daily_bars", tmp_path
    )
    assert result.rows == [["TSLA", None]]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; SELECT 2", "one statement per query"),
        ("CREATE TABLE x AS SELECT 1", "only reads run .* CREATE statement"),
        ("COPY (SELECT 1) TO 'x.csv'", "only reads run .* COPY statement"),
        ("PRAGMA version", "only reads run .* PRAGMA statement"),
        ("SELEC 1", "query failed: Parser Error"),
        ("SELECT * FROM read_csv('/etc/passwd')", "query failed: .*disabled by configuration"),
        (
            "SELECT * FROM read_parquet('" + "/" + "tmp/*.parquet')",
            "query failed: .*disabled by configuration",
        ),
        ("SELECT nope FROM daily_bars", "query failed: Binder Error"),
    ],
)
def test_statements_that_are_not_one_read_of_the_catalog_are_named_errors(objects, tmp_path, sql, message):
    with pytest.raises(QueryError, match=message):
        run(objects, sql, tmp_path)


def test_settings_cannot_be_changed_back_by_the_statement(objects, tmp_path):
    with pytest.raises(QueryError, match="only reads run"):
        run(objects, "SET enable_external_access=true", tmp_path)


# --- Athena ------------------------------------------------------------------------------------------------


class FakeAthena:
    """Athena's query API: the query runs for `polls` GetQueryExecution calls, then ends in `state`."""

    def __init__(self, state: str = "SUCCEEDED", polls: int = 2, reason: str = "") -> None:
        self.state, self.polls, self.reason = state, polls, reason
        self.started: dict[str, Any] = {}
        self.stopped: list[str] = []

    def start_query_execution(self, **kwargs: Any) -> dict[str, Any]:
        self.started = kwargs
        return {"QueryExecutionId": "q-1"}

    def get_query_execution(self, QueryExecutionId: str) -> dict[str, Any]:
        self.polls -= 1
        state = "RUNNING" if self.polls > 0 else self.state
        status = {"State": state, **({"StateChangeReason": self.reason} if self.reason else {})}
        return {"QueryExecution": {"Status": status, "StatementType": "DML",
                                   "Statistics": {"DataScannedInBytes": 2048}}}  # fmt: skip

    def stop_query_execution(self, QueryExecutionId: str) -> None:
        self.stopped.append(QueryExecutionId)

    def get_paginator(self, name: str) -> Any:
        assert name == "get_query_results"
        info = {"ColumnInfo": [{"Name": "ticker"}, {"Name": "wins"}]}
        row = lambda *v: {"Data": [{"VarCharValue": x} if x is not None else {} for x in v]}  # noqa: E731

        class Pages:
            def paginate(self, QueryExecutionId: str) -> Iterator[dict[str, Any]]:
                yield {
                    "ResultSet": {
                        "ResultSetMetadata": info,
                        "Rows": [row("ticker", "wins"), row("TSLA", "3")],
                    }
                }
                yield {"ResultSet": {"ResultSetMetadata": info, "Rows": [row("NVDA", None)]}}

        return Pages()


def test_athena_runs_in_the_workgroup_and_the_header_row_is_not_a_result_row():
    athena, err, sleeps = FakeAthena(), io.StringIO(), []
    result = run_athena(athena, "SELECT 1", workgroup="wg", database="db", sleep=sleeps.append, err=err)
    assert athena.started == {
        "QueryString": "SELECT 1", "WorkGroup": "wg",
        "QueryExecutionContext": {"Catalog": "AwsDataCatalog", "Database": "db"},
    }  # fmt: skip
    assert result == Result(["ticker", "wins"], [["TSLA", "3"], ["NVDA", None]])
    assert sleeps == [0.25] and "2,048 bytes scanned" in err.getvalue()


def test_a_failed_athena_query_is_named_with_athenas_reason():
    athena = FakeAthena("FAILED", reason="Query cancelled: bytes scanned limit was exceeded")
    with pytest.raises(QueryError, match="query q-1 FAILED: Query cancelled: bytes scanned limit"):
        run_athena(athena, "SELECT 1", workgroup="wg", database="db", sleep=lambda s: None, err=io.StringIO())


def test_an_athena_query_that_outlasts_the_timeout_is_stopped():
    athena, clock = FakeAthena(polls=100), iter(range(0, 1000, 10))
    with pytest.raises(QueryError, match="still RUNNING after 30 s: stopped"):
        run_athena(
            athena, "SELECT 1", workgroup="wg", database="db", timeout=30, sleep=lambda s: None,
            clock=lambda: float(next(clock)), err=io.StringIO(),
        )  # fmt: skip
    assert athena.stopped == ["q-1"]


# --- output -----------------------------------------------------------------------------------------------


def test_values_print_as_athena_returns_them():
    from decimal import Decimal

    values = (None, True, False, Decimal("1.500000"), Decimal("1E-6"), dt.date(2025, 1, 2), 7)
    assert [text(v) for v in values] == [None, "true", "false", "1.500000", "0.000001", "2025-01-02", "7"]


def test_each_output_format_holds_every_value_and_null():
    result = Result(["ticker", "pct"], [["TSLA", "1.500000"], ["A,B", None]])
    out = io.StringIO()
    render(result, "json", out)
    assert json.loads(out.getvalue()) == {
        "columns": ["ticker", "pct"],
        "rows": [["TSLA", "1.500000"], ["A,B", None]],
    }
    out = io.StringIO()
    render(result, "csv", out)
    assert out.getvalue() == 'ticker,pct\nTSLA,1.500000\n"A,B",\n'
    out = io.StringIO()
    render(result, "table", out)
    assert out.getvalue().splitlines() == [
        "ticker | pct",
        "-------+---------",
        "TSLA   | 1.500000",
        "A,B    | NULL",
        "(2 rows)",
    ]


def test_a_stack_without_the_query_catalog_or_an_empty_query_is_a_named_error():
    from movers.cli.common import Target

    with pytest.raises(QueryError, match="no query catalog"):
        query_cli.query(Target({}), "SELECT 1", local=True)
    with pytest.raises(QueryError, match="empty"):
        query_cli.query(Target({"query_database": "db"}), "  ", local=True)
