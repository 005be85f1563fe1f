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

    Every element of ``grad(x)`` is compared with independent oracles (the complex step where
    ``f`` is complex-safe: probed, not assumed; central and Richardson differences always;
    ``jax.grad`` of ``twin`` if given) and ends in one of five states (verified, subgradient,
    lossy, unresolved, mismatch); the headline is OK, INCONCLUSIVE or MISMATCH (see
    :class:`~refnet.checking.report.Report`).  Nothing raises for a misbehaving ``f`` or
    ``grad``: where either raises, returns the wrong structure or NaN, the report's verdict is
    ERROR and its ``error`` says what happened.

    Parameters
    ----------
    f : callable
        The scalar function: ``f(x)`` returns a number (a Python float, a NumPy scalar or a
        one-element array).  It may be evaluated at complex points (the complex-step probe);
        one that rejects them (``float()`` of the result) is checked by differences.
    grad : callable
        The gradient to check: ``grad(x)`` returns the structure of ``x`` (an array of its shape,
        or a dict with the same keys, or the keys of a backward pass: ``dW1`` for ``W1``).
    x : array_like or dict of array_like
        The point: a real array, or a dict of real arrays (a network's parameters).  It needs at
        least one element, and every element finite.
    twin : callable or None, default None
        An optional JAX-traceable twin of ``f`` whose ``jax.grad`` joins the fast pass (compiled
        once per twin and shape; needs ``jax``).
    complex_step : {"auto", True, False}, default "auto"
        "auto" probes whether ``f`` is complex-safe and uses the complex step where it is;
        True requires it (the report is ERROR where ``f`` is not complex-safe); False never
        uses it.
    seed : int or None, default 0
        Seed of the random directions (the complex-step probe, the line along which the noise
        of ``f`` is measured) and of the coordinates ``sample=`` draws; None draws a fresh seed.
    rtol : float or None, default None
        Relative tolerance of each comparison, beyond the oracle's own error bar; None means
        ``tolerances.CHECK_RTOL`` (1e-12).
    atol : float or None, default None
        The lossy scale: a disagreement below it is lossy, not a mismatch.  None means
        ``CHECK_LOSSY_ULPS`` eps times the gradient's scale S (the largest of |g| and of every
        oracle's value); 0 judges every element relative to itself.
    strict : bool, default False
        Whether lossy elements fail too.
    accept_inconclusive : bool, default False
        Whether ``report.ok`` is true for INCONCLUSIVE (nothing failed, some elements
        unresolved) as well as for OK.
    sample : int or None, default None
        ``sample=N`` (for large x) judges N seeded random coordinates and a few random
        directions (grad·d against f's derivative along d) instead of every coordinate; the
        report states the detection guarantee (:mod:`refnet.checking.sampling`).  None judges
        every coordinate.
    vectorized : bool, default False
        ``vectorized=True``: ``f`` takes ``x`` with a leading batch axis (each array
        ``(B, ...)``) and returns the ``(B,)`` values, so that a whole stencil (every coordinate
        moved once) is one call per chunk of points instead of one call per point.  ``grad``
        is called on ``x`` itself.  Not with ``sample=``.
    progress : bool, default False
        ``progress=True`` shows a tqdm bar on stderr counting the calls of ``f`` (a check of a
        large x through a slow f runs for a while; ``refnet check`` shows it on a terminal).

    Returns
    -------
    Report
        The verdict, per element and overall: ``report.ok``, ``report.verdict``,
        ``report.counts``, ``report.summary()``, ``print(report)`` for the table.

    Raises
    ------
    InvalidArgument
        For an argument the check cannot use (a ``ValueError`` naming it): an option of the
        wrong type or range (``complex_step="yes"``, ``rtol=-1``, ``strict="no"``,
        ``sample=0``, ``seed=-1``), ``f``, ``grad`` or ``twin`` not callable, ``vectorized=True``
        with ``sample=``, or a point with no element or a non-finite one.
    TypeError
        Where ``x`` is not a real numeric array or a dict of them (complex or string dtype,
        ragged parts), or for a misspelled keyword.

    See Also
    --------
    check_derivative : The derivative of an elementwise function.
    check_jacobian : The Jacobian of a vector function.
    check_vjp : A vector-Jacobian product, without forming the Jacobian.
    refnet.testing.assert_gradients_ok : This check, raising ``AssertionError`` unless OK.

    Examples
    --------
    A correct gradient:

    >>> from refnet.check import check_gradient
    >>> report = check_gradient(lambda x: float(np.sum(x**2)), lambda x: 2*x, np.arange(3.0))
    >>> report.ok
    True
    >>> report.summary()
    'refnet check_gradient: OK - 3 elements: 3 verified'

    A planted bug over a dict of parameters: tanh's derivative written ``1 - t`` instead of
    ``1 - t**2``.  Every element is a mismatch, and the headline names the worst:

    >>> p = {"w": np.array([0.5, -1.0]), "b": np.array([0.25])}
    >>> def f(p):
    ...     return np.sum(np.tanh(p["w"] + p["b"]))
    >>> def grad(p):
    ...     d = 1 - np.tanh(p["w"] + p["b"])        # bug: should be 1 - tanh(...)**2
    ...     return {"w": d, "b": np.array([d.sum()])}
    >>> report = check_gradient(f, grad, p)
    >>> report.verdict, report.ok
    ('MISMATCH', False)
    >>> report.counts["mismatch"], report.counts["verified"]
    (3, 0)
    >>> print(report.summary())
    refnet check_gradient: MISMATCH - 3 elements: 3 mismatch;
    worst w[1]: 1.635149e+00 vs 5.965858e-01 in b, w
    >>> report.worst["name"], report.worst["oracle"]
    ('w[1]', 'complex step')
    >>> print(report)
    refnet check_gradient: MISMATCH ...
    worst element: w[1] (mismatch, margin ...; disagrees with the complex step beyond its error bar)
    ...

    A function that raises is reported, not raised:

    >>> print(check_gradient(lambda x: 1 / 0, lambda x: x, np.ones(2)).summary())
    refnet check_gradient: ERROR - 2 elements: none judged;
    error: f raised ZeroDivisionError: division by zero
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

    The gradient's scale S that sets the default lossy scale is the largest |f'| among the
    points checked together, so check a representative range of z or pass ``atol``.

    Parameters
    ----------
    f : callable or str
        The elementwise function (``f(z)`` has the shape of ``z``), or the name of a registry
        activation (``"sigmoid"``, ``"leaky_relu"``, ...: :data:`refnet.activations.ACTIVATIONS`).
    df : callable
        The derivative to check: ``df(z)`` returns f'(z) elementwise, with the shape of ``z``.
        For a registry activation it is called as ``df(z, **params)`` if it accepts them.
    z : array_like
        The points, any shape; at least one, every one finite.
    kinks : array_like or None, default None
        More points where ``f`` is not differentiable (a registry activation's own kinks are
        always added).
    params : dict or None, default None
        Parameters of a registry activation (``{"alpha": 0.1}`` for leaky_relu), over its
        defaults; passed to the forward, and to ``df`` only if it accepts them.
    mpmath : {"auto", True, False}, default "auto"
        For a registry activation: "auto" lets mpmath decide the elements the other oracles
        leave unresolved; True judges every element by it too (a registry activation is
        required); False never asks it.
    twin : callable or None, default None
        An optional scalar JAX function of one number whose vmapped ``jax.grad`` joins the fast
        pass (needs ``jax``).
    complex_step : {"auto", True, False}, default "auto"
        "auto" probes whether ``f`` is complex-safe and uses the complex step where it is;
        True requires it; False never uses it.
    rtol : float or None, default None
        Relative tolerance of each comparison, beyond the oracle's error bar; None means
        ``tolerances.CHECK_RTOL`` (1e-12).
    atol : float or None, default None
        The lossy scale (None: ``CHECK_LOSSY_ULPS`` eps S; 0: every element judged relative to
        itself).
    strict : bool, default False
        Whether lossy elements fail too.
    accept_inconclusive : bool, default False
        Whether ``report.ok`` is true for INCONCLUSIVE as well as for OK.

    Returns
    -------
    Report
        One element per element of ``z`` (a kink's element is a subgradient where ``df`` gives
        a value between the one-sided derivatives).

    Raises
    ------
    InvalidArgument
        For an option it cannot use (``mpmath="yes"``, ``complex_step="yes"``, ``rtol=-1``,
        ...), ``f``, ``df`` or ``twin`` not callable, ``mpmath=True`` for a function outside the
        registry, ``params`` that is not a dict, or a ``z`` with no element or a non-finite one.
    KeyError
        For an unknown activation name; the message names the nearest (``'sigmod'``: did you
        mean ``'sigmoid'``?).

    See Also
    --------
    check_gradient : The gradient of a scalar function of many variables.
    refnet.testing.assert_derivative_matches : A registry derivative against mpmath's
        correctly rounded values at a fixed set of hard points.

    Examples
    --------
    >>> from refnet.check import check_derivative
    >>> report = check_derivative(np.tanh, lambda z: 1 - np.tanh(z)**2, [-3.0, 0.5, 2.0])
    >>> report.summary()
    'refnet check_derivative: OK - 3 elements: 3 verified'

    At a kink, a value between the one-sided derivatives is a subgradient (relu'(0) = 0 here):

    >>> relu = lambda z: np.maximum(z, 0.0)
    >>> report = check_derivative(relu, lambda z: (z > 0) * 1.0, [-1.0, 0.0, 2.0])
    >>> report.ok, report.counts["subgradient"]
    (True, 1)

    A registry activation by name, with mpmath judging every element as well:

    >>> s = lambda z: 1 / (1 + np.exp(-z))
    >>> report = check_derivative("sigmoid", lambda z: s(z) * (1 - s(z)), [-2.0, 0.0, 3.0],
    ...                           mpmath=True)
    >>> report.verdict, sorted(report.oracles)
    ('OK', ['complex step', 'mpmath'])

    A planted bug (tanh' written ``1 - tanh(z)``):

    >>> report = check_derivative(np.tanh, lambda z: 1 - np.tanh(z), [-1.0, 0.5, 2.0])
    >>> print(report.summary())
    refnet check_derivative: MISMATCH - 3 elements: 3 mismatch; worst [0]: ... vs ...
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

    Element ``[i..., j...]`` of the Jacobian is the derivative of output ``i`` with respect to
    input ``j``; each is judged as :func:`check_gradient` judges an element of a gradient (the
    complex step where ``f`` is complex-safe, else differences), and where ``f`` or ``jac``
    raises, returns the wrong shape or NaN the report's verdict is ERROR.

    Parameters
    ----------
    f : callable
        The vector function: ``f(x)`` returns a real array (any shape).
    jac : callable
        The Jacobian to check: ``jac(x)`` returns an array of shape ``f(x).shape + x.shape``.
    x : array_like
        The point, a real array (not a dict); at least one element, every one finite.
    complex_step : {"auto", True, False}, default "auto"
        "auto" probes whether ``f`` is complex-safe and uses the complex step where it is;
        True requires it; False never uses it.
    rtol : float or None, default None
        Relative tolerance of each comparison, beyond the oracle's error bar; None means
        ``tolerances.CHECK_RTOL`` (1e-12).
    atol : float or None, default None
        The lossy scale (None: ``CHECK_LOSSY_ULPS`` eps S, S the Jacobian's scale; 0: every
        element judged relative to itself).
    strict : bool, default False
        Whether lossy elements fail too.
    accept_inconclusive : bool, default False
        Whether ``report.ok`` is true for INCONCLUSIVE as well as for OK.
    progress : bool, default False
        ``progress=True``: a tqdm bar on stderr counting the calls of ``f``.

    Returns
    -------
    Report
        One element per entry of the Jacobian, named by its output's index, then its input's.

    Raises
    ------
    InvalidArgument
        For an option it cannot use (``complex_step="yes"``, ``rtol=-1``, ...), ``f`` or
        ``jac`` not callable, or an ``x`` with no element or a non-finite one.

    See Also
    --------
    check_gradient : The gradient of a scalar function.
    check_jvp : A Jacobian-vector product, without forming the Jacobian.

    Examples
    --------
    >>> from refnet.check import check_jacobian
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    >>> f = lambda x: np.tanh(A @ x)
    >>> jac = lambda x: (1 - np.tanh(A @ x) ** 2)[:, None] * A
    >>> report = check_jacobian(f, jac, np.array([0.1, -0.2]))
    >>> report.summary()
    'refnet check_jacobian: OK - 6 elements: 6 verified'

    Forgetting tanh's derivative leaves only the entry where A is 0 right:

    >>> report = check_jacobian(f, lambda x: A, np.array([0.1, -0.2]))
    >>> report.verdict, report.counts["mismatch"]
    ('MISMATCH', 5)
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
