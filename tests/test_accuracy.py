"""Ulp accuracy of every registry derivative against mpmath's correctly rounded values.

The targets are in refnet.tolerances (DERIVATIVE_ULPS_P999/MAX, SECOND_DERIVATIVE_ULPS_P999/MAX),
on the sweep of ``refnet formulas`` (:func:`refnet.study.sweep_points`: dense where the functions
bend, log-spaced small magnitudes, and out into the saturated tails, where formulas in the output
or unguarded exponentials lose their digits).  The correctly rounded references are read from
refnet's table of mpmath values (``refnet/data/mp_values.npz``; tests/test_mp_table.py
recomputes a sample of it with mpmath on every run and checks that it covers this sweep), so
the sweep costs no mpmath time here.  (The mpmath forms themselves are checked against
mpmath.diff in tests/test_mp.py.)
"""

import functools

import numpy as np
import pytest

from refnet import study
from refnet import tolerances as tol
from refnet.activations import ACTIVATIONS
from refnet.oracles import mp_value, twin_derivative, ulps
from refnet.oracles.autodiff import bucket_length

TARGETS = {  # order -> (p99.9, max) in ulps
    1: (tol.DERIVATIVE_ULPS_P999, tol.DERIVATIVE_ULPS_MAX),
    2: (tol.SECOND_DERIVATIVE_ULPS_P999, tol.SECOND_DERIVATIVE_ULPS_MAX),
}


@functools.cache
def _reference(name, order):
    """The sweep (without the kinks themselves: the formulas are one-sided elsewhere, and the
    convention at the kink is tested in test_registry) and mpmath's correctly rounded
    f^(order) there."""
    z = study.sweep_points(name)
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
