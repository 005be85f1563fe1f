"""Judge refnet's derivatives with every oracle (what ``refnet verify`` runs; the command itself
is :mod:`refnet.cli.verify`).

The judging functions here are also what the test suite drives with random shapes and with
planted bugs: :func:`judge_activation` compares a derivative (refnet's own, or any replacement
passed in) with ``jax.grad`` of the twin, Richardson differences, the complex step, mpmath, and
the notebook's output form; :func:`judge_softmax` compares the softmax Jacobian and VJP with
``jax.jacobian``/``jax.vjp`` of ``jax.nn.softmax``.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from refnet import activations as act_mod
from refnet import oracles
from refnet import tolerances as tol
from refnet.checking import pipeline
from refnet.checking.report import MISMATCH, SUBGRADIENT, UNRESOLVED, VERIFIED, Record, frozen_array
from refnet.oracles import COMPLEX_STEP, MPMATH, RICHARDSON, TWIN
from refnet.points import octaves

# The oracles, by their names in code (refnet.oracles), and how verify's table labels a row:
# the quantity, then the tool ("f' jax.grad", "grad richardson").
OUTPUT_FORM = "from output"  # the notebook's output form f'(s), against f'(z)
CHECK = "check"  # the checks users run (refnet.check), whole: every oracle, kinks, one verdict
LABELS = {TWIN: "jax.grad", RICHARDSON: "richardson", COMPLEX_STEP: "complex step",
          MPMATH: "mpmath", CHECK: "check"}
ACTIVATION_ORACLES = (TWIN, RICHARDSON, COMPLEX_STEP, MPMATH, OUTPUT_FORM, CHECK)


def label(quantity: str, oracle: str) -> str:
    """The table's name of a row: ``label("f'", TWIN)`` is ``"f' jax.grad"``."""
    return f"{quantity} {LABELS[oracle]}"


__all__ = [
    "Result",
    "against_mpmath",
    "judged_row",
    "format_margin",
    "format_table",
    "judge_activation",
    "judge_softmax",
    "activation_points",
    "compile_twins",
    "sample_points",
]


@dataclass(frozen=True, eq=False, repr=False)
class Result:
    """One row of the table: how one quantity of one function fared against one oracle, a view
    over the row's :class:`~refnet.checking.report.Record` (``record``: per point its status,
    value, the oracle's reference as the estimate, the allowed |value - reference| as the
    error bar, and the margin), as :class:`~refnet.checking.report.Report` is over a check's.

    ``max_abs`` is the largest |value - reference|; ``max_rel`` the largest relative error where
    the reference is not 0 (None when every reference is 0: there only the absolute error
    means anything).  ``margin`` is the worst error/bound over the points judged by the bound
    (a point passes when its margin is at most 1); points passed by a kink convention
    (``by_kink``, subgradients in the record) or cleared by mpmath (``decided_by_mpmath``, whose
    oracle is mpmath in the record) are counted apart and left out of it.  ``failed`` lists
    every failing point: where (``z`` or ``entry``), value, reference, error, bound and margin.
    """

    section: str
    function: str
    oracle: str
    record: Record
    max_ulps: float | None = None
    z: np.ndarray | None = None  # the point of each element (an activation's rows)

    n = property(lambda self: self.record.n)

    def __repr__(self) -> str:
        verdict = "ok" if self.ok else f"MISMATCH ({self.failures})"
        return f"<Result {self.function}, {self.oracle}: {self.n} points, {verdict}>"

    @property
    def _err(self) -> np.ndarray:
        r = self.record
        with np.errstate(invalid="ignore"):
            err = np.abs(r.value - r.estimate)
        return np.where(np.isnan(err), np.inf, err)

    @property
    def max_abs(self) -> float:
        return float(self._err.max()) if self.n else 0.0

    @property
    def max_rel(self) -> float | None:
        ref = self.record.estimate
        nz = ref != 0
        if not nz.any():
            return None
        with np.errstate(over="ignore"):
            return float(np.max(self._err[nz] / np.abs(ref[nz])))

    @property
    def _failing(self) -> np.ndarray:
        """A mismatch, or (from a check's own verdict) an element no oracle could decide."""
        return np.isin(self.record.status, (MISMATCH, UNRESOLVED))

    @property
    def failures(self) -> int:
        return int(np.count_nonzero(self._failing))

    @property
    def decided_by_mpmath(self) -> int:
        r = self.record
        return sum(1 for k in range(r.n) if r.reason[k] == CLEARED)

    @property
    def by_kink(self) -> int:
        return int(np.count_nonzero(self.record.status == SUBGRADIENT))

    @property
    def _judged(self) -> np.ndarray:
        """The points judged by the bound: neither a kink convention nor mpmath passed them."""
        r = self.record
        return (r.status != SUBGRADIENT) & (np.array(r.reason, dtype=object) != CLEARED)

    @property
    def _bounded(self) -> bool:
        """Whether the row was judged by a bound (every row of refnet's tables is)."""
        return self.n > 0 and not np.all(np.isnan(self.record.error_bar))

    @property
    def margin(self) -> float | None:
        m, judged = self.record.margin, self._judged
        if not self._bounded:
            return None
        return float(m[judged].max()) if judged.any() else 0.0

    @property
    def ok(self) -> bool:
        return self.failures == 0

    def _point(self, j) -> dict:
        r = self.record
        d = {"value": float(r.value[j]), "reference": float(r.estimate[j]),
             "error": float(self._err[j])}
        if self.z is not None:
            d["z"] = float(self.z[j])
        else:
            d["entry"] = r.name(j)
        if self._bounded:
            d["bound"] = float(r.error_bar[j])
            d["margin"] = float(r.margin[j])
        return d

    @property
    def worst(self) -> dict:
        """The failing point with the largest margin; where none fails, the judged one."""
        if not self.n:
            return {}
        m = self.record.margin if self._bounded else self._err
        failing = self._failing
        i = int(np.argmax(np.where(failing, m, -1.0) if failing.any() else
                          np.where(self._judged, m, -1.0)))
        return self._point(i)

    @property
    def failed(self) -> list:
        return [self._point(j) for j in np.flatnonzero(self._failing)]

    def to_dict(self) -> dict:
        return {"section": self.section, "function": self.function, "oracle": self.oracle,
                "n": self.n, "max_abs": self.max_abs, "max_rel": self.max_rel,
                "failures": self.failures, "max_ulps": self.max_ulps, "worst": self.worst,
                "decided_by_mpmath": self.decided_by_mpmath, "margin": self.margin,
                "by_kink": self.by_kink, "failed": self.failed, "ok": self.ok}


