"""movers.local.compat.fix_dynamodb_requests_are_atomic, against the session's local AWS."""

from __future__ import annotations

import threading
import uuid

from botocore.exceptions import ClientError


def test_concurrent_transactions_and_writes_all_succeed(aws_client):
    # Given a table with items, when eight clients run transactions while others write (moto's
    # TransactWriteItems copied the table mid-write and answered HTTP 500), then every request succeeds
    # and every item is there.
    ddb = aws_client("dynamodb")
    table = f"atomic-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(200):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"seed-{i}"}})
    errors: list[str] = []

    def transact(n: int) -> None:
        client = aws_client("dynamodb")
        for j in range(15):
            items = [{"Put": {"TableName": table, "Item": {"pk": {"S": f"t{n}-{j}-{k}"}}}} for k in range(4)]
            try:
                client.transact_write_items(TransactItems=items)
                client.put_item(TableName=table, Item={"pk": {"S": f"p{n}-{j}"}})
            except ClientError as exc:
                errors.append(str(exc))

    threads = [threading.Thread(target=transact, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    count = ddb.scan(TableName=table, Select="COUNT")["Count"]
    assert count == 200 + 8 * 15 * 5
