"""Checking what users write: vector-Jacobian, Jacobian-vector and Hessian-vector products.

None of these forms a Jacobian.  Each product is reduced to a check the judge already knows,
one random probe at a time, and the probes' reports are merged into one:

- ``check_vjp(f, vjp, x)``: for a random Gaussian cotangent u (never ones: the gradient of
  sum(softmax(z)) is zero whatever the Jacobian is), x ↦ u·f(x) is a scalar function whose
  gradient is uᵀJ = vjp(x, u): the check of a gradient judges it element by element.
- ``check_jvp(f, jvp, x)``: for a random Gaussian tangent t, s ↦ f(x + s t) is a vector function
  of one variable whose Jacobian at s = 0 is J t = jvp(x, t):
  the check of a Jacobian judges each output.
- ``check_hvp(f, grad, hvp, x)``: ``check_jvp`` of the gradient function (H v is the JVP of
  ``grad``), plus the gradient itself along the same random directions (grad·t against f's
  derivative along t), so a wrong ``grad`` cannot pass for the oracle of a right ``hvp``.

The detection guarantee of each probe is stated in :data:`GUARANTEE_VJP` and
:data:`GUARANTEE_JVP` and printed with every report.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from refnet import tolerances as tol
from refnet._threads import single_blas_thread
from refnet.checking import pipeline
from refnet.checking.errors import Abort
from refnet.checking.flatten import Layout, element_name, flatten, flatten_like, precision
from refnet.checking.options import choice, count, flag, point, verdict_options
from refnet.checking.problems import (
    call,
    calls_shown,
    diagonal_at,
    diagonal_problem,
    guarded,
    line_points,
)
from refnet.checking.report import Record, Report, error_report
from refnet.oracles.differences import default_step

__all__ = [
    "GUARANTEE_FAST",
    "GUARANTEE_JVP",
    "GUARANTEE_VJP",
    "ProbeReport",
    "check_hvp",
    "check_jvp",
    "check_vjp",
    "merge_reports",
]

GUARANTEE_VJP = (
    "each probe draws a Gaussian cotangent u and judges uᵀJ = vjp(x, u) element by element "
    "against the gradient of x -> u·f(x): an error E in the Jacobian the vjp implies is missed "
    "by a probe only where (uᵀE)_i = 0, which has probability 0 for a column E_i ≠ 0; it is "
    "caught where |(uᵀE)_i| exceeds the element's bound (the oracle's error bar + rtol·|value|, "
    "and at least the lossy scale)")
GUARANTEE_JVP = (
    "each probe draws a Gaussian tangent t and judges J t = jvp(x, t) output by output against "
    "the derivative of s -> f(x + s t) at s = 0: an error E in the Jacobian the jvp implies is "
    "missed by a probe only where (E t)_j = 0, which has probability 0 for a row E_j ≠ 0; it is "
    "caught where |(E t)_j| exceeds the output's bound (the oracle's error bar + rtol·|value|, "
    "and at least the lossy scale)")
GUARANTEE_FAST = (
    "fast: each probe draws a Gaussian cotangent u and a direction d (Gaussian, on the full "
    "check's step policy, shortened by a power of two where the line curves) and judges one "
    "number, uᵀJd = vjp(x, u)·d, against the derivative of s -> u·f(x + s d) at s = 0; an error "
    "e = uᵀE in the vjp shows in it as e·d, Gaussian with standard deviation |e ⊙ d/z| (|e| "
    "where no coordinate is large and d is not shortened), so an error c times the "
    "projection's bound is missed with probability at most 0.8/c per probe; the bound is the "
    "oracle's error bar + rtol·|value|, at least 1e-8 of the projection (an oracle within it "
    "accepts, as it accepts an element of the full check) and at least the lossy scale, the "
    "full check's per element (16384 eps of max|vjp|) times |d|₂: a relative error r in one "
    "element of size |vjp_i| is seen where r |vjp_i d_i| exceeds both, in float64 about "
    "r > 3e-7 in a 1,000-vector of equal elements, in float32 about r > 2e-3 √n; a projection "
    "unresolved by f's rounding alone is reported so; one that fails or runs through a kink "
    "of x (where it says nothing of each element's convention) only screens: halves of the "
    "coordinates are screened by one central difference each, down to blocks of {leaf} judged "
    "element by element as the full check judges them (about 4 log2(n) calls of f per wrong "
    "element), and these elements are the verdict once the projection over every other "
    "coordinate is verified outright; what the screens cannot clear is judged element by "
    "element; blocks with a kink or undecided are judged again together (ties split over "
    "blocks), and with every coordinate where that cannot decide (up to 4,096); where the "
    "blocks find no wrong element, decide not all, and met no kink, the projection's "
    "mismatch stands")


@dataclass(frozen=True, repr=False)
class ProbeReport(Report):
    """A :class:`~refnet.checking.report.Report` made of random probes: ``probes`` lists each
    probe's verdict and summary line, ``guarantee`` says what a probe can and cannot miss."""

    probes: tuple = ()
    guarantee: str = ""

    def to_dict(self) -> dict:
        d = super().to_dict()
        d["probes"] = [dict(p) for p in self.probes]
        d["guarantee"] = self.guarantee
        return d

    def __str__(self) -> str:
        lines = [super().__str__()]
        if self.probes:
            lines += ["", "probes:"] + [f"  {p['probe']:<12} {p['summary']}" for p in self.probes]
        if self.guarantee:
            lines += ["", f"detection guarantee: {self.guarantee}"]
        return "\n".join(lines)


