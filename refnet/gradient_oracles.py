"""Gradient oracles for a scalar function of many parameters, and the network's error model.

``richardson_gradient`` and ``complex_step_gradient`` extend :mod:`refnet.oracles`' elementwise
oracles to a scalar J(θ) of a flat parameter vector θ ∈ R^P.  Both evaluate every perturbed θ in
one batched call: ``f`` takes a ``(B, P)`` array of parameter vectors and returns the ``(B,)``
values (refnet's :func:`refnet.network.loss` accepts parameters with a leading batch axis, so one
call evaluates all 2·levels·P stencil points).

``flatten`` / ``unflatten`` move between a parameter dict and θ; ``network_gradient_scale`` is
the rounding-error scale of the backward pass (the same recursion on absolute values), which the
tolerances of the network tests multiply.

NumPy only: nothing here imports JAX.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from refnet import oracles
from refnet import tolerances as tol

__all__ = [
    "flatten",
    "unflatten",
    "richardson_gradient",
    "complex_step_gradient",
    "network_gradient_scale",
]


def flatten(parameters):
    """θ = the entries of W1, b1, W2, b2, … (in the dict's order), and the list of
    ``(key, shape)`` that :func:`unflatten` needs."""
    layout = [(k, np.shape(v)) for k, v in parameters.items()]
    theta = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in parameters.values()])
    return theta, layout


def unflatten(theta, layout):
    """The parameter dict of θ; a leading batch axis of θ, ``(B, P)``, gives arrays ``(B, *shape)``."""
    theta = np.asarray(theta)
    batch = theta.shape[:-1]
    out, i = {}, 0
    for key, shape in layout:
        n = int(np.prod(shape))
        out[key] = theta[..., i:i + n].reshape(batch + tuple(shape))
        i += n
    if i != theta.shape[-1]:
        raise ValueError(f"theta: has {theta.shape[-1]} entries, the layout needs {i}")
    return out


def richardson_gradient(f: Callable, theta, *, h0=2.0**-6, levels: int = 4,
                        eval_error=None):
    """∂J/∂θ_i by central differences at steps h0, h0/2, …, extrapolated (Richardson).

    D_k = (J(θ + h_k e_i) - J(θ - h_k e_i)) / (2 h_k) has an error series in h², h⁴, …; the
    tableau R[k][j] = R[k][j-1] + (R[k][j-1] - R[k-1][j-1]) / (4^j - 1) removes one term per
    level.  ``h0`` is a scalar or one step per coordinate.  All 2·levels·P evaluations are one
    call ``f(thetas)`` with ``thetas`` of shape ``(2·levels·P, P)``.

    Returns ``(estimate, error)``: the error is the larger change of the last level (against the
    level before and the row before) plus the rounding noise, ``eval_error / h`` at each step
    carried through the tableau's weights; ``eval_error`` (the absolute rounding error of one
    evaluation of J) defaults to FD_EVAL_ULPS · eps · |J(θ)|.
    """
    theta = np.asarray(theta, dtype=np.float64)
    P = theta.size
    h0 = np.broadcast_to(np.asarray(h0, dtype=np.float64), (P,))
    steps = np.stack([h0 * 2.0**-k for k in range(levels)])  # (levels, P)
    eye = np.eye(P)
    plus = theta + steps[:, :, None] * eye  # (levels, P, P): row i moves θ_i
    minus = theta - steps[:, :, None] * eye
    batch = np.concatenate([plus.reshape(-1, P), minus.reshape(-1, P), theta[None]])
    values = np.asarray(f(batch), dtype=np.float64)
    n = levels * P
    fp = values[:n].reshape(levels, P)
    fm = values[n:2 * n].reshape(levels, P)
    f0 = values[-1]
    taken = (plus - minus)[:, np.arange(P), np.arange(P)]  # the steps actually taken
    rows = (fp - fm) / taken
    if eval_error is None:
        eval_error = tol.FD_EVAL_ULPS * tol.EPS * abs(f0)
    noise = 2.0 * eval_error / taken
    return oracles.extrapolate(list(rows), list(noise), 2.0)


def complex_step_gradient(f: Callable, theta, *, h: float = tol.COMPLEX_STEP_H):
    """∂J/∂θ_i = Im J(θ + i h e_i) / h for an analytic, complex-safe J; all P perturbations in
    one call ``f(thetas)`` with ``thetas`` complex of shape ``(P, P)``.

    Returns ``(estimate, error)``: a few ulps of the estimate plus the underflow floor
    (see :mod:`refnet.tolerances`).  Raises TypeError if ``f`` drops the imaginary part.
    """
    theta = np.asarray(theta, dtype=np.float64)
    P = theta.size
    batch = theta + 1j * h * np.eye(P)
    values = np.asarray(f(batch))
    if not np.iscomplexobj(values):
        raise TypeError("complex step: f dropped the imaginary part (it is not complex-safe)")
    est = values.imag / h
    err = tol.COMPLEX_STEP_RTOL * np.abs(est) + tol.COMPLEX_STEP_FLOOR
    return est, err


def network_gradient_scale(parameters, cache, X, Y, derivative, lambd=0.0, m=None,
                           derivative_floor=0.0, second_derivative=None):
    """The backward pass run on absolute values: the size of the terms each gradient entry sums.

    G_L = (|A_L|(1 + |log A_L|) + |Y|) / m;  S(dW_l) = G_l |A_{l-1}|ᵀ + (λ/m)|W_l|;  S(db_l) = Σ_samples G_l;
    G_{l-1} = (|W_l|ᵀ G_l) ⊙ |g'(Z_{l-1})|.  A float64 backward pass errs by a few ulps of
    S per operation (rounding in a sum is relative to the sum of the magnitudes, not to the
    result), so tolerances on gradient entries are multiples of eps · S.

    With ``second_derivative`` (g''), the rounding of each pre-activation is carried too: into
    A = g(Z) through |g'(Z)| and into g'(Z) through |g''(Z)| (see the comments below).

    ``derivative_floor`` is added to every |g'(Z)|: with 1.0 the result bounds how much an
    absolute error in g' moves each gradient entry (per unit of that error), the right model
    for an oracle whose g' is accurate only in absolute terms in the tails (autodiff of the
    twin's tanh: JAX's expm1 JVP is ``ans + 1``, which cancels for large negative arguments).
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    m = X.shape[1] if m is None else m
    L = len(parameters) // 2
    # A_L = e^(log A_L) comes out of exp with a relative error of about |log A_L| ulps (the
    # absolute rounding of its argument, e.g. z - logsumexp(z) ≈ -150 for a probability of
    # 1e-65), so its term carries that condition number: measured, jax.grad of the twin is
    # 237 ulps off on such a softmax probability, 3.7 ulps per unit of |log A_L|
    AL = np.abs(cache[f"A{L}"])
    with np.errstate(divide="ignore"):
        cond = 1.0 + np.where(AL > 0, np.abs(np.log(np.where(AL > 0, AL, 1.0))), 0.0)
    G = (AL * cond + np.abs(Y)) / m
    # The size of each pre-activation's rounding: Z_l = W_l A_{l-1} + b_l is a sum, rounded
    # relative to |W_l||A_{l-1}| + |b_l|, not to |Z_l|.  That rounding moves A_l = g(Z_l) by
    # |g'(Z_l)| times it, which matters where A_l is small against it (gelu(z) at z = -10 has
    # a condition number z² = 100): each |A_l| below carries |g'(Z_l)|·Zsize_l beside it.
    Zsize = {}
    A_abs = np.abs(X)
    for l in range(1, L):
        Zsize[l] = np.abs(parameters[f"W{l}"]) @ A_abs + np.abs(parameters[f"b{l}"])
        A_abs = np.abs(cache[f"A{l}"])
    scale = {}
    for l in range(L, 0, -1):
        if l > 1:
            Zp = cache[f"Z{l - 1}"]
            A_prev = np.abs(cache[f"A{l - 1}"])
            if second_derivative is not None:
                A_prev = A_prev + np.abs(derivative(Zp)) * Zsize[l - 1]
        else:
            A_prev = np.abs(X)
        W = np.abs(parameters[f"W{l}"])
        scale[f"dW{l}"] = G @ A_prev.T + (lambd / m) * W
        scale[f"db{l}"] = np.sum(G, axis=1, keepdims=True)
        if l > 1:
            Z = cache[f"Z{l - 1}"]
            gp = np.abs(derivative(Z)) + derivative_floor
            if second_derivative is not None:
                # Z itself is rounded (by about eps·Zsize), which moves g'(Z) by |g''(Z)| times
                # that: for g' = e^z (celu, elu at z ≪ 0) a relative |z| ulps, 290 at z = -290
                gp = gp + np.abs(second_derivative(Z)) * np.maximum(np.abs(Z), Zsize[l - 1])
            G = (W.T @ G) * gp
    return {k: scale[k] for k in sorted(scale, key=lambda k: (int(k[2:]), k[1]), reverse=False)}
