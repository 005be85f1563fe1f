"""Activation functions and their derivatives, written by hand in NumPy.

Every function takes an array of any shape (bool and integer input is promoted to float64),
keeps that shape and returns float64.  Forward functions also accept complex input, so that the
complex-step oracle can differentiate them: comparisons are made on ``z.real`` and no ``abs`` or
``maximum`` touches the complex value.

Derivative formulas are written in the input ``z`` and chosen for accuracy over the whole float64
range.  The notebook's formulas in the output ``s`` (``dsig(s) = s*(1-s)``, ``dthan(t) = 1-t**2``)
are kept as ``derivative_from_output``; they lose all relative accuracy once the output saturates,
and ``docs/derivatives.md`` measures by how much.

The twin of this module is :mod:`refnet.twin.activations`: same functions, same order, in
``jax.numpy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

__all__ = [
    "Activation",
    "ACTIVATIONS",
    "sigmoid",
    "sigmoid_derivative",
    "sigmoid_derivative_from_output",
    "sigmoid_second_derivative",
    "tanh",
    "tanh_derivative",
    "tanh_derivative_from_output",
    "tanh_second_derivative",
    "relu",
    "relu_derivative",
    "relu_derivative_from_output",
    "relu_second_derivative",
    "leaky_relu",
    "leaky_relu_derivative",
    "leaky_relu_derivative_from_output",
    "leaky_relu_second_derivative",
    "softmax",
    "log_softmax",
    "softmax_jacobian",
    "softmax_vjp",
]

# Past this |z|, exp(-2|z|) is below the smallest subnormal (exp(-745.2) rounds to 0), so
# clipping |z| there changes no float64 result and keeps 2|z| from overflowing at |z| ~ 1e308.
_CLIP = 800.0


def _input(z):
    """``z`` as a float64 array (complex128 if it is complex), bool and integers promoted."""
    z = np.asarray(z)
    if np.iscomplexobj(z):
        return z.astype(np.complex128, copy=False)
    if z.dtype.kind not in "biuf":
        raise TypeError(f"z: expected a numeric array, got dtype {z.dtype}")
    return z.astype(np.float64, copy=False)


def _positive(z):
    """Mask ``z > 0`` (on the real part, so complex input works)."""
    return np.real(z) > 0


def _nonneg(z):
    """Mask ``z >= 0`` (on the real part, so complex input works)."""
    return np.real(z) >= 0


def _neg_abs(z):
    """``-|z|`` written with a branch instead of ``abs``, so it stays analytic for complex z."""
    u = np.where(_nonneg(z), -z, z)
    return np.where(np.real(u) < -_CLIP, -_CLIP, u)


def _sign(z):
    """+1 where ``z >= 0`` and -1 elsewhere (on the real part)."""
    return np.where(_nonneg(z), 1.0, -1.0)


@dataclass(frozen=True)
class Activation:
    """An elementwise activation with its derivatives.

    ``forward(z, **params)`` is f(z); ``derivative(z, **params)`` is f'(z) at the input;
    ``derivative_from_output(s, **params)`` is f' written in the output s = f(z) (the
    notebook's style), or ``None`` where the output does not determine the derivative;
    ``second_derivative(z, **params)`` is f''(z).  ``kinks`` are the z where f is not
    differentiable; ``params`` the default keyword parameters.  ``analytic`` says whether f is
    analytic on each side of its kinks and complex-safe, so the complex step applies away from
    the kinks.  ``forward_ulps`` bounds the forward's error in ulps (0 where it is exact), which
    sets the tolerance of ``derivative_from_output``.
    """

    name: str
    forward: Callable
    derivative: Callable
    derivative_from_output: Callable | None
    second_derivative: Callable
    kinks: tuple[float, ...] = ()
    params: Mapping[str, float] = field(default_factory=dict)
    analytic: bool = True
    forward_ulps: int = 4

    def __repr__(self) -> str:
        return f"Activation({self.name!r}, kinks={self.kinks}, params={dict(self.params)})"


# ---------------------------------------------------------------------------------------------
# sigmoid


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z).

    Written with e = e^-|z| ≤ 1 so nothing overflows: σ = 1/(1+e) for z ≥ 0, e/(1+e) for z < 0.
    """
    z = _input(z)
    e = np.exp(_neg_abs(z))
    return np.where(_nonneg(z), 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z):
    """σ'(z) = σ(z)(1 - σ(z)) = e / (1 + e)², with e = e^-|z|.

    The form in e keeps full relative accuracy where σ saturates (≤ 3 ulps: one rounding each
    for exp, the sum, the square and the quotient), where ``s*(1-s)`` returns 0 past z ≈ 37.
    """
    z = _input(z)
    e = np.exp(_neg_abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def sigmoid_derivative_from_output(s):
    """σ' from the output: s (1 - s), the notebook's ``dsig``.

    Valid for s in [0, 1]; loses all relative accuracy once s rounds to 1 (z > 36.7), where
    1 - s is 0 or a few ulps of 1.
    """
    s = _input(s)
    return s * (1.0 - s)


def sigmoid_second_derivative(z):
    """σ''(z) = σ'(z)(1 - 2σ(z)) = -sign(z) e (1 - e) / (1 + e)³, with e = e^-|z|.

    1 - e is computed as -expm1(-|z|), exact in relative terms near z = 0.
    """
    z = _input(z)
    u = _neg_abs(z)
    e = np.exp(u)
    return -_sign(z) * e * (-np.expm1(u)) / ((1.0 + e) ** 3)


# ---------------------------------------------------------------------------------------------
# tanh


def tanh(z):
    """tanh(z) = (e^z - e^-z) / (e^z + e^-z) = sign(z) (1 - e) / (1 + e), with e = e^-2|z|.

    1 - e is -expm1(-2|z|): accurate near 0, and nothing overflows for any finite z.
    """
    z = _input(z)
    u = 2.0 * _neg_abs(z)
    return _sign(z) * (-np.expm1(u)) / (1.0 + np.exp(u))


def tanh_derivative(z):
    """tanh'(z) = 1 - tanh²(z) = sech²(z) = 4e / (1 + e)², with e = e^-2|z|.

    Full relative accuracy in the tails, where ``1 - t**2`` returns 0 past |z| ≈ 19.
    """
    z = _input(z)
    e = np.exp(2.0 * _neg_abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def tanh_derivative_from_output(t):
    """tanh' from the output: 1 - t², the notebook's ``dthan``.

    Valid for t in [-1, 1]; loses all relative accuracy once |t| rounds to 1 (|z| > 19.1).
    """
    t = _input(t)
    return 1.0 - t * t


def tanh_second_derivative(z):
    """tanh''(z) = -2 tanh(z) sech²(z) = -8 sign(z) e (1 - e) / (1 + e)³, with e = e^-2|z|."""
    z = _input(z)
    u = 2.0 * _neg_abs(z)
    e = np.exp(u)
    return -8.0 * _sign(z) * e * (-np.expm1(u)) / ((1.0 + e) ** 3)


# ---------------------------------------------------------------------------------------------
# relu


def relu(z):
    """relu(z) = max(0, z), written as a branch on z > 0 (complex-safe)."""
    z = _input(z)
    return np.where(_positive(z), z, 0.0 * z)


def relu_derivative(z):
    """relu'(z) = 1 for z > 0, else 0.  At the kink relu'(0) = 0, as in jax."""
    z = _input(z)
    return np.where(_positive(z), 1.0, 0.0)


def relu_derivative_from_output(s):
    """relu' from the output: 1 where s > 0, else 0 (the notebook's ``drelu``, as float64).

    Valid for every s = relu(z): s > 0 exactly when z > 0.
    """
    s = _input(s)
    return np.where(_positive(s), 1.0, 0.0)


def relu_second_derivative(z):
    """relu''(z) = 0 away from the kink (and 0 is taken at it)."""
    z = _input(z)
    return np.zeros(np.shape(z))


# ---------------------------------------------------------------------------------------------
# leaky relu


def leaky_relu(z, *, alpha=0.01):
    """leaky_relu(z) = z for z > 0, alpha z otherwise (alpha = 0.01 by default).

    The notebook writes ``np.maximum(0.01*z, z)``, which is the same function for 0 ≤ alpha ≤ 1
    only; the branch is right for every alpha.
    """
    z = _input(z)
    return np.where(_positive(z), z, alpha * z)


def leaky_relu_derivative(z, *, alpha=0.01):
    """leaky_relu'(z) = 1 for z > 0, alpha otherwise.

    At the kink we take alpha, the left derivative, as relu'(0) = 0 does and as the notebook's
    ``dlrelu`` does.  (``jax.grad(jax.nn.leaky_relu)(0.)`` gives 1: jax branches on z >= 0.)
    """
    z = _input(z)
    return np.where(_positive(z), 1.0, float(alpha))


def leaky_relu_derivative_from_output(s, *, alpha=0.01):
    """leaky_relu' from the output: 1 where s > 0, alpha elsewhere (the notebook's ``dlrelu``).

    Valid for alpha ≥ 0 only: then s > 0 exactly when z > 0.  For alpha < 0 a positive s comes
    from both sides of the kink, the output no longer determines the derivative, and this raises.
    """
    if alpha < 0:
        raise ValueError(
            f"alpha: leaky_relu_derivative_from_output needs alpha >= 0, got {alpha}; for a "
            "negative alpha the output does not determine the derivative, use derivative(z)"
        )
    s = _input(s)
    return np.where(_positive(s), 1.0, float(alpha))


def leaky_relu_second_derivative(z, *, alpha=0.01):
    """leaky_relu''(z) = 0 away from the kink (and 0 is taken at it)."""
    z = _input(z)
    return np.zeros(np.shape(z))


# ---------------------------------------------------------------------------------------------
# the registry

ACTIVATIONS: Mapping[str, Activation] = MappingProxyType(
    {
        "sigmoid": Activation(
            "sigmoid", sigmoid, sigmoid_derivative, sigmoid_derivative_from_output,
            sigmoid_second_derivative,
        ),
        "tanh": Activation(
            "tanh", tanh, tanh_derivative, tanh_derivative_from_output, tanh_second_derivative,
        ),
        "relu": Activation(
            "relu", relu, relu_derivative, relu_derivative_from_output, relu_second_derivative,
            kinks=(0.0,), forward_ulps=0,
        ),
        "leaky_relu": Activation(
            "leaky_relu", leaky_relu, leaky_relu_derivative, leaky_relu_derivative_from_output,
            leaky_relu_second_derivative, kinks=(0.0,), params=MappingProxyType({"alpha": 0.01}),
            forward_ulps=1,
        ),
    }
)


# ---------------------------------------------------------------------------------------------
# softmax


def _axis(z, axis):
    if z.ndim == 0:
        raise ValueError("z: softmax needs at least one dimension, got a 0-d array")
    if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool):
        raise TypeError(f"axis: expected an int, got {type(axis).__name__}")
    if not -z.ndim <= axis < z.ndim:
        raise ValueError(f"axis: {axis} is out of range for an array of {z.ndim} dimensions")
    return int(axis) % z.ndim


def softmax(z, axis=0):
    """softmax(z)_i = e^(z_i - max z) / Σ_j e^(z_j - max z), along ``axis`` (default 0).

    Shifting by the max leaves the result unchanged and keeps every exponent ≤ 0.  (The
    notebook's ``softmax`` normalises over the whole array; ``refnet.notebook`` keeps that.)
    """
    z = _input(z)
    axis = _axis(z, axis)
    with np.errstate(over="ignore"):  # z - max may be -inf for |z| ~ 1e308: exp gives the exact 0
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=0):
    """log softmax(z)_i = (z_i - max z) - log Σ_j e^(z_j - max z), along ``axis``."""
    z = _input(z)
    axis = _axis(z, axis)
    with np.errstate(over="ignore"):  # as in softmax: -inf is the correctly rounded result
        d = z - np.max(z, axis=axis, keepdims=True)
        return d - np.log(np.sum(np.exp(d), axis=axis, keepdims=True))


def softmax_jacobian(s, axis=0):
    """J = diag(s) - s sᵀ, the Jacobian ∂s_i/∂z_j of s = softmax(z), from the output s.

    For a vector s this is n×n.  For more dimensions the Jacobians along ``axis`` are stacked:
    the result has the other axes first and the two Jacobian axes last.
    """
    s = _input(s)
    axis = _axis(s, axis)
    v = np.moveaxis(s, axis, -1)
    eye = np.eye(v.shape[-1])
    return v[..., :, None] * eye - v[..., :, None] * v[..., None, :]


def softmax_vjp(s, g, axis=0):
    """gᵀJ along ``axis``: s ⊙ (g - Σ_j g_j s_j), the pullback of a cotangent g through softmax."""
    s = _input(s)
    g = _input(g)
    if s.shape != g.shape:
        raise ValueError(f"g: expected the shape of s, {s.shape}, got {g.shape}")
    axis = _axis(s, axis)
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))
