"""movers.local.compat.fix_dynamodb_query_reads_one_partition, against the session's local AWS: a Query
answers exactly as DynamoDB does (its partition only, in key order, paged, with key conditions, filters and
indexes), now that moto reads only the asked partition."""

from __future__ import annotations

import uuid
from typing import Any

import pytest


@pytest.fixture
def table(aws_client: Any) -> str:
    """Given a table of three partitions of 30 items each, with a GSI on `kind`, and a hash-only table."""
    ddb = aws_client("dynamodb")
    name = f"query-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-kind",
                "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    for p in ("A", "B", "C"):
        for i in reversed(range(30)):  # written out of order: the answer is in key order all the same
            item = {"pk": {"S": p}, "sk": {"S": f"2024-01-{i + 1:02d}"}, "n": {"N": str(i)}}
            if i % 10 == 0:
                item["kind"] = {"S": "tenth"}
            ddb.put_item(TableName=name, Item=item)
    return name


def keys(items: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(i["pk"]["S"], i["sk"]["S"]) for i in items]


def test_a_query_answers_its_partition_only_in_key_order(aws_client: Any, table: str) -> None:
    ddb = aws_client("dynamodb")
    out = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "B"}}
    )
    assert keys(out["Items"]) == [("B", f"2024-01-{d:02d}") for d in range(1, 31)]
    newest = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "C"}, ":a": {"S": "2024-01-05"}, ":b": {"S": "2024-01-07"}},
        ScanIndexForward=False,
    )
    assert keys(newest["Items"]) == [("C", "2024-01-07"), ("C", "2024-01-06"), ("C", "2024-01-05")]
    begins = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        FilterExpression="n > :n",
        ExpressionAttributeValues={":p": {"S": "A"}, ":s": {"S": "2024-01-1"}, ":n": {"N": "15"}},
    )
    assert keys(begins["Items"]) == [("A", "2024-01-17"), ("A", "2024-01-18"), ("A", "2024-01-19")]
    missing = ddb.query(
        TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "Z"}}
    )
    assert missing["Items"] == [] and missing["Count"] == 0


def test_pages_of_a_partition_follow_last_evaluated_key(aws_client: Any, table: str) -> None:
    ddb = aws_client("dynamodb")
    seen: list[tuple[str, str]] = []
    start: dict[str, Any] | None = None
    pages = 0
    while True:
        extra = {"ExclusiveStartKey": start} if start else {}
        out = ddb.query(
            TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "A"}},
            Limit=7, ScanIndexForward=False, **extra,
        )  # fmt: skip
        seen += keys(out["Items"])
        pages += 1
        start = out.get("LastEvaluatedKey")
        if not start:
            break
    assert seen == [("A", f"2024-01-{d:02d}") for d in range(30, 0, -1)] and pages == 5


def test_an_index_query_still_reads_every_partition(aws_client: Any, table: str) -> None:
    ddb = aws_client("dynamodb")
    out = ddb.query(
        TableName=table, IndexName="by-kind", KeyConditionExpression="kind = :k",
        ExpressionAttributeValues={":k": {"S": "tenth"}},
    )  # fmt: skip
    assert sorted(keys(out["Items"])) == [
        (p, f"2024-01-{d:02d}") for p in ("A", "B", "C") for d in (1, 11, 21)
    ]


def test_a_hash_only_table_answers_its_one_item(aws_client: Any) -> None:
    ddb = aws_client("dynamodb")
    name = f"hash-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    for k in ("x", "y"):
        ddb.put_item(TableName=name, Item={"pk": {"S": k}, "v": {"S": k * 2}})
    out = ddb.query(
        TableName=name, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "y"}}
    )
    assert out["Items"] == [{"pk": {"S": "y"}, "v": {"S": "yy"}}]
