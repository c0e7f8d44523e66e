"""Typed settings of every function, read from environment variables and validated once, at import.

A function's settings are composed of small groups (the main table, the bucket, the provider, the rate limit,
the backfill, the analysis, ...). Each group field names its variable (`env`), how it is parsed and, for a
tunable only, a default; names and ARNs have none. :func:`load` reads every variable of every group and
raises ONE :class:`SettingsError` naming each missing or malformed variable, so a deployment error shows
in full on the first cold start. :data:`FUNCTION_SETTINGS` says which settings each function (the folder
under functions/) reads, and :func:`variables` lists their variable names:
tests/unit/test_settings_terraform.py holds them equal to each function's Terraform `environment` map, so
no function is given a variable (or a secret's ARN) it does not use.

Only the standard library and `stock_movers.domain.inputs` are imported here: the API's cold start loads it.
"""

from __future__ import annotations

import dataclasses
import json
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from stock_movers.domain.analytics import ANALYSIS_BATCH_DEFAULT, ANALYSIS_BATCH_MAX
from stock_movers.domain.inputs import DEFAULT_MAX_SPAN_DAYS
from stock_movers.domain.leaders import BOARD_DEFAULT, BOARD_MAX

# Kept equal to stock_movers.providers (PROVIDERS, FETCH_STRATEGIES) by tests/unit/test_settings.py; not
# imported from there, as the providers pull in HTTP libraries every function would then load.
MARKET_PROVIDERS = ("alphavantage", "massive", "tiingo")
FETCH_STRATEGIES = ("per_ticker", "snapshot", "push")


class SettingsError(RuntimeError):
    """Environment variables are missing or malformed (a deployment error, not bad input). `problems` maps
    each variable to what is wrong with it; the message names every one."""

    def __init__(self, owner: str, problems: Mapping[str, str]) -> None:
        self.owner = owner
        self.problems = dict(problems)
        listed = "; ".join(f"{name} {why}" for name, why in sorted(self.problems.items()))
        super().__init__(f"{owner}: bad environment: {listed}")


class _Bad(ValueError):
    """A parser's refusal of one value (collected by :func:`load` into the one SettingsError)."""


# ------------------------------------------------------------------------------------------ parsers


def text(raw: str) -> str:
    """A non-empty string (a resource name, an ARN)."""
    return raw


def optional_text(raw: str) -> str | None:
    """A string where empty means "not configured" (None)."""
    return raw or None


def whole(low: int, high: int | None = None) -> Callable[[str], int]:
    """A whole number within low..high."""

    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise _Bad(f"must be a whole number, got {raw!r}") from None
        if value < low or (high is not None and value > high):
            span = f"{low}..{high}" if high is not None else f">= {low}"
            raise _Bad(f"must be {span}, got {raw!r}")
        return value

    return parse


def positive(raw: str) -> float:
    """A finite number > 0."""
    try:
        value = float(raw)
    except ValueError:
        raise _Bad(f"must be a number, got {raw!r}") from None
    if not value > 0 or value == float("inf"):
        raise _Bad(f"must be a positive number, got {raw!r}")
    return value


def positive_decimal(raw: str) -> Decimal:
    """A finite Decimal > 0."""
    try:
        value = Decimal(raw)
    except (ArithmeticError, InvalidOperation):
        raise _Bad(f"must be a number, got {raw!r}") from None
    if not value.is_finite() or value <= 0:
        raise _Bad(f"must be a positive number, got {raw!r}")
    return value


def optional_whole(low: int) -> Callable[[str], int | None]:
    """A whole number >= low, where empty means "not configured" (None)."""
    parse = whole(low)
    return lambda raw: parse(raw) if raw else None


def non_negative_decimal(raw: str) -> Decimal:
    """A finite Decimal >= 0."""
    try:
        value = Decimal(raw)
    except (ArithmeticError, InvalidOperation):
        raise _Bad(f"must be a number, got {raw!r}") from None
    if not value.is_finite() or value < 0:
        raise _Bad(f"must be a number >= 0, got {raw!r}")
    return value


def one_of(*choices: str) -> Callable[[str], str]:
    """One of `choices`."""

    def parse(raw: str) -> str:
        if raw not in choices:
            raise _Bad(f"must be one of {', '.join(choices)}, got {raw!r}")
        return raw

    return parse


