"""One flattener: an array or a dict of arrays to one flat float64 vector and back.

Every part of refnet that moves between a structure and a vector (the checks, the network's
oracles, batched verification) uses :func:`flatten` and a :class:`Layout`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from refnet import tolerances as tol
from refnet.checking.errors import Abort

__all__ = ["Layout", "flatten", "unflatten", "flatten_like", "not_numbers", "precision",
           "same_values"]


@dataclass(frozen=True)
class Layout:
    """Where each part of a structure sits in the flat vector: ``keys`` (``(None,)`` for a plain
    array) and ``shapes``, in order."""

    keys: tuple
    shapes: tuple

    # computed once per layout (a check unflattens thousands of times; a frozen dataclass's
    # cached_property writes the instance's __dict__ directly)
    @cached_property
    def sizes(self) -> tuple:
        return tuple(int(np.prod(s, dtype=np.int64)) for s in self.shapes)

    @cached_property
    def n(self) -> int:
        return int(sum(self.sizes))

    @cached_property
    def _parts(self) -> tuple:
        """(key, slice, shape) of each part of the flat vector."""
        out, start = [], 0
        for k, s, n in zip(self.keys, self.shapes, self.sizes):
            out.append((k, slice(start, start + n), tuple(s)))
            start += n
        return tuple(out)

    def __len__(self) -> int:
        return len(self.keys)

    def __iter__(self):
        """The parts, as (key, shape) pairs."""
        return iter(zip(self.keys, self.shapes))

    def unflatten(self, theta):
        """The structure of θ; leading batch axes of θ, ``(..., n)``, lead every part too."""
        theta = np.asarray(theta)
        if theta.shape[-1:] != (self.n,):
            raise ValueError(f"theta: has {theta.shape[-1:] or 'no'} entries, the layout needs "
                             f"{self.n}")
        batch = theta.shape[:-1]
        if self.keys == (None,):
            return theta.reshape(batch + self._parts[0][2])
        return {k: theta[..., sl].reshape(batch + s) for k, sl, s in self._parts}

    def locate(self, i):
        """(key, index tuple) of flat element ``i``."""
        start = 0
        for k, s, n in zip(self.keys, self.shapes, self.sizes):
            if i < start + n:
                return k, tuple(int(j) for j in np.unravel_index(i - start, s)) if s else ()
            start += n
        raise IndexError(i)

    def locate_all(self) -> list:
        """(key, index tuple) of every flat element, in order (:meth:`locate` of each)."""
        out = []
        for k, s in zip(self.keys, self.shapes):
            s = tuple(s)
            if not s:
                out.append((k, ()))
                continue
            out.extend((k, tuple(t)) for t in np.indices(s).reshape(len(s), -1).T.tolist())
        return out

    def name(self, i) -> str:
        """A readable name of flat element ``i``: ``W1[0,2]``, ``[3]``, or ``b`` for a 0-d part."""
        return element_name(*self.locate(i))


def element_name(key, index) -> str:
    """The name of an element: ``W1[0,2]`` (key and index), ``[3]`` (a plain array), ``b`` (a
    0-d part), ``[]`` (a 0-d array)."""
    key = "" if key is None else str(key)
    if not index:
        return key or "[]"
    return f"{key}[{','.join(str(j) for j in index)}]"


def flatten(x, what="x"):
    """``(θ, layout)``: the entries of an array, or of a dict of arrays in the dict's order, as
    one float64 vector.  Raises TypeError for a part that is not real and numeric."""
    keys = tuple(x) if isinstance(x, dict) else (None,)
    arrays = []
    for k in keys:
        name = what if k is None else f"{what}[{k!r}]"
        try:
            arrays.append(np.asarray(x if k is None else x[k]))
        except ValueError:  # ragged: a tuple of arrays of different shapes
            raise TypeError(f"{name}: expected an array or a dict of arrays, got a "
                            f"{type(x if k is None else x[k]).__name__} of parts of different "
                            f"shapes (name them in a dict: {{'a': a, 'b': b}})") from None
    for k, a in zip(keys, arrays):
        if a.dtype.kind not in "biuf":
            name = what if k is None else f"{what}[{k!r}]"
            raise TypeError(f"{name}: expected a real numeric array, got dtype {a.dtype}")
    layout = Layout(keys, tuple(a.shape for a in arrays))
    theta = np.concatenate([a.astype(np.float64).ravel() for a in arrays]) if arrays else \
        np.zeros(0)
    return theta, layout


def precision(obj) -> float:
    """The machine epsilon of the least precise floating-point part of ``obj`` (an array, a
    number or a dict of them): 2**-52 for float64 (and for integers), 2**-23 for float32."""
    parts = obj.values() if isinstance(obj, dict) else [obj]
    eps = float(np.finfo(np.float64).eps)
    for a in parts:
        dt = getattr(a, "dtype", None)
        if dt is not None and np.issubdtype(dt, np.floating):
            eps = max(eps, float(np.finfo(dt).eps))
        elif dt is not None and np.issubdtype(dt, np.complexfloating):
            eps = max(eps, float(np.finfo(dt).eps))
    return eps


def unflatten(theta, layout: Layout):
    """The structure of θ (see :meth:`Layout.unflatten`)."""
    return layout.unflatten(theta)


def _matching_keys(layout: Layout, g: dict, what: str) -> list:
    """The keys of ``g`` for each key of the layout: the same, or with a ``d`` before it (the
    ``dW1`` of a backward pass for ``W1``); Abort naming the keys received otherwise.

    Other entries are ignored (a backward pass may also return its ``dA1`` or ``dZ1``), except
    one named as the parameters are with another number (``W3`` or ``dW3`` beside W1, b1, W2,
    b2): a gradient for a parameter that x does not have is refused, naming it."""
    prefixed = [f"d{k}" for k in layout.keys]
    for names in (list(layout.keys), prefixed):
        if all(k in g for k in names):
            stems = {str(n).rstrip("0123456789") for n in names}
            alien = sorted(str(k) for k in g if k not in names
                           and str(k).rstrip("0123456789") in stems)
            if alien:
                raise Abort(f"{what} returned {alien}, for which x has no parameter "
                            f"(x has {list(layout.keys)})")
            return names
    # missing in the naming the dict uses (mostly dW1, … from a backward pass, or W1, …)
    names = prefixed if sum(k in g for k in prefixed) > sum(k in g for k in layout.keys) else \
        list(layout.keys)
    missing = [k for k in names if k not in g]
    extra = sorted(str(k) for k in g if k not in names)
    raise Abort(f"{what} returned a dict with keys {sorted(map(str, g))}; expected keys "
                f"{list(layout.keys)} (or {prefixed}); missing {missing}"
                + (f", unexpected {extra}" if extra else ""))


def not_numbers(val, what, a=None):
    """Abort where ``val`` (what ``what`` returned; ``a`` its array where already made) is None
    or text, which NumPy would read as NaN or as the number the text spells."""
    if val is None:
        raise Abort(f"{what} returned None (a missing return?), expected numbers")
    a = np.asarray(val) if a is None else a
    if a.dtype.kind in "USV" or (a.dtype.kind == "O" and any(
            e is None or isinstance(e, (str, bytes)) for e in a.ravel())):
        shown = repr(val) if len(repr(val)) <= 40 else repr(val)[:37] + "..."
        raise Abort(f"{what} returned {type(val).__name__} {shown}, expected numbers")


def flatten_like(layout: Layout, g, what="grad") -> np.ndarray:
    """Flatten ``g``, which must have the structure of the layout (a dict may name its parts
    ``dW1`` for ``W1``), finite and real; raise :class:`Abort` saying what is wrong otherwise."""
    if layout.keys == (None,):
        if isinstance(g, dict):
            raise Abort(f"{what} returned a dict, expected an array of shape {layout.shapes[0]}")
        parts = [(None, g)]
    else:
        if not isinstance(g, dict):
            raise Abort(f"{what} returned {type(g).__name__}, expected a dict with keys "
                        f"{list(layout.keys)}")
        parts = [(k, g[k]) for k in _matching_keys(layout, g, what)]
    out = []
    for (k, a), shape in zip(parts, layout.shapes):
        name = what if k is None else f"{what}[{k!r}]"
        not_numbers(a, name)
        try:
            a = np.asarray(a, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise Abort(f"{name} is not a real array: {exc}") from None
        if a.shape != tuple(shape):
            raise Abort(f"{name} has shape {a.shape}, expected {tuple(shape)}")
        bad = ~np.isfinite(a)
        if bad.any():
            j = tuple(int(i) for i in np.argwhere(bad)[0])
            raise Abort(f"{name} is not finite at {j}: {a[j]}")
        out.append(a.ravel())
    return np.concatenate(out) if out else np.zeros(0)


def same_values(a, b) -> bool:
    """Whether ``a`` is ``b`` computed another way (compiled or eager, batched or not): the same
    shape, every element within tolerances.SAME_FUNCTION_ULPS eps of ``b``'s dtype times
    max(|b|, 1).  ``a`` may carry leading batch axes, each row compared with ``b``."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape[a.ndim - b.ndim:] != b.shape or a.ndim < b.ndim:
        return False
    eps = float(np.finfo(b.dtype).eps) if b.dtype.kind in "fc" else 0.0
    bound = tol.SAME_FUNCTION_ULPS * eps * max(float(np.max(np.abs(b), initial=0.0)), 1.0)
    return bool(np.all(np.abs(a - b) <= bound))
