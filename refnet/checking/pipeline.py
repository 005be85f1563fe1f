"""The one pipeline every check runs, parameterised by what differs between them.

A check sets up its :class:`~refnet.checking.problems.Problem` (a scalar f over x, an
elementwise f over z, a vector f, or the sampled part of a scalar f), the claimed values G and
what it knows (kinks, an exact oracle); then :func:`run` does the rest, the same for all:

1. the fast pass (:func:`~refnet.checking.judge.fast_pass`: the complex probe, the complex step
   or one central difference per coordinate), given G so that it stops where G is already
   verified and records where its stencil moved;
2. ``jax.grad`` of a twin, where the check has one (:func:`twin_oracle`);
3. the judge (:func:`~refnet.checking.judge.judge`), with the verdict options;
4. the report (:func:`~refnet.checking.report.build_report`): one record per check.

A change to how an element is judged lands here once.  The public entry points, with their
signatures and argument validation, are in :mod:`refnet.check`; this module never imports the
reference (the registry of activations), the study modules or the command line.
"""

from __future__ import annotations

import time

import numpy as np

from refnet import tolerances as tol
from refnet.checking.errors import Abort
from refnet.checking.flatten import Layout, flatten, flatten_like, precision
from refnet.checking.judge import fast_pass, judge
from refnet.checking.options import point
from refnet.checking.problems import (
    call,
    elementwise_problem,
    real_out,
    scalar_problem,
    vector_problem,
)
from refnet.checking.report import Report, build_report, error_report
from refnet.oracles import TWIN
from refnet.oracles.differences import default_step

__all__ = ["derivative", "gradient", "jacobian", "kink_sides", "run", "twin_oracle"]


def twin_oracle(t) -> tuple:
    """``jax.grad`` of a twin, ``t`` (n, 1), as a fast-pass oracle: (estimate, error bar,
    available), the bar TWIN_RTOL |t| + TWIN_ATOL (tolerances)."""
    t = np.asarray(t, dtype=np.float64)
    return t, tol.TWIN_RTOL * np.abs(t) + tol.TWIN_ATOL, np.ones(t.shape[0], bool)


def run(kind, prob, v, G, *, lay, opts, t0, eps, complex_step="auto", rng=None, out_lay=None,
        twin=None, skip=None, extra=None, known_kink=None, near_side=None,
        arbiter=None, scale=0.0) -> tuple:
    """Judge ``G`` (n, p) against the problem ``prob`` at ``v`` and report it.  Returns
    ``(report, judged)``; raises :class:`Abort` where f misbehaves (the caller reports it).

    ``twin``: the twin's derivative (n, 1) or None; ``skip``: coordinates the fast pass leaves
    to the judge (at or beside a kink); ``extra``, ``known_kink``, ``near_side``, ``arbiter``:
    as :func:`~refnet.checking.judge.judge` takes them; ``scale``: a floor of the gradient's
    scale S the lossy scale is taken from (a projection's sum of |terms|)."""
    rng = np.random.default_rng(0) if rng is None else rng
    idx = np.arange(prob.n)
    if twin is not None:
        # the twin's derivative costs nothing more per element: where it accepts an element
        # (as the fast pass would, _stage_fast), the fast pass does not evaluate f for it
        with np.errstate(invalid="ignore"):
            agree = (np.abs(G - twin) <= tol.CHECK_FAST_RTOL * np.maximum(np.abs(G), np.abs(twin))
                     + tol.CHECK_ATOL).all(axis=1)
        if skip is not None:
            agree &= ~skip
        idx = np.flatnonzero(~agree)
    fp = fast_pass(prob, v, idx, complex_step, rng, skip=skip, G=G)
    fast = fp.oracles
    if twin is not None:
        fast[TWIN] = twin_oracle(twin)
    judged = judge(prob, v, G, fast=fast, extra=extra or {}, known_kink=known_kink,
                   near_side=near_side, line=fp.line, arbiter=arbiter, slope=max(fp.slope, scale),
                   accept_only=fp.accept_only, moved=fp.moved, eps=eps, rtol=opts["rtol"],
                   atol=opts["atol"], strict=opts["strict"])
    report = build_report(kind, lay, out_lay, G, judged, t0, fp.complex_safe, fp.why, opts)
    return report, judged


def gradient(f, grad, x, *, opts, twin=None, complex_step="auto", seed=0,
             vectorized=False, t0=None, scale=0.0) -> Report:
    """The check of ``grad`` against the gradient of the scalar ``f`` at ``x`` (an array or a
    dict of arrays); the arguments are :func:`refnet.check.check_gradient`'s, validated
    (``scale`` as :func:`run` takes it)."""
    t0 = time.perf_counter() if t0 is None else t0
    v, lay = flatten(x)
    point("x", v, lay)
    try:
        raw_f = call(f, lay.unflatten(v[None, :].copy() if vectorized else v.copy()))
        f0 = real_out(raw_f, 1)
        if not np.isfinite(f0).all():
            raise Abort(f"f is not finite at x: {f0[0]}")
        raw_g = call(grad, lay.unflatten(v.copy()), "grad")
        G = flatten_like(lay, raw_g)[:, None]
        prob = scalar_problem(f, lay, v, f0[0], vectorized=vectorized)
        prob.eps = precision(raw_f)
        t = None
        if twin is not None:
            from refnet.oracles.autodiff import twin_gradient

            t = twin_gradient(twin, lay, v)[:, None]
        report, _ = run("check_gradient", prob, v, G, lay=lay, opts=opts, t0=t0,
                        eps=max(prob.eps, precision(raw_g)), complex_step=complex_step,
                        rng=np.random.default_rng(seed), twin=t, scale=scale)
    except Abort as exc:
        return error_report("check_gradient", lay.n, str(exc), t0, opts)
    return report


