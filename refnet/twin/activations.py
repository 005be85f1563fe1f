"""The JAX twin of :mod:`refnet.activations`: each forward written by hand in ``jax.numpy``.

Derivatives on this side come from ``jax.grad`` alone.  Kinked functions branch with
``jnp.where`` on ``z > 0`` (autodiff of ``jnp.maximum`` splits a tie and gives 1/2 at the kink),
and ``-|z|`` is written as a branch too (autodiff of ``abs`` gives 0 at z = 0, which would make
σ'(0) come out 0).
"""

from __future__ import annotations

import jax
import jax.scipy.special

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

from refnet import activations as _reference  # noqa: E402  (names only: no formula)
from refnet._names import Registry  # noqa: E402

# the names outside the registry; the registry's forwards are appended below it, so a new
# activation is exported by registering it
__all__ = ["ACTIVATIONS", "log_softmax", "softmax"]

# Past |z| = 800, e^-2|z| is 0 in float64; the clip keeps 2|z| finite for |z| ~ 1e308.
_CLIP = 800.0


def _neg_abs(z):
    """-|z| as a branch (z >= 0 takes -z), clipped at -800."""
    u = jnp.where(z >= 0, -z, z)
    return jnp.where(u < -_CLIP, -_CLIP, u)


def _sign(z):
    """+1 where z >= 0, -1 elsewhere."""
    return jnp.where(z >= 0, 1.0, -1.0)


def _expm1_neg(u):
    """e^u - 1 for u ≤ 0, with a gradient that does not cancel.

    jax differentiates ``expm1`` as ``expm1(u) + 1``, which rounds to 0 once e^u < 2**-53
    (u < -36.7) and loses relative accuracy well before.  Below u = -1 the value is written
    ``exp(u) - 1`` instead (|e^u - 1| ≥ 0.63 there, so nothing cancels), whose gradient is
    ``exp(u)`` itself; above, ``expm1`` keeps the value exact near 0 and its gradient
    expm1(u) + 1 ≥ e^-1 loses at most a few ulps.
    """
    return jnp.where(u < -1.0, jnp.exp(u) - 1.0, jnp.expm1(u))


def sigmoid(z):
    """σ(z) = 1/(1+e) for z ≥ 0 and e/(1+e) for z < 0, with e = e^-|z|.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import sigmoid
    >>> sigmoid(jnp.array([-2.5, 0.5, 2.0]))
    Array([0.07585818, 0.62245933, 0.88079708], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    e = jnp.exp(_neg_abs(z))
    return jnp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z):
    """tanh(z) = sign(z) (1 - e)/(1 + e), with e = e^-2|z| and 1 - e = -expm1(-2|z|).

    1 - e goes through ``_expm1_neg``: with ``jnp.expm1`` the gradient of the numerator rounds to
    0 past |z| ≈ 18.4 and jax.grad returned half of tanh'(z) there.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import tanh
    >>> tanh(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.9866143 ,  0.46211716,  0.96402758], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    u = 2.0 * _neg_abs(z)
    return _sign(z) * (-_expm1_neg(u)) / (1.0 + jnp.exp(u))


def relu(z):
    """relu(z) = z for z > 0, else 0; the branch makes relu'(0) = 0 under autodiff.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import relu
    >>> relu(jnp.array([-2.5, 0.5, 2.0]))
    Array([0. , 0.5, 2. ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z > 0, z, 0.0)


def leaky_relu(z, *, alpha=0.01):
    """leaky_relu(z) = z for z > 0, alpha z otherwise; autodiff gives alpha at z = 0.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import leaky_relu
    >>> leaky_relu(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.025,  0.5  ,  2.   ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z > 0, z, alpha * z)


# ---------------------------------------------------------------------------------------------
# jax.nn's other elementwise activations.  Kinked functions branch with jnp.where so that
# autodiff gives refnet's conventions at the kinks (see refnet.activations); where a branch
# would overflow or divide by zero on the other side, its input is masked first ("double
# where"): the where's gradient is 0 on the unused branch, but 0·inf is NaN.


def _masked(cond, z, fill=0.0):
    """z where ``cond``, ``fill`` elsewhere: the input of a branch that must stay finite."""
    return jnp.where(cond, z, fill)


