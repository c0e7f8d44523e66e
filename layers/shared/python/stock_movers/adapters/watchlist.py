"""The configured watchlist: one JSON object in the data bucket, written by Terraform (var.watchlist).

It lives in S3, not in an environment variable (Lambda's 4 KB limit on all of a function's variables held
it to ~700 tickers) nor in Parameter Store (4 KB a standard parameter, 8 KB an advanced one): an object has
no practical size limit, the bucket is already there, versioned and encrypted. Terraform gives each reader the
object's key and the version it wrote (WATCHLIST_VERSION), so a changed watchlist changes the functions'
configuration (fresh containers) and every container reads exactly the deployed version, once: the tickers
are cached per container. A missing or malformed object is InvalidWatchlist naming it.
"""

from __future__ import annotations

from typing import Any

from stock_movers.adapters.aws import LazyClient
from stock_movers.domain.errors import InvalidWatchlist
from stock_movers.domain.inputs import parse_watchlist

WATCHLIST_KEY = "config/watchlist.json"


class WatchlistSource:
    """Reads the watchlist object (the given version, or the current one) on first use and keeps it."""

    s3 = LazyClient("s3")

    def __init__(self, bucket: str, key: str, version: str | None = None, s3: Any = None) -> None:
        self.bucket = bucket
        self.key = key
        self.version = version
        self._s3 = s3
        self._tickers: tuple[str, ...] | None = None

    @property
    def where(self) -> str:
        at = f" (version {self.version})" if self.version else ""
        return f"s3://{self.bucket}/{self.key}{at}"

    def tickers(self) -> tuple[str, ...]:
        """The watchlist's tickers (1 to MAX_WATCHLIST); InvalidWatchlist when the object is absent or bad."""
        if self._tickers is None:
            self._tickers = parse_watchlist(self._read(), self.where)
        return self._tickers

    def _read(self) -> bytes:
        kwargs = {"Bucket": self.bucket, "Key": self.key}
        if self.version:
            kwargs["VersionId"] = self.version
        try:
            return bytes(self.s3.get_object(**kwargs)["Body"].read())
        except Exception as exc:
            code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
            if code in ("NoSuchKey", "NoSuchVersion", "NoSuchBucket", "InvalidArgument"):
                raise InvalidWatchlist(f"{self.where}: not found ({code})") from None
            raise
