"""check_gradient(..., sample=N) on a 784-128-10 network: fast, states its guarantee, catches a
wrong layer and a wrong bias element."""


import numpy as np
import pytest

from refnet.check import check_gradient
from refnet.checking.sampling import DIRECTIONS
from refnet.examples import mnist_sized_network

X, Y, P, COST, GRAD = mnist_sized_network()
N = 200


def scaled(key, factor=1.01, index=None):
    def g(p):
        out = GRAD(p)
        a = out[key].copy()
        if index is None:
            a *= factor
        else:
            a[index] *= factor
        out[key] = a
        return out
    return g


def test_the_network_is_the_stated_size():
    assert sum(a.size for a in P.values()) == 101_770


def test_right_gradient_passes_fast_with_its_guarantee():
    r = check_gradient(COST, GRAD, P, sample=N)
    assert r.verdict == "OK" and r.ok, str(r)
    assert r.size == N + DIRECTIONS
    assert f"{N} of 101770" in r.guarantee and "probability" in r.guarantee
    assert "detection guarantee" in str(r)


@pytest.mark.parametrize("key", ["W1", "b1", "W2", "b2"])
def test_one_wrong_layer_is_caught(key):
    # 20 coordinates: the directions catch a layer's error whatever was sampled, and every
    # mismatch costs Richardson tableaux (200 mismatches in W1 take ~3 s)
    r = check_gradient(COST, scaled(key), P, sample=20)
    assert r.verdict == "MISMATCH"
    # the directions see a layer's error however few of its elements were sampled
    assert all(e["status"] == "mismatch" for e in r.elements() if e["key"] == "direction")


def test_one_wrong_bias_element_is_caught_by_the_directions():
    r = check_gradient(COST, scaled("b2", index=(3, 0)), P, sample=N)
    assert r.verdict == "MISMATCH"
    assert {e["key"] for e in r.mismatches} == {"direction"}


def test_a_sampled_wrong_element_is_named():
    r = check_gradient(COST, GRAD, P, sample=N, seed=5)
    e = r.elements()[17]  # a sampled coordinate: plant the bug there
    key, index = e["key"], tuple(e["index"])
    bad = check_gradient(COST, scaled(key, 1 + 1e-4, index), P, sample=N, seed=5)
    assert bad.verdict == "MISMATCH"
    assert e["name"] in {m["name"] for m in bad.mismatches}


def test_sample_larger_than_x_checks_every_coordinate():
    x = np.linspace(-1, 1, 5)
    r = check_gradient(lambda x: np.sum(np.sin(x)), np.cos, x, sample=100)
    assert r.verdict == "OK" and r.size == 5 + DIRECTIONS
    bad = check_gradient(lambda x: np.sum(np.sin(x)), lambda x: np.cos(x) * (1 + 1e-6), x,
                         sample=100)
    assert bad.verdict == "MISMATCH"


def test_bad_sample_is_refused():
    with pytest.raises(ValueError, match="sample"):
        check_gradient(COST, GRAD, P, sample=0)


def test_a_sampled_check_costs_one_central_difference_per_sampled_element():
    """The sampled check runs the same pipeline as the full one: f at x, the complex probe
    (rejected by float()), then one central difference per coordinate and per direction, every
    element accepted there; the noise floor of f is never measured (it was, 65 + 64 more
    evaluations, when the sampled path skipped what the fast pass needs to know)."""
    calls = [0]

    def f(x):
        calls[0] += 1
        return float(np.sum(np.sin(x) * x))

    g = lambda x: np.cos(x) * x + np.sin(x)
    x = np.linspace(-1.0, 1.0, 6)
    r = check_gradient(f, g, x, sample=3)
    assert r.verdict == "OK" and r.size == 3 + DIRECTIONS and not r.noise_floor_measured
    assert calls[0] == 1 + 1 + 2 * (3 + DIRECTIONS)
    calls[0] = 0
    assert check_gradient(f, g, x).verdict == "OK" and calls[0] == 1 + 1 + 2 * 6


def _relu_float_network(seed=0, n_x=784, n_h=128, n_y=10, m=64):
    """A 784-128-10 relu/softmax network, He-initialised, zero biases, its cost through float()
    (no complex step): a random direction through x moves all 8,192 relu units at once."""
    r = np.random.default_rng(seed)
    X = r.standard_normal((n_x, m))
    Y = np.eye(n_y)[:, r.integers(0, n_y, m)]
    P = {"W1": r.standard_normal((n_h, n_x)) * np.sqrt(2 / n_x), "b1": np.zeros((n_h, 1)),
         "W2": r.standard_normal((n_y, n_h)) * np.sqrt(2 / n_h), "b2": np.zeros((n_y, 1))}

    def forward(p):
        Z1 = p["W1"] @ X + p["b1"]
        Z2 = p["W2"] @ np.maximum(Z1, 0) + p["b2"]
        E = np.exp(Z2 - Z2.max(axis=0))
        return Z1, E / E.sum(axis=0)

    def cost(p):
        return float(-np.sum(Y * np.log(forward(p)[1])) / m)

    def grad(p):
        Z1, A2 = forward(p)
        dZ2 = (A2 - Y) / m
        dZ1 = (p["W2"].T @ dZ2) * (Z1 > 0)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True),
                "W2": dZ2 @ np.maximum(Z1, 0).T, "b2": dZ2.sum(1, keepdims=True)}

    return cost, grad, P


def test_directions_through_many_relu_kinks_are_judged_not_failed():
    # the probe directions are unit vectors, so their steps stay on x's scale: an unscaled
    # Gaussian direction (length 319) stepped across thousands of kinks, its one-sided tableaux
    # contradicted each other and a correct gradient was a MISMATCH; the noise floor, measured
    # along a line that crossed kinks, was 1e-8 and left hundreds of elements unresolved
    cost, grad, P = _relu_float_network()
    r = check_gradient(cost, grad, P, sample=300, seed=0)
    assert r.verdict == "OK", str(r)
    assert "unit directions" in r.guarantee and "sqrt(101770)" in r.guarantee

    def bad(p):
        g = grad(p)
        g["W2"] = g["W2"] * 1.001
        return g

    r = check_gradient(cost, bad, P, sample=300, seed=0)
    assert r.verdict == "MISMATCH", str(r)
    assert any(e["name"].startswith("direction") for e in r.mismatches), str(r)
