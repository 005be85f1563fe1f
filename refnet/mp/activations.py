"""The mpmath side of :mod:`refnet.activations`: f, f′ and f″ of every activation at arbitrary
precision, the oracle's own textbook forms.

Same function names, same order as the NumPy side (``sigmoid``, ``sigmoid_derivative``,
``sigmoid_second_derivative``, …), each taking one ``mpf`` and returning one ``mpf``.  The forms
are chosen to cancel nowhere, so at mpmath's working precision (``refnet.oracles.mpmath`` sets
160 bits) their rounding to float64 is the correctly rounded value.  This module never imports
the NumPy side nor the twin: an oracle that shares code with what it checks proves nothing.

Kinks: at a kink each form takes the branch that refnet's convention pins there (the
``kink_derivatives`` of each ``refnet.activations.ACTIVATIONS`` entry).  Constants are made
inside each call, at the caller's working precision (made at import they would be rounded to
mpmath's default 53 bits).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

import mpmath as mp

# ---------------------------------------------------------------------------------------------
# sigmoid


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z)."""
    return 1 / (1 + mp.exp(-z))


def sigmoid_derivative(z):
    """σ'(z) = sech²(z/2) / 4 = 1 / (4 cosh²(z/2))."""
    return mp.sech(z / 2) ** 2 / 4


def sigmoid_second_derivative(z):
    """σ''(z) = -sech²(z/2) tanh(z/2) / 4."""
    return -mp.sech(z / 2) ** 2 * mp.tanh(z / 2) / 4


# ---------------------------------------------------------------------------------------------
# tanh


def tanh(z):
    """tanh(z)."""
    return mp.tanh(z)


def tanh_derivative(z):
    """tanh'(z) = sech²(z)."""
    return mp.sech(z) ** 2


def tanh_second_derivative(z):
    """tanh''(z) = -2 tanh(z) sech²(z)."""
    return -2 * mp.tanh(z) * mp.sech(z) ** 2


# ---------------------------------------------------------------------------------------------
# relu, leaky relu


def relu(z):
    """relu(z) = z for z > 0, else 0."""
    return z if z > 0 else mp.mpf(0)


def relu_derivative(z):
    """relu'(z) = 1 for z > 0, else 0 (0 at the kink)."""
    return mp.mpf(1) if z > 0 else mp.mpf(0)


def relu_second_derivative(z):
    """relu''(z) = 0."""
    return mp.mpf(0)


def leaky_relu(z, *, alpha=0.01):
    """leaky_relu(z) = z for z > 0, else alpha z."""
    return z if z > 0 else mp.mpf(alpha) * z


def leaky_relu_derivative(z, *, alpha=0.01):
    """leaky_relu'(z) = 1 for z > 0, else alpha (alpha at the kink)."""
    return mp.mpf(1) if z > 0 else mp.mpf(alpha)


def leaky_relu_second_derivative(z, *, alpha=0.01):
    """leaky_relu''(z) = 0."""
    return mp.mpf(0)


# ---------------------------------------------------------------------------------------------
# relu6, elu, celu, selu


def relu6(z):
    """relu6(z) = 0 for z ≤ 0, z for 0 < z < 6, 6 for z ≥ 6."""
    return mp.mpf(6) if z >= 6 else (z if z > 0 else mp.mpf(0))


def relu6_derivative(z):
    """relu6'(z) = 1 for 0 < z < 6, else 0 (0 at the kinks)."""
    return mp.mpf(1) if 0 < z < 6 else mp.mpf(0)


def relu6_second_derivative(z):
    """relu6''(z) = 0."""
    return mp.mpf(0)


def elu(z, *, alpha=1.0):
    """elu(z) = z for z > 0, else alpha (e^z - 1)."""
    return z if z > 0 else mp.mpf(alpha) * mp.expm1(z)


def elu_derivative(z, *, alpha=1.0):
    """elu'(z) = 1 for z > 0, else alpha e^z."""
    return mp.mpf(1) if z > 0 else mp.mpf(alpha) * mp.exp(z)


