"""Checking a gradient against independent oracles, with verdicts you can trust.

``check_gradient(f, grad, x)`` checks the gradient of a scalar function of an array or a dict of
arrays, ``check_derivative(f, df, z)`` the derivative of an elementwise function, and
``check_jacobian(f, jac, x)`` the Jacobian of a vector function.  Each returns a :class:`Report`.

How an element is judged (all of it vectorised over the elements still in question):

1. Fast pass.  Where ``f`` is complex-safe (probed: warnings are errors, the result must be
   complex, its imaginary part must move, and it must agree with a directional difference), the
   complex step Im f(x + ih e_i)/h; else one central difference at h ~ eps**(1/3); and
   ``jax.grad`` of a ``twin`` where one is given.  An element that agrees within
   ``CHECK_FAST_RTOL`` is verified.  The fast pass only ever accepts.
2. The rest go to Richardson: central differences at steps h0 ... h0/8, extrapolated, with an
   error bar made of the tableau's spread plus the noise floor of ``f`` (the residual of a
   polynomial fit to f at 65 points along the probe line, per element for an elementwise f)
   carried through the tableau.  Forward and
   backward tableaux are taken too: where they disagree beyond their bars there is a kink, and
   the element is judged one-sided (a subgradient between the two one-sided derivatives is
   accepted and reported as such).  Known kinks (``kinks=``, or the registry's) are judged the
   same way, and points beside them with a stencil that stays on their side.
   A tableau not resolved to ``CHECK_RESOLVE_REL`` is taken again from smaller steps
   (``CHECK_REFINE_STEPS``) and the narrowest bar kept.
3. Verdict: a mismatch only where the oracle disagrees by more than its own error bar plus
   ``CHECK_RTOL``; an element that agrees only because the error bar is wide (more than
   ``CHECK_RESOLVE_REL`` = 1e-7 of the value, too wide to expose a 1e-6 bug) is unresolved, with
   the reason, and not a failure.  For a registry activation mpmath then decides those
   elements (``check_derivative(mpmath="auto")``).

The tolerances and their reasons live in :mod:`refnet.tolerances`.
"""

from __future__ import annotations

import math
import time
import warnings
import weakref
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from refnet import tolerances as tol
from refnet.oracles import extrapolate

__all__ = ["Report", "check_gradient", "check_derivative", "check_jacobian"]

# statuses of an element
VERIFIED, SUBGRADIENT, UNRESOLVED, MISMATCH = 0, 1, 2, 3
_STATUS = {VERIFIED: "verified", SUBGRADIENT: "subgradient", UNRESOLVED: "unresolved",
           MISMATCH: "mismatch"}
_SHOW = 10  # elements listed in the table per category


class _Abort(Exception):
    """f or grad misbehaved (raised, wrong shape, NaN): the check ends with this message."""


# ---------------------------------------------------------------------------------------------
# the report


@dataclass
class Report:
    """The outcome of a check.

    ``ok`` is True when no element is a mismatch and nothing went wrong (f and the gradient ran
    and were finite).  ``oracles`` maps each oracle used to how many elements it judged and the
    largest absolute and relative difference from the analytic values there.  ``worst`` is the
    element furthest outside (or closest to the edge of) its oracle's bound; ``mismatches``,
    ``unresolved`` and ``subgradients`` list elements (the first few; ``counts`` has the totals).
    ``noise_floor`` is the largest estimated error of one evaluation of f: measured from f
    along a line through x where any element needed it (``noise_floor_measured``), else the
    rounding model eval_ulps·eps·|f(x)| (every element was verified by the fast pass, and the
    65 evaluations a measurement costs were not spent).
    """

    kind: str
    ok: bool
    size: int
    counts: dict
    oracles: dict
    worst: dict | None
    mismatches: list = field(default_factory=list)
    unresolved: list = field(default_factory=list)
    subgradients: list = field(default_factory=list)
    noise_floor: float = 0.0
    noise_floor_measured: bool = True
    complex_safe: bool | None = None
    complex_reason: str = ""
    error: str | None = None
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict:
        """A JSON-safe dict (non-finite floats become strings)."""
        return _json_safe({
            "kind": self.kind, "ok": self.ok, "size": self.size, "counts": self.counts,
            "oracles": self.oracles, "worst": self.worst, "mismatches": self.mismatches,
            "unresolved": self.unresolved, "subgradients": self.subgradients,
            "noise_floor": self.noise_floor, "noise_floor_measured": self.noise_floor_measured,
            "complex_safe": self.complex_safe,
            "complex_reason": self.complex_reason, "error": self.error,
            "seconds": self.seconds,
        })

    def assert_ok(self) -> "Report":
        """Raise ``AssertionError`` with the table unless ``ok``; return the report otherwise."""
        if not self.ok:
            raise AssertionError("\n" + str(self))
        return self

    def __str__(self) -> str:
        return _table(self)


def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else str(v)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v: .6e}"


def _elem_name(e) -> str:
    idx = ",".join(str(i) for i in e["index"])
    key = e["key"] if e["key"] is not None else ""
    return f"{key}[{idx}]"


