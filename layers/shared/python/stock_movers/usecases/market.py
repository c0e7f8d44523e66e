"""A whole-market day (scope "market"): Pick Winner's reduction of the session snapshot's work object.

One read of the object the market fetch left (every row of the provider's grouped answer and the rows it
marks OTC), the configured whole-market filters (domain.market), then the same all-or-nothing reduction as
the watchlist's (`pick.reduce_day`: every kept row validated, the winner by |percent change|, ties by
ticker). The day goes to the run's `day_work_key` for Store Day, so the state carries a key and counts,
never rows, whatever the size of the market.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from stock_movers.adapters.storage import day_work_key
from stock_movers.domain.bars import DailyBar
from stock_movers.domain.errors import EmptyUniverse, InvalidBar
from stock_movers.domain.market import MarketFilters, market_universe
from stock_movers.usecases.pick import WorkObjects, reduce_day


def _snapshot(raw: bytes) -> dict[str, Any]:
    try:
        found = json.loads(raw)
    except ValueError:
        raise InvalidBar("snapshot", "the market snapshot's work object is not JSON") from None
    if (
        not isinstance(found, dict)
        or found.get("scope") != "market"
        or not isinstance(found.get("bars"), list)
        or not isinstance(found.get("otc"), list)
        or not isinstance(found.get("provider"), str)
    ):
        raise InvalidBar("snapshot", "the work object is not a market snapshot {scope, provider, otc, bars}")
    return found


def pick_market_day(
    objects: WorkObjects, day: dt.date, snapshot_key: str, execution: str, filters: MarketFilters
) -> dict[str, Any]:
    """The whole-market day of `day` from the snapshot at `snapshot_key`: filtered, reduced and left at
    `day_work_key(execution)`. Answers the winner, that key, the number of rows ranked, the snapshot's row
    count and what each filter excluded. Raises EmptyUniverse when no row passes the filters and the
    domain's DataIntegrityErrors for a kept row the daily run would refuse (nothing is left for Store Day).
    """
    if not snapshot_key:
        raise InvalidBar("snapshot", "a market day needs the session snapshot's work object (snapshotKey)")
    snapshot = _snapshot(objects.get(snapshot_key))
    bars = [DailyBar.from_dict(b) for b in snapshot["bars"]]
    universe = market_universe(bars, (str(t) for t in snapshot["otc"]), filters)
    if not universe.bars:
        raise EmptyUniverse(len(bars), universe.excluded)
    result = reduce_day(day, universe.tickers, universe.bars, provider=snapshot["provider"])
    key = day_work_key(execution)
    objects.put_bytes(key, json.dumps(result, sort_keys=True).encode(), "application/json")
    return {
        "winner": result["winner"],
        "dayKey": key,
        "rows": len(result["rows"]),
        "snapshotRows": len(bars),
        "excluded": universe.excluded,
    }
