"""The activations added from jax.nn, each checked on its own: the hand-written derivative
against jax.grad of the hand-written twin, the pinned kink conventions, extreme inputs, and the
output forms.  (The generic property tests over the whole registry live elsewhere.)"""

import numpy as np
import pytest

from refnet import tolerances as tol
from refnet.activations import ACTIVATIONS
from refnet.oracles import mp_value, twin_derivative, ulps

NEW = [
    "relu6", "elu", "celu", "selu", "gelu", "gelu_tanh", "silu", "swish", "softplus",
    "log_sigmoid", "soft_sign", "hard_tanh", "hard_sigmoid", "hard_silu", "hard_swish", "mish",
    "squareplus", "sparse_plus", "sparse_sigmoid", "identity",
]

# (f'(k), f''(k)) at each kink k: refnet's conventions, which the twin's jnp.where branches
# must reproduce exactly.  Where jax.nn differs it is noted.
SELU_SCALE_ALPHA = 1.7580993408473768
KINK_CONVENTIONS = {
    "relu6": {0.0: (0.0, 0.0), 6.0: (0.0, 0.0)},  # the flat side, as jax
    "elu": {0.0: (1.0, 1.0)},  # the z ≤ 0 branch: alpha, alpha (alpha = 1), as jax
    "celu": {0.0: (1.0, 1.0)},  # f' continuous; f''(0) = 1/alpha (jax: 1/(4 alpha))
    "selu": {0.0: (SELU_SCALE_ALPHA, SELU_SCALE_ALPHA)},  # scale·alpha, as jax
    "soft_sign": {0.0: (1.0, -2.0)},  # f'' from the z ≥ 0 branch, as jax
    "hard_tanh": {-1.0: (0.0, 0.0), 1.0: (0.0, 0.0)},  # the flat side (jax: 1)
    "hard_sigmoid": {-3.0: (0.0, 0.0), 3.0: (0.0, 0.0)},  # the flat side, as jax
    "hard_silu": {-3.0: (0.0, 0.0), 3.0: (1.0, 0.0)},  # the outer branches, as jax
    "hard_swish": {-3.0: (0.0, 0.0), 3.0: (1.0, 0.0)},
    "sparse_plus": {-1.0: (0.0, 0.0), 1.0: (1.0, 0.0)},  # f' continuous; f'' 0, as jax
    "sparse_sigmoid": {-1.0: (0.0, 0.0), 1.0: (0.0, 0.0)},  # the flat side (jax: 1/4)
}

EXTREMES = np.array([-1.7e308, -1e300, -1e4, -745.5, -40.0, 40.0, 745.5, 1e4, 1e300, 1.7e308])


