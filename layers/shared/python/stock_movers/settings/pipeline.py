"""The pipeline's tunables: the day's board, the market filters, run and backfill sizes, the analysis."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from stock_movers.domain.analytics import ANALYSIS_BATCH_DEFAULT, ANALYSIS_BATCH_MAX
from stock_movers.domain.inputs import DEFAULT_MAX_SPAN_DAYS
from stock_movers.domain.leaders import BOARD_DEFAULT, BOARD_MAX
from stock_movers.settings.core import env, non_negative_decimal, positive_decimal, whole


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
class RunSize:
    """Most tickers an ingest execution's input may name (the configured watchlist keeps its own cap of
    500). Above the Distributed Map threshold the fetches run as child executions, so a deployment may take
    more (docs/pipeline.md "Fan-out"); Pick Winner and Store Day still carry every ticker's row."""

    max_tickers: int = env("MAX_TICKERS", whole(1, 5000), default="500")
