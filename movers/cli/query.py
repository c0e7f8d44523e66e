"""`movers query "SELECT ..."`: SQL over the curated zone, by the tables the Glue Data Catalog defines.

On AWS the statement runs in the stack's Athena workgroup (its enforced results bucket, encryption and
bytes-scanned limit) with the catalog database as the default. With ``--local`` the same statement runs on
an embedded engine (DuckDB) over the same Parquet objects, read from the local AWS's S3: the tables, their
columns and types, their partition keys and which objects belong to which partition all come from the local
AWS's Glue catalog (the Terraform-applied table definitions), so the local tables are Athena's tables. One
statement per call, reads only (SELECT, EXPLAIN). Where the two dialects differ: docs/query.md.

Output: an aligned table (default), ``--format csv`` or ``--format json`` (``{"columns": [...], "rows":
[[...], ...]}``); values are printed as Athena returns them: text (decimals with their scale, ISO dates,
``true``/``false``), NULL as null.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import decimal
import json
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from movers.cli.common import CliError, Target, target

# Athena's name of the Glue Data Catalog; locally an attached in-memory database of that name.
CATALOG = "awsdatacatalog"
READ_STATEMENTS = ("SELECT", "EXPLAIN")
ATHENA_DONE = ("SUCCEEDED", "FAILED", "CANCELLED")
DOWNLOAD_THREADS = 8


class QueryError(CliError):
    """A query that cannot run: bad statement, unsupported table definition, failed engine run."""


@dataclass(frozen=True)
class Result:
    """A query's answer: column names and rows of text values (None for NULL), as Athena returns them."""

    columns: list[str]
    rows: list[list[str | None]]


# ------------------------------------------------------------------------------------------ the catalog
@dataclass(frozen=True)
class Table:
    """One Glue table over Parquet objects in S3, with partition projection."""

    name: str
    columns: list[tuple[str, str]]  # (name, Glue type)
    partition_keys: list[tuple[str, str]]
    bucket: str
    template: str  # the object key pattern of a partition, `${key}` for each partition key
    parameters: dict[str, str]

    def partition_of(self, key: str) -> dict[str, str] | None:
        """The partition values of an object key, or None when the key is not a data file of a partition
        (outside the template, in a subfolder, or a name Athena skips: starting with `_` or `.`)."""
        match = _template_regex(self.template).match(key)
        if match is None:
            return None
        name = key[match.end() :]
        if not name or "/" in name or name.startswith(("_", ".")):
            return None
        return match.groupdict()


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\$\{(\w+)\}", template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return re.compile(pattern)


def _split_s3(url: str, what: str) -> tuple[str, str]:
    if not url.startswith("s3://") or "/" not in url[5:]:
        raise QueryError(f"{what} is not an s3://bucket/prefix URL: {url!r}")
    bucket, _, key = url[5:].partition("/")
    return bucket, key


def catalog_tables(glue: Any, database: str) -> list[Table]:
    """Every table of the Glue database (GetTables, paginated), as the local engine needs them."""
    tables: list[Table] = []
    for page in glue.get_paginator("get_tables").paginate(DatabaseName=database):
        for raw in page.get("TableList", []):
            tables.append(_table(raw))
    return sorted(tables, key=lambda t: t.name)


def _table(raw: Mapping[str, Any]) -> Table:
    name = raw["Name"]
    sd = raw.get("StorageDescriptor") or {}
    params = dict(raw.get("Parameters") or {})
    serde = (sd.get("SerdeInfo") or {}).get("SerializationLibrary", "")
    if "parquet" not in serde.lower():
        raise QueryError(f"table {name}: only Parquet tables run locally (SerDe {serde!r})")
    keys = [(k["Name"], k["Type"]) for k in raw.get("PartitionKeys") or []]
    location = params.get("storage.location.template") or sd.get("Location", "")
    bucket, template = _split_s3(location, f"table {name}'s location")
    if not keys:
        template = template if template.endswith("/") else template + "/"
    for key, _ in keys:
        if "${" + key + "}" not in template:
            raise QueryError(f"table {name}: storage.location.template does not place partition key {key}")
    if keys and params.get("projection.enabled", "").lower() != "true":
        raise QueryError(
            f"table {name}: partitioned without projection; only projected partitions run locally"
        )
    return Table(
        name, [(c["Name"], c["Type"]) for c in sd.get("Columns", [])], keys, bucket, template, params
    )


