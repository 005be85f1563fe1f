"""The notebook's own names and signatures, over refnet's general code.

``sigmoid, tan, relu, lrelu, softmax, dsig, dthan, drelu, dlrelu, layer_sizes,
initialize_parameters, forward_propagation, compute_cost, BWP, update, NN`` return what the
notebook's functions return (dicts keyed W1, b1, W2, b2; caches Z1, A1, Z2, A2; grads dW2, db2,
dW1, db1 in the notebook's order) and reproduce what it printed (``tests/test_notebook.py``).

Where the notebook's code and its printout disagree, or its code is wrong, this module follows
the code and ``docs/errata.md`` records the difference:

- ``lrelu`` computes ``max(0.01 z, z)`` as the code does (-0.00611756 at z = -0.61175641); the
  printout shows 0.01 there, which no line of the code can produce.  ``dlrelu`` of that output
  is then 0.01 (alpha) where the output is negative; the printout shows 1 everywhere.
- ``softmax`` normalises over the whole array, as the code does (not per column).
- ``BWP`` divides by ``m = Y.size``, as the code does: the number of samples only when n_y = 1.
  :func:`refnet.network.backward_propagation` divides by the number of samples.
- ``tan`` is refnet's tanh: the notebook's ``(e^z - e^-z)/(e^z + e^-z)`` overflows to nan for
  |z| > ~710; the values agree wherever the notebook's form is finite (to a few ulps).
- ``compute_cost`` takes 0 · log 0 as 0 (the notebook's form gives nan there, and inf / nan
  once an output saturates to exactly 0 or 1; the logits form in refnet.network stays finite).

Global state: like the notebook, ``initialize_parameters`` seeds NumPy's global generator with 2
and draws with ``np.random.randn``, and ``NN`` seeds it with 3 first; this module alone touches
NumPy's global random state.  Unlike the notebook, ``initialize_parameters`` does not print
``W1.shape`` (the notebook prints ``(4, 2)``); the values it returns are the same.
"""

from __future__ import annotations

import numpy as np

from refnet import activations as _act
from refnet import network as _net

__all__ = [
    "sigmoid",
    "tan",
    "relu",
    "lrelu",
    "softmax",
    "dsig",
    "dthan",
    "drelu",
    "dlrelu",
    "layer_sizes",
    "initialize_parameters",
    "forward_propagation",
    "compute_cost",
    "BWP",
    "update",
    "NN",
]


# ---------------------------------------------------------------------------------------------
# activations


def sigmoid(z):
    """s = 1 / (1 + e^-z)."""
    return _act.sigmoid(z)


def tan(z):
    """s = (e^z - e^-z) / (e^z + e^-z) = tanh(z) (refnet's form: finite for every z)."""
    return _act.tanh(z)


def relu(z):
    """s = max(0, z).

    refnet's relu returns -0.0 for negative z (its ``0.0 * z`` keeps complex input complex);
    adding +0.0 turns that into the +0.0 that ``np.maximum(0, z)`` prints as ``0.``.
    """
    return _act.relu(z) + 0.0


def lrelu(z):
    """s = max(0.01 z, z), the notebook's code (its printout of 0.01 for negative z is an
    erratum: the code gives 0.01 z)."""
    return _act.leaky_relu(z, alpha=0.01)


def softmax(vector):
    """s = e^v / Σ e^v over the WHOLE array, as the notebook's code normalises (``e.sum()``);
    computed as e^(v - max v) / Σ e^(v - max v), the same values without overflow."""
    v = np.asarray(vector, dtype=np.float64)
    e = np.exp(v - np.max(v))
    return e / e.sum()


def dsig(s):
    """σ' from the output s: s (1 - s)."""
    return _act.sigmoid_derivative_from_output(s)


def dthan(s):
    """tanh' from the output s: 1 - s²."""
    return _act.tanh_derivative_from_output(s)


def drelu(s):
    """relu' from the output: ``np.int64(s > 0)``, 1 where s > 0 else 0, as int64."""
    return np.int64(_act.relu_derivative_from_output(s) > 0)


def dlrelu(s, alpha=0.01):
    """leaky relu' from the output: 1 where s > 0, alpha elsewhere (float64)."""
    return _act.leaky_relu_derivative_from_output(s, alpha=alpha)


# ---------------------------------------------------------------------------------------------
# the network


def layer_sizes(X, Y, layers):
    """(n_x, n_h, n_y) = (X.shape[0], layers, Y.shape[0])."""
    return _net.layer_sizes(X, Y, layers)


def initialize_parameters(n_x, n_h, n_y):
    """np.random.seed(2); W1 = randn(n_h, n_x)·0.01, b1 = 0, W2 = randn(n_y, n_h)·0.01, b2 = 0.

    Seeds NumPy's global generator, as the notebook does (it also prints W1.shape; this does
    not).
    """
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X, parameters):
    """Z1 = W1 X + b1, A1 = tanh(Z1), Z2 = W2 A1 + b2, A2 = σ(Z2); returns (A2, cache)."""
    return _net.forward_propagation(X, parameters, hidden="tanh", output="sigmoid")


def compute_cost(A2, Y, parameters):
    """-Σ [Y log A2 + (1 - Y) log(1 - A2)] / m, m = Y.shape[1]; ``parameters`` is unused, as in
    the notebook."""
    del parameters
    return _net.compute_cost(A2, Y, output="sigmoid")


def BWP(parameters, cache, X, Y):
    """dZ2 = A2 - Y; dW2 = dZ2 A1ᵀ / m; db2 = Σ dZ2 / m; dZ1 = W2ᵀ dZ2 ⊙ tanh'(Z1);
    dW1 = dZ1 Xᵀ / m; db1 = Σ dZ1 / m — with the notebook's m = Y.size (an erratum once
    n_y > 1: the mean should be over the m = X.shape[1] samples)."""
    g = _net.backward_propagation(parameters, cache, X, Y, hidden="tanh", output="sigmoid",
                                  m=np.asarray(Y).size)
    return {"dW2": g["dW2"], "db2": g["db2"], "dW1": g["dW1"], "db1": g["db1"]}


def update(parameters, grades, lr=0.01):
    """W ← W - lr dW and b ← b - lr db for both layers; a new dict."""
    return _net.update_parameters(parameters, grades, lr=lr)


def NN(X, Y, layers, itr=10000, print_cost=False):
    """The notebook's training loop: seed 3, initialise (which seeds 2), then ``itr`` steps of
    forward, cost, BWP and update at lr = 0.01, printing ``"cost % i:%f"`` every 100 steps."""
    np.random.seed(3)
    n_x, n_h, n_y = layer_sizes(X, Y, layers)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(0, itr):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y, parameters)
        grades = BWP(parameters, cache, X, Y)
        parameters = update(parameters, grades, lr=0.01)
        if print_cost and i % 100 == 0:
            print(f"cost {i: d}:{cost:f}")
    return parameters
