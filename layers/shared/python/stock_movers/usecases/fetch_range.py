"""One ticker's bars for a whole date span in ONE provider call, through the shared rate limiter.

The provider's raw body goes to `raw/provider=<p>/range=<from>_<to>/<T>.json` (the design's key); the parsed
bars go to a small work object that the store step reads, so no bar ever travels through Step Functions.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from stock_movers.adapters.storage import range_key
from stock_movers.providers.errors import NoData
from stock_movers.usecases.fetch import FetchContext, basis_of, limited


def bars_key(provider: str, start: dt.date, end: dt.date, ticker: str) -> str:
    """The parsed bars of one range fetch (deterministic, so a redrive or retry finds it)."""
    return f"work/backfill/provider={provider}/range={start.isoformat()}_{end.isoformat()}/{ticker}.json"


def no_data(tickers: list[str], start: dt.date, end: dt.date) -> NoData:
    """NoData naming every ticker the provider has no bar of in [start, end], on one line."""
    names = ", ".join(tickers)
    them = "it" if len(tickers) == 1 else "them"
    return NoData(
        f"{names}: the provider returned no bars for {start.isoformat()}..{end.isoformat()}"
        f" ({names} may not have traded then, e.g. listed later: leave {them} out with --tickers)"
    )


def ranges_without_data(fetched: list[dict[str, Any]]) -> NoData | None:
    """The backfill's NoData when any Fetch Range iteration found no bar (marked ``noData`` by the state
    machine, which lets every iteration finish so all such tickers are named); None when every one has."""
    missing = [f for f in fetched if f.get("noData")]
    if not missing:
        return None
    start, end = dt.date.fromisoformat(str(missing[0]["from"])), dt.date.fromisoformat(str(missing[0]["to"]))
    return no_data(sorted(str(f["ticker"]) for f in missing), start, end)


def fetch_range(ctx: FetchContext, ticker: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    """Every session bar of `ticker` in [start, end]; NoData when the provider has none at all."""
    result = limited(ctx, lambda: ctx.provider.range_bars(ticker, start, end))
    provider = ctx.provider.name
    keys = [range_key(provider, start, end, ticker, page) for page in range(len(result.raw_pages))]
    ctx.raw.put_pages(keys, result.raw_pages)
    bars = [b.to_dict() for b in result.bars if b.ticker == ticker]
    if not bars:
        raise no_data([ticker], start, end)
    work = bars_key(provider, start, end, ticker)
    body = json.dumps(
        {
            "ticker": ticker,
            "provider": provider,
            "bars": bars,
            "basis": basis_of(ctx, result),
            "fetchedAt": ctx.clock(),
        },
        separators=(",", ":"),
    )
    ctx.raw.put_bytes(work, body.encode(), "application/json")
    return {"ticker": ticker, "provider": provider, "barsKey": work, "rawKeys": len(keys), "bars": len(bars)}
