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

__all__ = ["assert_gradients_ok", "assert_derivative_ok", "assert_jacobian_ok",
           "assert_derivative_matches", "derivative_points"]


def assert_gradients_ok(f, grad, x, **options) -> Report:
    """Check ``grad`` against ``f`` at ``x`` (see :func:`refnet.check.check_gradient`); raise
    ``AssertionError`` with the report's table on a mismatch.  Returns the report."""
    return check_gradient(f, grad, x, **options).assert_ok()


def assert_derivative_ok(f, df, z, **options) -> Report:
    """:func:`refnet.check.check_derivative`, raising ``AssertionError`` with the table."""
    return check_derivative(f, df, z, **options).assert_ok()


def assert_jacobian_ok(f, jac, x, **options) -> Report:
    """:func:`refnet.check.check_jacobian`, raising ``AssertionError`` with the table."""
    return check_jacobian(f, jac, x, **options).assert_ok()


def derivative_points(kinks=()) -> np.ndarray:
    """The fixed points of :func:`assert_derivative_matches`: 0, +-tiny, subnormals, each kink and
    its float neighbours, ordinary values and large ones up to 1e300."""
    tiny = np.finfo(np.float64).tiny
    base = [0.0, 5e-324, 1e-310, tiny, 1e-200, 1e-20, 1e-8, 1e-3, 0.1, 0.5, 1.0, 1.5, 2.0,
            3.0, 5.0, 10.0, 18.0, 19.5, 25.0, 36.0, 37.5, 50.0, 100.0, 354.0, 372.0, 700.0,
            709.5, 745.0, 750.0, 1e4, 1e8, 1e300, np.finfo(np.float64).max]
    pts = base + [-p for p in base]
    for k in kinks:
        k = float(k)
        pts += [k, np.nextafter(k, np.inf), np.nextafter(k, -np.inf), k + 1e-12, k - 1e-12]
    return np.unique(np.array(pts, dtype=np.float64))


def assert_derivative_matches(name: str, fn, ulps: float = 4, **params) -> None:
    """Check ``fn(z)``, a user's derivative of the registry activation ``name``, against
    ``refnet.oracles.mp_value(name, z, 1, **params)`` (mpmath, correctly rounded).

    Away from kinks every point where the correctly rounded value is normal (or 0) must be within
    ``ulps`` units in the last place.  Where it is subnormal (0 < |v| < 2**-1022) it has fewer
    than 53 bits and a formula through a subnormal intermediate loses bits it cannot get back, so
    the project's policy holds it to an absolute error of ``tolerances.SUBNORMAL_ABS`` (2**-1062,
    about 2e-320) instead; ``ulps`` is not loosened anywhere else.  At a kink the derivative is a
    convention: the value must lie between the two one-sided derivatives (a subgradient), and
    which one it equals is reported.  Raises ``AssertionError`` with a table.
    """
    from refnet import tolerances as tol
    from refnet.activations import ACTIVATIONS
    from refnet.oracles import mp_value, ulps as ulp_distance

    act = ACTIVATIONS[name]
    params = dict(act.params, **params)
    z = derivative_points(act.kinks)
    at_kink = np.isin(z, np.asarray(act.kinks, dtype=np.float64))
    with np.errstate(all="ignore"):
        got = np.asarray(fn(z, **params) if params else fn(z), dtype=np.float64)
    if got.shape != z.shape:
        raise AssertionError(f"{name}: the derivative returned shape {got.shape} for input of "
                             f"shape {z.shape}")
    want = mp_value(name, z, 1, **params)
    d = ulp_distance(got, want)
    subnormal = (want != 0) & (np.abs(want) < tol.TINY)
    with np.errstate(invalid="ignore"):
        abs_err = np.abs(got - want)
    bad = np.where(subnormal, ~(abs_err <= tol.SUBNORMAL_ABS), d > ulps) & ~at_kink
    lines = [f"derivative of {name} against mpmath (correctly rounded): {ulps} ulps allowed where "
             f"the value is normal or 0, an absolute {tol.SUBNORMAL_ABS:.3g} where it is "
             f"subnormal",
             f"{'z':>24} {'yours':>24} {'mpmath':>24} {'ulps':>8} {'abs err':>10}  held to"]
    for i in np.flatnonzero(bad)[:20]:
        held = f"abs <= {tol.SUBNORMAL_ABS:.3g}" if subnormal[i] else f"{ulps} ulps"
        lines.append(f"{z[i]:>24.17g} {got[i]:>24.17g} {want[i]:>24.17g} {d[i]:>8.3g} "
                     f"{abs_err[i]:>10.3g}  {held}")
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
    if bad.any() or kink_bad:
        head = (f"{int(bad.sum())} of {int((~at_kink).sum())} points beyond {ulps} ulps (or "
                f"{tol.SUBNORMAL_ABS:.3g} absolute where subnormal)")
        raise AssertionError(head + "\n" + "\n".join(lines))
