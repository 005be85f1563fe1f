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

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from refnet._names import Registry
from refnet._root_series import (
    _GELU_DERIVATIVE_ZEROS,
    _GELU_TANH_DERIVATIVE_ZEROS,
    _GELU_TANH_SECOND_DERIVATIVE_ZEROS,
    _MISH_DERIVATIVE_ZEROS,
    _MISH_SECOND_DERIVATIVE_ZEROS,
    _SILU_DERIVATIVE_ZEROS,
    _SILU_SECOND_DERIVATIVE_ZEROS,
)

# the names outside the registry; the registry's functions are appended below it, so a new
# activation is exported by registering it
__all__ = [
    "ACTIVATIONS",
    "Activation",
    "forward_and_derivative",
    "framework_function",
    "log_softmax",
    "softmax",
    "softmax_jacobian",
    "softmax_vjp",
]

# Past this |z|, exp(-2|z|) is below the smallest subnormal (exp(-745.2) rounds to 0), so
# clipping |z| there changes no float64 result and keeps 2|z| from overflowing at |z| ~ 1e308.
_CLIP = 800.0


def _input(z, name="z"):
    """``z`` as a float64 array (complex128 if it is complex), bool, integers and float32
    promoted; non-numeric input raises TypeError and non-finite input ValueError, both naming
    the argument.

    Policy: every function computes in float64, whatever the input's precision, and returns
    float64.  ±inf and NaN are refused: a non-finite pre-activation means something upstream
    has already gone wrong, and passing it on would hide where.
    """
    z = np.asarray(z)
    if z.dtype.kind not in "biufc":
        raise TypeError(f"{name}: expected a numeric array, got dtype {z.dtype}")
    z = z.astype(np.complex128 if z.dtype.kind == "c" else np.float64, copy=False)
    if not np.all(np.isfinite(z)):
        bad = np.flatnonzero(~np.isfinite(z).ravel())
        first = np.unravel_index(int(bad[0]), z.shape) if z.ndim else ()
        raise ValueError(
            f"{name}: expected finite values, got {bad.size} non-finite "
            f"(first {z.ravel()[bad[0]]} at index {tuple(int(i) for i in first)})"
        )
    return z


