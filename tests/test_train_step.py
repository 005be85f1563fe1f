"""``refnet.network.train``'s fused step is the unfused arithmetic, bit for bit.

train() shares intermediates between the forward pass, the cost and the backward pass (one e^-|Z|
for σ, softplus and σ(-Z); one e^-2|z| for tanh and tanh'), and updates in place.  None of that
may change a single bit: the reference below is the loop train() used to run, built from the
module's unfused functions, and both must give identical costs and parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

from refnet import activations as A
from refnet import network as net


def reference_train(X, Y, hidden, *, hidden_activation="tanh", output="sigmoid", iterations=50,
                    lr=0.01, lambd=0.0, batch_size=None, seed=None, scale=0.01):
    """The unfused loop: _forward, _cost_terms, _backward, θ - lr dθ (new arrays each step)."""
    dims = net.layer_sizes(X, Y, hidden)
    rng = np.random.default_rng(seed)
    p = net.initialize_parameters(dims, seed=rng, scale=scale)
    L = len(dims) - 1
    Ws = [p[f"W{l}"] for l in range(1, L + 1)]
    bs = [p[f"b{l}"] for l in range(1, L + 1)]
    act = A.ACTIVATIONS[hidden_activation]
    costs = np.empty(iterations)
    m_all = X.shape[1]
    order, pos = None, 0
    Xb, Yb, mb = X, Y, m_all
    for i in range(iterations):
        if batch_size is not None:
            if order is None or pos + batch_size > m_all:
                order, pos = rng.permutation(m_all), 0
            idx = order[pos:pos + batch_size]
            pos += batch_size
            Xb, Yb, mb = X[:, idx], Y[:, idx], batch_size
        Zs, As = net._forward(Xb, Ws, bs, act.forward, output)
        cost = np.sum(net._cost_terms(Zs[-1], Yb, output)) / mb
        if lambd:
            cost += net.l2_penalty(Ws, lambd, mb)
        costs[i] = cost
        dWs, dbs = net._backward(Xb, Yb, Ws, Zs, As, act.derivative, lambd, mb, output)
        Ws = [W - lr * dW for W, dW in zip(Ws, dWs)]
        bs = [b - lr * db for b, db in zip(bs, dbs)]
    out = {}
    for l in range(1, L + 1):
        out[f"W{l}"], out[f"b{l}"] = Ws[l - 1], bs[l - 1]
    return out, costs


def assert_identical(a, b):
    (pa, ca), (pb, cb) = a, b
    np.testing.assert_array_equal(ca, cb)
    assert pa.keys() == pb.keys()
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)


def test_notebook_problem():
    rng = np.random.RandomState(1)
    X = rng.randn(2, 3)
    Y = (rng.randn(1, 3) > 0).astype(float)
    kw = dict(iterations=300, seed=2)
    assert_identical(net.train(X, Y, 4, progress=False, **kw), reference_train(X, Y, 4, **kw))


@pytest.mark.parametrize("hidden_activation", ["tanh", "sigmoid", "relu", "leaky_relu", "gelu", "elu"])
@pytest.mark.parametrize("output", net.OUTPUTS)
@pytest.mark.parametrize("lambd,batch_size", [(0.0, None), (0.5, 7)])
def test_deeper_networks(hidden_activation, output, lambd, batch_size):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((5, 40))
    if output == "sigmoid":
        Y = (rng.random((3, 40)) < 0.5).astype(float)
    else:
        Y = np.eye(3)[:, rng.integers(0, 3, 40)]
    kw = dict(hidden_activation=hidden_activation, output=output, lambd=lambd,
              batch_size=batch_size, iterations=40, seed=5, scale=1.0, lr=0.3)
    assert_identical(net.train(X, Y, [8, 6], progress=False, **kw),
                     reference_train(X, Y, [8, 6], **kw))


def test_saturated_and_huge_logits():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3, 10)) * 50.0
    X[0, 0] = 1e300  # tanh and σ far beyond their clip, e^-|z| underflowing to 0
    Y = (rng.random((2, 10)) < 0.5).astype(float)
    kw = dict(iterations=20, seed=1, scale=3.0, lr=0.5)
    assert_identical(net.train(X, Y, 6, progress=False, **kw), reference_train(X, Y, 6, **kw))


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
