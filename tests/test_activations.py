"""Properties of every activation in the registry, judged by every oracle.

For random shapes (0-d to 4-d) and values (ordinary, large, tiny, subnormal, next to kinks and
on them): ``derivative`` agrees with ``jax.grad`` of the twin, with Richardson differences (one-
sided beside a kink) and with the complex step; ``second_derivative`` with jax.grad of jax.grad
and with differences of ``derivative``; the notebook's output form with ``derivative`` within the
bound of its conditioning (``refnet.checking.verify.output_form_bound``).  The twin is compiled
once per function and bucket length, so a new shape costs no compile.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given
from strategies import activation_arrays

from refnet import activations as A
from refnet import oracles
from refnet import tolerances as tol
from refnet.checking.verify import OUTPUT_FORM, format_table, judge_activation
from refnet.oracles import COMPLEX_STEP, RICHARDSON, TWIN

NAMES = list(A.ACTIVATIONS)
PROPERTY_ORACLES = (TWIN, RICHARDSON, COMPLEX_STEP, OUTPUT_FORM)


def _assert_ok(rows):
    bad = [r for r in rows if not r.ok]
    assert not bad, "\n" + format_table(bad) + "\n" + "\n".join(str(r.worst) for r in bad)


@pytest.mark.parametrize("name", NAMES)
def test_derivatives_agree_with_every_oracle(name):
    act = A.ACTIVATIONS[name]

    @given(activation_arrays(act.kinks))
    def prop(z):
        # every function keeps the shape (0-d to 4-d) and returns float64
        for fn in (act.forward, act.derivative, act.second_derivative):
            out = np.asarray(fn(z, **act.params))
            assert out.shape == z.shape and out.dtype == np.float64
        _assert_ok(judge_activation(name, z, oracles_=PROPERTY_ORACLES))

    prop()


def test_integer_and_bool_input_is_promoted():
    for act in A.ACTIVATIONS.values():
        for z in (np.array([[-2, 0, 3]]), np.array([True, False])):
            for fn in (act.forward, act.derivative, act.second_derivative):
                out = np.asarray(fn(z))
                assert out.dtype == np.float64 and out.shape == z.shape


@pytest.mark.parametrize("name", NAMES)
def test_no_warning_and_right_limits_at_huge_magnitudes(name):
    act = A.ACTIVATIONS[name]
    z = np.array([-1.7e308, -1e4, -745.0, -710.0, 710.0, 745.0, 1e4, 1.7e308])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        f, d, d2 = act.forward(z), act.derivative(z), act.second_derivative(z)
    assert np.all(np.isfinite(d)) and np.all(np.isfinite(d2))
    for value, order in ((f, 0), (d, 1)):
        ref = oracles.mp_value(name, z, order, **act.params)
        # f is inf only where the correctly rounded value is (selu beyond max_float/scale).
        # Where the true value is subnormal (e^-745 and the like) only its absolute accuracy,
        # a few multiples of 2**-1074, is claimed: a subnormal has fewer than 53 bits.
        ok = (oracles.ulps(value, ref) <= tol.DERIVATIVE_ULPS_MAX) | (
            (np.abs(ref) < tol.TINY) & (np.abs(value - ref) <= tol.TINY * 2.0**-40)
        )
        assert np.all(ok), (order, z[~ok], value[~ok], ref[~ok])


def test_output_forms_are_the_notebooks():
    s = A.sigmoid(np.linspace(-3, 3, 7))
    assert np.array_equal(A.sigmoid_derivative_from_output(s), s * (1 - s))
    t = A.tanh(np.linspace(-3, 3, 7))
    assert np.array_equal(A.tanh_derivative_from_output(t), 1 - t**2)
    r = A.relu(np.array([-1.0, 0.0, 2.0]))
    assert np.array_equal(A.relu_derivative_from_output(r), [0.0, 0.0, 1.0])


def test_leaky_output_form_refuses_negative_alpha():
    with pytest.raises(ValueError, match="alpha"):
        A.leaky_relu_derivative_from_output(np.array([1.0]), alpha=-0.5)


def test_output_forms_lose_accuracy_where_documented():
    # s(1-s) returns 0 once sigmoid rounds to 1; 1-t² once tanh does.  derivative(z) does not.
    z = np.array([37.5, 40.0])
    assert np.all(A.sigmoid_derivative_from_output(A.sigmoid(z)) == 0.0)
    assert np.all(A.sigmoid_derivative(z) > 0.0)
    z = np.array([19.5, 25.0])
    assert np.all(A.tanh_derivative_from_output(A.tanh(z)) == 0.0)
    assert np.all(A.tanh_derivative(z) > 0.0)


def test_forward_is_complex_safe_where_analytic():
    z = np.linspace(-5, 5, 11)
    for act in A.ACTIVATIONS.values():
        if act.analytic:
            out = act.forward(z + 1e-20j)
            assert np.iscomplexobj(out)
            # Re f(z + ih) = f(z) - h²f''(z)/2 + …, h²|f''| ≤ 1e-40, but complex arithmetic rounds
            # differently: complex log1p/log round the real part to a few ulps of their
            # argument (≈ 1), not of a small result, so the slack is 4 ulps of max(|f|, 1)
            f = act.forward(z)
            assert np.all(np.abs(out.real - f) <= 4 * tol.EPS * np.maximum(np.abs(f), 1.0))