def _real(value, name, *, nonneg=False, nonzero=False):
    """A keyword parameter as a float: a finite real number, or a clear error naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    if nonneg and value < 0:
        raise ValueError(f"{name}: expected a number >= 0, got {value}")
    if nonzero and value == 0:
        raise ValueError(f"{name}: expected a nonzero number, got {value}")
    return value


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


def _log1p(w):
    """log(1 + w), accurate for complex w too.

    NumPy's complex log1p loses the imaginary part's relative accuracy (measured: ~500 ulps of
    Im log1p(e^(z+ih)) at z = -8.5), which the complex step reads.  For complex w this uses
    log(1 + w) = ½ log1p(2 Re w + |w|²) + i atan2(Im w, 1 + Re w), each part accurate.
    """
    if not np.iscomplexobj(w):
        return np.log1p(w)
    a, b = w.real, w.imag
    return 0.5 * np.log1p(2.0 * a + a * a + b * b) + 1j * np.arctan2(b, 1.0 + a)


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

    ``frameworks`` says where the same function sits in other frameworks, for the studies and
    benchmarks that measure them: per framework (``"jax.nn"``, ``"torch"`` for
    torch.nn.functional) ``(its name there, keywords)``, a keyword whose value names one of
    ``params`` taking that parameter's value, or None where the framework lacks it.  An
    undeclared framework: the registry's name, with ``params`` by their own names (a framework
    without the function is found out by :func:`framework_function`).

    ``kink_derivatives`` pins refnet's convention at each kink k: ``{k: (f'(k), f''(k))}`` at
    the default ``params``, the values that ``derivative``, ``second_derivative``, the twin's
    jax.grad and the mpmath forms must all give there exactly.  Its keys are the kinks:
    ``kinks`` is derived from it when not given, and must match it when given.

    Parameters
    ----------
    name : str
        The registry's name (jax.nn's where jax.nn has the function).
    forward, derivative, second_derivative : callable
        f, f' and f'' of z (and of the keyword ``params``).
    derivative_from_output : callable or None
        f' of the output s = f(z), or None where s does not determine f'.
    kinks : tuple of float, optional
        Where f is not differentiable; derived from ``kink_derivatives`` when not given.
    params : mapping of str to float, optional
        The keyword parameters and their defaults (``{"alpha": 0.01}``).
    analytic : bool, default True
        f is analytic beside its kinks and complex-safe (the complex step applies).
    forward_ulps : int, default 4
        The forward's error bound in ulps.
    kink_derivatives : mapping of float to (float, float), optional
        refnet's convention (f'(k), f''(k)) at each kink k.
    frameworks : mapping of str to tuple or None, optional
        The function's name and keywords in ``"jax.nn"`` and ``"torch"``, or None where absent.

    Raises
    ------
    ValueError
        ``kinks`` differ from the keys of ``kink_derivatives``.

    See Also
    --------
    ACTIVATIONS : The registry of every activation.

    Examples
    --------
    >>> from refnet.activations import ACTIVATIONS
    >>> relu = ACTIVATIONS["relu"]
    >>> relu
    Activation('relu', kinks=(0.0,), params={})
    >>> relu.derivative(np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    >>> relu.kink_derivatives[0.0]
    (0.0, 0.0)
    >>> ACTIVATIONS["leaky_relu"].forward(np.array([-2.0, 3.0]), alpha=0.1)
    array([-0.2,  3. ])
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
    kink_derivatives: Mapping[float, tuple[float, float]] = field(default_factory=dict)
    frameworks: Mapping[str, tuple | None] = field(default_factory=dict)

    def framework(self, which: str, params=None) -> tuple | None:
        """``(name, keywords)`` of this function in framework ``which``.

        Parameters
        ----------
        which : str
            ``"jax.nn"`` or ``"torch"`` (torch.nn.functional).
        params : mapping, optional
            Values of this activation's parameters; the defaults where None.

        Returns
        -------
        tuple or None
            The function's name there and its keywords, with ``params`` resolved into them;
            None where the framework is declared to lack it.

        Examples
        --------
        >>> from refnet.activations import ACTIVATIONS
        >>> ACTIVATIONS["leaky_relu"].framework("jax.nn")
        ('leaky_relu', {'negative_slope': 0.01})
        >>> ACTIVATIONS["gelu_tanh"].framework("torch")
        ('gelu', {'approximate': 'tanh'})
        """
        params = dict(self.params if params is None else params)
        spec = self.frameworks.get(which, (self.name, {k: k for k in params}))
        if spec is None:
            return None
        name, keywords = spec
        return name, {k: params[v] if isinstance(v, str) and v in params else v
                      for k, v in keywords.items()}

    def __post_init__(self):
        pinned = tuple(float(k) for k in self.kink_derivatives)
        if not self.kinks:
            object.__setattr__(self, "kinks", pinned)
        elif pinned and tuple(self.kinks) != pinned:
            raise ValueError(f"{self.name}: kinks {self.kinks} differ from the kinks of "
                             f"kink_derivatives {pinned}")
        object.__setattr__(self, "kink_derivatives", MappingProxyType(dict(self.kink_derivatives)))

    def __repr__(self) -> str:
        return f"Activation({self.name!r}, kinks={self.kinks}, params={dict(self.params)})"


# ---------------------------------------------------------------------------------------------
# sigmoid


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z).

    Written with e = e^-|z| ≤ 1 so nothing overflows: σ = 1/(1+e) for z ≥ 0, e/(1+e) for z < 0.

    Examples
    --------
    >>> from refnet.activations import sigmoid
    >>> sigmoid(np.array([-2.5, 0.5, 2.0]))
    array([0.07585818, 0.62245933, 0.88079708])
    """
    z = _input(z)
    e = np.exp(_neg_abs(z))
    return np.where(_nonneg(z), 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_derivative(z):
    """σ'(z) = σ(z)(1 - σ(z)) = e / (1 + e)², with e = e^-|z|.

    The form in e keeps full relative accuracy where σ saturates (≤ 3 ulps: one rounding each
    for exp, the sum, the square and the quotient), where ``s*(1-s)`` returns 0 past z ≈ 37.

    Examples
    --------
    >>> from refnet.activations import sigmoid_derivative
    >>> sigmoid_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.07010372, 0.23500371, 0.10499359])
    """
    z = _input(z)
    e = np.exp(_neg_abs(z))
    return e / ((1.0 + e) * (1.0 + e))


def sigmoid_derivative_from_output(s):
    """σ' from the output: s (1 - s), the notebook's ``dsig``.

    Valid for s in [0, 1]; loses all relative accuracy once s rounds to 1 (z > 36.7), where
    1 - s is 0 or a few ulps of 1.

    Examples
    --------
    >>> from refnet.activations import sigmoid_derivative_from_output
    >>> from refnet.activations import sigmoid
    >>> s = sigmoid(np.array([-2.5, 0.5, 2.0]))
    >>> sigmoid_derivative_from_output(s)
    array([0.07010372, 0.23500371, 0.10499359])
    """
    s = _input(s, "s")
    return s * (1.0 - s)


def sigmoid_second_derivative(z):
    """σ''(z) = σ'(z)(1 - 2σ(z)) = -sign(z) e (1 - e) / (1 + e)³, with e = e^-|z|.

    1 - e is computed as -expm1(-|z|), exact in relative terms near z = 0.

    Examples
    --------
    >>> from refnet.activations import sigmoid_second_derivative
    >>> sigmoid_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([ 0.05946784, -0.05755679, -0.0799625 ])
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

    Examples
    --------
    >>> from refnet.activations import tanh
    >>> tanh(np.array([-2.5, 0.5, 2.0]))
    array([-0.9866143 ,  0.46211716,  0.96402758])
    """
    z = _input(z)
    u = 2.0 * _neg_abs(z)
    return _sign(z) * (-np.expm1(u)) / (1.0 + np.exp(u))


def tanh_derivative(z):
    """tanh'(z) = 1 - tanh²(z) = sech²(z) = 4e / (1 + e)², with e = e^-2|z|.

    Full relative accuracy in the tails, where ``1 - t**2`` returns 0 past |z| ≈ 19.

    Examples
    --------
    >>> from refnet.activations import tanh_derivative
    >>> tanh_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.02659223, 0.78644773, 0.07065082])
    """
    z = _input(z)
    e = np.exp(2.0 * _neg_abs(z))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def tanh_derivative_from_output(t):
    """tanh' from the output: 1 - t², the notebook's ``dthan``.

    Valid for t in [-1, 1]; loses all relative accuracy once |t| rounds to 1 (|z| > 19.1).

    Examples
    --------
    >>> from refnet.activations import tanh_derivative_from_output
    >>> from refnet.activations import tanh
    >>> s = tanh(np.array([-2.5, 0.5, 2.0]))
    >>> tanh_derivative_from_output(s)
    array([0.02659223, 0.78644773, 0.07065082])
    """
    t = _input(t, "t")
    return 1.0 - t * t


def tanh_second_derivative(z):
    """tanh''(z) = -2 tanh(z) sech²(z) = -8 sign(z) e (1 - e) / (1 + e)³, with e = e^-2|z|.

    Examples
    --------
    >>> from refnet.activations import tanh_second_derivative
    >>> tanh_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([ 0.05247254, -0.72686198, -0.13621869])
    """
    z = _input(z)
    u = 2.0 * _neg_abs(z)
    e = np.exp(u)
    return -8.0 * _sign(z) * e * (-np.expm1(u)) / ((1.0 + e) ** 3)


# ---------------------------------------------------------------------------------------------
# relu


def relu(z):
    """relu(z) = max(0, z), written as a branch on z > 0 (complex-safe).

    Examples
    --------
    >>> from refnet.activations import relu
    >>> relu(np.array([-2.5, 0.5, 2.0]))
    array([0. , 0.5, 2. ])
    """
    z = _input(z)
    return np.where(_positive(z), z, 0.0 * z)


def relu_derivative(z):
    """relu'(z) = 1 for z > 0, else 0.  At the kink relu'(0) = 0, as in jax.

    Examples
    --------
    >>> from refnet.activations import relu_derivative
    >>> relu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 1., 1.])
    """
    z = _input(z)
    return np.where(_positive(z), 1.0, 0.0)


def relu_derivative_from_output(s):
    """relu' from the output: 1 where s > 0, else 0 (the notebook's ``drelu``, as float64).

    Valid for every s = relu(z): s > 0 exactly when z > 0.

    Examples
    --------
    >>> from refnet.activations import relu_derivative_from_output
    >>> from refnet.activations import relu
    >>> s = relu(np.array([-2.5, 0.5, 2.0]))
    >>> relu_derivative_from_output(s)
    array([0., 1., 1.])
    """
    s = _input(s, "s")
    return np.where(_positive(s), 1.0, 0.0)


def relu_second_derivative(z):
    """relu''(z) = 0 away from the kink (and 0 is taken at it).

    Examples
    --------
    >>> from refnet.activations import relu_second_derivative
    >>> relu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 0., 0.])
    """
    z = _input(z)
    return np.zeros(np.shape(z))


# ---------------------------------------------------------------------------------------------
# leaky relu


def leaky_relu(z, *, alpha=0.01):
    """leaky_relu(z) = z for z > 0, alpha z otherwise (alpha = 0.01 by default).

    The notebook writes ``np.maximum(0.01*z, z)``, which is the same function for 0 ≤ alpha ≤ 1
    only; the branch is right for every alpha.

    Examples
    --------
    >>> from refnet.activations import leaky_relu
    >>> leaky_relu(np.array([-2.5, 0.5, 2.0]))
    array([-0.025,  0.5  ,  2.   ])
    """
    alpha = _real(alpha, "alpha")
    z = _input(z)
    return np.where(_positive(z), z, alpha * z)


def leaky_relu_derivative(z, *, alpha=0.01):
    """leaky_relu'(z) = 1 for z > 0, alpha otherwise.

    At the kink we take alpha, the left derivative, as relu'(0) = 0 does and as the notebook's
    ``dlrelu`` does.  (``jax.grad(jax.nn.leaky_relu)(0.)`` gives 1: jax branches on z >= 0.)

    Examples
    --------
    >>> from refnet.activations import leaky_relu_derivative
    >>> leaky_relu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.01, 1.  , 1.  ])
    """
    alpha = _real(alpha, "alpha")
    z = _input(z)
    return np.where(_positive(z), 1.0, float(alpha))


def leaky_relu_derivative_from_output(s, *, alpha=0.01):
    """leaky_relu' from the output: 1 where s > 0, alpha elsewhere (the notebook's ``dlrelu``).

    Valid for alpha ≥ 0 only: then s > 0 exactly when z > 0.  For alpha < 0 a positive s comes
    from both sides of the kink, the output no longer determines the derivative, and this raises.

    Examples
    --------
    >>> from refnet.activations import leaky_relu_derivative_from_output
    >>> from refnet.activations import leaky_relu
    >>> s = leaky_relu(np.array([-2.5, 0.5, 2.0]))
    >>> leaky_relu_derivative_from_output(s)
    array([0.01, 1.  , 1.  ])
    """
    alpha = _real(alpha, "alpha")
    if alpha < 0:
        raise ValueError(
            f"alpha: leaky_relu_derivative_from_output needs alpha >= 0, got {alpha}; for a "
            "negative alpha the output does not determine the derivative, use derivative(z)"
        )
    s = _input(s, "s")
    return np.where(_positive(s), 1.0, float(alpha))


def leaky_relu_second_derivative(z, *, alpha=0.01):
    """leaky_relu''(z) = 0 away from the kink (and 0 is taken at it).

    Examples
    --------
    >>> from refnet.activations import leaky_relu_second_derivative
    >>> leaky_relu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 0., 0.])
    """
    alpha = _real(alpha, "alpha")
    z = _input(z)
    return np.zeros(np.shape(z))


# ---------------------------------------------------------------------------------------------
# helpers for the activations below: exact products, erfc, and series about a cancelling zero

# Veltkamp's constant 2**27 + 1 splits a float64 into two 26-bit halves.
_SPLIT = 134217729.0


def _two_prod(a, b):
    """(p, e) with p = fl(a b) and p + e = a b exactly (Dekker); needs |a|, |b| < 2**995."""
    p = a * b
    ca = _SPLIT * a
    ah = ca - (ca - a)
    al = a - ah
    cb = _SPLIT * b
    bh = cb - (cb - b)
    bl = b - bh
    e = ((ah * bh - p) + ah * bl + al * bh) + al * bl
    return p, e


def _two_sum(a, b):
    """(s, e) with s = fl(a + b) and s + e = a + b exactly (Knuth)."""
    s = a + b
    bb = s - a
    e = (a - (s - bb)) + (b - bb)
    return s, e


_erfc_scalar = np.vectorize(math.erfc, otypes=[np.float64])


def _erfc(x):
    """erfc elementwise (NumPy has no erf family; the C library's erfc, via ``math``)."""
    return _erfc_scalar(x)


def _clip(z, bound):
    """z clipped to [-bound, bound] (real input only)."""
    return np.where(z > bound, bound, np.where(z < -bound, -bound, z))


def _series_near_zeros(z, value, zeros):
    """``value`` with each element within ``radius`` of a listed zero z0 of the function replaced
    by the Taylor series about z0, Σ c_k δ^k with δ = (z - z0_hi) - z0_lo.

    Near an irrational zero the closed form is a difference of terms much larger than the
    result, and no rearrangement removes the cancellation; the series has no such difference.
    ``zeros`` holds ``(z0_hi, z0_lo, radius, (c_1, …, c_N))``: z0 as a double-double and
    coefficients from mpmath, in :mod:`refnet._root_series` (``tools/root_series.py`` computes
    them from the forward's Taylor series, with the radius where the truncated series is within
    2**-60 of the function).
    """
    for hi, lo, radius, coeffs in zeros:
        d = (z - hi) - lo
        near = np.abs(d) < radius
        if not np.any(near):
            continue
        dn = np.where(near, d, 0.0)
        acc = np.zeros_like(dn)
        for c in reversed(coeffs):
            acc = acc * dn + c
        value = np.where(near, acc * dn, value)
    return value


# ---------------------------------------------------------------------------------------------
# relu6


def relu6(z):
    """relu6(z) = min(max(z, 0), 6): 0 for z ≤ 0, z for 0 < z < 6, 6 for z ≥ 6 (complex-safe).

    Examples
    --------
    >>> from refnet.activations import relu6
    >>> relu6(np.array([-2.5, 0.5, 2.0]))
    array([0. , 0.5, 2. ])
    """
    z = _input(z)
    return np.where(np.real(z) >= 6, 6.0 + 0.0 * z, np.where(_positive(z), z, 0.0 * z))


def relu6_derivative(z):
    """relu6'(z) = 1 for 0 < z < 6, else 0.

    At the kinks we take the flat side: relu6'(0) = relu6'(6) = 0, as jax does.

    Examples
    --------
    >>> from refnet.activations import relu6_derivative
    >>> relu6_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 1., 1.])
    """
    z = _input(z)
    return np.where((z > 0) & (z < 6), 1.0, 0.0)


def relu6_derivative_from_output(s):
    """relu6' from the output: 1 where 0 < s < 6, else 0 (s = 0 exactly when z ≤ 0 and s = 6
    exactly when z ≥ 6, so the output determines the derivative, kinks included).

    Examples
    --------
    >>> from refnet.activations import relu6_derivative_from_output
    >>> from refnet.activations import relu6
    >>> s = relu6(np.array([-2.5, 0.5, 2.0]))
    >>> relu6_derivative_from_output(s)
    array([0., 1., 1.])
    """
    s = _input(s, "s")
    return np.where((s > 0) & (s < 6), 1.0, 0.0)


def relu6_second_derivative(z):
    """relu6''(z) = 0 away from the kinks (and 0 is taken at them).

    Examples
    --------
    >>> from refnet.activations import relu6_second_derivative
    >>> relu6_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 0., 0.])
    """
    z = _input(z)
    return np.zeros(np.shape(z))


# ---------------------------------------------------------------------------------------------
# elu, celu, selu
#
# Each is z for z > 0 and an exponential branch for z ≤ 0.  At z = 0 every derivative is taken
# from the z ≤ 0 branch (as relu'(0) = 0 and leaky_relu'(0) = alpha): elu'(0) = alpha,
# elu''(0) = alpha, celu''(0) = 1/alpha, selu'(0) = selu''(0) = scale·alpha.  ``kinks`` is (0,)
# for all three whatever alpha: f' jumps there unless alpha = 1 (elu) and f'' jumps there for
# every alpha (celu is C¹ for every alpha), so a stencil across 0 never has its usual error
# series.


def elu(z, *, alpha=1.0):
    """elu(z) = z for z > 0, alpha (e^z - 1) for z ≤ 0 (e^z - 1 as expm1: exact near 0).

    The exponential sees min(z, 0) only, so nothing overflows; complex-safe.

    Examples
    --------
    >>> from refnet.activations import elu
    >>> elu(np.array([-2.5, 0.5, 2.0]))
    array([-0.917915,  0.5     ,  2.      ])
    """
    alpha = _real(alpha, "alpha")
    z = _input(z)
    pos = _positive(z)
    return np.where(pos, z, alpha * np.expm1(np.where(pos, 0.0 * z, z)))


def elu_derivative(z, *, alpha=1.0):
    """elu'(z) = 1 for z > 0, alpha e^z for z ≤ 0 (alpha at the kink, the z ≤ 0 branch).

    Examples
    --------
    >>> from refnet.activations import elu_derivative
    >>> elu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.082085, 1.      , 1.      ])
    """
    alpha = _real(alpha, "alpha")
    z = _input(z)
    pos = _positive(z)
    return np.where(pos, 1.0, alpha * np.exp(np.where(pos, 0.0, z)))


def elu_derivative_from_output(s, *, alpha=1.0):
    """elu' from the output: 1 where s > 0, s + alpha elsewhere (alpha e^z = s + alpha).

    Valid for alpha ≥ 0 (then s > 0 exactly when z > 0).  s + alpha cancels as s → -alpha
    (z → -∞): the absolute error stays ~ulp(alpha), the relative error grows like e^-z.

    Examples
    --------
    >>> from refnet.activations import elu_derivative_from_output
    >>> from refnet.activations import elu
    >>> s = elu(np.array([-2.5, 0.5, 2.0]))
    >>> elu_derivative_from_output(s)
    array([0.082085, 1.      , 1.      ])
    """
    alpha = _real(alpha, "alpha")
    if alpha < 0:
        raise ValueError(
            f"alpha: elu_derivative_from_output needs alpha >= 0, got {alpha}; for a negative "
            "alpha the output does not determine the derivative, use derivative(z)"
        )
    s = _input(s, "s")
    return np.where(_positive(s), 1.0, s + alpha)


def elu_second_derivative(z, *, alpha=1.0):
    """elu''(z) = 0 for z > 0, alpha e^z for z ≤ 0 (alpha at the kink).

    Examples
    --------
    >>> from refnet.activations import elu_second_derivative
    >>> elu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.082085, 0.      , 0.      ])
    """
    alpha = _real(alpha, "alpha")
    z = _input(z)
    pos = _positive(z)
    return np.where(pos, 0.0, alpha * np.exp(np.where(pos, 0.0, z)))


def _celu_scaled(z, alpha):
    """min(z, 0) / alpha.  For |alpha| < 1 and |z| near the float64 maximum the quotient
    overflows to -inf, whose exp and expm1 (0 and -1) are the exact limits."""
    with np.errstate(over="ignore"):
        return np.where(_positive(z), 0.0 * z, z) / alpha


def celu(z, *, alpha=1.0):
    """celu(z) = z for z > 0, alpha (e^(z/alpha) - 1) for z ≤ 0 (complex-safe; alpha > 0).

    C¹ at 0 for every alpha.  z/alpha is rounded once: for alpha not a power of two, e^(z/alpha)
    inherits a relative error up to |z/alpha|·2**-53 from that rounding (the conditioning of
    exp, not of the formula).

    Examples
    --------
    >>> from refnet.activations import celu
    >>> celu(np.array([-2.5, 0.5, 2.0]))
    array([-0.917915,  0.5     ,  2.      ])
    """
    alpha = _real(alpha, "alpha", nonzero=True)
    z = _input(z)
    return np.where(_positive(z), z, alpha * np.expm1(_celu_scaled(z, alpha)))


def celu_derivative(z, *, alpha=1.0):
    """celu'(z) = 1 for z > 0, e^(z/alpha) for z ≤ 0 (1 at the kink, from both sides).

    Examples
    --------
    >>> from refnet.activations import celu_derivative
    >>> celu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.082085, 1.      , 1.      ])
    """
    alpha = _real(alpha, "alpha", nonzero=True)
    z = _input(z)
    return np.where(_positive(z), 1.0, np.exp(_celu_scaled(z, alpha)))


def celu_derivative_from_output(s, *, alpha=1.0):
    """celu' from the output: 1 where s > 0, 1 + s/alpha elsewhere (e^(z/alpha) = 1 + s/alpha).

    Valid for alpha > 0.  1 + s/alpha cancels as s → -alpha (z → -∞), as for elu.

    Examples
    --------
    >>> from refnet.activations import celu_derivative_from_output
    >>> from refnet.activations import celu
    >>> s = celu(np.array([-2.5, 0.5, 2.0]))
    >>> celu_derivative_from_output(s)
    array([0.082085, 1.      , 1.      ])
    """
    alpha = _real(alpha, "alpha", nonzero=True)
    if not alpha > 0:
        raise ValueError(f"alpha: celu_derivative_from_output needs alpha > 0, got {alpha}")
    s = _input(s, "s")
    return np.where(_positive(s), 1.0, 1.0 + s / alpha)


def celu_second_derivative(z, *, alpha=1.0):
    """celu''(z) = 0 for z > 0, e^(z/alpha) / alpha for z ≤ 0 (1/alpha at the kink; jax's
    ``jax.nn.celu``, built from ``maximum``/``minimum``, splits the tie and gives 1/(4 alpha)).

    Examples
    --------
    >>> from refnet.activations import celu_second_derivative
    >>> celu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.082085, 0.      , 0.      ])
    """
    alpha = _real(alpha, "alpha", nonzero=True)
    z = _input(z)
    return np.where(_positive(z), 0.0, np.exp(_celu_scaled(z, alpha)) / alpha)


# selu's constants as jax writes them (Klambauer et al. 2017); their product is rounded once.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SCALE_ALPHA = 1.7580993408473768  # scale·alpha correctly rounded (from the decimals above)


def selu(z):
    """selu(z) = scale·z for z > 0, scale·alpha (e^z - 1) for z ≤ 0, with
    scale = 1.0507009873554804934… and alpha = 1.6732632423543772848… (complex-safe).

    For z > max_float/scale ≈ 1.71e308 the true value is beyond float64: the result is inf, the
    correctly rounded overflow, returned without a warning.

    Examples
    --------
    >>> from refnet.activations import selu
    >>> selu(np.array([-2.5, 0.5, 2.0]))
    array([-1.61378576,  0.52535049,  2.10140197])
    """
    z = _input(z)
    pos = _positive(z)
    with np.errstate(over="ignore"):  # scale·z overflows only where the exact result does
        up = _SELU_SCALE * z
    return np.where(pos, up, _SELU_SCALE_ALPHA * np.expm1(np.where(pos, 0.0 * z, z)))


def selu_derivative(z):
    """selu'(z) = scale for z > 0, scale·alpha e^z for z ≤ 0.

    At the kink scale·alpha, the z ≤ 0 branch; jax gives the same.

    Examples
    --------
    >>> from refnet.activations import selu_derivative
    >>> selu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.14431358, 1.05070099, 1.05070099])
    """
    z = _input(z)
    pos = _positive(z)
    return np.where(pos, _SELU_SCALE, _SELU_SCALE_ALPHA * np.exp(np.where(pos, 0.0, z)))


def selu_derivative_from_output(s):
    """selu' from the output: scale where s > 0, s + scale·alpha elsewhere (cancels as
    z → -∞, like elu's).

    Examples
    --------
    >>> from refnet.activations import selu_derivative_from_output
    >>> from refnet.activations import selu
    >>> s = selu(np.array([-2.5, 0.5, 2.0]))
    >>> selu_derivative_from_output(s)
    array([0.14431358, 1.05070099, 1.05070099])
    """
    s = _input(s, "s")
    return np.where(_positive(s), _SELU_SCALE, s + _SELU_SCALE_ALPHA)


def selu_second_derivative(z):
    """selu''(z) = 0 for z > 0, scale·alpha e^z for z ≤ 0 (scale·alpha at the kink).

    Examples
    --------
    >>> from refnet.activations import selu_second_derivative
    >>> selu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.14431358, 0.        , 0.        ])
    """
    z = _input(z)
    pos = _positive(z)
    return np.where(pos, 0.0, _SELU_SCALE_ALPHA * np.exp(np.where(pos, 0.0, z)))
# ---------------------------------------------------------------------------------------------
# gelu (exact, erf form)

# 1/√2 and 1/√(2π) as double-doubles (hi + lo), and 2/√π, for the Gaussian below.
_SQRT_HALF_HI = 0.7071067811865476
_SQRT_HALF_LO = -4.833646656726457e-17
_INV_SQRT_2PI = 0.3989422804014327
_TWO_OVER_SQRT_PI = 1.1283791670955126
# Past |z| = 40, e^(-z²/2) < 2**-1074 and Φ(z) is 0 or 1 in float64: clipping there changes no
# result and keeps z² and Dekker's split finite.
_GAUSS_CLIP = 40.0


def _gauss_pdf(z, factor=1.0):
    """factor·φ(z), φ(z) = e^(-z²/2) / √(2π), with z² exact as p + e (Dekker):
    e^(-z²/2) = e^(-p/4) · e^(-p/4) (1 - e/2).

    Rounding z² first would cost a relative error of z²·2**-53 in e^(-z²/2) (≈ 36 ulps at
    z = 12); the exact square leaves the exps and a few products, ≤ 3 ulps.  The exponential
    is split in two halves with ``factor`` multiplied in between, so that where factor·φ is a
    normal number no intermediate is subnormal (e^(-z²/2) alone is subnormal past |z| ≈ 37.6
    while z φ(z) is not).
    """
    z = _clip(z, _GAUSS_CLIP)
    p, e = _two_prod(z, z)
    h = np.exp(-0.25 * p)
    return (h * (factor * _INV_SQRT_2PI) * (1.0 - 0.5 * e)) * h


def _gauss_cdf(z):
    """Φ(z) = erfc(-z/√2) / 2, with the argument's rounding corrected to first order.

    x = -z/√2 is computed as x̂ + Δ exactly (Dekker's product with 1/√2 as a double-double);
    erfc(x̂ + Δ) = erfc(x̂) - (2/√π) e^(-x̂²) Δ + O(Δ²).  Without the correction erfc(x̂) carries
    a relative error up to 2x̂²·2**-53 (≈ 70 ulps at z = -12).
    """
    z = _clip(z, _GAUSS_CLIP)
    xh, xe = _two_prod(-z, _SQRT_HALF_HI)
    delta = xe - z * _SQRT_HALF_LO
    return 0.5 * (_erfc(xh) - _TWO_OVER_SQRT_PI * np.exp(-xh * xh) * delta)


def _real_only(z, name):
    if np.iscomplexobj(z):
        raise TypeError(
            f"{name}: complex input is not supported (NumPy has no complex erf, so this "
            "forward is not complex-safe and the complex step does not apply)"
        )


def gelu(z):
    """gelu(z) = z Φ(z) = (z/2) erfc(-z/√2), the exact (erf) form.

    Not complex-safe: NumPy has no complex erf (``math.erfc`` is real), so the registry marks it
    ``analytic=False`` although the function is entire.  ``derivative_from_output`` is ``None``:
    gelu is not monotone (its minimum is at z ≈ -0.7518), so the output does not determine z.

    Examples
    --------
    >>> from refnet.activations import gelu
    >>> gelu(np.array([-2.5, 0.5, 2.0]))
    array([-0.01552416,  0.34573123,  1.95449974])
    """
    z = _input(z)
    _real_only(z, "gelu")
    return z * _gauss_cdf(z)




def gelu_derivative(z):
    """gelu'(z) = Φ(z) + z φ(z), φ(z) = e^(-z²/2)/√(2π).

    The two terms have opposite signs for z < 0 and cancel near the zero z0 ≈ -0.75179; within
    a radius of z0 the value is the Taylor series about z0 instead.

    Examples
    --------
    >>> from refnet.activations import gelu_derivative
    >>> gelu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.03761109,  0.86749512,  1.0852318 ])
    """
    z = _input(z)
    zc = _clip(z, _GAUSS_CLIP)
    value = _gauss_cdf(zc) + _gauss_pdf(zc, zc)
    return _series_near_zeros(z, value, _GELU_DERIVATIVE_ZEROS)


def gelu_second_derivative(z):
    """gelu''(z) = φ(z) (2 - z²), with 2 - z² = (2 - p) - e from the exact square p + e
    (2 - p is exact for p in [1, 4] by Sterbenz's lemma, so only the last subtraction rounds,
    and the zeros at ±√2 are resolved).

    Examples
    --------
    >>> from refnet.activations import gelu_second_derivative
    >>> gelu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.07449528,  0.61611432, -0.10798193])
    """
    z = _input(z)
    zc = _clip(z, _GAUSS_CLIP)
    p, e = _two_prod(zc, zc)
    return _gauss_pdf(zc, (2.0 - p) - e)


# ---------------------------------------------------------------------------------------------
# gelu_tanh (the tanh approximation)

_GELU_C = 0.044715
_GELU_C_LO = 2.1960211427085595e-18  # 0.044715 - float(0.044715), the decimal exactly
_GELU_2K_HI = 1.5957691216057308  # 2√(2/π) as a double-double
_GELU_2K_LO = -9.96930880911092e-17
# Past |z| = 30, 2|u| > 1900 and e^(-2|u|) is 0: the clip changes no result and keeps z³ finite.
_GELU_TANH_CLIP = 30.0


def _gelu_tanh_parts(z):
    """For real z, clipped to ±30: (e, s, A, B) with 2u = 2√(2/π)(z + c z³), e = e^(-|2u|),
    s = sign(2u), A = 2u' = 2√(2/π)(1 + 3c z²), B = 2u'' = 12√(2/π) c z.

    2u is computed as a double-double: σ(2u) ≈ e^(2u) for u ≪ 0 has a relative condition number
    |2u| (142 at z = -12), so rounding 2u to float64 would cost that many half-ulps.
    """
    z = _clip(z, _GELU_TANH_CLIP)
    s2, s2e = _two_prod(z, z)
    t, te = _two_prod(z, s2)
    te = te + z * s2e  # z³ = t + te
    q, qe = _two_prod(_GELU_C, t)
    qe = qe + _GELU_C * te + _GELU_C_LO * t  # c z³ = q + qe
    v, ve = _two_sum(z, q)
    ve = ve + qe  # z + c z³ = v + ve
    w, we = _two_prod(_GELU_2K_HI, v)
    we = we + _GELU_2K_HI * ve + _GELU_2K_LO * v  # 2u = w + we
    sign = np.where(w >= 0, 1.0, -1.0)
    a = -np.abs(w)
    e = np.exp(a) * (1.0 - sign * we)  # e^(-|2u|) = e^(-|w|) e^(-sign·we), |we| ≤ 2**-52 |w|
    A = _GELU_2K_HI * (1.0 + 3.0 * _GELU_C * s2)
    B = 6.0 * _GELU_2K_HI * _GELU_C * z
    return e, sign, A, B, a, we


_TINY_NORMAL = float(np.finfo(np.float64).tiny)


def _gelu_tanh_half(a, sign, we):
    """√e = e^(-|2u|/2), a normal float wherever e ≥ 1e-616.  Products e·X are formed as
    √e·(√e·X): with e itself subnormal (|2u| > 708, z < -20.5) e·X would keep only the
    bits e has left, up to ~1,400 ulps lost in a result X·e that is normal again."""
    return np.exp(0.5 * a) * (1.0 - 0.5 * sign * we)


def gelu_tanh(z):
    """gelu_tanh(z) = (z/2)(1 + tanh(u)) = z σ(2u), u = √(2/π)(z + 0.044715 z³).

    1 + tanh(u) = 2σ(2u) has no cancellation as u → -∞.  The real path computes 2u as a
    double-double (see ``_gelu_tanh_parts``); complex input takes the plain formula, for the
    complex step.  Not monotone (minimum near z ≈ -0.75), so ``derivative_from_output`` is None.

    Examples
    --------
    >>> from refnet.activations import gelu_tanh
    >>> gelu_tanh(np.array([-2.5, 0.5, 2.0]))
    array([-0.01508427,  0.34571401,  1.95459769])
    """
    z = _input(z)
    if np.iscomplexobj(z):
        zc = np.where(np.real(z) > _GELU_TANH_CLIP, _GELU_TANH_CLIP,
                      np.where(np.real(z) < -_GELU_TANH_CLIP, -_GELU_TANH_CLIP, z))
        u2 = _GELU_2K_HI * (zc + _GELU_C * zc * zc * zc)
        return z * sigmoid(u2)
    e, sign, _, _, a, we = _gelu_tanh_parts(z)
    h = _gelu_tanh_half(a, sign, we)
    return np.where(sign > 0, z / (1.0 + e), h * (h * z) / (1.0 + e))




def gelu_tanh_derivative(z):
    """gelu_tanh'(z) = σ(2u) + z u' sech²(u)/2 = σ(2u) + z A σ'(2u), A = 2u' = 2√(2/π)(1 + 3c z²).

    With e = e^(-|2u|): σ(2u) = 1/(1+e) or e/(1+e), σ'(2u) = e/(1+e)².  The terms cancel near
    the zero z0 ≈ -0.7522, where the Taylor series about z0 is used.

    Examples
    --------
    >>> from refnet.activations import gelu_tanh_derivative
    >>> gelu_tanh_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.03795158,  0.8673699 ,  1.08609926])
    """
    z = _input(z)
    e, sign, A, _, a, we = _gelu_tanh_parts(z)
    h = _gelu_tanh_half(a, sign, we)
    zc = _clip(z, _GELU_TANH_CLIP)
    q = 1.0 / (1.0 + e)
    # where e is normal, e·X directly (one rounding fewer); below, √e·(√e·X)
    neg = np.where(e >= _TINY_NORMAL, e * (q + zc * A * q * q), h * (h * (q + zc * A * q * q)))
    value = np.where(sign > 0, q + zc * A * (e * q * q), neg)
    return _series_near_zeros(z, value, _GELU_TANH_DERIVATIVE_ZEROS)


def gelu_tanh_second_derivative(z):
    """gelu_tanh''(z) = sech²(u) (u' + z u''/2 - z u'² tanh u)
    = σ'(2u) (2A + z B - z A² tanh u), A = 2u', B = 2u'' = 12√(2/π) c z.

    tanh u = sign(u)(1 - e)/(1 + e) with 1 - e = -expm1(-|2u|).  The bracket cancels near the
    zeros ±z1 (z1 ≈ 1.4), where the Taylor series about them is used.

    Examples
    --------
    >>> from refnet.activations import gelu_tanh_second_derivative
    >>> gelu_tanh_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.07624539,  0.6155069 , -0.10787508])
    """
    z = _input(z)
    e, sign, A, B, a, we = _gelu_tanh_parts(z)
    h = _gelu_tanh_half(a, sign, we)
    zc = _clip(z, _GELU_TANH_CLIP)
    th = sign * (-np.expm1(a)) / (1.0 + e)
    q = 1.0 / (1.0 + e)
    value = h * (h * (q * q * (2.0 * A + zc * B - zc * A * A * th)))
    return _series_near_zeros(z, value, _GELU_TANH_SECOND_DERIVATIVE_ZEROS)


# ---------------------------------------------------------------------------------------------
# silu (swish)


def silu(z):
    """silu(z) = z σ(z) = z / (1 + e^-z) (complex-safe, via ``sigmoid``).

    Not monotone (minimum at z ≈ -1.2785), so ``derivative_from_output`` is None.

    Examples
    --------
    >>> from refnet.activations import silu
    >>> silu(np.array([-2.5, 0.5, 2.0]))
    array([-0.18964545,  0.31122967,  1.76159416])
    """
    z = _input(z)
    return z * sigmoid(z)


# Past |z| = 800 every e^-|z| below is 0; clipping keeps z e^-|z| from being inf·0.
_SILU_CLIP = 800.0


def silu_derivative(z):
    """silu'(z) = σ(z) + z σ'(z) = σ(z)(1 + z σ(-z)).

    With e = e^-|z|: for z ≥ 0, (1 + z e/(1+e)) / (1+e), all terms positive; for z < 0,
    e (1 + z/(1+e)) / (1+e), which cancels near the zero z0 ≈ -1.27846 (z + 1 + e^z = 0), where
    the Taylor series about z0 is used.

    Examples
    --------
    >>> from refnet.activations import silu_derivative
    >>> silu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.09940111,  0.73996119,  1.09078425])
    """
    z = _input(z)
    zc = _clip(z, _SILU_CLIP)
    e = np.exp(-np.abs(zc))
    q = 1.0 + e
    value = np.where(zc >= 0, (1.0 + zc * e / q) / q, e * (1.0 + zc / q) / q)
    return _series_near_zeros(z, value, _SILU_DERIVATIVE_ZEROS)


def silu_second_derivative(z):
    """silu''(z) = σ'(z)(2 - z tanh(z/2)) = e (2(1+e) - |z|(1-e)) / (1+e)³, e = e^-|z|.

    Even in z.  The bracket cancels near the zeros ±2.3994, where the Taylor series is used.

    Examples
    --------
    >>> from refnet.activations import silu_second_derivative
    >>> silu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.00846216,  0.44122903,  0.05006217])
    """
    z = _input(z)
    x = np.abs(_clip(z, _SILU_CLIP))
    e = np.exp(-x)
    q = 1.0 + e
    value = e * (2.0 * q + x * np.expm1(-x)) / (q * q * q)
    return _series_near_zeros(z, value, _SILU_SECOND_DERIVATIVE_ZEROS)


# ---------------------------------------------------------------------------------------------
# softplus and log_sigmoid


def softplus(z):
    """softplus(z) = log(1 + e^z) = max(z, 0) + log1p(e^-|z|) (complex-safe; no overflow).

    Examples
    --------
    >>> from refnet.activations import softplus
    >>> softplus(np.array([-2.5, 0.5, 2.0]))
    array([0.07888973, 0.97407698, 2.12692801])
    """
    z = _input(z)
    # the branch on z >= 0 must be the one _neg_abs takes, or the complex step at z = 0 mixes
    # the two sides' analytic forms
    return np.where(_nonneg(z), z, 0.0 * z) + _log1p(np.exp(_neg_abs(z)))


def softplus_derivative(z):
    """softplus'(z) = σ(z) (``sigmoid``: ≤ 2 ulps).

    Examples
    --------
    >>> from refnet.activations import softplus_derivative
    >>> softplus_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.07585818, 0.62245933, 0.88079708])
    """
    return sigmoid(z)


def softplus_derivative_from_output(s):
    """softplus' from the output: σ(z) = 1 - e^-s = -expm1(-s) (e^s = 1 + e^z).

    Accurate for every s ≥ 0: expm1 keeps the relative accuracy as s → 0 (z → -∞).

    Examples
    --------
    >>> from refnet.activations import softplus_derivative_from_output
    >>> from refnet.activations import softplus
    >>> s = softplus(np.array([-2.5, 0.5, 2.0]))
    >>> softplus_derivative_from_output(s)
    array([0.07585818, 0.62245933, 0.88079708])
    """
    s = _input(s, "s")
    return -np.expm1(-s)


def softplus_second_derivative(z):
    """softplus''(z) = σ'(z) = e / (1 + e)², e = e^-|z|.

    Examples
    --------
    >>> from refnet.activations import softplus_second_derivative
    >>> softplus_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.07010372, 0.23500371, 0.10499359])
    """
    return sigmoid_derivative(z)


def log_sigmoid(z):
    """log_sigmoid(z) = log σ(z) = -softplus(-z) = min(z, 0) - log1p(e^-|z|) (complex-safe).

    Examples
    --------
    >>> from refnet.activations import log_sigmoid
    >>> log_sigmoid(np.array([-2.5, 0.5, 2.0]))
    array([-2.57888973, -0.47407698, -0.12692801])
    """
    z = _input(z)
    return np.where(_nonneg(z), 0.0 * z, z) - _log1p(np.exp(_neg_abs(z)))


def log_sigmoid_derivative(z):
    """log_sigmoid'(z) = 1 - σ(z) = σ(-z).

    Examples
    --------
    >>> from refnet.activations import log_sigmoid_derivative
    >>> log_sigmoid_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.92414182, 0.37754067, 0.11920292])
    """
    z = _input(z)
    return sigmoid(-z)


def log_sigmoid_derivative_from_output(s):
    """log_sigmoid' from the output: 1 - σ(z) = 1 - e^s = -expm1(s) (accurate for all s ≤ 0).

    Examples
    --------
    >>> from refnet.activations import log_sigmoid_derivative_from_output
    >>> from refnet.activations import log_sigmoid
    >>> s = log_sigmoid(np.array([-2.5, 0.5, 2.0]))
    >>> log_sigmoid_derivative_from_output(s)
    array([0.92414182, 0.37754067, 0.11920292])
    """
    s = _input(s, "s")
    return -np.expm1(s)


def log_sigmoid_second_derivative(z):
    """log_sigmoid''(z) = -σ'(z) = -e / (1 + e)², e = e^-|z|.

    Examples
    --------
    >>> from refnet.activations import log_sigmoid_second_derivative
    >>> log_sigmoid_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.07010372, -0.23500371, -0.10499359])
    """
    return -sigmoid_derivative(z)


# ---------------------------------------------------------------------------------------------
# soft_sign


def soft_sign(z):
    """soft_sign(z) = z / (1 + |z|): z/(1 + z) for z ≥ 0, z/(1 - z) for z < 0 (complex-safe).

    Examples
    --------
    >>> from refnet.activations import soft_sign
    >>> soft_sign(np.array([-2.5, 0.5, 2.0]))
    array([-0.71428571,  0.33333333,  0.66666667])
    """
    z = _input(z)
    return z / np.where(_nonneg(z), 1.0 + z, 1.0 - z)


def soft_sign_derivative(z):
    """soft_sign'(z) = 1 / (1 + |z|)² (continuous at 0).  For |z| > 2**512 the square
    underflows: the value is computed as (1/(1+|z|))², which underflows to the exact 0.

    Examples
    --------
    >>> from refnet.activations import soft_sign_derivative
    >>> soft_sign_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.08163265, 0.44444444, 0.11111111])
    """
    z = _input(z)
    r = 1.0 / (1.0 + np.abs(z))
    return r * r


def soft_sign_derivative_from_output(s):
    """soft_sign' from the output: (1 - |s|)² (1 + |z| = 1/(1 - |s|)); loses relative accuracy
    as |s| → 1, like the notebook's forms.

    Examples
    --------
    >>> from refnet.activations import soft_sign_derivative_from_output
    >>> from refnet.activations import soft_sign
    >>> s = soft_sign(np.array([-2.5, 0.5, 2.0]))
    >>> soft_sign_derivative_from_output(s)
    array([0.08163265, 0.44444444, 0.11111111])
    """
    s = _input(s, "s")
    r = 1.0 - np.abs(s)
    return r * r


def soft_sign_second_derivative(z):
    """soft_sign''(z) = -2 sign(z) / (1 + |z|)³.  f'' jumps from +2 to -2 at 0, the kink; we take
    the z ≥ 0 branch there, soft_sign''(0) = -2, as jax does.

    Examples
    --------
    >>> from refnet.activations import soft_sign_second_derivative
    >>> soft_sign_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([ 0.04664723, -0.59259259, -0.07407407])
    """
    z = _input(z)
    r = 1.0 / (1.0 + np.abs(z))
    return -2.0 * _sign(z) * r * r * r


# ---------------------------------------------------------------------------------------------
# hard_tanh, hard_sigmoid, hard_silu


def hard_tanh(z):
    """hard_tanh(z) = -1 for z < -1, z for -1 ≤ z ≤ 1, 1 for z > 1 (complex-safe).

    Examples
    --------
    >>> from refnet.activations import hard_tanh
    >>> hard_tanh(np.array([-2.5, 0.5, 2.0]))
    array([-1. ,  0.5,  1. ])
    """
    z = _input(z)
    r = np.real(z)
    return np.where(r > 1, 1.0 + 0.0 * z, np.where(r < -1, -1.0 + 0.0 * z, z))


def hard_tanh_derivative(z):
    """hard_tanh'(z) = 1 for -1 < z < 1, else 0.

    At the kinks ±1 we take the flat side, 0 (as relu6 and hard_sigmoid do in jax);
    ``jax.grad(jax.nn.hard_tanh)`` gives 1 at ±1, from its middle branch.

    Examples
    --------
    >>> from refnet.activations import hard_tanh_derivative
    >>> hard_tanh_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 1., 0.])
    """
    z = _input(z)
    return np.where((z > -1) & (z < 1), 1.0, 0.0)


def hard_tanh_derivative_from_output(s):
    """hard_tanh' from the output: 1 where -1 < s < 1, else 0 (|s| = 1 exactly when |z| ≥ 1).

    Examples
    --------
    >>> from refnet.activations import hard_tanh_derivative_from_output
    >>> from refnet.activations import hard_tanh
    >>> s = hard_tanh(np.array([-2.5, 0.5, 2.0]))
    >>> hard_tanh_derivative_from_output(s)
    array([0., 1., 0.])
    """
    s = _input(s, "s")
    return np.where((s > -1) & (s < 1), 1.0, 0.0)


def hard_tanh_second_derivative(z):
    """hard_tanh''(z) = 0 away from the kinks (and 0 is taken at them).

    Examples
    --------
    >>> from refnet.activations import hard_tanh_second_derivative
    >>> hard_tanh_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 0., 0.])
    """
    z = _input(z)
    return np.zeros(np.shape(z))


def hard_sigmoid(z):
    """hard_sigmoid(z) = relu6(z + 3)/6: 0 for z ≤ -3, (z + 3)/6 between, 1 for z ≥ 3.

    Written with the branch on z itself (complex-safe), not on the rounded z + 3.

    Examples
    --------
    >>> from refnet.activations import hard_sigmoid
    >>> hard_sigmoid(np.array([-2.5, 0.5, 2.0]))
    array([0.08333333, 0.58333333, 0.83333333])
    """
    z = _input(z)
    r = np.real(z)
    return np.where(r >= 3, 1.0 + 0.0 * z, np.where(r > -3, (z + 3.0) / 6.0, 0.0 * z))


def hard_sigmoid_derivative(z):
    """hard_sigmoid'(z) = 1/6 for -3 < z < 3, else 0 (0 at the kinks ±3, the flat side, as jax).

    Examples
    --------
    >>> from refnet.activations import hard_sigmoid_derivative
    >>> hard_sigmoid_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.16666667, 0.16666667, 0.16666667])
    """
    z = _input(z)
    return np.where((z > -3) & (z < 3), 1.0 / 6.0, 0.0)


def hard_sigmoid_derivative_from_output(s):
    """hard_sigmoid' from the output: 1/6 where 0 < s < 1, else 0.

    Examples
    --------
    >>> from refnet.activations import hard_sigmoid_derivative_from_output
    >>> from refnet.activations import hard_sigmoid
    >>> s = hard_sigmoid(np.array([-2.5, 0.5, 2.0]))
    >>> hard_sigmoid_derivative_from_output(s)
    array([0.16666667, 0.16666667, 0.16666667])
    """
    s = _input(s, "s")
    return np.where((s > 0) & (s < 1), 1.0 / 6.0, 0.0)


def hard_sigmoid_second_derivative(z):
    """hard_sigmoid''(z) = 0 away from the kinks (and 0 is taken at them).

    Examples
    --------
    >>> from refnet.activations import hard_sigmoid_second_derivative
    >>> hard_sigmoid_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 0., 0.])
    """
    z = _input(z)
    return np.zeros(np.shape(z))


def hard_silu(z):
    """hard_silu(z) = z · hard_sigmoid(z): 0 for z ≤ -3, z (z + 3)/6 between, z for z ≥ 3.

    Not monotone (minimum at z = -3/2), so ``derivative_from_output`` is None.

    Examples
    --------
    >>> from refnet.activations import hard_silu
    >>> hard_silu(np.array([-2.5, 0.5, 2.0]))
    array([-0.20833333,  0.29166667,  1.66666667])
    """
    z = _input(z)
    r = np.real(z)
    mid = (r > -3) & (r < 3)
    zm = np.where(mid, z, 0.0 * z)  # the middle branch sees only |z| < 3: z (z + 3) never overflows
    return np.where(r >= 3, z, np.where(mid, zm * (zm + 3.0) / 6.0, 0.0 * z))


def hard_silu_derivative(z):
    """hard_silu'(z) = 0 for z < -3, (2z + 3)/6 for -3 < z < 3, 1 for z > 3.

    At the kinks, the product rule with hard_sigmoid'(±3) = 0: hard_silu'(-3) = 0,
    hard_silu'(3) = 1 (the outer branches), as jax gives.

    Examples
    --------
    >>> from refnet.activations import hard_silu_derivative
    >>> hard_silu_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.33333333,  0.66666667,  1.16666667])
    """
    z = _input(z)
    mid = (z > -3) & (z < 3)
    zm = np.where(mid, z, 0.0)
    return np.where(z >= 3, 1.0, np.where(mid, (2.0 * zm + 3.0) / 6.0, 0.0))


def hard_silu_second_derivative(z):
    """hard_silu''(z) = 1/3 for -3 < z < 3, else 0 (0 at the kinks, the outer branches).

    Examples
    --------
    >>> from refnet.activations import hard_silu_second_derivative
    >>> hard_silu_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.33333333, 0.33333333, 0.33333333])
    """
    z = _input(z)
    return np.where((z > -3) & (z < 3), 1.0 / 3.0, 0.0)


# ---------------------------------------------------------------------------------------------
# mish

_MISH_CLIP = 800.0


def _mish_parts(z):
    """For real z clipped to ±800, with e = e^-|z|, the pieces of t = tanh(softplus(z)), written
    without cancellation on either side:

    z ≥ 0 (w = e^z = 1/e): t = (1 + 2e) / (1 + 2e + 2e²)
    z < 0 (w = e^z = e):   t = e(e + 2) / (e(e + 2) + 2)

    Returns (zc, e, t, d) with d = t' = sech²(softplus z) σ(z) = 4 w (1 + w) / D²,
    D = (1 + w)² + 1.
    """
    zc = _clip(z, _MISH_CLIP)
    e = np.exp(-np.abs(zc))
    pos = zc >= 0
    # z ≥ 0: multiply numerator and denominator by e² so that only e ≤ 1 appears
    Dp = 1.0 + 2.0 * e * (1.0 + e)
    tp = (1.0 + 2.0 * e) / Dp
    dp = 4.0 * e * e * (1.0 + e) / (Dp * Dp)
    n = e * (e + 2.0)
    Dn = n + 2.0
    tn = n / Dn
    dn = 4.0 * e * (1.0 + e) / (Dn * Dn)
    return zc, e, np.where(pos, tp, tn), np.where(pos, dp, dn)


def mish(z):
    """mish(z) = z tanh(softplus(z)) = z tanh(log(1 + e^z)).

    With w = e^z, tanh(log(1 + w)) = w(w + 2) / (w(w + 2) + 2) (and the same in e = e^-z for
    z ≥ 0): no cancellation and no overflow.  Complex-safe.  Not monotone (minimum at
    z ≈ -1.1924), so ``derivative_from_output`` is None.

    Examples
    --------
    >>> from refnet.activations import mish
    >>> mish(np.array([-2.5, 0.5, 2.0]))
    array([-0.1968162 ,  0.37524521,  1.94395896])
    """
    z = _input(z)
    if np.iscomplexobj(z):
        pos = _nonneg(z)
        e = np.exp(_neg_abs(z))
        t = np.where(pos, (1.0 + 2.0 * e) / (1.0 + 2.0 * e * (1.0 + e)),
                     e * (e + 2.0) / (e * (e + 2.0) + 2.0))
        return z * t
    _, _, t, _ = _mish_parts(z)
    return z * t


def mish_derivative(z):
    """mish'(z) = t + z t', t = tanh(softplus z), t' = sech²(softplus z) σ(z) = 4w(1+w)/D².

    For z ≥ 0 every term is positive.  For z < 0 (w = e^z ≤ 1) the sum is written over one
    denominator, w P / D² with P = 4(1 + z) + w(6 + 4z + w(4 + w)), whose only cancellation is
    at the zero z0 ≈ -1.19243 of mish'; near z0 the Taylor series about it is used.

    Examples
    --------
    >>> from refnet.activations import mish_derivative
    >>> mish_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.10974357,  0.88642438,  1.06931793])
    """
    z = _input(z)
    zc, e, t, d = _mish_parts(z)
    Dn = e * (e + 2.0) + 2.0
    P = 4.0 * (1.0 + zc) + e * (6.0 + 4.0 * zc + e * (4.0 + e))
    value = np.where(zc >= 0, t + zc * d, e * P / (Dn * Dn))
    return _series_near_zeros(z, value, _MISH_DERIVATIVE_ZEROS)


def mish_second_derivative(z):
    """mish''(z) = 2t' + z t'', t'' = 4w (2 + 2w - 3w² - 2w³) / D³ (w = e^z, D = w² + 2w + 2).

    Over one denominator, as polynomials in w = e^z (z < 0) or e = e^-z (z ≥ 0), each ≤ 1:

    z < 0:  4w [(4 + 2z) + w(8 + 2z + w(6 - 3z + w(2 - 2z)))] / D³
    z ≥ 0:  4e² [(2 - 2z) + e(6 - 3z + e(8 + 2z + e(4 + 2z)))] / (1 + 2e + 2e²)³

    The leading terms change sign at the zeros of mish'' (z ≈ -2.2564 and 1.4906), where the
    Taylor series about them is used.

    Examples
    --------
    >>> from refnet.activations import mish_second_derivative
    >>> mish_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([-0.02114591,  0.46805338, -0.05772467])
    """
    z = _input(z)
    zc, e, _, _ = _mish_parts(z)
    Dp = 1.0 + 2.0 * e * (1.0 + e)
    Pp = (2.0 - 2.0 * zc) + e * (6.0 - 3.0 * zc + e * (8.0 + 2.0 * zc + e * (4.0 + 2.0 * zc)))
    Dn = e * (e + 2.0) + 2.0
    Pn = (4.0 + 2.0 * zc) + e * (8.0 + 2.0 * zc + e * (6.0 - 3.0 * zc + e * (2.0 - 2.0 * zc)))
    value = np.where(zc >= 0, 4.0 * e * e * Pp / (Dp * Dp * Dp), 4.0 * e * Pn / (Dn * Dn * Dn))
    return _series_near_zeros(z, value, _MISH_SECOND_DERIVATIVE_ZEROS)


# ---------------------------------------------------------------------------------------------
# squareplus


def _squareplus_root(z, b):
    """r = √(z² + b): ``hypot(z, √b)`` for real z (no overflow of z²), the plain form for
    complex z (complex step)."""
    if np.iscomplexobj(z):
        # past |z| = 2**500, b/z² is below 2**-900: √(z² + b) = ±z to the last bit
        big = np.abs(np.real(z)) > 2.0**500
        zs = np.where(big, 0.0 * z, z)
        return np.where(big, _sign(z) * z, np.sqrt(zs * zs + b))
    return np.hypot(z, np.sqrt(b))


def squareplus(z, *, b=4.0):
    """squareplus(z) = (z + √(z² + b)) / 2, b > 0 (default 4, as jax).

    For z < 0 the sum cancels; it is written b / (2(√(z² + b) - z)) there (complex-safe).

    Examples
    --------
    >>> from refnet.activations import squareplus
    >>> squareplus(np.array([-2.5, 0.5, 2.0]))
    array([0.35078106, 1.28077641, 2.41421356])
    """
    b = _real(b, "b", nonneg=True)
    z = _input(z)
    r = _squareplus_root(z, b)
    pos = _nonneg(z)
    if np.iscomplexobj(z):
        return np.where(pos, 0.5 * z + 0.5 * r, ((0.5 * b) / r) / np.where(pos, 1.0, 1.0 - z / r))
    # real z < 0: r - z = r (1 + |z|/r), which does not overflow for |z| near the float64 max
    return np.where(pos, 0.5 * z + 0.5 * r, ((0.5 * b) / r) / (1.0 + np.abs(z) / r))


def squareplus_derivative(z, *, b=4.0):
    """squareplus'(z) = (1 + z/r)/2, r = √(z² + b); for z < 0 written b / (2r(r - z)) =
    ((b/2)/r)/r / (1 + |z|/r), which neither cancels nor overflows.

    Examples
    --------
    >>> from refnet.activations import squareplus_derivative
    >>> squareplus_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.1095656 , 0.62126781, 0.85355339])
    """
    b = _real(b, "b", nonneg=True)
    z = _input(z)
    r = _squareplus_root(z, b)
    x = np.abs(z)
    return np.where(z >= 0, 0.5 * (1.0 + x / r), ((0.5 * b) / r) / r / (1.0 + x / r))


def squareplus_derivative_from_output(s, *, b=4.0):
    """squareplus' from the output: s / (s + (b/4)/s) = s² / (s² + b/4) (z = s - b/(4s);
    monotone, so the output determines the derivative).

    Examples
    --------
    >>> from refnet.activations import squareplus_derivative_from_output
    >>> from refnet.activations import squareplus
    >>> s = squareplus(np.array([-2.5, 0.5, 2.0]))
    >>> squareplus_derivative_from_output(s)
    array([0.1095656 , 0.62126781, 0.85355339])
    """
    b = _real(b, "b", nonneg=True)
    s = _input(s, "s")
    # with t = s/√(b/4): t²/(1 + t²), written 1/(1 + (1/t)²) for t > 1, so neither t² nor
    # (b/4)/s can overflow (s ranges from subnormal to 1.7e308)
    t = s / np.sqrt(0.25 * b)
    big = t > 1
    with np.errstate(under="ignore"):  # t² underflows only where the result does
        tb = np.where(big, t, 1.0)
        ts = np.where(big, 0.0, t)
        return np.where(big, 1.0 / (1.0 + (1.0 / tb) ** 2), ts * ts / (1.0 + ts * ts))


def squareplus_second_derivative(z, *, b=4.0):
    """squareplus''(z) = b / (2 (z² + b)^(3/2)) = ((b/2)/r)/r/r.

    Examples
    --------
    >>> from refnet.activations import squareplus_second_derivative
    >>> squareplus_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.06094586, 0.22826882, 0.08838835])
    """
    b = _real(b, "b", nonneg=True)
    z = _input(z)
    r = _squareplus_root(z, b)
    return ((0.5 * b) / r) / r / r


# ---------------------------------------------------------------------------------------------
# sparse_plus, sparse_sigmoid


def sparse_plus(z):
    """sparse_plus(z) = 0 for z ≤ -1, (z + 1)²/4 for -1 < z < 1, z for z ≥ 1 (complex-safe).

    C¹: f' is continuous, f'' jumps at ±1, the kinks; there f'' is taken as 0.

    Examples
    --------
    >>> from refnet.activations import sparse_plus
    >>> sparse_plus(np.array([-2.5, 0.5, 2.0]))
    array([0.    , 0.5625, 2.    ])
    """
    z = _input(z)
    r = np.real(z)
    mid = (r > -1) & (r < 1)
    zm = np.where(mid, z, 0.0 * z)  # the square sees only |z| < 1, so it never overflows
    return np.where(r >= 1, z, np.where(mid, 0.25 * (zm + 1.0) * (zm + 1.0), 0.0 * z))


def sparse_plus_derivative(z):
    """sparse_plus'(z) = 0 for z ≤ -1, (z + 1)/2 between, 1 for z ≥ 1 (= sparse_sigmoid(z);
    continuous, so no convention is needed).

    Examples
    --------
    >>> from refnet.activations import sparse_plus_derivative
    >>> sparse_plus_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0.  , 0.75, 1.  ])
    """
    z = _input(z)
    return np.where(z >= 1, 1.0, np.where(z > -1, 0.5 * (z + 1.0), 0.0))


def sparse_plus_derivative_from_output(s):
    """sparse_plus' from the output: √s for s < 1 (s = (z+1)²/4, z + 1 ≥ 0), 1 for s ≥ 1.

    Examples
    --------
    >>> from refnet.activations import sparse_plus_derivative_from_output
    >>> from refnet.activations import sparse_plus
    >>> s = sparse_plus(np.array([-2.5, 0.5, 2.0]))
    >>> sparse_plus_derivative_from_output(s)
    array([0.  , 0.75, 1.  ])
    """
    s = _input(s, "s")
    return np.where(s >= 1, 1.0, np.sqrt(np.where(s >= 1, 1.0, np.abs(s))))


def sparse_plus_second_derivative(z):
    """sparse_plus''(z) = 1/2 for -1 < z < 1, else 0 (0 at the kinks ±1, as in jax).

    Examples
    --------
    >>> from refnet.activations import sparse_plus_second_derivative
    >>> sparse_plus_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0. , 0.5, 0. ])
    """
    z = _input(z)
    return np.where((z > -1) & (z < 1), 0.5, 0.0)


def sparse_sigmoid(z):
    """sparse_sigmoid(z) = 0 for z ≤ -1, (z + 1)/2 between, 1 for z ≥ 1 (complex-safe).

    Examples
    --------
    >>> from refnet.activations import sparse_sigmoid
    >>> sparse_sigmoid(np.array([-2.5, 0.5, 2.0]))
    array([0.  , 0.75, 1.  ])
    """
    z = _input(z)
    r = np.real(z)
    return np.where(r >= 1, 1.0 + 0.0 * z, np.where(r > -1, 0.5 * (z + 1.0), 0.0 * z))


def sparse_sigmoid_derivative(z):
    """sparse_sigmoid'(z) = 1/2 for -1 < z < 1, else 0.

    At the kinks ±1 we take the flat side, 0; ``jax.nn.sparse_sigmoid`` uses ``clip``, whose
    gradient splits the tie and gives 1/4 there.

    Examples
    --------
    >>> from refnet.activations import sparse_sigmoid_derivative
    >>> sparse_sigmoid_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0. , 0.5, 0. ])
    """
    z = _input(z)
    return np.where((z > -1) & (z < 1), 0.5, 0.0)


def sparse_sigmoid_derivative_from_output(s):
    """sparse_sigmoid' from the output: 1/2 where 0 < s < 1, else 0.

    Examples
    --------
    >>> from refnet.activations import sparse_sigmoid_derivative_from_output
    >>> from refnet.activations import sparse_sigmoid
    >>> s = sparse_sigmoid(np.array([-2.5, 0.5, 2.0]))
    >>> sparse_sigmoid_derivative_from_output(s)
    array([0. , 0.5, 0. ])
    """
    s = _input(s, "s")
    return np.where((s > 0) & (s < 1), 0.5, 0.0)


def sparse_sigmoid_second_derivative(z):
    """sparse_sigmoid''(z) = 0 away from the kinks (and 0 is taken at them).

    Examples
    --------
    >>> from refnet.activations import sparse_sigmoid_second_derivative
    >>> sparse_sigmoid_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 0., 0.])
    """
    z = _input(z)
    return np.zeros(np.shape(z))


# ---------------------------------------------------------------------------------------------
# identity


def identity(z):
    """identity(z) = z.

    Examples
    --------
    >>> from refnet.activations import identity
    >>> identity(np.array([-2.5, 0.5, 2.0]))
    array([-2.5,  0.5,  2. ])
    """
    return _input(z)


def identity_derivative(z):
    """identity'(z) = 1.

    Examples
    --------
    >>> from refnet.activations import identity_derivative
    >>> identity_derivative(np.array([-2.5, 0.5, 2.0]))
    array([1., 1., 1.])
    """
    z = _input(z)
    return np.ones(np.shape(z))


def identity_derivative_from_output(s):
    """identity' from the output: 1.

    Examples
    --------
    >>> from refnet.activations import identity_derivative_from_output
    >>> from refnet.activations import identity
    >>> s = identity(np.array([-2.5, 0.5, 2.0]))
    >>> identity_derivative_from_output(s)
    array([1., 1., 1.])
    """
    s = _input(s, "s")
    return np.ones(np.shape(s))


def identity_second_derivative(z):
    """identity''(z) = 0.

    Examples
    --------
    >>> from refnet.activations import identity_second_derivative
    >>> identity_second_derivative(np.array([-2.5, 0.5, 2.0]))
    array([0., 0., 0.])
    """
    z = _input(z)
    return np.zeros(np.shape(z))


# ---------------------------------------------------------------------------------------------
# the registry

_LEAKY = ("leaky_relu", {"negative_slope": "alpha"})  # jax.nn's and torch's keyword


def framework_function(module, which: str, name: str, params=None):
    """Activation ``name``'s own function in the framework module ``module`` (``jax.nn``, or
    ``torch.nn.functional`` for ``which="torch"``) as a function of z alone, with the
    registry's ``params`` as its keywords (:meth:`Activation.framework`); None where the
    framework lacks it.

    Parameters
    ----------
    module : module
        ``jax.nn`` or ``torch.nn.functional``.
    which : str
        ``"jax.nn"`` or ``"torch"``: which of the entry's ``frameworks`` to read.
    name : str
        A registry name.
    params : mapping, optional
        Parameter values; the registry's defaults where None.

    Returns
    -------
    callable or None
        z ↦ the framework's f(z), or None where the framework lacks the function.

    Raises
    ------
    KeyError
        ``name`` is not in the registry (with the nearest name).

    Examples
    --------
    >>> import jax.nn
    >>> from refnet.activations import framework_function
    >>> f = framework_function(jax.nn, "jax.nn", "leaky_relu", {"alpha": 0.2})
    >>> float(f(-1.0))
    -0.2
    """
    spec = ACTIVATIONS[name].framework(which, params)
    fn = None if spec is None else getattr(module, spec[0], None)
    if fn is None:
        return None
    keywords = spec[1]
    return (lambda x: fn(x, **keywords)) if keywords else fn


ACTIVATIONS: Mapping[str, Activation] = Registry(
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
            forward_ulps=0,
            kink_derivatives={0.0: (0.0, 0.0)},  # as jax
        ),
        "leaky_relu": Activation(
            "leaky_relu", leaky_relu, leaky_relu_derivative, leaky_relu_derivative_from_output,
            leaky_relu_second_derivative, params=MappingProxyType({"alpha": 0.01}), forward_ulps=1,
            kink_derivatives={0.0: (0.01, 0.0)},  # the left side, alpha (jax: 1)
            frameworks={"jax.nn": _LEAKY, "torch": _LEAKY},
        ),
        "relu6": Activation(
            "relu6", relu6, relu6_derivative, relu6_derivative_from_output,
            relu6_second_derivative,
            kink_derivatives={0.0: (0.0, 0.0), 6.0: (0.0, 0.0)},  # the flat side, as jax
        ),
        "elu": Activation(
            "elu", elu, elu_derivative, elu_derivative_from_output,
            elu_second_derivative, params=MappingProxyType({"alpha": 1.0}),
            kink_derivatives={0.0: (1.0, 1.0)},  # the z ≤ 0 branch: alpha, alpha, as jax
        ),
        "celu": Activation(
            "celu", celu, celu_derivative, celu_derivative_from_output,
            celu_second_derivative, params=MappingProxyType({"alpha": 1.0}),
            # f' continuous; f''(0) = 1/alpha (jax: 1/(4 alpha))
            kink_derivatives={0.0: (1.0, 1.0)},
        ),
        "selu": Activation(
            "selu", selu, selu_derivative, selu_derivative_from_output,
            selu_second_derivative,
            # scale·alpha, correctly rounded, for both, as jax
            kink_derivatives={0.0: (1.7580993408473768, 1.7580993408473768)},
        ),
        "gelu": Activation(
            "gelu", gelu, gelu_derivative, None,
            gelu_second_derivative, analytic=False,
            frameworks={"jax.nn": ("gelu", {"approximate": False}),
                        "torch": ("gelu", {"approximate": "none"})},
        ),
        "gelu_tanh": Activation(
            "gelu_tanh", gelu_tanh, gelu_tanh_derivative, None,
            gelu_tanh_second_derivative,
            # z σ(2u) through the double-double 2u and two branches of a dozen rounded
            # operations: measured 5 ulps at z = -2.75, -3.605, -5.655
            forward_ulps=6,
            frameworks={"jax.nn": ("gelu", {"approximate": True}),
                        "torch": ("gelu", {"approximate": "tanh"})},
        ),
        "silu": Activation(
            "silu", silu, silu_derivative, None,
            silu_second_derivative,
        ),
        "swish": Activation(
            "swish", silu, silu_derivative, None,
            silu_second_derivative, frameworks={"torch": ("silu", {})},
        ),
        "softplus": Activation(
            "softplus", softplus, softplus_derivative, softplus_derivative_from_output,
            softplus_second_derivative,
        ),
        "log_sigmoid": Activation(
            "log_sigmoid", log_sigmoid, log_sigmoid_derivative, log_sigmoid_derivative_from_output,
            log_sigmoid_second_derivative, frameworks={"torch": ("logsigmoid", {})},
        ),
        "soft_sign": Activation(
            "soft_sign", soft_sign, soft_sign_derivative, soft_sign_derivative_from_output,
            soft_sign_second_derivative,
            kink_derivatives={0.0: (1.0, -2.0)},  # f'' from the z ≥ 0 branch, as jax
            frameworks={"torch": ("softsign", {})},
        ),
        "hard_tanh": Activation(
            "hard_tanh", hard_tanh, hard_tanh_derivative, hard_tanh_derivative_from_output,
            hard_tanh_second_derivative,
            kink_derivatives={-1.0: (0.0, 0.0), 1.0: (0.0, 0.0)},  # the flat side (jax: 1)
            frameworks={"torch": ("hardtanh", {})},
        ),
        "hard_sigmoid": Activation(
            "hard_sigmoid", hard_sigmoid, hard_sigmoid_derivative,
            hard_sigmoid_derivative_from_output, hard_sigmoid_second_derivative,
            kink_derivatives={-3.0: (0.0, 0.0), 3.0: (0.0, 0.0)},  # the flat side, as jax
            frameworks={"torch": ("hardsigmoid", {})},  # relu6(x + 3)/6, as jax.nn's
        ),
        "hard_silu": Activation(
            "hard_silu", hard_silu, hard_silu_derivative, None,
            hard_silu_second_derivative,
            kink_derivatives={-3.0: (0.0, 0.0), 3.0: (1.0, 0.0)},  # the outer branches, as jax
            frameworks={"torch": ("hardswish", {})},
        ),
        "hard_swish": Activation(
            "hard_swish", hard_silu, hard_silu_derivative, None,
            hard_silu_second_derivative,
            kink_derivatives={-3.0: (0.0, 0.0), 3.0: (1.0, 0.0)},
            frameworks={"torch": ("hardswish", {})},
        ),
        "mish": Activation(
            "mish", mish, mish_derivative, None,
            mish_second_derivative,
        ),
        "squareplus": Activation(
            "squareplus", squareplus, squareplus_derivative, squareplus_derivative_from_output,
            squareplus_second_derivative, params=MappingProxyType({"b": 4.0}),
        ),
        "sparse_plus": Activation(
            "sparse_plus", sparse_plus, sparse_plus_derivative, sparse_plus_derivative_from_output,
            sparse_plus_second_derivative,
            # f' continuous; f'' 0 at both, as jax
            kink_derivatives={-1.0: (0.0, 0.0), 1.0: (1.0, 0.0)},
        ),
        "sparse_sigmoid": Activation(
            "sparse_sigmoid", sparse_sigmoid, sparse_sigmoid_derivative,
            sparse_sigmoid_derivative_from_output, sparse_sigmoid_second_derivative,
            kink_derivatives={-1.0: (0.0, 0.0), 1.0: (0.0, 0.0)},  # the flat side (jax: 1/4)
        ),
        "identity": Activation(
            "identity", identity, identity_derivative, identity_derivative_from_output,
            identity_second_derivative,
        ),
    },
    "activation",
)
"""Every activation by its name (jax.nn's names; ``gelu`` is the erf form, ``gelu_tanh`` the
tanh approximation), in registry order: a read-only mapping of str to :class:`Activation`.
An unknown name is a KeyError that names the nearest one.

Examples
--------
>>> from refnet.activations import ACTIVATIONS
>>> list(ACTIVATIONS)[:5]
['sigmoid', 'tanh', 'relu', 'leaky_relu', 'relu6']
>>> ACTIVATIONS["tanh"].derivative(np.array([0.0, 1.0]))
array([1.        , 0.41997434])
>>> ACTIVATIONS["sigmod"]
Traceback (most recent call last):
    ...
KeyError: "unknown activation 'sigmod'; did you mean 'sigmoid'?..."
"""


