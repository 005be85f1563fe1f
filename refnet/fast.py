"""The reference training step, fused for speed: the same bits as :func:`refnet.network.train_step`.

:func:`refnet.network.train` loops over :func:`refnet.network.train_step`, which is the
mathematics written out (forward_propagation, cost_from_logits, backward_propagation,
update_parameters), each checking its input.  At the notebook's size (a dozen numbers per array)
that loop spends its time in NumPy's per-call overhead and in the checks, not in arithmetic.

:func:`train_step` here performs the same floating-point operations in the same order, so its
results are bitwise those of the reference step (tests/test_train_step.py proves it over whole
trajectories), but it:

- checks nothing: it is meant for :func:`refnet.network.train`'s loop, which checks X, Y and the
  parameters once before the first step;
- shares what the reference functions each recompute: one e = e^-|Z_L| of the output layer gives
  σ(Z_L), softplus(Z_L) and σ(-Z_L); the hidden activation's value and derivative come from one
  call where the registry fuses them (tanh: one e^-2|z|);
- calls NumPy's ufuncs through module-level names, with output arrays where a temporary can be
  reused.

:func:`train` is :func:`refnet.network.train` with this step: the same arguments, validation,
mini-batch order and results.  Use it where speed matters (the ``refnet train`` command); read
:mod:`refnet.network` to see what is computed.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from refnet import network
from refnet.activations import forward_and_derivative, log_softmax, softmax

__all__ = ["train", "train_step"]

# the ufuncs the step calls, bound once (a module global is found faster than np's attribute,
# and the step makes some fifty calls on a dozen numbers each)
_add_reduce = np.add.reduce
_matmul = np.matmul
_add, _subtract, _multiply, _divide = np.add, np.subtract, np.multiply, np.divide
_exp, _log1p, _negative, _where = np.exp, np.log1p, np.negative, np.where


@cache
def _pair(hidden):
    """z ↦ (g(z), g'(z)) for the activation named ``hidden``
    (activations.forward_and_derivative)."""
    return forward_and_derivative(hidden)


def _sigmoid_output(ZL, Y):
    """(Σ-able cost terms, A_L - Y) for a sigmoid output, from one e = e^-|Z_L|.

    The operations of sigmoid(Z), softplus(Z) - Y Z and network.output_delta: σ(Z) = 1/(1+e) for
    Z ≥ 0, e/(1+e) below; softplus(Z) = [Z ≥ 0] Z + log1p(e); σ(-Z) is the other branch of the
    same two quotients; A_L - Y = (1 - Y) σ(Z) - Y σ(-Z).
    """
    nonneg = ZL >= 0
    e = _exp(_where(nonneg, _negative(ZL), ZL))  # e^-|Z|; no clip needed: e^u = 0 below -745
    d = _add(e, 1.0)
    r = _divide(1.0, d)
    q = _divide(e, d)
    AL = _where(nonneg, r, q)
    terms = _multiply(ZL, nonneg)  # [Z >= 0] Z: Z · 1.0, or Z · 0.0 as softplus's 0.0 * Z
    _add(terms, _log1p(e), terms)
    _subtract(terms, _multiply(Y, ZL), terms)
    delta = _multiply(_subtract(1.0, Y), AL)
    # σ(-Z): the other quotient (at Z = 0 both are 1/2, so the mask Z >= 0 serves)
    _subtract(delta, _multiply(Y, _where(nonneg, q, r)), delta)
    return terms, delta


def train_step(parameters, X, Y, hidden="tanh", output="sigmoid", lambd=0.0, lr=0.01):
    """:func:`refnet.network.train_step`, fused: ``(θ - lr ∇J(θ), J(θ))``, bitwise the same.

    No checks: X (n_x, m) and Y (n_y, m) float64 arrays, ``parameters`` a dict of 2-D float64
    arrays W1, b1, …, WL, bL that chain, ``hidden`` a name of ``ACTIVATIONS``, ``output`` one of
    ``network.OUTPUTS``, ``lambd`` a float >= 0.  Returns a new dict; the inputs are untouched.
    """
    L = len(parameters) // 2
    Ws = [parameters[f"W{l}"] for l in range(1, L + 1)]
    bs = [parameters[f"b{l}"] for l in range(1, L + 1)]
    m = X.shape[1]
    pair = _pair(hidden)
    # forward: Z_l = W_l A_{l-1} + b_l, A_l = g(Z_l), keeping g'(Z_l) for the backward pass
    As, dgs = [X], [None]
    A = X
    for l in range(L - 1):
        Z = _matmul(Ws[l], A)
        _add(Z, bs[l], Z)
        A, dg = pair(Z)
        As.append(A)
        dgs.append(dg)
    ZL = _matmul(Ws[-1], A)
    _add(ZL, bs[-1], ZL)
    # cost terms and A_L - Y
    if output == "sigmoid":
        terms, delta = _sigmoid_output(ZL, Y)
    else:
        AL = softmax(ZL, axis=-2)
        terms = -Y * log_softmax(ZL, axis=-2)
        delta = network.output_delta(ZL, AL, Y, output)
    _divide(terms, m, terms)
    cost = _add_reduce(terms, axis=None)
    if lambd:
        cost = cost + network.l2_penalty(Ws, lambd, m)
    # backward and update: dZ_L = (A_L - Y)/m, dW_l = dZ_l A_{l-1}ᵀ (+ λ/m W_l), db_l = Σ dZ_l,
    # dZ_{l-1} = W_lᵀ dZ_l ⊙ g'(Z_{l-1}); θ - lr dθ
    new_Ws, new_bs = [None] * L, [None] * L
    dZ = _divide(delta, m, delta)
    for l in range(L - 1, -1, -1):
        W = Ws[l]
        dW = _matmul(dZ, As[l].T)
        if lambd:
            dW = dW + (lambd / m) * W
        db = _add_reduce(dZ, axis=1, keepdims=True)
        if l > 0:
            dZ = _matmul(W.T, dZ)
            _multiply(dZ, dgs[l], dZ)
        new_Ws[l] = _subtract(W, _multiply(lr, dW, dW))
        new_bs[l] = _subtract(bs[l], _multiply(lr, db, db))
    new = {}
    for l in range(1, L + 1):
        new[f"W{l}"], new[f"b{l}"] = new_Ws[l - 1], new_bs[l - 1]
    return new, cost


def train(X, Y, hidden_sizes, **options):
    """:func:`refnet.network.train` with the fused :func:`train_step`: the same arguments, checks
    and results, bit for bit."""
    return network.train(X, Y, hidden_sizes, step=train_step, **options)
