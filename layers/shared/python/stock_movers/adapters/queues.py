"""SQS: the market-data bus's dead-letter queue (the one queue the functions write; docs/push-feed.md)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stock_movers.adapters.aws import LazyClient

MAX_MESSAGE_BYTES = (
    256 * 1024
)  # SQS's limit; an EventBridge event is at most 256 KB too, but the wrapper adds


class DeadLetterQueue:
    """Sends one JSON message per refused event to the queue at `url`."""

    sqs = LazyClient("sqs")

    def __init__(self, url: str, sqs: Any = None) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError(f"the dead-letter queue's URL is required, got {url!r}")
        self.url = url
        self._sqs = sqs

    def send(self, message: Mapping[str, Any]) -> str:
        """The message as compact JSON (the event cut to fit SQS's 256 KB when it must); its MessageId."""
        body = json.dumps(message, separators=(",", ":"), sort_keys=True, default=str)
        if len(body.encode()) > MAX_MESSAGE_BYTES:
            cut = {
                **message,
                "event": json.dumps(message.get("event"), default=str)[:200_000] + "...[truncated]",
            }
            body = json.dumps(cut, separators=(",", ":"), sort_keys=True, default=str)
        return str(self.sqs.send_message(QueueUrl=self.url, MessageBody=body)["MessageId"])
