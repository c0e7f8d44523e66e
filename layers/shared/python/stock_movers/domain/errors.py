"""The named error hierarchy of the domain core.

Class names are part of the contract: Step Functions matches a Lambda failure by the exception's class name
(`errorType`), so Retry/Catch clauses and alarms refer to these names. Every error keeps its message free of
secrets and says which field, ticker or rule is at fault.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class MoversError(Exception):
    """Base class of every error the project raises on purpose."""


class InvalidInput(MoversError):
    """Malformed caller input; `str(e)` starts with the field, e.g. "date: must be YYYY-MM-DD, got ..."."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.reason))


class InvalidWatchlist(MoversError):
    """The configured watchlist (the S3 object Terraform writes, see adapters.watchlist) is missing or
    malformed: a deployment error, not caller input. The message names the object and what is wrong."""


class DataIntegrityError(MoversError):
    """Market data that cannot be trusted for the day; the run stops and nothing is written."""


class MissingTickers(DataIntegrityError):
    """One or more requested tickers have no bar for the session."""

    def __init__(self, missing: Iterable[str]) -> None:
        self.missing: tuple[str, ...] = tuple(sorted(missing))
        super().__init__(f"missing bars for: {', '.join(self.missing)}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.missing,))


class SessionMismatch(DataIntegrityError):
    """A bar belongs to another session date than the one being processed."""

    def __init__(self, ticker: str, expected: object, got: object) -> None:
        self.ticker = ticker
        self.expected = expected
        self.got = got
        super().__init__(f"{ticker}: bar is for session {got}, expected {expected}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.ticker, self.expected, self.got))


class InvalidBar(DataIntegrityError):
    """A single bar breaks a rule (open <= 0, non-finite number, high/low inconsistent, missing field, a
    number outside what the stores can hold or markets produce); `field` names the field when one is at
    fault, and the message always starts with the ticker and then says the field and the rule."""

    def __init__(self, ticker: str, rule: str, field: str = "") -> None:
        self.ticker = ticker
        self.rule = rule
        self.field = field
        super().__init__(f"{ticker}: {rule}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.ticker, self.rule, self.field))


class DuplicateTicker(DataIntegrityError):
    """A requested ticker appears more than once in one day's bars."""

    def __init__(self, ticker: str) -> None:
        self.ticker = ticker
        super().__init__(f"{ticker}: more than one bar for the session")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.ticker,))


class EmptyUniverse(DataIntegrityError):
    """A whole-market run's session snapshot left no ticker after the whole-market filters (an empty or
    all-filtered grouped answer for a session): there is no day to store, and nothing is written."""

    def __init__(self, rows: int, excluded: dict[str, int] | None = None) -> None:
        self.rows = rows
        self.excluded: dict[str, int] = dict(excluded or {})
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(self.excluded.items())) or "none"
        super().__init__(f"no ticker passed the whole-market filters ({rows} rows; excluded: {reasons})")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.rows, self.excluded))


class InvalidAnalysisBatch(MoversError):
    """An analysis batch's work object (work/analysis/<execution>/<batch>.json) that cannot be trusted: not
    JSON, of another day, execution or batch, or not the figures of its planned tickers. The message names
    the object's key and the rule; nothing of the day's analysis is written."""

    def __init__(self, key: str, rule: str) -> None:
        self.key = key
        self.rule = rule
        super().__init__(f"{key}: {rule}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.key, self.rule))


class MissingAnalysisBatch(MoversError):
    """Analysis batches whose work objects are absent (expired, deleted, or never written)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys: tuple[str, ...] = tuple(sorted(keys))
        super().__init__(f"missing analysis batch objects: {', '.join(self.keys)}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.keys,))


class StoreRejected(MoversError):
    """The store refused a day's data for good (Parquet encoding, a DynamoDB validation error, a malformed
    Store Day input): retrying cannot help, and the day's winner was not written."""


class UnsupportedByProvider(MoversError):
    """The configured provider cannot serve this run, found before any provider call or rate-limit slot:
    retrying cannot help; change the configuration (or the dates) instead."""


class UnsupportedStrategy(UnsupportedByProvider):
    """The fetch strategy is not one the configured provider serves (e.g. `snapshot`, Massive's grouped
    daily, with Alpha Vantage or Tiingo, which have no whole-market endpoint), or is not a strategy at all."""

    def __init__(self, provider: str, strategy: str, supported: Iterable[str]) -> None:
        self.provider = provider
        self.strategy = strategy
        self.supported: tuple[str, ...] = tuple(sorted(supported))
        super().__init__(
            f"fetch strategy {strategy!r} is not served by provider {provider!r}; "
            f"it serves: {', '.join(self.supported)}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.provider, self.strategy, self.supported))


class UnsupportedWatchlist(UnsupportedByProvider):
    """An operation needs more provider calls than the plan allows in a day (Alpha Vantage's free key: 25):
    the run would spend the day's quota and fail part-way, so it is refused before its first call."""

    def __init__(self, provider: str, calls: int, daily_calls: int) -> None:
        self.provider = provider
        self.calls = calls
        self.daily_calls = daily_calls
        super().__init__(
            f"{calls} tickers need {calls} calls of provider {provider!r}, whose plan allows {daily_calls} a "
            "day: name fewer tickers, use a snapshot-capable provider, or set provider_daily_calls (a paid "
            "plan)"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.provider, self.calls, self.daily_calls))


class UnsupportedScope(UnsupportedByProvider):
    """The whole-market scope needs a provider with a one-call session snapshot (Massive's grouped daily);
    the configured provider has none (Alpha Vantage, Tiingo), so the run would be one call per US ticker."""

    def __init__(self, provider: str, scope: str, supported: Iterable[str]) -> None:
        self.provider = provider
        self.scope = scope
        self.supported: tuple[str, ...] = tuple(sorted(supported))
        super().__init__(
            f"scope {scope!r} needs a provider with a one-call session snapshot; provider {provider!r} "
            f"serves only: {', '.join(self.supported)}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.provider, self.scope, self.supported))


class UnsupportedHistory(UnsupportedByProvider):
    """A date older than the configured provider reaches (Alpha Vantage's free compact series holds only
    the latest 100 sessions): the call would be spent and refused."""

    def __init__(self, provider: str, day: object, oldest: object, sessions: int) -> None:
        self.provider = provider
        self.day = day
        self.oldest = oldest
        self.sessions = sessions
        super().__init__(
            f"{day} is older than provider {provider!r} reaches: its {sessions}-session history starts "
            f"at {oldest}"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.provider, self.day, self.oldest, self.sessions))


class InvalidPushEvent(MoversError):
    """An event published on the market-data bus does not follow the pushed-bar schema (docs/push-feed.md):
    the wrong detail-type or source, a missing, unknown or mistyped field, a number that is not a decimal
    string, a day that is not a completed NYSE session. `field` names the field (`detail.open`, `source`);
    the bar's own rules (prices, volume, high/low) are InvalidBar, as for a fetched bar."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.field, self.reason))
