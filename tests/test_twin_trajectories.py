"""NumPy ``train`` and the JAX twin's ``lax.scan`` loop follow the same trajectory: from the same
initial parameters, the same cost history within TRAJECTORY_RTOL over 1000 iterations, for the
notebook's problem and for deeper random networks (the twin's gradients come from jax.grad)."""

from __future__ import annotations

import numpy as np
import pytest

import refnet.twin  # noqa: F401
from refnet import network as net
from refnet import notebook as nb
from refnet import tolerances as tol
from refnet.twin import network as twin

ITERATIONS = 1000


def _compare(X, Y, hidden, p0, **kw):
    p_np, c_np = net.train(X, Y, hidden, parameters=p0, iterations=ITERATIONS, **kw)
    p_jx, c_jx = twin.train(X, Y, p0, iterations=ITERATIONS, **kw)
    c_jx = np.asarray(c_jx)
    assert c_np.shape == c_jx.shape == (ITERATIONS,)
    np.testing.assert_allclose(c_np, c_jx, rtol=tol.TRAJECTORY_RTOL, atol=0)
    for key in p_np:
        np.testing.assert_allclose(p_np[key], np.asarray(p_jx[key]), rtol=tol.TRAJECTORY_RTOL,
                                   atol=tol.TRAJECTORY_RTOL * np.max(np.abs(p_np[key])))
    # the run went somewhere: the cost moved by far more than the tolerance
    assert abs(c_np[-1] - c_np[0]) > 1e3 * tol.TRAJECTORY_RTOL * abs(c_np[0])
    return c_np


def test_notebook_problem():
    np.random.seed(1)
    X = np.random.randn(2, 3)
    Y = (np.random.randn(1, 3) > 0) * 1.0
    p0 = nb.initialize_parameters(2, 4, 1)
    costs = _compare(X, Y, 4, p0, lr=0.01)
    # the notebook printed cost 900 as 0.127562 (6 decimals)
    assert abs(costs[900] - 0.127562) <= tol.PRINTED_HALF_UNIT * 1e-6


@pytest.mark.parametrize(
    "hidden_activation, output, lambd",
    [("tanh", "sigmoid", 0.0), ("sigmoid", "softmax", 0.01), ("leaky_relu", "softmax", 0.0),
     ("relu", "sigmoid", 0.05)],
)
def test_deeper_random_network(hidden_activation, output, lambd):
    rng = np.random.default_rng(11)
    X = rng.standard_normal((4, 16))
    if output == "sigmoid":
        Y = (rng.uniform(size=(2, 16)) < 0.5) * 1.0
    else:
        Y = np.eye(3)[:, rng.integers(0, 3, 16)]
    dims = net.layer_sizes(X, Y, (6, 5, 4))
    p0 = net.initialize_parameters(dims, seed=5, scale=0.5)
    _compare(X, Y, (6, 5, 4), p0, hidden_activation=hidden_activation, output=output,
             lr=0.1, lambd=lambd)
