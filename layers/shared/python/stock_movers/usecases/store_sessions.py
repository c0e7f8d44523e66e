"""Reduce a batch of backfill sessions with the daily run's own code, ready for its store_day function.

Each session goes through `usecases.pick.reduce_day` (the same all-or-nothing validation and winner rule
as the Pick Winner step); the backfill machine then stores each reduced day with the deployed store_day
function (the same Parquet, items and conditional winner put as the Store Day step), in an inner Map. A
session whose data fails validation (e.g. MissingTickers: a ticker has no bar that day) is recorded as
failed with the error's name and the batch carries on: one bad day must not cost the other 1,259 of a
five-year backfill, and a re-run retries only what is still missing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from stock_movers.adapters.storage import backfill_day_work_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import DataIntegrityError
from stock_movers.usecases.pick import WorkObjects, reduce_day


class StoreFailed(Exception):
    """store_day failed for a session (`movers replay`'s call); `error` is its error name (errorType)."""

    def __init__(self, error: str, message: str) -> None:
        super().__init__(f"{error}: {message}")
        self.error = error


def bars_by_session(objects: Iterable[Mapping[str, Any]]) -> tuple[dict[dt.date, list[DailyBar]], str]:
    """Index the fetch_range work objects by session date; also the provider label (sorted, joined)."""
    by_day, provider, _ = bars_and_fetches(objects)
    return by_day, provider


def bars_and_fetches(
    objects: Iterable[Mapping[str, Any]],
) -> tuple[dict[dt.date, list[DailyBar]], str, dict[str, dict[str, Any]]]:
    """`bars_by_session`, plus each ticker's `basis` and `fetchedAt` (one range fetch per ticker) for
    `reduce_sessions`' `fetched`."""
    by_day: dict[dt.date, list[DailyBar]] = defaultdict(list)
    providers: set[str] = set()
    fetched: dict[str, dict[str, Any]] = {}
    for obj in objects:
        providers.add(str(obj["provider"]))
        if "ticker" in obj:
            fetched[str(obj["ticker"])] = {"basis": obj.get("basis"), "fetchedAt": obj.get("fetchedAt")}
        for raw in obj["bars"]:
            bar = DailyBar.from_dict(raw)
            by_day[bar.date].append(bar)
    return dict(by_day), ",".join(sorted(providers)), fetched


def reduce_sessions(
    sessions: Sequence[dt.date],
    tickers: Sequence[str],
    by_day: Mapping[dt.date, Sequence[DailyBar]],
    provider: str,
    fetched: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Reduce every session; returns `{days: [{date, winner, rows}], failed: [{date, error, cause}]}`
    (`fetched`: each ticker's basis and fetch time, see `reduce_day`).

    `days` are the Store Day inputs of the sessions that validate (the backfill machine stores each with
    the store_day function, as the daily run does); `failed` names why each other session was refused.
    """
    wanted = set(tickers)
    days: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    for day in sessions:
        try:
            reduced = reduce_day(
                day, tickers, [b for b in by_day.get(day, ()) if b.ticker in wanted], provider, fetched
            )
        except DataIntegrityError as exc:
            failed.append({"date": day.isoformat(), "error": type(exc).__name__, "cause": str(exc)[:200]})
            continue
        days.append({"date": day.isoformat(), "winner": reduced["winner"], "rows": reduced["rows"]})
    return {"days": days, "failed": failed}


def park_days(objects: WorkObjects, reduced: Mapping[str, Any], execution: str) -> dict[str, Any]:
    """The batch's validated days in S3 work objects (`backfill_day_work_key`), one per session, and the
    Store Day inputs that name them: `{days: [{date, winner, dayKey}], failed}`. The state then carries no
    rows, so a batch's size no longer grows with the ticker list (as the daily run's Pick Winner does)."""
    days = []
    for entry in reduced["days"]:
        key = backfill_day_work_key(execution, dt.date.fromisoformat(entry["date"]))
        body = {"winner": entry["winner"], "rows": entry["rows"]}
        objects.put_bytes(key, json.dumps(body, sort_keys=True).encode(), "application/json")
        days.append({"date": entry["date"], "winner": entry["winner"], "dayKey": key})
    return {"days": days, "failed": list(reduced["failed"])}