def relu6(z):
    """relu6(z) = 0 for z ≤ 0, z for 0 < z < 6, 6 for z ≥ 6; autodiff gives 0 at both kinks.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import relu6
    >>> relu6(jnp.array([-2.5, 0.5, 2.0]))
    Array([0. , 0.5, 2. ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z >= 6, 6.0, jnp.where(z > 0, z, 0.0))


def elu(z, *, alpha=1.0):
    """elu(z) = z for z > 0, alpha (e^z - 1) for z ≤ 0 (elu'(0) = alpha, elu''(0) = alpha).

    e^z - 1 through ``_expm1_neg``: jax's own ``jax.nn.elu`` uses expm1 and its gradient rounds
    to 0 past z ≈ -36.7.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import elu
    >>> elu(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.917915,  0.5     ,  2.      ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    pos = z > 0
    return jnp.where(pos, z, alpha * _expm1_neg(_masked(~pos, z)))


def celu(z, *, alpha=1.0):
    """celu(z) = z for z > 0, alpha (e^(z/alpha) - 1) for z ≤ 0 (celu''(0) = 1/alpha; alpha > 0).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import celu
    >>> celu(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.917915,  0.5     ,  2.      ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    pos = z > 0
    return jnp.where(pos, z, alpha * _expm1_neg(_masked(~pos, z) / alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_SELU_SCALE_ALPHA = 1.7580993408473768  # the product of the decimals above, rounded once


def selu(z):
    """selu(z) = scale z for z > 0, scale·alpha (e^z - 1) for z ≤ 0; selu'(0) = scale·alpha.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import selu
    >>> selu(jnp.array([-2.5, 0.5, 2.0]))
    Array([-1.61378576,  0.52535049,  2.10140197], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    pos = z > 0
    return jnp.where(pos, _SELU_SCALE * z, _SELU_SCALE_ALPHA * _expm1_neg(_masked(~pos, z)))


def gelu(z):
    """gelu(z) = (z/2) erfc(-z/√2), with jax.scipy.special.erfc.

    The erfc argument is clipped to ±40/√2 (erfc is 0 or 2 beyond), so that z² in its
    derivatives stays finite and jax.grad(jax.grad(gelu)) gives 0, not NaN, at |z| ~ 1e308.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import gelu
    >>> gelu(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.01552416,  0.34573123,  1.95449974], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    zc = jnp.where(z > 40.0, 40.0, jnp.where(z < -40.0, -40.0, z))
    return 0.5 * z * jax.scipy.special.erfc(-zc * 0.7071067811865476)


def gelu_tanh(z):
    """gelu_tanh(z) = z σ(2u), u = √(2/π)(z + 0.044715 z³) ((1 + tanh u)/2 = σ(2u)).

    u is computed from z clipped to ±30 (beyond, σ(2u) is 0 or 1 and z³ would overflow).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import gelu_tanh
    >>> gelu_tanh(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.01508427,  0.34571401,  1.95459769], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    zc = jnp.where(z > 30.0, 30.0, jnp.where(z < -30.0, -30.0, z))
    u2 = 2.0 * jnp.sqrt(2.0 / jnp.pi) * (zc + 0.044715 * zc**3)
    return z * sigmoid(u2)


def silu(z):
    """silu(z) = z σ(z).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import silu
    >>> silu(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.18964545,  0.31122967,  1.76159416], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return z * sigmoid(z)


def softplus(z):
    """softplus(z) = max(z, 0) + log1p(e^-|z|), both branches on z ≥ 0 as in ``_neg_abs``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import softplus
    >>> softplus(jnp.array([-2.5, 0.5, 2.0]))
    Array([0.07888973, 0.97407698, 2.12692801], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z >= 0, z, 0.0) + jnp.log1p(jnp.exp(_neg_abs(z)))


def log_sigmoid(z):
    """log_sigmoid(z) = min(z, 0) - log1p(e^-|z|).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import log_sigmoid
    >>> log_sigmoid(jnp.array([-2.5, 0.5, 2.0]))
    Array([-2.57888973, -0.47407698, -0.12692801], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z >= 0, 0.0, z) - jnp.log1p(jnp.exp(_neg_abs(z)))


def soft_sign(z):
    """soft_sign(z) = sign(z) (1 - 1/(1 + |z|)) for |z| > 1, z/(1 + |z|) for |z| ≤ 1.

    Autodiff of z/(1 + z) is 1/(1+z) - z/(1+z)², which cancels as z grows; the gradient of
    1 - 1/(1 + z) is 1/(1+z)² itself.  Near 0 that form would cancel in the value, so the
    quotient is kept there.  soft_sign''(0) = -2 (the z ≥ 0 branch).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import soft_sign
    >>> soft_sign(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.71428571,  0.33333333,  0.66666667], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    pos = z >= 0
    big = jnp.abs(z) > 1.0
    x = jnp.where(pos, z, -z)  # |z| as a branch: jnp.abs has gradient 0 at 0
    xs = _masked(~big, x)
    mag = jnp.where(big, 1.0 - 1.0 / (1.0 + x), xs / (1.0 + xs))
    return jnp.where(pos, mag, -mag)


def hard_tanh(z):
    """hard_tanh(z) = -1 for z ≤ -1, z between, 1 for z ≥ 1; autodiff gives 0 at ±1.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import hard_tanh
    >>> hard_tanh(jnp.array([-2.5, 0.5, 2.0]))
    Array([-1. ,  0.5,  1. ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z >= 1, 1.0, jnp.where(z <= -1, -1.0, z))


def hard_sigmoid(z):
    """hard_sigmoid(z) = 0 for z ≤ -3, (z + 3)/6 between, 1 for z ≥ 3; 0 at the kinks.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import hard_sigmoid
    >>> hard_sigmoid(jnp.array([-2.5, 0.5, 2.0]))
    Array([0.08333333, 0.58333333, 0.83333333], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z >= 3, 1.0, jnp.where(z > -3, (z + 3.0) / 6.0, 0.0))


def hard_silu(z):
    """hard_silu(z) = 0 for z ≤ -3, z(z + 3)/6 between, z for z ≥ 3 (0 at -3, 1 at 3).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import hard_silu
    >>> hard_silu(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.20833333,  0.29166667,  1.66666667], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    mid = (z > -3) & (z < 3)
    zm = _masked(mid, z)
    return jnp.where(z >= 3, z, jnp.where(mid, zm * (zm + 3.0) / 6.0, 0.0))


def mish(z):
    """mish(z) = z tanh(softplus(z)), with tanh(log(1 + w)) = w(w + 2)/(w(w + 2) + 2), w = e^z,
    written in e = e^-|z| ≤ 1 on each side as refnet's NumPy form is:
    (1 + 2e)/(1 + 2e(1 + e)) for z ≥ 0 and e(e + 2)/(e(e + 2) + 2) for z < 0.

    Not ``z * jnp.tanh(softplus(z))``: jax.grad of tanh is 1 - tanh², which cancels to nothing
    once tanh rounds near 1, and z times that lost ulp put jax.grad of mish 134 eps (200 ulps)
    off at z ≈ 19.9.  Here every derivative is of a rational function of e, whose cancellations
    are of size e, so the absolute error stays at a few eps.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import mish
    >>> mish(jnp.array([-2.5, 0.5, 2.0]))
    Array([-0.1968162 ,  0.37524521,  1.94395896], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    e = jnp.exp(_neg_abs(z))
    t = jnp.where(z >= 0, (1.0 + 2.0 * e) / (1.0 + 2.0 * e * (1.0 + e)),
                  e * (e + 2.0) / (e * (e + 2.0) + 2.0))
    return z * t


def squareplus(z, *, b=4.0):
    """squareplus(z) = (z + r)/2 for z ≥ 0 and b/(2(r - z)) for z < 0, r = √(z² + b)
    (the second form does not cancel, nor does its gradient).

    r is written √(z² + b) for |z| < 1 and |z|·√(1 + b/z²) beyond (no overflow of z²), not
    ``jnp.hypot``: jax's second derivative of hypot is 0 (``jax.grad(jax.grad(lambda z:
    jnp.hypot(z, 2.)))(2.)`` gives 0.0 where c²/r³ = 0.177 is right).

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import squareplus
    >>> squareplus(jnp.array([-2.5, 0.5, 2.0]))
    Array([0.35078106, 1.28077641, 2.41421356], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    small = jnp.abs(z) < 1.0
    zs = jnp.where(small, z, 0.0)
    zb = jnp.where(small, 1.0, z)
    r_small = jnp.sqrt(zs * zs + b)
    r_big = jnp.where(zb >= 0, zb, -zb) * jnp.sqrt(1.0 + b / (zb * zb))
    r = jnp.where(small, r_small, r_big)
    pos = z >= 0
    return jnp.where(pos, 0.5 * (z + r), 0.5 * b / jnp.where(pos, 1.0, r - z))


def sparse_plus(z):
    """sparse_plus(z) = 0 for z ≤ -1, (z + 1)²/4 between, z for z ≥ 1.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import sparse_plus
    >>> sparse_plus(jnp.array([-2.5, 0.5, 2.0]))
    Array([0.    , 0.5625, 2.    ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    mid = (z > -1) & (z < 1)
    zm = _masked(mid, z)
    return jnp.where(z >= 1, z, jnp.where(mid, 0.25 * (zm + 1.0) ** 2, 0.0))


def sparse_sigmoid(z):
    """sparse_sigmoid(z) = 0 for z ≤ -1, (z + 1)/2 between, 1 for z ≥ 1; 0 at the kinks.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import sparse_sigmoid
    >>> sparse_sigmoid(jnp.array([-2.5, 0.5, 2.0]))
    Array([0.  , 0.75, 1.  ], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z >= 1, 1.0, jnp.where(z > -1, 0.5 * (z + 1.0), 0.0))


def identity(z):
    """identity(z) = z.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import identity
    >>> identity(jnp.array([-2.5, 0.5, 2.0]))
    Array([-2.5,  0.5,  2. ], dtype=float64)
    """
    return jnp.asarray(z, dtype=jnp.float64)


def softmax(z, axis=0):
    """softmax(z) = e^(z - max z) / Σ e^(z - max z) along ``axis``.

    The max is held constant under autodiff (``stop_gradient``): softmax does not depend on it.

    Parameters
    ----------
    z : array_like
        Logits.
    axis : int, default 0
        The axis normalised over.

    Returns
    -------
    jax.Array
        float64, the shape of ``z``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import softmax
    >>> softmax(jnp.array([1.0, 0.0]))
    Array([0.73105858, 0.26894142], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    e = jnp.exp(z - jax.lax.stop_gradient(jnp.max(z, axis=axis, keepdims=True)))
    return e / jnp.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=0):
    """log softmax(z) = (z - max z) - log Σ e^(z - max z) along ``axis``.

    Parameters
    ----------
    z : array_like
        Logits.
    axis : int, default 0
        The axis normalised over.

    Returns
    -------
    jax.Array
        float64, the shape of ``z``.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.activations import log_softmax
    >>> log_softmax(jnp.array([1000.0, 0.0]))
    Array([    0., -1000.], dtype=float64)
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    d = z - jax.lax.stop_gradient(jnp.max(z, axis=axis, keepdims=True))
    return d - jnp.log(jnp.sum(jnp.exp(d), axis=axis, keepdims=True))


# The registry: the NumPy registry's names (refnet.activations), each taking the forward of the
# same function name written above (an alias, swish for silu, shares its function there and
# here).  A name whose forward is not written here is left out, and
# tests/test_registry.py::test_the_three_sides_register_the_same_activations names it.
ACTIVATIONS = Registry({
    name: globals()[a.forward.__name__] for name, a in _reference.ACTIVATIONS.items()
    if a.forward.__name__ in globals()}, "activation")
"""Every twin forward by the registry's name: the JAX side of
:data:`refnet.activations.ACTIVATIONS`, a read-only mapping of str to function.

Examples
--------
>>> import jax
>>> from refnet.twin.activations import ACTIVATIONS
>>> float(jax.grad(ACTIVATIONS["sigmoid"])(0.0))
0.25
"""

# every registry forward is public: registering an activation exports it
__all__.extend(dict.fromkeys(fn.__name__ for fn in ACTIVATIONS.values()))


def _document(name: str, fn) -> None:
    """Add what every forward takes, returns and raises to ``fn``'s docstring, ahead of its
    Examples (the formula and the example stay in the source)."""
    if fn.__doc__ is None or "\n    Parameters\n" in fn.__doc__:
        return
    params = "".join(f"{k} : float, default {v!r}\n    The parameter of "
                     f"``refnet.activations.{fn.__name__}``.\n"
                     for k, v in _reference.ACTIVATIONS[name].params.items())
    text = ("Parameters\n----------\nz : array_like\n    The pre-activations, any shape, "
            f"converted to a float64 jax array (traced under jax.grad and jax.jit).\n{params}\n"
            "Returns\n-------\njax.Array\n    f(z), float64, the shape of ``z``.\n\n")
    text = "".join(f"    {line}\n" if line else "\n" for line in text.splitlines())
    head, sep, tail = fn.__doc__.partition("\n    Examples\n")
    fn.__doc__ = f"{head.rstrip()}\n\n{text}" + (f"    Examples\n{tail}" if sep else "    ")


for _name, _fn in ACTIVATIONS.items():
    _document(_name, _fn)