def as_probe_report(r: Report, probes=(), guarantee="") -> ProbeReport:
    """The same report as a :class:`ProbeReport` carrying ``probes`` and ``guarantee``."""
    return ProbeReport(r.record, probes=tuple(dict(p) for p in probes), guarantee=guarantee)


def merge_reports(kind: str, parts, *, options=None, guarantee="", t0=None) -> ProbeReport:
    """One report from the reports of several probes: ``parts`` is a list of
    ``(label, report, rename)``, ``rename(element) -> element`` giving an element its name in
    the merged report (the probe's label in it), or a str: a suffix of the element's name.
    The records are concatenated (:meth:`~refnet.checking.report.Record.concat`): counts and
    sizes add up, the headline is the worst of the probes' (ERROR, MISMATCH, INCONCLUSIVE,
    OK), listings and the worst
    element are the worst over all probes, by status then margin."""
    errors = [f"{label}: {r.error}" for label, r, _ in parts if r.error]
    seconds = time.perf_counter() - t0 if t0 is not None else sum(r.seconds for _, r, _ in parts)
    record = Record.concat(kind, [(r.record, rename) for _, r, rename in parts],
                           options=tuple(dict(options or {}).items()), errors=errors,
                           seconds=seconds)
    probes = tuple({"probe": label, "verdict": r.verdict, "summary": r.summary()}
                   for label, r, _ in parts)
    return ProbeReport(record, probes=probes, guarantee=guarantee)


# --- outputs: an array or a dict of arrays, kept in their own precision ----------------------

def _out_layout(y) -> Layout:
    if isinstance(y, dict):
        return Layout(tuple(y), tuple(np.shape(y[k]) for k in y))
    return Layout((None,), (np.shape(y),))


def _own_dtype(y):
    """The dtype the parts of ``y`` share (float32 stays float32, complex stays complex);
    float64 for integers and anything else."""
    parts = list(y.values()) if isinstance(y, dict) else [y]
    dt = np.result_type(*[np.asarray(a).dtype for a in parts]) if parts else np.float64
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _at_x(f, v, lay: Layout):
    """``(y0, its layout, its dtype)``: f at x, which must return real floating values (Abort
    otherwise)."""
    y0 = call(f, lay.unflatten(v.copy()))
    dt = _own_dtype(y0)
    if dt.kind != "f":
        raise Abort(f"f returned dtype {dt} at x, expected real floating values")
    return y0, _out_layout(y0), dt


def _values(y, lay: Layout, what="f"):
    """f's output as one flat vector in its own dtype (complex during the complex step)."""
    if lay.keys == (None,):
        parts = [np.asarray(y)]
    else:
        if not isinstance(y, dict):
            raise Abort(f"{what} returned {type(y).__name__}, expected a dict with keys "
                        f"{list(lay.keys)}")
        parts = [np.asarray(y[k]) if k in y else None for k in lay.keys]
        if any(p is None for p in parts):
            missing = [k for k, p in zip(lay.keys, parts) if p is None]
            raise Abort(f"{what} returned a dict without keys {missing}")
    flat = np.concatenate([p.ravel() for p in parts]) if parts else np.zeros(0)
    if flat.size != lay.n:
        raise Abort(f"{what} returned {flat.size} values, expected {lay.n} (as at x)")
    return flat.astype(_own_dtype(y), copy=False) if flat.dtype.kind not in "fc" else flat


def _claimed(raw, lay: Layout, what):
    """A claimed product (the vjp's or jvp's result) flattened and checked against ``lay``, in
    its own precision (so the judge reads its unit roundoff)."""
    flat = flatten_like(lay, raw, what)
    dt = _own_dtype(raw)
    return flat.astype(dt if dt.kind == "f" else np.float64)


