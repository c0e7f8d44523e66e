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
from stock_movers.domain.splits import day_basis


def reduce_day(
    day: dt.date, tickers: Sequence[str], bars: Iterable[DailyBar], provider: str | Mapping[str, str]
) -> dict[str, Any]:
    """All-or-nothing: raises a DataIntegrityError subclass unless every ticker has a valid bar for `day`.

    Each bar is validated once and each percent change computed once (`validated_day`); the Pick Winner
    step, the backfill's store_sessions and `movers replay` all reduce a day with this function.
    `provider` is the one provider of every bar, or each ticker's own (a daily run that failed over): every
    row and the winner record the provider that served their bar.
    """
    validated = validated_day(bars, tickers, day)
    winner = winner_of(validated, day)

    def served(ticker: str) -> str:
        return provider if isinstance(provider, str) else provider[ticker]

    rows = [
        {
            **row.bar.to_dict(),
            "percentChange": str(row.percent_change),
            "provider": served(row.bar.ticker),
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
        },
        "rows": rows,
    }


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
    basis (each work object's `basis`, the serving adapter's): otherwise MixedBasis, and nothing is written.
    """
    snapshot: dict[str, Any] = {}
    if snapshot_key:
        found = _object(objects.get(snapshot_key), "snapshot")
        snapshot = found if isinstance(found, dict) else {}
    served: dict[str, str] = {t: str(snapshot.get("_provider", "")) for t in tickers if t in snapshot}
    bases: set[str] = {str(snapshot["_basis"])} if served and snapshot.get("_basis") else set()
    bars: list[DailyBar] = [DailyBar.from_dict(snapshot[t]) for t in tickers if t in snapshot]
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
        if entry.get("basis"):
            bases.add(str(entry["basis"]))
        bars.append(DailyBar.from_dict(entry.get("bar")))
    day_basis(bases)  # MixedBasis before anything is reduced or written
    result = reduce_day(day, tickers, bars, provider=served)
    key = day_work_key(execution)
    objects.put_bytes(key, json.dumps(result, sort_keys=True).encode(), "application/json")
    return {"winner": result["winner"], "dayKey": key, "rows": len(result["rows"])}