def _table(r: Report) -> str:
    c = r.counts
    head = "OK" if r.ok else "MISMATCH" if r.error is None else "ERROR"
    lines = [f"refnet {r.kind}: {head} - {r.size} elements: {c.get('verified', 0)} verified, "
             f"{c.get('subgradient', 0)} subgradient at a kink, {c.get('unresolved', 0)} "
             f"unresolved, {c.get('mismatch', 0)} mismatch  ({r.seconds * 1e3:.1f} ms)"]
    if r.error:
        lines.append(f"error: {r.error}")
    if r.complex_safe is not None:
        cs = "yes" if r.complex_safe else f"no ({r.complex_reason})"
        lines.append(f"complex step: {cs}")
    how = "measured" if r.noise_floor_measured else "rounding model; every element verified at once"
    lines.append(f"noise floor of f (one evaluation): {r.noise_floor:.3e} ({how})")
    if r.oracles:
        lines.append("")
        lines.append(f"{'oracle':<20} {'elements':>9} {'max abs err':>13} {'max rel err':>13}")
        for name, o in r.oracles.items():
            lines.append(f"{name:<20} {o['elements']:>9} {o['max_abs']:>13.3e} "
                         f"{o['max_rel']:>13.3e}")
    if r.worst:
        w = r.worst
        lines.append("")
        lines.append(f"worst element: {_elem_name(w)} ({w['status']}; {w['reason']})")
        lines.append(f"  {'analytic':<20} {_fmt(w['value'])}")
        for name, o in w["oracles"].items():
            lines.append(f"  {name:<20} {_fmt(o['value'])}  +/- {o['error']:.1e}")
    for title, items, n in (("mismatches", r.mismatches, c.get("mismatch", 0)),
                            ("unresolved", r.unresolved, c.get("unresolved", 0)),
                            ("subgradients accepted at kinks", r.subgradients,
                             c.get("subgradient", 0))):
        if not items:
            continue
        lines.append("")
        more = f" (first {len(items)} of {n})" if n > len(items) else ""
        lines.append(f"{title}{more}:")
        lines.append(f"  {'element':<16} {'analytic':>14} {'oracle':>14} {'+/-':>9}  reason")
        for e in items:
            lines.append(f"  {_elem_name(e):<16} {_fmt(e['value']):>14} "
                         f"{_fmt(e['oracle_value']):>14} {e['oracle_error']:>9.1e}  {e['reason']}")
    return "\n".join(lines)