def check_vjp(f, vjp, x, *, cotangents: int = 3, seed: int = 0, complex_step="auto",
              rtol: float | None = None, atol: float | None = None, strict: bool = False,
              accept_inconclusive: bool = False, progress: bool = False,
              vectorized: bool = False, fast: bool = False) -> ProbeReport:
    """Check ``vjp(x, u)`` (uᵀJ, the structure of ``x``) for a vector function ``f`` at ``x``.

    ``f`` maps ``x`` (an array or a dict of arrays) to an array or a dict of arrays; ``vjp(x, u)``
    takes a cotangent ``u`` with the structure of ``f(x)``.  For each of ``cotangents`` seeded
    Gaussian u, the scalar function x ↦ u·f(x) is checked with
    :func:`refnet.check.check_gradient` against ``vjp(x, u)``; the probes' reports are merged
    (element names end in ``·u0``, ``·u1``, ...).  Where ``f`` maps one array to one array of
    its shape and its Jacobian at ``x`` is diagonal (an elementwise function: each output came
    back bitwise unchanged when the other coordinates moved,
    :func:`~refnet.checking.problems.diagonal_at`), each probe is judged elementwise instead,
    many coordinates moved in one call of ``f`` (the guarantee says so).  A float32 ``f`` is
    judged with float32 rounding (u·f(x) is returned in f's dtype).  Where ``f(x)`` has one
    element, one probe says all and only one is drawn.  Where ``f`` or ``vjp`` raises, returns
    the wrong structure or NaN, the verdict is ERROR (the report says which).

    Detection guarantee (per probe): an error E in the Jacobian is missed only where
    (uᵀE)_i = 0 (probability 0 for a nonzero column of E, u Gaussian); it is caught where
    |(uᵀE)_i| exceeds the element's bound (:data:`GUARANTEE_VJP`, printed with the report).

    Parameters
    ----------
    f : callable
        The vector function: ``f(x)`` returns a real array or a dict of real arrays.
    vjp : callable
        The product to check: ``vjp(x, u)`` returns uᵀJ with the structure of ``x`` (an array of
        its shape, or a dict with its keys).
    x : array_like or dict of array_like
        The point; at least one element, every one finite.
    cotangents : int, default 3
        How many random cotangents u to probe with (at least 1).
    seed : int, default 0
        Seed of the cotangents (and of each probe's check); at least 0.
    complex_step : {"auto", True, False}, default "auto"
        As for :func:`refnet.check.check_gradient`, applied to x ↦ u·f(x).
    rtol, atol : float or None, default None
        The verdict options, as for :func:`refnet.check.check_gradient`.
    strict : bool, default False
        Whether lossy elements fail too.
    accept_inconclusive : bool, default False
        Whether ``report.ok`` is true for INCONCLUSIVE as well as for OK.
    progress : bool, default False
        ``progress=True``: a tqdm bar on stderr counting the calls of ``f`` (every probe moves
        every coordinate).
    vectorized : bool, default False
        ``f`` takes ``x`` with a leading batch axis (each array ``(B, ...)``) and returns its
        outputs with that axis: every stencil of a probe is then one call per chunk of points
        (a framework's ``vmap`` of the function, say) instead of one call per point.  ``vjp``
        is still called at ``x`` itself.
    fast : bool, default False
        Judge one number per probe, uᵀJd = vjp(x, u)·d for a Gaussian direction d, against
        the derivative of s ↦ u·f(x + s d) (a few calls of ``f`` whatever the size of ``x``);
        where it is not verified outright (a mismatch, unresolved, through a kink), halves of
        the coordinates are screened in turn and the blocks of at most 8 they lead to judged
        element by element, so the report names the wrong elements as the full check would
        (:data:`GUARANTEE_FAST` says what a probe can miss).

    Returns
    -------
    ProbeReport
        A :class:`~refnet.checking.report.Report` with one element per coordinate of ``x`` per
        probe (with ``fast=True``: one per probe, ``uᵀJd·u0``, and the elements of the blocks
        that localised a failure), its ``probes`` (each probe's verdict and summary) and its
        ``guarantee``.

    Raises
    ------
    InvalidArgument
        For an option it cannot use (``cotangents=0``, ``seed=-1``, ``complex_step="yes"``,
        ``rtol=-1``, ...) or an ``x`` with no element or a non-finite one.
    TypeError
        Where ``x`` is not a real numeric array or a dict of them.

    See Also
    --------
    check_jvp : The Jacobian-vector product J t.
    refnet.check.check_jacobian : The whole Jacobian, element by element.

    Examples
    --------
    >>> from refnet.check import check_vjp
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    >>> f = lambda x: np.tanh(A @ x)
    >>> vjp = lambda x, u: A.T @ ((1 - np.tanh(A @ x) ** 2) * u)
    >>> report = check_vjp(f, vjp, np.array([0.1, -0.2]))
    >>> report.summary()
    'refnet check_vjp: OK - 6 elements: 6 verified'
    >>> [p["verdict"] for p in report.probes]
    ['OK', 'OK', 'OK']

    A planted bug, tanh's derivative left out of the product:

    >>> report = check_vjp(f, lambda x, u: A.T @ u, np.array([0.1, -0.2]))
    >>> report.verdict, report.counts["mismatch"]
    ('MISMATCH', 6)
    """
    t0 = time.perf_counter()
    opts = verdict_options(rtol, atol, strict, accept_inconclusive)
    vectorized, fast = flag("vectorized", vectorized), flag("fast", fast)
    with calls_shown(f, flag("progress", progress), "check_vjp") as f:
        return _check_vjp(f, vjp, x, cotangents, seed, complex_step, opts, t0, vectorized,
                          fast)


def _one(tree, add: bool):
    """A structure (array or dict of arrays) with a leading batch axis of one added, or the
    first point of a batch taken."""
    take = (lambda a: np.asarray(a)[None]) if add else (lambda a: np.asarray(a)[0])
    return {k: take(a) for k, a in tree.items()} if isinstance(tree, dict) else take(tree)


def _batch_values(y, lay: Layout, what="f") -> np.ndarray:
    """A batch of f's outputs ``(B, ...)`` per part as one ``(B, lay.n)`` array (the order of
    :func:`_values` for each point)."""
    parts = [np.asarray(y)] if lay.keys == (None,) else [np.asarray(y[k]) for k in lay.keys]
    B = parts[0].shape[0] if parts and parts[0].ndim else 0
    flat = np.concatenate([p.reshape(B, -1) for p in parts], axis=1)
    if flat.shape[1] != lay.n:
        raise Abort(f"vectorized=True: {what} returned {flat.shape[1]} values per point, "
                    f"expected {lay.n} (as at x)")
    return flat