# every registry function is public: registering an activation exports it
__all__.extend(dict.fromkeys(
    fn.__name__
    for act in ACTIVATIONS.values()
    for fn in (act.forward, act.derivative, act.derivative_from_output, act.second_derivative)
    if fn is not None
))


# What every registry function takes, returns and raises, written once and added to each
# function's docstring ahead of its Examples (the formula and the example stay in the source).
_ROLES = {
    "forward": ("z", "f(z)"),
    "derivative": ("z", "f'(z), the derivative at the input"),
    "second_derivative": ("z", "f''(z)"),
    "derivative_from_output": ("s", "f' written in the output s = f(z)"),  # t for tanh
}
_PARAM_DOCS = {
    ("leaky_relu", "alpha"): "The slope for z < 0",
    ("elu", "alpha"): "α: the negative side α (e^z - 1) tends to -α",
    ("celu", "alpha"): "α: the negative side α (e^(z/α) - 1), α > 0",
    ("squareplus", "b"): "b ≥ 0: the curvature at 0 of (z + √(z² + b)) / 2",
}


def _sections(act: Activation, role: str) -> str:
    _, value = _ROLES[role]
    arg = next(iter(inspect.signature(getattr(act, role)).parameters))  # z, s or t
    what = ("pre-activations" if arg == "z" else f"outputs {arg} = {act.name}(z)")
    params = "".join(f"{k} : float, default {v!r}\n    {_PARAM_DOCS[(act.name, k)]}.\n"
                     for k, v in act.params.items())
    complex_ok = " (complex input stays complex128, for the complex step)" \
        if role == "forward" and act.analytic else ""
    return (f"Parameters\n----------\n{arg} : array_like\n    The {what}, any shape; bool "
            f"and integer input is promoted to float64{complex_ok}.\n{params}\n"
            f"Returns\n-------\nndarray\n    {value}, float64, the shape of ``{arg}``.\n\n"
            f"Raises\n------\nTypeError\n    ``{arg}`` is not numeric"
            f"{', or a parameter is not a real number' if act.params else ''}.\n"
            f"ValueError\n    ``{arg}`` holds inf or NaN"
            f"{', or a parameter is out of its range' if act.params else ''}.\n\n")