CLEARED = "the value is within the ulp ceiling of mpmath's correctly rounded result"
AT_KINK = "on a kink: within the bound of one of the one-sided derivatives"


def _bound(reference, *, atol, rtol, err=0.0):
    """The bound of :func:`refnet.tolerances.within`: ``atol + rtol * |reference| + err``."""
    return atol + rtol * np.abs(np.asarray(reference, dtype=np.float64)) + err


def _mask(mask, shape):
    if mask is None:
        return np.zeros(int(np.prod(shape)), dtype=bool)
    return np.broadcast_to(np.asarray(mask, dtype=bool), shape).ravel()


def judged_row(section, function, oracle, value, reference, passed, *, bound=None, ulps=None,
            z=None, margin=None, cleared=None, kink=None, where=None) -> Result:
    """A :class:`Result` from the values, the oracle's references and the verdict per point.

    ``bound``: the allowed |value - reference| per point (broadcast); ``margin`` overrides
    error/bound where the test is not in those terms (ulps against mpmath).  ``cleared``: the
    points mpmath decided for the value; ``kink``: the points judged by a kink convention.
    ``where``: a label per element (a network's gradient entries) for the failing points.
    """
    shape = np.shape(value)
    value = np.asarray(value, dtype=np.float64).ravel()
    reference = np.asarray(reference, dtype=np.float64).ravel()
    passed = np.asarray(passed, dtype=bool).ravel()
    n = value.size
    cleared = _mask(cleared, shape)
    kink = _mask(kink, shape) & passed & ~cleared
    # no bound: the row shows errors only (NaN bounds and margins)
    bound = np.broadcast_to(np.asarray(np.nan if bound is None else bound, dtype=np.float64),
                            shape).ravel()
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        err = np.abs(value - reference)
        err = np.where(np.isnan(err), np.inf, err)
        if margin is not None:
            m = np.broadcast_to(np.asarray(margin, dtype=np.float64), shape).ravel()
        else:
            m = np.where(np.isposinf(bound) | (err == 0), 0.0, err / bound)
        m = np.where(np.isnan(m) & ~np.isnan(bound), np.inf, m)
    status = np.where(~passed, MISMATCH, np.where(kink, SUBGRADIENT, VERIFIED))
    reason = np.where(cleared, CLEARED, np.where(kink, AT_KINK, "")).astype(object)
    record = Record(
        # where in the value each point sits (its index; a network's entries are named)
        kind="verify", size=n, keys=(None,) * n, indices=tuple(np.ndindex(*shape)),
        names=tuple(str(w) for w in where) if where is not None else (),
        value=frozen_array(value), status=frozen_array(status, np.int8),
        oracle=tuple(MPMATH if c else oracle for c in cleared.tolist()),
        estimate=frozen_array(reference), error_bar=frozen_array(bound), margin=frozen_array(m),
        reason=tuple(str(x) for x in reason), lossy_at=frozen_array(np.zeros(n)),
        options=(("section", section), ("function", function), ("oracle", oracle)))
    return Result(section, function, oracle, record,
                  None if ulps is None or not n else float(np.max(ulps)),
                  None if z is None else frozen_array(z))