def _points(name, n=200, seed=0):
    """~n points: uniform in [-12, 12], log-spaced magnitudes up to 1e300 of both signs, and
    the kinks with their float neighbours."""
    rng = np.random.default_rng(seed)
    mags = 10.0 ** rng.uniform(-3, 300, n // 4)
    z = [rng.uniform(-12, 12, n // 2), mags, -mags]
    for k in ACTIVATIONS[name].kinks:
        z.append([np.nextafter(k, -np.inf), k, np.nextafter(k, np.inf), k - 1e-3, k + 1e-3])
    return np.concatenate(z)


def test_every_jax_nn_name_is_registered():
    assert set(NEW) <= set(ACTIVATIONS)
    for name in NEW:
        assert ACTIVATIONS[name].name == name
    assert set(KINK_CONVENTIONS) == {n for n in NEW if ACTIVATIONS[n].kinks}


@pytest.mark.parametrize("name", NEW)
def test_derivative_matches_twin(name):
    """derivative(z) against jax.grad of the twin, within TWIN_RTOL/TWIN_ATOL.

    Where the twin is ill-conditioned it can be the one that is off: autodiff of z·σ(z),
    z·Φ(z), z·tanh(softplus z) sums terms that cancel near the zero of f', and the twin's
    erfc(-z/√2) and tanh(√(2/π)(z + c z³)) take rounded arguments whose error the tails amplify
    by 2u or z².  There mpmath decides (DESIGN: where two oracles disagree, mpmath decides):
    refnet's value must be within DERIVATIVE_ULPS_MAX of the correctly rounded one and no
    farther from it than the twin's.
    """
    a = ACTIVATIONS[name]
    z = _points(name)
    z = z[~np.isin(z, a.kinks)]
    ours = a.derivative(z, **a.params)
    twin = twin_derivative(name, z, **a.params)
    agree = tol.within(ours, twin, atol=tol.TWIN_ATOL, rtol=tol.TWIN_RTOL)
    _mpmath_decides(name, z, ours, twin, agree, "twin")


def _mpmath_decides(name, z, ours, other, agree, label):
    """Where refnet and another oracle disagree, refnet must be within DERIVATIVE_ULPS_MAX of
    mpmath's correctly rounded derivative and no farther from it than the other oracle."""
    if agree.all():
        return
    a = ACTIVATIONS[name]
    zb = z[~agree]
    exact = mp_value(name, zb, 1, **a.params)
    u_ours = ulps(ours[~agree], exact)
    u_other = ulps(other[~agree], exact)
    bad = (u_ours > tol.DERIVATIVE_ULPS_MAX) | (u_ours > u_other)
    assert not bad.any(), (
        f"{name}: at z = {zb[bad][:5]} refnet {ours[~agree][bad][:5]}, {label} "
        f"{other[~agree][bad][:5]}, mpmath {exact[bad][:5]}"
    )


@pytest.mark.parametrize("name", sorted(KINK_CONVENTIONS))
def test_kink_conventions(name):
    a = ACTIVATIONS[name]
    assert set(KINK_CONVENTIONS[name]) == set(a.kinks)
    for k, (d1, d2) in KINK_CONVENTIONS[name].items():
        z = np.array([k])
        assert a.derivative(z, **a.params)[0] == d1
        assert a.second_derivative(z, **a.params)[0] == d2
        assert twin_derivative(name, z, **a.params)[0] == d1
        assert twin_derivative(name, z, order=2, **a.params)[0] == d2


@pytest.mark.parametrize("name", NEW)
def test_extreme_inputs_finite_and_silent(name):
    """Finite results and (warnings being errors) no RuntimeWarning at |z| up to 1.7e308."""
    a = ACTIVATIONS[name]
    out = [a.forward(EXTREMES, **a.params), a.derivative(EXTREMES, **a.params),
           a.second_derivative(EXTREMES, **a.params)]
    if a.derivative_from_output is not None:
        out.append(a.derivative_from_output(out[0], **a.params))
    if a.analytic:
        out.append(a.forward(EXTREMES + 1e-20j, **a.params))
    for o in out:
        assert o.shape == EXTREMES.shape
        assert np.isfinite(o).all()
    assert out[1].dtype == np.float64


@pytest.mark.parametrize("name", [n for n in NEW if ACTIVATIONS[n].derivative_from_output])
def test_derivative_from_output_agrees(name):
    """derivative_from_output(forward(z)) against derivative(z) for |z| ≤ 2.  The output forms
    cancel (elu's s + alpha, soft_sign's 1 - |s|) by a factor up to e² ≈ 7.4 there, on top of
    the forward's few ulps: 1e-13 (≈ 450 ulps) bounds that loosely and still rejects any wrong
    formula, whose error would be O(1)."""
    a = ACTIVATIONS[name]
    z = np.linspace(-2, 2, 401)
    z = z[~np.isin(z, a.kinks)]
    s = a.forward(z, **a.params)
    assert tol.within(a.derivative_from_output(s, **a.params), a.derivative(z, **a.params),
                      atol=tol.TWIN_ATOL, rtol=1e-13).all()


@pytest.mark.parametrize("name", [n for n in NEW if ACTIVATIONS[n].analytic])
def test_complex_step_matches_derivative(name):
    """The forwards marked analytic are complex-safe: Im f(z + ih)/h is the derivative.

    For a product such as z σ(z), Im f(z + ih) = h σ(z) + z Im σ(z + ih) is itself a sum that
    cancels near the zero of f', so there too mpmath decides.
    """
    from refnet.oracles import complex_step_derivative

    a = ACTIVATIONS[name]
    z = np.random.default_rng(1).uniform(-8, 8, 200)
    z = z[np.min(np.abs(z[:, None] - np.array(a.kinks + (np.inf,))), axis=1) > 1e-6]
    est, err = complex_step_derivative(lambda x: a.forward(x, **a.params), z)
    ours = a.derivative(z, **a.params)
    agree = tol.within(ours, est, atol=tol.COMPLEX_STEP_FLOOR, rtol=tol.COMPLEX_STEP_RTOL,
                       err=err)
    _mpmath_decides(name, z, ours, est, agree, "complex step")


def test_gelu_rejects_complex_input():
    with pytest.raises(TypeError, match="complex"):
        ACTIVATIONS["gelu"].forward(np.array([1.0 + 1e-20j]))
