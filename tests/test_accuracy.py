"""Ulp accuracy of every registry derivative against mpmath's correctly rounded values.

The targets are in refnet.tolerances (DERIVATIVE_ULPS_P999/MAX, SECOND_DERIVATIVE_ULPS_P999/MAX).
One sweep serves every activation: dense where the functions bend, and out into the saturated
tails, where formulas in the output or unguarded exponentials lose their digits.  mpmath costs
~30 µs a point, so the reference values are computed once per module run and cached.  (The mpmath
forms themselves are checked against mpmath.diff in tests/test_mp.py.)
"""

import functools

import numpy as np
import pytest

from refnet import tolerances as tol
from refnet.activations import ACTIVATIONS
from refnet.oracles import mp_value, twin_derivative, ulps
from refnet.oracles.autodiff import bucket_length


def _grid(dense_bound, dense_n, log_bound, log_n):
    logs = np.geomspace(1e-3, log_bound, log_n)
    return np.concatenate([np.linspace(-dense_bound, dense_bound, dense_n), logs, -logs])


# dense in [-12, 12] (step 0.01), coarser in [-40, 40] (step 0.04), where σ and tanh saturate,
# and log-spaced magnitudes from 1e-3 to 700 of both signs, where e^-|z| nears underflow
# (about 5,200 points)
SWEEP = np.unique(np.concatenate([_grid(12.0, 2401, 300.0, 200), _grid(40.0, 2001, 700.0, 400)]))
TARGETS = {  # order -> (p99.9, max) in ulps
    1: (tol.DERIVATIVE_ULPS_P999, tol.DERIVATIVE_ULPS_MAX),
    2: (tol.SECOND_DERIVATIVE_ULPS_P999, tol.SECOND_DERIVATIVE_ULPS_MAX),
}


@functools.cache
def _reference(name, order):
    """The sweep without the kinks themselves (the formulas are one-sided elsewhere, so any
    distance from a kink is fine; the convention at the kink is tested in test_registry), and
    mpmath's correctly rounded f^(order) there."""
    z = SWEEP[~np.isin(SWEEP, ACTIVATIONS[name].kinks)]
    return z, mp_value(name, z, order, **ACTIVATIONS[name].params)


@pytest.mark.parametrize("order", sorted(TARGETS))
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_ulps(name, order):
    a = ACTIVATIONS[name]
    z, exact = _reference(name, order)
    fn = a.derivative if order == 1 else a.second_derivative
    u = ulps(fn(z, **a.params), exact)
    p999, worst = TARGETS[order]
    p = np.percentile(u, 99.9)
    i = int(np.argmax(u))
    assert p <= p999 and u[i] <= worst, (
        f"{name} order {order}: p99.9 {p:.1f} ulps (target {p999}), "
        f"max {u[i]:.0f} at z = {z[i]!r} (target {worst})"
    )


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_twin_derivative_within_its_absolute_trust(name):
    """jax.grad of the twin is an oracle inside the network tests, trusted there to
    TWIN_DERIVATIVE_ATOL absolute (test_network.twin_check): hold it to that on the sweep.  (A
    twin written z·tanh(softplus z) was 134 eps off at z ≈ 19.9: 1 - tanh² cancels there.)"""
    z, exact = _reference(name, 1)
    # in chunks of the oracle's one padded length, so the compile of test_activations serves
    chunk = bucket_length(1)
    twin = np.concatenate([twin_derivative(name, z[i:i + chunk], 1, **ACTIVATIONS[name].params)
                           for i in range(0, z.size, chunk)])
    err = np.abs(twin - exact)
    i = int(np.argmax(err))
    assert err[i] <= tol.TWIN_DERIVATIVE_ATOL, (
        f"{name}: jax.grad of the twin {err[i] / tol.EPS:.1f} eps off at z = {z[i]!r}")
