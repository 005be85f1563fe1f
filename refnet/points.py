"""Points that are the same float64 bits on every machine.

NumPy's ``power``, ``log10`` and ``exp`` (and so ``np.geomspace`` and ``np.logspace``) are not:
on AVX-512 machines NumPy evaluates them with its own SIMD code, elsewhere with the C library,
whose FMA and non-FMA variants round differently (measured: ``10.0 ** u`` differs in 112 of
200,000 random u between glibc with and without FMA).  A point built from them is a different
float on another machine, and a table of reference values keyed by the point's bits then misses
it.  The points refnet's commands judge at their defaults are built here instead: random
magnitudes from the generator's integer and uniform draws by an exact scaling
(:func:`octaves`), and evenly spaced logarithmic grids from mpmath's values rounded once to
float64 (mpmath computes with integers, so every machine gets the same bits).

>>> octaves(np.random.default_rng(0), -3, 3, 4).tolist()
[4.163894095744778, 1.016527635528529, 1.8132702392002724, 0.47818889431943046]
>>> geomspace(1e-3, 1.0, 4).tolist()
[0.001, 0.01, 0.1, 1.0]
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["geomspace", "logspace", "octaves"]

# bits at which mpmath evaluates before the single rounding to float64: 27 guard bits make a
# double rounding (at 80 bits, then at 53) as rare as a run of 27 equal bits after the 53rd
_PREC = 80


def octaves(rng, lo: int, hi: int, size: int) -> np.ndarray:
    """Draw ``size`` magnitudes spread evenly over the octaves [2**lo, 2**hi).

    The same bits on every machine: each is (1 + U) 2**k with k a uniform integer in
    [lo, hi) and U = rng.random() (k first, then U).  Multiplying by a power of two is exact
    (correctly rounded where the result is subnormal), so the bits are the same on every machine,
    and no libm is involved.

    Parameters
    ----------
    rng : numpy.random.Generator
        The generator drawn from (k for every point, then U).
    lo : int
        The lowest octave's exponent.
    hi : int
        One past the highest octave's exponent, > ``lo``.
    size : int
        The number of points.

    Returns
    -------
    ndarray
        ``size`` float64 magnitudes in [2**lo, 2**hi).

    See Also
    --------
    geomspace : An evenly spaced logarithmic grid instead.

    Examples
    --------
    >>> from refnet.points import octaves
    >>> x = octaves(np.random.default_rng(0), -3, 3, 4)
    >>> x.round(6)
    array([4.163894, 1.016528, 1.81327 , 0.478189])
    >>> bool(np.all((2.0**-3 <= x) & (x < 2.0**3)))
    True
    """
    k = rng.integers(lo, hi, size)
    return np.ldexp(1.0 + rng.random(size), k)


def _rounded(values) -> np.ndarray:
    """mpf values rounded to float64 (nearest; below 2**-1022 the subnormal grid; past the
    largest float, inf)."""
    from refnet.oracles.mpmath import _to_float

    return np.array([_to_float(v) for v in values], dtype=np.float64)


def logspace(start: float, stop: float, num: int) -> np.ndarray:
    """Return ``num`` points 10**e, e evenly spaced from ``start`` to ``stop``, as ``np.logspace``.

    The exponents start + i (stop - start)/(num - 1) are taken exactly in mpmath, and each power
    rounded once to float64, so every machine gets the same bits (computed once per grid; each
    call returns a fresh copy).

    Parameters
    ----------
    start : float
        The exponent of the first point.
    stop : float
        The exponent of the last point.
    num : int
        The number of points.

    Returns
    -------
    ndarray
        ``num`` float64 points, 10**start first.

    See Also
    --------
    geomspace : The grid given by its end points.

    Examples
    --------
    >>> from refnet.points import logspace
    >>> logspace(-2, 1, 4).tolist()
    [0.01, 0.1, 1.0, 10.0]
    """
    return _logspace(float(start), float(stop), int(num)).copy()


@functools.cache
def _logspace(start, stop, num):
    import mpmath as mp

    with mp.workprec(_PREC):
        a, b = mp.mpf(start), mp.mpf(stop)
        ten = mp.mpf(10)
        out = _rounded(ten ** (a + (b - a) * i / max(num - 1, 1)) for i in range(num))
    out.flags.writeable = False
    return out


def geomspace(start: float, stop: float, num: int) -> np.ndarray:
    """Return ``num`` points from ``start`` to ``stop`` evenly spaced on a log scale.

    As ``np.geomspace``, with the same bits on every machine. Both ends are kept exactly; the points
    between are start (stop/start)**(i/(num - 1)), computed in mpmath and rounded once to float64
    (computed once per grid; each call returns a fresh copy).

    Parameters
    ----------
    start : float
        The first point, > 0.
    stop : float
        The last point, > 0.
    num : int
        The number of points.

    Returns
    -------
    ndarray
        ``num`` float64 points, ``start`` first and ``stop`` last.

    Raises
    ------
    ValueError
        If ``start`` or ``stop`` is not positive.

    See Also
    --------
    logspace : The grid given by its exponents.

    Examples
    --------
    >>> from refnet.points import geomspace
    >>> geomspace(1e-3, 1.0, 4).tolist()
    [0.001, 0.01, 0.1, 1.0]
    >>> geomspace(1.0, 8.0, 4).tolist()
    [1.0, 2.0, 4.0, 8.0]
    """
    if not (start > 0 and stop > 0):
        raise ValueError(f"geomspace: start and stop must be positive, got {start!r}, {stop!r}")
    return _geomspace(float(start), float(stop), int(num)).copy()


@functools.cache
def _geomspace(start, stop, num):
    import mpmath as mp

    if num == 1:
        out = np.array([start])
    else:
        with mp.workprec(_PREC):
            a, b = mp.mpf(start), mp.mpf(stop)
            out = _rounded(a * (b / a) ** (mp.mpf(i) / (num - 1)) for i in range(num))
        out[0], out[-1] = start, stop
    out.flags.writeable = False
    return out
