"""The one OpenAPI source: build docs/openapi.json from the Powertools route definitions.

Run ``python -m functions.api.openapi`` (``make openapi``) after changing a route; ``--check`` exits 1 when
the committed file differs. Terraform builds the API Gateway REST API from the written file, the local API
gateway routes by it, and schemathesis tests the running API against it.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE.parent.parent / "docs" / "openapi.json"
TITLE = "stock-movers API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Read API of stock-movers: each US trading day's biggest mover of the watchlist, per-ticker history "
    "and the daily analysis. Errors are JSON {error, message}. Generated from functions/api; do not edit."
)


def build_spec() -> dict[str, Any]:
    """The OpenAPI document of the API function, trimmed to what the API really answers."""
    if str(HERE) not in sys.path:
        # In the Lambda zip, movers_api sits at the root; here it sits beside this file.
        sys.path.insert(0, str(HERE))
    from movers_api.resolver import app

    with warnings.catch_warnings():
        # Powertools notes that Pydantic v2 forces OpenAPI 3.1; that is what we want.
        warnings.simplefilter("ignore")
        spec: dict[str, Any] = json.loads(
            app.get_openapi_json_schema(title=TITLE, version=VERSION, description=DESCRIPTION)
        )
    spec.pop("servers", None)  # the stage URL is deployment-specific
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.get("responses", {})
            # Validation errors are answered 400 with our error shape (errors.py), never 422.
            responses.pop("422", None)
            if "304" in responses:
                responses["304"].pop("content", None)
    schemas = spec.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    for operations in spec.get("paths", {}).values():
        if "get" in operations:
            operations["head"] = head_operation(operations["get"])
    spec["paths"] = dict(sorted(spec["paths"].items()))
    return spec


def head_operation(get: dict[str, Any]) -> dict[str, Any]:
    """The HEAD twin of a GET operation: same parameters and status codes, no response bodies.

    The function answers HEAD on every GET route (movers_api.resolver.resolve); Powertools has no HEAD
    route of its own, so the document gets it here, and API Gateway (built from this file) gets a HEAD method.
    """
    head = copy.deepcopy(get)
    head["operationId"] = get["operationId"].removesuffix("_get") + "_head"
    head["summary"] = f"{get.get('summary', 'GET')} (headers only)"
    for response in head.get("responses", {}).values():
        response.pop("content", None)
    return head


def render(spec: dict[str, Any]) -> str:
    """Stable text form: two-space indent, trailing newline."""
    return json.dumps(spec, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or with --check, compare) the OpenAPI file; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--check", action="store_true", help="fail if the file is not up to date")
    args = parser.parse_args(argv)
    text = render(build_spec())
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(f"{args.output} is out of date: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
