"""``check_gradient(..., sample=N)``: a large gradient checked on a random part of it.

Perturbing every coordinate costs two evaluations of f per parameter (a 784-128-10 network has
101,770).  With ``sample=N`` the judge sees one problem of N + k coordinates instead:

- N coordinates drawn without replacement (seeded), each judged as check_gradient judges it:
  a wrong element among n is caught with probability N/n per check;
- k random directions d (Gaussian, scaled to unit length: uniform on the sphere), each judged
  as a directional derivative: grad(x)·d against the derivative of s ↦ f(x + s d) at s = 0.  An
  error vector e (the claimed gradient minus the true one) changes grad·d by e·d, whose standard
  deviation is |e|/√n: it is missed only if |e·d| stays within that direction's bound, and for
  e ≠ 0 the probability that e·d = 0 is 0.  A whole layer scaled by 1.01, or one element off by
  1%, moves e·d far beyond the bound.  Unit length keeps the steps of the stencil along d on
  the scale of one coordinate's (f is assumed to vary on a scale of 1): an unscaled Gaussian d
  has length √n, and its steps moved a 101,770-parameter network by ~5 in x, across thousands
  of relu kinks, where no tableau could settle.

The sub-problem is an ordinary :class:`~refnet.checking.problems.Problem` closing over the full
vector, so the fast pass, Richardson, the kink and lossy stages and the report are the ones of
:mod:`refnet.checking.judge` and :mod:`refnet.checking.report`.
"""

from __future__ import annotations

import time

import numpy as np

from refnet import tolerances as tol
from refnet.checking.errors import Abort
from refnet.checking.flatten import flatten, flatten_like, precision
from refnet.checking.options import point
from refnet.checking.pipeline import run
from refnet.checking.problems import Problem, call, real_out, scalar_problem
from refnet.checking.products import as_probe_report
from refnet.checking.report import error_report

__all__ = ["DIRECTIONS", "check_sampled", "guarantee"]

# random directions judged besides the sampled coordinates: each alone already catches any
# nonzero error vector with probability 1; more only narrow the chance that a tiny |e·d| falls
# within the bound (√n e·d is close to a Gaussian of deviation |e|: |e·d| < 0.05 |e|/√n has
# probability 4% per direction, 2.6e-6 for 4)
DIRECTIONS = 4


class _Names:
    """Element names of the sub-problem: the sampled coordinates keep their names in x; the
    directions are ``direction[j]`` (what :func:`~refnet.checking.report.build_report` asks)."""

    def __init__(self, lay, idx, directions):
        self.lay, self.idx, self.directions = lay, idx, range(directions)

    def locate(self, i):
        if i < self.idx.size:
            return self.lay.locate(int(self.idx[i]))
        return "direction", (int(i - self.idx.size),)

    def locate_all(self) -> list:
        return [self.lay.locate(int(i)) for i in self.idx] + [("direction", (j,))
                                                              for j in self.directions]


def sub_problem(full: Problem, idx, D) -> Problem:
    """The problem over coordinates ``idx`` of ``full`` and the directions (columns of ``D``):
    coordinate k < len(idx) moves x along e_idx[k], coordinate len(idx) + j along D[:, j]."""
    N = idx.size

    def embed(dd):
        w = D @ dd[N:]
        w = w.astype(np.result_type(w, dd))
        w[idx] += dd[:N]
        return w

    def shift(rows, t):
        rows, t = np.asarray(rows), np.asarray(t, dtype=np.float64)
        out = np.empty((rows.size, 1))
        c = rows < N
        if c.any():
            out[c] = full.shift(idx[rows[c]], t[c])
        for r in np.flatnonzero(~c):
            out[r] = full.line(t[r], D[:, rows[r] - N])
        return out

    def cshift(rows, h):
        rows = np.asarray(rows)
        out = np.empty((rows.size, 1), dtype=complex)
        c = rows < N
        if c.any():
            out[c] = full.cshift(idx[rows[c]], h)
        for r in np.flatnonzero(~c):
            out[r] = full.cline(h, D[:, rows[r] - N])
        return out

    prob = Problem(N + D.shape[1], 1, shift, cshift, full.f0,
                   line=lambda t, d: full.line(t, embed(d)),
                   cline=lambda h, d: full.cline(h, embed(d)))
    prob.eps = full.eps
    return prob