def true_false(raw: str) -> bool:
    """true/false (also 1/0)."""
    value = raw.strip().lower()
    if value not in ("true", "false", "1", "0"):
        raise _Bad(f"must be true or false, got {raw!r}")
    return value in ("true", "1")


def traced(raw: str) -> bool:
    """POWERTOOLS_TRACE_DISABLED read the other way round: whether tracing is on."""
    return not true_false(raw)


MAX_FAILOVER_PROVIDERS = 3  # variables.tf's failover_providers holds at most this many


def provider_names(raw: str) -> tuple[str, ...]:
    """A comma-separated list of provider names (empty: none), e.g. "tiingo,alphavantage"."""
    names = tuple(n.strip() for n in raw.split(",") if n.strip())
    for name in names:
        if name not in MARKET_PROVIDERS:
            raise _Bad(f"names an unknown provider {name!r}; expected {', '.join(MARKET_PROVIDERS)}")
    if len(names) > MAX_FAILOVER_PROVIDERS:
        raise _Bad(f"lists {len(names)} providers, at most {MAX_FAILOVER_PROVIDERS}")
    return names


@dataclass(frozen=True)
class FailoverProvider:
    """One provider the daily fetch fails over to: its adapter, base URL, its own key's secret, its plan."""

    name: str
    base_url: str | None
    api_key_secret_arn: str
    rate_limit_calls: int
    rate_limit_period_seconds: float


_FAILOVER_FIELDS = {"provider", "baseUrl", "apiKeySecretArn", "rateLimitCalls", "rateLimitPeriodSeconds"}


def failover_providers(raw: str) -> tuple[FailoverProvider, ...]:
    """A JSON array of {provider, baseUrl, apiKeySecretArn, rateLimitCalls, rateLimitPeriodSeconds} (Terraform
    writes it from `failover_providers`), in failover order."""
    try:
        data = json.loads(raw)
    except ValueError:
        raise _Bad("must be a JSON array") from None
    if not isinstance(data, list):
        raise _Bad("must be a JSON array")
    if len(data) > MAX_FAILOVER_PROVIDERS:
        raise _Bad(f"lists {len(data)} providers, at most {MAX_FAILOVER_PROVIDERS}")
    out: list[FailoverProvider] = []
    for i, item in enumerate(data):
        if not isinstance(item, dict) or set(item) != _FAILOVER_FIELDS:
            raise _Bad(f"entry {i} must have exactly the fields {', '.join(sorted(_FAILOVER_FIELDS))}")
        name, url, arn = item["provider"], item["baseUrl"], item["apiKeySecretArn"]
        calls, period = item["rateLimitCalls"], item["rateLimitPeriodSeconds"]
        if name not in MARKET_PROVIDERS:
            raise _Bad(f"entry {i} names an unknown provider {name!r}")
        if not isinstance(url, str) or not isinstance(arn, str) or not arn:
            raise _Bad(f"entry {i}: baseUrl must be a string and apiKeySecretArn a non-empty string")
        if isinstance(calls, bool) or not isinstance(calls, int) or calls < 1:
            raise _Bad(f"entry {i}: rateLimitCalls must be a whole number >= 1")
        if isinstance(period, bool) or not isinstance(period, int | float) or not 0 < period < float("inf"):
            raise _Bad(f"entry {i}: rateLimitPeriodSeconds must be a positive number")
        out.append(FailoverProvider(name, url or None, arn, calls, float(period)))
    return tuple(out)


@dataclass(frozen=True)
class Var:
    """One environment variable: its name, parser and (tunables only) default."""

    name: str
    parse: Callable[[str], Any]
    default: str | None = None
    empty_ok: bool = False


def env(
    name: str, parse: Callable[[str], Any] = text, *, default: str | None = None, empty_ok: bool = False
) -> Any:
    """A settings field read from the variable `name` (required unless it has a default)."""
    return field(metadata={"env": Var(name, parse, default, empty_ok)})


# ------------------------------------------------------------------------------------------ groups


@dataclass(frozen=True)
class DayBoard:
    """The top-N board every stored day keeps (domain.leaders)."""

    size: int = env("BOARD_SIZE", whole(1, BOARD_MAX), default=str(BOARD_DEFAULT))


