"""Packaging benchmark: every built artifact's zipped and unzipped size against Lambda's limits.

Reads build/dist (``make bench`` builds it first, for the host architecture; ``make build ARCH=...``
prints the same table for AWS). The limits are Lambda's (``movers.lambda_limits``): 50 MiB for a zip
uploaded directly, 250 MiB unzipped for a layer and for a function's code plus its layers.
``python -m bench.packaging [DIST]`` prints the figures as JSON.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from movers import build, lambda_limits

DIST = Path(__file__).resolve().parents[1] / "build" / "dist"


def _mib(size: int) -> float:
    return round(size / lambda_limits.MIB, 2)


def _pct(size: int, limit: int) -> float:
    return round(100.0 * size / limit, 1)


def run(dist: Path = DIST) -> dict[str, Any]:
    """One figure per artifact and per function with its layers (MiB and % of the limit), then the maxima."""
    artifacts = build.measure(dist)
    if not artifacts:
        raise FileNotFoundError(f"no artifacts in {dist}: run `make build-local` first")
    arch = (dist / "ARCH").read_text().strip() if (dist / "ARCH").is_file() else "unknown"
    zipped, unzipped = lambda_limits.MAX_DIRECT_UPLOAD_ZIP, lambda_limits.MAX_UNZIPPED
    figures: dict[str, Any] = {"arch": arch}
    for name, a in artifacts.items():
        figures[name] = (
            f"{_mib(a.zipped)} MiB zipped ({_pct(a.zipped, zipped)}% of 50 MiB), "
            f"{_mib(a.unzipped)} MiB unzipped ({_pct(a.unzipped, unzipped)}% of 250 MiB)"
        )
    deployments = build.deployments(artifacts)
    for function, (total, layers) in deployments.items():
        figures[f"fn {function} + {'+'.join(layers)}"] = (
            f"{_mib(total)} MiB unzipped ({_pct(total, unzipped)}% of 250 MiB)"
        )
    largest_zip = max(artifacts.values(), key=lambda a: a.zipped)
    largest_fn = max(deployments.items(), key=lambda item: item[1][0])
    figures |= {
        "largest_zip": largest_zip.name,
        "largest_zip_bytes": largest_zip.zipped,
        "largest_zip_pct_of_limit": _pct(largest_zip.zipped, zipped),
        "largest_function_with_layers": largest_fn[0],
        "largest_function_with_layers_bytes": largest_fn[1][0],
        "largest_function_with_layers_pct_of_limit": _pct(largest_fn[1][0], unzipped),
        "violations": build.violations(artifacts),
    }
    return figures


if __name__ == "__main__":
    print(json.dumps(run(Path(sys.argv[1]) if len(sys.argv) > 1 else DIST), indent=2))
