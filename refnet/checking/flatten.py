"""One flattener: a parameter dict (or an array) to one flat vector and back."""

from __future__ import annotations

import numpy as np

__all__ = ["flatten", "unflatten"]


def flatten(parameters):
    """θ = the entries of W1, b1, W2, b2, … (in the dict's order), and the list of
    ``(key, shape)`` that :func:`unflatten` needs."""
    layout = [(k, np.shape(v)) for k, v in parameters.items()]
    theta = np.concatenate([np.ravel(np.asarray(v, dtype=np.float64)) for v in parameters.values()])
    return theta, layout


def unflatten(theta, layout):
    """The parameter dict of θ; a leading batch axis of θ, ``(B, P)``, gives arrays ``(B, *shape)``."""
    theta = np.asarray(theta)
    batch = theta.shape[:-1]
    out, i = {}, 0
    for key, shape in layout:
        n = int(np.prod(shape))
        out[key] = theta[..., i:i + n].reshape(batch + tuple(shape))
        i += n
    if i != theta.shape[-1]:
        raise ValueError(f"theta: has {theta.shape[-1]} entries, the layout needs {i}")
    return out