def kink_sides(flat, kinks, h0=tol.FD_H0):
    """``(known, side)`` per element of ``flat``: exactly on one of ``kinks``, and the side
    (+1 above, -1 below, 0 neither) of one within the largest difference step of it."""
    known = np.zeros(flat.size, bool)
    side = np.zeros(flat.size, int)
    h = default_step(flat, h0)
    for k in kinks:
        known |= flat == k
        near = (flat != k) & (np.abs(flat - k) <= h)
        side = np.where(near, np.where(flat > k, 1, -1), side)
    return known, side


def _plain_point(name, x):
    """A plain array point as float64, its layout and flat view, validated
    (:func:`~refnet.checking.options.point`)."""
    x = np.asarray(x, dtype=np.float64)
    lay = Layout((None,), (x.shape,))
    point(name, x.ravel(), lay)
    return x, lay, x.ravel()


def derivative(fn, dfn, z, *, opts, kinks=(), twin=None, complex_step="auto", mp=None,
               mp_all=False, t0=None) -> Report:
    """The check of ``dfn`` against the derivative of the elementwise ``fn`` at every element
    of ``z``.  ``mp(rows) -> (estimate, bar)``, where given, is an exact oracle (mpmath's
    correctly rounded derivative): it decides the elements the differences leave unresolved,
    or (``mp_all``) judges every element."""
    t0 = time.perf_counter() if t0 is None else t0
    z, lay, flat = _plain_point("z", z)
    try:
        raw_f = call(fn, flat.copy())
        f0 = real_out(raw_f, flat.size)
        if not np.isfinite(f0).all():
            i = int(np.flatnonzero(~np.isfinite(f0))[0])
            raise Abort(f"f is not finite at z[{np.unravel_index(i, z.shape)}] = {flat[i]}")
        raw_g = call(dfn, z.copy(), "df")
        G = flatten_like(lay, raw_g, "df")[:, None]
        prob = elementwise_problem(fn, flat, f0)
        prob.eps = precision(raw_f)
        known, side = kink_sides(flat, kinks)
        t = None
        if twin is not None:
            from refnet.oracles.autodiff import twin_elementwise_derivative

            t = twin_elementwise_derivative(twin, flat)[:, None]
        extra, arbiter = {}, None
        if mp is not None:
            from refnet.oracles import MPMATH

            if mp_all:
                m, e = mp(np.arange(flat.size))
                extra[MPMATH] = (m, e, np.ones(flat.size, bool))
            else:
                arbiter = (MPMATH, mp)
        report, _ = run("check_derivative", prob, flat, G, lay=lay, opts=opts, t0=t0,
                        eps=max(prob.eps, precision(raw_g)), complex_step=complex_step,
                        twin=t, skip=known | (side != 0), extra=extra, known_kink=known,
                        near_side=side, arbiter=arbiter)
    except Abort as exc:
        return error_report("check_derivative", flat.size, str(exc), t0, opts)
    return report


def jacobian(f, jac, x, *, opts, complex_step="auto", t0=None) -> Report:
    """The check of ``jac(x)`` (shape f(x).shape + x.shape) against the Jacobian of ``f``."""
    t0 = time.perf_counter() if t0 is None else t0
    x, lay, flat = _plain_point("x", x)
    try:
        raw_f = call(f, x.copy())
        f0 = np.asarray(raw_f)
        out_shape = f0.shape
        f0 = real_out(f0, f0.size)
        if not np.isfinite(f0).all():
            raise Abort("f is not finite at x")
        raw_j = call(jac, x.copy(), "jac")
        J = np.asarray(raw_j, dtype=np.float64)
        if J.shape != out_shape + x.shape:
            raise Abort(f"jac returned shape {J.shape}, expected {out_shape + x.shape}")
        if not np.isfinite(J).all():
            raise Abort("jac is not finite")
        G = J.reshape(f0.size, x.size).T  # (inputs, outputs)
        prob = vector_problem(f, lay, flat, f0)
        prob.eps = precision(raw_f)
        report, _ = run("check_jacobian", prob, flat, G, lay=lay, opts=opts, t0=t0,
                        eps=max(prob.eps, precision(raw_j)), complex_step=complex_step,
                        out_lay=Layout((None,), (out_shape,)))
    except Abort as exc:
        return error_report("check_jacobian", x.size, str(exc), t0, opts)
    return report
