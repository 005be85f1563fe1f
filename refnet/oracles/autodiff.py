"""Autodiff of the JAX twin: ``jax.grad`` of a hand-written twin activation, vectorised with
``jax.vmap`` and compiled once per function and bucket length (inputs are ravelled and padded to
one of a few lengths, so one compile serves every shape)."""

from __future__ import annotations

import functools
import weakref

import numpy as np

__all__ = ["bucket_length", "twin_derivative", "twin_gradient", "twin_elementwise_derivative"]

# One bucket up to 4096 elements: on the CPU a compile costs 0.1-0.3 s and running a padded
# length of 4096 about 0.2 ms, so padding a short input all the way costs nothing that shows
# and every size up to 4096 shares one compile per function and order.
_BUCKETS = (4096,)


def bucket_length(n: int) -> int:
    """The padded length for ``n`` elements: 4096, or a multiple of it, so compiles are reused."""
    for b in _BUCKETS:
        if n <= b:
            return b
    return -(-n // _BUCKETS[-1]) * _BUCKETS[-1]


@functools.cache
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


_TWIN_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def twin_gradient(twin, lay, v):
    """``jax.grad`` of a user's JAX ``twin`` at the flat point ``v`` (structured by the layout
    ``lay``), flat; compiled once per twin and shape (the compiled gradient is cached by the
    twin)."""
    import jax

    import refnet.twin  # noqa: F401  (switches on float64)

    try:
        g = _TWIN_CACHE[twin]
    except (KeyError, TypeError):
        g = jax.jit(jax.grad(twin))
        try:
            _TWIN_CACHE[twin] = g
        except TypeError:
            pass
    x = lay.unflatten(v)
    out = g(x)
    if lay.keys == (None,):
        return np.asarray(out, dtype=np.float64).ravel()
    return np.concatenate([np.asarray(out[k], dtype=np.float64).ravel() for k in lay.keys])


_TWIN_EW_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def twin_elementwise_derivative(twin, flat):
    """The vmapped ``jax.grad`` of a scalar JAX ``twin`` at each element of ``flat``, padded to a
    bucket length so one compile serves many sizes."""
    import jax

    import refnet.twin  # noqa: F401

    try:
        g = _TWIN_EW_CACHE[twin]
    except (KeyError, TypeError):
        g = jax.jit(jax.vmap(jax.grad(twin)))
        try:
            _TWIN_EW_CACHE[twin] = g
        except TypeError:
            pass
    padded = np.zeros(bucket_length(max(flat.size, 1)))
    padded[: flat.size] = flat
    return np.asarray(g(padded), dtype=np.float64)[: flat.size]