def elu_second_derivative(z, *, alpha=1.0):
    """elu''(z) = 0 for z > 0, else alpha e^z."""
    return mp.mpf(0) if z > 0 else mp.mpf(alpha) * mp.exp(z)


def celu(z, *, alpha=1.0):
    """celu(z) = z for z > 0, else alpha (e^(z/alpha) - 1)."""
    a = mp.mpf(alpha)
    return z if z > 0 else a * mp.expm1(z / a)


def celu_derivative(z, *, alpha=1.0):
    """celu'(z) = 1 for z > 0, else e^(z/alpha)."""
    return mp.mpf(1) if z > 0 else mp.exp(z / mp.mpf(alpha))


def celu_second_derivative(z, *, alpha=1.0):
    """celu''(z) = 0 for z > 0, else e^(z/alpha) / alpha."""
    a = mp.mpf(alpha)
    return mp.mpf(0) if z > 0 else mp.exp(z / a) / a


def _selu_alpha():
    """selu's alpha, to the working precision."""
    return mp.mpf("1.6732632423543772848170429916717")


def _selu_scale():
    """selu's scale, to the working precision."""
    return mp.mpf("1.0507009873554804934193349852946")


def selu(z):
    """selu(z) = scale z for z > 0, else scale alpha (e^z - 1)."""
    return _selu_scale() * z if z > 0 else _selu_scale() * _selu_alpha() * mp.expm1(z)


def selu_derivative(z):
    """selu'(z) = scale for z > 0, else scale alpha e^z."""
    return _selu_scale() if z > 0 else _selu_scale() * _selu_alpha() * mp.exp(z)


def selu_second_derivative(z):
    """selu''(z) = 0 for z > 0, else scale alpha e^z."""
    return mp.mpf(0) if z > 0 else _selu_scale() * _selu_alpha() * mp.exp(z)


# ---------------------------------------------------------------------------------------------
# gelu: Φ(z) = erfc(-z/√2)/2 has no cancellation for z < 0 (mpmath's erfc is computed to full
# relative precision), φ(z) = e^(-z²/2)/√(2π).


def _gauss_cdf(z):
    """Φ(z) = erfc(-z/√2) / 2."""
    if abs(z) > 1e5:
        # mpmath's erfc fails on huge arguments; there Φ(z) = 1 - φ(z)/z (z > 0) or φ(z)/|z|
        # (z < 0) to a relative 1/z² < 1e-10, and every float64 result built on it (z·Φ,
        # Φ + zφ, φ(2 - z²)) rounds to its limit exactly
        tail = mp.exp(-z * z / 2) / (mp.sqrt(2 * mp.pi) * abs(z))
        return 1 - tail if z > 0 else tail
    return mp.erfc(-z / mp.sqrt(2)) / 2


def _gauss_pdf(z):
    """φ(z) = e^(-z²/2) / √(2π)."""
    return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)


def gelu(z):
    """gelu(z) = z Φ(z)."""
    return z * _gauss_cdf(z)


def gelu_derivative(z):
    """gelu'(z) = Φ(z) + z φ(z)."""
    return _gauss_cdf(z) + z * _gauss_pdf(z)


def gelu_second_derivative(z):
    """gelu''(z) = φ(z) (2 - z²)."""
    return _gauss_pdf(z) * (2 - z * z)


# ---------------------------------------------------------------------------------------------
# gelu_tanh, with the exact constants √(2/π) and 0.044715.  1 + tanh u is written as
# 2/(1 + e^(-2u)), which does not cancel as u → -∞.


def _gelu_k():
    """√(2/π), to the working precision."""
    return mp.sqrt(2 / mp.pi)


def _gelu_c():
    """0.044715, to the working precision."""
    return mp.mpf("0.044715")


def gelu_tanh(z):
    """gelu_tanh(z) = z / (1 + e^(-2u)) = z (1 + tanh u) / 2, u = √(2/π) (z + 0.044715 z³)."""
    u = _gelu_k() * (z + _gelu_c() * z**3)
    return z / (1 + mp.exp(-2 * u))


