"""The rounding-error scales of the network's computations, which tolerances multiply."""

from __future__ import annotations

import numpy as np

__all__ = ["loss_rounding", "network_forward_scale", "network_gradient_scale"]


def loss_rounding(J, ZL, AL, Y, penalty=0.0):
    """The size of what one evaluation of the cost J rounds: |J| + Σ (|Y| + |A_L|)(|Z_L| + 1) / m
    + the penalty, over the last two axes (leading axes are parameter sets).

    softplus(Z) - Y Z and Z - log Σ e^Z cancel terms of size |Z| and 1, so a small J (a
    well-fitted set) is known to eps of those terms, not of J."""
    ZL, AL, Y = (np.asarray(a, dtype=np.float64) for a in (ZL, AL, Y))
    m = ZL.shape[-1]
    with np.errstate(over="ignore"):
        size = np.abs(J) + np.sum((np.abs(Y) + np.abs(AL)) * (np.abs(ZL) + 1.0),
                                  axis=(-2, -1)) / m
    return size + penalty


def network_gradient_scale(parameters, cache, X, Y, derivative, lambd=0.0, m=None,
                           derivative_floor=0.0, second_derivative=None):
    """The backward pass run on absolute values: the size of the terms each gradient entry sums.

    G_L = (|A_L|(1 + |log A_L|) + |Y|) / m;  S(dW_l) = G_l |A_{l-1}|ᵀ + (λ/m)|W_l|;
    S(db_l) = Σ_samples G_l;  G_{l-1} = (|W_l|ᵀ G_l) ⊙ |g'(Z_{l-1})|.  A float64 backward pass
    errs by a few ulps of S per operation (rounding in a sum is relative to the sum of the
    magnitudes, not to the result), so tolerances on gradient entries are multiples of eps · S.

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


def network_forward_scale(parameters, cache, X, Y, derivative, output):
    """The size of the rounding the forward pass carries into A_L and the cost, propagated
    through the layers: ``{"AL": (n_y, m) array, "cost": float}``, to be multiplied by ulps.

    Z_l = W_l A_{l-1} + b_l is a sum, rounded relative to R_l = |W_l||A_{l-1}| + |b_l| (not to
    |Z_l|, which can cancel); the rounding D_{l-1} already in A_{l-1} reaches it through |W_l|:

        E_l = R_l + |W_l| D_{l-1},   D_0 = 0 (X is exact),
        D_l = |g'(Z_l)| E_l + |A_l|  (g moves with its argument, and rounds its own result);

    at the output, σ: D_L = A_L(1 - A_L) E_L + A_L; softmax, A_i = e^(Z_i) / Σ e^(Z_j):
    D_L,i = A_i (E_i + Σ_j A_j E_j) + A_i, per sample.  The cost moves by (A_L - Y)/m per unit of
    Z_L, so its size is Σ |A_L - Y| E_L / m plus what it rounds itself (:func:`loss_rounding`,
    whose sum of term sizes also bounds |J|).  Two platforms whose BLAS sum in other orders, or
    whose libm rounds otherwise, each lie within a few ulps of these sizes from the exact values."""
    X = np.abs(np.asarray(X, dtype=np.float64))
    L = len(parameters) // 2
    A, D = X, np.zeros_like(X)
    for l in range(1, L + 1):
        W = np.abs(parameters[f"W{l}"])
        E = W @ A + np.abs(parameters[f"b{l}"]) + W @ D
        A = np.abs(cache[f"A{l}"])
        if l < L:
            D = np.abs(derivative(cache[f"Z{l}"])) * E + A
    if output == "sigmoid":
        D = A * (1.0 - A) * E + A
    else:
        D = A * (E + np.sum(A * E, axis=0, keepdims=True)) + A
    ZL, AL = cache[f"Z{L}"], cache[f"A{L}"]
    Y = np.asarray(Y, dtype=np.float64)
    m = ZL.shape[-1]
    J = np.sum(np.abs(AL - Y) * E) / m
    return {"AL": D, "cost": float(J + loss_rounding(0.0, ZL, AL, Y))}
