"""mpmath at high precision: the correctly rounded float64 value of f, f' or f'' of a registry
activation, and ``ulps``, the distance in units in the last place by which accuracy is judged."""

from __future__ import annotations

import numpy as np

from refnet import tolerances as tol

__all__ = ["MP_ACTIVATIONS", "mp_value", "mp_derivative", "ulps"]

_MP_PREC = 160  # bits; no form below cancels, so 160 bits give the correctly rounded float64


def _mp_forms():
    """name -> (f, f', f'') in mpmath, textbook forms with no cancellation at any magnitude."""
    import mpmath as mp

    def sigmoid(z, **p):
        return 1 / (1 + mp.exp(-z))

    def dsigmoid(z, **p):
        return mp.sech(z / 2) ** 2 / 4  # σ' = 1/(4 cosh²(z/2))

    def d2sigmoid(z, **p):
        return -mp.sech(z / 2) ** 2 * mp.tanh(z / 2) / 4

    def tanh(z, **p):
        return mp.tanh(z)

    def dtanh(z, **p):
        return mp.sech(z) ** 2

    def d2tanh(z, **p):
        return -2 * mp.tanh(z) * mp.sech(z) ** 2

    def relu(z, **p):
        return z if z > 0 else mp.mpf(0)

    def drelu(z, **p):
        return mp.mpf(1) if z > 0 else mp.mpf(0)

    def leaky(z, alpha=0.01):
        return z if z > 0 else mp.mpf(alpha) * z

    def dleaky(z, alpha=0.01):
        return mp.mpf(1) if z > 0 else mp.mpf(alpha)

    def zero(z, **p):
        return mp.mpf(0)

    forms = {
        "sigmoid": (sigmoid, dsigmoid, d2sigmoid),
        "tanh": (tanh, dtanh, d2tanh),
        "relu": (relu, drelu, zero),
        "leaky_relu": (leaky, dleaky, zero),
    }

    # --- the jax.nn activations added to the registry.  Kinks: every form takes the branch
    # that refnet's convention pins at the kink itself (see refnet.activations).

    def one(z, **p):
        return mp.mpf(1)

    def relu6(z, **p):
        return mp.mpf(6) if z >= 6 else (z if z > 0 else mp.mpf(0))

    def drelu6(z, **p):
        return mp.mpf(1) if 0 < z < 6 else mp.mpf(0)

    def elu(z, alpha=1.0):
        return z if z > 0 else mp.mpf(alpha) * mp.expm1(z)

    def delu(z, alpha=1.0):
        return mp.mpf(1) if z > 0 else mp.mpf(alpha) * mp.exp(z)

    def d2elu(z, alpha=1.0):
        return mp.mpf(0) if z > 0 else mp.mpf(alpha) * mp.exp(z)

    def celu(z, alpha=1.0):
        a = mp.mpf(alpha)
        return z if z > 0 else a * mp.expm1(z / a)

    def dcelu(z, alpha=1.0):
        return mp.mpf(1) if z > 0 else mp.exp(z / mp.mpf(alpha))

    def d2celu(z, alpha=1.0):
        a = mp.mpf(alpha)
        return mp.mpf(0) if z > 0 else mp.exp(z / a) / a

    # constants are made inside each call, at the working precision of mp_value (made here,
    # at import, they would be rounded to mpmath's default 53 bits)
    def selu_alpha():
        return mp.mpf("1.6732632423543772848170429916717")

    def selu_scale():
        return mp.mpf("1.0507009873554804934193349852946")

    def selu(z, **p):
        return selu_scale() * z if z > 0 else selu_scale() * selu_alpha() * mp.expm1(z)

    def dselu(z, **p):
        return selu_scale() if z > 0 else selu_scale() * selu_alpha() * mp.exp(z)

    def d2selu(z, **p):
        return mp.mpf(0) if z > 0 else selu_scale() * selu_alpha() * mp.exp(z)

    # gelu: Φ(z) = erfc(-z/√2)/2 has no cancellation for z < 0 (mpmath's erfc is computed to
    # full relative precision), φ(z) = e^(-z²/2)/√(2π).
    def ncdf(z):
        if abs(z) > 1e5:
            # mpmath's erfc fails on huge arguments; there Φ(z) = 1 - φ(z)/z (z > 0) or
            # φ(z)/|z| (z < 0) to a relative 1/z² < 1e-10, and every float64 result built on
            # it (z·Φ, Φ + zφ, φ(2 - z²)) rounds to its limit exactly
            tail = mp.exp(-z * z / 2) / (mp.sqrt(2 * mp.pi) * abs(z))
            return 1 - tail if z > 0 else tail
        return mp.erfc(-z / mp.sqrt(2)) / 2

    def npdf(z):
        return mp.exp(-z * z / 2) / mp.sqrt(2 * mp.pi)

    def gelu(z, **p):
        return z * ncdf(z)

    def dgelu(z, **p):
        return ncdf(z) + z * npdf(z)

    def d2gelu(z, **p):
        return npdf(z) * (2 - z * z)

    # gelu_tanh with the exact constants √(2/π) and 0.044715.  1 + tanh u is written as
    # 2/(1 + e^(-2u)), which does not cancel as u → -∞.
    def gk():
        return mp.sqrt(2 / mp.pi)

    def gc():
        return mp.mpf("0.044715")

    def gelu_tanh(z, **p):
        u = gk() * (z + gc() * z**3)
        return z / (1 + mp.exp(-2 * u))

    def dgelu_tanh(z, **p):
        u = gk() * (z + gc() * z**3)
        du = gk() * (1 + 3 * gc() * z**2)
        return 1 / (1 + mp.exp(-2 * u)) + z * du * mp.sech(u) ** 2 / 2

    def d2gelu_tanh(z, **p):
        u = gk() * (z + gc() * z**3)
        du = gk() * (1 + 3 * gc() * z**2)
        d2u = 6 * gk() * gc() * z
        return mp.sech(u) ** 2 * (du + z * d2u / 2 - z * du**2 * mp.tanh(u))

    def silu(z, **p):
        return z / (1 + mp.exp(-z))

    def dsilu(z, **p):
        return 1 / (1 + mp.exp(-z)) + z * mp.sech(z / 2) ** 2 / 4

    def d2silu(z, **p):
        return mp.sech(z / 2) ** 2 / 4 * (2 - z * mp.tanh(z / 2))

    def softplus(z, **p):
        return mp.log1p(mp.exp(z))

    def dsoftplus(z, **p):
        return 1 / (1 + mp.exp(-z))

    def d2softplus(z, **p):
        return mp.sech(z / 2) ** 2 / 4

    def log_sigmoid(z, **p):
        return -mp.log1p(mp.exp(-z))

    def dlog_sigmoid(z, **p):
        return 1 / (1 + mp.exp(z))

    def d2log_sigmoid(z, **p):
        return -mp.sech(z / 2) ** 2 / 4

    def soft_sign(z, **p):
        return z / (1 + abs(z))

    def dsoft_sign(z, **p):
        return 1 / (1 + abs(z)) ** 2

    def d2soft_sign(z, **p):
        return (-2 if z >= 0 else 2) / (1 + abs(z)) ** 3

    def hard_tanh(z, **p):
        return mp.mpf(1) if z > 1 else (mp.mpf(-1) if z < -1 else z)

    def dhard_tanh(z, **p):
        return mp.mpf(1) if -1 < z < 1 else mp.mpf(0)

    def hard_sigmoid(z, **p):
        return mp.mpf(1) if z >= 3 else ((z + 3) / 6 if z > -3 else mp.mpf(0))

    def dhard_sigmoid(z, **p):
        return mp.mpf(1) / 6 if -3 < z < 3 else mp.mpf(0)

    def hard_silu(z, **p):
        return z * hard_sigmoid(z)

    def dhard_silu(z, **p):
        return mp.mpf(1) if z >= 3 else ((2 * z + 3) / 6 if z > -3 else mp.mpf(0))

    def d2hard_silu(z, **p):
        return mp.mpf(1) / 3 if -3 < z < 3 else mp.mpf(0)

    # mish: t = tanh(softplus z); t' = sech²(softplus z) σ(z);
    # t'' = sech²(sp) σ (1 - σ) - 2 t sech²(sp) σ²  (σ' = σ(1-σ), sp' = σ)
    def mish(z, **p):
        return z * mp.tanh(mp.log1p(mp.exp(z)))

    def dmish(z, **p):
        sp = mp.log1p(mp.exp(z))
        sig = 1 / (1 + mp.exp(-z))
        return mp.tanh(sp) + z * mp.sech(sp) ** 2 * sig

    def d2mish(z, **p):
        sp = mp.log1p(mp.exp(z))
        sig = 1 / (1 + mp.exp(-z))
        sig_c = 1 / (1 + mp.exp(z))  # 1 - σ without cancellation
        s2 = mp.sech(sp) ** 2
        t = mp.tanh(sp)
        return 2 * s2 * sig + z * (s2 * sig * sig_c - 2 * t * s2 * sig**2)

    # squareplus: for z < 0, (z + r)/2 = b/(2(r - z)) and (1 + z/r)/2 = b/(2r(r - z)).
    def squareplus(z, b=4.0):
        b = mp.mpf(b)
        r = mp.sqrt(z * z + b)
        return (z + r) / 2 if z >= 0 else b / (2 * (r - z))

    def dsquareplus(z, b=4.0):
        b = mp.mpf(b)
        r = mp.sqrt(z * z + b)
        return (1 + z / r) / 2 if z >= 0 else b / (2 * r * (r - z))

    def d2squareplus(z, b=4.0):
        b = mp.mpf(b)
        return b / (2 * (z * z + b) ** mp.mpf(1.5))

    def sparse_plus(z, **p):
        return z if z >= 1 else ((z + 1) ** 2 / 4 if z > -1 else mp.mpf(0))

    def dsparse_plus(z, **p):
        return mp.mpf(1) if z >= 1 else ((z + 1) / 2 if z > -1 else mp.mpf(0))

    def d2sparse_plus(z, **p):
        return mp.mpf(1) / 2 if -1 < z < 1 else mp.mpf(0)

    def sparse_sigmoid(z, **p):
        return mp.mpf(1) if z >= 1 else ((z + 1) / 2 if z > -1 else mp.mpf(0))

    def dsparse_sigmoid(z, **p):
        return mp.mpf(1) / 2 if -1 < z < 1 else mp.mpf(0)

    def identity(z, **p):
        return z

    forms.update({
        "relu6": (relu6, drelu6, zero),
        "elu": (elu, delu, d2elu),
        "celu": (celu, dcelu, d2celu),
        "selu": (selu, dselu, d2selu),
        "gelu": (gelu, dgelu, d2gelu),
        "gelu_tanh": (gelu_tanh, dgelu_tanh, d2gelu_tanh),
        "silu": (silu, dsilu, d2silu),
        "swish": (silu, dsilu, d2silu),
        "softplus": (softplus, dsoftplus, d2softplus),
        "log_sigmoid": (log_sigmoid, dlog_sigmoid, d2log_sigmoid),
        "soft_sign": (soft_sign, dsoft_sign, d2soft_sign),
        "hard_tanh": (hard_tanh, dhard_tanh, zero),
        "hard_sigmoid": (hard_sigmoid, dhard_sigmoid, zero),
        "hard_silu": (hard_silu, dhard_silu, d2hard_silu),
        "hard_swish": (hard_silu, dhard_silu, d2hard_silu),
        "mish": (mish, dmish, d2mish),
        "squareplus": (squareplus, dsquareplus, d2squareplus),
        "sparse_plus": (sparse_plus, dsparse_plus, d2sparse_plus),
        "sparse_sigmoid": (sparse_sigmoid, dsparse_sigmoid, zero),
        "identity": (identity, one, zero),
    })
    return forms


