"""Assertions for users' own test suites, built on :mod:`refnet.check`.

- ``assert_gradients_ok(f, grad, x, **options)``: :func:`refnet.check.check_gradient` and fail
  with its table.
- ``assert_derivative_matches(name, fn, ulps=4)``: a user's derivative of the registry activation
  ``name`` against mpmath's correctly rounded values over a fixed set of hard points (ulps where
  the value is normal, ``tolerances.SUBNORMAL_ABS`` absolute where it is subnormal).

Both raise ``AssertionError`` with a readable table, so pytest shows it as the failure message.
"""

from __future__ import annotations

import numpy as np

from refnet.check import Report, check_derivative, check_gradient, check_jacobian
from refnet.checking.problems import bind_params
from refnet.vectors import activation_points, network_case, network_cases

__all__ = ["assert_gradients_ok", "assert_derivative_ok", "assert_jacobian_ok",
           "assert_derivative_matches", "assert_gradients_match", "network_case_names"]


def assert_gradients_ok(f, grad, x, **options) -> Report:
    """Check ``grad`` against ``f`` at ``x`` and fail with the report's table unless it is ok.

    :func:`refnet.check.check_gradient` with ``options``, then :meth:`Report.assert_ok
    <refnet.checking.report.Report.assert_ok>`: for a test suite, where pytest shows the table
    (the summary line, the worst element, every failing element) as the failure message.

    Parameters
    ----------
    f : callable
        The scalar function, ``f(x)`` a number.
    grad : callable
        The gradient to check: ``grad(x)`` has the structure of ``x``.
    x : array_like or dict of array_like
        The point: an array or a dict of arrays.
    **options
        Any keyword of :func:`~refnet.check.check_gradient` (``rtol``, ``atol``, ``strict``,
        ``accept_inconclusive``, ``twin``, ``sample``, ``vectorized``, ...).

    Returns
    -------
    Report
        The report, where it is ok (OK, or INCONCLUSIVE with ``accept_inconclusive=True``).

    Raises
    ------
    AssertionError
        Unless the report is ok (MISMATCH, ERROR, or INCONCLUSIVE by default); the message is
        the report's table, its first line the summary.
    InvalidArgument
        For an option the check cannot use, as :func:`~refnet.check.check_gradient` raises it.

    See Also
    --------
    refnet.check.check_gradient : The check, returning the report instead of raising.
    assert_derivative_ok : The same for an elementwise derivative.

    Examples
    --------
    >>> from refnet.testing import assert_gradients_ok
    >>> assert_gradients_ok(lambda x: np.sum(x**2), lambda x: 2*x, np.arange(3.0)).verdict
    'OK'
    >>> assert_gradients_ok(lambda x: np.sum(x**2), lambda x: 3*x, np.array([1.0, 2.0]))
    Traceback (most recent call last):
    ...
    AssertionError: refnet check_gradient: MISMATCH - 2 elements: 2 mismatch; worst ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    return check_gradient(f, grad, x, **options).assert_ok()


def assert_derivative_ok(f, df, z, **options) -> Report:
    """Check the derivative ``df`` of an elementwise ``f`` and fail with the table unless ok.

    :func:`refnet.check.check_derivative` with ``options``, raising ``AssertionError`` with the
    table (:meth:`Report.assert_ok <refnet.checking.report.Report.assert_ok>`).

    Parameters
    ----------
    f : callable or str
        The elementwise function, or the name of a registry activation.
    df : callable
        The derivative to check, ``df(z)`` with the shape of ``z``.
    z : array_like
        The points.
    **options
        Any keyword of :func:`~refnet.check.check_derivative` (``kinks``, ``params``,
        ``mpmath``, ``rtol``, ``atol``, ``strict``, ``accept_inconclusive``, ...).

    Returns
    -------
    Report
        The report, where it is ok.

    Raises
    ------
    AssertionError
        Unless the report is ok; the message is the report's table.
    InvalidArgument
        For an option the check cannot use.
    KeyError
        For an unknown activation name.

    See Also
    --------
    refnet.check.check_derivative : The check, returning the report.
    assert_derivative_matches : A registry derivative against correctly rounded values.

    Examples
    --------
    >>> from refnet.testing import assert_derivative_ok
    >>> z = np.array([-3.0, 0.5, 2.0])
    >>> assert_derivative_ok(np.tanh, lambda z: 1 - np.tanh(z) ** 2, z).summary()
    'refnet check_derivative: OK - 3 elements: 3 verified'
    >>> assert_derivative_ok(np.tanh, lambda z: 1 - np.tanh(z), z)
    Traceback (most recent call last):
    ...
    AssertionError: refnet check_derivative: MISMATCH - 3 elements: 3 mismatch; worst ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    return check_derivative(f, df, z, **options).assert_ok()


