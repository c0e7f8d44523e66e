"""Audit Record: writes one kept record per finished execution (EventBridge target of the audit rule).

Input: an EventBridge "Step Functions Execution Status Change" event with a terminal status. The record
(see audit.py for its shape) is a plain overwrite, so EventBridge's at-least-once delivery is harmless.
"""

from __future__ import annotations

from typing import Any

from audit import audit_item

from stock_movers.adapters.aws import client
from stock_movers.adapters.storage import ItemStore
from stock_movers.observability import logger
from stock_movers.settings import load
from stock_movers.settings.functions import TableOnlySettings

settings = load(TableOnlySettings)
_TABLE = settings.table.name


@logger.inject_lambda_context(log_event=False)
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    item = audit_item(event)
    logger.set_correlation_id(item["ExecutionName"]["S"])
    ItemStore(_TABLE, client("dynamodb")).put_audit({"pk": item["pk"], "sk": item["sk"]}, item)
    logger.info(
        "Audit record stored",
        extra={"pk": item["pk"]["S"], "sk": item["sk"]["S"], "status": item["Status"]["S"]},
    )
    return {"pk": item["pk"]["S"], "sk": item["sk"]["S"]}
