"""DynamoDB: atomic requests and transaction rollback.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

import inspect
import threading
from typing import Any


def fix_dynamodb_requests_are_atomic() -> None:
    """Handles one DynamoDB request at a time, so each is atomic as on AWS.

    moto's TransactWriteItems deep-copies the tables it touches (to roll back on a failed condition) while
    the threaded server lets other requests write to them: under concurrent writes (the backfill's batches
    storing sessions side by side) the copy fails with "dictionary changed size during iteration" and the
    request answers HTTP 500, an error AWS never gives for it; a concurrent Query can fail the same way.
    AWS applies each request atomically; serialising moto's handling of DynamoDB requests gives exactly
    that (each takes milliseconds). Other services are unaffected. (Caveat: moto would run a DynamoDB stream
    trigger inside the write, under this lock; a triggered function writing back to DynamoDB would then wait
    for it. The project has no stream triggers.)
    """
    from moto.dynamodb.responses import DynamoHandler

    lock = threading.RLock()
    original = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with lock:
            return original(self)

    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def fix_dynamodb_transaction_rollback() -> None:
    """TransactWriteItems backs up, and rolls back, only the items it names (as DynamoDB does).

    DynamoDB's transactions are atomic per item: a cancelled transaction leaves its own items as they were
    and never touches others. moto deep-copies every table a transaction names before each call (seconds and
    gigabytes per call on a table of a few thousand items), fails with "dictionary changed size during
    iteration" when another request writes the table meanwhile, and rolls back by putting the copied table
    back, which discards every other request's writes made in between. Store Day commits each day with one
    transaction, so a backfill made the local AWS grow past 10 GB. Here the table copy is skipped (the
    "copy" is the table itself, so moto's own rollback is a no-op) and the named items are restored from a
    backup of just those items. Atomicity against other requests comes from
    :func:`fix_dynamodb_requests_are_atomic`.
    """
    import copy

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items
    state = threading.local()

    def table_deepcopy(self: Any, memo: dict[int, Any]) -> Any:
        if getattr(state, "no_copy", False):
            return self
        return copy._reconstruct(self, memo, *self.__reduce_ex__(4))  # type: ignore[attr-defined]

    def named_items(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[str, Any, Any]]:
        backups: list[tuple[str, Any, Any]] = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName"))
            if table is None:
                continue
            if "Item" in op:
                attrs = op["Item"]
                key = {a: attrs[a] for a in (table.hash_key_attr, table.range_key_attr) if a and a in attrs}
            else:
                key = op.get("Key") or {}
            try:
                current = backend.get_item(table.name, key)
            except Exception:  # noqa: S112  a malformed key: moto's own call reports it
                continue
            backups.append((table.name, key, None if current is None else current.to_json()["Attributes"]))
        return backups

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        backups = named_items(self, transact_items)
        state.no_copy = True
        try:
            return original(self, transact_items)
        except Exception:
            for table_name, key, before in reversed(backups):
                if before is None:
                    self.delete_item(table_name, key)
                else:
                    self.put_item(table_name, copy.deepcopy(before))
            raise
        finally:
            state.no_copy = False

    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def fix_dynamodb_query_reads_one_partition() -> None:
    """A Query on a table's own key reads only the items of its partition key (as DynamoDB does).

    moto answers a base-table Query by listing and sorting every item of the table, then keeping those of
    the asked partition: a Query's cost grows with the whole table, not with its partition. Run under
    :func:`fix_dynamodb_requests_are_atomic`'s lock, every such Query (a backfill's plan, gap finding,
    the API's reads) stalls every other DynamoDB request of the stack while a table of a few years of days
    is sorted. Here the base-table Query sees only its partition (moto keeps items by partition key);
    moto's own sorting, paging, key conditions and filters run on it unchanged. Index queries are left as
    they are (their partitions are not kept apart).
    """
    from moto.dynamodb.models.table import Table

    original_query = Table.query
    original_all_items = Table.all_items
    state = threading.local()

    def all_items(self: Any) -> Any:
        partition = getattr(state, "partition", None)
        if partition is None or partition[0] is not self:
            return original_all_items(self)
        bucket = self.items.get(partition[1])
        if bucket is None:
            return []
        return list(bucket.values()) if self.range_key_attr else [bucket]

    signature = inspect.signature(original_query)

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        asked = signature.bind(self, *args, **kwargs).arguments
        hash_key = asked.get("hash_key")
        if asked.get("index_name") or hash_key is None:
            return original_query(self, *args, **kwargs)
        state.partition = (self, hash_key)
        try:
            return original_query(self, *args, **kwargs)
        finally:
            state.partition = None

    Table.all_items = all_items  # type: ignore[method-assign]
    Table.query = query  # type: ignore[method-assign]