def assert_jacobian_ok(f, jac, x, **options) -> Report:
    """Check the Jacobian ``jac`` of a vector function ``f`` and fail with the table unless ok.

    :func:`refnet.check.check_jacobian` with ``options``, raising ``AssertionError`` with the
    table (:meth:`Report.assert_ok <refnet.checking.report.Report.assert_ok>`).

    Parameters
    ----------
    f : callable
        The vector function, ``f(x)`` a real array.
    jac : callable
        The Jacobian to check, ``jac(x)`` of shape ``f(x).shape + x.shape``.
    x : array_like
        The point, a real array.
    **options
        Any keyword of :func:`~refnet.check.check_jacobian` (``complex_step``, ``rtol``,
        ``atol``, ``strict``, ``accept_inconclusive``, ``progress``).

    Returns
    -------
    Report
        The report, where it is ok.

    Raises
    ------
    AssertionError
        Unless the report is ok; the message is the report's table.
    InvalidArgument
        For an option the check cannot use.

    See Also
    --------
    refnet.check.check_jacobian : The check, returning the report.

    Examples
    --------
    >>> from refnet.testing import assert_jacobian_ok
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> assert_jacobian_ok(lambda x: A @ x, lambda x: A, np.array([0.5, -1.0])).counts["verified"]
    4
    >>> assert_jacobian_ok(lambda x: A @ x, lambda x: A.T, np.array([0.5, -1.0]))
    Traceback (most recent call last):
    ...
    AssertionError: refnet check_jacobian: MISMATCH - 4 elements: 2 verified, 2 mismatch; ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    return check_jacobian(f, jac, x, **options).assert_ok()


def assert_derivative_matches(name: str, fn, ulps: float = 4, **params) -> None:
    """Check a user's derivative of a registry activation against mpmath's correctly rounded one.

    ``fn(z)``, a user's derivative of the registry activation ``name``, is compared with
    ``refnet.oracles.mp_value(name, z, 1, **params)`` (mpmath, correctly rounded), at the fixed
    points of the reference vectors (:func:`refnet.vectors.activation_points`: 0, tiny and
    subnormal values, each kink and its neighbours, the saturation boundaries, ordinary and huge
    values).  ``fn`` may return any array that ``np.asarray`` converts (a jax or torch array).

    Away from kinks every point where the correctly rounded value is normal (or 0) must be within
    ``ulps`` units in the last place.  Where it is subnormal (0 < |v| < 2**-1022) it has fewer
    than 53 bits and a formula through a subnormal intermediate loses bits it cannot get back, so
    the project's policy holds it to an absolute error of ``tolerances.SUBNORMAL_ABS`` (2**-1062,
    about 2e-320) instead; ``ulps`` is not loosened anywhere else.  At a kink the derivative is a
    convention: the value must lie between the two one-sided derivatives (a subgradient), and
    which one it equals is reported.

    Parameters
    ----------
    name : str
        The registry activation (``"sigmoid"``, ``"relu"``, ...:
        :data:`refnet.activations.ACTIVATIONS`).
    fn : callable
        The derivative to check: ``fn(z)`` elementwise, with the shape of ``z``; called as
        ``fn(z, **params)`` if it accepts the activation's parameters.
    ulps : float, default 4
        The distance allowed, in units in the last place, where the correct value is normal
        or 0.
    **params
        The activation's parameters (``alpha=0.1`` for leaky_relu), over its defaults.

    Returns
    -------
    None
        Nothing: it returns where every point passes.

    Raises
    ------
    AssertionError
        Where a point is beyond its allowance, a kink's value lies outside the one-sided
        derivatives, or ``fn`` returns the wrong shape; the message is a table of the points
        that fail (z, yours, mpmath, the error, the margin) and each kink's convention.
    KeyError
        For an unknown activation name.

    See Also
    --------
    refnet.check.check_derivative : The derivative at points of your choice.

    Examples
    --------
    >>> from refnet.activations import ACTIVATIONS
    >>> from refnet.testing import assert_derivative_matches
    >>> assert_derivative_matches("sigmoid", ACTIVATIONS["sigmoid"].derivative)

    A planted bug at the kink, relu'(0) written 2 (outside the one-sided derivatives 0 and 1):

    >>> assert_derivative_matches("relu", lambda z: np.where(z == 0, 2.0, z > 0))
    Traceback (most recent call last):
    ...
    AssertionError: 0 of 70 points beyond 4 ulps (or 2.02e-320 absolute where subnormal)
    ...
    at the kink z = 0: yours 2, left 0, right 1: OUTSIDE the one-sided derivatives
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    from refnet import tolerances as tol
    from refnet.activations import ACTIVATIONS
    from refnet.checking.verify import against_mpmath
    from refnet.oracles import mp_value

    act = ACTIVATIONS[name]
    params = dict(act.params, **params)
    z = activation_points(name)
    at_kink = np.isin(z, np.asarray(act.kinks, dtype=np.float64))
    with np.errstate(all="ignore"):
        got = np.asarray(bind_params(fn, params)(z), dtype=np.float64)
    if got.shape != z.shape:
        raise AssertionError(f"{name}: the derivative returned shape {got.shape} for input of "
                             f"shape {z.shape}")
    want = mp_value(name, z, 1, **params)
    row = against_mpmath(name, "mpmath", z[~at_kink], got[~at_kink], want[~at_kink], ulps)
    lines = [f"derivative of {name} against mpmath (correctly rounded): {ulps} ulps allowed where "
             f"the value is normal or 0, an absolute {tol.SUBNORMAL_ABS:.3g} where it is "
             f"subnormal (margin: ulps over {ulps}, or the error over that)",
             f"{'z':>24} {'yours':>24} {'mpmath':>24} {'abs err':>10} {'margin':>8}  held to"]
    for p in row.failed[:20]:
        subnormal = 0 < abs(p["reference"]) < tol.TINY
        held = f"abs <= {tol.SUBNORMAL_ABS:.3g}" if subnormal else f"{ulps} ulps"
        lines.append(f"{p['z']:>24.17g} {p['value']:>24.17g} {p['reference']:>24.17g} "
                     f"{p['error']:>10.3g} {p['margin']:>8.3g}  {held}")
    kink_bad = False
    for k in act.kinks:
        i = int(np.flatnonzero(z == k)[0])
        left = mp_value(name, np.array([np.nextafter(k, -np.inf)]), 1, **params)[0]
        right = mp_value(name, np.array([np.nextafter(k, np.inf)]), 1, **params)[0]
        lo, hi = min(left, right), max(left, right)
        conv = ("the left derivative" if got[i] == left else "the right derivative"
                if got[i] == right else "between the sides" if lo <= got[i] <= hi
                else "OUTSIDE the one-sided derivatives")
        kink_bad |= not lo <= got[i] <= hi
        lines.append(f"at the kink z = {k:g}: yours {got[i]:.17g}, left {left:.17g}, right "
                     f"{right:.17g}: {conv}")
    if not row.ok or kink_bad:
        head = (f"{row.failures} of {row.n} points beyond {ulps} ulps (or "
                f"{tol.SUBNORMAL_ABS:.3g} absolute where subnormal)")
        raise AssertionError(head + "\n" + "\n".join(lines))


