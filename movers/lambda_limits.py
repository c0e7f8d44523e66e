"""Lambda's deployment-package quotas, as AWS enforces them, for the build (`movers.build`) and the local AWS
(`movers.local.compat`), so both refuse at the same byte counts AWS does.

- A zip uploaded directly (``ZipFile`` in CreateFunction, UpdateFunctionCode or PublishLayerVersion) travels
  base64-encoded in a JSON request, which must stay under 69,905,067 bytes: a 50 MiB zip. Over it Lambda
  answers 413 ``RequestEntityTooLargeException``. A zip uploaded through S3 has no such limit.
- Unzipped, a layer and a function's code plus all its layers must stay within 250 MiB (262,144,000 bytes);
  over it Lambda answers 400 ``InvalidParameterValueException``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from pathlib import Path

MIB = 1024 * 1024
MAX_DIRECT_UPLOAD_ZIP = 50 * MIB  # 52,428,800 bytes: the zip a direct upload may carry
MAX_DIRECT_UPLOAD_REQUEST = -(-MAX_DIRECT_UPLOAD_ZIP * 4 // 3)  # 69,905,067: that zip, base64, in the request
MAX_UNZIPPED = 250 * MIB  # 262,144,000 bytes: a layer, or a function's code plus its layers, extracted


def unzipped_size(archive: bytes | Path) -> int:
    """The bytes a zip occupies once extracted (what Lambda counts): the sum of its members' sizes."""
    source = io.BytesIO(archive) if isinstance(archive, bytes) else archive
    with zipfile.ZipFile(source) as zf:
        return sum(info.file_size for info in zf.infolist())


def request_too_large(operation: str) -> str:
    """Lambda's message for a direct upload over the request limit (RequestEntityTooLargeException, 413)."""
    return f"Request must be smaller than {MAX_DIRECT_UPLOAD_REQUEST} bytes for the {operation} operation"


def unzipped_too_large(sizes: Iterable[int]) -> str | None:
    """Lambda's message when a function's code plus its layers (or a layer alone) is over 250 MiB extracted,
    or None when it fits (InvalidParameterValueException, 400)."""
    parts = list(sizes)
    total = sum(parts)
    if total <= MAX_UNZIPPED:
        return None
    if len(parts) == 1:
        return f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
    return (
        f"Function code combined with layers exceeds the maximum allowed size of {MAX_UNZIPPED} bytes. "
        f"The actual size is {total} bytes."
    )
