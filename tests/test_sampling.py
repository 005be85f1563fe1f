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