def _takes_parameters_x_y(backward) -> None:
    """TypeError naming the required call where ``backward`` cannot be called as
    ``backward(parameters, X, Y)`` (a refnet-style ``(parameters, cache, X, Y)`` cannot)."""
    import inspect

    try:
        sig = inspect.signature(backward)
    except (TypeError, ValueError):  # a builtin or C function without a signature: just call
        return
    try:
        sig.bind(None, None, None)
    except TypeError as exc:
        raise TypeError(f"backward: assert_gradients_match calls backward(parameters, X, Y) and "
                        f"returns dW1, db1, …; its signature {sig} does not take that ({exc}). "
                        f"Wrap it, e.g. lambda p, X, Y: my_backward(p, forward(p, X), X, Y)"
                        ) from None


def network_case_names() -> list[str]:
    """The names :func:`assert_gradients_match` accepts: ``notebook`` and ``HIDDEN-OUTPUT``.

    ``notebook`` is the notebook's network; each ``HIDDEN-OUTPUT`` a seeded 3-5-4-3 network with
    that registry hidden activation and a ``sigmoid`` or ``softmax`` output.

    Returns
    -------
    list of str
        The case names, ``"notebook"`` first.

    See Also
    --------
    assert_gradients_match : Checks a backward pass against one of these cases.

    Examples
    --------
    >>> from refnet.testing import network_case_names
    >>> names = network_case_names()
    >>> names[:3]
    ['notebook', 'sigmoid-sigmoid', 'sigmoid-softmax']
    >>> "relu-softmax" in names
    True
    """
    return [c["name"] for c in network_cases()]


