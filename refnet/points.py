"""Points that are the same float64 bits on every machine.

NumPy's ``power``, ``log10`` and ``exp`` (and so ``np.geomspace`` and ``np.logspace``) are not:
on AVX-512 machines NumPy evaluates them with its own SIMD code, elsewhere with the C library,
whose FMA and non-FMA variants round differently (measured: ``10.0 ** u`` differs in 112 of
200,000 random u between glibc with and without FMA).  A point built from them is a different
float on another machine, and a table of reference values keyed by the point's bits then misses
it.  The points refnet's commands judge at their defaults are built here instead, from
mpmath's values rounded once to float64 (mpmath computes with integers, so every machine gets
the same bits), and from exact float64 operations (products by ±1, sums with exactly
representable kinks).

>>> pow10([-1.0, 0.0, 2.5]).tolist()
[0.1, 1.0, 316.22776601683796]
>>> geomspace(1e-3, 1.0, 4).tolist()
[0.001, 0.01, 0.1, 1.0]
"""

from __future__ import annotations

import numpy as np

__all__ = ["geomspace", "logspace", "pow10"]

# bits at which mpmath evaluates before the single rounding to float64: 27 guard bits make a
# double rounding (at 80 bits, then at 53) as rare as a run of 27 equal bits after the 53rd
_PREC = 80


def _rounded(values) -> np.ndarray:
    """mpf values rounded to float64 (nearest; below 2**-1022 the subnormal grid; past the
    largest float, inf)."""
    from refnet.oracles.mpmath import _to_float

    return np.array([_to_float(v) for v in values], dtype=np.float64)


def pow10(u) -> np.ndarray:
    """10**u for each float64 u, shaped like u, from mpmath at 80 bits rounded to float64: the
    same bits on every machine (``10.0 ** u`` in NumPy is not)."""
    import mpmath as mp

    u = np.asarray(u, dtype=np.float64)
    with mp.workprec(_PREC):
        ten = mp.mpf(10)
        out = _rounded(ten ** mp.mpf(x) for x in u.ravel().tolist())
    return out.reshape(u.shape)


def logspace(start: float, stop: float, num: int) -> np.ndarray:
    """``num`` points 10**e, e evenly spaced from ``start`` to ``stop`` (as ``np.logspace``), the
    exponents start + i (stop - start)/(num - 1) taken exactly in mpmath."""
    import mpmath as mp

    if num == 1:
        return pow10([start])
    with mp.workprec(_PREC):
        a, b = mp.mpf(start), mp.mpf(stop)
        ten = mp.mpf(10)
        return _rounded(ten ** (a + (b - a) * i / (num - 1)) for i in range(num))


def geomspace(start: float, stop: float, num: int) -> np.ndarray:
    """``num`` points from ``start`` to ``stop`` (both > 0, both kept exactly), evenly spaced on
    a log scale (as ``np.geomspace``): start (stop/start)**(i/(num - 1)) in mpmath."""
    import mpmath as mp

    if not (start > 0 and stop > 0):
        raise ValueError(f"geomspace: start and stop must be positive, got {start!r}, {stop!r}")
    if num == 1:
        return np.array([float(start)])
    with mp.workprec(_PREC):
        a, b = mp.mpf(start), mp.mpf(stop)
        out = _rounded(a * (b / a) ** (mp.mpf(i) / (num - 1)) for i in range(num))
    out[0], out[-1] = start, stop
    return out
