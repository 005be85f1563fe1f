"""softmax, log_softmax, softmax_jacobian and softmax_vjp against jax.nn.softmax with
jax.jacobian and jax.vjp, for random shapes, axes and (random, never all-ones) cotangents."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from refnet import activations as A
from refnet import tolerances as tol
from refnet.checking.verify import format_table, judge_softmax


@st.composite
def softmax_case(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    scale = draw(st.sampled_from([1.0, 10.0, 300.0]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    return rng.normal(0, scale, shape), axis, rng.normal(size=shape)


@given(softmax_case())
def test_softmax_jacobian_and_vjp_agree_with_jax(case):
    z, axis, g = case
    rows = judge_softmax(z, axis, g)
    bad = [r for r in rows if not r.ok]
    assert not bad, format_table(bad)


@given(softmax_case())
def test_softmax_is_a_distribution_and_log_softmax_its_log(case):
    z, axis, _ = case
    s = A.softmax(z, axis=axis)
    assert np.all(s >= 0)
    np.testing.assert_allclose(np.sum(s, axis=axis), 1.0, rtol=0, atol=tol.SOFTMAX_ATOL)
    ls = A.log_softmax(z, axis=axis)
    ok = s > 1e-300  # log of an underflowed probability is -inf on one side only
    # ls = (z - max) - log Σ: absolute error a few ulps of |ls|; log(s) adds a few ulps of 1
    atol = 8 * tol.EPS * (1 + np.abs(ls[ok]))
    assert np.all(np.abs(ls[ok] - np.log(s[ok])) <= atol)


def test_softmax_of_huge_values_is_warning_free_and_exact():
    z = np.array([1.7e308, -1.7e308, 0.0])
    assert np.array_equal(A.softmax(z), [1.0, 0.0, 0.0])
    assert A.log_softmax(z)[0] == 0.0 and A.log_softmax(z)[1] == -np.inf


def test_jacobian_of_a_vector_is_n_by_n():
    s = A.softmax(np.array([1.0, 2.0, 3.0]))
    J = A.softmax_jacobian(s)
    assert J.shape == (3, 3)
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=0, atol=0)


def test_vjp_needs_matching_shapes_and_valid_axis():
    with pytest.raises(ValueError, match="g"):
        A.softmax_vjp(np.ones(3) / 3, np.ones(4))
    with pytest.raises(ValueError, match="axis"):
        A.softmax(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="0-d"):
        A.softmax(np.float64(1.0))
