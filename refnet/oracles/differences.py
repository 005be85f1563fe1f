"""Finite differences: one step policy, Richardson extrapolation and its error bar.

``richardson_derivative`` takes central (or one-sided, beside a kink) differences of an
elementwise f at several step sizes and extrapolates; the spread of the tableau and the
propagated rounding noise make the error bar.  ``richardson_gradient`` does the same for a scalar
function of a flat parameter vector, every perturbed vector in one batched call.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from refnet import tolerances as tol

__all__ = ["default_step", "extrapolate", "tableau", "quotients", "Stencil", "richardson",
           "richardson_derivative", "richardson_gradient", "noise_floor"]

def default_step(x, h0=tol.FD_H0) -> np.ndarray:
    """The one step policy: ``h0`` for |x| < 2**14, growing with |x| beyond (h0 · 2**(e-14), 2**e
    the power of two above |x|).

    f is assumed to vary on a scale of 1 (the activations do; a user's f is probed and refined
    with smaller steps where it does not); for large |x| the step must stay far above |x| eps
    (here 2**-14 h0 / eps above it) to be resolved at all.  Each step is a power of two times
    ``h0``, so with ``h0`` a power of two, halving it and adding it to x are exact.
    """
    x = np.abs(np.asarray(x, dtype=np.float64))
    _, e = np.frexp(np.maximum(x, 1.0))  # 2**e is the power of two above |x|
    return np.ldexp(np.asarray(h0, dtype=np.float64), np.maximum(e - tol.FD_FLAT_EXP, 0))


def extrapolate(rows, noise, power):
    """Richardson's tableau over difference quotients ``rows[k]`` taken at steps h0·2^-k.

    ``power`` is 2 where the error series is in h², h⁴, … (central differences) and 1 where it
    is in h, h², … (one-sided); level j removes the j-th term:
    R[k][j] = R[k][j-1] + (R[k][j-1] - R[k-1][j-1]) / (2^(pj) - 1).  Every entry is a fixed
    combination of the rows, R[k][j] = Σ w_i rows[i] (:func:`tableau_weights`), so the entries
    needed are weighted sums over the stacked rows (``rows`` a sequence or an array whose first
    axis is the level).  ``noise[k]`` bounds the rounding error of ``rows[k]``; the rows come
    from distinct evaluations of f, whose rounding errors are independent, so the carried noise
    is sqrt(Σ (w_k noise[k])²).

    Returns ``(estimate, error, carried noise)``: the error is FD_TRUNCATION_SAFETY times the
    larger change of the last level (against the level before and the row before) plus the
    carried noise.
    """
    Q, N = _stacked(rows), _stacked(noise)
    levels = Q.shape[0]
    last = (levels - 1, levels - 1)
    entries = (last, (levels - 1, levels - 2), (levels - 2, levels - 2)) if levels > 1 else (last,)
    best, *changes, carried = _weighted(Q, N, np.asarray(power), levels, entries)
    trunc = np.zeros_like(best)
    for change in changes:  # best - R[L-1][L-2] and best - R[L-2][L-2]
        trunc = np.maximum(trunc, np.abs(change))
    return best, tol.FD_TRUNCATION_SAFETY * trunc + carried, carried


def _stacked(rows):
    """The rows as one array, the level first."""
    if isinstance(rows, np.ndarray):
        return rows
    return np.stack(np.broadcast_arrays(*rows))


def _weighted(Q, N, power, levels, entries):
    """The tableau entry ``entries[0]``, its differences from the other entries, and the noise
    ``N`` carried into it, as weighted sums over the stacked rows ``Q``; where ``power`` mixes 1
    and 2, each element takes its own series."""
    shape = np.broadcast_shapes(Q.shape, N.shape)[1:]
    Q2 = np.broadcast_to(Q, (levels,) + shape).reshape(levels, -1)
    N2 = np.broadcast_to(N, (levels,) + shape).reshape(levels, -1)
    out = None
    for p in (1.0, 2.0):
        where = power == p
        if not np.any(where):
            continue
        W = tableau_weights(levels, p)
        w0 = W[entries[0]]
        # the entry, then its differences from the others: one product with the rows
        M = np.stack([w0] + [w0 - W[e] for e in entries[1:]])
        vals = list(M @ Q2)
        T = np.abs(w0[:, None] * N2)
        # the root of the sum of squares, scaled by the largest term so that neither tiny bars
        # (1e-168 squares to 0) nor huge ones overflow
        top = T.max(axis=0)
        safe = np.where(top > 0, top, 1.0)
        vals.append(top * np.sqrt(np.sum((T / safe) ** 2, axis=0)))
        vals = [v.reshape(shape) for v in vals]
        out = vals if out is None else [np.where(where, v, o) for v, o in zip(vals, out)]
    return out


@functools.cache
def tableau_weights(levels: int, power: float) -> dict:
    """The weights of every tableau entry over the rows: ``tableau_weights(L, p)[k, j]`` is the
    vector w with R[k][j] = Σ w_i rows[i] (see :func:`extrapolate`)."""
    W = {}
    for k in range(levels):
        W[k, 0] = np.eye(levels)[k]
        for j in range(1, k + 1):
            fac = 2.0 ** (power * j) - 1.0
            W[k, j] = W[k, j - 1] + (W[k, j - 1] - W[k - 1, j - 1]) / fac
    return W


def tableau(rows, noise, power):
    """:func:`extrapolate`, with an infinite error bar (and carried noise) wherever the estimate
    or its bar is not finite (f left the float range on the stencil: nothing is resolved)."""
    with np.errstate(all="ignore"):
        best, err, carried = extrapolate(rows, noise, power)
    bad = ~np.isfinite(best) | ~np.isfinite(err)
    return best, np.where(bad, np.inf, err), np.where(bad, np.inf, carried)


_ROUND = tol.EPS / 2  # the rounding of one quotient, relative


def quotients(fp, fm, f0, sp, sm, ep, em, e0):
    """The difference quotients of f from its values ``fp`` at x + sp, ``fm`` at x - sm and
    ``f0`` at x, each with its error bar: the one place refnet forms a difference.

    central  (fp - fm) / (sp + sm),   bar (ep + em) / |sp + sm| + ulp/2 + 2**-1074
    forward  (fp - f0) / sp,          bar (ep + e0) / |sp|      + ulp/2 + 2**-1074
    backward (f0 - fm) / sm,          bar (e0 + em) / |sm|      + ulp/2 + 2**-1074

    ``ep``, ``em`` and ``e0`` bound the errors of the three evaluations; the quotient's own
    rounding is half an ulp, and the subnormal grid 2**-1074.  Where ``sm`` is 0 (a one-sided
    stencil: ``fm`` is f0) all three are the forward quotient.  Returns three ``(quotient,
    bar)`` pairs."""
    fp, fm, f0, sp, sm = (np.asarray(a, dtype=np.float64) for a in (fp, fm, f0, sp, sm))
    with np.errstate(all="ignore"):
        def pair(q, e):
            return q, e + _ROUND * np.abs(q) + tol.SUBNORMAL

        fwd = pair((fp - f0) / sp, (ep + e0) / np.abs(sp))
        cen = pair((fp - fm) / (sp + sm), (ep + em) / np.abs(sp + sm))
        one = np.broadcast_to(sm == 0, np.shape(cen[0]))
        bq, be = pair((f0 - fm) / sm, (e0 + em) / np.abs(sm))
        bwd = (np.where(one, fwd[0], bq), np.where(one, fwd[1], be))
    return cen, fwd, bwd


class Stencil:
    """f at points x + t e_i, its evaluations cached by (coordinate, step): every difference of
    one function comes from one stencil, so a stage that retakes a step another took (the
    confirmation from half the step, a refinement from a smaller one, the fast pass's step)
    costs no evaluation.

    ``evaluate(rows, t)`` returns f with coordinate ``x[rows[j]]`` moved by ``t[j]`` (one at a
    time), a ``(len(rows), p)`` array; ``f0`` ``(k, p)`` is f at x for each coordinate (the
    same row for all but an elementwise f).  ``evaluations`` counts the points evaluated.
    Without ``cache`` (a stencil used once: the activations' and the network's tableaux) every
    call evaluates."""

    def __init__(self, evaluate, x, f0, cache=True):
        self.evaluate = evaluate
        self.x = np.asarray(x, dtype=np.float64).ravel()
        self.f0 = np.asarray(f0, dtype=np.float64).reshape(self.x.size, -1)
        self._cache = cache
        # the points taken, as sorted keys row + i·t (exact: a row index is far below 2**53,
        # and complex values sort by real part, then imaginary), and f there, in that order
        self._keys = np.zeros(0, np.complex128)
        self._vals = np.zeros((0, self.f0.shape[1]))
        self.evaluations = 0

    def at(self, rows, t):
        """f at x + t_j e_{rows_j}, ``(len(rows), p)``: cached values, one call of ``evaluate``
        for the points not taken before (t = 0 is f0)."""
        rows = np.asarray(rows, dtype=np.int64).ravel()
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), rows.shape)
        if not self._cache:
            self.evaluations += rows.size
            return np.asarray(self.evaluate(rows, t), dtype=np.float64).reshape(rows.size, -1)
        out = self.f0[rows].copy()
        moved = t != 0.0
        if not moved.any():
            return out
        q = rows[moved] + 1j * t[moved]
        pos = np.searchsorted(self._keys, q)
        have = pos < self._keys.size
        have[have] = self._keys[pos[have]] == q[have]
        if not have.all():
            new = np.unique(q[~have])  # each new point once, sorted
            vals = np.asarray(self.evaluate(new.real.astype(np.int64), new.imag),
                              dtype=np.float64).reshape(new.size, -1)
            self.evaluations += new.size
            at = np.searchsorted(self._keys, new)  # both sorted: a merge, no sort
            self._keys = np.insert(self._keys, at, new)
            self._vals = np.insert(self._vals, at, vals, axis=0)
            pos = np.searchsorted(self._keys, q)
        out[moved] = self._vals[pos]
        return out

    def taken(self) -> np.ndarray:
        """The values of f evaluated so far (cached), ``(m, p)``."""
        return self._vals.copy()


def richardson(stencil: Stencil, rows, h0, *, side=0, levels=tol.CHECK_LEVELS, noise=0.0,
               eval_ulps=tol.FD_EVAL_ULPS, eps=tol.EPS, noise_part=False):
    """Richardson tableaux for the coordinates ``rows`` of ``stencil``, from one set of its
    evaluations.

    ``h0`` ``(k,)`` are the largest steps (:func:`default_step`).  For ``side`` 0, f is taken at
    x ± h0·2^-l (l < ``levels``) and three tableaux come from the same values: central (error
    series in h², h⁴, …), forward and backward (series in h).  For ``side`` ±1 (beside a kink)
    only x ± h is taken and all three are that one-sided tableau.  Within a step of the largest
    float the stencil turns one-sided inwards, so no step overflows.

    Error bar of each quotient (:func:`quotients`): the error of its evaluations (``noise``
    ``(k, p)``, at least ``eval_ulps``·eps·|f|, ``eps`` the unit of f's arithmetic), divided by
    the step actually taken, plus its own rounding; the tableau carries it (see
    :func:`extrapolate`).  Returns three ``(estimate, error)`` pairs, each ``(k, p)``; with
    ``noise_part`` also the part of the central bar that is carried noise (the rest is
    truncation: where noise dominates, smaller steps cannot narrow the bar, larger ones can).
    """
    rows = np.asarray(rows, dtype=np.int64).ravel()
    x = stencil.x[rows]
    k = x.size
    f0 = stencil.f0[rows]
    side = np.broadcast_to(np.asarray(side), (k,))
    h0 = np.broadcast_to(np.asarray(h0, dtype=np.float64), (k,))
    edge = np.abs(x) > np.finfo(np.float64).max - h0
    side = np.where(edge & (side == 0), -np.sign(x), side)
    central = side == 0
    c = np.flatnonzero(central)
    direction = np.where(central, 1.0, np.sign(side))
    # every level at once: axis 0 is the level l (step h0·2^-l), then the coordinate, then f's
    # outputs; one call of the stencil for the + side and one for the - side
    H = h0 * 2.0 ** -np.arange(levels)[:, None]  # (levels, k)
    with np.errstate(all="ignore"):
        xp = x + direction * H
        fp = stencil.at(np.tile(rows, levels), (direction * H).ravel()).reshape(
            (levels,) + f0.shape)
        fm = np.broadcast_to(f0, fp.shape).copy()
        xm = np.broadcast_to(x, H.shape).copy()
        if c.size:
            fm[:, c] = stencil.at(np.tile(rows[c], levels), -H[:, c].ravel()).reshape(
                (levels, c.size) + f0.shape[1:])
            xm[:, c] = x[c] - H[:, c]
        e0 = np.maximum(noise, eval_ulps * eps * np.abs(f0))
        ep = np.maximum(noise, eval_ulps * eps * np.abs(fp))
        em = np.maximum(noise, eval_ulps * eps * np.abs(fm))
        flat = np.all((fp == f0) & (fm == f0), axis=0)  # f did not change at any point
    # the steps actually taken (exact in floating point); one-sided: sm = 0
    cen, fwd, bwd = quotients(fp, fm, f0, (xp - x)[..., None], (x - xm)[..., None], ep, em, e0)
    # the three tableaux in one: axis 1 is central, forward, backward (the one-sided ones have
    # their error series in h)
    power = np.stack([np.where(central, 2.0, 1.0), np.ones(k), np.ones(k)])[:, :, None]
    est, err, carried = tableau(np.stack([cen[0], fwd[0], bwd[0]], axis=1),
                                np.stack([cen[1], fwd[1], bwd[1]], axis=1), power)
    # where f did not change at any point, every quotient is exactly 0 and no level shows a
    # truncation term: extrapolating adds nothing but the carried noise, and the bar is the
    # change the rounding of f could hide over the largest step (the first quotient's own)
    c_err = np.where(flat, np.minimum(err[0], cen[1][0]), err[0])
    out = ((est[0], c_err), (est[1], err[1]), (est[2], err[2]))
    return out + (carried[0],) if noise_part else out


def richardson_derivative(f: Callable, z, *, side=0, h0=None, levels: int = tol.FD_LEVELS,
                          eval_ulps: float = tol.FD_EVAL_ULPS, eval_error=None):
    """Differences of an elementwise ``f`` at ``z`` with steps h0, h0/2, …, extrapolated
    (:func:`richardson`, central or, where ``side`` is ±1, one-sided).

    ``side`` is a scalar or an array like ``z``; ``h0`` defaults to :func:`default_step`.  The
    error of one evaluation of f is ``eval_error`` (absolute; a scalar or like z) where given,
    else eval_ulps·eps·|f|.  Returns ``(estimate, error)`` shaped like ``z``, from
    ``tolerances.FD_LEVELS`` (six) levels by default.
    """
    z = np.asarray(z, dtype=np.float64)
    flat = z.ravel()
    h0 = (default_step(flat) if h0 is None
          else np.broadcast_to(np.asarray(h0, float), z.shape).ravel())
    side = np.broadcast_to(np.asarray(side), z.shape).ravel()
    noise = 0.0 if eval_error is None else \
        np.broadcast_to(np.asarray(eval_error, float), z.shape).reshape(-1, 1)

    def evaluate(rows, t):
        with np.errstate(all="ignore"):
            return np.asarray(f(flat[rows] + t), dtype=np.float64).reshape(-1, 1)

    f0 = evaluate(np.arange(flat.size), np.zeros(flat.size))
    once = Stencil(evaluate, flat, f0, cache=False)
    (est, err), _, _ = richardson(once, np.arange(flat.size), h0, side=side, levels=levels,
                                  noise=noise, eval_ulps=eval_ulps)
    return est.reshape(z.shape), err.reshape(z.shape)


def richardson_gradient(f: Callable, theta, *, h0=None, levels: int = 4, eval_error=None):
    """∂J/∂θ_i by central differences at steps h0, h0/2, …, extrapolated (:func:`richardson`).

    ``f`` takes a ``(B, P)`` array of parameter vectors and returns the ``(B,)`` values (refnet's
    :func:`refnet.network.loss` accepts parameters with a leading batch axis), so each level is
    one call for all P perturbations.  ``h0`` (a scalar or one per coordinate) defaults to
    :func:`default_step`; ``eval_error``, the absolute rounding error of one evaluation of J,
    to FD_EVAL_ULPS · eps · |J(θ)|.  Returns ``(estimate, error)``, each ``(P,)``.
    """
    theta = np.asarray(theta, dtype=np.float64)
    P = theta.size
    h0 = default_step(theta) if h0 is None else np.broadcast_to(np.asarray(h0, float), (P,))

    def evaluate(rows, t):
        batch = np.repeat(theta[None], len(rows), axis=0)
        batch[np.arange(len(rows)), rows] += t
        return np.asarray(f(batch), dtype=np.float64).reshape(-1, 1)

    f0 = np.asarray(f(theta[None]), dtype=np.float64).reshape(1, 1)
    noise = 0.0 if eval_error is None else float(eval_error)
    once = Stencil(evaluate, theta, np.broadcast_to(f0, (P, 1)), cache=False)
    (est, err), _, _ = richardson(once, np.arange(P), h0, levels=levels, noise=noise)
    return est[:, 0], err[:, 0]


def noise_floor(F, flat_says_nothing=False):
    """The noise of one evaluation of f from its values at 2q + 1 equally spaced points (the rows
    of ``F``; each column is one output or element).

    On each half a polynomial of degree 6 is fitted; the residual's standard deviation (corrected
    for the fitted degrees of freedom) estimates the noise; the smaller half is kept, so that a kink
    on one side does not pass for noise.  With ``flat_says_nothing`` (a span so narrow that f may
    sit on one flat step of a staircase of rounding), a half over which f did not change at all has
    no residual and says nothing: only the other half counts, and where both are flat the result is
    0 (f did not move: the caller's rounding model applies).  Each column is scaled by its largest
    |f| before squaring, so f near 1e300 does not overflow the sum of squares.  A half holding a
    value that is not finite (the line crossed the edge of f's domain: NaN or ±inf) says nothing
    either, and the noise is unknown (inf) where neither half says anything.
    """
    q = (F.shape[0] - 1) // 2
    half = q + 1
    V = np.vander(np.linspace(-1.0, 1.0, half), 7)
    H = V @ np.linalg.pinv(V)  # the hat matrix of the least-squares fit
    dof = half - 7
    sig = np.full(F.shape[1], np.inf)
    with np.errstate(all="ignore"):
        # over the finite values: a half at -inf (log beside 0) must not zero the other's fit
        scale = np.max(np.where(np.isfinite(F), np.abs(F), 0.0), axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        flat_both = np.ones(F.shape[1], bool)
        for part in (F[:half], F[q:]):
            res = (part - H @ part) / scale
            flat = np.all(part == part[:1], axis=0)
            flat_both &= flat
            s = scale * np.sqrt(np.sum(res * res, axis=0) / dof)
            # a half where f is not finite (the line left f's domain: sqrt beside 0) says
            # nothing about the noise; the other half stands
            s = np.where(np.isfinite(s), s, np.inf)
            sig = np.minimum(sig, np.where(flat & flat_says_nothing, np.inf, s))
    sig = np.where(flat_both, 0.0, sig)
    return np.where(np.isfinite(sig) | flat_both, sig, np.inf)
