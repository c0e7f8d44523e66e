"""Reduce a session's fetched bars to the validated day: the winner and one row per ticker; and the day's
top-N board from those rows, as Store Day computes it beside the winner. `pick_stored_day` is the daily
run's Pick Winner: it reads the bars the fetches left in S3 and leaves the day there for Store Day, so the
state machine passes keys and a summary whatever the number of tickers."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from stock_movers.adapters.storage import bar_work_key, day_work_key
from stock_movers.domain.bars import DailyBar, to_decimal
from stock_movers.domain.errors import InvalidBar, MissingTickers, StoreRejected
from stock_movers.domain.leaders import Board, board_of
from stock_movers.domain.movers import day_rows, validated_day, winner_of
from stock_movers.domain.splits import ADJUSTED, BASES, UNADJUSTED, UNKNOWN, day_basis


def reduce_day(
    day: dt.date,
    tickers: Sequence[str],
    bars: Iterable[DailyBar],
    provider: str | Mapping[str, str],
    fetched: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """All-or-nothing: raises a DataIntegrityError subclass unless every ticker has a valid bar for `day`.

    Each bar is validated once and each percent change computed once (`validated_day`); the Pick Winner
    step, the backfill's store_sessions and `movers replay` all reduce a day with this function.
    `provider` is the one provider of every bar, or each ticker's own (a daily run that failed over): every
    row and the winner record the provider that served their bar.
    `fetched` gives each ticker's `basis` and `fetchedAt` (domain.splits): they go on its row, and the
    winner carries the day's one basis (MixedBasis when the bars were fetched in different bases) and its
    own row's fetch time. A ticker without an entry gets neither (an item of unknown basis).
    """
    validated = validated_day(bars, tickers, day)
    winner = winner_of(validated, day)
    meta = {row.bar.ticker: _fetched_meta((fetched or {}).get(row.bar.ticker)) for row in validated}
    basis = day_basis(m["basis"] for m in meta.values() if "basis" in m)

    def served(ticker: str) -> str:
        return provider if isinstance(provider, str) else provider[ticker]

    rows = [
        {
            **row.bar.to_dict(),
            "percentChange": str(row.percent_change),
            "provider": served(row.bar.ticker),
            **meta[row.bar.ticker],
        }
        for row in validated
    ]
    return {
        "winner": {
            "date": day.isoformat(),
            "ticker": winner.ticker,
            "percentChange": str(winner.percent_change),
            "open": str(winner.open),
            "close": str(winner.close),
            "provider": served(winner.ticker),
            **({"basis": basis} if basis != UNKNOWN else {}),
            **({"fetchedAt": meta[winner.ticker]["fetchedAt"]} if "fetchedAt" in meta[winner.ticker] else {}),
        },
        "rows": rows,
    }


def _fetched_meta(entry: Mapping[str, Any] | None) -> dict[str, str]:
    """The `basis` / `fetchedAt` a row records, from a fetch's work object; a basis outside BASES or a
    fetch time that is not an aware ISO 8601 instant is a data error, not something to store."""
    if not entry:
        return {}
    out: dict[str, str] = {}
    basis, at = entry.get("basis"), entry.get("fetchedAt")
    if basis is not None and basis != UNKNOWN:
        if basis not in BASES:
            raise InvalidBar(
                "?", f"basis must be one of {', '.join(BASES)}, got {str(basis)[:20]!r}", "basis"
            )
        out["basis"] = basis
    if at is not None:
        try:
            aware = isinstance(at, str) and dt.datetime.fromisoformat(at).tzinfo is not None
        except ValueError:
            aware = False
        if not aware:
            raise InvalidBar(
                "?", f"fetchedAt is not an ISO 8601 time with a zone: {str(at)[:40]!r}", "fetchedAt"
            )
        out["fetchedAt"] = at
    return out


def stored_board(day: dt.date, rows: Sequence[dict[str, Any]], winner: dict[str, Any], size: int) -> Board:
    """The board of the rows a Store Day is given (the reduce_day rows of every path that stores a day).

    The rows are validated as the winner's were (`day_rows`: each bar's rules, the percent-change bound,
    one row per ticker; `board_of`: one session), each row's stated percentChange must be the one its open
    and close give (InvalidBar naming the ticker otherwise), and the winner must be the rows' own winner
    (StoreRejected otherwise): the board, the ticker items and the winner always describe the same rows.
    Raises before anything is written.
    """
    validated = day_rows(DailyBar.from_dict(r) for r in rows)
    stated = {str(r.get("ticker")): r.get("percentChange") for r in rows}
    for row in validated:
        raw = stated[row.bar.ticker]
        try:
            value = to_decimal(raw)
        except (TypeError, ValueError):
            raise InvalidBar(row.bar.ticker, f"percentChange is not a number: {str(raw)[:40]!r}",
                             "percentChange") from None  # fmt: skip
        if value != row.percent_change:
            raise InvalidBar(
                row.bar.ticker,
                f"percentChange {str(raw)[:40]} disagrees with open and close ({row.percent_change})",
                "percentChange",
            )
    board = board_of(validated, day, size)
    best = winner_of(validated, day)
    try:
        claimed = (str(winner["ticker"]), to_decimal(winner["percentChange"]))
    except (KeyError, TypeError, ValueError):
        raise StoreRejected("winner: missing or malformed ticker/percentChange") from None
    if claimed != (best.ticker, best.percent_change):
        raise StoreRejected(
            f"winner: {claimed[0]} {claimed[1]} is not the rows' winner ({best.ticker} {best.percent_change})"
        )
    return board


class WorkObjects(Protocol):
    """The run's work objects in S3 (RawStore, or a fake)."""

    def get(self, key: str) -> bytes: ...

    def get_if_exists(self, key: str) -> bytes | None: ...

    def put_bytes(self, key: str, body: bytes, content_type: str) -> str | None: ...