@dataclass(frozen=True)
class MarketFilter:
    """The whole-market scope's filters (domain.market; the defaults are its DEFAULT_MIN_PRICE and
    DEFAULT_MIN_VOLUME): a minimum close in USD and a minimum volume in shares."""

    min_price: Decimal = env("MARKET_MIN_PRICE", non_negative_decimal, default="5")  # noqa: RUF009
    min_volume: int = env("MARKET_MIN_VOLUME", whole(0), default="100000")


@dataclass(frozen=True)
class MainTable:
    """The main table: winners, ticker days, analyses, audit records."""

    name: str = env("TABLE_NAME")


@dataclass(frozen=True)
class ControlTable:
    """The control table: rate-limit log and idempotency records."""

    name: str = env("CONTROL_TABLE_NAME")


@dataclass(frozen=True)
class DataBucket:
    """The data bucket: raw responses, work objects, curated Parquet."""

    name: str = env("BUCKET_NAME")


@dataclass(frozen=True)
class Watchlist:
    """Where the tickers a run takes when its input names none are: the S3 object Terraform writes and the
    version it wrote (adapters.watchlist reads it once per container)."""

    bucket: str = env("BUCKET_NAME")
    key: str = env("WATCHLIST_KEY")
    version: str | None = env("WATCHLIST_VERSION", optional_text, default="", empty_ok=True)


@dataclass(frozen=True)
class PushDeadLetters:
    """The market-data bus's dead-letter queue: where push_bars sends an event it refuses."""

    url: str = env("DEAD_LETTER_QUEUE_URL")


@dataclass(frozen=True)
class MarketProvider:
    """Which market-data provider the stack is configured for."""

    name: str = env("MARKET_PROVIDER", one_of(*MARKET_PROVIDERS), default="massive")
    # The plan's calls a day (0: no daily quota; empty: the adapter's free-plan figure, see providers.base).
    daily_calls: int | None = env("PROVIDER_DAILY_CALLS", optional_whole(0), default="", empty_ok=True)


@dataclass(frozen=True)
class FetchStrategy:
    """The daily run's fetch strategy."""

    name: str = env("FETCH_STRATEGY", one_of(*FETCH_STRATEGIES), default="per_ticker")


@dataclass(frozen=True)
class ProviderAccess:
    """How to reach the provider: its base URL (empty: its public URL) and the API key's secret."""

    base_url: str | None = env("PROVIDER_BASE_URL", optional_text, default="", empty_ok=True)
    api_key_secret_arn: str = env("API_KEY_SECRET_ARN")
    # A rotated key takes effect within this many seconds (0: read the secret on every call).
    api_key_cache_seconds: int = env("API_KEY_CACHE_SECONDS", whole(0), default="300")


@dataclass(frozen=True)
class Failover:
    """The providers the daily fetch fails over to, in order, after the primary's retries (see wiring)."""

    providers: tuple[FailoverProvider, ...] = env("FAILOVER_PROVIDERS", failover_providers, default="[]")


@dataclass(frozen=True)
class FailoverNames:
    """Only the names of the failover providers, in order (Validate Input lists the run's providers)."""

    names: tuple[str, ...] = env("FAILOVER_PROVIDER_NAMES", provider_names, default="", empty_ok=True)


@dataclass(frozen=True)
class RateLimit:
    """The shared sliding-window limiter of provider calls (see usecases.wiring)."""

    calls: int = env("RATE_LIMIT_CALLS", whole(1), default="5")
    period_seconds: float = env("RATE_LIMIT_PERIOD_SECONDS", positive, default="60")
    max_wait_seconds: float = env("RATE_LIMIT_MAX_WAIT_SECONDS", positive, default="20")
    allowance_seconds: float = env("RATE_LIMIT_ALLOWANCE_SECONDS", positive, default="0.5")
    wait_budget_seconds: float = env("RATE_LIMIT_WAIT_BUDGET_SECONDS", positive, default="1800")


@dataclass(frozen=True)
class Idempotency:
    """How long a fetch is remembered per execution (Powertools idempotency in the control table)."""

    ttl_seconds: int = env("IDEMPOTENCY_TTL_SECONDS", whole(60), default="3600")


@dataclass(frozen=True)
class BackfillLimits:
    """A backfill's longest span and its batch size."""

    max_span_days: int = env("BACKFILL_MAX_SPAN_DAYS", whole(1), default=str(DEFAULT_MAX_SPAN_DAYS))
    batch_size: int = env("BACKFILL_BATCH_SIZE", whole(1, 50), default="20")  # usecases.backfill's default