MP_ACTIVATIONS = _mp_forms()


def _to_float(x) -> float:
    """Round an mpf to the nearest float64, subnormals and overflow included."""
    import mpmath as mp

    if mp.isnan(x):
        return float("nan")
    if mp.isinf(x):
        return float(x)
    if x == 0:
        return 0.0
    if abs(x) >= mp.mpf(2) ** 1024 * (1 - mp.mpf(2) ** -54):
        return float("inf") if x > 0 else float("-inf")
    # mpmath rounds to 53 bits; below 2**-1022 the grid is 2**-1074, so round there explicitly.
    if abs(x) < mp.mpf(2) ** -1022:
        return float(mp.nint(x * mp.mpf(2) ** 1074)) * 2.0**-1074
    return float(x)


def mp_value(name: str, z, order: int = 0, **params) -> np.ndarray:
    """The correctly rounded float64 value of the ``order``-th derivative (0, 1 or 2) of the
    activation ``name`` at each element of ``z``, from mpmath at 160 bits."""
    import mpmath as mp

    form = MP_ACTIVATIONS[name][order]
    z = np.asarray(z, dtype=np.float64)
    out = np.empty(z.shape)
    with mp.workprec(_MP_PREC):
        for i, v in np.ndenumerate(z):
            out[i] = _to_float(form(mp.mpf(float(v)), **params))
    return out


