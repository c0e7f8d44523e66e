"""The settings of each pipeline function, composed of the groups, and :data:`FUNCTION_SETTINGS`: which
settings each function (the folder under functions/) reads. tests/unit/test_settings_terraform.py holds
:func:`~stock_movers.settings.variables` of each equal to that function's Terraform `environment` map, so no
function is given a variable (or a secret's ARN) it does not use."""

from __future__ import annotations

from dataclasses import dataclass

from stock_movers.settings.api import ApiSettings
from stock_movers.settings.pipeline import (
    Analysis,
    AnalysisBatches,
    BackfillLimits,
    CatchUp,
    DayBoard,
    MarketFilter,
    Reconcile,
    RunSize,
)
from stock_movers.settings.provider import (
    Failover,
    FailoverNames,
    FetchStrategy,
    Idempotency,
    MarketProvider,
    ProviderAccess,
    RateLimit,
)
from stock_movers.settings.resources import (
    ControlTable,
    DataBucket,
    IngestMachine,
    MainTable,
    PushDeadLetters,
    Watchlist,
)


@dataclass(frozen=True)
class PickWinnerSettings:
    """pick_winner: the bucket holding the run's work objects (fetched bars in, the validated day out), and
    the whole-market filters a market-scope day is reduced with."""

    bucket: DataBucket
    market: MarketFilter


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
