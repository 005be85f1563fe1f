"""A user's hand-written network, the kind refnet is asked to check.

:func:`notebook_style_network` builds a two-layer tanh/sigmoid network with unit-variance
weights, written the way the notebook writes it: the cost from the outputs,
-Σ[Y log A2 + (1-Y) log(1-A2)]/m, and a correct hand-written backward pass.  With many samples
and outputs the sigmoid saturates, A2 rounds near 1, and ``log(1 - A2)`` makes the cost noisy:
a correct gradient that fixed-tolerance checkers reject.  The tests and benchmarks use it as the
no-false-alarm case; it is also a worked example for users.
"""

from __future__ import annotations

import numpy as np

__all__ = ["notebook_style_network"]


def notebook_style_network(seed=0, n_x=20, n_h=64, n_y=10, m=256):
    """``(X, Y, P, cost, grad)``: inputs, 0/1 labels, parameters ``W1, b1, W2, b2`` (all
    standard normal, seeded), ``cost(p)`` and its hand-written gradient ``grad(p)`` (a dict keyed
    like ``p``)."""
    r = np.random.default_rng(seed)
    X = r.standard_normal((n_x, m))
    Y = (r.random((n_y, m)) < 0.5).astype(float)
    P = dict(W1=r.standard_normal((n_h, n_x)), b1=r.standard_normal((n_h, 1)),
             W2=r.standard_normal((n_y, n_h)), b2=r.standard_normal((n_y, 1)))

    def forward(p):
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
        return A1, A2

    def cost(p):
        _, A2 = forward(p)
        return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m

    def grad(p):
        A1, A2 = forward(p)
        dZ2 = A2 - Y
        dZ1 = (p["W2"].T @ dZ2) * (1 - A1**2)
        return dict(W1=dZ1 @ X.T / m, b1=dZ1.sum(1, keepdims=True) / m,
                    W2=dZ2 @ A1.T / m, b2=dZ2.sum(1, keepdims=True) / m)

    return X, Y, P, cost, grad
