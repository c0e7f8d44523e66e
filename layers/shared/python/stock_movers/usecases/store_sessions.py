"""Reduce and store a batch of backfill sessions with the daily run's own code.

Each session goes through `usecases.pick.reduce_day` (the same all-or-nothing validation and winner rule
as the Pick Winner step) and then through the deployed store_day function (the same Parquet, items and
conditional winner put as the Store Day step): `store` is that call. A session whose data fails validation
(e.g. MissingTickers: a ticker has no bar that day) is recorded as failed with the error's name and the
batch carries on: one bad day must not cost the other 1,259 of a five-year backfill, and a re-run retries
only what is still missing. Failures of store_day itself are recorded the same way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import DataIntegrityError
from stock_movers.usecases.pick import reduce_day


class StoreFailed(Exception):
    """store_day failed for a session; `error` is its error name (Lambda errorType)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error


def bars_by_session(objects: Iterable[Mapping[str, Any]]) -> tuple[dict[dt.date, list[DailyBar]], str]:
    """Index the fetch_range work objects by session date; also the provider label (sorted, joined)."""
    by_day: dict[dt.date, list[DailyBar]] = defaultdict(list)
    providers: set[str] = set()
    for obj in objects:
        providers.add(str(obj["provider"]))
        for raw in obj["bars"]:
            bar = DailyBar.from_dict(raw)
            by_day[bar.date].append(bar)
    return dict(by_day), ",".join(sorted(providers))


def store_sessions(
    sessions: Sequence[dt.date],
    tickers: Sequence[str],
    by_day: Mapping[dt.date, Sequence[DailyBar]],
    provider: str,
    store: Callable[[dict[str, Any]], Mapping[str, Any]],
    *,
    force: bool,
    execution_arn: str,
    execution_name: str,
    workers: int = 4,
) -> dict[str, Any]:
    """Store every session; returns `{stored, skipped, failed: [{date, error}]}` (skipped = AlreadyStored)."""

    def one(day: dt.date) -> tuple[str, dict[str, str] | None]:
        wanted = set(tickers)
        try:
            reduced = reduce_day(
                day, tickers, [b for b in by_day.get(day, ()) if b.ticker in wanted], provider
            )
        except DataIntegrityError as exc:
            return "failed", {"date": day.isoformat(), "error": type(exc).__name__, "cause": str(exc)[:200]}
        payload = {
            "date": day.isoformat(),
            "force": force,
            "winner": reduced["winner"],
            "rows": reduced["rows"],
            "executionArn": execution_arn,
            "executionName": execution_name,
        }
        try:
            status = str(store(payload)["status"])
        except StoreFailed as exc:
            return "failed", {"date": day.isoformat(), "error": exc.error, "cause": str(exc)[:200]}
        return ("stored" if status == "Stored" else "skipped"), None

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        outcomes = list(pool.map(one, sessions))
    failed = [f for kind, f in outcomes if kind == "failed" and f is not None]
    return {
        "stored": sum(1 for kind, _ in outcomes if kind == "stored"),
        "skipped": sum(1 for kind, _ in outcomes if kind == "skipped"),
        "failed": failed,
    }
