"""refnet.checking.batch: the batched backward is refnet's backward, and verify_batch catches
planted bugs (and accepts the correct gradient) with both oracles."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from refnet import network as net
from refnet.checking import batch


def sets(dims, B, scale, seed=0):
    r = np.random.default_rng(seed)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = r.standard_normal((B, dims[l], dims[l - 1])) * scale
        p[f"b{l}"] = r.standard_normal((B, dims[l], 1)) * scale
    return p


def data(n_x, n_y, m, output="sigmoid", seed=1):
    r = np.random.default_rng(seed)
    X = r.standard_normal((n_x, m))
    if output == "sigmoid":
        return X, (r.random((n_y, m)) < 0.5).astype(float)
    return X, np.eye(n_y)[:, r.integers(0, n_y, m)]


def planted(bug):
    """refnet's batched backward with a bug: the notebook's m = Y.size, or the 1/m dropped."""

    def backward(parameters, X, Y, hidden, output, lambd):
        m = {"m_is_Y_size": Y.size, "no_1_over_m": 1}[bug]
        return batch.backward_batch(parameters, X, Y, hidden, output, lambd, m=m)

    return backward


@pytest.mark.parametrize("output", net.OUTPUTS)
def test_backward_batch_is_backward_propagation(output):
    X, Y = data(3, 2, 5, output)
    P = sets((3, 4, 2), 6, 1.0)
    G = batch.backward_batch(P, X, Y, "tanh", output, 0.3)
    for s in range(6):
        p = {k: v[s] for k, v in P.items()}
        _, cache = net.forward_propagation(X, p, "tanh", output)
        g = net.backward_propagation(p, cache, X, Y, "tanh", output, 0.3)
        for k in g:
            np.testing.assert_array_equal(G[k][s], g[k], err_msg=k)


@pytest.mark.parametrize("oracle", ["differences", "twin"])
@pytest.mark.parametrize("scale", [0.01, 1.0, 4.0])
@pytest.mark.parametrize("hidden,output", [("tanh", "sigmoid"), ("sigmoid", "softmax"),
                                           ("gelu", "sigmoid")])
def test_correct_gradients_pass(oracle, scale, hidden, output):
    X, Y = data(2, 3, 4, output)
    r = batch.verify_batch(sets((2, 4, 3), 300, scale), X, Y, hidden, output, oracle=oracle)
    assert r.ok, str(r)
    assert r.size == 300 and r.fast + r.richardson == 300


def test_notebook_shape_many_seeds():
    rng = np.random.RandomState(1)
    X = rng.randn(2, 3)
    Y = (rng.randn(1, 3) > 0).astype(float)
    r = batch.verify_batch(sets((2, 4, 1), 2000, 1.0), X, Y)
    assert r.ok, str(r)


@pytest.mark.parametrize("oracle", ["differences", "twin"])
@pytest.mark.parametrize("bug", ["m_is_Y_size", "no_1_over_m"])
def test_planted_bug_is_caught(oracle, bug):
    X, Y = data(2, 3, 4)  # n_y = 3 outputs, so Y.size = 12 is not m = 4
    P = sets((2, 4, 3), 50, 1.0)
    r = batch.verify_batch(P, X, Y, backward=planted(bug), oracle=oracle)
    assert not r.ok
    assert r.failed == list(range(50)), str(r)
    assert r.worst > 1e3


def test_m_is_Y_size_is_invisible_with_one_output():
    """With n_y = 1, Y.size is m: the notebook's formula is right there, and nothing is failed."""
    X, Y = data(2, 1, 4)
    r = batch.verify_batch(sets((2, 4, 1), 50, 1.0), X, Y, backward=planted("m_is_Y_size"))
    assert r.ok, str(r)


def test_one_wrong_set_among_many():
    X, Y = data(2, 3, 4)
    P = sets((2, 4, 3), 400, 1.0)

    def backward(parameters, X, Y, hidden, output, lambd):
        g = batch.backward_batch(parameters, X, Y, hidden, output, lambd)
        g["dW1"] = g["dW1"].copy()
        g["dW1"][137, 2, 1] *= 1 + 1e-6  # the smallest bug refnet.check promises to catch
        return g

    r = batch.verify_batch(P, X, Y, backward=backward)
    assert r.failed == [137], str(r)
    # the record names the entry: dW1[2, 1] of set 137, as W1[137,2,1] of the batched parameters
    rec = r.record
    assert [rec.name(int(k)) for k in np.flatnonzero(rec.status == 4)] == ["W1[137,2,1]"]
    back = pickle.loads(pickle.dumps(r))
    assert back.record == rec and back.failed == [137] and str(back) == str(r)


def test_bad_oracle_name():
    X, Y = data(2, 1, 3)
    with pytest.raises(ValueError, match="oracle"):
        batch.verify_batch(sets((2, 4, 1), 2, 1.0), X, Y, oracle="mpmath")


def test_only_the_public_network_api():
    """batch reaches refnet.network through its public functions, never a private helper."""
    import inspect
    import re

    assert not re.search(r"\bnet\._", inspect.getsource(batch))


@pytest.mark.parametrize("change,words", [
    ({"hidden": "tanhh"}, "hidden"), ({"output": "sigmoidd"}, "output"),
    ({"lambd": -1.0}, "lambd"), ({"Y": np.full((1, 3), 2.0)}, "Y"),
    ({"X": np.zeros((3, 3))}, "W1"),
])
def test_verify_batch_refuses_bad_arguments(change, words):
    X, Y = data(2, 1, 3)
    args = {"parameters": sets((2, 4, 1), 2, 1.0), "X": X, "Y": Y}
    args.update(change)
    with pytest.raises(ValueError, match=words):
        batch.verify_batch(**args)
