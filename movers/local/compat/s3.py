"""S3: inventory configuration.

Part of :mod:`movers.local.compat` (see its docstring); each fix is tested in ``tests/local``.
"""

from __future__ import annotations

from typing import Any


def fix_s3_inventory_round_trip() -> None:
    """S3 inventory configurations read back as they were put.

    S3 returns a configuration's `IncludedObjectVersions` and its destination `Encryption` (`SSE-S3` /
    `SSE-KMS`) as given. moto answers every Get with `IncludedObjectVersions: All` and loses the
    encryption (it keeps the XML element names, which its serializer then does not find), so Terraform's
    `aws_s3_bucket_inventory` shows a change on every plan. We keep the put value and rename the two XML
    element names to the API's member names.
    """
    from moto.s3.models import S3Backend
    from moto.s3.responses import S3Response

    original_put = S3Backend.put_bucket_inventory_configuration
    original_get = S3Response.get_bucket_inventory_configuration

    def put(self: Any, bucket_name: str, inventory_configuration: dict[str, Any]) -> Any:
        destination = (inventory_configuration.get("Destination") or {}).get("S3BucketDestination") or {}
        encryption = destination.get("Encryption")
        if isinstance(encryption, dict):
            if "SSE-S3" in encryption:
                encryption["SSES3"] = encryption.pop("SSE-S3") or {}
            if "SSE-KMS" in encryption:
                encryption["SSEKMS"] = encryption.pop("SSE-KMS") or {}
        result = original_put(self, bucket_name, inventory_configuration)
        bucket = self.get_bucket(bucket_name)
        config = bucket.inventory_configs[inventory_configuration["Id"]]
        config.movers_versions = inventory_configuration.get("IncludedObjectVersions", "All")
        return result

    def get(self: Any) -> Any:
        config = self.backend.get_bucket_inventory_configuration(
            bucket_name=self.bucket_name, id=self.querystring["id"][0]
        )
        versions = getattr(config, "movers_versions", "All")
        status, headers, body = original_get(self)
        if isinstance(body, bytes):
            body = body.replace(
                b"<IncludedObjectVersions>All</IncludedObjectVersions>",
                f"<IncludedObjectVersions>{versions}</IncludedObjectVersions>".encode(),
            )
        elif isinstance(body, str):
            body = body.replace(
                "<IncludedObjectVersions>All</IncludedObjectVersions>",
                f"<IncludedObjectVersions>{versions}</IncludedObjectVersions>",
            )
        return status, headers, body

    S3Backend.put_bucket_inventory_configuration = put  # type: ignore[method-assign]
    S3Response.get_bucket_inventory_configuration = get  # type: ignore[method-assign]
