"""``refnet.fast``'s fused step is ``refnet.network.train_step``, bit for bit; ``network.train`` is
the plain loop of the public functions.

The fused step shares intermediates between the forward pass, the cost and the backward pass (one
e^-|Z| for σ, softplus and σ(-Z); one e^-2|z| for tanh and tanh') and reuses temporaries.  None
of that may change a single bit: fast.train and network.train must give identical costs and
parameters over whole trajectories, mini-batches, penalties and saturated logits included.
"""

from __future__ import annotations

import io
from contextlib import redirect_stdout

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from refnet import activations as A
from refnet import fast
from refnet import network as net


def public_loop(X, Y, hidden_sizes, *, hidden_activation="tanh", output="sigmoid",
                iterations=50, lr=0.01, lambd=0.0, batch_size=None, seed=None, scale=0.01):
    """train written out from the public functions, with its documented mini-batch order: a
    permutation from the generator that drew the weights, drawn again when a pass runs out."""
    rng = np.random.default_rng(seed)
    p = net.initialize_parameters(net.layer_sizes(X, Y, hidden_sizes), seed=rng, scale=scale)
    L = len(p) // 2
    m = X.shape[1]
    costs = np.empty(iterations)
    order, pos = None, 0
    for i in range(iterations):
        Xb, Yb = X, Y
        if batch_size is not None:
            if order is None or pos + batch_size > m:
                order, pos = rng.permutation(m), 0
            Xb, Yb = X[:, order[pos:pos + batch_size]], Y[:, order[pos:pos + batch_size]]
            pos += batch_size
        _, cache = net.forward_propagation(Xb, p, hidden_activation, output)
        costs[i] = net.cost_from_logits(cache[f"Z{L}"], Yb, output) + (
            net.l2_penalty([p[f"W{l}"] for l in range(1, L + 1)], lambd, Xb.shape[1])
            if lambd else 0.0)
        grads = net.backward_propagation(p, cache, Xb, Yb, hidden_activation, output, lambd)
        p = net.update_parameters(p, grads, lr)
    return p, costs


def assert_identical(a, b):
    (pa, ca), (pb, cb) = a, b
    np.testing.assert_array_equal(ca, cb)
    assert list(pa) == list(pb)
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)


def notebook_problem():
    rng = np.random.RandomState(1)
    X = rng.randn(2, 3)
    Y = (rng.randn(1, 3) > 0).astype(float)
    return X, Y


def deeper_problem(output):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((5, 40))
    if output == "sigmoid":
        Y = (rng.random((3, 40)) < 0.5).astype(float)
    else:
        Y = np.eye(3)[:, rng.integers(0, 3, 40)]
    return X, Y


def test_notebook_problem():
    X, Y = notebook_problem()
    kw = {"iterations": 300, "seed": 2}
    ref = net.train(X, Y, 4, **kw)
    assert_identical(fast.train(X, Y, 4, **kw), ref)
    assert_identical(public_loop(X, Y, 4, **kw), ref)


@pytest.mark.parametrize("hidden_activation",
                         ["tanh", "sigmoid", "relu", "leaky_relu", "gelu", "elu"])
@pytest.mark.parametrize("output", net.OUTPUTS)
@pytest.mark.parametrize("lambd,batch_size", [(0.0, None), (0.5, 7)])
def test_deeper_networks(hidden_activation, output, lambd, batch_size):
    X, Y = deeper_problem(output)
    kw = {"hidden_activation": hidden_activation, "output": output, "lambd": lambd,
              "batch_size": batch_size, "iterations": 40, "seed": 5, "scale": 1.0, "lr": 0.3}
    ref = net.train(X, Y, [8, 6], **kw)
    assert_identical(fast.train(X, Y, [8, 6], **kw), ref)
    assert_identical(public_loop(X, Y, [8, 6], **kw), ref)


def test_saturated_and_huge_logits():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, 10)) * 50.0
    X[0, 0] = 1e300  # tanh and σ far beyond their clip, e^-|z| underflowing to 0
    Y = (rng.random((2, 10)) < 0.5).astype(float)
    kw = {"iterations": 20, "seed": 1, "scale": 3.0, "lr": 0.5}
    assert_identical(fast.train(X, Y, 6, **kw), net.train(X, Y, 6, **kw))


def test_the_comparison_sees_one_ulp():
    """assert_identical is not vacuous: a learning rate one ulp off changes the trajectory."""
    X, Y = notebook_problem()
    ref = net.train(X, Y, 4, iterations=50, seed=2, lr=0.01)
    with pytest.raises(AssertionError):
        assert_identical(fast.train(X, Y, 4, iterations=50, seed=2, lr=np.nextafter(0.01, 1)),
                         ref)


@pytest.mark.parametrize("output", net.OUTPUTS)
def test_one_step_leaves_its_inputs_untouched(output):
    X, Y = deeper_problem(output)
    p = net.initialize_parameters((5, 8, 3), seed=0, scale=1.0)
    before = {k: v.copy() for k, v in p.items()}
    new_fast, c_fast = fast.train_step(p, X, Y, "tanh", output, 0.1, 0.3)
    new_ref, c_ref = net.train_step(p, X, Y, "tanh", output, 0.1, 0.3)
    assert c_fast == c_ref
    assert_identical((new_fast, []), (new_ref, []))
    for k in p:
        np.testing.assert_array_equal(p[k], before[k])
        assert not np.shares_memory(new_fast[k], p[k])


def test_train_is_silent_unless_asked():
    X, Y = notebook_problem()
    out, seen = io.StringIO(), []
    with redirect_stdout(out):
        _, costs = net.train(X, Y, 4, iterations=201, seed=2,
                             callback=lambda i, c, p: seen.append((i, c, p["W1"].shape)))
    assert out.getvalue() == ""
    assert seen == [(i, costs[i], (4, 2)) for i in range(201)]
    with redirect_stdout(out):
        net.train(X, Y, 4, iterations=201, seed=2, print_cost=True)
    assert out.getvalue() == "".join("cost % i:%f\n" % (i, costs[i]) for i in (0, 100, 200))  # noqa: UP031, the notebook's format


def test_blas_on_one_thread_while_training():
    def blas_threads():
        return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]

    inside = []
    X, Y = notebook_problem()
    with threadpool_limits(limits=2, user_api="blas"):  # two threads outside, whatever the env
        outside = blas_threads()
        assert outside and set(outside) == {2}  # NumPy's BLAS is loaded
        net.train(X, Y, 4, iterations=2, callback=lambda i, c, p: inside.append(blas_threads()))
        assert blas_threads() == outside
    assert inside == [[1] * len(outside)] * 2


@pytest.mark.parametrize("name", sorted(A.ACTIVATIONS))
def test_forward_and_derivative_is_bitwise_the_pair(name):
    z = np.concatenate([
        np.linspace(-40, 40, 801), [0.0, -0.0, 1e-310, -1e-310, 5e-324, 700.0, -700.0, 745.5,
                                    -745.5, 800.0, -800.0, 1e3, -1e3, 1e308, -1e308, 1.7e308,
                                    -1.7e308],
    ])  # finite only: the activations refuse inf and NaN
    act = A.ACTIVATIONS[name]
    f, d = A.forward_and_derivative(name)(z)
    f0, d0 = act.forward(z), act.derivative(z)
    # identical values, signed zeros included (a NaN is only required to be a NaN)
    for new, old in ((f, f0), (d, d0)):
        assert np.array_equal(new, old, equal_nan=True)
        real = ~np.isnan(old)
        assert np.array_equal(np.signbit(new[real]), np.signbit(old[real]))