# ------------------------------------------------------------------------------- partition projection
_JAVA_DATE = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S"}


def _strftime_pattern(java: str) -> str:
    """A java.time pattern of the subset projection formats use here (yyyy MM dd HH mm ss, quoted text)."""
    out, i = [], 0
    while i < len(java):
        if java[i] == "'":
            end = java.find("'", i + 1)
            if end < 0:
                raise QueryError(f"unsupported projection format {java!r}")
            out.append(java[i + 1 : end].replace("%", "%%"))
            i = end + 1
            continue
        for token, directive in _JAVA_DATE.items():
            if java.startswith(token, i):
                out.append(directive)
                i += len(token)
                break
        else:
            if java[i].isalpha():
                raise QueryError(f"unsupported projection format {java!r}")
            out.append(java[i].replace("%", "%%"))
            i += 1
    return "".join(out)


def projected(table: Table, values: Mapping[str, str], now: dt.datetime) -> bool:
    """True when Athena's partition projection of the table covers these partition values (so Athena reads
    the objects); an object outside the projected range is invisible to Athena, and so it is here."""
    return all(_in_projection(table, key, values[key], now) for key, _ in table.partition_keys)


def _in_projection(table: Table, key: str, value: str, now: dt.datetime) -> bool:
    p = table.parameters
    kind = p.get(f"projection.{key}.type", "").lower()
    if kind == "enum":
        return value in p.get(f"projection.{key}.values", "").split(",")
    if kind == "integer":
        low, high = (int(x) for x in p[f"projection.{key}.range"].split(","))
        return value.lstrip("-").isdigit() and low <= int(value) <= high
    if kind == "date":
        fmt = _strftime_pattern(p.get(f"projection.{key}.format", "yyyy-MM-dd"))
        if p.get(f"projection.{key}.interval", "1") != "1":
            raise QueryError(f"table {table.name}: projection of {key}: only an interval of 1 runs locally")
        try:
            day = dt.datetime.strptime(value, fmt)
        except ValueError:
            return False
        if day.strftime(fmt) != value:  # e.g. 2024-1-2: Athena formats values, it never finds this path
            return False
        first, last = (
            now.replace(tzinfo=None) if bound.strip().upper() == "NOW" else dt.datetime.strptime(bound, fmt)
            for bound in p[f"projection.{key}.range"].split(",")
        )
        return first <= day <= last
    raise QueryError(f"table {table.name}: projection type {kind or 'missing'} of {key} does not run locally")


# ------------------------------------------------------------------------------------ the local engine
_DUCKDB_TYPES = {
    "string": "VARCHAR", "varchar": "VARCHAR", "char": "VARCHAR", "date": "DATE", "timestamp": "TIMESTAMP",
    "boolean": "BOOLEAN", "tinyint": "TINYINT", "smallint": "SMALLINT", "int": "INTEGER",
    "integer": "INTEGER", "bigint": "BIGINT", "float": "FLOAT", "double": "DOUBLE", "binary": "BLOB",
}  # fmt: skip


def duckdb_type(glue_type: str) -> str:
    """The DuckDB type of a Glue (Hive) column type; QueryError for a type the local engine does not map."""
    text = glue_type.strip().lower()
    decimal_type = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", text)
    if decimal_type:
        return f"DECIMAL({decimal_type[1]},{decimal_type[2]})"
    base = re.sub(r"\(\d+\)$", "", text)
    if base in _DUCKDB_TYPES:
        return _DUCKDB_TYPES[base]
    raise QueryError(f"column type {glue_type!r} does not run locally")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _mentions(sql: str, name: str) -> bool:
    return re.search(rf"(?<![\w$]){re.escape(name)}(?![\w$])", sql, re.IGNORECASE) is not None


