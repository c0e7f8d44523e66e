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
"""

from __future__ import annotations

import datetime as dt

from stock_movers.domain.calendar import last_n_sessions, latest_completed_session
from stock_movers.domain.errors import UnsupportedHistory, UnsupportedScope, UnsupportedStrategy
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


def check_daily_run(
    provider: str,
    strategy: str,
    day: dt.date,
    is_session: bool,
    now: dt.datetime,
    scope: str = "watchlist",
) -> None:
    """Validate Input's provider check: the strategy must be served (the whole-market scope: the provider
    must have a one-call session snapshot, whatever the watchlist's strategy) and, for a session (a
    non-session day fetches nothing), the day must be within the provider's reach."""
    if scope == MARKET_SCOPE:
        require_scope(provider, scope)
    else:
        require_strategy(provider, strategy)
    if is_session:
        require_history(provider, day, now)
