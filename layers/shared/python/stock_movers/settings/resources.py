"""The names and ARNs of the stack's resources a function reaches (tables, bucket, queue, state machine)."""

from __future__ import annotations

from dataclasses import dataclass

from stock_movers.settings.core import env, optional_text


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
class IngestMachine:
    """The ingest state machine (its `live` alias) the schedule's daily run starts."""

    arn: str = env("STATE_MACHINE_ARN")
