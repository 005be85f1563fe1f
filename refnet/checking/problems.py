"""The function under check seen as coordinates -> outputs: f at shifted points.

A :class:`Problem` evaluates f with one coordinate moved at a time (real or complex), or along a
direction; user code is called through :func:`call`, which turns anything it raises into
:class:`~refnet.checking.errors.Abort` with a message.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

from refnet.checking.errors import Abort
from refnet.checking.flatten import not_numbers
from refnet.oracles.differences import Stencil

__all__ = ["Problem", "bind_params", "call", "call_batched", "diagonal_at", "diagonal_problem",
           "line_points", "real_out", "scalar_problem",
           "vectorized_problem", "vector_problem", "elementwise_problem"]


class Problem:
    """The function under check seen as coordinates -> outputs.

    ``shift(idx, t)`` returns f at x + t_k e_{idx_k} for each k, as a (len(idx), p) array of the
    p outputs that depend on coordinate idx_k (p = 1 for a scalar f and for an elementwise f);
    ``cshift(idx, h)`` the same at x + i h e_{idx_k}, complex.
    """

    def __init__(self, n, p, shift, cshift, f0, elementwise=False, line=None, cline=None):
        self.n, self.p, self.shift, self.cshift, self.f0 = n, p, shift, cshift, f0
        self.elementwise = elementwise
        # the unit roundoff of f's own arithmetic (float32 code rounds at 2**-23); set by the
        # check from the dtype f returns
        self.eps = float(np.finfo(np.float64).eps)
        # line(t, d): f at x + t d (all coordinates at once), shape (p,) or (n,) if elementwise;
        # lines(ts, d), where set: f at every x + t d of ts in one go, shape (len(ts), p)
        self.line, self.cline = line, cline
        self.lines = None
        self._stencil = None

    def stencil(self, v) -> Stencil:
        """The stencil of f around the flat point ``v``
        (:class:`~refnet.oracles.differences.Stencil`): made once, so every stage of the
        check shares its evaluations."""
        if self._stencil is None:
            f0 = self.f0[:, None] if self.elementwise else \
                np.broadcast_to(self.f0.reshape(1, -1), (self.n, self.p))
            self._stencil = Stencil(self.shift, v, f0)
        return self._stencil


@contextmanager
def guarded(what="f"):
    """Calls of user code inside the block: floating-point warnings silenced, anything raised
    turned into :class:`Abort` with a message (entered once around a loop of calls, so that
    the loop pays for it once)."""
    try:
        with np.errstate(all="ignore"):
            yield
    except Abort:
        raise
    except Exception as exc:  # a user's f may raise anything: the report says what
        raise Abort(f"{what} raised {type(exc).__name__}: {exc}") from None


@contextmanager
def calls_shown(f, show: bool, check: str):
    """``f``, counting its calls on a tqdm bar on stderr where ``show`` (the bar is closed, and
    cleared, when the block ends); ``f`` itself where not.  ``check`` names the bar."""
    if not show:
        yield f
        return
    import sys

    from tqdm import tqdm

    bar = tqdm(desc=f"{check}: calls of f", unit=" calls", file=sys.stderr, leave=False,
               dynamic_ncols=True, mininterval=0.25)

    def counted(*args, **kwargs):
        bar.update()
        return f(*args, **kwargs)

    try:
        yield counted
    finally:
        bar.close()


def call(f, arg, what="f"):
    with guarded(what):
        return f(arg)


def _views(lay, w):
    """A callable giving, on each call, a fresh structure of views into the buffer ``w`` (a
    new dict, or a new view of the array): what f receives, built once; f may rebind the
    structure's keys without touching the next call's."""
    parts = lay.unflatten(w)
    if isinstance(parts, dict):
        return lambda: dict(parts)
    return parts.view


def real_out(val, p, what="f"):
    """``val``, what ``what`` returned, as ``p`` float64 values (the real part of a complex
    one); Abort where it is not numbers (None, a string: never read as a number)."""
    a = np.asarray(val)
    not_numbers(val, what, a)
    if a.dtype.kind == "c":
        a = a.real
    try:
        a = a.astype(np.float64)
    except (TypeError, ValueError):
        raise Abort(f"{what} returned {type(val).__name__}, not a number") from None
    if a.size != p:
        raise Abort(f"{what} returned {a.size} values (shape {a.shape}), expected "
                     f"{'a scalar' if p == 1 else p}")
    return a.ravel()


def scalar_problem(f, lay, v, f0, vectorized=False):
    """A scalar f of the structure ``lay`` at the flat point ``v``.  With ``vectorized``, f takes
    the structure with a leading batch axis and returns one value per point: every stencil is
    one call per chunk of points (:func:`vectorized_problem`)."""
    if vectorized:
        return vectorized_problem(f, lay, v, f0)
    vl = v.tolist()

    def shift(idx, t):
        # the Python loop is the cost of a check where f is cheap: indices and steps as Python
        # numbers (the same float64 sums), f's argument built once as views of one buffer,
        # the guard entered once, and a float64 result taken as it is
        out = np.empty(len(idx))
        w = v.copy()
        arg = _views(lay, w)
        with guarded():
            for k, (i, ti) in enumerate(zip(np.asarray(idx).tolist(),
                                            np.asarray(t, dtype=np.float64).tolist())):
                w[i] = vl[i] + ti
                val = f(arg())
                out[k] = val if type(val) in _REAL else real_out(val, 1)[0]
                w[i] = vl[i]
        return out[:, None]

    def cshift(idx, h):
        out = np.empty((len(idx), 1), dtype=complex)
        w = v.astype(complex)
        arg = _views(lay, w)
        for k, i in enumerate(np.asarray(idx).tolist()):
            w[i] = vl[i] + 1j * h
            out[k, 0] = complex(np.asarray(f(arg())).ravel()[0])
            w[i] = vl[i]
        return out

    def line(t, d):
        return real_out(call(f, lay.unflatten(v + t * d)), 1)

    def cline(h, d):
        return np.asarray(f(lay.unflatten(v + 1j * h * d)), dtype=complex).ravel()

    return Problem(lay.n, 1, shift, cshift, np.array([f0]), line=line, cline=cline)


# results taken as they are (anything else goes through real_out)
_REAL = (float, np.float64)

# points per call of a vectorized f: chunks of at most 2**22 numbers (32 MB of float64)
_BATCH_NUMBERS = 2**22


def call_batched(f, lay, W, what="f"):
    """f at the points ``W`` ``(k, n)`` in calls of at most _BATCH_NUMBERS numbers: the ``(k,)``
    values (complex where W is); Abort where f does not return one value per point."""
    k, n = W.shape
    chunk = max(1, _BATCH_NUMBERS // max(n, 1))
    out = np.empty(k, dtype=W.dtype)
    for s in range(0, k, chunk):
        part = W[s:s + chunk]
        val = np.asarray(call(f, lay.unflatten(part), what))
        if val.size != part.shape[0]:
            raise Abort(f"vectorized=True: {what} returned {val.size} values (shape {val.shape}) "
                        f"for a batch of {part.shape[0]} points; expected one per point")
        out[s:s + chunk] = val.ravel() if np.iscomplexobj(W) else np.real(val).ravel()
    return out


def vectorized_problem(f, lay, v, f0):
    """:func:`scalar_problem` for an f that takes a leading batch axis: the points of a stencil
    (one coordinate moved each) go to f together."""

    chunk = max(1, _BATCH_NUMBERS // max(v.size, 1))

    def moved(idx, t, dtype):
        """f at each point, one coordinate moved: the points made a chunk at a time (a stencil
        of a large x would not fit as one array)."""
        idx = np.asarray(idx)
        t = np.broadcast_to(np.asarray(t, dtype=dtype), idx.shape)
        out = np.empty(idx.size, dtype=dtype)
        for s in range(0, idx.size, chunk):
            part = idx[s:s + chunk]
            W = np.repeat(v.astype(dtype)[None, :], part.size, axis=0)
            W[np.arange(part.size), part] += t[s:s + chunk]
            out[s:s + chunk] = call_batched(f, lay, W)
        return out

    def shift(idx, t):
        with np.errstate(all="ignore"):
            return moved(idx, np.asarray(t, dtype=np.float64), np.float64)[:, None]

    def cshift(idx, h):
        return moved(idx, 1j * np.asarray(h), complex)[:, None]

    def line(t, d):
        return call_batched(f, lay, (v + t * d)[None, :]).real

    def cline(h, d):
        return call_batched(f, lay, (v + 1j * h * d)[None, :])

    prob = Problem(lay.n, 1, shift, cshift, np.array([f0]), line=line, cline=cline)
    prob.lines = lambda ts, d: line_points(lambda W: call_batched(f, lay, W).real[:, None],
                                           v, ts, d)
    return prob


def line_points(F_batch, v, ts, d):
    """``F_batch`` at the points v + t d of ``ts``, in calls of at most _BATCH_NUMBERS numbers
    (a line of a large v would not fit as one array); the rows stacked."""
    ts = np.asarray(ts, dtype=np.float64)
    chunk = max(1, _BATCH_NUMBERS // max(v.size, 1))
    with guarded(), np.errstate(all="ignore"):
        return np.concatenate([F_batch(v[None, :] + ts[s:s + chunk, None] * d)
                               for s in range(0, ts.size, chunk)])


def vector_problem(f, lay, v, f0):
    p = f0.size

    def shift(idx, t):
        out = np.empty((len(idx), p))
        w = v.copy()
        for k, (i, ti) in enumerate(zip(idx, t)):
            w[i] = v[i] + ti
            out[k] = real_out(call(f, lay.unflatten(w)), p)
            w[i] = v[i]
        return out

    def cshift(idx, h):
        out = np.empty((len(idx), p), dtype=complex)
        w = v.astype(complex)
        for k, i in enumerate(idx):
            w[i] = v[i] + 1j * h
            out[k] = np.asarray(f(lay.unflatten(w)), dtype=complex).ravel()
            w[i] = v[i]
        return out

    def line(t, d):
        return real_out(call(f, lay.unflatten(v + t * d)), p)

    def cline(h, d):
        return np.asarray(f(lay.unflatten(v + 1j * h * d)), dtype=complex).ravel()

    return Problem(lay.n, p, shift, cshift, f0, line=line, cline=cline)


def elementwise_problem(f, z, f0):

    def shift(idx, t):
        zz = z.ravel()[idx] + np.asarray(t, dtype=np.float64)
        return real_out(call(f, zz), len(idx))[:, None]

    def cshift(idx, h):
        return np.asarray(f(z.ravel()[idx] + 1j * h), dtype=complex).ravel()[:, None]

    def line(t, d):
        return real_out(call(f, z.ravel() + t * d), z.size)

    def cline(h, d):
        return np.asarray(f(z.ravel() + 1j * h * d), dtype=complex).ravel()

    return Problem(z.size, 1, shift, cshift, f0.ravel(), elementwise=True, line=line,
                    cline=cline)


def bind_params(fn, params):
    """``fn`` with the registry's ``params`` bound, where it accepts them (by name or **kw)."""
    if not params:
        return fn
    import inspect

    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return fn
    takes = {k for k, p in sig.parameters.items()
             if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    if any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
        takes = set(params)
    given = {k: v for k, v in params.items() if k in takes}
    return (lambda a: fn(a, **given)) if given else fn


def diagonal_at(F, v, base, steps=(2.0**-8, 2.0**-3), F_batch=None) -> str | None:
    """Why the Jacobian of the flat map ``F`` (n -> n) at ``v`` is taken as diagonal, or None.

    Each output must depend on its own coordinate only.  For every bit b of the coordinates'
    indices, the coordinates whose bit b is set are moved together (then the others), by each
    of ``steps`` times 1 + |v_j|, and every output of a coordinate left in place must come back
    bitwise equal to ``base`` = F(v): any two coordinates differ in some bit, so each pair is
    tested both ways, in 4 ceil(log2 n) calls of F.  A coupling too weak to move an output by
    an ulp at either step, or one that only sets in farther away, is not seen; a function that
    is not deterministic is never taken as diagonal.  ``F_batch`` (points ``(k, n)`` ->
    ``(k, n)``), where given, takes the points in batches."""
    n = v.size
    if n < 2:
        return None
    index = np.arange(n)
    scale = 1.0 + np.abs(v)
    masks = [m for b in range(int(np.ceil(np.log2(n))))
             for bit in [(index >> b) & 1 == 1] for m in (bit, ~bit) for _ in steps]
    moves = [step for _ in range(len(masks) // len(steps)) for step in steps]
    chunk = len(masks) if F_batch is None else max(1, _BATCH_NUMBERS // n)
    for s in range(0, len(masks), chunk):
        part = range(s, min(s + chunk, len(masks)))
        W = [v + np.where(masks[i], moves[i] * scale, 0.0) for i in part]
        Y = F_batch(np.stack(W)) if F_batch is not None else [F(w) for w in W]
        for i, y in zip(part, Y):
            if y.shape != base.shape or not np.array_equal(y[~masks[i]], base[~masks[i]]):
                return None
    return (f"the Jacobian at x is diagonal (each output of f came back bitwise unchanged "
            f"when other coordinates moved, at {len(masks)} points covering every pair of "
            f"coordinates): each coordinate judged elementwise, many moved in one call of f")


def diagonal_problem(F, v, base, u, F_batch=None):
    """x ↦ u ⊙ F(x) as an elementwise problem, for a flat map ``F`` whose Jacobian at ``v`` is
    diagonal (:func:`diagonal_at`): coordinate j's output is u_j F_j, whose derivative is the
    j-th element of uᵀJ.  Moving many coordinates in one call of F is then exact: a call
    serves every coordinate of a stencil that appears in it once (a coordinate asked for at
    several steps takes as many calls).  ``F_batch`` (points ``(k, n)`` -> ``(k, n)``), where
    given, takes the noise floor's line in one call."""
    u = np.asarray(u, dtype=np.float64)

    def rounds(idx, t, dtype):
        idx = np.asarray(idx)
        t = np.broadcast_to(np.asarray(t), idx.shape)
        order = np.argsort(idx, kind="stable")
        occurrence = np.empty(idx.size, int)
        first = np.r_[0, np.flatnonzero(np.diff(idx[order])) + 1]
        starts = np.repeat(first, np.diff(np.r_[first, idx.size]))
        occurrence[order] = np.arange(idx.size) - starts
        out = np.empty(idx.size, dtype)
        for r in range(int(occurrence.max(initial=-1)) + 1):
            sel = occurrence == r
            w = v.astype(dtype)
            w[idx[sel]] = w[idx[sel]] + t[sel]
            out[sel] = u[idx[sel]] * F(w)[idx[sel]]
        return out[:, None]

    def shift(idx, t):
        with guarded():
            return rounds(idx, t, np.float64)

    def cshift(idx, h):
        return rounds(idx, 1j * np.asarray(h), np.complex128)

    def line(t, d):
        with guarded():
            return u * F(v + t * d)

    def cline(h, d):
        return u * F(v + 1j * h * d)

    prob = Problem(v.size, 1, shift, cshift, u * base, elementwise=True, line=line,
                   cline=cline)
    if F_batch is not None:
        prob.lines = lambda ts, d: u * line_points(F_batch, v, ts, d)
    return prob
