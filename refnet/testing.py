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
    """Check ``grad`` against ``f`` at ``x`` (see :func:`refnet.check.check_gradient`); raise
    ``AssertionError`` with the report's table on a mismatch.  Returns the report."""
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    return check_gradient(f, grad, x, **options).assert_ok()


def assert_derivative_ok(f, df, z, **options) -> Report:
    """:func:`refnet.check.check_derivative`, raising ``AssertionError`` with the table."""
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    return check_derivative(f, df, z, **options).assert_ok()


def assert_jacobian_ok(f, jac, x, **options) -> Report:
    """:func:`refnet.check.check_jacobian`, raising ``AssertionError`` with the table."""
    __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
    return check_jacobian(f, jac, x, **options).assert_ok()


def assert_derivative_matches(name: str, fn, ulps: float = 4, **params) -> None:
    """Check ``fn(z)``, a user's derivative of the registry activation ``name``, against
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
    which one it equals is reported.  Raises ``AssertionError`` with a table.
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
    """The names :func:`assert_gradients_match` accepts: ``notebook`` and ``HIDDEN-OUTPUT``."""
    return [c["name"] for c in network_cases()]


def assert_gradients_match(backward, case: str, *, ulps: float | None = None) -> None:
    """Check a user's backward pass against the correctly rounded gradients of a named network
    case (:func:`refnet.vectors.network_case`; mpmath, an independent forward and backward pass).

    ``backward(parameters, X, Y)`` gets the case's parameters (a dict ``W1, b1, …``), X
    (features × samples) and Y, and returns the gradients as a dict keyed ``dW1, db1, …`` (or
    ``W1, b1, …``) of arrays that ``np.asarray`` converts (NumPy, jax, torch …), for the cost
    −Σ[Y log A + (1−Y) log(1−A)]/m (sigmoid output) or −Σ Y log A/m (softmax), m the number of
    samples.  A gradient entry is a sum whose terms can cancel, so each entry is held to
    ``tolerances.NET_GRAD_ULPS`` ulps of S, the same backward pass run on absolute values
    (``refnet.checking.scales.network_gradient_scale``); pass ``ulps`` to demand another
    multiple.  Raises ``AssertionError`` with a table of the worst entries.
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
