"""The table of mpmath's correctly rounded values shipped with refnet,
``refnet/data/mp_values.npz``.

It holds f, f' and f'' of every registry activation, at its default parameters, at the points
that ``refnet verify`` and ``refnet formulas`` judge at their defaults and at the reference
vectors' points: computed once by :func:`refnet.oracles.mpmath.mp_evaluate` (regenerate with
``PYTHONPATH=. python tools/mp_table.py``), read back by :func:`lookup` instead of being
recomputed on every run.

A value is read from the table only where the table holds the same float64 z, compared bit for
bit (so -0.0 is not 0.0), at the same parameters, compared bit for bit, and was computed from the
same mpmath forms at the same precision (:func:`fingerprint`); every other point is left to
mpmath.  A table from other forms is not read at all.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

__all__ = ["FORMAT", "PATH", "fingerprint", "lookup", "table"]

FORMAT = 1
PATH = Path(__file__).resolve().parent.parent / "data" / "mp_values.npz"


def fingerprint() -> str:
    """sha256 of the mpmath forms (the source of :mod:`refnet.mp.activations`, line endings
    normalised) and of the working precision: the values hold only for the forms they came
    from."""
    from refnet.mp import PRECISION
    from refnet.mp import activations as mp_activations

    source = Path(mp_activations.__file__).read_bytes().replace(b"\r\n", b"\n")
    return hashlib.sha256(source + f"\nprecision {PRECISION} bits\n".encode()).hexdigest()


def keys(z) -> np.ndarray:
    """The lookup key of each float64: its bit pattern as an int64 (exact; -0.0 and 0.0
    differ)."""
    return np.ascontiguousarray(z, dtype=np.float64).view(np.int64)


@functools.cache
def table() -> dict:
    """name -> (sorted keys, values (3, n): f, f', f'' at those z, params), read once; empty
    where the file is missing, of another format, or from other forms."""
    try:
        data = np.load(PATH, allow_pickle=False)
    except OSError:
        return {}
    with data:
        if int(data["format"]) != FORMAT or str(data["fingerprint"]) != fingerprint():
            return {}
        names = [str(n) for n in data["names"]]
        return {n: (data[f"{n}.keys"], data[f"{n}.values"], json.loads(str(data[f"{n}.params"])))
                for n in names}


def _same_params(stored: dict, given) -> bool:
    """The same names, and each value the same float64, bit for bit."""
    if set(stored) != set(given):
        return False
    try:
        return all(float(given[k]).hex() == float(v).hex() for k, v in stored.items())
    except (TypeError, ValueError):
        return False


def lookup(name: str, z, order: int, params) -> tuple[np.ndarray, np.ndarray]:
    """``(values, found)``, both shaped like ``z``: the stored ``order``-th derivative of
    ``name`` where ``found`` (the exact z at the exact ``params``), NaN elsewhere."""
    z = np.asarray(z, dtype=np.float64)
    values = np.full(z.shape, np.nan)
    found = np.zeros(z.shape, dtype=bool)
    entry = table().get(name)
    if entry is None or order not in (0, 1, 2) or not _same_params(entry[2], params):
        return values, found
    stored, table_values, _ = entry
    if stored.size == 0:
        return values, found
    k = keys(z)
    i = np.minimum(np.searchsorted(stored, k), stored.size - 1)
    found = stored[i] == k
    values[found] = table_values[order][i[found]]
    return values, found