def _document(act: Activation) -> None:
    """Add the Parameters, Returns and Raises sections to ``act``'s functions' docstrings."""
    for role in _ROLES:
        fn = getattr(act, role)
        if fn is None or fn.__doc__ is None or "\nParameters\n" in inspect.cleandoc(fn.__doc__):
            continue
        head, sep, tail = fn.__doc__.partition("\n    Examples\n")
        text = "".join(f"    {line}\n" if line else "\n"
                       for line in _sections(act, role).splitlines())
        fn.__doc__ = f"{head.rstrip()}\n\n{text}" + (f"    Examples\n{tail}" if sep else "    ")


for _act in ACTIVATIONS.values():
    _document(_act)


# ---------------------------------------------------------------------------------------------
# forward and derivative together


_np = np


def _tanh_pair(z):
    """(tanh(z), tanh'(z)) from one e = e^-2|z|: the operations of ``tanh`` and
    ``tanh_derivative``, each result bitwise the same, the shared exp computed once.

    u = -2 min(|z|, 800) equals 2 · _neg_abs(z) up to the sign of a zero u, which neither
    e^u = 1 nor the sign copied from z (``tanh`` multiplies by sign(z)) can see.  Works in place
    on its temporaries (a training step calls it every iteration on a dozen numbers).
    """
    np = _np  # the ufuncs found once per call
    u = np.abs(z)
    np.minimum(u, _CLIP, out=u)
    np.multiply(u, -2.0, u)
    e = np.exp(u)
    d = np.add(e, 1.0)
    np.expm1(u, u)
    np.divide(u, d, u)  # (-expm1(u)) / d with the sign of z: |expm1(u) / d| signed as z
    np.copysign(u, z, u)
    np.multiply(e, 4.0, e)
    np.multiply(d, d, d)
    np.divide(e, d, e)
    return u, e