def gelu_tanh_derivative(z):
    """gelu_tanh'(z) = 1 / (1 + e^(-2u)) + z u' sech²(u) / 2, u' = √(2/π) (1 + 3c z²)."""
    u = _gelu_k() * (z + _gelu_c() * z**3)
    du = _gelu_k() * (1 + 3 * _gelu_c() * z**2)
    return 1 / (1 + mp.exp(-2 * u)) + z * du * mp.sech(u) ** 2 / 2


def gelu_tanh_second_derivative(z):
    """gelu_tanh''(z) = sech²(u) (u' + z u''/2 - z u'² tanh u), u'' = 6 √(2/π) c z."""
    u = _gelu_k() * (z + _gelu_c() * z**3)
    du = _gelu_k() * (1 + 3 * _gelu_c() * z**2)
    d2u = 6 * _gelu_k() * _gelu_c() * z
    return mp.sech(u) ** 2 * (du + z * d2u / 2 - z * du**2 * mp.tanh(u))


# ---------------------------------------------------------------------------------------------
# silu, softplus, log_sigmoid


def silu(z):
    """silu(z) = z σ(z) = z / (1 + e^-z)."""
    return z / (1 + mp.exp(-z))


def silu_derivative(z):
    """silu'(z) = σ(z) + z sech²(z/2) / 4."""
    return 1 / (1 + mp.exp(-z)) + z * mp.sech(z / 2) ** 2 / 4


def silu_second_derivative(z):
    """silu''(z) = sech²(z/2) / 4 · (2 - z tanh(z/2))."""
    return mp.sech(z / 2) ** 2 / 4 * (2 - z * mp.tanh(z / 2))


def softplus(z):
    """softplus(z) = log(1 + e^z)."""
    return mp.log1p(mp.exp(z))


def softplus_derivative(z):
    """softplus'(z) = σ(z) = 1 / (1 + e^-z)."""
    return 1 / (1 + mp.exp(-z))


def softplus_second_derivative(z):
    """softplus''(z) = σ'(z) = sech²(z/2) / 4."""
    return mp.sech(z / 2) ** 2 / 4


def log_sigmoid(z):
    """log_sigmoid(z) = -log(1 + e^-z)."""
    return -mp.log1p(mp.exp(-z))


def log_sigmoid_derivative(z):
    """log_sigmoid'(z) = 1 / (1 + e^z) = σ(-z)."""
    return 1 / (1 + mp.exp(z))


def log_sigmoid_second_derivative(z):
    """log_sigmoid''(z) = -sech²(z/2) / 4."""
    return -mp.sech(z / 2) ** 2 / 4


# ---------------------------------------------------------------------------------------------
# soft_sign, hard_tanh, hard_sigmoid, hard_silu


def soft_sign(z):
    """soft_sign(z) = z / (1 + |z|)."""
    return z / (1 + abs(z))


def soft_sign_derivative(z):
    """soft_sign'(z) = 1 / (1 + |z|)²."""
    return 1 / (1 + abs(z)) ** 2


def soft_sign_second_derivative(z):
    """soft_sign''(z) = -2 sign(z) / (1 + |z|)³, the z ≥ 0 branch (-2) at the kink."""
    return (-2 if z >= 0 else 2) / (1 + abs(z)) ** 3


def hard_tanh(z):
    """hard_tanh(z) = -1 for z < -1, z for -1 ≤ z ≤ 1, 1 for z > 1."""
    return mp.mpf(1) if z > 1 else (mp.mpf(-1) if z < -1 else z)


def hard_tanh_derivative(z):
    """hard_tanh'(z) = 1 for -1 < z < 1, else 0 (0 at the kinks)."""
    return mp.mpf(1) if -1 < z < 1 else mp.mpf(0)


def hard_tanh_second_derivative(z):
    """hard_tanh''(z) = 0."""
    return mp.mpf(0)


def hard_sigmoid(z):
    """hard_sigmoid(z) = 0 for z ≤ -3, (z + 3)/6 for -3 < z < 3, 1 for z ≥ 3."""
    return mp.mpf(1) if z >= 3 else ((z + 3) / 6 if z > -3 else mp.mpf(0))


