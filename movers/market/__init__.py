"""Local Massive-compatible market-data server and its bundled SYNTHETIC dataset.

Importing this package makes the shared layer (``stock_movers``, for the NYSE calendar) importable when it
is not installed, as in a plain checkout run with ``python -m movers.market``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

if importlib.util.find_spec("stock_movers") is None:  # pragma: no cover - depends on how it is run
    _layer = Path(__file__).resolve().parents[2] / "layers" / "shared" / "python"
    if _layer.is_dir():
        sys.path.insert(0, str(_layer))
