"""Checking a gradient against independent oracles, with verdicts you can trust.

``check_gradient(f, grad, x)`` checks the gradient of a scalar function of an array or a dict of
arrays, ``check_derivative(f, df, z)`` the derivative of an elementwise function, and
``check_jacobian(f, jac, x)`` the Jacobian of a vector function.  Each returns a
:class:`~refnet.checking.report.Report`.  How an element is judged is in
:mod:`refnet.checking.judge`; the tolerances and their reasons in :mod:`refnet.tolerances`.
"""

from __future__ import annotations

import time
from typing import Callable

import numpy as np

from refnet import tolerances as tol
from refnet.checking.errors import Abort
from refnet.checking.flatten import Layout, flatten, flatten_like
from refnet.checking.judge import fast_pass, judge
from refnet.checking.problems import call, elementwise_problem, real_out, scalar_problem, vector_problem
from refnet.checking.report import Report, build_report, error_report
from refnet.oracles.differences import default_step

# the exact oracles (jax and mpmath) are imported on first use: `import refnet.check` stays light

__all__ = ["Report", "check_gradient", "check_derivative", "check_jacobian"]


def check_gradient(f: Callable, grad: Callable, x, *, twin: Callable | None = None,
                   complex_step="auto", seed: int = 0) -> Report:
    """Check ``grad`` against the gradient of the scalar function ``f`` at ``x``.

    ``x`` is an array or a dict of arrays; ``grad(x)`` must return the same structure.  ``twin``
    is an optional JAX-traceable twin of ``f`` whose ``jax.grad`` joins the fast pass (compiled
    once per twin and shape).  ``complex_step`` is "auto" (probe), True (require) or False.
    Returns a :class:`Report`; nothing raises for a misbehaving f or grad (the report says).
    """
    t0 = time.perf_counter()
    v, lay = flatten(x)
    try:
        f0 = real_out(call(f, lay.unflatten(v.copy())), 1)
        if not np.isfinite(f0).all():
            raise Abort(f"f is not finite at x: {f0[0]}")
        G = flatten_like(lay, call(grad, lay.unflatten(v.copy()), "grad"))[:, None]
        prob = scalar_problem(f, lay, v, f0[0])
        rng = np.random.default_rng(seed)
        fast, safe, why, line_noise = fast_pass(prob, v, np.arange(lay.n), complex_step, rng)
        if twin is not None:
            from refnet.oracles.autodiff import twin_gradient

            t = twin_gradient(twin, lay, v)[:, None]
            fast["twin"] = (t, tol.TWIN_RTOL * np.abs(t) + tol.TWIN_ATOL, np.ones(lay.n, bool))
        judged = judge(prob, v, G, fast=fast, extra={}, line_noise=line_noise)
    except Abort as exc:
        return error_report("check_gradient", lay.n, str(exc), t0)
    return build_report("check_gradient", lay, None, G, judged, t0, safe, why)


def registry_entry(f):
    from refnet.activations import ACTIVATIONS

    if isinstance(f, str):
        if f not in ACTIVATIONS:
            raise KeyError(f"no activation named {f!r}; known: {sorted(ACTIVATIONS)}")
        return ACTIVATIONS[f]
    for a in ACTIVATIONS.values():
        if f is a.forward:
            return a
    return None


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
    entry = registry_entry(f)
    params = dict(entry.params if entry is not None else {}, **(params or {}))
    fn = entry.forward if entry is not None else f
    if params:
        base = fn
        fn = lambda a: base(a, **params)  # noqa: E731
    kinks = tuple(kinks or ()) + (tuple(entry.kinks) if entry is not None else ())
    lay = Layout((None,), (z.shape,))
    flat = z.ravel()
    try:
        f0 = real_out(call(fn, flat.copy()), flat.size)
        if not np.isfinite(f0).all():
            i = int(np.flatnonzero(~np.isfinite(f0))[0])
            raise Abort(f"f is not finite at z[{np.unravel_index(i, z.shape)}] = {flat[i]}")
        dfn = df if not params else (lambda a: df(a, **params))
        G = flatten_like(lay, call(dfn, z.copy(), "df"), "df")[:, None]
        prob = elementwise_problem(fn, flat, f0)
        idx = np.arange(flat.size)
        known = np.zeros(flat.size, bool)
        side = np.zeros(flat.size, int)
        h0 = default_step(flat, tol.FD_H0)
        for k in kinks:
            known |= flat == k
            near = (flat != k) & (np.abs(flat - k) <= h0)
            side = np.where(near, np.where(flat > k, 1, -1), side)
        fast, safe, why, line_noise = fast_pass(prob, flat, idx, complex_step,
                                                    np.random.default_rng(0),
                                                    skip=known | (side != 0))
        if twin is not None:
            from refnet.oracles.autodiff import twin_elementwise_derivative

            t = twin_elementwise_derivative(twin, flat)[:, None]
            fast["twin"] = (t, tol.TWIN_RTOL * np.abs(t) + tol.TWIN_ATOL, np.ones(flat.size, bool))
        extra, arbiter = {}, None
        if mpmath is True or mpmath == "auto":
            if entry is None and mpmath is True:
                raise Abort("mpmath=True needs a registry activation (a name or its forward)")
            if entry is not None:
                from refnet.oracles.mpmath import mp_derivative

                def mp_oracle(rows, name=entry.name):
                    return mp_derivative(name, flat[rows], params)
                if mpmath is True:
                    m, e = mp_oracle(np.arange(flat.size))
                    extra["mpmath"] = (m, e, np.ones(flat.size, bool))
                else:
                    arbiter = ("mpmath", mp_oracle)
        judged = judge(prob, flat, G, fast=fast, extra=extra, known_kink=known,
                        near_side=side, line_noise=line_noise, arbiter=arbiter)
    except Abort as exc:
        return error_report("check_derivative", flat.size, str(exc), t0)
    return build_report("check_derivative", lay, None, G, judged, t0, safe, why)


def check_jacobian(f: Callable, jac: Callable, x, *, complex_step="auto") -> Report:
    """Check ``jac(x)`` (shape f(x).shape + x.shape) against the Jacobian of ``f`` at ``x``."""
    t0 = time.perf_counter()
    x = np.asarray(x, dtype=np.float64)
    lay = Layout((None,), (x.shape,))
    flat = x.ravel()
    try:
        f0 = np.asarray(call(f, x.copy()))
        out_shape = f0.shape
        f0 = real_out(f0, f0.size)
        if not np.isfinite(f0).all():
            raise Abort("f is not finite at x")
        J = np.asarray(call(jac, x.copy(), "jac"), dtype=np.float64)
        if J.shape != out_shape + x.shape:
            raise Abort(f"jac returned shape {J.shape}, expected {out_shape + x.shape}")
        if not np.isfinite(J).all():
            raise Abort("jac is not finite")
        G = J.reshape(f0.size, x.size).T  # (inputs, outputs)
        prob = vector_problem(f, lay, flat, f0)
        fast, safe, why, line_noise = fast_pass(prob, flat, np.arange(flat.size), complex_step,
                                        np.random.default_rng(0))
        judged = judge(prob, flat, G, fast=fast, extra={}, line_noise=line_noise)
    except Abort as exc:
        return error_report("check_jacobian", x.size, str(exc), t0)
    out_lay = Layout((None,), (out_shape,))
    return build_report("jacobian", lay, out_lay, G, judged, t0, safe, why)