def hard_sigmoid_derivative(z):
    """hard_sigmoid'(z) = 1/6 for -3 < z < 3, else 0 (0 at the kinks)."""
    return mp.mpf(1) / 6 if -3 < z < 3 else mp.mpf(0)


def hard_sigmoid_second_derivative(z):
    """hard_sigmoid''(z) = 0."""
    return mp.mpf(0)


def hard_silu(z):
    """hard_silu(z) = z hard_sigmoid(z)."""
    return z * hard_sigmoid(z)


def hard_silu_derivative(z):
    """hard_silu'(z) = 0 for z ≤ -3, (2z + 3)/6 for -3 < z < 3, 1 for z ≥ 3."""
    return mp.mpf(1) if z >= 3 else ((2 * z + 3) / 6 if z > -3 else mp.mpf(0))


def hard_silu_second_derivative(z):
    """hard_silu''(z) = 1/3 for -3 < z < 3, else 0 (0 at the kinks)."""
    return mp.mpf(1) / 3 if -3 < z < 3 else mp.mpf(0)


# ---------------------------------------------------------------------------------------------
# mish: t = tanh(softplus z); t' = sech²(softplus z) σ(z);
# t'' = sech²(sp) σ (1 - σ) - 2 t sech²(sp) σ²  (σ' = σ(1-σ), sp' = σ)


def mish(z):
    """mish(z) = z tanh(softplus(z)) = z tanh(log(1 + e^z))."""
    return z * mp.tanh(mp.log1p(mp.exp(z)))


def mish_derivative(z):
    """mish'(z) = tanh(sp) + z sech²(sp) σ(z), sp = softplus(z)."""
    sp = mp.log1p(mp.exp(z))
    sig = 1 / (1 + mp.exp(-z))
    return mp.tanh(sp) + z * mp.sech(sp) ** 2 * sig


def mish_second_derivative(z):
    """mish''(z) = 2 sech²(sp) σ + z (sech²(sp) σ (1 - σ) - 2 tanh(sp) sech²(sp) σ²)."""
    sp = mp.log1p(mp.exp(z))
    sig = 1 / (1 + mp.exp(-z))
    sig_c = 1 / (1 + mp.exp(z))  # 1 - σ without cancellation
    s2 = mp.sech(sp) ** 2
    t = mp.tanh(sp)
    return 2 * s2 * sig + z * (s2 * sig * sig_c - 2 * t * s2 * sig**2)


# ---------------------------------------------------------------------------------------------
# squareplus: for z < 0, (z + r)/2 = b/(2(r - z)) and (1 + z/r)/2 = b/(2r(r - z)).


def squareplus(z, *, b=4.0):
    """squareplus(z) = (z + r) / 2, r = √(z² + b); b / (2(r - z)) for z < 0."""
    b = mp.mpf(b)
    r = mp.sqrt(z * z + b)
    return (z + r) / 2 if z >= 0 else b / (2 * (r - z))


def squareplus_derivative(z, *, b=4.0):
    """squareplus'(z) = (1 + z/r) / 2; b / (2r(r - z)) for z < 0."""
    b = mp.mpf(b)
    r = mp.sqrt(z * z + b)
    return (1 + z / r) / 2 if z >= 0 else b / (2 * r * (r - z))


def squareplus_second_derivative(z, *, b=4.0):
    """squareplus''(z) = b / (2 (z² + b)^(3/2))."""
    b = mp.mpf(b)
    return b / (2 * (z * z + b) ** mp.mpf(1.5))


# ---------------------------------------------------------------------------------------------
# sparse_plus, sparse_sigmoid


def sparse_plus(z):
    """sparse_plus(z) = 0 for z ≤ -1, (z + 1)²/4 for -1 < z < 1, z for z ≥ 1."""
    return z if z >= 1 else ((z + 1) ** 2 / 4 if z > -1 else mp.mpf(0))