def cached_object(
    cache: Path, bucket: str, key: str, etag: str, get: Callable[[str, str, Path], str]
) -> Path:
    """The object's file in the cache, fetched with get unless the cache holds it at this ETag.

    A file and its ETag are written under new names and renamed into place, so a concurrent or interrupted
    query never reads a half-written file; an object overwritten since (another ETag) is fetched again, and
    one whose ETag changed between the listing and the GET is stored under the GET's ETag (the next query
    compares against the listing again)."""
    path = cache / bucket / key
    if not path.resolve().is_relative_to(cache.resolve()) or key.endswith((".etag", ".part")):
        raise QueryError(f"an object key the query cache cannot hold: {key!r}")
    tag = path.with_name(path.name + ".etag")
    if etag and path.is_file() and tag.is_file() and tag.read_text() == etag:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
    try:
        got = get(bucket, key, part)
        tag.unlink(missing_ok=True)  # never a tag beside a file it does not describe
        part.replace(path)
    finally:
        part.unlink(missing_ok=True)
    tag_part = tag.with_name(f"{tag.name}.{uuid.uuid4().hex}.part")
    tag_part.write_text(got)
    tag_part.replace(tag)
    return path


class LocalEngine:
    """DuckDB over the curated objects of the local S3, laid out as the catalog's tables."""

    def __init__(
        self, s3: Any, glue: Any, database: str, workdir: Path, now: dt.datetime | None = None,
        cache: Path | None = None,
    ):  # fmt: skip
        self.s3, self.glue, self.database, self.workdir = s3, glue, database, workdir
        self.now = now or dt.datetime.now(dt.UTC)
        # Objects fetched by an earlier query, by bucket/key, each beside its ETag: a query over a year
        # of days downloads only what changed since (the local S3 answers a GET in ~10 ms, one at a time).
        self.cache = cache

    def run(self, sql: str) -> Result:
        try:
            import duckdb
        except ImportError:
            raise QueryError("the local engine (duckdb) is not installed: run `make install`") from None

        self._check(sql, duckdb)
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH ':memory:' AS {CATALOG}")
            con.execute(f"CREATE SCHEMA {CATALOG}.{_ident(self.database)}")
            for table in catalog_tables(self.glue, self.database):
                # Only the tables the statement names are fetched; the others exist, empty, for SHOW TABLES.
                files = self._download(table) if _mentions(sql, table.name) else []
                con.execute(self._view(table, files, con))
            con.execute(f"USE {CATALOG}.{_ident(self.database)}")
            # The statement reads the catalog's tables only: no other file, no setting changed back.
            con.execute(f"SET allowed_directories=[{_literal(str(self.workdir) + '/')}]")
            con.execute("SET enable_external_access=false")
            con.execute("SET lock_configuration=true")
            try:
                cursor = con.execute(sql)
            except duckdb.Error as exc:
                raise QueryError(f"query failed: {str(exc).strip()}") from None
            columns = [d[0] for d in cursor.description or []]
            return Result(columns, [[text(v) for v in row] for row in cursor.fetchall()])
        finally:
            con.close()

    @staticmethod
    def _check(sql: str, duckdb: Any) -> None:
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(f"query failed: {str(exc).strip()}") from None
        if len(statements) != 1:
            raise QueryError(f"one statement per query, as Athena runs them (got {len(statements)})")
        kind = statements[0].type.name
        if kind not in READ_STATEMENTS:
            raise QueryError(f"only reads run (SELECT, EXPLAIN); this is a {kind} statement")

    def _download(self, table: Table) -> list[tuple[Path, dict[str, str]]]:
        """The table's projected data objects, fetched to workdir/<table>/<key>=<value>/.../<n>.parquet."""
        prefix = table.template.split("${", 1)[0]
        wanted: list[tuple[str, str, dict[str, str]]] = []  # (key, ETag, partition values)
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=table.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                values = table.partition_of(obj["Key"])
                if values is not None and projected(table, values, self.now):
                    wanted.append((obj["Key"], obj.get("ETag", ""), values))
        targets = []
        for n, (_, _, values) in enumerate(wanted):
            folder = self.workdir / table.name
            for key, _ in table.partition_keys:
                folder /= f"{key}={values[key]}"
            targets.append(folder / f"{n}.parquet")

        def fetch(job: tuple[tuple[str, str, dict[str, str]], Path]) -> None:
            (key, etag, _), path = job
            path.parent.mkdir(parents=True, exist_ok=True)
            if self.cache is None:
                self.s3.download_file(table.bucket, key, str(path))
                return
            cached = cached_object(self.cache, table.bucket, key, etag, self._get)
            shutil.copyfile(cached, path)

        with ThreadPoolExecutor(DOWNLOAD_THREADS) as pool:
            list(pool.map(fetch, zip(wanted, targets, strict=True)))
        return [(path, values) for path, (_, _, values) in zip(targets, wanted, strict=True)]

    def _get(self, bucket: str, key: str, path: Path) -> str:
        """Downloads an object to path; its ETag as the GET answered it."""
        answer = self.s3.get_object(Bucket=bucket, Key=key)
        with path.open("wb") as out:
            shutil.copyfileobj(answer["Body"], out)
        return str(answer.get("ETag", ""))

    def _view(self, table: Table, files: list[tuple[Path, dict[str, str]]], con: Any) -> str:
        """CREATE VIEW of the table: its declared columns and partition keys, typed as the catalog says.

        Every name is quoted (_ident) and every path a quoted literal (_literal): no text of the catalog or
        the object keys reaches the SQL unquoted."""
        name = f"{CATALOG}.{_ident(self.database)}.{_ident(table.name)}"
        declared = table.columns + table.partition_keys
        if not files:
            select = ", ".join(f"CAST(NULL AS {duckdb_type(t)}) AS {_ident(c)}" for c, t in declared)
            return f"CREATE VIEW {name} AS SELECT {select} WHERE false"
        folders = ["*"] * len(table.partition_keys)
        glob = str(self.workdir.joinpath(table.name, *folders, "*.parquet"))
        options = [_literal(glob), "union_by_name=true"]
        if table.partition_keys:
            types = ", ".join(f"{_literal(k)}: {duckdb_type(t)}" for k, t in table.partition_keys)
            options += ["hive_partitioning=true", f"hive_types={{{types}}}"]
        source = f"read_parquet({', '.join(options)})"
        described = con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()  # noqa: S608 - quoted path
        present = {row[0].lower() for row in described}
        # Athena reads Parquet columns by name: a declared column that no file has reads as NULL.
        select = ", ".join(
            f"CAST({_ident(c) if c.lower() in present else 'NULL'} AS {duckdb_type(t)}) AS {_ident(c)}"
            for c, t in declared
        )
        return f"CREATE VIEW {name} AS SELECT {select} FROM {source}"  # noqa: S608 - quoted names


