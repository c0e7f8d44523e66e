"""Operations commands: `movers redrive <execution>` and `movers replay --from D --to D` (the restore drill).

replay rebuilds the main table's winner and per-ticker items of each session in [from, to] from the raw
provider bodies in S3 (raw/provider=<p>/date=<d>/<T>.json and backfill ranges
raw/provider=<p>/range=<from>_<to>/<T>.json), with the live pipeline's own parser
(stock_movers.providers.massive.parse_stored_body), reducer (stock_movers.usecases.pick.reduce_day) and
writer (stock_movers.adapters.storage.ItemStore). Replayed items equal the originals except `StoredAt`
(the replay's time) and `ExecutionArn` ("replay:<time>"). No provider call is made.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from movers.cli import CliError, resolve_execution, target

_RANGE_DIR = re.compile(r"/range=(\d{4}-\d\d-\d\d)_(\d{4}-\d\d-\d\d)/$")
_PAGE = re.compile(r"^(?P<ticker>[^/.][^/]*?)(?:\.page\d+)?\.json$")


class ReplayError(CliError):
    """The replay cannot run (bad range, unsupported provider, unreadable stored body)."""


# ---------------------------------------------------------------------------------------------- redrive


def redrive(sfn: Any, execution_arn: str) -> str:
    """Step Functions RedriveExecution: restarts a failed, timed-out or aborted Standard execution from its
    failed states (successful states are not re-run; within 14 days of the stop). Returns the redrive date."""
    try:
        out = sfn.redrive_execution(executionArn=execution_arn)
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "") or str(exc)
        if code == "ExecutionNotRedrivable":
            raise CliError(f"not redrivable: {message}") from None
        if code in ("ExecutionDoesNotExist", "ResourceNotFound"):
            raise CliError(f"unknown execution: {execution_arn}") from None
        if code in ("500", "InternalFailure", "NotImplemented") or "not yet implemented" in message.lower():
            raise CliError(
                "this Step Functions endpoint does not implement RedriveExecution (the local AWS does not);"
                " on AWS it works, or start a new run: see docs/operations.md#redrive"
            ) from None
        raise
    return str(out.get("redriveDate", ""))


def cmd_redrive(args: argparse.Namespace) -> int:
    t = target(args)
    arn = resolve_execution(t, args.execution)
    when = redrive(t.client("stepfunctions"), arn)
    print(f"redriven {arn.rsplit(':', 1)[-1]} at {when}: follow it with `movers trace {args.execution}`")
    return 0


# ---------------------------------------------------------------------------------------------- replay


@dataclass
class ReplayReport:
    """What a replay did, per session."""

    stored: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # date -> reason


def _keys(s3: Any, bucket: str, prefix: str) -> list[str]:
    keys: list[str] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        keys += [o["Key"] for o in page.get("Contents", [])]
    return sorted(keys)


def _range_dirs(s3: Any, bucket: str, provider: str) -> list[tuple[str, dt.date, dt.date]]:
    out = []
    prefix = f"raw/provider={provider}/"
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for common in page.get("CommonPrefixes", []):
            m = _RANGE_DIR.search(common["Prefix"])
            if m:
                out.append((common["Prefix"], dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])))
    return out


def _parse(body: bytes, ticker: str | None, label: str) -> Iterable[Any]:
    from stock_movers.providers.errors import ProviderError
    from stock_movers.providers.massive import parse_stored_body

    try:
        return parse_stored_body(body, ticker, label)
    except ProviderError as exc:
        raise ReplayError(f"cannot read {label}: {exc}") from None


def collect_bars(
    s3: Any, bucket: str, provider: str, start: dt.date, end: dt.date
) -> tuple[dict[dt.date, dict[str, Any]], dict[dt.date, Any]]:
    """Per-ticker bars by session from the stored raw bodies, and each day's grouped (snapshot) bars.

    Daily per-ticker files win over backfill ranges for the same ticker and day (same provider data).
    """
    from stock_movers.domain.calendar import sessions_in_range

    by_day: dict[dt.date, dict[str, Any]] = {}
    grouped: dict[dt.date, Any] = {}
    for prefix, r_from, r_to in _range_dirs(s3, bucket, provider):
        if r_to < start or r_from > end:
            continue
        for key in _keys(s3, bucket, prefix):
            m = _PAGE.match(key[len(prefix) :])
            if not m:
                continue
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            for bar in _parse(body, m["ticker"], key):
                if start <= bar.date <= end:
                    by_day.setdefault(bar.date, {})[bar.ticker] = bar
    for day in sessions_in_range(start, end):
        prefix = f"raw/provider={provider}/date={day.isoformat()}/"
        for key in _keys(s3, bucket, prefix):
            name = key[len(prefix) :]
            body_of = lambda k=key: s3.get_object(Bucket=bucket, Key=k)["Body"].read()  # noqa: E731
            if name == "_session.json":
                grouped[day] = {b.ticker: b for b in _parse(body_of(), None, key) if b.date == day}
                continue
            m = _PAGE.match(name)
            if not m:  # _snapshot-<execution>.json work objects and anything else
                continue
            for bar in _parse(body_of(), m["ticker"], key):
                if bar.date == day:
                    by_day.setdefault(day, {})[bar.ticker] = bar
    return by_day, grouped


def replay(
    s3: Any,
    ddb: Any,
    *,
    bucket: str,
    table: str,
    start: dt.date,
    end: dt.date,
    provider: str = "massive",
    tickers: Sequence[str] | None = None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> ReplayReport:
    """Rebuilds the winner and per-ticker items of every session in [start, end] from the raw bodies.

    The tickers of a day are `tickers` when given, else every ticker with a stored body for that day. A
    day whose winner item exists is skipped unless `force`; a day whose stored bars do not pass the
    pipeline's all-or-nothing validation is skipped with the reason (nothing written for it).
    """
    from stock_movers.adapters.storage import ItemStore
    from stock_movers.domain.calendar import sessions_in_range
    from stock_movers.domain.errors import DataIntegrityError
    from stock_movers.usecases.pick import reduce_day

    if end < start:
        raise ReplayError(f"--to {end} is before --from {start}")
    if (end - start).days > 3660:
        raise ReplayError("replay at most ten years at a time")
    if provider != "massive":
        raise ReplayError(f"replay reads massive raw bodies only, not {provider!r}")
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    items = ItemStore(table, ddb)
    by_day, grouped = collect_bars(s3, bucket, provider, start, end)
    report = ReplayReport()
    for day in sessions_in_range(start, end):
        iso = day.isoformat()
        bars = dict(by_day.get(day, {}))
        wanted = list(tickers) if tickers else sorted(bars)
        for ticker in wanted:
            if ticker not in bars and ticker in grouped.get(day, {}):
                bars[ticker] = grouped[day][ticker]
        if not wanted:
            report.skipped[iso] = "no stored raw bodies" + (
                " (a session snapshot: pass --tickers)" if day in grouped else ""
            )
            continue
        if not force and "Item" in ddb.get_item(
            TableName=table, Key={"pk": {"S": "MOVERS"}, "sk": {"S": iso}}, ProjectionExpression="pk"
        ):
            report.skipped[iso] = "winner already stored (use --force to overwrite)"
            continue
        try:
            day_result = reduce_day(day, wanted, [bars[t] for t in wanted if t in bars], provider)
        except DataIntegrityError as exc:
            report.skipped[iso] = f"stored bars do not validate: {exc}"
            continue
        items.put_ticker_days(day_result["rows"])
        items.put_winner(day_result["winner"], execution_arn=f"replay:{stamp}", stored_at=stamp, force=True)
        report.stored.append(iso)
    return report


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def cmd_replay(args: argparse.Namespace) -> int:
    t = target(args)
    report = replay(
        t.client("s3"),
        t.client("dynamodb"),
        bucket=t.outputs["bucket_name"],
        table=t.outputs["table_name"],
        start=args.start,
        end=args.end,
        provider=args.provider,
        tickers=args.tickers,
        force=args.force,
    )
    for day in report.stored:
        print(f"{day}  rebuilt")
    for day, reason in sorted(report.skipped.items()):
        print(f"{day}  skipped: {reason}")
    print(f"replayed {len(report.stored)} session(s), skipped {len(report.skipped)}")
    return 0


def add_parsers(sub: Any) -> None:
    """Registers `redrive` and `replay` on the `movers` subcommand parser."""
    rd = sub.add_parser("redrive", help="redrive a failed/timed-out/aborted execution from where it failed")
    rd.add_argument("execution", help="execution name (e.g. daily-2026-11-20) or ARN")
    rd.set_defaults(func=cmd_redrive)

    rp = sub.add_parser("replay", help="restore drill: rebuild DynamoDB items from the raw S3 bodies")
    rp.add_argument("--from", dest="start", type=_date, required=True, help="first session YYYY-MM-DD")
    rp.add_argument("--to", dest="end", type=_date, required=True, help="last session YYYY-MM-DD")
    rp.add_argument("--provider", default="massive", help="raw/provider=<p>/ to read (default massive)")
    rp.add_argument("--tickers", nargs="+", help="tickers of each day (default: those with stored bodies)")
    rp.add_argument("--force", action="store_true", help="overwrite days whose winner exists")
    rp.set_defaults(func=cmd_replay)