# ---------------------------------------------------------------------------------------------
# ulps


def _ordered(x: np.ndarray) -> np.ndarray:
    """Map float64 to int64 in the same order, adjacent floats to adjacent integers."""
    i = np.asarray(x, dtype=np.float64).view(np.int64)
    return np.where(i < 0, -(i & np.int64(0x7FFFFFFFFFFFFFFF)), i)


def ulps(a, b) -> np.ndarray:
    """How many float64 values lie between ``a`` and ``b`` (0 when equal; +0 and -0 are equal;
    NaN anywhere gives inf)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    oa, ob = _ordered(a), _ordered(b)
    same = (oa >= 0) == (ob >= 0)
    # same sign: the int64 difference cannot overflow; opposite signs: the distance is
    # |oa| + |ob|, huge, and float64 holds it well enough.
    d_same = np.abs(np.where(same, oa - ob, 0)).astype(np.float64)
    d_cross = np.abs(oa.astype(np.float64)) + np.abs(ob.astype(np.float64))
    d = np.where(same, d_same, d_cross)
    return np.where(np.isnan(a) | np.isnan(b), np.inf, d)


def mp_derivative(name, z, params):
    """mpmath's correctly rounded derivative at z, as (estimate (k, 1), error bar (k, 1)).

    The bar is half an ulp where the value is normal (or 0); where it is subnormal the
    registry's own derivatives are held to an absolute tolerances.SUBNORMAL_ABS (they have
    fewer than 53 bits), so that is the bar there: a correct subnormal value is never flagged."""
    m = mp_value(name, z, 1, **params)
    err = np.where(np.abs(m) < tol.TINY, tol.SUBNORMAL_ABS, 0.5 * tol.EPS * np.abs(m))
    return m[:, None], err[:, None]