def _check_vjp(f, vjp, x, cotangents, seed, complex_step, opts, t0, vectorized=False,
               fast=False):
    k_probes = count("cotangents", cotangents)
    seed, complex_step = count("seed", seed, at_least=0), choice("complex_step", complex_step)
    v, lay = flatten(x)
    point("x", v, lay)
    f_batch = f
    if vectorized:  # one point at a time where the check needs one (f at x, the structure)
        def f(xx):
            y = f_batch(_one(xx, True))
            parts = y.values() if isinstance(y, dict) else [y]
            if any(np.ndim(a) == 0 or np.shape(a)[0] != 1 for a in parts):
                raise Abort("vectorized=True: f returned its outputs without the batch axis "
                            "(for a batch of 1 point, each output's first axis must be 1)")
            return _one(y, False)
    try:
        y0, out, ydt = _at_x(f, v, lay)
    except Abort as exc:
        return error_report("check_vjp", lay.n, str(exc), t0, opts)
    if out.n == 1:  # a scalar f: every cotangent is a multiple of the first, one probe says all
        k_probes = 1
    F = lambda w: _values(f(lay.unflatten(w)), out)  # flat in, flat out
    F_batch = (lambda W: _batch_values(f_batch(lay.unflatten(W)), out)) if vectorized else None
    diagonal = None
    if not fast and len(lay.keys) == 1 and len(out.keys) == 1 and \
            lay.shapes[0] == out.shapes[0]:
        try:
            with guarded():
                diagonal = diagonal_at(F, v, _values(y0, out), F_batch=F_batch)
        except Abort as exc:
            return error_report("check_vjp", lay.n, str(exc), t0, opts)
    rng = np.random.default_rng(seed)
    parts, listed = [], []  # listed: fast mode's checks, (label, report, rename, counted)
    for k in range(k_probes):
        # u in f's precision, used exactly as the vjp sees it
        u_flat = rng.standard_normal(out.n).astype(ydt).astype(np.float64)
        u = out.unflatten(u_flat.astype(ydt))
        if fast:
            listed += _fast_probe(F, F_batch, vjp, v, lay, y0, out, ydt, u_flat, u, k, seed,
                                  opts, complex_step)
            continue

        def g(xx, u_flat=u_flat):
            y = _values(f(xx), out)
            val = y @ u_flat  # complex stays complex (the complex step); float32 is rounded
            return val.astype(ydt) if y.dtype.kind == "f" else val  # to f's precision

        def g_batch(xb, u_flat=u_flat):  # the same for a batch of points: (B,) values
            y = _batch_values(f_batch(xb), out)
            val = y @ u_flat
            return val.astype(ydt) if y.dtype.kind == "f" else val

        def grad(xx, u=u):  # check_gradient flattens it and reads its precision
            return call(lambda _: vjp(xx, u), None, "vjp")

        with single_blas_thread():
            if diagonal:  # every coordinate at once: a call of f per stencil point, not per
                r = _diagonal_probe(F, vjp, x, v, lay, y0, out, u_flat, u, k, seed, opts,
                                    complex_step, F_batch)
            else:
                r = pipeline.gradient(g_batch if vectorized else g, grad, x, opts=opts,
                                      complex_step=complex_step, seed=seed + k,
                                      vectorized=vectorized)

        parts.append((f"u{k}", r, f"·u{k}"))
    if fast:
        report = merge_reports("check_vjp", [(lb, r, rn) for lb, r, rn, c in listed if c],
                               options=opts, guarantee=GUARANTEE_FAST.format(leaf=_FAST_LEAF),
                               t0=t0)
        return report.replace(probes=tuple({"probe": lb, "verdict": r.verdict,
                                            "summary": r.summary()}
                                           for lb, r, _, _ in listed))
    guarantee = GUARANTEE_VJP + (f"; {diagonal}" if diagonal else "")
    return merge_reports("check_vjp", parts, options=opts, guarantee=guarantee, t0=t0)


# fast mode: a projection uᵀJd per probe, localised by halving where it fails
_PROJECTION = "uᵀJd"
_FAST_LEAF = 8  # a failing block this small is judged element by element (at most 8 + 1 calls)
_FAST_ROUNDS = 4  # screenings of what is left, while the projection over it still fails
_FAST_FULL = 4096  # blocks undecided where kinks coincide: every coordinate judged, up to this


