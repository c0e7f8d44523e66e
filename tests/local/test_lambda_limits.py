"""Lambda's deployment-package quotas on the local AWS (compat.fix_lambda_code_size_limits): refused at the
same byte counts and with the same error codes and messages as AWS."""

from __future__ import annotations

import io
import os
import uuid
import zipfile
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from botocore.exceptions import ClientError

from movers import lambda_limits

LIMIT = lambda_limits.MAX_UNZIPPED  # 262,144,000 bytes


@cache
def zeros_zip(size: int, name: str = "python/blob.bin") -> bytes:
    """A zip holding one file of `size` zero bytes: small zipped, `size` bytes unzipped."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        info = zipfile.ZipInfo(name)
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as member:
            chunk = bytes(8 * 1024 * 1024)
            left = size
            while left:
                member.write(chunk[: min(left, len(chunk))])
                left -= min(left, len(chunk))
    return buf.getvalue()


def function_zip(extra: int = 0) -> bytes:
    """A runnable function zip, plus `extra` zero bytes of padding (unzipped)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("app.py", "def handler(e, c):\n    return 1\n")
        if extra:
            zf.writestr("pad.bin", bytes(extra))
    return buf.getvalue()


def publish(lam: Any, content: dict[str, Any]) -> dict[str, Any]:
    return lam.publish_layer_version(LayerName=f"l-{uuid.uuid4().hex[:8]}", Content=content)


def refused(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def test_a_layer_is_refused_one_byte_over_250_mib_unzipped(aws_client):
    lam = aws_client("lambda")
    # Given a layer of exactly 262,144,000 bytes unzipped: Lambda takes it
    assert publish(lam, {"ZipFile": zeros_zip(LIMIT)})
    # When the layer is one byte larger, then PublishLayerVersion is refused as Lambda refuses it
    code, message, status = refused(lambda: publish(lam, {"ZipFile": zeros_zip(LIMIT + 1)}))
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == "Unzipped size must be smaller than 262144000 bytes"


def test_a_function_plus_its_layers_over_250_mib_is_refused_at_create_and_at_new_layers(
    aws_client, lambda_role
):
    lam = aws_client("lambda")
    layer_size = 200 * lambda_limits.MIB
    layer = publish(lam, {"ZipFile": zeros_zip(layer_size)})["LayerVersionArn"]
    room = LIMIT - layer_size - lambda_limits.unzipped_size(function_zip())

    def create(code: bytes, layers: list[str]) -> str:
        name = f"big-{uuid.uuid4().hex[:8]}"
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=lambda_role,
            Handler="app.handler",
            Code={"ZipFile": code},
            Layers=layers,
        )
        return name

    # Given a 200 MiB layer, a function that fills the rest of the 250 MiB exactly is created
    assert create(function_zip(extra=room), [layer])
    # When the function is one byte larger, then CreateFunction is refused with the combined size
    code, message, status = refused(lambda: create(function_zip(extra=room + 1), [layer]))
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message == (
        "Function code combined with layers exceeds the maximum allowed size of 262144000 bytes. "
        f"The actual size is {LIMIT + 1} bytes."
    )
    # And a function that fits alone is refused when the layer is added by UpdateFunctionConfiguration,
    # or when its new code no longer fits beside the layer (UpdateFunctionCode)
    small = create(function_zip(extra=room + 1), [])
    code, _, _ = refused(lambda: lam.update_function_configuration(FunctionName=small, Layers=[layer]))
    assert code == "InvalidParameterValueException"
    assert lam.get_function_configuration(FunctionName=small).get("Layers", []) == []
    fitting = create(function_zip(), [layer])
    code, _, _ = refused(
        lambda: lam.update_function_code(FunctionName=fitting, ZipFile=function_zip(extra=room + 1))
    )
    assert code == "InvalidParameterValueException"


def test_a_direct_upload_over_50_mib_is_refused_and_the_same_zip_through_s3_is_taken(aws_client):
    lam, s3 = aws_client("lambda"), aws_client("s3")
    # Given a zip of 50 MiB + 1 byte (random data does not compress)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("python/noise.bin", os.urandom(lambda_limits.MAX_DIRECT_UPLOAD_ZIP))
    big = buf.getvalue()
    assert len(big) > lambda_limits.MAX_DIRECT_UPLOAD_ZIP
    # When it is sent in the request, then Lambda's 413 comes back
    code, message, status = refused(lambda: publish(lam, {"ZipFile": big}))
    assert (code, status) == ("RequestEntityTooLargeException", 413)
    assert message == "Request must be smaller than 69905067 bytes for the PublishLayerVersion operation"
    # When it goes through S3 (as Terraform publishes our layers), then the layer is published
    bucket = f"artifacts-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="layers/big.zip", Body=big)
    published = publish(lam, {"S3Bucket": bucket, "S3Key": "layers/big.zip"})
    assert published["Content"]["CodeSize"] == len(big)
