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

__all__ = ["mnist_sized_network", "notebook_style_network"]


def notebook_style_network(seed=0, n_x=20, n_h=64, n_y=10, m=256, hidden="tanh",
                           scaled=False, dyadic=False):
    """A two-layer network written the notebook's way: ``(X, Y, P, cost, grad)``.

    Inputs, 0/1 labels, parameters ``W1, b1, W2, b2`` (all standard normal, seeded),
    ``cost(p)`` and its hand-written gradient ``grad(p)`` (a dict keyed like ``p``).  ``hidden``
    is "tanh" (the notebook's) or "relu" (``np.maximum(Z1, 0)``); ``scaled`` divides each weight
    matrix by the square root of its fan-in (unit-variance weights saturate a wide relu layer's
    sigmoid outputs until log(1 - A) is -inf).  The cost is the notebook's, from the outputs:
    -Σ[Y log A2 + (1-Y) log(1-A2)]/m, A2 = σ(W2 g(W1 X + b1) + b2).

    ``dyadic`` rounds X to multiples of 2**-3, W1 and b1 to multiples of 2**-6, and adds 2**-12
    to b1: every product W1[i,j] X[j,s] is a multiple of 2**-9 with a few bits, so
    Z1 = W1 X + b1 is exact whatever order a BLAS sums in, it is never 0 (it is 2**-12 off the
    grid of 2**-9), and moving W1[i,j] by a dyadic step t moves Z1[i,s] by exactly t X[j,s].
    The kinks of a relu layer along W1[i,j] then lie at t = -Z1[i,s] / X[j,s] on every
    machine, which tests of the judgment beside kinks rely on.

    Parameters
    ----------
    seed : int, default 0
        The seed of the ``np.random.default_rng`` that draws X, Y and P.
    n_x : int, default 20
        The number of input features.
    n_h : int, default 64
        The number of hidden units.
    n_y : int, default 10
        The number of outputs (independent sigmoids).
    m : int, default 256
        The number of samples.
    hidden : {"tanh", "relu"}, default "tanh"
        The hidden activation.
    scaled : bool, default False
        Divide W1 by sqrt(n_x) and W2 by sqrt(n_h).
    dyadic : bool, default False
        Round X, W1 and b1 to the dyadic grids above.

    Returns
    -------
    X : ndarray
        The inputs, shape ``(n_x, m)``.
    Y : ndarray
        The 0/1 labels, shape ``(n_y, m)``.
    P : dict of ndarray
        ``W1, b1, W2, b2``.
    cost : callable
        ``cost(p) -> float``, the cross-entropy at parameters ``p``.
    grad : callable
        ``grad(p) -> dict``, its gradient, keyed ``W1, b1, W2, b2``.

    Raises
    ------
    ValueError
        If ``hidden`` is neither "tanh" nor "relu".

    See Also
    --------
    mnist_sized_network : A larger softmax network.

    Examples
    --------
    >>> from refnet.examples import notebook_style_network
    >>> X, Y, P, cost, grad = notebook_style_network(n_x=3, n_h=4, n_y=2, m=5)
    >>> X.shape, Y.shape, P["W1"].shape
    ((3, 5), (2, 5), (4, 3))
    >>> float(cost(P))
    2.463398

    The hand-written gradient agrees with a central difference:

    >>> h = 1e-6
    >>> up, down = dict(P, b2=P["b2"] + [[h], [0]]), dict(P, b2=P["b2"] - [[h], [0]])
    >>> bool(abs((cost(up) - cost(down)) / (2 * h) - grad(P)["b2"][0, 0]) < 1e-6)
    True
    >>> X, Y, P, cost, grad = notebook_style_network(n_x=3, n_h=4, n_y=2, m=5, hidden="relu",
    ...                                              dyadic=True)
    >>> bool(np.all(P["W1"] @ X + P["b1"] != 0))  # no pre-activation on a kink
    True
    """
    if hidden not in ("tanh", "relu"):
        raise ValueError(f"hidden: 'tanh' or 'relu', got {hidden!r}")
    r = np.random.default_rng(seed)
    X = r.standard_normal((n_x, m))
    Y = (r.random((n_y, m)) < 0.5).astype(float)
    P = dict(W1=r.standard_normal((n_h, n_x)), b1=r.standard_normal((n_h, 1)),
             W2=r.standard_normal((n_y, n_h)), b2=r.standard_normal((n_y, 1)))
    if scaled:
        P["W1"] /= np.sqrt(n_x)
        P["W2"] /= np.sqrt(n_h)
    if dyadic:
        X = np.round(X * 8) / 8
        P["W1"] = np.round(P["W1"] * 64) / 64
        P["b1"] = np.round(P["b1"] * 64) / 64 + 2.0**-12

    def forward(p):
        Z1 = p["W1"] @ X + p["b1"]
        A1 = np.tanh(Z1) if hidden == "tanh" else np.maximum(Z1, 0)
        A2 = 1 / (1 + np.exp(-(p["W2"] @ A1 + p["b2"])))
        return A1, A2

    def cost(p):
        _, A2 = forward(p)
        return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m

    def grad(p):
        A1, A2 = forward(p)
        dZ2 = A2 - Y
        dZ1 = (p["W2"].T @ dZ2) * ((1 - A1**2) if hidden == "tanh" else (A1 > 0))
        return dict(W1=dZ1 @ X.T / m, b1=dZ1.sum(1, keepdims=True) / m,
                    W2=dZ2 @ A1.T / m, b2=dZ2.sum(1, keepdims=True) / m)

    return X, Y, P, cost, grad