@dataclass(frozen=True)
class Analysis:
    """The unusual-move threshold of the daily analysis (in standard deviations)."""

    # env() is a dataclasses.field carrying the variable, not a shared default value
    unusual_threshold: Decimal = env("UNUSUAL_THRESHOLD", positive_decimal, default="2.0")  # noqa: RUF009


@dataclass(frozen=True)
class AnalysisBatches:
    """How many tickers one Analyse Tickers iteration analyses (usecases.analysis.plan_batches)."""

    size: int = env("ANALYSIS_BATCH_SIZE", whole(1, ANALYSIS_BATCH_MAX), default=str(ANALYSIS_BATCH_DEFAULT))


@dataclass(frozen=True)
class CatchUp:
    """The analysis catch-up: the machine it starts, the bus and source it announces on, its window."""

    analysis_machine_arn: str = env("ANALYSIS_STATE_MACHINE_ARN")
    event_bus: str = env("EVENT_BUS_NAME")
    event_source: str = env("EVENT_SOURCE")
    sessions: int = env("CATCHUP_SESSIONS", whole(1, 60), default="10")


@dataclass(frozen=True)
class Reconcile:
    """The next-day reconcile (usecases.reconcile): how many stored sessions it re-reads and the alert
    topic it tells of a changed winner (its state machine stores the revised days with store_day)."""

    sessions: int = env("RECONCILE_SESSIONS", whole(1, 10), default="3")
    alert_topic_arn: str = env("ALERT_TOPIC_ARN")


@dataclass(frozen=True)
class IngestMachine:
    """The ingest state machine (its `live` alias) the schedule's daily run starts."""

    arn: str = env("STATE_MACHINE_ARN")


@dataclass(frozen=True)
class ApiService:
    """The read API: its CORS origin, its Powertools service name and whether it traces."""

    cors_allow_origin: str = env("CORS_ALLOW_ORIGIN", default="*")
    service_name: str = env("POWERTOOLS_SERVICE_NAME", default="movers-api")
    tracing: bool = env("POWERTOOLS_TRACE_DISABLED", traced, default="true")


# ------------------------------------------------------------------------------------------ per function


@dataclass(frozen=True)
class PickWinnerSettings:
    """pick_winner: the bucket holding the run's work objects (fetched bars in, the validated day out), and
    the whole-market filters a market-scope day is reduced with."""

    bucket: DataBucket
    market: MarketFilter


@dataclass(frozen=True)
class RunSize:
    """Most tickers an ingest execution's input may name (the configured watchlist keeps its own cap of
    500). Above the Distributed Map threshold the fetches run as child executions, so a deployment may take
    more (docs/pipeline.md "Fan-out"); Pick Winner and Store Day still carry every ticker's row."""

    max_tickers: int = env("MAX_TICKERS", whole(1, 5000), default="500")


@dataclass(frozen=True)
class ValidateInputSettings:
    watchlist: Watchlist
    provider: MarketProvider
    strategy: FetchStrategy
    run_size: RunSize
    failover: FailoverNames


@dataclass(frozen=True)
class FetchSettings:
    """fetch_bars and fetch_range: the provider behind the shared limiter, raw objects, idempotency."""

    control: ControlTable
    bucket: DataBucket
    provider: MarketProvider
    access: ProviderAccess
    rate_limit: RateLimit
    idempotency: Idempotency


@dataclass(frozen=True)
class FetchBarsSettings(FetchSettings):
    """fetch_bars: FetchSettings and the providers the daily fetch fails over to (their own secrets)."""

    failover: Failover


@dataclass(frozen=True)
class StoreDaySettings:
    table: MainTable
    bucket: DataBucket
    board: DayBoard


@dataclass(frozen=True)
class AnalysisPrepareSettings:
    watchlist: Watchlist
    batches: AnalysisBatches


@dataclass(frozen=True)
class AnalysisTickerSettings:
    """analysis_ticker: one batch's histories read from the table, its figures to a work object."""

    table: MainTable
    bucket: DataBucket
    analysis: Analysis


@dataclass(frozen=True)
class AnalysisStoreSettings:
    table: MainTable
    bucket: DataBucket
    analysis: Analysis


@dataclass(frozen=True)
class AnalysisCatchUpSettings:
    table: MainTable
    catch_up: CatchUp