def against_mpmath(function, oracle, z, value, ref, ceiling, section="activation") -> Result:
    """The row of values at the points ``z`` against mpmath's correctly rounded ``ref``: within
    ``ceiling`` ulps where the correctly rounded value is normal (or 0); a subnormal result
    has fewer than 53 bits (a formula through a subnormal intermediate loses bits it cannot
    get back) and is held to the absolute ``tolerances.SUBNORMAL_ABS`` instead.  The margin is
    ulps over the ceiling (absolute error over SUBNORMAL_ABS where subnormal)."""
    value = np.asarray(value, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    normal = (np.abs(ref) >= tol.TINY) | (ref == 0)
    u = np.where(normal, oracles.ulps(value, ref), 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        ok = np.where(normal, u <= ceiling, np.abs(value - ref) <= tol.SUBNORMAL_ABS)
        margin = np.where(normal, u / ceiling, np.abs(value - ref) / tol.SUBNORMAL_ABS)
    bound = np.where(normal, ceiling * np.spacing(np.abs(ref)), tol.SUBNORMAL_ABS)
    return judged_row(section, function, oracle, value, ref, ok, ulps=u, z=z, bound=bound,
                   margin=margin)


def arbitrate(name, order, z, value, oracle_value, ok, params):
    """Where an oracle and the value disagree, mpmath decides (the oracle can be wrong too:
    autodiff and the complex step cancel near a zero of f′ where the hand-written form does
    not).  A disagreement is cleared when the value is within the ulp ceiling of the correctly
    rounded result (64 ulps for f′, 1,024 for f″) and no farther from it than the oracle.
    Returns ``(ok, number cleared)``."""
    ok = np.array(ok, dtype=bool, copy=True)
    bad = np.flatnonzero(~ok.ravel())
    if bad.size == 0 or name not in oracles.MP_ACTIVATIONS:
        return ok, 0
    zb = np.asarray(z, dtype=np.float64).ravel()[bad]
    ref = oracles.mp_value(name, zb, order, **params)
    u_val = oracles.ulps(np.asarray(value, dtype=np.float64).ravel()[bad], ref)
    u_orc = oracles.ulps(np.asarray(oracle_value, dtype=np.float64).ravel()[bad], ref)
    ceiling = tol.DERIVATIVE_ULPS_MAX if order == 1 else tol.SECOND_DERIVATIVE_ULPS_MAX
    cleared = (u_val <= ceiling) & (u_val <= u_orc)
    flat = ok.ravel()
    flat[bad[cleared]] = True
    return flat.reshape(ok.shape), int(cleared.sum())


def _bind(fn, params):
    return lambda z: fn(z, **params)


def kink_sides(z, kinks, h0=None):
    """Stencil side per element: 0 (central) away from kinks, ±1 pointing away from a kink
    that lies within the widest step, and NaN exactly on a kink (judged from both sides)."""
    z = np.asarray(z, dtype=np.float64)
    known, side = pipeline.kink_sides(z.ravel(), kinks, tol.FD_H0 if h0 is None else h0)
    return np.where(known, np.nan, side.astype(np.float64)).reshape(z.shape)


def richardson_kinked(f, z, kinks):
    """Richardson differences of ``f`` with kink-aware stencils.

    Returns ``(left, left_error, at_kink, right, right_error)``: on a kink the left-side and
    the right-side tableaux (a subgradient convention must match one of them); elsewhere the
    two are the same, the central (or beside a kink, the one-sided) tableau.
    """
    side = kink_sides(z, kinks)
    on = np.isnan(side)
    left, el = oracles.richardson_derivative(f, z, side=np.where(on, -1, side))
    if on.any():
        right, er = oracles.richardson_derivative(f, z, side=np.where(on, 1, side))
    else:
        right, er = left, el
    return left, el, on, right, er


def output_form_bound(g, s, forward_ulps):
    """The error a correct output form g(s) may carry, from the conditioning of g in s.

    s = f(z) is within ``forward_ulps`` ulps of the true output, so g(s) can differ from
    g(true s) by up to the spread of g over those neighbouring floats:
    ``max |g(s ± k ulp) - g(s)|``.  For s(1-s) near s = 1 this is about k·eps, the whole size of
    the true derivative once it is below eps: the form has lost every digit, and the bound says
    so instead of hiding it.
    """
    s = np.asarray(s, dtype=np.float64)
    if forward_ulps == 0:
        return np.zeros(s.shape)
    gs = np.asarray(g(s), dtype=np.float64)
    up, down = s.copy(), s.copy()
    top = np.finfo(np.float64).max  # step towards ±max, not ±inf: no overflow at the top
    for _ in range(int(forward_ulps)):
        up = np.nextafter(up, top)
        down = np.nextafter(down, -top)
    with np.errstate(over="ignore", invalid="ignore"):
        spread = np.maximum(np.abs(np.asarray(g(up)) - gs), np.abs(np.asarray(g(down)) - gs))
    return np.where(np.isfinite(spread), spread, np.inf)


class _Subject(NamedTuple):
    """What every oracle of :func:`judge_activation` judges: the activation at its points."""

    name: str
    act: act_mod.Activation
    params: dict
    z: np.ndarray
    f: Callable
    df: Callable
    d: np.ndarray  # f' judged, at z
    d2: np.ndarray  # f'' judged, at z
    on_kink: np.ndarray


def _row(s: _Subject, oracle, order, zs, value, ref, ok, bound, on=None) -> Result:
    """A row against an oracle that can be wrong itself: mpmath arbitrates its disagreements
    (:func:`arbitrate`); on a kink, ``on``, either one-sided derivative passes (the convention
    is pinned by its own test)."""
    before = np.asarray(ok, dtype=bool)
    ok, _ = arbitrate(s.name, order, zs, value, ref, ok, s.params)
    return judged_row("activation", s.name, oracle, value, ref, ok, z=zs, bound=bound,
                      cleared=ok & ~before, kink=on)


def _twin_rows(s: _Subject) -> list:
    """f' and f'' against jax.grad (once, twice) of the twin."""
    # XLA on CPU reads subnormal inputs as zero, so the twin is not asked about them
    normal = (np.abs(s.z) >= tol.TINY) | (s.z == 0)
    zn, dn, d2n = s.z[normal], s.d[normal], s.d2[normal]
    ref = oracles.twin_derivative(s.name, zn, 1, **s.params)
    ref2 = oracles.twin_derivative(s.name, zn, 2, **s.params)
    atol2 = tol.TWIN_ATOL + tol.TWIN2_ATOL_PER_DERIVATIVE * np.abs(dn)
    return [_row(s, label("f'", TWIN), 1, zn, dn, ref,
                 tol.within(dn, ref, atol=tol.TWIN_ATOL, rtol=tol.TWIN_RTOL),
                 _bound(ref, atol=tol.TWIN_ATOL, rtol=tol.TWIN_RTOL)),
            _row(s, label("f''", TWIN), 2, zn, d2n, ref2,
                 tol.within(d2n, ref2, atol=atol2, rtol=tol.TWIN2_RTOL),
                 _bound(ref2, atol=atol2, rtol=tol.TWIN2_RTOL))]


def _richardson_rows(s: _Subject) -> list:
    """f' and f'' against Richardson differences of f and of f' (one-sided at kinks)."""
    rows = []
    for quantity, order, fn, value in (("f'", 1, s.f, s.d), ("f''", 2, s.df, s.d2)):
        left, el, on, right, er = richardson_kinked(fn, s.z, s.act.kinks)
        ok = tol.within(value, left, atol=tol.FD_ATOL, rtol=tol.FD_RTOL, err=el)
        ok |= on & tol.within(value, right, atol=tol.FD_ATOL, rtol=tol.FD_RTOL, err=er)
        rows.append(_row(s, label(quantity, RICHARDSON), order, s.z, value, left, ok,
                         _bound(left, atol=tol.FD_ATOL, rtol=tol.FD_RTOL, err=el), on))
    return rows


def _complex_step_rows(s: _Subject) -> list:
    """f' against the complex step, off the kinks (there the real part's branch decides)."""
    if not s.act.analytic:
        return []
    zc, dc = s.z[~s.on_kink], s.d[~s.on_kink]
    est, err = oracles.complex_step_derivative(s.f, zc)
    ok = tol.within(dc, est, atol=0.0, rtol=tol.COMPLEX_STEP_RTOL, err=err)
    return [_row(s, label("f'", COMPLEX_STEP), 1, zc, dc, est, ok,
                 _bound(est, atol=0.0, rtol=tol.COMPLEX_STEP_RTOL, err=err))]


def _mpmath_rows(s: _Subject) -> list:
    """f' and f'' against the correctly rounded values, every point within the ceiling (the
    99.9th-percentile targets are a property of the fixed sweep of refnet.study, `refnet
    formulas`, not of a random sample)."""
    zm = s.z[~s.on_kink]
    return [against_mpmath(s.name, label(quantity, MPMATH), zm, value[~s.on_kink],
                           oracles.mp_value(s.name, zm, order, **s.params), ceiling)
            for quantity, order, value, ceiling in (
                ("f'", 1, s.d, tol.DERIVATIVE_ULPS_MAX),
                ("f''", 2, s.d2, tol.SECOND_DERIVATIVE_ULPS_MAX))]


def _check_rows(s: _Subject) -> list:
    """The check a user runs, on the same points: refnet.check.check_derivative of the
    registry's name (its kinks, mpmath deciding what the differences leave open)."""
    from refnet.check import check_derivative

    r = check_derivative(s.name, s.df, s.z, params=s.params)
    return [Result("activation", s.name, label("f'", CHECK), r.record, z=frozen_array(s.z))]


def _output_form_rows(s: _Subject, fo) -> list:
    """The notebook's output form f'(s) against f'(z), within the form's conditioning."""
    if fo is None:
        return []
    g = _bind(fo, s.params)
    out = s.f(s.z)
    # where the output itself overflowed (selu beyond max_float/scale) there is no s to
    # evaluate the form at
    fin = np.isfinite(out)
    out, dz, zf = out[fin], s.d[fin], s.z[fin]
    value = np.asarray(g(out), dtype=np.float64)
    bound = output_form_bound(g, out, s.act.forward_ulps)
    atol = bound + tol.OUTPUT_FORM_RTOL * np.abs(value) + tol.TWIN_ATOL
    ok = tol.within(value, dz, atol=atol, rtol=tol.OUTPUT_FORM_RTOL)
    return [judged_row("activation", s.name, "f'(s) vs f'(z)", value, dz, ok, z=zf,
                       bound=_bound(dz, atol=atol, rtol=tol.OUTPUT_FORM_RTOL))]


def judge_activation(name, z, *, params=None, derivative=None, second_derivative=None,
                     derivative_from_output=None, oracles_=None):
    """Judge the derivatives of activation ``name`` at the points ``z`` with every oracle.

    ``derivative``, ``second_derivative`` and ``derivative_from_output`` default to refnet's
    own; pass replacements to judge other formulas (the planted-bug tests do).  ``oracles_``
    picks a subset of "twin", "richardson", "complex step", "mpmath", "from output", "check"
    (all by default).  Returns a list of :class:`Result`, in that order but the check's before
    the output form's.
    """
    act = act_mod.ACTIVATIONS[name]
    params = dict(act.params if params is None else params)
    want = set(oracles_ or ACTIVATION_ORACLES)
    unknown = want - set(ACTIVATION_ORACLES)
    if unknown:
        raise ValueError(f"oracles_: unknown {sorted(unknown)}; known: {list(ACTIVATION_ORACLES)}")
    z = np.asarray(z, dtype=np.float64)
    df = _bind(derivative or act.derivative, params)
    s = _Subject(name, act, params, z, _bind(act.forward, params), df,
                 np.asarray(df(z), dtype=np.float64),
                 np.asarray(_bind(second_derivative or act.second_derivative, params)(z),
                            dtype=np.float64),
                 np.isin(z, np.asarray(act.kinks, dtype=np.float64)))
    fo = derivative_from_output or act.derivative_from_output
    rows = []
    for oracle, judge in ((TWIN, _twin_rows), (RICHARDSON, _richardson_rows),
                          (COMPLEX_STEP, _complex_step_rows), (MPMATH, _mpmath_rows),
                          (CHECK, _check_rows),
                          (OUTPUT_FORM, lambda s: _output_form_rows(s, fo))):
        if oracle in want:
            rows += judge(s)
    return rows


@functools.cache
def _jax_softmax_refs():
    """jax.nn.softmax, its VJP and its Jacobian for a (B, N) batch of vectors, jitted once per
    padded shape."""
    import jax

    from refnet import twin  # noqa: F401  (switches on float64)

    def one(z, g):
        s, pull = jax.vjp(jax.nn.softmax, z)
        return s, pull(g)[0], jax.jacobian(jax.nn.softmax)(z)

    return jax.jit(jax.vmap(one))


def _pow2_at_least(n, floor=1):
    """The power of two at or above ``n`` (at least ``floor``)."""
    return max(1 << max(int(n) - 1, 1).bit_length(), floor)


def judge_softmax(z, axis, g, *, jacobian=None, vjp=None):
    """Judge ``softmax``, ``softmax_jacobian`` and ``softmax_vjp`` against ``jax.nn.softmax``
    with ``jax.jacobian``/``jax.vjp`` at ``z`` along ``axis`` with the cotangent ``g`` (draw it
    at random: with g = ones every VJP is zero whatever the Jacobian).

    The vectors along ``axis`` are batched and padded (more vectors of zeros, and entries of
    -1e300 whose exponential is exactly 0, so the real entries are unchanged), so one compile
    serves many shapes.
    """
    jacobian = jacobian or act_mod.softmax_jacobian
    vjp = vjp or act_mod.softmax_vjp
    z = np.asarray(z, dtype=np.float64)
    g = np.asarray(g, dtype=np.float64)
    s = act_mod.softmax(z, axis=axis)
    zb, gb = np.moveaxis(z, axis, -1), np.moveaxis(g, axis, -1)
    batch, n = zb.shape[:-1], zb.shape[-1]
    b = int(np.prod(batch))
    # at least 32 vectors of 8: every small case shares one compile (a padded call costs µs)
    B, N = _pow2_at_least(b, 32), _pow2_at_least(n, 8)
    zp = np.full((B, N), -1e300)
    zp[:b, :n] = zb.reshape(b, n)
    gp = np.zeros((B, N))
    gp[:b, :n] = gb.reshape(b, n)
    s_ref, v_ref, J_ref = (np.asarray(a) for a in _jax_softmax_refs()(zp, gp))
    s_ref = np.moveaxis(s_ref[:b, :n].reshape(batch + (n,)), -1, axis)
    v_ref = np.moveaxis(v_ref[:b, :n].reshape(batch + (n,)), -1, axis)
    J_ref = J_ref[:b, :n, :n].reshape(batch + (n, n))
    rows = []
    rows.append(judged_row("softmax", "softmax", "jax.nn.softmax", s, s_ref,
                        tol.within(s, s_ref, atol=tol.SOFTMAX_ATOL, rtol=tol.SOFTMAX_RTOL),
                        bound=_bound(s_ref, atol=tol.SOFTMAX_ATOL, rtol=tol.SOFTMAX_RTOL)))
    v = np.asarray(vjp(s, g, axis=axis))
    atol = tol.SOFTMAX_ATOL * np.max(np.abs(g), initial=0.0)
    rows.append(judged_row("softmax", "softmax", "vjp jax.vjp", v, v_ref,
                        tol.within(v, v_ref, atol=atol, rtol=tol.SOFTMAX_RTOL),
                        bound=_bound(v_ref, atol=atol, rtol=tol.SOFTMAX_RTOL)))
    J = np.asarray(jacobian(s, axis=axis))
    rows.append(judged_row("softmax", "softmax", "jacobian jax.jacobian", J, J_ref,
                        tol.within(J, J_ref, atol=tol.SOFTMAX_ATOL, rtol=tol.SOFTMAX_RTOL),
                        bound=_bound(J_ref, atol=tol.SOFTMAX_ATOL, rtol=tol.SOFTMAX_RTOL)))
    return rows


# the sum of four uniforms on [0, 1) has variance 4/12: this scale makes its sd 3
_BELL_SCALE = 3.0 * math.sqrt(3.0)  # sqrt is correctly rounded everywhere


def sample_points(rng, n, kinks=()):
    """``n`` test points: ordinary values, the saturation range, tiny and huge magnitudes,
    points next to each kink and exactly on it.  The same bits on every machine for the same
    ``rng`` state: the generator's draws, magnitudes from :func:`refnet.points.octaves`, and
    exact products and sums (a kink plus an offset is one correctly rounded addition)."""
    # Only the generator's integer and uniform draws (U = rng.random() is k 2**-53, exact
    # everywhere) enter, through NumPy's +, -, * and ldexp (each correctly rounded, never fused):
    # uniform(a, b) is a + (b - a) U, the generator's own formula; the ordinary values are a
    # bell of sd 3 made of four uniforms (Irwin-Hall), not rng.normal, whose ziggurat calls the
    # C library's exp and log1p in its tails and wedges (their last bit differs between builds);
    # the magnitudes spread over octaves (refnet.points.octaves), not 10 ** uniform
    uniform = lambda a, b, size: a + (b - a) * rng.random(size)

    def bell(size):
        u = rng.random((4, size))
        return ((u[0] + u[1]) + (u[2] + u[3]) - 2.0) * _BELL_SCALE

    parts = [
        bell(n // 3),
        uniform(-40.0, 40.0, n // 6),
        rng.choice([-1, 1], n // 6) * octaves(rng, -997, 14, n // 6),  # 1e-300 to 1e4
        rng.choice([-1, 1], n // 12) * octaves(rng, 13, 1024, n // 12),  # 1e4 to the largest
    ]
    for k in kinks or (0.0,):
        m = max(n // (8 * max(len(kinks), 1)), 2)
        off = rng.choice([-1, 1], m) * octaves(rng, -1063, -3, m)  # 1e-320 to 0.1
        parts.append(k + off)
        parts.append(np.full(max(m // 4, 1), float(k)))
    z = np.concatenate(parts)
    z = z[np.isfinite(z)]
    return z[:n] if z.size >= n else np.concatenate([z, bell(n - z.size)])


def activation_points(rng, names, n) -> dict:
    """The :func:`sample_points` of each activation in ``names``, drawn in turn from ``rng``
    (``refnet verify`` draws them in the registry's order, before softmax's)."""
    return {name: sample_points(rng, n, act_mod.ACTIVATIONS[name].kinks) for name in names}


def _network_problem(hidden, output, seed, dims=(3, 5, 4, 3), m=6, scale=1.0):
    """A seeded network whose hidden pre-activations stay clear of every kink by more than the
    widest difference step (the kink itself is judged in the activation checks)."""
    from refnet import network as net

    act = act_mod.ACTIVATIONS[hidden]
    rng = np.random.default_rng(seed)
    for _ in range(50):
        X = rng.normal(0.0, 1.0, (dims[0], m))
        if output == "sigmoid":
            Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
        else:
            Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
        p = net.initialize_parameters(dims, seed=rng, scale=scale)
        p = {k: (v + rng.normal(0.0, 0.1, v.shape) if k.startswith("b") else v)
             for k, v in p.items()}
        _, cache = net.forward_propagation(X, p, hidden, output)
        Zs = [cache[f"Z{l}"] for l in range(1, len(dims) - 1)]
        clear = all(np.min(np.abs(Z - k)) > tol.VERIFY_KINK_CLEARANCE for Z in Zs
                    for k in act.kinks)
        if clear:
            return X, Y, p, cache
    raise RuntimeError(f"no kink-free network found for {hidden}")  # pragma: no cover


def compile_network_twin(dims=(3, 5, 4, 3), m=6):
    """Compile the twin's gradient for networks of layer sizes ``dims`` and ``m`` samples (one
    program for every hidden activation and output, :func:`refnet.twin.network.gradients_by_index`)
    by running it once on zeros."""
    import jax.numpy as jnp

    from refnet.twin import network as twin_net

    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = jnp.zeros((dims[l], dims[l - 1]))
        p[f"b{l}"] = jnp.zeros((dims[l], 1))
    twin_net.gradients_by_index(p, jnp.zeros((dims[0], m)), jnp.zeros((dims[-1], m)), 0, 0)


def compile_twins(*, activations=True, networks=True, dims=(3, 5, 4, 3), m=6):
    """Compile the JAX programs that :func:`judge_activation` and :func:`judge_network` run:
    ``jax.grad`` of the twin activations (orders 1 and 2) and of the twin network, one thread
    each.  XLA compiles without holding Python's lock, so on several cores the compiles run
    side by side (the tracing before them does not)."""
    from concurrent.futures import ThreadPoolExecutor

    import refnet.twin.network  # noqa: F401  (JAX is imported here, not in two threads at once)

    jobs = []
    if activations:
        jobs += [functools.partial(oracles.twin_derivative, "sigmoid", np.zeros(1), order)
                 for order in (1, 2)]
    if networks:
        jobs.append(functools.partial(compile_network_twin, dims, m))
    with ThreadPoolExecutor(max(len(jobs), 1)) as pool:
        for done in [pool.submit(job) for job in jobs]:
            done.result()


def _twin_network_gradient(p, X, Y, hidden, output):
    """jax.grad of the twin's cost, flat; the activation and the output as run-time indices,
    so one compile serves every network."""
    import jax.numpy as jnp

    from refnet.checking.flatten import flatten
    from refnet.twin import network as twin_net

    gt = twin_net.gradients_by_index({k: jnp.asarray(v) for k, v in p.items()}, jnp.asarray(X),
                                     jnp.asarray(Y), twin_net.HIDDEN.index(hidden),
                                     twin_net.OUTPUTS.index(output))
    return flatten({k: np.asarray(gt[k]) for k in p})[0]


def _network_check(name, p, X, Y, hidden, output, backward) -> Result:
    """The check a user runs on the same network: refnet.check.check_gradient of the loss."""
    from refnet import network as net
    from refnet.check import check_gradient

    def gradient(q):
        _, c = net.forward_propagation(X, q, hidden, output)
        return backward(q, c, X, Y, hidden, output)

    r = check_gradient(lambda q: net.loss(q, X, Y, hidden, output), gradient, p)
    return Result("network", name, label("grad", CHECK), r.record)


def judge_network(hidden, output, seed, *, backward=None, dims=(3, 5, 4, 3), m=6, scale=1.0):
    """Judge a backward pass (refnet's by default) on a seeded network with ``jax.grad`` of the
    twin, Richardson differences, the complex step (analytic activations), the check a user
    runs, and the correctly rounded gradient from an independent mpmath forward and backward
    pass.  Gradient entries are sums that can cancel, so each tolerance is a multiple of eps·S,
    S the backward pass run on absolute values (``checking.scales.network_gradient_scale``)."""
    from refnet import network as net
    from refnet import vectors
    from refnet.checking.flatten import flatten, unflatten
    from refnet.checking.scales import loss_rounding, network_gradient_scale

    act = act_mod.ACTIVATIONS[hidden]
    X, Y, p, cache = _network_problem(hidden, output, seed, dims, m, scale)
    backward = backward or net.backward_propagation
    g = backward(p, cache, X, Y, hidden, output)
    theta, layout = flatten(p)
    gv, _ = flatten({k: g["d" + k] for k in p})
    S, S1 = (flatten({k[1:]: v for k, v in network_gradient_scale(
        p, cache, X, Y, act.derivative, derivative_floor=floor,
        second_derivative=act.second_derivative).items()})[0] for floor in (0.0, 1.0))
    base = tol.NET_GRAD_ULPS * tol.EPS * S
    name = f"{hidden}-{output} #{seed}"
    entries = [f"d{k}[{', '.join(map(str, i))}]" for k, shape in layout for i in np.ndindex(*shape)]

    def row(oracle, ref, bound, **kw):
        return judged_row("network", name, oracle, gv, ref, np.abs(gv - ref) <= bound,
                          bound=bound, where=entries, **kw)

    def J(thetas):
        return net.loss(unflatten(thetas, layout), X, Y, hidden, output)

    gt = _twin_network_gradient(p, X, Y, hidden, output)
    rows = [row(label("grad", TWIN), gt, base + tol.TWIN_DERIVATIVE_ATOL * S1
                + tol.TWIN_RTOL * np.abs(gt) + tol.TWIN_ATOL)]
    L = len(dims) - 1
    rounding = float(loss_rounding(float(net.loss(p, X, Y, hidden, output)), cache[f"Z{L}"],
                                   cache[f"A{L}"], Y))
    est, err = oracles.richardson_gradient(J, theta,
                                           eval_error=tol.FD_EVAL_ULPS * tol.EPS * rounding)
    rows.append(row(label("grad", RICHARDSON), est, err + base))
    if act.analytic:
        est, err = oracles.complex_step_gradient(J, theta)
        rows.append(row(label("grad", COMPLEX_STEP), est, err + base))
    rows.append(_network_check(name, p, X, Y, hidden, output, backward))
    _, ref = vectors.network_reference(X, Y, p, hidden, output)
    rv, _ = flatten({k: ref["d" + k] for k in p})
    rows.append(row(label("grad", MPMATH), rv, base, ulps=oracles.ulps(gv, rv)))
    return rows


def _num(x, spec=".3g"):
    return "-" if x is None else format(x, spec)


def format_margin(m) -> str:
    """A margin in two digits, never rounded across 1 (0.996 is "0.99", 1.004 is "1.004")."""
    if m is None:
        return "-"
    s = f"{m:.2g}"
    if m < 1 <= float(s):
        return "0.99"
    if m > 1 >= float(s):
        return f"{m:.4g}" if float(f"{m:.4g}") > 1 else repr(float(m))
    return s


def format_table(rows) -> str:
    """One line per :class:`Result`: the errors, the worst margin (error/bound; at most 1
    passes), the points passed by a kink convention or by mpmath, and the verdict."""
    head = ("function", "oracle", "n", "max abs err", "max rel err", "max ulps", "margin",
            "kink", "mpmath", "verdict")
    body = []
    for r in rows:
        body.append((
            r.function, r.oracle, str(r.n), f"{r.max_abs:.3g}", _num(r.max_rel),
            _num(r.max_ulps, ".0f"), format_margin(r.margin), str(r.by_kink),
            str(r.decided_by_mpmath), "ok" if r.ok else f"MISMATCH ({r.failures})",
        ))
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
              for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    out += [line(b) for b in body]
    return "\n".join(out)
