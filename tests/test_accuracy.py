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

TARGETS = {  # order -> (p99.9, max) in ulps; the forward's max is its own declared bound
    0: (tol.FORWARD_ULPS_P999, None),
    1: (tol.DERIVATIVE_ULPS_P999, tol.DERIVATIVE_ULPS_MAX),
    2: (tol.SECOND_DERIVATIVE_ULPS_P999, tol.SECOND_DERIVATIVE_ULPS_MAX),
}
FORMS = {0: "forward", 1: "derivative", 2: "second_derivative"}


@functools.cache
def _reference(name, order):
    """The sweep (without the kinks themselves: the formulas are one-sided elsewhere, and the
    convention at the kink is tested in test_registry) and mpmath's correctly rounded
    f^(order) there."""
    z = study.sweep_points(name)
    return z, mp_value(name, z, order, **ACTIVATIONS[name].params)


def missed_targets(name, order, fn=None) -> str | None:
    """Why ``fn`` (default: the registry's f, f' or f'' of ``name``) misses its accuracy
    targets on the sweep, or None.  Where the correctly rounded value is normal (or 0) it is
    judged in ulps: the 99.9th percentile and the maximum (for the forward, its declared
    ``forward_ulps``, at most DERIVATIVE_ULPS_MAX); where it is subnormal, absolutely, within
    SUBNORMAL_ABS (it has fewer than 53 bits)."""
    a = ACTIVATIONS[name]
    fn = getattr(a, FORMS[order]) if fn is None else fn
    z, exact = _reference(name, order)
    value = fn(z, **a.params)
    normal = (np.abs(exact) >= tol.TINY) | (exact == 0)
    u = np.where(normal, ulps(value, exact), 0.0)
    p999, worst = TARGETS[order]
    if order == 0:
        worst = min(a.forward_ulps, tol.DERIVATIVE_ULPS_MAX)
    p = np.percentile(u[normal], 99.9)
    i = int(np.argmax(u))
    if not (p <= p999 and u[i] <= worst):
        return (f"{name} order {order}: p99.9 {p:.1f} ulps (target {p999}), "
                f"max {u[i]:.0f} at z = {z[i]!r} (target {worst})")
    with np.errstate(invalid="ignore"):
        sub = np.where(normal, 0.0, np.abs(value - exact))
    j = int(np.argmax(sub))
    if not sub[j] <= tol.SUBNORMAL_ABS:
        return f"{name} order {order}: {sub[j]:.3g} off a subnormal value at z = {z[j]!r}"
    return None


@pytest.mark.parametrize("order", sorted(TARGETS))
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivative_ulps(name, order):
    missed = missed_targets(name, order)
    assert missed is None, missed


@pytest.mark.parametrize("order, rel", [(0, 1e-10), (0, 1e-15), (1, 1e-14), (2, 1e-13)])
def test_a_form_off_by_a_little_misses_its_targets(order, rel):
    """The gates can fail: gelu_tanh's f, f' or f'' wrong by a relative 1e-10 to 1e-15 (a few
    ulps to 450,000) misses the targets (f at 1e-15: 4.5 ulps everywhere, past its p99.9)."""
    a = ACTIVATIONS["gelu_tanh"]
    good = getattr(a, FORMS[order])
    assert missed_targets("gelu_tanh", order) is None
    assert missed_targets("gelu_tanh", order, lambda z, **p: good(z, **p) * (1 + rel))


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
