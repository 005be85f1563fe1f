"""Autodiff of the JAX twin: ``jax.grad`` of a hand-written twin activation, vectorised with
``jax.vmap`` and compiled once per function and bucket length (inputs are ravelled and padded to
one of a few lengths, so one compile serves every shape)."""

from __future__ import annotations

import functools

import numpy as np

__all__ = ["bucket_length", "twin_derivative"]

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