def _sigmoid_pair(z):
    """(σ(z), σ'(z)) from one e = e^-|z|: the operations of ``sigmoid`` and
    ``sigmoid_derivative``, each result bitwise the same."""
    nonneg = z >= 0
    e = np.exp(np.maximum(np.where(nonneg, -z, z), -_CLIP))
    d = 1.0 + e
    return np.where(nonneg, 1.0 / d, e / d), e / (d * d)


_PAIRS = {"tanh": _tanh_pair, "sigmoid": _sigmoid_pair}


def forward_and_derivative(name):
    """A function z ↦ (f(z), f'(z)) for the registry's activation ``name`` at its default
    parameters, bitwise equal to ``(forward(z), derivative(z))``.

    For tanh and sigmoid the two share one exponential (a training step's hidden layer needs
    both); for the others it calls the two functions.  Complex input goes to the two functions.

    Parameters
    ----------
    name : str
        A registry name.

    Returns
    -------
    callable
        z ↦ (f(z), f'(z)), two float64 arrays of z's shape.

    Raises
    ------
    KeyError
        ``name`` is not in the registry (with the nearest name).

    Examples
    --------
    >>> from refnet.activations import forward_and_derivative
    >>> s, ds = forward_and_derivative("sigmoid")(np.array([0.0, 2.0]))
    >>> s, ds
    (array([0.5       , 0.88079708]), array([0.25      , 0.10499359]))
    """
    act = ACTIVATIONS[name]
    fused = _PAIRS.get(name)
    g, dg = act.forward, act.derivative

    def pair(z):
        if fused is not None and type(z) is np.ndarray and z.dtype == np.float64:
            return fused(z)
        return g(z), dg(z)

    pair.__name__ = f"{name}_forward_and_derivative"
    pair.__doc__ = f"({name}(z), {name}'(z))"
    return pair


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

    Parameters
    ----------
    z : array_like
        Logits, at least one dimension (features × samples, as in the network).
    axis : int, default 0
        The axis normalised over.

    Returns
    -------
    ndarray
        float64, the shape of ``z``; each slice along ``axis`` sums to 1.

    Raises
    ------
    TypeError
        ``z`` is not numeric, or ``axis`` is not an int.
    ValueError
        ``z`` is 0-d or holds inf or NaN, or ``axis`` is out of range.

    Examples
    --------
    >>> from refnet.activations import softmax
    >>> softmax(np.array([[1.0, 0.0], [2.0, 0.0]]))
    array([[0.26894142, 0.5       ],
           [0.73105858, 0.5       ]])
    >>> softmax(np.array([1000.0, 0.0]))  # no overflow
    array([1., 0.])
    """
    z = _input(z)
    axis = _axis(z, axis)
    with np.errstate(over="ignore"):  # z - max may be -inf for |z| ~ 1e308: exp gives the exact 0
        e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=0):
    """log softmax(z)_i = (z_i - max z) - log Σ_j e^(z_j - max z), along ``axis``.

    Parameters
    ----------
    z : array_like
        Logits, at least one dimension.
    axis : int, default 0
        The axis normalised over.

    Returns
    -------
    ndarray
        float64, the shape of ``z``: finite wherever ``z`` is, where log(softmax(z)) would
        give -inf.

    Raises
    ------
    TypeError
        ``z`` is not numeric, or ``axis`` is not an int.
    ValueError
        ``z`` is 0-d or holds inf or NaN, or ``axis`` is out of range.

    Examples
    --------
    >>> from refnet.activations import log_softmax
    >>> log_softmax(np.array([1000.0, 0.0]))
    array([    0., -1000.])
    """
    z = _input(z)
    axis = _axis(z, axis)
    with np.errstate(over="ignore"):  # as in softmax: -inf is the correctly rounded result
        d = z - np.max(z, axis=axis, keepdims=True)
        return d - np.log(np.sum(np.exp(d), axis=axis, keepdims=True))


def softmax_jacobian(s, axis=0):
    """J = diag(s) - s sᵀ, the Jacobian ∂s_i/∂z_j of s = softmax(z), from the output s.

    For a vector s this is n×n.  For more dimensions the Jacobians along ``axis`` are stacked:
    the result has the other axes first and the two Jacobian axes last.

    Parameters
    ----------
    s : array_like
        The output of :func:`softmax`.
    axis : int, default 0
        The axis softmax normalised over.

    Returns
    -------
    ndarray
        float64, shape ``(..., n, n)`` with n = ``s.shape[axis]``.

    Raises
    ------
    TypeError
        ``s`` is not numeric, or ``axis`` is not an int.
    ValueError
        ``s`` is 0-d or holds inf or NaN, or ``axis`` is out of range.

    Examples
    --------
    >>> from refnet.activations import softmax_jacobian
    >>> softmax_jacobian(np.array([0.25, 0.75]))
    array([[ 0.1875, -0.1875],
           [-0.1875,  0.1875]])
    """
    s = _input(s, "s")
    axis = _axis(s, axis)
    v = np.moveaxis(s, axis, -1)
    eye = np.eye(v.shape[-1])
    return v[..., :, None] * eye - v[..., :, None] * v[..., None, :]


def softmax_vjp(s, g, axis=0):
    """gᵀJ along ``axis``: s ⊙ (g - Σ_j g_j s_j), the pullback of a cotangent g through softmax.

    The Jacobian is never formed.  Check it with a random g: with g = ones the result is 0
    whatever J is.

    Parameters
    ----------
    s : array_like
        The output of :func:`softmax`.
    g : array_like
        The cotangent, the shape of ``s``.
    axis : int, default 0
        The axis softmax normalised over.

    Returns
    -------
    ndarray
        float64, the shape of ``s``.

    Raises
    ------
    TypeError
        ``s`` or ``g`` is not numeric, or ``axis`` is not an int.
    ValueError
        ``g``'s shape differs from ``s``'s, either holds inf or NaN, or ``axis`` is out of
        range.

    Examples
    --------
    >>> from refnet.activations import softmax_vjp, softmax_jacobian
    >>> s, g = np.array([0.25, 0.75]), np.array([1.0, -1.0])
    >>> softmax_vjp(s, g)
    array([ 0.375, -0.375])
    >>> g @ softmax_jacobian(s)
    array([ 0.375, -0.375])
    """
    s = _input(s, "s")
    g = _input(g, "g")
    if s.shape != g.shape:
        raise ValueError(f"g: expected the shape of s, {s.shape}, got {g.shape}")
    axis = _axis(s, axis)
    return s * (g - np.sum(g * s, axis=axis, keepdims=True))
