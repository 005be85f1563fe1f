"""Bad input to refnet.network gets a clear ValueError / TypeError naming the argument."""

import numpy as np
import pytest

from refnet import network as net

X = np.zeros((2, 3))
Y = np.zeros((1, 3))
P = net.initialize_parameters((2, 4, 1), seed=0)


def test_shapes_that_do_not_chain():
    bad = dict(P, W2=np.zeros((1, 5)))
    with pytest.raises(ValueError, match="W2"):
        net.forward_propagation(X, bad)
    with pytest.raises(ValueError, match="W1"):
        net.forward_propagation(np.zeros((3, 3)), P)


def test_unknown_names():
    with pytest.raises(ValueError, match="hidden"):
        net.forward_propagation(X, P, hidden="swish!")
    with pytest.raises(ValueError, match="output"):
        net.forward_propagation(X, P, output="tanh")


def test_flat_labels_against_row_outputs():
    AL, cache = net.forward_propagation(X, P)
    with pytest.raises(ValueError, match=r"Y.*reshape"):
        net.compute_cost(AL, np.zeros(3))
    with pytest.raises(ValueError, match="Y"):
        net.backward_propagation(P, cache, X, np.zeros(3))


def test_softmax_labels_must_be_distributions():
    p = net.initialize_parameters((2, 4, 2), seed=0)
    _, cache = net.forward_propagation(X, p, output="softmax")
    with pytest.raises(ValueError, match="distribution"):
        net.backward_propagation(p, cache, X, np.zeros((2, 3)), output="softmax")


def test_other_arguments():
    with pytest.raises(ValueError, match="hidden"):
        net.layer_sizes(X, Y, [4, 0])
    with pytest.raises(TypeError, match="hidden"):
        net.layer_sizes(X, Y, 4.5)
    with pytest.raises(ValueError, match="parameters"):
        net.forward_propagation(X, {"W1": P["W1"]})
    with pytest.raises(ValueError, match="lr"):
        net.update_parameters(P, {f"d{k}": v for k, v in P.items()}, lr=float("nan"))
    with pytest.raises(ValueError, match="batch_size"):
        net.train(X, Y, 4, iterations=1, batch_size=0)


def test_update_leaves_inputs_untouched():
    before = {k: v.copy() for k, v in P.items()}
    grads = {f"d{k}": np.ones_like(v) for k, v in P.items()}
    new = net.update_parameters(P, grads, lr=0.5)
    for k in P:
        np.testing.assert_array_equal(P[k], before[k])
        np.testing.assert_array_equal(new[k], before[k] - 0.5)


def test_saturated_cost_is_finite_from_logits():
    Z = np.array([[800.0, -800.0, 1e300]])
    Yb = np.array([[0.0, 1.0, 0.0]])
    assert np.isfinite(net.cost_from_logits(Z, Yb))
    assert net.compute_cost(np.array([[1.0, 0.0, 1.0]]), Yb) == np.inf


def test_minibatch_training_is_seeded():
    rng = np.random.default_rng(0)
    Xr = rng.standard_normal((3, 20))
    Yr = (rng.uniform(size=(1, 20)) < 0.5) * 1.0
    a = net.train(Xr, Yr, [4, 3], iterations=50, batch_size=8, seed=3, lr=0.1)
    b = net.train(Xr, Yr, [4, 3], iterations=50, batch_size=8, seed=3, lr=0.1)
    np.testing.assert_array_equal(a[1], b[1])
    c = net.train(Xr, Yr, [4, 3], iterations=50, batch_size=8, seed=4, lr=0.1)
    assert not np.array_equal(a[1], c[1])