def sparse_plus_derivative(z):
    """sparse_plus'(z) = 0 for z ≤ -1, (z + 1)/2 for -1 < z < 1, 1 for z ≥ 1."""
    return mp.mpf(1) if z >= 1 else ((z + 1) / 2 if z > -1 else mp.mpf(0))


def sparse_plus_second_derivative(z):
    """sparse_plus''(z) = 1/2 for -1 < z < 1, else 0 (0 at the kinks)."""
    return mp.mpf(1) / 2 if -1 < z < 1 else mp.mpf(0)


def sparse_sigmoid(z):
    """sparse_sigmoid(z) = 0 for z ≤ -1, (z + 1)/2 for -1 < z < 1, 1 for z ≥ 1."""
    return mp.mpf(1) if z >= 1 else ((z + 1) / 2 if z > -1 else mp.mpf(0))


def sparse_sigmoid_derivative(z):
    """sparse_sigmoid'(z) = 1/2 for -1 < z < 1, else 0 (0 at the kinks)."""
    return mp.mpf(1) / 2 if -1 < z < 1 else mp.mpf(0)


def sparse_sigmoid_second_derivative(z):
    """sparse_sigmoid''(z) = 0."""
    return mp.mpf(0)


# ---------------------------------------------------------------------------------------------
# identity


def identity(z):
    """identity(z) = z."""
    return z


def identity_derivative(z):
    """identity'(z) = 1."""
    return mp.mpf(1)


def identity_second_derivative(z):
    """identity''(z) = 0."""
    return mp.mpf(0)


# ---------------------------------------------------------------------------------------------
# the registry: name -> (f, f', f''), keyed like refnet.activations.ACTIVATIONS (aliases
# share their functions)

ACTIVATIONS: Mapping[str, tuple[Callable, Callable, Callable]] = MappingProxyType(
    {
        "sigmoid": (sigmoid, sigmoid_derivative, sigmoid_second_derivative),
        "tanh": (tanh, tanh_derivative, tanh_second_derivative),
        "relu": (relu, relu_derivative, relu_second_derivative),
        "leaky_relu": (leaky_relu, leaky_relu_derivative, leaky_relu_second_derivative),
        "relu6": (relu6, relu6_derivative, relu6_second_derivative),
        "elu": (elu, elu_derivative, elu_second_derivative),
        "celu": (celu, celu_derivative, celu_second_derivative),
        "selu": (selu, selu_derivative, selu_second_derivative),
        "gelu": (gelu, gelu_derivative, gelu_second_derivative),
        "gelu_tanh": (gelu_tanh, gelu_tanh_derivative, gelu_tanh_second_derivative),
        "silu": (silu, silu_derivative, silu_second_derivative),
        "swish": (silu, silu_derivative, silu_second_derivative),
        "softplus": (softplus, softplus_derivative, softplus_second_derivative),
        "log_sigmoid": (log_sigmoid, log_sigmoid_derivative, log_sigmoid_second_derivative),
        "soft_sign": (soft_sign, soft_sign_derivative, soft_sign_second_derivative),
        "hard_tanh": (hard_tanh, hard_tanh_derivative, hard_tanh_second_derivative),
        "hard_sigmoid": (hard_sigmoid, hard_sigmoid_derivative, hard_sigmoid_second_derivative),
        "hard_silu": (hard_silu, hard_silu_derivative, hard_silu_second_derivative),
        "hard_swish": (hard_silu, hard_silu_derivative, hard_silu_second_derivative),
        "mish": (mish, mish_derivative, mish_second_derivative),
        "squareplus": (squareplus, squareplus_derivative, squareplus_second_derivative),
        "sparse_plus": (sparse_plus, sparse_plus_derivative, sparse_plus_second_derivative),
        "sparse_sigmoid": (sparse_sigmoid, sparse_sigmoid_derivative,
                           sparse_sigmoid_second_derivative),
        "identity": (identity, identity_derivative, identity_second_derivative),
    }
)

# every registry function is public: registering an activation exports it
__all__ = ["ACTIVATIONS"]
__all__.extend(dict.fromkeys(fn.__name__ for forms in ACTIVATIONS.values() for fn in forms))
