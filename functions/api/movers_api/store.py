"""Read-only DynamoDB access for the API: always Query (newest first, with a Limit) or GetItem; never Scan.

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


def latest(pk: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` items of one partition (sort keys are ISO dates, so descending = newest first)."""
    response = client().query(
        TableName=table_name(),
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ScanIndexForward=False,
        Limit=limit,
    )
    return [_item(raw) for raw in response.get("Items", [])]


def one(pk: str, sk: str) -> dict[str, Any] | None:
    """One item by its full key, or None."""
    response = client().get_item(TableName=table_name(), Key={"pk": {"S": pk}, "sk": {"S": sk}})
    raw = response.get("Item")
    return _item(raw) if raw else None
