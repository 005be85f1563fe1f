"""The table of mpmath's correctly rounded values shipped with refnet,
``refnet/data/mp_values.npz``.

It holds f, f' and f'' of every registry activation, at its default parameters, at the points
that ``refnet verify`` and ``refnet formulas`` judge at their defaults and at the reference
vectors' points: computed once by :func:`refnet.oracles.mpmath.mp_evaluate` (regenerate with
``PYTHONPATH=. python tools/mp_table.py``), read back by :func:`lookup` instead of being
recomputed on every run.

A value is read from the table only where the table holds the same float64 z, compared bit for
bit (so -0.0 is not 0.0), at the same parameters, compared bit for bit, and was computed from the
same mpmath forms at the same precision (:func:`fingerprints`, one per activation); every other
point is left to mpmath.  An activation whose forms changed is not read at all, and one the
table lacks (a new activation) is computed by mpmath until the table is regenerated; the other
activations' values stand.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np

__all__ = ["FORMAT", "PATH", "fingerprints", "lookup", "table"]

FORMAT = 2
PATH = Path(__file__).resolve().parent.parent / "data" / "mp_values.npz"


def fingerprints(source: str | None = None) -> dict:
    """name -> sha256 of the forms its values come from: the source of its own f, f', f''
    in :mod:`refnet.mp.activations`, of everything there that is no registry function
    (helpers, constants, imports: a change there may touch any form), and the working
    precision.  Adding an activation, or changing one's forms, changes no other's.
    ``source``: the module's text (its file by default), line endings normalised."""
    import ast

    from refnet.mp import PRECISION
    from refnet.mp import activations as mp_activations

    if source is None:
        source = Path(mp_activations.__file__).read_text(encoding="utf-8")
    source = source.replace("\r\n", "\n")
    tree = ast.parse(source)
    own = {fn.__name__ for forms in mp_activations.ACTIVATIONS.values() for fn in forms}
    defs, shared = {}, []
    for k, node in enumerate(tree.body):
        text = ast.get_source_segment(source, node)
        if isinstance(node, ast.FunctionDef) and node.name in own:
            defs[node.name] = text
        elif k == 0 and isinstance(node, ast.Expr):
            continue  # the module's docstring
        elif "ACTIVATIONS" in text.split("=")[0] or text.startswith("__all__"):
            continue  # the registry itself: each entry enters by its own functions
        else:
            shared.append(text)
    base = "\n".join(shared) + f"\nprecision {PRECISION} bits\n"
    return {name: hashlib.sha256("\n".join([base] + [defs[fn.__name__] for fn in forms])
                                 .encode()).hexdigest()
            for name, forms in mp_activations.ACTIVATIONS.items()}


def keys(z) -> np.ndarray:
    """The lookup key of each float64: its bit pattern as an int64 (exact; -0.0 and 0.0
    differ)."""
    return np.ascontiguousarray(z, dtype=np.float64).view(np.int64)


@functools.cache
def table() -> dict:
    """name -> (sorted keys, values (3, n): f, f', f'' at those z, params), read once: the
    activations stored from their present forms; empty where the file is missing or of
    another format."""
    try:
        data = np.load(PATH, allow_pickle=False)
    except OSError:
        return {}
    with data:
        if int(data["format"]) != FORMAT:
            return {}
        now = fingerprints()
        names = [str(n) for n in data["names"]]
        return {n: (data[f"{n}.keys"], data[f"{n}.values"], json.loads(str(data[f"{n}.params"])))
                for n in names if str(data[f"{n}.fingerprint"]) == now.get(n)}


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
