"""The restore drill (`movers replay`): rebuild stored days from the raw provider bodies in S3, exactly as
strictly as the daily run.

Each session's bars for the watchlist are read from the raw bodies, reduced with
`stock_movers.usecases.pick.reduce_day` (the function the Pick Winner step runs: the same all-or-nothing
validation, bounds and tie-break) and written by the deployed Store Day function (the same Parquet writer,
per-ticker items and winner last, conditional unless forced). A day the daily run would refuse is refused
here with the same named error and nothing is written for it; so is a day whose bodies cannot be read.

Where a ticker's bar for day D comes from (the first source that exists for that ticker, as the daily run
fetched it):
1. its per-ticker body `raw/provider=<p>/date=<D>/<T>.json` (and `.pageN` pages), every bar in it;
2. the session snapshot `raw/provider=<p>/date=<D>/_session.json`, every row for that ticker;
3. backfill ranges `raw/provider=<p>/range=<from>_<to>/<T>.json` covering D, the bars dated D (identical
   bars from several ranges count once; differing ones refuse the day as DuplicateTicker).
Each provider's bodies are read by its own parser (stock_movers.providers.stored); Alpha Vantage's
per-ticker bodies hold its whole compact series, so the bars of D (or of the range) are taken from them, as
the run took them. A body that is not what the provider documents (not JSON, wrong shape, a range bar
outside its range) refuses every day that needs it with MalformedResponse. Bars for another date refuse the
day with SessionMismatch; a missing ticker with MissingTickers.

Pure of AWS: the bodies, the stored winners and Store Day come in as small interfaces (S3Bodies,
DynamoWinners, LambdaStoreDay below are the boto3 ones), so unit tests use in-memory fakes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.calendar import sessions_in_range
from stock_movers.domain.errors import DuplicateTicker, MoversError
from stock_movers.domain.inputs import parse_ticker
from stock_movers.execution_names import replay_execution_name
from stock_movers.providers.errors import MalformedResponse
from stock_movers.providers.factory import PROVIDERS
from stock_movers.providers.stored import SERIES_BODIES, parser_of
from stock_movers.usecases.pick import reduce_day
from stock_movers.usecases.store_sessions import StoreFailed

MAX_DAYS = 3660
_RANGE_KEY = re.compile(r"^range=(\d{4}-\d\d-\d\d)_(\d{4}-\d\d-\d\d)/(?P<file>[^/]+)$")
_PAGE = re.compile(r"^(?P<name>[^/.][^/]*?)(?:\.page(?P<page>\d+))?\.json$")


class Bodies(Protocol):
    """The raw zone: object keys under a prefix, and an object's bytes."""

    def keys(self, prefix: str) -> list[str]: ...

    def get(self, key: str) -> bytes: ...


class Winners(Protocol):
    def exists(self, day: dt.date) -> bool: ...


