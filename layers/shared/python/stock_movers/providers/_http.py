"""HTTP plumbing shared by the adapters: one Session, timeouts, secret-safe errors, strict JSON.

Nothing here logs or raises a URL: Alpha Vantage only accepts its key in the query string, and requests'
own exception texts embed the full URL. Transport failures are therefore re-raised as ProviderUnavailable
outside the `except` block, so the original exception is not even chained as `__context__`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

import requests

from stock_movers.domain.errors import InvalidInput
from stock_movers.domain.inputs import parse_ticker
from stock_movers.providers.errors import (
    MalformedResponse,
    ProviderUnavailable,
    RateLimited,
    RequestRejected,
)

log = logging.getLogger("stock_movers.providers")

USER_AGENT = "stock-movers/0.1 (+https://github.com/)"
_KEY_RE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: safe in a header and a query string
_ISO_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_QUERY_KEY_RE = re.compile(r"(?i)((?:api_?key|token)=)[^&\s\"']+")


class _RedactQueryKeys(logging.Filter):
    """Scrub `apikey=`/`token=` query values from urllib3's DEBUG line (`"GET /query?...&apikey=..."`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the logging module's business, not ours
            return True
        if _QUERY_KEY_RE.search(message):
            record.msg = _QUERY_KEY_RE.sub(r"\1***", message)
            record.args = ()
        return True


_FILTER = _RedactQueryKeys()


# The urllib3 loggers that print request URLs (request line, redirects, retries).
URLLIB3_URL_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


def install_urllib3_redaction() -> None:
    """Attach the redacting filter to urllib3's URL-printing loggers (idempotent)."""
    for name in URLLIB3_URL_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def check_api_key(api_key: object) -> str:
    """A non-empty printable key without whitespace; the error never echoes it."""
    if not isinstance(api_key, str) or not _KEY_RE.fullmatch(api_key):
        raise ValueError("api_key: must be a non-empty string of printable characters without whitespace")
    return api_key


def check_base_url(base_url: object) -> str:
    """An http(s) URL without query or fragment, trailing slash removed."""
    if not isinstance(base_url, str):
        raise ValueError("base_url: must be a string")
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"base_url: must be an http(s) URL without query, got {base_url[:80]!r}")
    return base_url.rstrip("/")


def iso_date(text: object) -> dt.date | None:
    """The date of a strict `YYYY-MM-DD` string, else None."""
    if not isinstance(text, str) or not _ISO_DATE_RE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def check_ticker(ticker: object) -> str:
    return parse_ticker(ticker, "ticker")


def check_day(day: object, field: str = "day") -> dt.date:
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise InvalidInput(field, f"must be a datetime.date, got {type(day).__name__}")
    return day


def check_span(start: object, end: object) -> tuple[dt.date, dt.date]:
    s, e = check_day(start, "start"), check_day(end, "end")
    if s > e:
        raise InvalidInput("start", f"{s.isoformat()} is after end {e.isoformat()}")
    return s, e


def check_watchlist(tickers: object) -> tuple[str, ...]:
    if isinstance(tickers, str) or not isinstance(tickers, Sequence):
        raise InvalidInput("tickers", f"must be a list of symbols, got {type(tickers).__name__}")
    if not tickers:
        raise InvalidInput("tickers", "must not be empty")
    symbols = tuple(parse_ticker(t, f"tickers[{i}]") for i, t in enumerate(tickers))
    if len(set(symbols)) != len(symbols):
        raise InvalidInput("tickers", "duplicate symbols")
    return symbols


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: Mapping[str, str]


class HttpClient:
    """GETs through one shared requests.Session with (connect, read) timeouts and no redirects."""

    def __init__(self, provider: str, api_key: str, session: requests.Session | None, timeout: float) -> None:
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or not timeout > 0:
            raise ValueError("timeout: must be a positive number of seconds")
        self.provider = provider
        self._secret = api_key
        self.session = session if session is not None else requests.Session()
        self.timeout = (float(timeout), float(timeout))
        install_urllib3_redaction()

    def redact(self, text: str) -> str:
        return text.replace(self._secret, "***")

    def get(
        self,
        url: str,
        *,
        label: str,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """One GET. Transport failures become ProviderUnavailable naming only `label` (never the URL)."""
        failure: str | None = None
        response: Any = None
        try:
            response = self.session.get(
                url,
                params=params,
                headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip", **(headers or {})},
                timeout=self.timeout,
                allow_redirects=False,
            )
            body = response.content
        except requests.Timeout:
            failure = "timed out"
        except requests.ConnectionError:
            failure = "connection failed"
        except requests.RequestException as exc:
            failure = f"request failed ({type(exc).__name__})"
        if failure is not None:
            log.warning("provider call failed", extra={"provider": self.provider, "call": label})
            raise ProviderUnavailable(f"{self.provider} {label}: {failure}")
        log.debug(
            "provider call",
            extra={
                "provider": self.provider,
                "call": label,
                "status": response.status_code,
                "bytes": len(body),
            },
        )
        return Reply(status=response.status_code, body=body, headers=dict(response.headers))

    def raise_for_transport(self, reply: Reply, label: str, detail: str) -> None:
        """Status classes common to every vendor: 429, 5xx/408, redirects."""
        where = f"{self.provider} {label}"
        if reply.status == 429:
            raise RateLimited(f"{where}: HTTP 429 {detail}".rstrip(), retry_after=retry_after(reply.headers))
        if reply.status >= 500 or reply.status == 408:
            raise ProviderUnavailable(f"{where}: HTTP {reply.status} {detail}".rstrip())
        if 300 <= reply.status < 400:
            raise RequestRejected(f"{where}: unexpected redirect (HTTP {reply.status}); check the base URL")


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a numeric Retry-After header, else None (HTTP-date forms are not worth trusting)."""
    value = {k.lower(): v for k, v in headers.items()}.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def load_json(body: bytes, where: str) -> Any:
    """Parse JSON keeping every number exact (floats as Decimal); NaN/Infinity are malformed."""
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise MalformedResponse(f"{where}: body is not valid JSON") from None


def lenient_json(body: bytes) -> Any:
    """Best-effort parse of an error body (it may be empty, HTML or truncated); None when unreadable."""
    try:
        return json.loads(body, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        return None


def number(value: object, field: str, where: str, *, allow_str: bool = False) -> Decimal:
    """A finite Decimal from a JSON number (or, for vendors that send strings, a numeric string)."""
    if isinstance(value, bool):
        raise MalformedResponse(f"{where}: field {field!r} is not a number")
    if isinstance(value, int | Decimal):
        result = Decimal(value)
    elif allow_str and isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise MalformedResponse(f"{where}: field {field!r} is not a number") from None
    else:
        raise MalformedResponse(f"{where}: field {field!r} is missing or not a number")
    if not result.is_finite():
        raise MalformedResponse(f"{where}: field {field!r} is not finite")
    return result


def message_of(payload: Any) -> str:
    """The vendor's human explanation from an error body (`error`, `message` or `detail`), trimmed."""
    if isinstance(payload, dict):
        for key in ("error", "message", "detail", "Error Message", "Information", "Note"):
            value = payload.get(key)
            if isinstance(value, str) and value:
                return value[:300]
    return ""


class HttpProvider:
    """What every adapter holds: its validated key and base URL and one HttpClient (one requests.Session,
    timeouts, redaction). Subclasses set `name` and `default_base_url`."""

    name: str
    default_base_url: str

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._key = check_api_key(api_key)
        self.base_url = check_base_url(base_url or self.default_base_url)
        self._http = HttpClient(self.name, self._key, session, timeout)
