"""The oracles that judge refnet's derivatives, each independent of the formula it checks.

- ``twin_derivative``: ``jax.grad`` of the hand-written JAX twin, vectorised with ``jax.vmap``
  and compiled once per function and bucket length (inputs are ravelled and padded to one of a
  few lengths, so one compile serves every shape).
- ``richardson_derivative``: central (or one-sided, beside a kink) differences at several step
  sizes, extrapolated; the spread of the tableau and the propagated rounding noise make the
  error bar.
- ``complex_step_derivative``: Im f(z + ih)/h, no subtractive cancellation.
- ``mp_value``: the correctly rounded float64 value of f, f' or f'' from mpmath at 160 bits,
  written with mpmath's own functions in textbook forms (sech², not e/(1+e)²).
- ``ulps``: the distance between two float64 values in units in the last place.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

from refnet import tolerances as tol

__all__ = [
    "twin_derivative",
    "richardson_derivative",
    "complex_step_derivative",
    "mp_value",
    "MP_ACTIVATIONS",
    "ulps",
    "bucket_length",
]

# ---------------------------------------------------------------------------------------------
# jax.grad of the twin

_BUCKETS = (16, 256, 4096)


def bucket_length(n: int) -> int:
    """The padded length for ``n`` elements: one of a few buckets, so compiles are reused."""
    for b in _BUCKETS:
        if n <= b:
            return b
    return -(-n // _BUCKETS[-1]) * _BUCKETS[-1]


@functools.lru_cache(maxsize=None)
def _compiled_twin_derivative(name: str, order: int):
    import jax

    from refnet.twin import activations as twin

    f = twin.ACTIVATIONS[name]

    def scalar(z, params):
        return f(z, **params)

    g = scalar
    for _ in range(order):
        g = jax.grad(g)
    return jax.jit(jax.vmap(g, in_axes=(0, None)))


def twin_derivative(name: str, z, order: int = 1, **params) -> np.ndarray:
    """The ``order``-th derivative of the twin activation ``name`` at every element of ``z``,
    by ``jax.grad`` (nested ``order`` times), vmapped and jitted once per bucket length."""
    z = np.asarray(z, dtype=np.float64)
    flat = z.ravel()
    n = flat.size
    padded = np.zeros(bucket_length(max(n, 1)))
    padded[:n] = flat
    params = {k: np.float64(v) for k, v in params.items()}
    out = np.asarray(_compiled_twin_derivative(name, order)(padded, params))
    return out[:n].reshape(z.shape)


# ---------------------------------------------------------------------------------------------
# Richardson finite differences


def default_step(z) -> np.ndarray:
    """The largest step of the tableau: 2**-6 for |z| ≤ 2**14, |z| * 2**-20 beyond.

    The activations vary on a scale of 1, so a fixed step serves moderate z; for large |z| the
    step must stay well above |z| eps to be resolved at all.  The steps are powers of two times
    a power of two, so halving them is exact.
    """
    z = np.abs(np.asarray(z, dtype=np.float64))
    _, e = np.frexp(np.maximum(z, 1.0))  # 2**e is the power of two above |z|
    big = np.ldexp(1.0, e - 20)
    return np.maximum(2.0**-6, big)


def extrapolate(rows, noise, power):
    """Richardson's tableau over difference quotients ``rows[k]`` taken at steps h0·2^-k.

    ``power`` is 2 where the error series is in h², h⁴, … (central differences) and 1 where it
    is in h, h², … (one-sided); level j removes the j-th term:
    R[k][j] = R[k][j-1] + (R[k][j-1] - R[k-1][j-1]) / (2^(pj) - 1).  ``noise[k]`` bounds the
    rounding error of ``rows[k]`` and is carried through the same weights.

    Returns ``(estimate, error)``: the error is the larger change of the last level (against the
    level before and the row before) plus the carried noise.
    """
    R, E = [[rows[0]]], [[noise[0]]]
    for k in range(1, len(rows)):
        r, e = [rows[k]], [noise[k]]
        for j in range(1, k + 1):
            fac = 2.0 ** (power * j) - 1.0
            r.append(r[j - 1] + (r[j - 1] - R[k - 1][j - 1]) / fac)
            e.append(e[j - 1] + (e[j - 1] + E[k - 1][j - 1]) / fac)
        R.append(r)
        E.append(e)
    best = R[-1][-1]
    if len(rows) > 1:
        trunc = np.maximum(np.abs(best - R[-1][-2]), np.abs(best - R[-2][-2]))
    else:
        trunc = np.zeros_like(best)
    return best, trunc + E[-1][-1]


def richardson_derivative(f: Callable, z, *, side=0, h0=None, levels: int = 6,
                          eval_ulps: float = tol.FD_EVAL_ULPS, eval_error=None):
    """Differences of an elementwise ``f`` at ``z`` with steps h0, h0/2, …, extrapolated.

    ``side`` (a scalar or an array like ``z``) is 0 for central differences, +1 for forward and
    -1 for backward ones (used beside a kink, so the stencil stays on one side).  Central
    differences have an error series in h², h⁴, …; one-sided ones in h, h², …; level j of the
    tableau removes the j-th term.  Within a step of the largest float the stencil turns
    one-sided inwards, so no step overflows.

    The rounding error of one evaluation of f is ``eval_error`` (absolute; a scalar or like z)
    if given, else eval_ulps·eps·|f|.  Returns ``(estimate, error)`` (see :func:`extrapolate`).
    Six levels by default: with four, a one-sided tableau's error bar on sin stays near 5e-6,
    too wide to see a 1e-6 relative bug; with six it is 4e-11 (central: 6e-12).
    """
    z = np.asarray(z, dtype=np.float64)
    side = np.broadcast_to(np.asarray(side), z.shape)
    h0 = default_step(z) if h0 is None else np.broadcast_to(np.asarray(h0, float), z.shape)
    # at the top of the float range a step outwards overflows: difference inwards instead
    edge = np.abs(z) > np.finfo(np.float64).max - h0
    side = np.where(edge & (side == 0), -np.sign(z), side)
    central = side == 0
    direction = np.where(central, 1.0, np.sign(side))

    with np.errstate(over="ignore", invalid="ignore"):
        rows, noise = [], []
        for k in range(levels):
            h = h0 * 2.0**-k
            zp = z + direction * h
            zm = np.where(central, z - h, z)
            fp = np.asarray(f(zp), dtype=np.float64)
            fm = np.asarray(f(zm), dtype=np.float64)
            step = zp - zm  # the step actually taken, exact in floating point
            rows.append((fp - fm) / step)
            if eval_error is None:
                e = eval_ulps * tol.EPS * np.maximum(np.abs(fp), np.abs(fm))
            else:
                e = eval_error
            noise.append(2.0 * e / np.abs(step))
        best, err = extrapolate(rows, noise, np.where(central, 2.0, 1.0))
        # f left the float range on the stencil (overflow to inf): nothing resolved there
        err = np.where(np.isfinite(best) & np.isfinite(err), err, np.inf)
    return best, err


# ---------------------------------------------------------------------------------------------
# complex step


def complex_step_derivative(f: Callable, z, *, h: float = tol.COMPLEX_STEP_H):
    """Im f(z + ih) / h for an analytic, complex-safe elementwise ``f``.

    Returns ``(estimate, error)``: the error is a few ulps of the estimate plus the underflow
    floor 2**-1072 / h (see :mod:`refnet.tolerances`).
    """
    z = np.asarray(z, dtype=np.float64)
    value = np.asarray(f(z + 1j * h))
    if not np.iscomplexobj(value):
        raise TypeError("complex step: f dropped the imaginary part (it is not complex-safe)")
    est = value.imag / h
    err = 4 * tol.EPS * np.abs(est) + 4 * tol.SUBNORMAL / h
    return est, err


# ---------------------------------------------------------------------------------------------
# mpmath

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
