"""The registry, entry by entry: the three sides (NumPy, the JAX twin, mpmath) hold the same
activations under the same names; each hand-written derivative agrees with jax.grad of the twin
and with the complex step (mpmath deciding where they disagree); the kink conventions hold
exactly on all three sides; extreme inputs give finite results without a warning; the output
forms agree with the derivative.  Every list here is derived from ``ACTIVATIONS``: a new entry
is tested by registering it.  (The hypothesis properties over random shapes and values are in
test_activations, the ulp accuracy against mpmath in test_accuracy.)"""

import jax
import numpy as np
import pytest

from refnet import activations as A
from refnet import tolerances as tol
from refnet.activations import ACTIVATIONS
from refnet.mp import activations as M
from refnet.oracles import mp_value, twin_derivative, ulps
from refnet.twin import activations as T

NAMES = list(ACTIVATIONS)
KINKED = [n for n in NAMES if ACTIVATIONS[n].kinks]


def _numpy_forms(a):
    return (a.forward, a.derivative, a.second_derivative)


def _registered(module, name):
    """The functions that ``module``'s registry holds for ``name``."""
    if module is A:
        a = ACTIVATIONS[name]
        return [*_numpy_forms(a), a.derivative_from_output]
    if module is T:
        return [T.ACTIVATIONS[name]]
    return list(M.ACTIVATIONS[name])


def test_the_three_sides_register_the_same_activations():
    """Same names in the same order on the NumPy, JAX and mpmath sides; each entry named by its
    key; the names are jax.nn's; an alias (swish, hard_swish) is an alias on every side."""
    assert list(T.ACTIVATIONS) == NAMES
    assert list(M.ACTIVATIONS) == NAMES
    for name, a in ACTIVATIONS.items():
        assert a.name == name
        # jax.nn's name for it: its own, or declared (gelu_tanh is gelu(approximate=True)),
        # or declared absent (None)
        spec = a.framework("jax.nn")
        assert spec is None or callable(getattr(jax.nn, spec[0], None)), name
        for other in NAMES:
            same = ACTIVATIONS[other].forward is a.forward
            assert (T.ACTIVATIONS[other] is T.ACTIVATIONS[name]) == same, (name, other)
            assert (M.ACTIVATIONS[other] == M.ACTIVATIONS[name]) == same, (name, other)


@pytest.mark.parametrize("name", NAMES)
def test_the_three_sides_use_the_same_function_names(name):
    """The twin's forward and the mpmath f, f', f'' carry the NumPy side's function names, so the
    three modules can be read side by side."""
    np_names = [fn.__name__ for fn in _numpy_forms(ACTIVATIONS[name])]
    assert [fn.__name__ for fn in M.ACTIVATIONS[name]] == np_names
    assert T.ACTIVATIONS[name].__name__ == np_names[0]


@pytest.mark.parametrize("module", [A, T, M], ids=["numpy", "twin", "mpmath"])
def test_every_registered_function_is_exported(module):
    """Each function a registry holds is defined in its module under its own name and listed in
    ``__all__``, and every name in ``__all__`` exists."""
    for fn in filter(None, (fn for name in NAMES for fn in _registered(module, name))):
        assert getattr(module, fn.__name__, None) is fn, fn.__name__
        assert fn.__name__ in module.__all__, fn.__name__
    assert len(set(module.__all__)) == len(module.__all__)
    for n in module.__all__:
        assert hasattr(module, n), n


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


@pytest.mark.parametrize("name", NAMES)
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


@pytest.mark.parametrize("name", KINKED)
def test_kink_conventions(name):
    """At each kink k the registry's ``kink_derivatives[k]`` = (f'(k), f''(k)) holds exactly on
    the three sides: the NumPy functions, jax.grad of the twin (whose jnp.where branches must
    reproduce it) and the mpmath forms (mp_value, which judges every other oracle).  At k = 0
    for -0.0 as well."""
    a = ACTIVATIONS[name]
    assert tuple(a.kink_derivatives) == a.kinks
    for k, (d1, d2) in a.kink_derivatives.items():
        z = np.array([k, -0.0]) if k == 0 else np.array([k])
        for order, fn, want in ((1, a.derivative, d1), (2, a.second_derivative, d2)):
            sides = {
                "numpy": fn(z, **a.params),
                "twin": twin_derivative(name, z, order=order, **a.params),
                "mpmath": mp_value(name, z, order, **a.params),
            }
            for side, got in sides.items():
                assert np.all(got == want), (
                    f"{name}: f^({order})({k}) on the {side} side is {got}, want {want}"
                )


@pytest.mark.parametrize("name", NAMES)
def test_the_kinks_are_declared(name):
    """A point where f′ or f″ jumps is a kink, and a kink must be declared (in
    ``kink_derivatives``), or the stencils straddle it unseen and its convention goes untested.
    Scanned with the mpmath forms at 160 bits on both sides, ±2**-60, of every multiple of 1/8
    in [-12, 12] (where every kink of the registry lies): a smooth f′ moves by about 2**-60 f″
    there, a jump by O(1).  Every declared kink must show a jump in f′ or f″ (sparse_plus and
    soft_sign are C¹: only f″ jumps)."""
    import mpmath as mp

    a = ACTIVATIONS[name]
    _, d1, d2 = M.ACTIVATIONS[name]
    eps = mp.mpf(2) ** -60
    jumps = []
    with mp.workprec(160):
        for i in range(-96, 97):
            x = mp.mpf(i) / 8
            if any(abs(d(x + eps, **a.params) - d(x - eps, **a.params)) > mp.mpf(2) ** -40
                   for d in (d1, d2)):
                jumps.append(float(x))
    assert tuple(jumps) == a.kinks, f"{name}: f′ or f″ jumps at {jumps}, kinks {a.kinks}"


def test_leaky_relu_kink_is_alpha_for_any_alpha_unlike_jax():
    """leaky_relu'(0) = alpha whatever alpha (the left side, as relu'(0) = 0 and the notebook's
    dlrelu); jax.nn.leaky_relu branches on z >= 0 and its autodiff gives 1 there, while
    jax.nn.relu's gives 0, as refnet's."""
    zero = np.array([0.0, -0.0])
    assert np.array_equal(A.leaky_relu_derivative(zero, alpha=0.2), [0.2, 0.2])
    assert np.array_equal(twin_derivative("leaky_relu", zero, alpha=0.2), [0.2, 0.2])
    assert np.array_equal(mp_value("leaky_relu", zero, 1, alpha=0.2), [0.2, 0.2])
    assert float(jax.grad(jax.nn.relu)(0.0)) == 0.0
    assert float(jax.grad(jax.nn.leaky_relu)(0.0)) == 1.0


@pytest.mark.parametrize("name", NAMES)
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


@pytest.mark.parametrize("name", [n for n in NAMES if ACTIVATIONS[n].derivative_from_output])
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


@pytest.mark.parametrize("name", [n for n in NAMES if ACTIVATIONS[n].analytic])
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