def text(value: Any) -> str | None:
    """A value as Athena's results give it: text, decimals with their scale, ISO dates, true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="milliseconds")
    if isinstance(value, decimal.Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# ------------------------------------------------------------------------------------------- Athena
def run_athena(
    athena: Any,
    sql: str,
    *,
    workgroup: str,
    database: str,
    timeout: float = 300.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    err: TextIO = sys.stderr,
) -> Result:
    """Run the statement in the workgroup (its enforced results location and scan limit) and read the
    whole answer; QueryError with Athena's reason when it fails, is cancelled or outlasts `timeout`."""
    qid = athena.start_query_execution(
        QueryString=sql,
        WorkGroup=workgroup,
        QueryExecutionContext={"Catalog": "AwsDataCatalog", "Database": database},
    )["QueryExecutionId"]
    deadline, wait = clock() + timeout, 0.25
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        status = execution["Status"]
        if status["State"] in ATHENA_DONE:
            break
        if clock() >= deadline:
            athena.stop_query_execution(QueryExecutionId=qid)
            raise QueryError(f"query {qid} still {status['State']} after {timeout:.0f} s: stopped")
        sleep(wait)
        wait = min(wait * 2, 2.0)
    if status["State"] != "SUCCEEDED":
        reason = status.get("StateChangeReason") or (status.get("AthenaError") or {}).get("ErrorMessage", "")
        raise QueryError(f"query {qid} {status['State']}: {reason}".rstrip(": "))
    scanned = (execution.get("Statistics") or {}).get("DataScannedInBytes")
    if scanned is not None:
        err.write(f"athena query {qid}: {scanned:,} bytes scanned\n")
    columns: list[str] = []
    rows: list[list[str | None]] = []
    first = True
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=qid):
        result_set = page["ResultSet"]
        if first:
            columns = [c["Name"] for c in result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])]
        page_rows = [[cell.get("VarCharValue") for cell in row.get("Data", [])] for row in result_set["Rows"]]
        if first and execution.get("StatementType") == "DML" and page_rows and page_rows[0] == columns:
            page_rows = page_rows[1:]  # a SELECT's first row repeats the column names
        rows.extend(page_rows)
        first = False
    return Result(columns, rows)


