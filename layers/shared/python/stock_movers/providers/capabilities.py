"""Refuse, before any provider call or rate-limit slot, a run the configured provider cannot serve.

The table is each adapter's `capabilities` (stock_movers.providers.base.Capabilities); Terraform refuses
the same impossible strategy/provider pairs at plan time (`provider_fetch_strategies` in
infrastructure/orchestration.tf, kept equal to this table by tests/infrastructure/test_capabilities.py).

- `require_strategy`: the daily run's fetch strategy (UnsupportedStrategy), checked by Validate Input and
  again by the snapshot fetch before it takes a slot.
- `require_scope`: the whole-market scope needs the provider's one-call session snapshot (UnsupportedScope),
  checked by Validate Input whatever the configured watchlist strategy (a market run always takes the
  snapshot).
- `require_history`: the oldest session a run would fetch (UnsupportedHistory), checked by Validate Input
  (the daily run's session) and Plan Backfill (the first session still to store).
- `require_daily_calls`: the calls an operation spends against the plan's daily quota (UnsupportedWatchlist),
  checked by Validate Input (one call per ticker, or one snapshot call) and Plan Backfill (one range call per
  ticker); `daily_calls` overrides the adapter's free-plan figure (0: no daily quota).
"""

from __future__ import annotations

import datetime as dt

from stock_movers.domain.calendar import last_n_sessions, latest_completed_session
from stock_movers.domain.errors import (
    UnsupportedHistory,
    UnsupportedScope,
    UnsupportedStrategy,
    UnsupportedWatchlist,
)
from stock_movers.domain.inputs import MARKET_SCOPE, SCOPES
from stock_movers.providers.base import FETCH_STRATEGIES, Capabilities
from stock_movers.providers.factory import PROVIDERS


def capabilities_of(provider: str) -> Capabilities:
    """The capabilities of the adapter called `provider`; ValueError naming an unknown one."""
    cls = PROVIDERS.get(provider) if isinstance(provider, str) else None
    if cls is None:
        raise ValueError(
            f"provider: unknown provider {provider!r}; expected one of {', '.join(sorted(PROVIDERS))}"
        )
    return cls.capabilities


def capability_table() -> dict[str, dict[str, object]]:
    """Every provider's capabilities as plain data (what Terraform's table must equal)."""
    return {
        name: {
            "strategies": sorted(cls.capabilities.strategies),
            "history_sessions": cls.capabilities.history_sessions,
            "daily_calls": cls.capabilities.daily_calls,
        }
        for name, cls in sorted(PROVIDERS.items())
    }


def require_strategy(provider: str, strategy: str) -> None:
    """UnsupportedStrategy unless `provider` serves the fetch `strategy` (an unknown strategy included)."""
    supported = capabilities_of(provider).strategies
    if strategy not in FETCH_STRATEGIES or strategy not in supported:
        raise UnsupportedStrategy(provider, strategy, supported)


def require_scope(provider: str, scope: str) -> None:
    """UnsupportedScope unless `provider` can serve `scope`: the whole market needs the "snapshot"
    strategy (one grouped-daily call); a watchlist any provider serves. An unknown scope is ValueError."""
    if scope not in SCOPES:
        raise ValueError(f"scope: unknown scope {scope!r}; expected one of {', '.join(SCOPES)}")
    supported = capabilities_of(provider).strategies
    if scope == MARKET_SCOPE and "snapshot" not in supported:
        raise UnsupportedScope(provider, scope, supported)


def oldest_reachable(provider: str, now: dt.datetime) -> dt.date | None:
    """The oldest session `provider`'s calls are sure to reach at `now` (aware), or None when unlimited.

    A window of N sessions counts back from the latest completed session: before the provider publishes
    that session's bar its window starts one session earlier, so the N-th session back is reachable either
    way.
    """
    sessions = capabilities_of(provider).history_sessions
    if sessions is None:
        return None
    return last_n_sessions(latest_completed_session(now), sessions)[0]


def require_history(provider: str, oldest: dt.date, now: dt.datetime) -> None:
    """UnsupportedHistory when `oldest` (the first session a run would fetch) predates `provider`'s reach."""
    reach = oldest_reachable(provider, now)
    if reach is not None and oldest < reach:
        sessions = capabilities_of(provider).history_sessions or 0
        raise UnsupportedHistory(provider, oldest.isoformat(), reach.isoformat(), sessions)


def daily_quota(provider: str, override: int | None = None) -> int | None:
    """The calls a day `provider`'s plan allows: the deployment's `override` when set (0: no quota), else the
    adapter's free-plan figure (None: no quota)."""
    if override is not None:
        return override or None
    return capabilities_of(provider).daily_calls


def require_daily_calls(provider: str, calls: int, override: int | None = None) -> None:
    """UnsupportedWatchlist when one operation's `calls` exceed the plan's daily quota."""
    quota = daily_quota(provider, override)
    if quota is not None and calls > quota:
        raise UnsupportedWatchlist(provider, calls, quota)


def check_daily_run(
    provider: str,
    strategy: str,
    day: dt.date,
    is_session: bool,
    now: dt.datetime,
    *,
    tickers: int = 1,
    daily_calls: int | None = None,
    scope: str = "watchlist",
) -> None:
    """Validate Input's provider check: the strategy must be served (the whole-market scope: the provider
    must have a one-call session snapshot, whatever the watchlist's strategy) and, for a session (a
    non-session day fetches nothing), the day must be within the provider's reach and its calls (one per
    ticker, or the one snapshot call; a push run's are not known yet) within the plan's daily quota."""
    if scope == MARKET_SCOPE:
        require_scope(provider, scope)
    else:
        require_strategy(provider, strategy)
    if is_session:
        require_history(provider, day, now)
        # per_ticker: one call a ticker; snapshot: one call; push: only the tickers nobody pushed (unknown
        # until the bars are collected, so not refused here: the limiter and the provider's quota answer)
        calls = {"snapshot": 1, "push": 0}.get(strategy, tickers)
        require_daily_calls(provider, calls, daily_calls)
