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


def test_softmax_labels_must_be_distributions_in_train_and_cost():
    with pytest.raises(ValueError, match="distribution"):
        net.train(X, np.full((2, 3), 0.4), 4, output="softmax", iterations=1)
    with pytest.raises(ValueError, match="distribution"):
        net.cost_from_logits(np.zeros((2, 3)), np.full((2, 3), 0.4), "softmax")


def test_lambd_must_be_a_number_at_least_zero():
    for bad in (-0.1, float("nan"), float("inf"), "0.1"):
        with pytest.raises(ValueError, match="lambd"):
            net.l2_penalty([P["W1"]], bad, 3)
        with pytest.raises(ValueError, match="lambd"):
            net.loss(P, X, Y, lambd=bad)


# ---------------------------------------------------------------------------------------------
# leading batch axes: every set as if alone, and mismatched axes refused

def _sets(B, dims=(2, 4, 1), seed=0):
    r = np.random.default_rng(seed)
    p = {}
    for l in range(1, len(dims)):
        p[f"W{l}"] = r.standard_normal((B, dims[l], dims[l - 1]))
        p[f"b{l}"] = r.standard_normal((B, dims[l], 1))
    return p


@pytest.mark.parametrize("output", net.OUTPUTS)
def test_batched_forward_cost_backward_are_each_set_alone(output):
    r = np.random.default_rng(1)
    Xr = r.standard_normal((2, 5))
    Yr = (np.eye(2)[:, r.integers(0, 2, 5)] if output == "softmax"
          else (r.random((2, 5)) < 0.5) * 1.0)
    Pb = _sets(4, (2, 3, 2))
    AL, cache = net.forward_propagation(Xr, Pb, "tanh", output)
    J = net.cost_from_logits(cache["Z2"], Yr, output)
    g = net.backward_propagation(Pb, cache, Xr, Yr, "tanh", output, 0.2)
    assert AL.shape == (4, 2, 5) and J.shape == (4,) and g["dW1"].shape == (4, 3, 2)
    for s in range(4):
        p = {k: v[s] for k, v in Pb.items()}
        AL_s, cache_s = net.forward_propagation(Xr, p, "tanh", output)
        np.testing.assert_array_equal(AL[s], AL_s)
        assert J[s] == net.cost_from_logits(cache_s["Z2"], Yr, output)
        g_s = net.backward_propagation(p, cache_s, Xr, Yr, "tanh", output, 0.2)
        for k in g_s:
            np.testing.assert_array_equal(g[k][s], g_s[k], err_msg=k)


def test_batch_axes_must_agree():
    Pb = _sets(3)
    with pytest.raises(ValueError, match="W2: batch axes"):
        net.forward_propagation(X, dict(Pb, W2=Pb["W2"][:2]))
    with pytest.raises(ValueError, match="b1: expected shape"):
        net.forward_propagation(X, dict(Pb, b1=Pb["b1"][0]))
    with pytest.raises(ValueError, match="X: expected a 2-D"):
        net.forward_propagation(np.zeros((3, 2, 3)), Pb)  # X is shared, never batched
    _, cache = net.forward_propagation(X, Pb)
    with pytest.raises(ValueError, match="cache: Z1/A1"):
        net.backward_propagation(Pb, {k: v[0] for k, v in cache.items()}, X, Y)


def test_a_missing_or_extra_parameter_is_named():
    p = net.initialize_parameters([2, 3, 1], seed=0)
    X = np.ones((2, 4))
    with pytest.raises(ValueError, match=r"got \['W1', 'W2', 'b1'\]: missing b2$"):
        net.forward_propagation(X, {k: v for k, v in p.items() if k != "b2"})
    with pytest.raises(ValueError, match="missing b3$"):
        net.forward_propagation(X, dict(p, W3=np.ones((1, 1))))
    with pytest.raises(ValueError, match="unexpected c$"):
        net.forward_propagation(X, dict(p, c=1.0))


def test_a_gradient_missing_one_key_names_that_key():
    from refnet.check import check_gradient

    p = net.initialize_parameters([2, 3, 1], seed=0)
    X, Y = np.ones((2, 4)), np.array([[0.0, 1.0, 0.0, 1.0]])

    def grad(q):
        _, cache = net.forward_propagation(X, q)
        g = net.backward_propagation(q, cache, X, Y)
        del g["db2"]
        return g

    r = check_gradient(lambda q: net.loss(q, X, Y), grad, p)
    assert r.verdict == "ERROR" and r.error.endswith("missing ['db2']"), r.error


def test_a_gradient_for_a_parameter_x_does_not_have_is_refused():
    # other entries of a backward pass (its dA1, dZ1) are ignored; one named as the parameters
    # are with another number (dW3 beside W1 … b2) is a gradient x has no parameter for
    from refnet.check import check_gradient

    p = net.initialize_parameters([2, 3, 1], seed=0)
    X, Y = np.ones((2, 4)), np.array([[0.0, 1.0, 0.0, 1.0]])

    def grad(q, **more):
        _, cache = net.forward_propagation(X, q)
        return dict(net.backward_propagation(q, cache, X, Y), **more)

    f = lambda q: net.loss(q, X, Y)
    assert check_gradient(f, lambda q: grad(q, dA1=np.zeros((3, 4))), p).ok
    r = check_gradient(f, lambda q: grad(q, dW3=np.ones((1, 1))), p)
    assert r.verdict == "ERROR" and "['dW3'], for which x has no parameter" in r.error, r.error


@pytest.mark.parametrize("f_out, g_out, said", [
    ("1.0", None, "f returned str '1.0', expected numbers"),
    (None, None, "f returned None (a missing return?)"),
    (1.0, "none", "grad returned None (a missing return?)"),
    (1.0, ["1", "2"], "grad returned list ['1', '2'], expected numbers"),
])
def test_what_f_or_grad_returned_is_named_when_it_is_not_numbers(f_out, g_out, said):
    # a string was read as the number it spells, None as NaN ("f is not finite")
    from refnet.check import check_gradient

    x = np.array([0.5, -1.0])
    grad = (lambda v: None) if g_out == "none" else \
        (lambda v: g_out) if g_out is not None else (lambda v: np.zeros(2))
    r = check_gradient(lambda v: f_out, grad, x)
    assert r.verdict == "ERROR" and said in r.error, r.error


def test_a_bad_seed_is_named():
    with pytest.raises(ValueError, match="seed: expected None, an integer >= 0"):
        net.initialize_parameters([2, 3, 1], -1)
    with pytest.raises(ValueError, match="seed"):
        net.initialize_parameters([2, 3, 1], "zero")


def test_an_unknown_activation_names_the_nearest():
    from refnet import activations as A
    from refnet.check import check_derivative

    with pytest.raises(KeyError, match="did you mean 'sigmoid'"):
        A.ACTIVATIONS["sigmod"]
    with pytest.raises(KeyError, match="did you mean 'sigmoid'"):
        check_derivative("sigmod", np.cos, np.ones(2))
    assert "sigmoid" in A.ACTIVATIONS and [1] not in A.ACTIVATIONS


def test_a_ragged_point_is_named():
    from refnet.check import check_gradient

    with pytest.raises(TypeError, match="x: expected an array or a dict of arrays, got a tuple"):
        check_gradient(lambda v: 0.0, lambda v: v, (np.ones(2), np.ones(3)))