READERS = 16  # concurrent S3 reads of per-ticker bars (I/O bound; 500 objects in ~32 rounds)


def _object(raw: bytes, what: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidBar(what, "its work object is not JSON") from None


def pick_stored_day(
    objects: WorkObjects, day: dt.date, tickers: Sequence[str], snapshot_key: str, execution: str
) -> dict[str, Any]:
    """The daily run's Pick Winner over the bars in S3: the session snapshot's work object (one read, however
    many tickers it holds) and, for each ticker it lacks, the bar its per-ticker fetch left
    (`bar_work_key`). Reduced with `reduce_day` (all-or-nothing: a ticker with no bar is MissingTickers),
    the day goes to `day_work_key` for Store Day; the answer is the winner, that key and the row count.

    Each bar keeps the provider that served it (the snapshot's, or a per-ticker fetch's, which may be a
    failover provider). Bars of one day may come from several providers only when they are in one price
    basis (each work object's `basis`, the serving adapter's; a pushed bar's event says its own): otherwise
    MixedBasis (reduce_day), and nothing is written.
    """
    snapshot: dict[str, Any] = {}
    if snapshot_key:
        found = _object(objects.get(snapshot_key), "snapshot")
        snapshot = found if isinstance(found, dict) else {}
    served: dict[str, str] = {t: str(snapshot.get("_provider", "")) for t in tickers if t in snapshot}
    bars: list[DailyBar] = [DailyBar.from_dict(snapshot[t]) for t in tickers if t in snapshot]
    snap_meta = {"basis": snapshot.get("_basis"), "fetchedAt": snapshot.get("_fetchedAt")}
    fetched: dict[str, Mapping[str, Any]] = {t: snap_meta for t in tickers if t in snapshot}
    # A push run's bars carry their own basis (the event's `adjusted`), so a day mixing bases is MixedBasis.
    pushed = snapshot.get("_pushed")
    for ticker, meta in (pushed if isinstance(pushed, dict) else {}).items():
        if ticker in fetched and isinstance(meta, dict) and isinstance(meta.get("adjusted"), bool):
            fetched[ticker] = {"basis": ADJUSTED if meta["adjusted"] else UNADJUSTED}
    rest = [t for t in tickers if t not in snapshot]
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        bodies = list(pool.map(lambda t: objects.get_if_exists(bar_work_key(execution, t)), rest))
    missing = [t for t, body in zip(rest, bodies, strict=True) if body is None]
    if missing:
        raise MissingTickers(missing)
    for ticker, body in zip(rest, bodies, strict=True):
        entry = _object(body or b"null", ticker)
        entry = entry if isinstance(entry, dict) else {"bar": entry}
        served[ticker] = str(entry.get("provider", ""))
        bars.append(DailyBar.from_dict(entry.get("bar")))
        fetched[ticker] = {"basis": entry.get("basis"), "fetchedAt": entry.get("fetchedAt")}
    result = reduce_day(day, tickers, bars, provider=served, fetched=fetched)
    key = day_work_key(execution)
    objects.put_bytes(key, json.dumps(result, sort_keys=True).encode(), "application/json")
    return {"winner": result["winner"], "dayKey": key, "rows": len(result["rows"])}
