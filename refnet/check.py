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

from refnet._threads import single_blas_thread
from refnet.checking import pipeline
from refnet.checking.options import InvalidArgument, choice, count, flag, invalid, verdict_options
from refnet.checking.problems import bind_params, calls_shown
from refnet.checking.products import check_hvp, check_jvp, check_vjp
from refnet.checking.report import Report

# the exact oracles (jax and mpmath) are imported on first use: `import refnet.check` stays light

__all__ = ["InvalidArgument", "Report", "check_derivative", "check_gradient",
           "check_hvp", "check_jacobian", "check_jvp", "check_vjp"]


def check_gradient(f: Callable, grad: Callable, x, *, twin: Callable | None = None,
                   complex_step="auto", seed: int = 0, rtol: float | None = None,
                   atol: float | None = None, strict: bool = False,
                   accept_inconclusive: bool = False, sample: int | None = None,
                   vectorized: bool = False, progress: bool = False) -> Report:
    """Check ``grad`` against the gradient of the scalar function ``f`` at ``x``.

    ``x`` is an array or a dict of arrays; ``grad(x)`` must return the same structure.  ``twin``
    is an optional JAX-traceable twin of ``f`` whose ``jax.grad`` joins the fast pass (compiled
    once per twin and shape).  ``complex_step`` is "auto" (probe), True (require) or False.
    Returns a :class:`Report`; nothing raises for a misbehaving f or grad (the report says); an
    argument the check cannot use raises :class:`~refnet.checking.options.InvalidArgument`.

    ``rtol``, ``atol``, ``strict``, ``accept_inconclusive``: the verdict options (see the module
    docstring).

    ``sample=N`` (for large x) judges N seeded random coordinates and a few random directions
    (grad·d against f's derivative along d) instead of every coordinate; the report states the
    detection guarantee (:mod:`refnet.checking.sampling`).

    ``vectorized=True``: ``f`` takes ``x`` with a leading batch axis (each array ``(B, ...)``)
    and returns the ``(B,)`` values, so that a whole stencil (every coordinate moved once) is one
    call per chunk of points instead of one call per point.  ``grad`` is called on ``x`` itself.

    ``progress=True`` shows a tqdm bar on stderr counting the calls of ``f`` (a check of a
    large x through a slow f runs for a while; ``refnet check`` shows it on a terminal).
    """
    t0 = time.perf_counter()
    opts = verdict_options(rtol, atol, strict, accept_inconclusive)
    complex_step = choice("complex_step", complex_step)
    seed = None if seed is None else count("seed", seed, at_least=0)  # None: a fresh seed
    vectorized = flag("vectorized", vectorized)
    _callable("f", f), _callable("grad", grad), _callable("twin", twin, optional=True)
    with single_blas_thread(), calls_shown(f, flag("progress", progress), "check_gradient") as f:
        if sample is not None:
            from refnet.checking.sampling import check_sampled

            if vectorized:
                raise invalid("vectorized", "False with sample= (a sampled check moves one "
                              "coordinate or direction at a time)", vectorized)
            return check_sampled(f, grad, x, sample=count("sample", sample), twin=twin,
                                 complex_step=complex_step, seed=seed, opts=opts, t0=t0)
        return pipeline.gradient(f, grad, x, opts=opts, twin=twin, complex_step=complex_step,
                                 seed=seed, vectorized=vectorized, t0=t0)


def registry_entry(f):
    """The registry activation ``f`` names or is the forward of, else None (KeyError for an
    unknown name)."""
    from refnet.activations import ACTIVATIONS

    if isinstance(f, str):
        return ACTIVATIONS[f]  # a KeyError naming the nearest activation
    for a in ACTIVATIONS.values():
        if f is a.forward:
            return a
    return None


def check_derivative(f, df: Callable, z, *, kinks=None, params=None, mpmath="auto",
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
    it too (a registry activation is then required), ``mpmath=False`` never (such elements stay
    unresolved).  The complex step fails an element only where the differences do not
    contradict it (through a quotient like soft_sign's z/(1 + z) its imaginary part can
    cancel).  ``twin`` is an optional scalar JAX function whose vmapped ``jax.grad`` joins the
    fast pass.  A registry's parameters (``params`` and the defaults, e.g. leaky_relu's alpha)
    are passed to ``df`` only if it accepts them.

    ``rtol``, ``atol``, ``strict``, ``accept_inconclusive``: the verdict options (see the module
    docstring).
    """
    t0 = time.perf_counter()
    opts = verdict_options(rtol, atol, strict, accept_inconclusive)
    complex_step = choice("complex_step", complex_step)
    mpmath = choice("mpmath", mpmath)
    _callable("df", df), _callable("twin", twin, optional=True)
    entry = registry_entry(f)
    if entry is None:
        _callable("f", f)
    if mpmath is True and entry is None:
        raise invalid("mpmath", "'auto' or False for a function outside the registry (True "
                      "needs a registry activation: its name or its forward)", mpmath)
    if params is not None and not isinstance(params, dict):
        raise invalid("params", "a dict of the activation's parameters", params)
    params = dict(entry.params if entry is not None else {}, **(params or {}))
    fn = entry.forward if entry is not None else f
    if params:
        base = fn
        fn = lambda a: base(a, **params)
    kinks = (() if kinks is None else tuple(float(k) for k in np.ravel(kinks))) + \
        (tuple(entry.kinks) if entry is not None else ())
    mp = None
    if entry is not None and mpmath is not False:
        from refnet.oracles.mpmath import mp_derivative

        z_flat = np.asarray(z, dtype=np.float64).ravel()
        mp = lambda rows, name=entry.name: mp_derivative(name, z_flat[rows], params)
    with single_blas_thread():
        return pipeline.derivative(fn, bind_params(df, params), z, opts=opts, kinks=kinks,
                                   twin=twin, complex_step=complex_step, mp=mp,
                                   mp_all=mpmath is True, t0=t0)


def check_jacobian(f: Callable, jac: Callable, x, *, complex_step="auto",
                   rtol: float | None = None, atol: float | None = None, strict: bool = False,
                   accept_inconclusive: bool = False, progress: bool = False) -> Report:
    """Check ``jac(x)`` (shape f(x).shape + x.shape) against the Jacobian of ``f`` at ``x``.

    ``rtol``, ``atol``, ``strict``, ``accept_inconclusive``: the verdict options (see the module
    docstring).  ``progress=True``: a tqdm bar on stderr counting the calls of ``f``.
    """
    t0 = time.perf_counter()
    opts = verdict_options(rtol, atol, strict, accept_inconclusive)
    complex_step = choice("complex_step", complex_step)
    _callable("f", f), _callable("jac", jac)
    with single_blas_thread(), calls_shown(f, flag("progress", progress), "check_jacobian") as f:
        return pipeline.jacobian(f, jac, x, opts=opts, complex_step=complex_step, t0=t0)


def _callable(name, fn, optional=False):
    if fn is None and optional:
        return
    if not callable(fn):
        raise invalid(name, "a callable" + (" or None" if optional else ""), fn)
