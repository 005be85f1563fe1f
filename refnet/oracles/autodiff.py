"""Autodiff of the JAX twin: ``jax.grad`` of a hand-written twin activation, vectorised with
``jax.vmap`` and compiled once per order and bucket length for every activation (the activation
is a run-time index into ``jax.lax.switch``; inputs are ravelled and padded to one of a few
lengths, so one compile serves every shape)."""

from __future__ import annotations

import functools
import inspect
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
def _keywords(fn) -> dict:
    """The keyword parameters of a twin activation with their defaults: ``{"alpha": 0.01}``
    (read once per function: ``inspect.signature`` would otherwise be most of a call)."""
    return {k: p.default for k, p in inspect.signature(fn).parameters.items()
            if p.kind is p.KEYWORD_ONLY}


@functools.cache
def _every_default() -> dict:
    """Every twin activation's keywords at their defaults, in one dict."""
    from refnet.twin import activations as twin

    out = {}
    for f in twin.ACTIVATIONS.values():
        out.update(_keywords(f))
    return out


@functools.cache
def _compiled_twin_derivative(order: int):
    """``jit(vmap(grad^order))`` of every twin activation, the one to run chosen by its index
    in ``twin.ACTIVATIONS`` (``jax.lax.switch``): one compile serves every activation.  The
    parameters arrive as one dict of every activation's keywords; each branch takes its own."""
    import jax

    from refnet.twin import activations as twin

    def branch(f):
        own = tuple(_keywords(f))

        def scalar(z, params):
            return f(z, **{k: params[k] for k in own})

        g = scalar
        for _ in range(order):
            g = jax.grad(g)
        return g

    branches = [branch(f) for f in twin.ACTIVATIONS.values()]

    def switched(index, z, params):
        return jax.lax.switch(index, branches, z, params)

    return jax.jit(jax.vmap(switched, in_axes=(None, 0, None)))


def _twin_params(name: str, params: dict) -> dict:
    """Every twin activation's keywords as float64, ``name``'s from ``params`` (its own
    defaults where not given) and the others' at their defaults; an unknown keyword is a
    TypeError, as calling the twin with it would be."""
    from refnet.twin import activations as twin

    own = _keywords(twin.ACTIVATIONS[name])
    unknown = set(params) - set(own)
    if unknown:
        raise TypeError(f"{name}() got unexpected keyword arguments {sorted(unknown)}")
    out = dict(_every_default())
    out.update(own)
    out.update(params)
    return {k: np.float64(v) for k, v in sorted(out.items())}


def twin_derivative(name: str, z, order: int = 1, **params) -> np.ndarray:
    """The ``order``-th derivative of the twin activation ``name`` at every element of ``z``,
    by ``jax.grad`` (nested ``order`` times), vmapped and jitted once per order and bucket
    length for every activation."""
    from refnet.twin import activations as twin

    params = _twin_params(name, params)  # an unknown name: KeyError
    index = list(twin.ACTIVATIONS).index(name)
    z = np.asarray(z, dtype=np.float64)
    flat = z.ravel()
    n = flat.size
    padded = np.zeros(bucket_length(max(n, 1)))
    padded[:n] = flat
    out = np.asarray(_compiled_twin_derivative(order)(index, padded, params))
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