def _error_report(kind: str, size: int, message: str, t0: float) -> Report:
    counts = {name: 0 for name in _STATUS.values()}
    return Report(kind=kind, ok=False, size=size, counts=counts, oracles={},
                  worst=None, error=message, seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# structures: an array or a dict of arrays, flattened to one vector


@dataclass
class _Layout:
    keys: list  # [None] for a plain array
    shapes: list
    sizes: list

    @property
    def n(self):
        return int(sum(self.sizes))

    def unflatten(self, v):
        if self.keys == [None]:
            return v.reshape(self.shapes[0])
        out, start = {}, 0
        for k, s, n in zip(self.keys, self.shapes, self.sizes):
            out[k] = v[start:start + n].reshape(s)
            start += n
        return out

    def locate(self, i):
        """(key, index tuple) of flat element i."""
        start = 0
        for k, s, n in zip(self.keys, self.shapes, self.sizes):
            if i < start + n:
                return k, tuple(int(j) for j in np.unravel_index(i - start, s)) if s else ()
            start += n
        raise IndexError(i)


def _layout(x, what="x") -> tuple[_Layout, np.ndarray]:
    if isinstance(x, dict):
        keys = list(x)
        arrays = [np.asarray(x[k]) for k in keys]
    else:
        keys, arrays = [None], [np.asarray(x)]
    for k, a in zip(keys, arrays):
        if a.dtype.kind not in "biuf":
            name = what if k is None else f"{what}[{k!r}]"
            raise TypeError(f"{name}: expected a real numeric array, got dtype {a.dtype}")
    lay = _Layout(keys, [a.shape for a in arrays], [a.size for a in arrays])
    v = np.concatenate([a.astype(np.float64).ravel() for a in arrays]) if arrays else np.zeros(0)
    return lay, v


def _flatten_like(lay: _Layout, g, what="grad") -> np.ndarray:
    """Flatten ``g`` checking that it has the structure of x; raise _Abort otherwise."""
    if lay.keys == [None]:
        if isinstance(g, dict):
            raise _Abort(f"{what} returned a dict, expected an array of shape {lay.shapes[0]}")
        parts = [(None, g)]
    else:
        if not isinstance(g, dict):
            raise _Abort(f"{what} returned {type(g).__name__}, expected a dict with keys "
                         f"{lay.keys}")
        missing = [k for k in lay.keys if k not in g]
        if missing:
            raise _Abort(f"{what} returned a dict without keys {missing}")
        parts = [(k, g[k]) for k in lay.keys]
    out = []
    for (k, a), shape in zip(parts, lay.shapes):
        name = what if k is None else f"{what}[{k!r}]"
        try:
            a = np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise _Abort(f"{name} is not a real array: {exc}") from None
        if a.shape != shape:
            raise _Abort(f"{name} has shape {a.shape}, expected {shape}")
        bad = ~np.isfinite(a)
        if bad.any():
            j = tuple(int(i) for i in np.argwhere(bad)[0])
            raise _Abort(f"{name} is not finite at {j}: {a[j]}")
        out.append(a.ravel())
    return np.concatenate(out) if out else np.zeros(0)


# ---------------------------------------------------------------------------------------------
# evaluation of f at shifted points


class _Problem:
    """The function under check seen as coordinates -> outputs.

    ``shift(idx, t)`` returns f at x + t_k e_{idx_k} for each k, as a (len(idx), p) array of the
    p outputs that depend on coordinate idx_k (p = 1 for a scalar f and for an elementwise f);
    ``cshift(idx, h)`` the same at x + i h e_{idx_k}, complex.
    """

    def __init__(self, n, p, shift, cshift, f0, elementwise=False, line=None, cline=None):
        self.n, self.p, self.shift, self.cshift, self.f0 = n, p, shift, cshift, f0
        self.elementwise = elementwise
        # line(t, d): f at x + t d (all coordinates at once), shape (p,) or (n,) if elementwise
        self.line, self.cline = line, cline


def _call(f, arg, what="f"):
    try:
        with np.errstate(all="ignore"):
            return f(arg)
    except _Abort:
        raise
    except Exception as exc:  # a user's f may raise anything: the report says what
        raise _Abort(f"{what} raised {type(exc).__name__}: {exc}") from None


def _real_out(val, p, what="f"):
    a = np.asarray(val)
    if a.dtype.kind == "c":
        a = a.real
    try:
        a = a.astype(np.float64)
    except (TypeError, ValueError):
        raise _Abort(f"{what} returned {type(val).__name__}, not a number") from None
    if a.size != p:
        raise _Abort(f"{what} returned {a.size} values (shape {a.shape}), expected "
                     f"{'a scalar' if p == 1 else p}")
    return a.ravel()


def _scalar_problem(f, lay, v, f0):
    def shift(idx, t):
        out = np.empty((len(idx), 1))
        w = v.copy()
        for k, (i, ti) in enumerate(zip(idx, t)):
            w[i] = v[i] + ti
            out[k, 0] = _real_out(_call(f, lay.unflatten(w)), 1)[0]
            w[i] = v[i]
        return out

    def cshift(idx, h):
        out = np.empty((len(idx), 1), dtype=complex)
        w = v.astype(complex)
        for k, i in enumerate(idx):
            w[i] = v[i] + 1j * h
            out[k, 0] = complex(np.asarray(f(lay.unflatten(w))).ravel()[0])
            w[i] = v[i]
        return out

    def line(t, d):
        return _real_out(_call(f, lay.unflatten(v + t * d)), 1)

    def cline(h, d):
        return np.asarray(f(lay.unflatten(v + 1j * h * d)), dtype=complex).ravel()

    return _Problem(lay.n, 1, shift, cshift, np.array([f0]), line=line, cline=cline)


def _vector_problem(f, lay, v, f0):
    p = f0.size

    def shift(idx, t):
        out = np.empty((len(idx), p))
        w = v.copy()
        for k, (i, ti) in enumerate(zip(idx, t)):
            w[i] = v[i] + ti
            out[k] = _real_out(_call(f, lay.unflatten(w)), p)
            w[i] = v[i]
        return out

    def cshift(idx, h):
        out = np.empty((len(idx), p), dtype=complex)
        w = v.astype(complex)
        for k, i in enumerate(idx):
            w[i] = v[i] + 1j * h
            out[k] = np.asarray(f(lay.unflatten(w)), dtype=complex).ravel()
            w[i] = v[i]
        return out

    def line(t, d):
        return _real_out(_call(f, lay.unflatten(v + t * d)), p)

    def cline(h, d):
        return np.asarray(f(lay.unflatten(v + 1j * h * d)), dtype=complex).ravel()

    return _Problem(lay.n, p, shift, cshift, f0, line=line, cline=cline)


def _elementwise_problem(f, z, f0):
    shape = z.shape

    def shift(idx, t):
        zz = z.ravel()[idx] + np.asarray(t, dtype=np.float64)
        return _real_out(_call(f, zz), len(idx))[:, None]

    def cshift(idx, h):
        return np.asarray(f(z.ravel()[idx] + 1j * h), dtype=complex).ravel()[:, None]

    def line(t, d):
        return _real_out(_call(f, z.ravel() + t * d), z.size)

    def cline(h, d):
        return np.asarray(f(z.ravel() + 1j * h * d), dtype=complex).ravel()

    del shape
    return _Problem(z.size, 1, shift, cshift, f0.ravel(), elementwise=True, line=line,
                    cline=cline)


# ---------------------------------------------------------------------------------------------
# oracles on a subset of coordinates


def _steps(v, idx, rel):
    """A power-of-two step rel * 2**ceil(log2 max(1, |x|)): exact to add and halve."""
    _, e = np.frexp(np.maximum(np.abs(v[idx]), 1.0))
    return np.ldexp(rel, e)


_LINE_POINTS = 32  # points on each side of x along the probe direction, spacing h0/32


def _fit_noise(F):
    """The noise of one evaluation from f at 2*_LINE_POINTS + 1 equally spaced points (rows).

    On each half a polynomial of degree 6 is fitted; the residual's standard deviation
    (corrected for the fitted degrees of freedom) estimates the noise; the smaller half is kept,
    so that a kink on one side does not pass for noise.  Each column is scaled by its largest
    |f| before squaring, so f near 1e300 does not overflow the sum of squares.
    """
    half = _LINE_POINTS + 1
    V = np.vander(np.linspace(-1.0, 1.0, half), 7)
    H = V @ np.linalg.pinv(V)  # the hat matrix of the least-squares fit
    dof = half - 7
    sig = np.full(F.shape[1], np.inf)
    with np.errstate(all="ignore"):
        scale = np.max(np.abs(F), axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        for part in (F[:half], F[_LINE_POINTS:]):
            res = (part - H @ part) / scale
            sig = np.minimum(sig, scale * np.sqrt(np.sum(res * res, axis=0) / dof))
    return np.where(np.isfinite(sig), sig, np.inf)


class _Line:
    """f along one direction d through x: the noise floor and a directional derivative.

    d is a random unit vector (for an elementwise f: every element moves by its own step
    scale).  The directional Richardson tableau needs f at x ± h0·2^-k d only (k = 0..3, 8
    evaluations); the noise floor needs f at x + j (h0/32) d for j = -32..32 and again at
    spacing h0/32 * CHECK_NOISE_NARROW, and is computed only when asked for (the fast pass
    that verifies every element never asks).  The noise (:func:`_fit_noise`) is the smaller of
    the two fits: a degree-6 fit over the wide span leaves the curvature of a fast-varying f
    (gelu's Gaussian tail: its seventh derivative is z**7 times f) in the residual, which would
    pass for noise; over the narrow span that misfit is 2**-42 times smaller, while rounding
    noise is the same.  CHECK_NOISE_SIGMAS of it bound the error of one evaluation.
    """

    def __init__(self, prob: _Problem, v, rng):
        self.prob = prob
        if prob.elementwise:
            d = _steps(v, np.arange(prob.n), 1.0)
        else:
            d = rng.standard_normal(prob.n)
            d /= max(np.linalg.norm(d), tol.TINY)
        self.d = d
        self.h0 = tol.CHECK_H0
        self._values = {0: prob.f0.reshape(-1)}
        self._noise = None
        self._narrow = None

    def _at(self, js, spacing):
        """f at x + j·spacing·d for each j (cached for the wide spacing), rows (len(js), q)."""
        wide = spacing == self.h0 / _LINE_POINTS
        out = []
        for j in js:
            if wide and j in self._values:
                out.append(self._values[j])
                continue
            val = self.prob.line(j * spacing, self.d).reshape(-1) if j else self._values[0]
            if wide:
                self._values[j] = val
            out.append(val)
        return np.stack(out)

    def noise(self):
        """The noise bound of one evaluation (wide fit), (p,) or (n,)."""
        if self._noise is None:
            js = np.arange(-_LINE_POINTS, _LINE_POINTS + 1)
            self._noise = tol.CHECK_NOISE_SIGMAS * _fit_noise(self._at(js, self.h0 / _LINE_POINTS))
        return self._noise

    def narrow(self):
        """The smaller of the wide and the narrow fit (64 more evaluations; only Richardson
        needs it)."""
        if self._narrow is None:
            js = np.arange(-_LINE_POINTS, _LINE_POINTS + 1)
            F = self._at(js, self.h0 / _LINE_POINTS * tol.CHECK_NOISE_NARROW)
            self._narrow = np.minimum(self.noise(), tol.CHECK_NOISE_SIGMAS * _fit_noise(F))
        return self._narrow

    def directional(self, with_noise):
        """The directional derivative by a Richardson tableau at steps h0, h0/2, h0/4, h0/8,
        with its error bar: rounding eval_ulps·eps·|f| per evaluation, or the measured noise
        floor when ``with_noise``."""
        rows, errs = [], []
        floor = self.noise() if with_noise else 0.0
        for k in range(tol.CHECK_LEVELS):
            j = _LINE_POINTS >> k
            hk = self.h0 * 2.0**-k
            fp, fm = self._at([j, -j], self.h0 / _LINE_POINTS)
            with np.errstate(all="ignore"):
                rows.append((fp - fm) / (2 * hk))
                e_eval = np.maximum(floor, tol.FD_EVAL_ULPS * tol.EPS * np.maximum(abs(fp), abs(fm)))
                errs.append(e_eval / hk)
        return _tableau(rows, errs, 2.0)


def _tableau(rows, errs, power):
    """:func:`refnet.oracles.extrapolate`, with an infinite error bar wherever the estimate or
    its bar is not finite (f left the float range on the stencil: nothing resolved there)."""
    with np.errstate(all="ignore"):
        best, err = extrapolate(rows, errs, power)
    bad = ~np.isfinite(best) | ~np.isfinite(err)
    return best, np.where(bad, np.inf, err)


def _probe_complex(prob: _Problem, d, est, err, skip=None) -> tuple[bool, str]:
    """Is f complex-safe?  Im f(x + i h d)/h with warnings as errors, against differences."""
    if prob.n == 0:
        return False, "no elements"
    h = tol.COMPLEX_STEP_H
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="ignore"):  # underflow in exp is benign; NaN is checked below
                cs = prob.cline(h, d)
    except Exception as exc:  # ComplexWarning, TypeError, FloatingPointError, ...
        return False, f"f rejects complex input ({type(exc).__name__}: {str(exc)[:60]})"
    if cs.size != est.size or not np.all(np.isfinite(cs) | ~np.isfinite(prob.f0)):
        return False, "f is not finite (or changes shape) at a complex point"
    if not np.any(cs.imag != 0) and np.any(np.abs(est) > err):
        return False, "the imaginary part of f does not move (abs, float() or a cast drops it)"
    # the imaginary part must also be right (conj, abs of a complex value break it); a
    # disagreement only costs speed, never a verdict
    dcs = cs.imag / h
    fine = np.abs(dcs - est) <= err + tol.CHECK_PROBE_RTOL * np.abs(est) + \
        tol.COMPLEX_STEP_FLOOR
    fine |= ~np.isfinite(err)
    if skip is not None:  # elements at or beside a known kink: the line crosses it
        fine |= skip
    if not np.all(fine):
        return False, "Im f(x + ih)/h disagrees with differences (f is not analytic in complex)"
    return True, ""


def _complex_step(prob: _Problem, idx):
    h = tol.COMPLEX_STEP_H
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            cs = prob.cshift(idx, h)
    est = cs.imag / h
    err = tol.COMPLEX_STEP_RTOL * np.abs(est) + tol.COMPLEX_STEP_FLOOR
    return est, err


_ROUND = tol.EPS / 2  # the rounding of one quotient, relative


def _richardson(prob: _Problem, v, idx, *, side, noise, levels=tol.CHECK_LEVELS,
                rel=tol.CHECK_H0):
    """Richardson differences on coordinates ``idx`` from one set of evaluations.

    For ``side`` 0, f is evaluated at x +- h_k (h_k = h0 2**-k) and three tableaux are made from
    the same values: central (error series in h**2), forward and backward (series in h).  For
    ``side`` +1 or -1 (beside a kink) only x + side h_k is evaluated and all three are that
    one-sided tableau.  ``noise`` (k, p) bounds the error of one evaluation of f; the rounding
    floor FD_EVAL_ULPS eps |f| is added.  Returns three (estimate, error) pairs, each (k, p).
    """
    k = len(idx)
    side = np.broadcast_to(np.asarray(side), (k,))
    h0 = _steps(v, idx, rel)
    central = side == 0
    c = np.flatnonzero(central)
    direction = np.where(central, 1.0, np.sign(side))
    f0 = _center_values(prob, idx, np.broadcast_to(
        prob.f0[None, :] if prob.p > 1 else prob.f0[0], (k, prob.p)))
    cen, fwd, bwd = ([], []), ([], []), ([], [])
    with np.errstate(all="ignore"):
        floor0 = np.maximum(noise, tol.FD_EVAL_ULPS * tol.EPS * np.abs(f0))
        for lev in range(levels):
            h = h0 * 2.0**-lev
            xp = v[idx] + direction * h
            fp = prob.shift(idx, direction * h)
            fm = f0.copy()
            xm = v[idx].copy()
            if c.size:
                fm[c] = prob.shift(idx[c], -h[c])
                xm[c] = v[idx][c] - h[c]
            ep = np.maximum(noise, tol.FD_EVAL_ULPS * tol.EPS * np.abs(fp))
            em = np.maximum(noise, tol.FD_EVAL_ULPS * tol.EPS * np.abs(fm))
            # steps actually taken (exact in floating point)
            sp = (xp - v[idx])[:, None]
            sm = (v[idx] - xm)[:, None]
            # each quotient is rounded once more: half an ulp, and where it is subnormal the
            # grid 2**-1074 (its relative error is then unbounded)
            one = (fp - f0) / sp
            one_e = (ep + floor0) / np.abs(sp) + _ROUND * np.abs(one) + tol.SUBNORMAL
            cen[0].append(np.where(central[:, None], (fp - fm) / (sp + sm), one))
            cen[1].append(np.where(central[:, None], (ep + em) / np.abs(sp + sm) +
                                   _ROUND * np.abs(cen[0][-1]) + tol.SUBNORMAL, one_e))
            fwd[0].append(one)
            fwd[1].append(one_e)
            bwd[0].append(np.where(central[:, None], (f0 - fm) / sm, one))
            bwd[1].append(np.where(central[:, None], (floor0 + em) / np.abs(sm) +
                                   _ROUND * np.abs(bwd[0][-1]) + tol.SUBNORMAL, one_e))
        power = np.where(central, 2.0, 1.0)[:, None]
        return (_tableau(cen[0], cen[1], power), _tableau(fwd[0], fwd[1], 1.0),
                _tableau(bwd[0], bwd[1], 1.0))


def _center_values(prob, idx, f0):
    """f at x itself for coordinates idx (for an elementwise f, each element's own value)."""
    if prob.elementwise:
        return prob.f0[idx][:, None]
    return np.array(f0, dtype=float)


# ---------------------------------------------------------------------------------------------
# the judge


def _judge(prob: _Problem, v, G, *, fast: dict, extra: dict, known_kink=None, near_side=None,
           line_noise, arbiter=None):
    """Judge every element; returns per-element arrays and the oracle tables.

    G is (n, p).  ``fast`` maps an exact oracle's name to (estimate, error, available) arrays
    that may accept an element; ``extra`` maps more oracles (mpmath) to the same, judged like
    Richardson (their error bar is honest).  ``known_kink`` (n,) marks elements at a kink,
    ``near_side`` (n,) a one-sided stencil direction for elements beside one (0 elsewhere).
    ``line_noise`` is the :class:`_Line` through x (its noise floor, measured on demand).  ``arbiter`` is an optional
    (name, fn): fn(rows) returns (estimate, error) for those elements with an honest bar, and is
    asked only about the elements the differences leave unresolved (mpmath, on demand).
    """
    n, p = G.shape
    status = np.full((n, p), -1)
    reason = np.full((n, p), "", dtype=object)
    best_name = np.full((n, p), "", dtype=object)
    best_est = np.full((n, p), np.nan)
    best_err = np.full((n, p), np.inf)
    oracle_vals: dict[str, tuple] = {}
    kink = np.zeros(n, bool) if known_kink is None else known_kink.copy()
    near_side = np.zeros(n, int) if near_side is None else near_side

    def record(name, rows, est, err):
        if name not in oracle_vals:
            oracle_vals[name] = (np.full((n, p), np.nan), np.full((n, p), np.nan))
        oracle_vals[name][0][rows] = est
        oracle_vals[name][1][rows] = err

    scale = lambda a, b: np.maximum(np.abs(a), np.abs(b))  # noqa: E731

    # 1. fast pass (exact oracles may not judge an element at a kink)
    for name, (est, err, avail) in fast.items():
        rows = np.flatnonzero(avail & ~kink & (near_side == 0))
        if rows.size == 0:
            continue
        record(name, rows, est[rows], err[rows])
        acc = np.abs(G[rows] - est[rows]) <= tol.CHECK_FAST_RTOL * scale(est[rows], G[rows]) + \
            tol.CHECK_ATOL
        acc &= status[rows] < 0
        r_ix, c_ix = np.nonzero(acc)
        rr = rows[r_ix]
        status[rr, c_ix] = VERIFIED
        best_name[rr, c_ix] = name
        best_est[rr, c_ix] = est[rows][r_ix, c_ix]
        best_err[rr, c_ix] = err[rows][r_ix, c_ix]
        reason[rr, c_ix] = f"agrees with the {name}"

    # extra oracles with honest error bars (mpmath): judged like Richardson, away from kinks
    for name, (est, err, avail) in extra.items():
        rows = np.flatnonzero(avail & ~kink)
        if rows.size == 0:
            continue
        record(name, rows, est[rows], err[rows])

    # 2. the rest: Richardson, noise floor, kink detection
    pending = np.flatnonzero((status < 0).any(axis=1))
    line = line_noise
    if pending.size:
        line_noise = line.narrow()
    else:
        # every element verified at once: no verdict needed the measured floor (65 more
        # evaluations), so the report gives the rounding model eval_ulps·eps·|f| instead
        line_noise = tol.FD_EVAL_ULPS * tol.EPS * np.abs(prob.f0).reshape(-1)
    finite = line_noise[np.isfinite(line_noise)]
    noise_floor = float(np.max(finite, initial=0.0))
    noise_measured = line._noise is not None
    if pending.size:
        ln = line_noise[pending][:, None] if prob.elementwise else line_noise[None, :]
        noise = np.broadcast_to(ln, (pending.size, p))
        side = near_side[pending]
        (c_est, c_err), (fw, fw_err), (bw, bw_err) = _richardson(prob, v, pending, side=side,
                                                                 noise=noise)
        # a tableau not resolved to CHECK_RESOLVE_REL may have started from a step too large
        # for how fast f varies there (gelu's tail varies on a scale 1/|z|, the step is |z|
        # 2**-6): try smaller steps on those elements and keep the narrowest honest bar
        for rel in tol.CHECK_REFINE_STEPS:
            redo = np.flatnonzero((c_err > tol.CHECK_RESOLVE_REL * scale(c_est, G[pending]))
                                  .any(axis=1))
            if redo.size == 0:
                break
            (r_est, r_err), _, _ = _richardson(prob, v, pending[redo], side=side[redo],
                                               noise=noise[redo], rel=rel)
            better = r_err < c_err[redo]
            c_est[redo] = np.where(better, r_est, c_est[redo])
            c_err[redo] = np.where(better, r_err, c_err[redo])
        record("richardson", pending, c_est, c_err)
        g = G[pending]
        tolr = tol.CHECK_ATOL + tol.CHECK_RTOL * np.abs(c_est)
        one_sided_split = np.abs(fw - bw) > fw_err + bw_err + tol.CHECK_RTOL * scale(fw, bw) \
            + tol.CHECK_ATOL
        at_kink = (kink[pending][:, None] | one_sided_split) & (side == 0)[:, None]
        agree = np.abs(g - c_est) <= c_err + tolr
        resolved = c_err <= tol.CHECK_RESOLVE_REL * scale(c_est, g)
        # elements judged by the central tableau (and extra oracles)
        st = np.where(agree, np.where(resolved, VERIFIED, UNRESOLVED), MISMATCH)
        rs = np.where(agree, np.where(resolved, "agrees with richardson",
                                      f"noise floor: error bar wider than {tol.CHECK_RESOLVE_REL:g} of the value"),
                      "disagrees with richardson beyond its error bar")
        # mpmath etc: an honest bar; a mismatch there is a mismatch, an agreement verifies
        judges = [(name, est[pending], err[pending], avail[pending][:, None] & ~at_kink)
                  for name, (est, err, avail) in extra.items()]
        if arbiter is not None:
            # on demand: only the elements the differences leave unresolved
            ask = np.flatnonzero(((st == UNRESOLVED) & ~at_kink).any(axis=1))
            if ask.size:
                a_name, a_fn = arbiter
                a_est, a_err = np.full((pending.size, p), np.nan), np.full((pending.size, p),
                                                                           np.inf)
                a_est[ask], a_err[ask] = a_fn(pending[ask])
                record(a_name, pending[ask], a_est[ask], a_err[ask])
                a_avail = np.zeros((pending.size, p), bool)
                a_avail[ask] = True
                judges.append((a_name, a_est, a_err, a_avail & ~at_kink))
        for name, e_est, e_err, a in judges:
            ok_e = np.abs(g - e_est) <= e_err + tol.CHECK_ATOL + tol.CHECK_RTOL * np.abs(e_est)
            rs = np.where(a & ok_e & (st != MISMATCH), f"agrees with {name}", rs)
            st = np.where(a & ok_e & (st != MISMATCH), VERIFIED, st)
            st = np.where(a & ~ok_e, MISMATCH, st)
            rs = np.where(a & ~ok_e, f"disagrees with {name}", rs)
        # kinks: judged one-sided; a subgradient between the two sides is accepted
        lo, hi = np.minimum(fw, bw), np.maximum(fw, bw)
        lo_e = np.where(fw <= bw, fw_err, bw_err)
        hi_e = np.where(fw <= bw, bw_err, fw_err)
        inside = (g >= lo - lo_e - tolr) & (g <= hi + hi_e + tolr)
        k_res = np.maximum(fw_err, bw_err) <= tol.CHECK_KINK_RESOLVE_REL * scale(fw, bw) + \
            tol.CHECK_ATOL
        on_side = (np.abs(g - fw) <= fw_err + tolr) | (np.abs(g - bw) <= bw_err + tolr)
        k_st = np.where(inside, np.where(k_res, SUBGRADIENT, UNRESOLVED), MISMATCH)
        known = kink[pending][:, None]
        k_rs = np.where(inside,
                        np.where(on_side, "kink: equals a one-sided derivative",
                                 "kink: between the one-sided derivatives"),
                        "kink: outside the one-sided derivatives")
        k_rs = np.where(inside & ~k_res, "kink: one-sided error bars too wide", k_rs)
        k_rs = np.where(known, np.char.add("known ", k_rs.astype(str)).astype(object), k_rs)
        st = np.where(at_kink, k_st, st)
        rs = np.where(at_kink, k_rs, rs)
        beside = (side != 0)[:, None] & np.ones((1, p), bool)
        rs = np.where(beside & (st != MISMATCH),
                      np.char.add(rs.astype(str), " (one-sided beside a kink)").astype(object), rs)
        # the best (closest) one-sided value is the oracle shown at a kink
        pick_fw = np.abs(g - fw) <= np.abs(g - bw)
        k_est = np.where(pick_fw, fw, bw)
        k_err = np.where(pick_fw, fw_err, bw_err)
        if at_kink.any():
            record("one-sided", pending[at_kink.any(axis=1)], fw[at_kink.any(axis=1)],
                   fw_err[at_kink.any(axis=1)])
            record("one-sided(-)", pending[at_kink.any(axis=1)], bw[at_kink.any(axis=1)],
                   bw_err[at_kink.any(axis=1)])
        todo = status[pending] < 0
        sub_status = status[pending]
        sub_status[todo] = st[todo]
        status[pending] = sub_status
        for arr, val in ((reason, rs), (best_est, np.where(at_kink, k_est, c_est)),
                         (best_err, np.where(at_kink, k_err, c_err))):
            sub = arr[pending]
            sub[todo] = val[todo]
            arr[pending] = sub
        sub = best_name[pending]
        sub[todo] = np.where(at_kink, "one-sided", "richardson")[todo]
        best_name[pending] = sub
    return status, reason, best_name, best_est, best_err, oracle_vals, (noise_floor, noise_measured)


def _build_report(kind, lay_in, lay_out, G, judged, t0, complex_safe, complex_reason) -> Report:
    status, reason, best_name, best_est, best_err, oracle_vals, (noise_floor, measured) = judged
    n, p = G.shape

    def loc(i, j):
        if kind == "jacobian":
            ko, io = lay_out.locate(j) if lay_out is not None else (None, (j,))
            ki, ii = lay_in.locate(i)
            return ki, tuple(io) + tuple(ii)
        return lay_in.locate(i)

    def element(i, j, full=False):
        key, index = loc(i, j)
        e = {"key": key, "index": list(index), "value": float(G[i, j]),
             "status": _STATUS[int(status[i, j])], "reason": str(reason[i, j]),
             "oracle": str(best_name[i, j]), "oracle_value": float(best_est[i, j]),
             "oracle_error": float(best_err[i, j])}
        if full:
            e["oracles"] = {name: {"value": float(ov[0][i, j]), "error": float(ov[1][i, j])}
                            for name, ov in oracle_vals.items() if np.isfinite(ov[0][i, j])}
        return e

    counts = {name: int(np.sum(status == code)) for code, name in _STATUS.items()}
    oracles = {}
    for name, (est, err) in oracle_vals.items():
        m = np.isfinite(est)
        if not m.any():
            continue
        d = np.abs(G[m] - est[m])
        rel = d / np.maximum(np.abs(est[m]), tol.TINY)
        oracles[name] = {"elements": int(m.sum()), "max_abs": float(d.max()),
                         "max_rel": float(rel.max()),
                         "max_error_bar": float(np.max(err[m]))}
    # worst: the largest |analytic - oracle| / (its bound), mismatches first
    with np.errstate(all="ignore"):
        bound = best_err + tol.CHECK_ATOL + tol.CHECK_RTOL * np.abs(best_est)
        ratio = np.abs(G - best_est) / np.where(bound > 0, bound, tol.TINY)
    ratio = np.where(np.isfinite(ratio), ratio, 0.0) + (status == MISMATCH) * 1e300
    worst = None
    if G.size:
        i, j = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        worst = element(i, j, full=True)

    def listing(code):
        ii, jj = np.nonzero(status == code)
        order = np.argsort(-ratio[ii, jj], kind="stable")[:_SHOW]
        return [element(ii[o], jj[o]) for o in order]

    return Report(kind=kind, ok=counts["mismatch"] == 0, size=int(G.size), counts=counts,
                  oracles=oracles, worst=worst, mismatches=listing(MISMATCH),
                  unresolved=listing(UNRESOLVED), subgradients=listing(SUBGRADIENT),
                  noise_floor=noise_floor, noise_floor_measured=measured,
                  complex_safe=complex_safe,
                  complex_reason=complex_reason, seconds=time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------
# the twin


_TWIN_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _twin_grad(twin, lay: _Layout, v):
    import jax

    import refnet.twin  # noqa: F401  (switches on float64)

    try:
        g = _TWIN_CACHE[twin]
    except (KeyError, TypeError):
        g = jax.jit(jax.grad(twin))
        try:
            _TWIN_CACHE[twin] = g
        except TypeError:
            pass
    x = lay.unflatten(v)
    out = g(x)
    if lay.keys == [None]:
        return np.asarray(out, dtype=np.float64).ravel()
    return np.concatenate([np.asarray(out[k], dtype=np.float64).ravel() for k in lay.keys])


# ---------------------------------------------------------------------------------------------
# the public checks


def _fast_oracles(prob, v, idx_all, complex_step, rng, skip=None):
    """The fast pass: complex step where f is complex-safe, else one central difference.

    Returns (fast oracles, complex-safe?, why not, the noise pair from the line analysis)."""
    line = _Line(prob, v, rng)
    d = line.d
    fast = {}
    safe, why = False, "switched off"
    if complex_step in ("auto", True):
        # first against differences with a rounding-only error bar (8 evaluations); a noisy f
        # may fail that, so then again with the measured noise floor (65 more)
        est, err = line.directional(with_noise=False)
        safe, why = _probe_complex(prob, d, est, err, skip)
        if not safe:
            est, err = line.directional(with_noise=True)
            safe, why = _probe_complex(prob, d, est, err, skip)
        if complex_step is True and not safe:
            raise _Abort(f"complex_step=True but f is not complex-safe: {why}")
    if safe:
        c_est, c_err = _complex_step(prob, idx_all)
        fast["complex step"] = (c_est, c_err, np.ones(prob.n, bool))
    else:
        noise = line.noise()
        h = _steps(v, idx_all, tol.CHECK_FAST_STEP)
        fp = prob.shift(idx_all, h)
        fm = prob.shift(idx_all, -h)
        f0 = _center_values(prob, idx_all, np.broadcast_to(
            prob.f0[None, :] if prob.p > 1 else prob.f0[0], (idx_all.size, prob.p)))
        with np.errstate(all="ignore"):
            c_est = (fp - fm) / (2 * h)[:, None]
            # one-sided differences from the same values: for a smooth f they differ by
            # h f'' (tiny at h ~ 7.6e-6); where they differ by more than 1e-3 of the value
            # there may be a kink at x, and the element goes on to the one-sided judge
            split = np.abs((fp - f0) - (f0 - fm)) / h[:, None] > 1e-3 * np.abs(c_est) + \
                np.maximum(noise.reshape(-1)[idx_all] if prob.elementwise else noise.max(),
                           tol.FD_EVAL_ULPS * tol.EPS * np.abs(f0)) * 4 / h[:, None]
        avail = np.isfinite(c_est).all(axis=1) & ~split.any(axis=1)
        fast["central difference"] = (c_est, np.zeros_like(c_est), avail)
    return fast, safe, why, line


def check_gradient(f: Callable, grad: Callable, x, *, twin: Callable | None = None,
                   complex_step="auto", seed: int = 0) -> Report:
    """Check ``grad`` against the gradient of the scalar function ``f`` at ``x``.

    ``x`` is an array or a dict of arrays; ``grad(x)`` must return the same structure.  ``twin``
    is an optional JAX-traceable twin of ``f`` whose ``jax.grad`` joins the fast pass (compiled
    once per twin and shape).  ``complex_step`` is "auto" (probe), True (require) or False.
    Returns a :class:`Report`; nothing raises for a misbehaving f or grad (the report says).
    """
    t0 = time.perf_counter()
    lay, v = _layout(x)
    try:
        f0 = _real_out(_call(f, lay.unflatten(v.copy())), 1)
        if not np.isfinite(f0).all():
            raise _Abort(f"f is not finite at x: {f0[0]}")
        G = _flatten_like(lay, _call(grad, lay.unflatten(v.copy()), "grad"))[:, None]
        prob = _scalar_problem(f, lay, v, f0[0])
        rng = np.random.default_rng(seed)
        fast, safe, why, line_noise = _fast_oracles(prob, v, np.arange(lay.n), complex_step, rng)
        if twin is not None:
            t = _twin_grad(twin, lay, v)[:, None]
            fast["twin"] = (t, tol.TWIN_RTOL * np.abs(t) + tol.TWIN_ATOL, np.ones(lay.n, bool))
        judged = _judge(prob, v, G, fast=fast, extra={}, line_noise=line_noise)
    except _Abort as exc:
        return _error_report("check_gradient", lay.n, str(exc), t0)
    return _build_report("check_gradient", lay, None, G, judged, t0, safe, why)


def _registry_entry(f):
    from refnet.activations import ACTIVATIONS

    if isinstance(f, str):
        if f not in ACTIVATIONS:
            raise KeyError(f"no activation named {f!r}; known: {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[f]
    for a in ACTIVATIONS.values():
        if f is a.forward:
            return a
    return None


def _mp_derivative(name, z, params):
    """mpmath's correctly rounded derivative at z, as (estimate (k, 1), error bar (k, 1)).

    The bar is half an ulp where the value is normal (or 0); where it is subnormal the
    registry's own derivatives are held to an absolute tolerances.SUBNORMAL_ABS (they have
    fewer than 53 bits), so that is the bar there: a correct subnormal value is never flagged."""
    from refnet.oracles import mp_value

    m = mp_value(name, z, 1, **params)
    err = np.where(np.abs(m) < tol.TINY, tol.SUBNORMAL_ABS, 0.5 * tol.EPS * np.abs(m))
    return m[:, None], err[:, None]


def check_derivative(f, df: Callable, z, *, kinks=None, params=None, mpmath="auto",
                     twin: Callable | None = None, complex_step="auto") -> Report:
    """Check the derivative ``df`` of an elementwise ``f`` at every element of ``z``.

    ``f`` is a function of an array (elementwise) or the name of a registry activation; a
    registry forward (or name) brings its kinks and default params.  ``kinks`` lists more z
    where f is not differentiable: an element there is judged by its one-sided derivatives, an
    element within a step of one by differences that stay on its side.  For a registry
    activation, mpmath's correctly rounded derivative decides every element the differences
    leave unresolved (``mpmath="auto"``, the default: the tails, where f has rounded to its
    limit and its differences say nothing about f'); ``mpmath=True`` judges every element by
    it too, ``mpmath=False`` never (such elements stay unresolved).  The complex step only ever
    accepts (fast pass): through a quotient like soft_sign's z/(1 + z) its imaginary part
    cancels (relative error ~eps |z|), so it is never trusted to fail an element.  ``twin`` is an optional
    scalar JAX function whose vmapped ``jax.grad`` joins the fast pass.
    """
    t0 = time.perf_counter()
    z = np.asarray(z, dtype=np.float64)
    entry = _registry_entry(f)
    params = dict(entry.params if entry is not None else {}, **(params or {}))
    fn = entry.forward if entry is not None else f
    if params:
        base = fn
        fn = lambda a: base(a, **params)  # noqa: E731
    kinks = tuple(kinks or ()) + (tuple(entry.kinks) if entry is not None else ())
    lay = _Layout([None], [z.shape], [z.size])
    flat = z.ravel()
    try:
        f0 = _real_out(_call(fn, flat.copy()), flat.size)
        if not np.isfinite(f0).all():
            i = int(np.flatnonzero(~np.isfinite(f0))[0])
            raise _Abort(f"f is not finite at z[{np.unravel_index(i, z.shape)}] = {flat[i]}")
        dfn = df if not params else (lambda a: df(a, **params))
        G = _flatten_like(lay, _call(dfn, z.copy(), "df"), "df")[:, None]
        prob = _elementwise_problem(fn, flat, f0)
        idx = np.arange(flat.size)
        known = np.zeros(flat.size, bool)
        side = np.zeros(flat.size, int)
        h0 = _steps(flat, idx, tol.CHECK_H0)
        for k in kinks:
            known |= flat == k
            near = (flat != k) & (np.abs(flat - k) <= h0)
            side = np.where(near, np.where(flat > k, 1, -1), side)
        fast, safe, why, line_noise = _fast_oracles(prob, flat, idx, complex_step,
                                                    np.random.default_rng(0),
                                                    skip=known | (side != 0))
        if twin is not None:
            t = _twin_elementwise(twin, flat)[:, None]
            fast["twin"] = (t, tol.TWIN_RTOL * np.abs(t) + tol.TWIN_ATOL, np.ones(flat.size, bool))
        extra, arbiter = {}, None
        if mpmath is True or mpmath == "auto":
            if entry is None and mpmath is True:
                raise _Abort("mpmath=True needs a registry activation (a name or its forward)")
            if entry is not None:
                def mp_oracle(rows, name=entry.name):
                    return _mp_derivative(name, flat[rows], params)
                if mpmath is True:
                    m, e = mp_oracle(np.arange(flat.size))
                    extra["mpmath"] = (m, e, np.ones(flat.size, bool))
                else:
                    arbiter = ("mpmath", mp_oracle)
        judged = _judge(prob, flat, G, fast=fast, extra=extra, known_kink=known,
                        near_side=side, line_noise=line_noise, arbiter=arbiter)
    except _Abort as exc:
        return _error_report("check_derivative", flat.size, str(exc), t0)
    return _build_report("check_derivative", lay, None, G, judged, t0, safe, why)


_TWIN_EW_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _twin_elementwise(twin, flat):
    import jax

    import refnet.twin  # noqa: F401
    from refnet.oracles import bucket_length

    try:
        g = _TWIN_EW_CACHE[twin]
    except (KeyError, TypeError):
        g = jax.jit(jax.vmap(jax.grad(twin)))
        try:
            _TWIN_EW_CACHE[twin] = g
        except TypeError:
            pass
    padded = np.zeros(bucket_length(max(flat.size, 1)))
    padded[: flat.size] = flat
    return np.asarray(g(padded), dtype=np.float64)[: flat.size]


def check_jacobian(f: Callable, jac: Callable, x, *, complex_step="auto") -> Report:
    """Check ``jac(x)`` (shape f(x).shape + x.shape) against the Jacobian of ``f`` at ``x``."""
    t0 = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    lay = _Layout([None], [x.shape], [x.size])
    flat = x.ravel()
    try:
        f0 = np.asarray(_call(f, x.copy()))
        out_shape = f0.shape
        f0 = _real_out(f0, f0.size)
        if not np.isfinite(f0).all():
            raise _Abort("f is not finite at x")
        J = np.asarray(_call(jac, x.copy(), "jac"), dtype=np.float64)
        if J.shape != out_shape + x.shape:
            raise _Abort(f"jac returned shape {J.shape}, expected {out_shape + x.shape}")
        if not np.isfinite(J).all():
            raise _Abort("jac is not finite")
        G = J.reshape(f0.size, x.size).T  # (inputs, outputs)
        prob = _vector_problem(f, lay, flat, f0)
        fast, safe, why, line_noise = _fast_oracles(prob, flat, np.arange(flat.size), complex_step,
                                        np.random.default_rng(0))
        judged = _judge(prob, flat, G, fast=fast, extra={}, line_noise=line_noise)
    except _Abort as exc:
        return _error_report("check_jacobian", x.size, str(exc), t0)
    out_lay = _Layout([None], [out_shape], [int(np.prod(out_shape))])
    return _build_report("jacobian", lay, out_lay, G, judged, t0, safe, why)