def mnist_sized_network(seed=0, n_x=784, n_h=128, n_y=10, m=64):
    """A 784-128-10 tanh/softmax network, MNIST-sized: ``(X, Y, P, cost, grad)``.

    The size of an MNIST classifier (101,770 parameters): inputs, one-hot labels, parameters
    ``W1, b1, W2, b2`` (Xavier-scaled, seeded), the cross-entropy from the logits
    J = -Σ Y ⊙ log softmax(W2 tanh(W1 X + b1) + b2) / m and its hand-written gradient.

    The cost is complex-safe (the log-sum-exp shift by the column maximum is exact for any
    shift), so the complex step can judge it.  Checking every parameter takes minutes; the
    sampled check (``check_gradient(..., sample=200)``) about a second.

    Parameters
    ----------
    seed : int, default 0
        The seed of the ``np.random.default_rng`` that draws X, Y and P.
    n_x : int, default 784
        The number of input features (28 × 28 pixels).
    n_h : int, default 128
        The number of hidden units.
    n_y : int, default 10
        The number of classes.
    m : int, default 64
        The number of samples.

    Returns
    -------
    X : ndarray
        The inputs, shape ``(n_x, m)``.
    Y : ndarray
        One-hot labels, shape ``(n_y, m)``.
    P : dict of ndarray
        ``W1, b1, W2, b2``.
    cost : callable
        ``cost(p)``, the cross-entropy at parameters ``p`` (real or complex).
    grad : callable
        ``grad(p) -> dict``, its gradient, keyed ``W1, b1, W2, b2``.

    See Also
    --------
    notebook_style_network : The small sigmoid network of the notebook.

    Examples
    --------
    >>> from refnet.examples import mnist_sized_network
    >>> X, Y, P, cost, grad = mnist_sized_network()
    >>> X.shape, Y.shape, sum(p.size for p in P.values())
    ((784, 64), (10, 64), 101770)
    >>> float(cost(P))
    2.539192

    The complex step along b2[0] gives the gradient's entry:

    >>> step = np.zeros((10, 1), complex)
    >>> step[0, 0] = 1e-20j
    >>> float(cost(dict(P, b2=P["b2"] + step)).imag / 1e-20), float(grad(P)["b2"][0, 0])
    (-0.0159509, -0.0159509)
    """
    r = np.random.default_rng(seed)
    X = r.standard_normal((n_x, m))
    Y = np.eye(n_y)[:, r.integers(0, n_y, m)]
    P = {"W1": r.standard_normal((n_h, n_x)) / np.sqrt(n_x),
         "b1": 0.1 * r.standard_normal((n_h, 1)),
         "W2": r.standard_normal((n_y, n_h)) / np.sqrt(n_h),
         "b2": 0.1 * r.standard_normal((n_y, 1))}

    def forward(p):
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        Z2 = p["W2"] @ A1 + p["b2"]
        S = Z2 - Z2.max(axis=0)
        return A1, S - np.log(np.exp(S).sum(axis=0))

    def cost(p):
        return -np.sum(Y * forward(p)[1]) / m

    def grad(p):
        A1, logA2 = forward(p)
        dZ2 = (np.exp(logA2) - Y) / m
        dZ1 = (p["W2"].T @ dZ2) * (1 - A1**2)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True),
                "W2": dZ2 @ A1.T, "b2": dZ2.sum(1, keepdims=True)}

    return X, Y, P, cost, grad