class _Projections:
    """The checks of fast mode for one cotangent u: ``F`` (or ``F_batch``) the flat map, ``g``
    the claimed uᵀJ (flat, in the vjp's own dtype), ``d`` the probe's direction."""

    def __init__(self, F, F_batch, v, lay, out, y0, u_flat, ydt, g, opts, complex_step, seed):
        self.F, self.F_batch, self.v, self.lay, self.out = F, F_batch, v, lay, out
        self.y0 = _values(y0, out)
        self.u, self.ydt, self.g, self.opts = u_flat, ydt, g, opts
        self.complex_step, self.seed = complex_step, seed
        self.known = (None, {})  # (d, {t: u·f(x + t d)}) taken by scaled()

    def _value(self, y):
        val = y @ self.u  # complex stays complex (the complex step); float32 is rounded
        return val.astype(self.ydt) if val.dtype.kind == "f" else val

    def along(self, d, idx=None) -> Report:
        """One number judged: ``g[idx]·d[idx]`` against the derivative of s ↦ u·f(x + s d_idx)
        at 0 (d zero off ``idx``), its lossy scale from the sum of |g_i d_i|."""
        if idx is not None:
            mask = np.zeros(d.size, bool)
            mask[idx] = True
            d = np.where(mask, d, 0.0)
        g64 = self.g.astype(np.float64)
        claimed = np.asarray(g64 @ d, dtype=self.g.dtype)
        vec = self.F_batch is not None

        known = self.known[1] if idx is None and self.known[0] is d else {}

        def phi(xx):
            s = np.asarray(xx[_PROJECTION])
            if not vec and s.dtype.kind == "f":
                if s == 0:  # f at x, already known
                    return self._value(self.y0)
                if float(s) in known:  # the step's two points, taken by scaled()
                    return known[float(s)]
            if vec:
                return self._value(self.F_batch(self.v[None, :] + s[:, None] * d))
            return self._value(self.F(self.v + s * d))

        # differences first: one central difference within CHECK_FAST_RTOL usually decides
        # the projection, where the complex step's safety probe alone costs 9 calls of f
        cs = False if self.complex_step == "auto" else self.complex_step
        return pipeline.gradient(phi, lambda _: {_PROJECTION: claimed},
                                 {_PROJECTION: np.zeros(())}, opts=self.opts,
                                 complex_step=cs, seed=self.seed,
                                 vectorized=vec, scale=self.scale(d))

    def scale(self, d) -> float:
        """The projection's scale: max|g| |d|₂, each element's scale in the full check (the
        largest |g_i|) combined as independent errors along d, so the lossy scale of the
        projection is the full check's per element, summed as rounding errors sum."""
        return float(np.max(np.abs(self.g), initial=0.0) * np.linalg.norm(d))

    def block(self, idx) -> Report:
        """The full check of the coordinates ``idx``: x_idx ↦ u·f(x) against g[idx]."""
        v, vec = self.v, self.F_batch is not None

        def h(w):
            w = np.asarray(w)
            if vec:
                W = np.repeat(v.astype(w.dtype)[None, :], w.shape[0], axis=0)
                W[:, idx] = w
                return self._value(self.F_batch(W))
            full = v.astype(w.dtype)
            full[idx] = w
            return self._value(self.F(full))

        # the scale of the whole uᵀJ, as the full check judges each element against it
        return pipeline.gradient(h, lambda _: self.g[idx], v[idx].copy(), opts=self.opts,
                                 complex_step=self.complex_step, seed=self.seed,
                                 vectorized=vec, scale=float(np.max(np.abs(self.g),
                                                                    initial=0.0)))

    def _line(self, d, ts, raw=False):
        """u·f at x + t d for each t of ``ts``: float64, or (``raw``) as f's dtype rounds it."""
        if self.F_batch is not None:
            vals = list(self._value(line_points(self.F_batch, self.v, ts, d)))
        else:
            with np.errstate(all="ignore"):
                vals = [self._value(self.F(self.v + t * d)) for t in ts]
        return vals if raw else np.asarray(vals, dtype=np.float64)

    def scaled(self, d):
        """``d`` shortened by a power of two where the line through x curves within the fast
        pass's step h (CHECK_FAST_STEP): the central differences at h and 2h (4 calls of f)
        differ by about 3 times the truncation error T of the one at h, which falls 4-fold per
        halving of d; d is halved until T is within 1/16 of CHECK_FAST_RTOL of the slope (at
        most 8 times, so rounding grows by at most 2^8), and not where the gap is within 4
        times the quotients' own rounding.  Moving every coordinate at once
        curves as a single coordinate does not (in a dense layer each unit sees all its
        inputs move): one difference at h may then miss 1e-8 where it would not per element."""
        h = tol.CHECK_FAST_STEP
        ts = [-2 * h, -h, h, 2 * h]
        vals = self._line(d, ts, raw=True)
        fm2, fm, fp, fp2 = np.asarray(vals, dtype=np.float64)
        d1, d2 = (fp - fm) / (2 * h), (fp2 - fm2) / (4 * h)
        trunc = abs(d2 - d1) / 3
        # the two quotients' own rounding (f's unit roundoff on the terms of u·f): a gap
        # within a few times it is noise, not curvature, and shortening d would only make
        # the rounding worse (float32 sums of many outputs)
        noise = tol.FD_EVAL_ULPS * float(np.finfo(self.ydt).eps) * \
            float(np.abs(self.u * self.y0).sum()) / h
        k = 0
        while k < 8 and trunc > 4 * noise and \
                not trunc * 4.0**-k <= tol.CHECK_FAST_RTOL / 16 * abs(d1):
            k += 1
        if k == 0:  # the projection's own central difference is at ±h on this d: known
            self.known = (d, dict(zip(ts, vals)))
            return d
        return d * 2.0**-k

    def gap(self, d, idx) -> float:
        """A screen, not a verdict: ``g[idx]·d[idx]`` minus one central difference of
        s ↦ u·f(x + s d_idx) at the fast pass's step (CHECK_FAST_STEP, d carrying the step
        policy).  Claimed and estimated projections are both linear in the block, so the gaps
        of two halves add up to their parent's (within the differences' error)."""
        dd = np.zeros_like(d)
        dd[idx] = d[idx]
        h = tol.CHECK_FAST_STEP
        fp, fm = self._line(dd, [h, -h])
        return float(self.g[idx].astype(np.float64) @ d[idx] - (fp - fm) / (2 * h))

    def localise(self, d, idx, gap) -> list:
        """``(idx, report)`` of the blocks of at most _FAST_LEAF coordinates under a failing
        projection over ``idx`` whose gap is ``gap``: each half whose own gap is at least a
        quarter of its parent's (or the larger, where neither is) is halved in turn, and the
        blocks it ends in are judged element by element (2 calls of f per half screened)."""
        if idx.size <= _FAST_LEAF:
            return [(idx, self.block(idx))]
        halves = (idx[:idx.size // 2], idx[idx.size // 2:])
        gaps = [self.gap(d, h) for h in halves]
        keep = [(h, g) for h, g in zip(halves, gaps) if not abs(g) < 0.25 * abs(gap)]
        if not keep:
            keep = [max(zip(halves, gaps), key=lambda hg: abs(hg[1]))]
        return [found for h, g in keep for found in self.localise(d, h, g)]


def _clean(r) -> bool:
    """A projection verified outright: OK, and not through a kink (no subgradient)."""
    return r.verdict == "OK" and not r.counts.get("subgradient", 0)


def _fast_probe(F, F_batch, vjp, v, lay, y0, out, ydt, u_flat, u, k, seed, opts,
                complex_step) -> list:
    """One probe of check_vjp(fast=True): ``[(label, report, rename, counted), ...]``, the
    projection and, where it failed, the blocks that localise it (their elements named as the
    full check names them); ``counted``: whether the report's elements are the check's (a
    probe listed only is not)."""
    t0 = time.perf_counter()
    try:
        raw_g = call(lambda _: vjp(lay.unflatten(v.copy()), u), None, "vjp")
        g = _claimed(raw_g, lay, "vjp")
    except Abort as exc:
        return [(f"u{k}", error_report("check_vjp", lay.n, str(exc), t0, opts), f"·u{k}",
                 True)]
    # a stream of its own (default_rng([seed, 0]) is default_rng(seed), the cotangents')
    rng = np.random.default_rng([0xFA57, seed, k])
    # the direction on the full check's step policy: each coordinate moves as its own step
    d = rng.standard_normal(lay.n) * default_step(v) / tol.FD_H0
    pr = _Projections(F, F_batch, v, lay, out, y0, u_flat, ydt, g, opts, complex_step, seed + k)
    try:  # f raising, or misbehaving, at the screens' points is an ERROR, as in the full check
        with single_blas_thread(), guarded():
            return _localised(pr, d, lay, k)
    except Abort as exc:
        return [(f"u{k}", error_report("check_vjp", lay.n, str(exc), t0, opts), f"·u{k}",
                 True)]


def _localised(pr, d, lay, k) -> list:
    """The body of :func:`_fast_probe`: the projection along ``d``, and where it is not
    verified outright, the blocks that localise it."""
    d = pr.scaled(d)
    first = pr.along(d)
    if _clean(first) or (first.verdict == "INCONCLUSIVE" and
                         not first.counts.get("subgradient", 0)):
        # verified; or unresolved by f's own rounding alone (no kink, no mismatch), which
        # smaller blocks cannot resolve either (the rounding of u·f is that of every output)
        return [(f"u{k}", first, f"·u{k}", True)]
    # a projection that fails, or runs through a kink of x (where its one-sided derivatives
    # say nothing of each element's convention), only screens: the elements of the blocks it
    # leads to are judged as the full check judges them, and they carry the verdict where
    # the projection over every other coordinate is then cleanly verified; where it is not,
    # the rest is screened again (a smaller error the larger one hid), up to _FAST_ROUNDS
    # times, and what is still left is judged element by element (fast mode can miss what
    # its bound cannot see, never blame an element the full check would clear)
    rest, found, elsewhere = np.arange(lay.n), [], None
    for _ in range(_FAST_ROUNDS):
        found += pr.localise(d, rest, pr.gap(d, rest))
        rest = np.setdiff1d(rest, np.concatenate([idx for idx, _ in found] or [[]]))
        elsewhere = pr.along(d, rest) if rest.size else None
        if elsewhere is None or _clean(elsewhere):
            break
    if elsewhere is not None and not _clean(elsewhere):
        found.append((rest, pr.block(rest)))
    # kinks that coincide at x are decided only with every coordinate that shares them
    # moving (a smooth direction through them): blocks with a kink (a subgradient) or
    # undecided are judged again as one -- ties split over blocks each pass alone as
    # subgradients -- and where that cannot decide either, every coordinate is (up to _FAST_FULL:
    # the full check's cost, which fast mode then pays)
    open_ = [i for i, (_, r) in enumerate(found) if r.verdict == "INCONCLUSIVE" or
             r.counts.get("subgradient", 0) or r.counts.get("unresolved", 0)]
    if len(open_) > 1:
        union = np.sort(np.concatenate([found[i][0] for i in open_]))
        found = [b for i, b in enumerate(found) if i not in open_] + \
            [(union, pr.block(union))]
    if found and found[-1][1].verdict == "INCONCLUSIVE" and lay.n <= _FAST_FULL and \
            found[-1][0].size < lay.n:
        every = np.arange(lay.n)
        found = [(every, pr.block(every))]
    # a projection that failed where the blocks found no wrong element but could not decide
    # some (f's rounding hides each element's derivative, as in float32 sums of many outputs)
    # and met no kink: its mismatch stands beside them
    stands = first.verdict == "MISMATCH" and any(r.verdict == "INCONCLUSIVE" for _, r in found) \
        and not any(r.counts.get("mismatch", 0) or r.counts.get("subgradient", 0)
                    for _, r in found)
    parts = [(f"u{k}", first, f"·u{k}", stands)]
    for idx, r in found:
        def rename(e, idx=idx):  # the block's [i] is the point's idx[i]
            key, index = lay.locate(int(idx[e["index"][0]]))
            return {"name": element_name(key, index), "key": key, "index": list(index)}
        named = Record.concat(r.record.kind, [(r.record, rename)],
                              options=r.record.options, seconds=r.seconds,
                              errors=[r.error] if r.error else [])
        parts.append((f"u{k} {lay.name(int(idx[0]))}..{lay.name(int(idx[-1]))}",
                      Report(named), f"·u{k}", True))
    if elsewhere is not None:
        parts.append((f"u{k} elsewhere", elsewhere, f"·u{k}", False))
    return parts


def _diagonal_probe(F, vjp, x, v, lay, y0, out, u_flat, u, k, seed, opts, complex_step,
                    F_batch=None):
    """One probe of check_vjp where f's Jacobian at x is diagonal: uᵀJ judged elementwise
    against the differences (or complex step) of x ↦ u ⊙ f(x), its j-th element depending on
    x_j only (:func:`~refnet.checking.problems.diagonal_problem`)."""
    t0 = time.perf_counter()
    try:
        raw_g = call(lambda _: vjp(lay.unflatten(v.copy()), u), None, "vjp")
        G = flatten_like(lay, raw_g)[:, None]
        prob = diagonal_problem(F, v, _values(y0, out), u_flat, F_batch)
        prob.eps = precision(y0)  # no kink is known: the judge finds them, as for any f
        report, _ = pipeline.run("check_vjp", prob, v, G, lay=lay, opts=opts, t0=t0,
                                 eps=max(prob.eps, precision(raw_g)),
                                 complex_step=complex_step, rng=np.random.default_rng(seed + k))
    except Abort as exc:
        return error_report("check_vjp", lay.n, str(exc), t0, opts)
    return report


def check_jvp(f, jvp, x, *, tangents: int = 3, seed: int = 0, complex_step="auto",
              rtol: float | None = None, atol: float | None = None, strict: bool = False,
              accept_inconclusive: bool = False, kind: str = "check_jvp") -> ProbeReport:
    """Check ``jvp(x, t)`` (J t, the structure of ``f(x)``) for a vector function ``f`` at ``x``.

    ``f`` maps ``x`` (an array or a dict of arrays) to an array or a dict of arrays; ``jvp(x, t)``
    takes a tangent ``t`` with the structure of ``x``.  For each of ``tangents`` seeded Gaussian
    t, s ↦ f(x + s t) is a function of one variable whose derivative at s = 0 is J t:
    :func:`refnet.check.check_jacobian` judges each output of ``jvp(x, t)`` against it (the
    complex step where f is complex-safe, else differences).  Element names end in ``·t0``, ...
    Where ``x`` has one element, one probe says all and only one is drawn.  Where ``f`` or
    ``jvp`` raises, returns the wrong structure or NaN, the verdict is ERROR.

    Detection guarantee (per probe): an error E in the Jacobian is missed only where
    (E t)_j = 0 (probability 0 for a nonzero row of E, t Gaussian); it is caught where
    |(E t)_j| exceeds the output's bound (:data:`GUARANTEE_JVP`, printed with the report).

    Parameters
    ----------
    f : callable
        The vector function: ``f(x)`` returns a real array or a dict of real arrays.
    jvp : callable
        The product to check: ``jvp(x, t)`` returns J t with the structure of ``f(x)``.
    x : array_like or dict of array_like
        The point; at least one element, every one finite.
    tangents : int, default 3
        How many random tangents t to probe with (at least 1).
    seed : int, default 0
        Seed of the tangents; at least 0.
    complex_step : {"auto", True, False}, default "auto"
        As for :func:`refnet.check.check_jacobian`, applied to s ↦ f(x + s t).
    rtol, atol : float or None, default None
        The verdict options, as for :func:`refnet.check.check_gradient`.
    strict : bool, default False
        Whether lossy elements fail too.
    accept_inconclusive : bool, default False
        Whether ``report.ok`` is true for INCONCLUSIVE as well as for OK.
    kind : str, default "check_jvp"
        The name the report gives the check (:func:`check_hvp` passes ``"check_hvp"``).

    Returns
    -------
    ProbeReport
        A :class:`~refnet.checking.report.Report` with one element per output of ``f`` per
        probe, its ``probes`` and its ``guarantee``.

    Raises
    ------
    InvalidArgument
        For an option it cannot use (``tangents=0``, ``seed=-1``, ``complex_step="yes"``,
        ``rtol=-1``, ...) or an ``x`` with no element or a non-finite one.
    TypeError
        Where ``x`` is not a real numeric array or a dict of them.

    See Also
    --------
    check_vjp : The vector-Jacobian product uᵀJ.
    check_hvp : A Hessian-vector product, the JVP of a gradient.

    Examples
    --------
    >>> from refnet.check import check_jvp
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [0.0, -1.0]])
    >>> f = lambda x: np.tanh(A @ x)
    >>> jvp = lambda x, t: (1 - np.tanh(A @ x) ** 2) * (A @ t)
    >>> report = check_jvp(f, jvp, np.array([0.1, -0.2]))
    >>> report.summary()
    'refnet check_jvp: OK - 9 elements: 9 verified'
    >>> report.elements()[0]["name"]
    '[0]·t0'

    A planted bug, tanh's derivative left out of the product:

    >>> report = check_jvp(f, lambda x, t: A @ t, np.array([0.1, -0.2]))
    >>> report.verdict, report.ok
    ('MISMATCH', False)
    """
    t0 = time.perf_counter()
    opts = verdict_options(rtol, atol, strict, accept_inconclusive)
    k_probes = count("tangents", tangents)
    seed, complex_step = count("seed", seed, at_least=0), choice("complex_step", complex_step)
    v, lay = flatten(x)
    point("x", v, lay)
    try:
        y0, out, _ = _at_x(f, v, lay)
    except Abort as exc:
        return error_report(kind, lay.n, str(exc), t0, opts)
    if lay.n == 1:  # one input: every tangent is a multiple of the first, one probe says all
        k_probes = 1
    rng = np.random.default_rng(seed)
    parts = []
    where = out.locate_all()  # each output's key and index, found once for every probe
    for k in range(k_probes):
        t_flat = rng.standard_normal(lay.n)
        t = lay.unflatten(t_flat)

        def phi(s, t_flat=t_flat):
            return _values(f(lay.unflatten(v + s[0] * t_flat)), out)

        def jac(s, t=t):
            raw = call(lambda _: jvp(lay.unflatten(v.copy()), t), None, "jvp")
            return _claimed(raw, out, "jvp")[:, None]

        with single_blas_thread():
            r = pipeline.jacobian(phi, jac, np.zeros(1), opts=opts, complex_step=complex_step)

        def rename(e, k=k):
            j = int(e["index"][0]) if e["index"] else 0
            key, index = where[j]
            e.update(key=key, index=list(index), name=f"{element_name(key, index)}·t{k}")
            return e
        parts.append((f"t{k}", r, rename))
    return merge_reports(kind, parts, options=opts, guarantee=GUARANTEE_JVP, t0=t0)


def check_hvp(f, grad, hvp, x, *, vectors: int = 3, seed: int = 0, complex_step="auto",
              rtol: float | None = None, atol: float | None = None, strict: bool = False,
              accept_inconclusive: bool = False) -> ProbeReport:
    """Check a Hessian-vector product ``hvp(x, v)`` (the structure of ``x``) of the scalar ``f``.

    H v is the JVP of the gradient: for each of ``vectors`` seeded Gaussian v, ``hvp(x, v)`` is
    judged against the derivative of s ↦ grad(x + s v) (:func:`check_jvp` on ``grad``: the
    complex step of ``grad`` where it is complex-safe, else differences).  ``grad`` is itself
    checked along the same directions (grad(x)·v against the derivative of s ↦ f(x + s v)),
    so a wrong gradient is reported rather than trusted as the oracle.  ``x`` may be a dict of
    arrays.  Detection guarantee: that of :func:`check_jvp`, per probe.  Element names end in
    ``·t0:hvp``, ... for the product and ``·t0:grad``, ... for the gradient.

    Parameters
    ----------
    f : callable
        The scalar function: ``f(x)`` returns a number.
    grad : callable
        Its gradient: ``grad(x)`` returns the structure of ``x``; the oracle of the product,
        checked too.
    hvp : callable
        The product to check: ``hvp(x, v)`` returns H v with the structure of ``x``.
    x : array_like or dict of array_like
        The point; at least one element, every one finite.
    vectors : int, default 3
        How many random vectors v to probe with (at least 1).
    seed : int, default 0
        Seed of the vectors; at least 0.
    complex_step : {"auto", True, False}, default "auto"
        As for :func:`check_jvp`, applied to ``grad`` and to ``f``.
    rtol, atol : float or None, default None
        The verdict options, as for :func:`refnet.check.check_gradient`.
    strict : bool, default False
        Whether lossy elements fail too.
    accept_inconclusive : bool, default False
        Whether ``report.ok`` is true for INCONCLUSIVE as well as for OK.

    Returns
    -------
    ProbeReport
        The product's and the gradient's probes merged into one report: its ``probes`` are
        labelled ``hvp:t0``, ... and ``grad:t0``, ...

    Raises
    ------
    InvalidArgument
        For an option it cannot use (``vectors=0``, ``seed=-1``, ``complex_step="yes"``,
        ``rtol=-1``, ...) or an ``x`` with no element or a non-finite one.
    TypeError
        Where ``x`` is not a real numeric array or a dict of them.

    See Also
    --------
    check_jvp : The Jacobian-vector product this check is made of.
    refnet.check.check_gradient : The gradient, element by element.

    Examples
    --------
    >>> from refnet.check import check_hvp
    >>> f = lambda x: np.sum(x**4)
    >>> grad = lambda x: 4 * x**3
    >>> hvp = lambda x, v: 12 * x**2 * v
    >>> report = check_hvp(f, grad, hvp, np.array([1.0, -0.5, 2.0]))
    >>> report.summary()
    'refnet check_hvp: OK - 12 elements: 12 verified'
    >>> [p["probe"] for p in report.probes]
    ['hvp:t0', 'hvp:t1', 'hvp:t2', 'grad:t0', 'grad:t1', 'grad:t2']

    A planted bug in the gradient, with a product consistent with it: the product passes
    against the wrong gradient, the gradient itself does not:

    >>> bad_grad = lambda x: 3 * x**3
    >>> report = check_hvp(f, bad_grad, lambda x, v: 9 * x**2 * v, np.array([1.0, -0.5, 2.0]))
    >>> report.verdict, report.counts["verified"], report.counts["mismatch"]
    ('MISMATCH', 9, 3)
    >>> sorted({e["name"].split(":")[1] for e in report.elements("mismatch")})
    ['grad']
    """
    t0 = time.perf_counter()
    vectors = count("vectors", vectors)
    common = {"seed": seed, "complex_step": complex_step, "rtol": rtol, "atol": atol,
              "strict": strict, "accept_inconclusive": accept_inconclusive}
    lay = flatten(x)[1]

    def directional(xx, t):
        try:
            return np.float64(flatten_like(lay, grad(xx), "grad") @ flatten(t)[0])
        except Abort:
            raise
        except Exception as exc:
            raise Abort(f"grad raised {type(exc).__name__}: {exc}") from None

    h = check_jvp(grad, hvp, x, tangents=vectors, kind="check_hvp", **common)
    g = check_jvp(f, directional, x, tangents=vectors, kind="check_hvp", **common)
    r = merge_reports("check_hvp", [("hvp", h, ":hvp"), ("grad", g, ":grad")],
                      options=h.options, guarantee=GUARANTEE_JVP + "; the gradient is checked "
                      "along the same t (grad·t against f's derivative along t)", t0=t0)
    return r.replace(probes=tuple(dict(p, probe=f"{what}:{p['probe']}")
                                  for what, rep in (("hvp", h), ("grad", g))
                                  for p in rep.probes))
