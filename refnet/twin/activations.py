"""The JAX twin of :mod:`refnet.activations`: each forward written by hand in ``jax.numpy``.

Derivatives on this side come from ``jax.grad`` alone.  Kinked functions branch with
``jnp.where`` on ``z > 0`` (autodiff of ``jnp.maximum`` splits a tie and gives 1/2 at the kink),
and ``-|z|`` is written as a branch too (autodiff of ``abs`` gives 0 at z = 0, which would make
σ'(0) come out 0).
"""

from __future__ import annotations

from types import MappingProxyType

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

__all__ = ["ACTIVATIONS", "sigmoid", "tanh", "relu", "leaky_relu", "softmax", "log_softmax"]

# Past |z| = 800, e^-2|z| is 0 in float64; the clip keeps 2|z| finite for |z| ~ 1e308.
_CLIP = 800.0


def _neg_abs(z):
    """-|z| as a branch (z >= 0 takes -z), clipped at -800."""
    u = jnp.where(z >= 0, -z, z)
    return jnp.where(u < -_CLIP, -_CLIP, u)


def _sign(z):
    """+1 where z >= 0, -1 elsewhere."""
    return jnp.where(z >= 0, 1.0, -1.0)


def sigmoid(z):
    """σ(z) = 1/(1+e) for z ≥ 0 and e/(1+e) for z < 0, with e = e^-|z|."""
    z = jnp.asarray(z, dtype=jnp.float64)
    e = jnp.exp(_neg_abs(z))
    return jnp.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def tanh(z):
    """tanh(z) = sign(z) (1 - e)/(1 + e), with e = e^-2|z|.

    For |z| < 1/4, 1 - e is written -expm1(-2|z|) (no cancellation).  Only there: jax
    differentiates expm1(x) as expm1(x) + 1, which has lost every digit once expm1(x) is near -1
    (x < -37), so the expm1 form would make jax.grad of tanh wrong in the tails.
    """
    z = jnp.asarray(z, dtype=jnp.float64)
    u = 2.0 * _neg_abs(z)
    e = jnp.exp(u)
    one_minus_e = jnp.where(u > -0.5, -jnp.expm1(u), 1.0 - e)
    return _sign(z) * one_minus_e / (1.0 + e)


def relu(z):
    """relu(z) = z for z > 0, else 0; the branch makes relu'(0) = 0 under autodiff."""
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z > 0, z, 0.0)


def leaky_relu(z, *, alpha=0.01):
    """leaky_relu(z) = z for z > 0, alpha z otherwise; autodiff gives alpha at z = 0."""
    z = jnp.asarray(z, dtype=jnp.float64)
    return jnp.where(z > 0, z, alpha * z)


def softmax(z, axis=0):
    """softmax(z) = e^(z - max z) / Σ e^(z - max z) along ``axis``."""
    z = jnp.asarray(z, dtype=jnp.float64)
    e = jnp.exp(z - jax.lax.stop_gradient(jnp.max(z, axis=axis, keepdims=True)))
    return e / jnp.sum(e, axis=axis, keepdims=True)


def log_softmax(z, axis=0):
    """log softmax(z) = (z - max z) - log Σ e^(z - max z) along ``axis``."""
    z = jnp.asarray(z, dtype=jnp.float64)
    d = z - jax.lax.stop_gradient(jnp.max(z, axis=axis, keepdims=True))
    return d - jnp.log(jnp.sum(jnp.exp(d), axis=axis, keepdims=True))


ACTIVATIONS = MappingProxyType(
    {
        "sigmoid": sigmoid,
        "tanh": tanh,
        "relu": relu,
        "leaky_relu": leaky_relu,
    }
)
