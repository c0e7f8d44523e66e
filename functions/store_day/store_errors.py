"""Store Day's failures under names of their own: Step Functions sees `errorType`, the exception's class.

Permanent refusals (the store says the data or the request is wrong, or the input is malformed) become
StoreRejected, so a Retry never spends attempts on them and an operator reads what was refused. Anything
else keeps its own name (transient DynamoDB/S3 faults are the retry policy's business).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from stock_movers.domain.errors import StoreRejected

F = TypeVar("F", bound=Callable[..., Any])

# Error codes of DynamoDB and S3 that no retry can get past.
PERMANENT_CODES = frozenset(
    {
        "ValidationException",  # a Number beyond 38 digits or out of range, an empty key, a too-large item
        "SerializationException",
        "ItemCollectionSizeLimitExceededException",
        "ResourceNotFoundException",  # table missing: configuration, not load
        "NoSuchBucket",
        "NoSuchKey",  # the daily run's day object (dayKey) is not there
        "AccessDenied",
        "AccessDeniedException",
        "InvalidArgument",
        "EntityTooLarge",
        # the day's commit cancelled for a reason no retry passes (ItemStore.put_day already turned
        # throttling and conflicts into StorageUnavailable, and a lost condition into AlreadyStored)
        "TransactionCanceledException",
    }
)


def named_store_errors(handler: F) -> F:
    """Decorator: permanent storage refusals and malformed input raise StoreRejected with the reason."""

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        try:
            return handler(event, context)
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in PERMANENT_CODES:
                operation = getattr(exc, "operation_name", "") or "storage"
                message = str(error.get("Message", ""))[:200]
                raise StoreRejected(f"{operation}: {code}: {message}") from exc
            raise
        except (KeyError, TypeError, AttributeError) as exc:
            raise StoreRejected(f"input: malformed Store Day input ({type(exc).__name__}: {exc})") from exc

    return wrapper  # type: ignore[return-value]