def assert_gradients_match(backward, case: str, *, ulps: float | None = None) -> None:
    """Check a user's backward pass against the correctly rounded gradients of a network case.

    The case is named (:func:`network_case_names`; :func:`refnet.vectors.network_case`), its
    gradients computed by mpmath, an independent forward and backward pass.

    ``backward(parameters, X, Y)`` gets the case's parameters (a dict ``W1, b1, …``), X
    (features × samples) and Y, and returns the gradients as a dict keyed ``dW1, db1, …`` (or
    ``W1, b1, …``) of arrays that ``np.asarray`` converts (NumPy, jax, torch …), for the cost
    −Σ[Y log A + (1−Y) log(1−A)]/m (sigmoid output) or −Σ Y log A/m (softmax), m the number of
    samples.  A gradient entry is a sum whose terms can cancel, so each entry is held to
    ``tolerances.NET_GRAD_ULPS`` ulps of S, the same backward pass run on absolute values
    (``refnet.checking.scales.network_gradient_scale``); pass ``ulps`` to demand another
    multiple.

    Parameters
    ----------
    backward : callable
        The backward pass, called as ``backward(parameters, X, Y)`` (copies: it may modify
        them).
    case : str
        The network case: ``"notebook"`` or ``"HIDDEN-OUTPUT"`` (``"relu-softmax"``).
    ulps : float or None, default None
        The allowance per entry in ulps of S; None means ``tolerances.NET_GRAD_ULPS``.

    Returns
    -------
    None
        Nothing: it returns where every entry is within its bound.

    Raises
    ------
    AssertionError
        Where ``backward`` returns no dict, other keys or shapes than the case's, or an entry
        beyond its bound; the message counts the entries off per gradient and lists the worst.
    TypeError
        Where ``backward`` cannot be called as ``backward(parameters, X, Y)`` (refnet's own
        ``backward_propagation(parameters, cache, X, Y)`` cannot): the message says how to wrap
        it.
    ValueError
        For an unknown case name (the message lists the known ones).

    See Also
    --------
    network_case_names : The cases.
    assert_gradients_ok : A gradient of your own function, at your own point.

    Examples
    --------
    refnet's own backward pass, wrapped to the signature it is called with:

    >>> from refnet import network as net
    >>> from refnet.testing import assert_gradients_match
    >>> def backward(p, X, Y, hidden="relu", output="softmax", m=None):
    ...     _, cache = net.forward_propagation(X, p, hidden, output)
    ...     return net.backward_propagation(p, cache, X, Y, hidden, output, m=m)
    >>> assert_gradients_match(backward, "relu-softmax")

    A planted bug, the notebook's m = ``Y.size`` with three outputs:

    >>> assert_gradients_match(lambda p, X, Y: backward(p, X, Y, m=Y.size), "relu-softmax")
    Traceback (most recent call last):
    ...
    AssertionError: gradients of network case 'relu-softmax' (relu hidden, softmax output)
    differ from the correctly rounded reference beyond ... ulps of the terms' size: ...
    """
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    from refnet import network as net
    from refnet import tolerances as tol
    from refnet.activations import ACTIVATIONS
    from refnet.checking.scales import network_gradient_scale
    from refnet.checking.verify import judged_row

    ref = network_case(case)
    p = {k: v.copy() for k, v in ref["params"].items()}
    X, Y = ref["X"].copy(), ref["Y"].copy()
    _takes_parameters_x_y(backward)
    got = backward(p, X, Y)
    if not isinstance(got, dict):
        raise AssertionError(f"{case}: backward returned {type(got).__name__}, expected a dict "
                             "of gradients keyed dW1, db1, …")
    got = {(k if k.startswith("d") else "d" + k): np.asarray(v, dtype=np.float64)
           for k, v in got.items()}
    missing = sorted(set(ref["grads"]) - set(got))
    extra = sorted(set(got) - set(ref["grads"]))
    if missing or extra:
        raise AssertionError(f"{case}: gradient keys differ: missing {missing}, unexpected {extra}")
    act = ACTIVATIONS[ref["hidden"]]
    _, cache = net.forward_propagation(X, ref["params"], ref["hidden"], ref["output"])
    S = network_gradient_scale(ref["params"], cache, X, Y, act.derivative,
                                  second_derivative=act.second_derivative)
    k_ulps = tol.NET_GRAD_ULPS if ulps is None else ulps
    for k, want in ref["grads"].items():
        if got[k].shape != want.shape:
            raise AssertionError(f"{case}: {k} has shape {got[k].shape}, expected {want.shape}")
    # one row of refnet verify's kind (a record per entry): |yours - reference| within the bound
    flat = lambda d: np.concatenate([np.ravel(d[k]) for k in ref["grads"]])
    entries = [f"{k}{list(i)}" for k, w in ref["grads"].items() for i in np.ndindex(*w.shape)]
    g, want = flat(got), flat(ref["grads"])
    bound = k_ulps * tol.EPS * flat(S)
    with np.errstate(invalid="ignore"):
        row = judged_row("network", case, "mpmath", g, want, np.abs(g - want) <= bound,
                      bound=bound, where=entries)
    if not row.ok:
        bad = {k: 0 for k in ref["grads"]}
        worst = {}
        for p in row.failed:
            k = p["entry"].split("[")[0]
            bad[k] += 1
            if bad[k] <= 5:
                worst.setdefault(k, []).append(
                    f"{p['entry']}: yours {p['value']:.17g}, reference {p['reference']:.17g}, "
                    f"error {p['error']:.3g} > bound {p['bound']:.3g}")
        table = "\n".join(f"  {k}: {n} of {ref['grads'][k].size} entries off"
                          for k, n in bad.items())
        lines = [w for k in ref["grads"] for w in worst.get(k, [])]
        raise AssertionError(
            f"gradients of network case {case!r} ({ref['hidden']} hidden, {ref['output']} "
            f"output) differ from the correctly rounded reference beyond {k_ulps} ulps of the "
            f"terms' size:\n{table}\n" + "\n".join(lines[:20]))
