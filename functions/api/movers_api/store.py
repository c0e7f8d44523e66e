"""Read-only DynamoDB access for the API, through the table's adapter: always Query (newest first, with a
Limit) or GetItem; never Scan.

The boto3 client is created on first use (cold start stays light, and tests can start moto first) and is
cached for the life of the execution environment.
"""

from __future__ import annotations

from typing import Any

from movers_api.settings import settings

_client: Any = None
_deserializer: Any = None


def table_name() -> str:
    """The main table (TABLE_NAME, validated at import by movers_api.settings)."""
    return settings.table.name


def client() -> Any:
    """The cached DynamoDB client (boto3 imported here, not at module import)."""
    global _client
    if _client is None:
        import boto3

        _client = boto3.client("dynamodb")
    return _client


def set_client(new_client: Any) -> None:
    """Replace (or with None, forget) the cached client; for tests and benchmarks."""
    global _client
    _client = new_client


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    global _deserializer
    if _deserializer is None:
        from boto3.dynamodb.types import TypeDeserializer

        _deserializer = TypeDeserializer()
    return {key: _deserializer.deserialize(value) for key, value in raw.items()}


def items() -> Any:
    """The main table's adapter (stock_movers.adapters.storage: the key schema lives there) over the cached
    client."""
    from stock_movers.adapters.storage import ItemStore

    return ItemStore(table_name(), client())


def newest_winners(limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` winners, newest first (one Query with a Limit)."""
    return [_item(raw) for raw in items().newest_winners(limit)]


def winner(date: str) -> dict[str, Any] | None:
    raw = items().winner(date)
    return _item(raw) if raw else None


def leaders(date: str, scope: str) -> dict[str, Any] | None:
    """The day's top-N board for `scope`, or None."""
    raw = items().leaders(date, scope)
    return _item(raw) if raw else None


def newest_ticker_days(ticker: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` stored days of ``ticker``, newest first."""
    return [_item(raw) for raw in items().newest_ticker_days(ticker, limit)]


def splits(ticker: str) -> list[Any]:
    """The stored split events of ``ticker`` (domain.splits.Split), oldest first (one Query)."""
    return list(items().splits(ticker))


def newest_analysis() -> dict[str, Any] | None:
    found = items().newest_analyses(1)
    return _item(found[0]) if found else None


def analysis(date: str) -> dict[str, Any] | None:
    raw = items().analysis(date)
    return _item(raw) if raw else None
