"""Ulp accuracy of every registry derivative against mpmath's correctly rounded values, and
the mpmath reference forms themselves against mpmath.diff of the mpmath forwards.

The targets are in refnet.tolerances (DERIVATIVE_ULPS_P999/MAX, SECOND_DERIVATIVE_ULPS_P999/MAX).
mpmath costs ~30 µs a point, so the reference values are computed once per module run and
cached; the grids hold about 1,800 points per function (3,300 for the wide grid of the original
four).
"""

import functools

import mpmath as mp
import numpy as np
import pytest

from refnet import tolerances as tol
from refnet.activations import ACTIVATIONS
from refnet.oracles import MP_ACTIVATIONS, mp_value, ulps

ORIGINAL = ("sigmoid", "tanh", "relu", "leaky_relu")


def _grid(dense_bound, dense_n, log_bound, log_n):
    logs = np.geomspace(1e-3, log_bound, log_n)
    return np.concatenate([np.linspace(-dense_bound, dense_bound, dense_n), logs, -logs])


# dense in [-12, 12] (step 0.01) and log-spaced magnitudes from 1e-3 to 300 of both signs
GRID = _grid(12.0, 2401, 300.0, 200)
# the original four also over [-40, 40] and out to ±700, where their saturated tails lie
WIDE = _grid(40.0, 2001, 700.0, 400)


def _away_from_kinks(name, z):
    """z without the kinks themselves (the formulas are one-sided elsewhere, so any distance
    from a kink is fine; at the kink the convention is tested in test_registry_extra)."""
    return z[~np.isin(z, ACTIVATIONS[name].kinks)]


@functools.lru_cache(maxsize=None)
def _reference(name, order, grid_name):
    z = _away_from_kinks(name, {"grid": GRID, "wide": WIDE}[grid_name])
    return z, mp_value(name, z, order, **ACTIVATIONS[name].params)


def _ulps(name, order, grid_name):
    a = ACTIVATIONS[name]
    z, exact = _reference(name, order, grid_name)
    fn = a.derivative if order == 1 else a.second_derivative
    return z, ulps(fn(z, **a.params), exact)


def _check(name, order, grid_name, p999, worst):
    z, u = _ulps(name, order, grid_name)
    p = np.percentile(u, 99.9)
    i = int(np.argmax(u))
    assert p <= p999 and u[i] <= worst, (
        f"{name} order {order} on {grid_name}: p99.9 {p:.1f} ulps (target {p999}), "
        f"max {u[i]:.0f} at z = {z[i]!r} (target {worst})"
    )


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_ulps(name):
    _check(name, 1, "grid", tol.DERIVATIVE_ULPS_P999, tol.DERIVATIVE_ULPS_MAX)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_second_derivative_ulps(name):
    _check(name, 2, "grid", tol.SECOND_DERIVATIVE_ULPS_P999, tol.SECOND_DERIVATIVE_ULPS_MAX)


@pytest.mark.parametrize("name", ORIGINAL)
def test_derivative_ulps_wide(name):
    _check(name, 1, "wide", tol.DERIVATIVE_ULPS_P999, tol.DERIVATIVE_ULPS_MAX)


# --- the reference forms themselves ------------------------------------------------------------

# 20 moderate points, none within 0.05 of a kink (mpmath.diff's stencil is far narrower).
FORM_POINTS = [x for x in np.linspace(-4.75, 7.25, 24)
               if all(abs(x - k) > 0.05 for k in (-3, -1, 0, 1, 3, 6))][:20]
# mpmath.diff at 160 bits (with its own extra working precision) is good to far better than
# 2**-100 at these points, relative to the derivative or, where that is 0 (selu'' for z > 0),
# to the forward's size (≤ 8 here), and every form is good to 2**-150 or so.  2**-100 rejects
# any wrong form (its error would be O(1)) while leaving both roundings room.
FORM_RTOL = mp.mpf(2) ** -100
FORM_ATOL = mp.mpf(2) ** -100


@pytest.mark.parametrize("name", sorted(MP_ACTIVATIONS))
def test_mp_forms_match_mpmath_diff(name):
    f, d1, d2 = MP_ACTIVATIONS[name]
    params = dict(ACTIVATIONS[name].params)
    with mp.workprec(160):
        for x in FORM_POINTS:
            z = mp.mpf(float(x))
            for order, form in ((1, d1), (2, d2)):
                numeric = mp.diff(lambda t: f(t, **params), z, order)
                value = form(z, **params)
                assert abs(value - numeric) <= FORM_ATOL + FORM_RTOL * abs(numeric), (
                    f"{name}: order {order} at z = {x}: form {value}, mpmath.diff {numeric}"
                )