# ------------------------------------------------------------------------------------------- output
def render(result: Result, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        json.dump({"columns": result.columns, "rows": result.rows}, out)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([["" if v is None else v for v in row] for row in result.rows])
    else:
        out.write(_table_text(result.columns, [["NULL" if v is None else v for v in r] for r in result.rows]))
        out.write(f"({len(result.rows)} row{'' if len(result.rows) == 1 else 's'})\n")


def _table_text(columns: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    rows = list(rows)
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    line = lambda cells: " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()  # noqa: E731
    body = [line(columns), "-+-".join("-" * w for w in widths), *(line(r) for r in rows)]
    return "\n".join(body) + "\n"


# ------------------------------------------------------------------------------------------- command
def query(t: Target, sql: str, *, local: bool, timeout: float = 300.0) -> Result:
    """What `movers query` does on a target: the local engine for the local stack, else Athena."""
    if not sql.strip():
        raise QueryError("the query is empty")
    database = t.outputs.get("query_database")
    if not database:
        raise QueryError("the stack has no query catalog (query_database): apply the current Terraform first")
    if local:
        # objects of earlier queries, kept in the local stack's folder (gone with the stack)
        cache = t.work_dir / "query-cache" if t.work_dir is not None else None
        with tempfile.TemporaryDirectory(prefix="movers-query-") as work:
            engine = LocalEngine(t.client("s3"), t.client("glue"), str(database), Path(work), cache=cache)
            return engine.run(sql)
    return run_athena(
        t.client("athena"), sql, workgroup=str(t.outputs["query_workgroup"]), database=str(database),
        timeout=timeout,
    )  # fmt: skip


def cmd_query(args: argparse.Namespace) -> int:
    t = target(args)
    render(query(t, args.sql, local=t.endpoint is not None, timeout=args.timeout), args.format, sys.stdout)
    return 0


def add_parser(sub: Any) -> None:
    """Register `movers query` on the CLI's subparsers."""
    p = sub.add_parser(
        "query",
        help="SQL over the curated zone's tables (Athena; DuckDB over the local S3 with --local)",
        description="Run one SELECT over the Glue catalog's tables of the curated zone (docs/query.md).",
    )
    p.add_argument("sql", help='one statement, e.g. "SELECT ticker, count(*) FROM daily_bars GROUP BY 1"')
    p.add_argument(
        "--format", choices=["table", "csv", "json"], default="table", help="output (default table)"
    )
    p.add_argument(
        "--timeout", type=float, default=300.0, help="Athena: stop the query after this many seconds (300)"
    )
    p.set_defaults(func=cmd_query)