@dataclass(frozen=True)
class StartDailySettings:
    ingest: IngestMachine


@dataclass(frozen=True)
class PlanBackfillSettings:
    table: MainTable
    watchlist: Watchlist
    provider: MarketProvider
    limits: BackfillLimits


@dataclass(frozen=True)
class StoreSessionsSettings:
    bucket: DataBucket


@dataclass(frozen=True)
class ReconcileSettings:
    """reconcile: the provider behind the shared limiter (as fetch_range), the stored days, the watchlist."""

    fetch: FetchSettings
    table: MainTable
    watchlist: Watchlist
    board: DayBoard
    reconcile: Reconcile


@dataclass(frozen=True)
class TableOnlySettings:
    """audit_record and staleness_check: the main table only."""

    table: MainTable


@dataclass(frozen=True)
class PushBarsSettings:
    """push_bars: the pushed bars and audit records (main table), the dead-letter queue, and the push run's
    work object (bucket)."""

    table: MainTable
    bucket: DataBucket
    dead_letters: PushDeadLetters


@dataclass(frozen=True)
class ApiSettings:
    table: MainTable
    service: ApiService


# The settings each function (folder under functions/) reads; its handler module exposes them as `settings`.
FUNCTION_SETTINGS: dict[str, type] = {
    "validate_input": ValidateInputSettings,
    "fetch_bars": FetchBarsSettings,
    "pick_winner": PickWinnerSettings,
    "store_day": StoreDaySettings,
    "analysis_prepare": AnalysisPrepareSettings,
    "analysis_ticker": AnalysisTickerSettings,
    "analysis_store": AnalysisStoreSettings,
    "analysis_catchup": AnalysisCatchUpSettings,
    "start_daily": StartDailySettings,
    "plan_backfill": PlanBackfillSettings,
    "fetch_range": FetchSettings,
    "store_sessions": StoreSessionsSettings,
    "audit_record": TableOnlySettings,
    "staleness_check": TableOnlySettings,
    "reconcile": ReconcileSettings,
    "push_bars": PushBarsSettings,
    "api": ApiSettings,
}

# ------------------------------------------------------------------------------------------ loading

S = TypeVar("S")


def _parts(cls: type) -> list[tuple[dataclasses.Field[Any], Var | type]]:
    """Each field of a group (its Var) or of a function's settings (its group class)."""
    hints = typing.get_type_hints(cls)
    out: list[tuple[dataclasses.Field[Any], Var | type]] = []
    for f in dataclasses.fields(cls):
        var = f.metadata.get("env")
        out.append((f, var if isinstance(var, Var) else hints[f.name]))
    return out


def variables(cls: type) -> frozenset[str]:
    """Every environment variable the settings `cls` read."""
    names: set[str] = set()
    for _field, part in _parts(cls):
        names |= {part.name} if isinstance(part, Var) else variables(part)
    return frozenset(names)


def required_variables(cls: type) -> frozenset[str]:
    """The variables of `cls` without a default (names and ARNs): a deployment must set each."""
    names: set[str] = set()
    for _field, part in _parts(cls):
        if isinstance(part, Var):
            names |= {part.name} if part.default is None else set()
        else:
            names |= required_variables(part)
    return frozenset(names)


def _read(cls: type[S], environ: Mapping[str, str], problems: dict[str, str]) -> S | None:
    values: dict[str, Any] = {}
    for f, part in _parts(cls):
        if not isinstance(part, Var):
            values[f.name] = _read(part, environ, problems)
            continue
        raw = environ.get(part.name)
        if raw is None and part.default is not None:
            raw = part.default  # a tunable left unset takes its default; a name or an ARN has none
        if raw is None or (raw.strip() == "" and not part.empty_ok):
            problems[part.name] = "is required" if raw is None else "is empty"
            continue
        try:
            values[f.name] = part.parse(raw.strip())
        except _Bad as exc:
            problems[part.name] = str(exc)
    return None if problems else cls(**values)


def load(cls: type[S], environ: Mapping[str, str] | None = None) -> S:
    """The settings `cls` read from `environ` (default os.environ); SettingsError naming every bad one."""
    problems: dict[str, str] = {}
    out = _read(cls, os.environ if environ is None else environ, problems)
    if out is None:
        raise SettingsError(cls.__name__, problems)
    return out
