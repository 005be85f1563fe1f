"""Checking a gradient against independent oracles, with verdicts you can trust.

``check_gradient(f, grad, x)`` checks the gradient of a scalar function of an array or a dict of
arrays, ``check_derivative(f, df, z)`` the derivative of an elementwise function, and
``check_jacobian(f, jac, x)`` the Jacobian of a vector function.  Each returns a
:class:`~refnet.checking.report.Report`.

Verdict options, the same for every check: ``rtol`` (default ``CHECK_RTOL``) is the relative
tolerance of each comparison beyond the oracle's error bar; ``atol`` replaces the lossy scale
(default ``CHECK_LOSSY_ULPS`` eps times the gradient's scale): a disagreement below it is lossy,
not a mismatch; ``strict=True`` fails lossy elements too; ``accept_inconclusive=True`` makes
``Report.ok`` true when nothing failed but some elements stayed unresolved.  See
:mod:`refnet.checking.report` for the five states.  How an element is judged is in
:mod:`refnet.checking.judge`; the tolerances and their reasons in :mod:`refnet.tolerances`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from refnet import tolerances as tol
from refnet.checking.errors import Abort
from refnet.checking.flatten import Layout, flatten, flatten_like, precision
from refnet.checking.judge import fast_pass, judge
from refnet.checking.problems import (
    bind_params,
    call,
    elementwise_problem,
    real_out,
    scalar_problem,
    vector_problem,
)
from refnet.checking.report import Report, build_report, error_report
from refnet.oracles import MPMATH, TWIN
from refnet.oracles.differences import default_step

# the exact oracles (jax and mpmath) are imported on first use: `import refnet.check` stays light

__all__ = ["Report", "check_gradient", "check_derivative", "check_jacobian"]


def _one_blas_thread(check):
    """Run ``check`` with NumPy's BLAS on one thread: a check evaluates f thousands of times on
    small matrices, where handing each product to a thread pool costs more than the product
    (measured in benchmarks/run.py: the saturated 20-64-10 network's check)."""
    import functools

    from refnet._threads import single_blas_thread

    @functools.wraps(check)
    def wrapped(*args, **kwargs):
        with single_blas_thread():
            return check(*args, **kwargs)

    wrapped.__name__ = wrapped.__qualname__ = check.__name__.lstrip("_")
    return wrapped


def _options(rtol, atol, strict, accept_inconclusive) -> dict:
    for name, v in (("rtol", rtol), ("atol", atol)):
        if v is not None and not (np.isfinite(v) and v >= 0):
            raise ValueError(f"{name}: expected a finite number >= 0, got {v!r}")
    return {"rtol": rtol, "atol": atol, "strict": bool(strict),
            "accept_inconclusive": bool(accept_inconclusive)}


def _verdict(opts) -> dict:
    return {"rtol": opts["rtol"], "atol": opts["atol"], "strict": opts["strict"]}


def _check_gradient(f: Callable, grad: Callable, x, *, twin: Callable | None = None,
                   complex_step="auto", seed: int = 0, rtol: float | None = None,
                   atol: float | None = None, strict: bool = False,
                   accept_inconclusive: bool = False, sample: int | None = None,
                   vectorized: bool = False) -> Report:
    """Check ``grad`` against the gradient of the scalar function ``f`` at ``x``.

    ``x`` is an array or a dict of arrays; ``grad(x)`` must return the same structure.  ``twin``
    is an optional JAX-traceable twin of ``f`` whose ``jax.grad`` joins the fast pass (compiled
    once per twin and shape).  ``complex_step`` is "auto" (probe), True (require) or False.
    Returns a :class:`Report`; nothing raises for a misbehaving f or grad (the report says).

    ``rtol``, ``atol``, ``strict``, ``accept_inconclusive``: the verdict options (see the module
    docstring).

    ``sample=N`` (for large x) judges N seeded random coordinates and a few random directions
    (grad·d against f's derivative along d) instead of every coordinate; the report states the
    detection guarantee (:mod:`refnet.checking.sampling`).

    ``vectorized=True``: ``f`` takes ``x`` with a leading batch axis (each array ``(B, ...)``)
    and returns the ``(B,)`` values, so that a whole stencil (every coordinate moved once) is one
    call per chunk of points instead of one call per point.  ``grad`` is called on ``x`` itself.
    """
    t0 = time.perf_counter()
    opts = _options(rtol, atol, strict, accept_inconclusive)
    if sample is not None:
        from refnet.checking.sampling import check_sampled

        return check_sampled(f, grad, x, sample=sample, twin=twin, complex_step=complex_step,
                             seed=seed, opts=opts, t0=t0)
    v, lay = flatten(x)
    try:
        raw_f = call(f, lay.unflatten(v[None, :].copy() if vectorized else v.copy()))
        f0 = real_out(raw_f, 1)
        if not np.isfinite(f0).all():
            raise Abort(f"f is not finite at x: {f0[0]}")
        raw_g = call(grad, lay.unflatten(v.copy()), "grad")
        G = flatten_like(lay, raw_g)[:, None]
        prob = scalar_problem(f, lay, v, f0[0], vectorized=vectorized)
        prob.eps = precision(raw_f)
        rng = np.random.default_rng(seed)
        fp = fast_pass(prob, v, np.arange(lay.n), complex_step, rng, G=G)
        fast, safe, why = fp.oracles, fp.complex_safe, fp.why
        if twin is not None:
            from refnet.oracles.autodiff import twin_gradient

            t = twin_gradient(twin, lay, v)[:, None]
            fast[TWIN] = (t, tol.TWIN_RTOL * np.abs(t) + tol.TWIN_ATOL, np.ones(lay.n, bool))
        judged = judge(prob, v, G, fast=fast, extra={}, line=fp.line, slope=fp.slope,
                       accept_only=fp.accept_only, moved=fp.moved,
                       eps=max(prob.eps, precision(raw_g)), **_verdict(opts))
    except Abort as exc:
        return error_report("check_gradient", lay.n, str(exc), t0, opts)
    return build_report("check_gradient", lay, None, G, judged, t0, safe, why, opts)


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


def _check_derivative(f, df: Callable, z, *, kinks=None, params=None, mpmath="auto",
                     twin: Callable | None = None, complex_step="auto",
                     rtol: float | None = None, atol: float | None = None, strict: bool = False,
                     accept_inconclusive: bool = False) -> Report:
    """Check the derivative ``df`` of an elementwise ``f`` at every element of ``z``.

    ``f`` is a function of an array (elementwise) or the name of a registry activation; a
    registry forward (or name) brings its kinks and default params.  ``kinks`` lists more z
    where f is not differentiable: an element there is judged by its one-sided derivatives, an
    element within a step of one by differences that stay on its side.  For a registry
    activation, mpmath's correctly rounded derivative decides every element the differences
    leave unresolved (``mpmath="auto"``, the default: the tails, where f has rounded to its
    limit and its differences say nothing about f'); ``mpmath=True`` judges every element by
    it too, ``mpmath=False`` never (such elements stay unresolved).  The complex step fails an
    element only where the differences do not contradict it (through a quotient like
    soft_sign's z/(1 + z) its imaginary part can cancel).  ``twin`` is an optional scalar JAX
    function whose vmapped ``jax.grad`` joins the fast pass.  A registry's parameters (``params``
    and the defaults, e.g. leaky_relu's alpha) are passed to ``df`` only if it accepts them.

    ``rtol``, ``atol``, ``strict``, ``accept_inconclusive``: the verdict options (see the module
    docstring).
    """
    t0 = time.perf_counter()
    opts = _options(rtol, atol, strict, accept_inconclusive)
    z = np.asarray(z, dtype=np.float64)
    entry = registry_entry(f)
    params = dict(entry.params if entry is not None else {}, **(params or {}))
    fn = entry.forward if entry is not None else f
    if params:
        base = fn
        fn = lambda a: base(a, **params)
    kinks = tuple(kinks or ()) + (tuple(entry.kinks) if entry is not None else ())
    lay = Layout((None,), (z.shape,))
    flat = z.ravel()
    try:
        raw_f = call(fn, flat.copy())
        f0 = real_out(raw_f, flat.size)
        if not np.isfinite(f0).all():
            i = int(np.flatnonzero(~np.isfinite(f0))[0])
            raise Abort(f"f is not finite at z[{np.unravel_index(i, z.shape)}] = {flat[i]}")
        dfn = bind_params(df, params)
        raw_g = call(dfn, z.copy(), "df")
        G = flatten_like(lay, raw_g, "df")[:, None]
        prob = elementwise_problem(fn, flat, f0)
        prob.eps = precision(raw_f)
        idx = np.arange(flat.size)
        known = np.zeros(flat.size, bool)
        side = np.zeros(flat.size, int)
        h0 = default_step(flat, tol.FD_H0)
        for k in kinks:
            known |= flat == k
            near = (flat != k) & (np.abs(flat - k) <= h0)
            side = np.where(near, np.where(flat > k, 1, -1), side)
        fp = fast_pass(prob, flat, idx, complex_step, np.random.default_rng(0),
                       skip=known | (side != 0), G=G)
        fast, safe, why = fp.oracles, fp.complex_safe, fp.why
        if twin is not None:
            from refnet.oracles.autodiff import twin_elementwise_derivative

            t = twin_elementwise_derivative(twin, flat)[:, None]
            fast[TWIN] = (t, tol.TWIN_RTOL * np.abs(t) + tol.TWIN_ATOL, np.ones(flat.size, bool))
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
                    extra[MPMATH] = (m, e, np.ones(flat.size, bool))
                else:
                    arbiter = (MPMATH, mp_oracle)
        judged = judge(prob, flat, G, fast=fast, extra=extra, known_kink=known, near_side=side,
                       line=fp.line, arbiter=arbiter, slope=fp.slope,
                       accept_only=fp.accept_only, moved=fp.moved,
                       eps=max(prob.eps, precision(raw_g)), **_verdict(opts))
    except Abort as exc:
        return error_report("check_derivative", flat.size, str(exc), t0, opts)
    return build_report("check_derivative", lay, None, G, judged, t0, safe, why, opts)


def _check_jacobian(f: Callable, jac: Callable, x, *, complex_step="auto",
                   rtol: float | None = None, atol: float | None = None, strict: bool = False,
                   accept_inconclusive: bool = False) -> Report:
    """Check ``jac(x)`` (shape f(x).shape + x.shape) against the Jacobian of ``f`` at ``x``.

    ``rtol``, ``atol``, ``strict``, ``accept_inconclusive``: the verdict options (see the module
    docstring).
    """
    t0 = time.perf_counter()
    opts = _options(rtol, atol, strict, accept_inconclusive)
    x = np.asarray(x, dtype=np.float64)
    lay = Layout((None,), (x.shape,))
    flat = x.ravel()
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
        fp = fast_pass(prob, flat, np.arange(flat.size), complex_step, np.random.default_rng(0),
                       G=G)
        fast, safe, why = fp.oracles, fp.complex_safe, fp.why
        judged = judge(prob, flat, G, fast=fast, extra={}, line=fp.line, slope=fp.slope,
                       accept_only=fp.accept_only, moved=fp.moved,
                       eps=max(prob.eps, precision(raw_j)), **_verdict(opts))
    except Abort as exc:
        return error_report("check_jacobian", x.size, str(exc), t0, opts)
    out_lay = Layout((None,), (out_shape,))
    return build_report("check_jacobian", lay, out_lay, G, judged, t0, safe, why, opts)


check_gradient = _one_blas_thread(_check_gradient)
check_derivative = _one_blas_thread(_check_derivative)
check_jacobian = _one_blas_thread(_check_jacobian)

# --- products (vjp, jvp, hvp): refnet.checking.products --------------------------------------
from refnet.checking.products import check_hvp, check_jvp, check_vjp  # noqa: E402

__all__ += ["check_hvp", "check_jvp", "check_vjp"]