def guarantee(n, N, k, bound) -> str:
    return (f"{N} of {n} coordinates judged one by one (seeded): a wrong element is caught with "
            f"probability {N}/{n} = {N / n:.3g} per check; {k} random unit directions d "
            f"(uniform on the sphere) judged as grad·d against f's derivative along d: an error "
            f"vector e is missed only if |e·d| <= {bound:.1e} (the largest directional bound) in "
            f"every direction; for e ≠ 0 the probability that e·d = 0 is 0, and e·d has "
            f"standard deviation |e|/sqrt({n})")


def check_sampled(f, grad, x, *, sample, directions=DIRECTIONS, twin=None,
                  complex_step="auto", seed=0, opts, t0=None):
    """check_gradient on ``sample`` seeded coordinates and ``directions`` random directions
    (see the module's docstring); ``opts`` are check_gradient's verdict options, every
    argument validated by :func:`refnet.check.check_gradient`."""
    t0 = time.perf_counter() if t0 is None else t0
    v, lay = flatten(x)
    point("x", v, lay)
    rng = np.random.default_rng(seed)
    N = min(int(sample), lay.n)
    idx = np.sort(rng.choice(lay.n, size=N, replace=False))
    D = rng.standard_normal((lay.n, directions))
    D /= np.maximum(np.linalg.norm(D, axis=0), tol.TINY)  # unit length: steps on x's scale
    try:
        raw_f = call(f, lay.unflatten(v.copy()))
        f0 = real_out(raw_f, 1)
        if not np.isfinite(f0).all():
            raise Abort(f"f is not finite at x: {f0[0]}")
        raw_g = call(grad, lay.unflatten(v.copy()), "grad")
        G_full = flatten_like(lay, raw_g)
        G = np.concatenate([G_full[idx], D.T @ G_full])[:, None]
        full = scalar_problem(f, lay, v, f0[0])
        full.eps = precision(raw_f)
        prob = sub_problem(full, idx, D)
        # the step policy sees the sampled coordinates' own values; the directions start at 0
        w = np.concatenate([v[idx], np.zeros(directions)])
        t = None
        if twin is not None:
            from refnet.oracles.autodiff import twin_gradient

            t_full = twin_gradient(twin, lay, v)
            t = np.concatenate([t_full[idx], D.T @ t_full])[:, None]
        r, judged = run("check_gradient", prob, w, G, lay=_Names(lay, idx, directions),
                        opts=opts, t0=t0, eps=max(prob.eps, precision(raw_g)),
                        complex_step=complex_step, rng=rng, twin=t)
    except Abort as exc:
        return as_probe_report(error_report("check_gradient", N + directions, str(exc), t0, opts))
    rtol = tol.CHECK_RTOL if opts.get("rtol") is None else opts["rtol"]
    e, b = judged.est[N:, 0], judged.err[N:, 0]
    with np.errstate(invalid="ignore"):
        bounds = np.maximum(b + rtol * np.abs(e) + tol.CHECK_ATOL, judged.lossy_scale)
    bound = float(np.max(np.where(np.isfinite(bounds), bounds, np.inf), initial=0.0))
    r = r.replace(options=dict(r.options, sample=N, directions=directions, seed=seed,
                               size=lay.n))
    probes = [{"probe": "coordinates", "verdict": "", "summary": f"{N} of {lay.n} sampled"},
              {"probe": "directions", "verdict": "", "summary": f"{directions} Gaussian"}]
    return as_probe_report(r, probes, guarantee(lay.n, N, directions, bound))
