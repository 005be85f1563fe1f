"""One way to refuse bad arguments: every check validates each option in one module
(refnet.checking.options), raises InvalidArgument (a ValueError) naming the argument, what was
expected and what came, never reads a typo as "off", and a misspelled keyword names the public
function."""

import numpy as np
import pytest

from refnet.check import (
    InvalidArgument,
    check_derivative,
    check_gradient,
    check_jacobian,
    check_jvp,
    check_vjp,
)

X = np.array([0.5, -1.0])
F = lambda x: float(np.sum(np.sin(x)))
G = np.cos


@pytest.mark.parametrize("call, words", [
    (lambda: check_gradient(F, G, X, complex_step="yes"),
     "complex_step: expected one of 'auto', True, False, got 'yes'"),
    (lambda: check_derivative("tanh", lambda z: 1 - np.tanh(z) ** 2, X, mpmath="yes"),
     "mpmath: expected one of 'auto', True, False, got 'yes'"),
    (lambda: check_gradient(F, G, X, rtol=-1), "rtol: expected a finite number >= 0, got -1"),
    (lambda: check_gradient(F, G, X, atol=float("nan")), "atol: expected a finite number >= 0"),
    (lambda: check_gradient(F, G, X, strict="no"), "strict: expected True or False, got 'no'"),
    (lambda: check_gradient(F, G, X, accept_inconclusive=1), "accept_inconclusive: expected "
     "True or False, got 1"),
    (lambda: check_gradient(F, G, X, seed=-1), "seed: expected a whole number >= 0, got -1"),
    (lambda: check_gradient(F, G, X, sample=0), "sample: expected a whole number >= 1, got 0"),
    (lambda: check_gradient(F, G, X, sample=2, vectorized=True), "vectorized: expected False"),
    (lambda: check_gradient(F, "grad", X), "grad: expected a callable, got 'grad'"),
    (lambda: check_derivative(np.tanh, lambda z: z, X, mpmath=True), "mpmath: expected 'auto' "
     "or False for a function outside the registry"),
    (lambda: check_derivative("tanh", lambda z: z, X, params=[1]), "params: expected a dict"),
    (lambda: check_jacobian(np.sin, lambda x: np.diag(np.cos(x)), X, complex_step=None),
     "complex_step: expected one of"),
    (lambda: check_vjp(np.sin, lambda x, u: u * np.cos(x), X, cotangents=1.5), "cotangents: "
     "expected a whole number >= 1, got 1.5"),
    (lambda: check_jvp(np.sin, lambda x, t: t * np.cos(x), X, complex_step="on"),
     "complex_step: expected one of"),
])
def test_a_bad_option_is_refused_by_name(call, words):
    with pytest.raises(InvalidArgument) as info:
        call()
    assert words in str(info.value)
    assert isinstance(info.value, ValueError)


def test_the_allowed_values_still_pass():
    for cs in ("auto", True, False, np.bool_(False)):
        if cs is True:
            continue  # F is complex-unsafe through float(): True refuses to run, by design
        assert check_gradient(F, G, X, complex_step=cs, seed=np.int64(3), rtol=np.float64(1e-6),
                              atol=0, strict=np.bool_(False)).ok
    assert check_derivative("tanh", lambda z: 1 - np.tanh(z) ** 2, X, mpmath=False).ok


@pytest.mark.parametrize("fn, args", [
    (check_gradient, (F, G, X)), (check_derivative, ("tanh", G, X)),
    (check_jacobian, (np.sin, lambda x: np.diag(np.cos(x)), X)),
    (check_vjp, (np.sin, lambda x, u: u * np.cos(x), X)),
])
def test_a_misspelled_keyword_names_the_public_function(fn, args):
    with pytest.raises(TypeError, match=rf"^{fn.__name__}\(\) got an unexpected keyword "
                                        r"argument 'rtoll'"):
        fn(*args, rtoll=1)


@pytest.mark.parametrize("call, words", [
    (lambda: check_gradient(F, G, np.zeros(0)), "x: expected at least one element to check"),
    (lambda: check_gradient(F, G, {"W1": np.zeros((0, 3))}), "x: expected at least one"),
    (lambda: check_gradient(F, G, np.zeros(0), sample=3), "x: expected at least one"),
    (lambda: check_derivative("tanh", G, np.zeros((2, 0))), "z: expected at least one"),
    (lambda: check_jacobian(np.sin, np.cos, np.zeros(0)), "x: expected at least one"),
    (lambda: check_vjp(np.sin, lambda x, u: u, np.zeros(0)), "x: expected at least one"),
    (lambda: check_gradient(F, G, {"W1": np.array([[np.nan, 1.0]]), "b1": np.zeros(2)}),
     "x: expected finite values, got nan at W1[0,0] (1 non-finite)"),
    (lambda: check_gradient(F, G, np.array([1.0, np.inf, -np.inf])),
     "x: expected finite values, got inf at [1] (2 non-finite)"),
    (lambda: check_derivative("tanh", G, np.array([0.5, np.nan])),
     "z: expected finite values, got nan at [1]"),
    (lambda: check_jvp(np.sin, lambda x, t: t, np.array([np.nan])), "x: expected finite"),
])
def test_an_empty_or_non_finite_point_is_refused_by_name(call, words):
    """Nothing to check is no vacuous OK, and a NaN in the point names its element instead of
    blaming f."""
    with pytest.raises(InvalidArgument) as info:
        call()
    assert words in str(info.value)


def test_what_adapters_and_users_pass_is_accepted():
    """A 0-d array tolerance (a framework's scalar), seed=None (a fresh seed) and kinks as an
    array are taken; check_hvp names its own count."""
    assert check_gradient(F, G, X, rtol=np.array(1e-6), atol=np.float32(0.0), seed=None).ok
    r = check_derivative(lambda z: np.abs(z - 0.25), lambda z: np.sign(z - 0.25),
                         np.array([0.25, 1.0]), kinks=np.array([0.25]))
    assert r.counts["mismatch"] == 0 and r.counts["subgradient"] + r.counts["verified"] == 2
    from refnet.check import check_hvp

    with pytest.raises(InvalidArgument, match="vectors: expected a whole number >= 1, got 0"):
        check_hvp(F, G, lambda x, v: -np.sin(x) * v, X, vectors=0)
