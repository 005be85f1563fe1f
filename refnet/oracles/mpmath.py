"""mpmath at high precision: the correctly rounded float64 value of f, f' or f'' of a registry
activation, and ``ulps``, the distance in units in the last place by which accuracy is judged.

:func:`mp_value` first looks each point up in the table of values shipped with refnet
(:mod:`refnet.oracles.mp_table`: the points of ``refnet verify`` and ``refnet formulas`` at their
defaults, computed by :func:`mp_evaluate`) and computes every other point with mpmath."""

from __future__ import annotations

import collections
import contextlib

import numpy as np

from refnet import tolerances as tol
from refnet.mp import PRECISION as _MP_PREC  # 160 bits: refnet.mp says why
from refnet.mp import activations as mp_activations

__all__ = ["MP_ACTIVATIONS", "RUNTIME", "mp_value", "mp_evaluate", "mp_derivative",
           "runtime_counts", "ulps"]

# name -> (f, f', f''): the mpmath forms, one module-level function each, in refnet.mp
MP_ACTIVATIONS = mp_activations.ACTIVATIONS


def _to_float(x) -> float:
    """Round an mpf to the nearest float64, subnormals and overflow included."""
    import mpmath as mp

    if mp.isnan(x):
        return float("nan")
    if mp.isinf(x):
        return float(x)
    if x == 0:
        return 0.0
    if abs(x) >= mp.mpf(2) ** 1024 * (1 - mp.mpf(2) ** -54):
        return float("inf") if x > 0 else float("-inf")
    # mpmath rounds to 53 bits; below 2**-1022 the grid is 2**-1074, so round there explicitly.
    if abs(x) < mp.mpf(2) ** -1022:
        return float(mp.nint(x * mp.mpf(2) ** 1074)) * 2.0**-1074
    return float(x)


def _evaluate(form, z: np.ndarray, params) -> np.ndarray:
    """``form`` (an mpmath function of one mpf) at each element of ``z`` at 160 bits, each
    result correctly rounded to float64."""
    import mpmath as mp

    out = np.empty(z.shape)
    with mp.workprec(_MP_PREC):
        for i, v in np.ndenumerate(z):
            out[i] = _to_float(form(mp.mpf(float(v)), **params))
    return out


def mp_evaluate(name: str, z, order: int = 0, **params) -> np.ndarray:
    """The correctly rounded float64 value of the ``order``-th derivative (0, 1 or 2) of the
    activation ``name`` at each element of ``z``, computed by mpmath at 160 bits (never read
    from the table)."""
    return _evaluate(MP_ACTIVATIONS[name][order], np.asarray(z, dtype=np.float64), params)


def mp_value(name: str, z, order: int = 0, **params) -> np.ndarray:
    """The correctly rounded float64 value of the ``order``-th derivative (0, 1 or 2) of the
    activation ``name`` at each element of ``z``: read from the shipped table where it holds
    this exact float64 ``z`` (bit for bit) at these exact ``params``, computed by mpmath
    (:func:`mp_evaluate`) everywhere else."""
    from refnet.oracles import mp_table

    form = MP_ACTIVATIONS[name][order]
    z = np.asarray(z, dtype=np.float64)
    out, found = mp_table.lookup(name, z, order, params)
    if not found.all():
        out[~found] = _evaluate(form, z[~found], params)
        RUNTIME[name] += int(z.size - np.count_nonzero(found))
    return out


# Values mp_value computed with mpmath at run time because the shipped table did not hold the
# point (a point other than the commands' defaults, or other parameters), per activation,
# counted over the process: never silent, the commands report it (runtime_counts).
RUNTIME: collections.Counter = collections.Counter()


@contextlib.contextmanager
def runtime_counts():
    """Count the values :func:`mp_value` computes at run time while the block runs: yields a
    :class:`collections.Counter` (activation -> values), filled in when the block ends.

    >>> with runtime_counts() as computed:
    ...     _ = mp_value("sigmoid", [0.123456789], 1)
    >>> dict(computed)
    {'sigmoid': 1}
    """
    before = RUNTIME.copy()
    counts: collections.Counter = collections.Counter()
    try:
        yield counts
    finally:
        counts.update(RUNTIME - before)


# ---------------------------------------------------------------------------------------------
# ulps


def _ordered(x: np.ndarray) -> np.ndarray:
    """Map float64 to int64 in the same order, adjacent floats to adjacent integers."""
    i = np.asarray(x, dtype=np.float64).view(np.int64)
    return np.where(i < 0, -(i & np.int64(0x7FFFFFFFFFFFFFFF)), i)


def ulps(a, b) -> np.ndarray:
    """How many float64 values lie between ``a`` and ``b``, elementwise.

    Their distance in units in the last place (adjacent floats are 1 apart): 0 when equal;
    +0 and -0 are equal; NaN anywhere gives inf.  Counted on the float64 grid itself, so the
    distance is exact across binades and through the subnormals (from the smallest negative
    subnormal to the smallest positive one is 2), and a sign change counts every float in
    between.  This is the distance by which refnet judges accuracy against mpmath's correctly
    rounded values.

    Parameters
    ----------
    a, b : array_like
        The values, broadcast together (converted to float64).

    Returns
    -------
    numpy.ndarray
        The distances as float64, of the broadcast shape (0-d for two scalars).

    See Also
    --------
    mp_value : The correctly rounded values the distances are usually taken to.

    Examples
    --------
    >>> from refnet.oracles.mpmath import ulps
    >>> float(ulps(1.0, np.nextafter(1.0, 2.0)))
    1.0
    >>> float(ulps(0.1 + 0.2, 0.3)), float(ulps(0.0, -0.0)), float(ulps(np.nan, 1.0))
    (1.0, 0.0, inf)
    >>> ulps([1.0, 2.0, -5e-324], [1.0, 1.0, 5e-324]).tolist()
    [0.0, 4503599627370496.0, 2.0]
    """
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    oa, ob = _ordered(a), _ordered(b)
    same = (oa >= 0) == (ob >= 0)
    # same sign: the int64 difference cannot overflow; opposite signs: the distance is
    # |oa| + |ob|, huge, and float64 holds it well enough.
    d_same = np.abs(np.where(same, oa - ob, 0)).astype(np.float64)
    d_cross = np.abs(oa.astype(np.float64)) + np.abs(ob.astype(np.float64))
    d = np.where(same, d_same, d_cross)
    return np.where(np.isnan(a) | np.isnan(b), np.inf, d)


def mp_derivative(name, z, params):
    """mpmath's correctly rounded derivative at z, as (estimate (k, 1), error bar (k, 1)).

    The bar is half an ulp where the value is normal (or 0); where it is subnormal the
    registry's own derivatives are held to an absolute tolerances.SUBNORMAL_ABS (they have
    fewer than 53 bits), so that is the bar there: a correct subnormal value is never flagged."""
    m = mp_value(name, z, 1, **params)
    err = np.where(np.abs(m) < tol.TINY, tol.SUBNORMAL_ABS, 0.5 * tol.EPS * np.abs(m))
    return m[:, None], err[:, None]
