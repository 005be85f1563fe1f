"""The mpmath side of :mod:`refnet.network`: the forward pass, the cost from the logits and the
textbook backward pass, elementwise in ``mpmath.matrix`` at the caller's working precision.

Same names as the NumPy side (``forward_propagation``, ``cost_from_logits``,
``backward_propagation``); arrays are features × samples, parameters a dict ``W1, b1, …`` and
gradients a dict ``dW1, db1, …``, each value an ``mpmath.matrix``.  The hidden activation and its
derivative come from :mod:`refnet.mp.activations`, never from the NumPy side.
``refnet.vectors.network_reference`` runs this at 160 bits and rounds the results to float64.
"""

from __future__ import annotations

import mpmath as mp

from refnet.mp.activations import ACTIVATIONS

__all__ = [
    "backward_propagation",
    "cost_and_gradients",
    "cost_from_logits",
    "forward_propagation",
    "matrix",
]


def matrix(a) -> mp.matrix:
    """``a`` (an ``mpmath.matrix``, a 2-D NumPy array or nested lists) as an ``mpmath.matrix``;
    floats convert exactly."""
    if isinstance(a, mp.matrix):
        return a
    return mp.matrix(a.tolist() if hasattr(a, "tolist") else a)


def _map(fn, z, **params):
    """fn applied to every element of the matrix z."""
    out = mp.matrix(z.rows, z.cols)
    for r in range(z.rows):
        for c in range(z.cols):
            out[r, c] = fn(z[r, c], **params)
    return out


def _depth(parameters) -> int:
    """The number of layers L of a dict W1, b1, …, WL, bL."""
    return len(parameters) // 2


def forward_propagation(X, parameters, hidden="tanh", output="sigmoid", **hidden_params):
    """``(AL, cache)``: Z_l = W_l A_{l-1} + b_l (A_0 = X), A_l = g(Z_l) for the hidden layers,
    A_L = σ(Z_L) = 1/(1 + e^-Z_L) or softmax over each column, exp(Z_L - log Σ e^Z_L); the
    cache holds Z1, A1, …, ZL, AL.  ``hidden_params`` go to g (e.g. ``alpha``)."""
    g = ACTIVATIONS[hidden][0]
    A = matrix(X)
    L = _depth(parameters)
    cache = {}
    for i in range(1, L + 1):
        W, b = matrix(parameters[f"W{i}"]), matrix(parameters[f"b{i}"])
        Z = W * A
        for r in range(Z.rows):
            for c in range(Z.cols):
                Z[r, c] += b[r, 0]
        if i < L:
            A = _map(g, Z, **hidden_params)
        elif output == "sigmoid":
            A = _map(lambda v: 1 / (1 + mp.exp(-v)), Z)
        else:
            A = mp.matrix(Z.rows, Z.cols)
            for c in range(Z.cols):
                col = [Z[r, c] for r in range(Z.rows)]
                lse = mp.log(mp.fsum(mp.exp(v) for v in col))
                for r in range(Z.rows):
                    A[r, c] = mp.exp(col[r] - lse)
        cache[f"Z{i}"], cache[f"A{i}"] = Z, A
    return A, cache


def cost_from_logits(ZL, Y, output="sigmoid"):
    """The cross-entropy from the logits, m = ZL.cols:
    sigmoid: Σ [y log1p(e^-z) + (1 - y) log1p(e^z)] / m
             (= -Σ [y log σ(z) + (1 - y) log σ(-z)] / m);
    softmax: -Σ y (z - log Σ_column e^z) / m."""
    ZL, Y = matrix(ZL), matrix(Y)
    cost = mp.mpf(0)
    if output == "sigmoid":
        for r in range(ZL.rows):
            for c in range(ZL.cols):
                z, y = ZL[r, c], Y[r, c]
                cost += y * mp.log1p(mp.exp(-z)) + (1 - y) * mp.log1p(mp.exp(z))
    else:
        for c in range(ZL.cols):
            col = [ZL[r, c] for r in range(ZL.rows)]
            lse = mp.log(mp.fsum(mp.exp(v) for v in col))
            for r in range(ZL.rows):
                cost -= Y[r, c] * (col[r] - lse)
    return cost / ZL.cols


def backward_propagation(parameters, cache, X, Y, hidden="tanh", output="sigmoid",
                         **hidden_params):
    """The gradients of the mean cross-entropy, by the textbook backward pass:
    dZ_L = (A_L - Y)/m, dW_l = dZ_l A_{l-1}ᵀ, db_l = Σ_samples dZ_l,
    dZ_{l-1} = (W_lᵀ dZ_l) ⊙ g′(Z_{l-1}), m = X.cols."""
    dg = ACTIVATIONS[hidden][1]
    X, Y = matrix(X), matrix(Y)
    L = _depth(parameters)
    A = [X] + [cache[f"A{i}"] for i in range(1, L)]
    dZ = (cache[f"A{L}"] - Y) / X.cols
    grads = {}
    for i in range(L, 0, -1):
        grads[f"dW{i}"] = dZ * A[i - 1].T
        db = mp.matrix(dZ.rows, 1)
        for r in range(dZ.rows):
            db[r, 0] = mp.fsum(dZ[r, c] for c in range(dZ.cols))
        grads[f"db{i}"] = db
        if i > 1:
            dA = matrix(parameters[f"W{i}"]).T * dZ
            Z_prev = cache[f"Z{i - 1}"]
            dZ = mp.matrix(dA.rows, dA.cols)
            for r in range(dA.rows):
                for c in range(dA.cols):
                    dZ[r, c] = dA[r, c] * dg(Z_prev[r, c], **hidden_params)
    return grads


def cost_and_gradients(X, Y, parameters, hidden="tanh", output="sigmoid", **hidden_params):
    """``(cost, grads)`` of the network: forward pass, cost from the logits Z_L, backward pass."""
    _, cache = forward_propagation(X, parameters, hidden, output, **hidden_params)
    cost = cost_from_logits(cache[f"Z{_depth(parameters)}"], Y, output)
    return cost, backward_propagation(parameters, cache, X, Y, hidden, output, **hidden_params)