StoreDay = Callable[[dict[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class DayOutcome:
    """One session's result: rebuilt, skipped (stored already), refused (data) or failed (Store Day)."""

    date: str
    status: str
    error: str = ""
    cause: str = ""
    ticker: str = ""


@dataclass
class ReplayReport:
    days: list[DayOutcome] = field(default_factory=list)

    def _with(self, status: str) -> list[DayOutcome]:
        return [d for d in self.days if d.status == status]

    @property
    def rebuilt(self) -> list[str]:
        return [d.date for d in self._with("rebuilt")]

    @property
    def skipped(self) -> list[str]:
        return [d.date for d in self._with("skipped")]

    @property
    def refused(self) -> dict[str, DayOutcome]:
        return {d.date: d for d in self._with("refused")}

    @property
    def failed(self) -> dict[str, DayOutcome]:
        return {d.date: d for d in self._with("failed")}


class ReplayError(MoversError):
    """The replay cannot run at all (bad range, unsupported provider, no watchlist)."""


# ------------------------------------------------------------------------------------ reading the bodies


def _page_sorted(keys: Sequence[str]) -> list[str]:
    def page(key: str) -> int:
        m = _PAGE.match(key.rsplit("/", 1)[-1])
        return int(m["page"]) if m and m["page"] else 1

    return sorted(keys, key=page)


class _Reader:
    """Parses each body once; a body that cannot be read is remembered as its MalformedResponse."""

    def __init__(self, bodies: Bodies, provider: str) -> None:
        self.bodies = bodies
        self.provider = provider
        self._parser = parser_of(provider)
        # a per-ticker body holds the provider's whole recent series: take the bars asked for, as the run did
        self.series = provider in SERIES_BODIES
        self._parsed: dict[tuple[str, str | None], tuple[DailyBar, ...] | MalformedResponse] = {}
        self._ranges: dict[str, dict[str, list[str]]] | None = None  # range dir -> ticker -> keys

    def parse(self, key: str, ticker: str | None) -> tuple[DailyBar, ...]:
        if (key, ticker) not in self._parsed:
            try:
                self._parsed[key, ticker] = self._parser(self.bodies.get(key), ticker, key)
            except MoversError as exc:
                self._parsed[key, ticker] = MalformedResponse(f"{key}: {str(exc)[:200]}")
            except (UnicodeError, ValueError, TypeError, RecursionError) as exc:
                self._parsed[key, ticker] = MalformedResponse(f"{key}: {type(exc).__name__}")
        got = self._parsed[key, ticker]
        if isinstance(got, MalformedResponse):
            raise got
        return got

    def ranges(self) -> dict[str, dict[str, list[str]]]:
        if self._ranges is None:
            prefix = f"raw/provider={self.provider}/"
            found: dict[str, dict[str, list[str]]] = {}
            for key in self.bodies.keys(prefix + "range="):
                m = _RANGE_KEY.match(key[len(prefix) :])
                page = _PAGE.match(m["file"]) if m else None
                if m and page:
                    found.setdefault(key[: key.rindex("/") + 1], {}).setdefault(page["name"], []).append(key)
            self._ranges = found
        return self._ranges

    def range_bars(self, directory: str, ticker: str, keys: Sequence[str]) -> tuple[DailyBar, ...]:
        """A backfill range body's bars, held to the live adapter's rules: inside the range, one per date."""
        m = re.search(r"range=(\d{4}-\d\d-\d\d)_(\d{4}-\d\d-\d\d)/$", directory)
        assert m is not None
        start, end = dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2])
        bars: list[DailyBar] = []
        for key in _page_sorted(keys):
            bars += self.parse(key, ticker)
        if self.series:
            bars = [b for b in bars if start <= b.date <= end]
        dates = [b.date for b in bars]
        if any(not start <= d <= end for d in dates) or len(set(dates)) != len(dates):
            raise MalformedResponse(f"{directory}{ticker}.json: a bar outside the range or twice for a date")
        return tuple(bars)


def day_bars(reader: _Reader, day: dt.date, tickers: Sequence[str]) -> list[DailyBar]:
    """Every bar the stored bodies hold for `tickers` on `day` (see the module docstring for the sources).

    Raises MalformedResponse for an unreadable body the day needs, DuplicateTicker for differing range
    bars; wrong dates, duplicates and missing tickers are left for `reduce_day` to refuse.
    """
    prefix = f"raw/provider={reader.provider}/date={day.isoformat()}/"
    by_name: dict[str, list[str]] = {}
    for key in reader.bodies.keys(prefix):
        m = _PAGE.match(key[len(prefix) :])
        if m and "/" not in key[len(prefix) :]:
            by_name.setdefault(m["name"], []).append(key)
    bars: list[DailyBar] = []
    snapshot: tuple[DailyBar, ...] | None = None
    for ticker in tickers:
        if ticker in by_name:
            for key in _page_sorted(by_name[ticker]):
                bars += (b for b in reader.parse(key, ticker) if not reader.series or b.date == day)
            continue
        if "_session" in by_name:
            if snapshot is None:
                snapshot = tuple(b for k in _page_sorted(by_name["_session"]) for b in reader.parse(k, None))
            rows = [b for b in snapshot if b.ticker == ticker]
            if rows:
                bars += rows
                continue
        found: set[DailyBar] = set()
        for directory, per_ticker in sorted(reader.ranges().items()):
            m = re.search(r"range=(\d{4}-\d\d-\d\d)_(\d{4}-\d\d-\d\d)/$", directory)
            if not m or not m[1] <= day.isoformat() <= m[2] or ticker not in per_ticker:
                continue
            found.update(b for b in reader.range_bars(directory, ticker, per_ticker[ticker]) if b.date == day)
        if len(found) > 1:
            raise DuplicateTicker(ticker)
        bars += found
    return bars


# ------------------------------------------------------------------------------------------- the replay


def replay(
    bodies: Bodies,
    winners: Winners,
    store: StoreDay,
    *,
    start: dt.date,
    end: dt.date,
    tickers: Sequence[str],
    provider: str = "massive",
    force: bool = False,
    now: dt.datetime | None = None,
) -> ReplayReport:
    """Rebuild every session in [start, end] whose winner is missing (all of them with `force`).

    A day is rebuilt only when `reduce_day` accepts the stored bars for exactly `tickers`; otherwise it is
    refused with the error's name and nothing is written. Store Day failures are reported as failed.
    """
    if end < start:
        raise ReplayError(f"--to {end} is before --from {start}")
    if (end - start).days > MAX_DAYS:
        raise ReplayError("replay at most ten years at a time")
    try:
        reader = _Reader(bodies, provider)
    except ValueError as exc:
        raise ReplayError(str(exc)) from None
    tickers = [parse_ticker(t, "tickers") for t in tickers]
    if not tickers or len(set(tickers)) != len(tickers):
        raise ReplayError(
            "tickers: a non-empty list of distinct symbols is needed (--tickers or the deployed watchlist)"
        )
    stamp = (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
    report = ReplayReport()
    for day in sessions_in_range(start, end):
        iso = day.isoformat()
        if not force and winners.exists(day):
            report.days.append(DayOutcome(iso, "skipped", cause="winner already stored (--force rebuilds)"))
            continue
        try:
            # the provider's basis (its adapter asks for one basis only); the fetch time of a stored body is
            # not known, so none is recorded (docs/data.md §6: such a bar is never re-scaled)
            basis = {t: {"basis": PROVIDERS[provider].basis} for t in tickers}
            reduced = reduce_day(day, tickers, day_bars(reader, day, tickers), provider, basis)
        except MoversError as exc:
            report.days.append(DayOutcome(iso, "refused", type(exc).__name__, str(exc)[:300]))
            continue
        payload = {
            "date": iso,
            "force": force,
            "winner": reduced["winner"],
            "rows": reduced["rows"],
            "executionArn": f"replay:{stamp}",
            "executionName": replay_execution_name(stamp),
        }
        try:
            status = str(store(payload).get("status", ""))
        except StoreFailed as exc:
            cause = str(exc).removeprefix(f"{exc.error}: ")
            report.days.append(DayOutcome(iso, "failed", exc.error, cause[:300]))
            continue
        if status == "Stored":
            report.days.append(DayOutcome(iso, "rebuilt", ticker=str(reduced["winner"]["ticker"])))
        else:
            report.days.append(DayOutcome(iso, "skipped", cause="stored meanwhile by another run"))
    return report


# ------------------------------------------------------------------------------- the boto3 adapters


class S3Bodies:
    def __init__(self, s3: Any, bucket: str) -> None:
        self.s3, self.bucket = s3, bucket

    def keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def get(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())


class DynamoWinners:
    def __init__(self, ddb: Any, table: str) -> None:
        from stock_movers.adapters.storage import ItemStore

        self.items = ItemStore(table, ddb)

    def exists(self, day: dt.date) -> bool:
        return self.items.winner(day, attributes="pk") is not None


class LambdaStoreDay:
    """The deployed store_day function, invoked synchronously; a function error becomes StoreFailed."""

    def __init__(self, lam: Any, function_name: str) -> None:
        self.lam, self.function_name = lam, function_name

    def __call__(self, payload: dict[str, Any]) -> dict[str, Any]:
        out = self.lam.invoke(
            FunctionName=self.function_name, InvocationType="RequestResponse", Payload=json.dumps(payload)
        )
        body = json.loads(out["Payload"].read() or b"null")
        if out.get("FunctionError"):
            error = body.get("errorType", "StoreDayFailed") if isinstance(body, dict) else "StoreDayFailed"
            message = body.get("errorMessage", "") if isinstance(body, dict) else ""
            raise StoreFailed(str(error), str(message))
        return dict(body)


def deployed_watchlist(lam: Any, s3: Any, function_name: str) -> list[str]:
    """The watchlist the stack was deployed with (the daily run's default tickers): the S3 object and
    version the validate_input function is configured to read. ReplayError when it has none."""
    from stock_movers.adapters.watchlist import WatchlistSource
    from stock_movers.domain.errors import InvalidWatchlist

    config = lam.get_function_configuration(FunctionName=function_name)
    env = config.get("Environment", {}).get("Variables", {})
    bucket, key = str(env.get("BUCKET_NAME", "")), str(env.get("WATCHLIST_KEY", ""))
    if not (bucket and key):
        raise ReplayError(f"{function_name} names no watchlist object (WATCHLIST_KEY): pass --tickers")
    try:
        return list(WatchlistSource(bucket, key, env.get("WATCHLIST_VERSION") or None, s3=s3).tickers())
    except InvalidWatchlist as exc:
        raise ReplayError(f"the deployed watchlist: {exc}") from None
