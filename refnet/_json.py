"""Strict JSON, the one encoding of every JSON refnet writes (reports, ``--json``, vectors).

NumPy values become Python ones and non-finite floats the strings ``"inf"``, ``"-inf"`` and
``"nan"``, so that ``json.dumps(..., allow_nan=False)`` succeeds and strict parsers accept it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

__all__ = ["json_safe", "dumps", "schema_path"]

SCHEMAS = Path(__file__).resolve().parent / "schema"  # installed with the package


def schema_path(command: str) -> Path:
    """The JSON schema of ``refnet COMMAND --json`` (check, verify, formulas, train), as
    installed with refnet."""
    return SCHEMAS / f"{command}.json"


def json_safe(obj):
    """``obj`` with NumPy values made Python ones and non-finite floats written as strings."""
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [json_safe(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return json_safe(obj.tolist())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return v
    return obj


def dumps(obj, indent=None) -> str:
    """Strict JSON of ``obj`` (:func:`json_safe`, then ``json.dumps(..., allow_nan=False)``)."""
    return json.dumps(json_safe(obj), indent=indent, allow_nan=False)
