"""The judge: every element of a gradient (or Jacobian, or derivative) against the oracles.

How an element is judged (all of it vectorised over the elements still in question):

1. Fast pass (:func:`fast_pass`).  Where ``f`` is complex-safe (probed: warnings are errors,
   the result must be complex, its imaginary part must move, and it must agree with a
   directional difference), the complex step Im f(x + ih e_i)/h; else one central difference at
   h ~ eps**(1/3); and ``jax.grad`` of a ``twin`` where one is given.  An element that agrees
   within ``CHECK_FAST_RTOL`` is verified.  The fast pass only ever accepts.
2. The rest go to Richardson (:func:`refnet.oracles.differences.richardson`): central
   differences at steps h0 ... h0/8, extrapolated, with an error bar made of the tableau's
   spread plus the noise floor of ``f`` (:class:`refnet.checking.probe.Line`) carried through
   the tableau.  Forward and backward tableaux are taken too: where they disagree beyond their
   bars there is a kink, and the element is judged one-sided (a subgradient between the two
   one-sided derivatives is accepted and reported as such).  Known kinks are judged the same
   way, and points beside them with a stencil that stays on their side.  A tableau not resolved
   to ``CHECK_RESOLVE_REL`` is taken again from smaller steps (``CHECK_REFINE_STEPS``) and the
   narrowest bar kept.
3. Verdict: a mismatch only where the oracle disagrees by more than its own error bar plus
   ``CHECK_RTOL``; an element that agrees only because the error bar is wide is unresolved,
   with the reason, and not a failure.  A mismatch from Richardson is confirmed first
   (:func:`_stage_confirm`): a kink inside the stencil away from x (a relu unit of one sample
   crossing 0) corrupts a tableau while its spread can stay small, so the tableau is taken
   again from half the step, and again (down to ``CHECK_CONFIRM_HALVINGS``); the element is a
   mismatch only where two consecutive scales, each settled (smooth in itself, its bar resolved
   or mostly noise), agree with each other and both disagree with g.  Where they disagree with
   each other f is not smooth over the larger stencil and the smaller is trusted: verified if it
   agrees and is resolved, else unresolved ("f is not smooth over the larger stencils").  An
   arbiter (mpmath for a registry activation, exact) then decides the unresolved elements and
   those an inexact oracle failed or called lossy.
4. One side (:func:`_stage_one_sided`): an element the central tableau leaves unresolved, away
   from any known kink, where exactly one of the one-sided tableaux taken along the way (every
   stage's forward and backward tableaux come from its central stencil's evaluations) is
   settled -- resolved, and agreeing with the same side's every other resolved scale -- is
   judged from that side: a kink inside the stencil on the other side spoils the central
   tableau and that side's, while f is smooth on this side and its tableau (error series in h,
   h², ...) estimates f'(x).  Agreement verifies it.  Disagreement fails it only beyond what a
   kink at x could excuse (g outside the hull of this side's value and the other side's bar)
   and confirmed by the same side from half the step (two scales, as for the central tableau);
   else it stays unresolved.  Both sides settled and apart is a kink at x: the kink stage's.

The tolerances and their reasons live in :mod:`refnet.tolerances`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from refnet import tolerances as tol
from refnet.checking.errors import Abort
from refnet.checking.probe import Line, complex_line_values, complex_safety, evaluation_noise
from refnet.checking.probe import complex_step as complex_step_pass
from refnet.checking.problems import Problem
from refnet.checking.report import LOSSY, MISMATCH, SUBGRADIENT, UNRESOLVED, VERIFIED, Judged
from refnet.oracles import CENTRAL, COMPLEX_STEP, ONE_SIDED, ORACLES, RICHARDSON
from refnet.oracles.differences import Stencil, default_step, quotients, richardson

__all__ = ["fast_pass", "judge"]

TOO_WIDE = "richardson's error bar is too wide to resolve it"


def _richardson(prob: Problem, v, idx, *, side, noise, h0=tol.FD_H0, levels=tol.CHECK_LEVELS,
                noise_part=False):
    """Richardson tableaux (central, forward, backward) on coordinates ``idx`` of the problem,
    from its stencil (:func:`refnet.oracles.differences.richardson`)."""
    return richardson(prob.stencil(v), idx, default_step(v[idx], h0), side=side, levels=levels,
                      noise=noise, eps=prob.eps, noise_part=noise_part)


class FastPass(NamedTuple):
    """What the fast pass leaves: ``oracles`` maps an oracle's name to ``(estimate, error bar,
    available)``; ``complex_safe`` and ``why`` (why not, or why only accepting); ``line`` the
    probe line through x (its noise floor measured on demand); ``slope`` the largest one-sided
    difference quotient seen (a scale for an all-zero gradient); ``accept_only`` the oracles
    that may accept an element but never fail one."""

    oracles: dict
    complex_safe: bool
    why: str
    line: Line
    slope: float
    accept_only: frozenset
    moved: np.ndarray | None = None  # per element: the central difference's stencil moved


def fast_pass(prob, v, idx_all, complex_step, rng, skip=None, G=None) -> FastPass:
    """The fast pass: the complex step where f is complex-safe, else one central difference.

    Returns a :class:`FastPass`.  ``G`` ``(n, p)``, the values under check, where given, lets
    the central difference leave the noise floor of f unmeasured when no element's acceptance
    depends on it (see :func:`_central_fast`); without it the floor is always measured.
    """
    line = Line(prob, v, rng)
    d = line.d
    fast = {}
    safe, why = False, "switched off"
    if complex_step in ("auto", True):
        # one complex evaluation first: where f rejects complex input no difference is needed
        cs, why = complex_line_values(prob, d)
        if cs is not None:
            # against differences with a rounding-only error bar (8 evaluations); a noisy f
            # may fail that, so then again with the measured noise floor (65 more)
            est, err = line.directional(with_noise=False)
            safe, why, validated = complex_safety(prob, d, est, err, skip, cs=cs)
            if not safe or not validated:
                est, err = line.directional(with_noise=True)
                safe, why, validated = complex_safety(prob, d, est, err, skip, cs=cs)
        if complex_step is True and not safe:
            raise Abort(f"complex_step=True but f is not complex-safe: {why}")
    accept_only = frozenset()
    if safe:
        c_est, c_err = complex_step_pass(prob, idx_all)
        fast[COMPLEX_STEP] = _spread(prob.n, idx_all, c_est, c_err,
                                     np.ones(len(idx_all), bool))
        if not validated:  # it may accept, never fail (see complex_safety)
            why = "no difference was resolved enough to confirm it: it only accepts"
            accept_only = frozenset({COMPLEX_STEP})
        return FastPass(fast, safe, why, line, 0.0, accept_only)
    c_est, c_err, avail, slope, moved = _central_fast(prob, v, idx_all, line, G)
    fast[CENTRAL] = _spread(prob.n, idx_all, c_est, c_err, avail)
    if len(idx_all) != prob.n:
        full = np.zeros((prob.n,) + moved.shape[1:], bool)
        full[idx_all] = moved
        moved = full
    return FastPass(fast, safe, why, line, slope, accept_only, moved)


def _spread(n, idx, est, err, avail):
    """An oracle's ``(estimate, error bar, available)`` on coordinates ``idx`` as arrays over
    all ``n`` (NaN, an infinite bar and not available elsewhere)."""
    if len(idx) == n:
        return est, err, avail
    E = np.full((n,) + np.shape(est)[1:], np.nan)
    B = np.full((n,) + np.shape(err)[1:], np.inf)
    A = np.zeros(n, bool)
    E[idx], B[idx], A[idx] = est, err, avail
    return E, B, A


def _central_fast(prob, v, idx_all, line, G=None):
    """One central difference per coordinate at h ~ eps**(1/3): ``(estimate, error bar,
    available, slope, moved)``.

    The error of one evaluation of f enters only two decisions: whether the one-sided
    differences split (a larger error excuses more: fewer splits), and whether an element over
    whose stencil f did not move is resolved (a larger error: fewer).  The measured noise floor
    (the line probe, 65 evaluations) is at least the rounding model FD_EVAL_ULPS eps |f(x)|, so
    where every element that agrees with ``G`` within CHECK_FAST_RTOL moved and did not split
    under the rounding model, the floor cannot change what the fast pass accepts, and is not
    measured; otherwise (or without ``G``) it is, once for the problem, and every decision is
    taken with it."""
    stencil = prob.stencil(v)
    h = default_step(v[idx_all], tol.CHECK_FAST_STEP)[:, None]
    fp, fm = stencil.at(idx_all, h[:, 0]), stencil.at(idx_all, -h[:, 0])
    f0 = stencil.f0[idx_all]
    moved = fp != fm
    rounding = lambda e, f: np.maximum(e, tol.FD_EVAL_ULPS * prob.eps * np.abs(f))
    (c_est, _), (fw, _), (bw, _) = quotients(fp, fm, f0, h, h, 0, 0, 0)
    with np.errstate(all="ignore"):
        curve = np.abs(fw - bw)
        q = np.maximum(np.abs(fw), np.abs(bw))
    slope = float(np.max(q[np.isfinite(q)], initial=0.0))

    def bars(noise):
        e = noise[idx_all][:, None] if prob.elementwise else noise[None, :]
        # the rounding of f carried into the quotient: the fast pass accepts only where
        # this bar is itself within the fast tolerance (honest for an f that rounds)
        (_, c_err), _, _ = quotients(fp, fm, f0, h, h, rounding(e, fp), rounding(e, fm), 0)
        with np.errstate(all="ignore"):
            # one-sided differences from the same values: for a smooth f they differ by
            # h f'' (tiny at h ~ 7.6e-6); where they differ by more than
            # CHECK_KINK_SPLIT_REL of the value there may be a kink at x, and the element goes
            # on to the one-sided judge
            split = curve > tol.CHECK_KINK_SPLIT_REL * np.abs(c_est) + rounding(e, f0) * 4 / h
        return c_err, np.isfinite(c_est).all(axis=1) & ~split.any(axis=1)

    measure = G is None
    if not measure:
        c_err, avail = bars(evaluation_noise(prob, np.zeros(1)))  # the rounding model
        with np.errstate(all="ignore"):
            agree = np.abs(G[idx_all] - c_est) <= \
                tol.CHECK_FAST_RTOL * _scale(c_est, G[idx_all]) + tol.CHECK_ATOL
        candidate = agree & np.isfinite(c_est).all(axis=1)[:, None]
        measure = bool(np.any(candidate & (~moved | ~avail[:, None])))
    if measure:
        c_err, avail = bars(evaluation_noise(prob, line.noise(), line.moved()))
    return c_est, c_err, avail, slope, moved


class _Verdicts:
    """Per-element verdicts, filled in stage by stage: a status, a reason, and the oracle
    (name, estimate, error bar) the verdict rests on; ``records`` keeps every oracle's values."""

    def __init__(self, n, p):
        self.status = np.full((n, p), -1)
        self.reason = np.full((n, p), "", dtype=object)
        self.name = np.full((n, p), "", dtype=object)
        self.est = np.full((n, p), np.nan)
        self.err = np.full((n, p), np.inf)
        self.records: dict[str, tuple] = {}
        self.shape = (n, p)
        self.structural = np.zeros((n, p), bool)  # mismatches no rounding scale can excuse
        # the bound an element was accepted by where wider than its oracle's bar + rtol
        self.allowance = np.full((n, p), np.nan)
        self.kinked = np.zeros((n, p), bool)  # judged at a kink at x (known or detected)

    def record(self, name, rows, est, err, mask=None):
        """Keep an oracle's values on ``rows`` (where ``mask``, of their columns)."""
        if name not in self.records:
            self.records[name] = (np.full(self.shape, np.nan), np.full(self.shape, np.nan))
        E, B = self.records[name]
        E[rows] = est if mask is None else np.where(mask, est, E[rows])
        B[rows] = err if mask is None else np.where(mask, err, B[rows])

    def set(self, rows, mask, status, reason, name, est, err):
        """Where ``mask`` (len(rows), p): set the verdict of those elements of ``rows``."""
        r, c = np.nonzero(mask)
        rr = rows[r]
        self.status[rr, c] = status if np.ndim(status) == 0 else np.asarray(status)[r, c]
        self.reason[rr, c] = (reason if np.ndim(reason) == 0
                              else np.asarray(reason, dtype=object)[r, c])
        self.name[rr, c] = name if np.ndim(name) == 0 else np.asarray(name, dtype=object)[r, c]
        self.est[rr, c] = np.broadcast_to(est, mask.shape)[r, c]
        self.err[rr, c] = np.broadcast_to(err, mask.shape)[r, c]


def _scale(a, b):
    return np.maximum(np.abs(a), np.abs(b))


def _stage_fast(V, G, fast, kink, near_side, lossy_abs, moved=None):
    """Accept every element an oracle of the fast pass agrees with within CHECK_FAST_RTOL (an
    exact oracle at a kink says nothing, so known kinks and their neighbours are left out).
    Never fails.

    A difference quotient that agrees with g to 1e-8 is evidence when f moved over its stencil:
    a g wrong by 1e-6 or more would need the quotient's noise and truncation to err by as much,
    in step with it.  Where f did not move the quotient is exactly 0 whatever f' is (a g of 0
    computed from the same rounded values agrees with it by the same rounding): it accepts
    only where its own error bar is as small as the tolerance."""
    for name, (est, err, avail) in fast.items():
        rows = np.flatnonzero(avail & ~kink & (near_side == 0))
        if rows.size == 0:
            continue
        V.record(name, rows, est[rows], err[rows])
        g, e, b = G[rows], est[rows], err[rows]
        bound = tol.CHECK_FAST_RTOL * _scale(e, g)
        acc = (np.abs(g - e) <= bound + tol.CHECK_ATOL) & (V.status[rows] < 0)
        if ORACLES[name].difference:
            stirred = moved[rows] if moved is not None else np.zeros(g.shape, bool)
            acc &= stirred | (b <= np.maximum(bound, lossy_abs))
        V.set(rows, acc, VERIFIED, f"agrees with the {name}", name, e, b)
        r, c = np.nonzero(acc)
        V.allowance[rows[r], c] = (bound + tol.CHECK_ATOL)[r, c]


class _Sides:
    """The one-sided tableaux (forward and backward) taken along the way, at every step scale a
    stage took for its central tableau (they come from the same evaluations): ``add`` keeps each
    scale's, ``settled`` judges a side over all of them (:func:`_stage_one_sided` uses it)."""

    def __init__(self, shape):
        self.shape = shape
        self.taken = []  # (forward (est, err), backward (est, err), h0, levels), (k, p) each

    def add(self, rows, fwd, bwd, h0, levels, mask=None):
        """The tableaux of the pending rows ``rows`` (where ``mask``, of their columns) from step
        scale ``h0`` with ``levels``; NaN estimates and infinite bars elsewhere."""
        m = np.ones((len(rows), self.shape[1]), bool) if mask is None else mask
        out = []
        for est, err in (fwd, bwd):
            e, b = np.full(self.shape, np.nan), np.full(self.shape, np.inf)
            e[rows], b[rows] = np.where(m, est, np.nan), np.where(m, err, np.inf)
            out.append((e, b))
        h, lv = np.full(self.shape, np.nan), np.zeros(self.shape, int)
        h[rows], lv[rows] = np.where(m, h0, np.nan), np.where(m, levels, 0)
        self.taken.append((out[0], out[1], h, lv))

    def settled(self, which, g, lossy_abs, rtol):
        """Side ``which`` (0 forward, 1 backward) per element: its narrowest tableau ``(estimate,
        error bar, h0, levels)`` and whether it is settled: resolved, and agreeing within their
        bars with every other resolved tableau of that side (a smooth f gives one value at every
        scale; a kink inside some of the stencils does not).  A resolved bar is itself a small
        level-to-level spread (it holds FD_TRUNCATION_SAFETY times the last level's change)."""
        E = np.stack([t[which][0] for t in self.taken])
        B = np.stack([t[which][1] for t in self.taken])
        H = np.stack([t[2] for t in self.taken])
        L = np.stack([t[3] for t in self.taken])
        with np.errstate(invalid="ignore"):
            res = B <= np.maximum(tol.CHECK_RESOLVE_REL * _scale(E, g), lossy_abs)
            j = np.argmin(B, axis=0)[None]
            e, b = (np.take_along_axis(a, j, 0)[0] for a in (E, B))
            h, lv = (np.take_along_axis(a, j, 0)[0] for a in (H, L))
            agree = np.abs(E - e) <= B + b + tol.CHECK_ATOL + rtol * _scale(E, e)
        settled = np.take_along_axis(res, j, 0)[0] & np.all(~res | agree, axis=0)
        return e, b, h, lv, settled


def _stage_richardson(prob, v, pending, G, noise, side, lossy_abs, rtol=tol.CHECK_RTOL,
                      sides=None, floor=0.0):
    """Central, forward and backward Richardson tableaux on the pending elements; where the
    central one is not resolved, again from smaller steps, keeping the narrowest bar.  Also
    returns, per element, the step scale h0, the levels, the smoothness (:func:`_smooth_over`)
    and the carried noise of the central tableau kept.  Every one-sided tableau taken goes to
    ``sides`` (a :class:`_Sides`) where given.  An attempt is hopeless (skipped) only where the
    noise of f over its smallest step exceeds both what the element needs and ``floor`` (the
    bar that verifies it to the gradient's scale, :func:`_stage_scale`)."""
    (c_est, c_err), fwd, bwd, carried = _richardson(prob, v, pending, side=side, noise=noise,
                                                    noise_part=True)
    if sides is not None:
        sides.add(np.arange(pending.size), fwd, bwd, tol.FD_H0, tol.CHECK_LEVELS)
    h_used = np.full(c_est.shape, tol.FD_H0)
    levels_used = np.full(c_est.shape, tol.CHECK_LEVELS)
    smooth = _smooth_over((c_est, c_err), fwd, bwd, rtol)
    noise_used = carried.copy()
    # a tableau not resolved may have started from a step too large for how fast f varies
    # there (gelu's tail varies on a scale 1/|z|): where truncation dominates its bar, smaller
    # steps; or too small for the noise of f (a saturated log cost, f near 1e4): where the
    # carried noise dominates, larger steps with a level more.  The narrowest bar is kept.
    # (a tableau that is not finite, f NaN at a step beside its domain's edge, is not noisy:
    # smaller steps may stay inside the domain)
    noisy = ((carried >= tol.CHECK_NOISE_DOMINATED * c_err) & np.isfinite(c_err)).any(axis=1)
    attempts = [(h0, tol.CHECK_LEVELS, False) for h0 in tol.CHECK_REFINE_STEPS] + \
        [(h0, tol.CHECK_LEVELS + 2, True) for h0 in tol.CHECK_COARSE_STEPS]
    # (fmax: a tableau that is not finite still needs what the value needs, and is unresolved)
    def unresolved():
        return ~(c_err <= np.maximum(tol.CHECK_RESOLVE_REL * np.fmax(np.abs(c_est),
                                                                     np.abs(G[pending])),
                                     lossy_abs)).all(axis=1)

    given_up = set()
    need = np.maximum(tol.CHECK_RESOLVE_REL * np.fmax(np.abs(c_est), np.abs(G[pending])),
                      lossy_abs)
    for h0, levels, coarse in attempts:
        # smaller steps only where truncation dominated the first bar; larger ones for every
        # element still open (after the smaller steps, the bar is mostly noise); none where the
        # noise of f over the attempt's smallest step already exceeds what is needed
        h_min = default_step(v[pending], h0) * 2.0 ** -(levels - 1)
        hopeless = (noise / h_min[:, None] > np.maximum(need, floor)).all(axis=1)
        redo = np.flatnonzero(unresolved() & (True if coarse else ~noisy) & ~hopeless)
        if redo.size == 0 or coarse in given_up:
            continue
        (r_est, r_err), r_fw, r_bw, r_car = _richardson(
            prob, v, pending[redo], side=side[redo], noise=noise[redo], h0=h0, levels=levels,
            noise_part=True)
        if sides is not None:
            sides.add(redo, r_fw, r_bw, h0, levels)
        better = r_err < c_err[redo]
        smooth[redo] = np.where(better, _smooth_over((r_est, r_err), r_fw, r_bw, rtol),
                                smooth[redo])
        noise_used[redo] = np.where(better, r_car, noise_used[redo])
        c_est[redo] = np.where(better, r_est, c_est[redo])
        c_err[redo] = np.where(better, r_err, c_err[redo])
        h_used[redo] = np.where(better, h0, h_used[redo])
        levels_used[redo] = np.where(better, levels, levels_used[redo])
        # an attempt that resolves almost nothing (f too noisy for any step: the notebook's
        # saturated log cost) is not repeated with the next step of its kind
        if redo.size >= tol.CHECK_RETRY_MANY and \
                np.count_nonzero(~unresolved()[redo]) < tol.CHECK_RETRY_YIELD * redo.size:
            given_up.add(coarse)
    return (c_est, c_err), fwd, bwd, (h_used, levels_used, smooth, noise_used)


def _smooth_over(cen, fwd, bwd, rtol):
    """Whether the central tableau agrees with the forward and the backward one from the same
    stencil within their bars: where f is smooth over the stencil all three estimate f'(x); a
    kink inside it, at x or away from it, pulls them apart (the one-sided ones by the jump of
    f' times the part of the stencil beyond the kink, the central one by half of it)."""
    (c, c_err) = cen
    with np.errstate(invalid="ignore"):
        return np.all([np.abs(c - e) <= c_err + b + tol.CHECK_ATOL + rtol * _scale(c, e)
                       for e, b in (fwd, bwd)], axis=0)


def _stage_confirm(prob, v, pending, g, cand, c_est, c_err, scales, side, noise, rtol,
                   lossy_abs, sides=None):
    """Confirm, before condemning, the elements Richardson alone fails (``cand``).

    A tableau assumes f smooth over its whole stencil; a kink inside it away from x (a relu unit
    crossing 0 on one sample) corrupts the extrapolation while its spread may stay small.  So
    the tableau is taken again from half the step, and again, down to the smallest step scale
    of the refinement (CHECK_CONFIRM_HALVINGS).  Two consecutive scales that disagree with each
    other beyond their bars show that f is not smooth over the larger stencil, and the smaller
    is trusted: a tableau that agrees with g and is resolved verifies the element; a mismatch
    needs two consecutive scales that agree with each other and both disagree with g; where the
    smaller scale agrees with g only because its noise has widened its bar, smaller steps cannot
    help and the element is unresolved.  Each of the two must also be settled
    (:func:`_settled`): coarse tableaux over several kinks agree with each other, and with their
    own one-sided tableaux, within their wide bars.  ``scales`` is ``(h0, levels, smooth,
    carried noise)`` per element, of the tableau that failed it; the one-sided tableaux taken go
    to ``sides`` where given.

    Returns ``(status, reason, estimate, error bar)``, meaningful where ``cand``."""
    h, levels, smooth0, carried0 = (np.array(a) for a in scales)
    prev_settled = _settled(g, c_est, c_err, carried0, smooth0, lossy_abs)
    prev_e, prev_b = c_est.copy(), c_err.copy()
    prev_agree = np.zeros(g.shape, bool)
    rough = np.zeros(g.shape, bool)  # two scales disagreed: f is not smooth over a stencil
    st = np.full(g.shape, UNRESOLVED)
    rs = np.full(g.shape, "", dtype=object)
    est, err = c_est.copy(), c_err.copy()
    open_ = cand.copy()
    smallest = tol.FD_H0 * 2.0 ** -tol.CHECK_CONFIRM_HALVINGS
    while True:
        open_ &= h / 2 >= smallest  # out of halvings: judged below
        if not open_.any():
            break
        h = np.where(open_, h / 2, h)
        new_e, new_b, carried, smooth = _tableaux_at(prob, v, pending, open_, h, levels, side,
                                                     noise, rtol, sides)
        settled = _settled(g, new_e, new_b, carried, smooth, lossy_abs)
        with np.errstate(invalid="ignore"):
            consistent = np.abs(new_e - prev_e) <= new_b + prev_b + tol.CHECK_ATOL + \
                rtol * _scale(new_e, prev_e)
            agree = np.abs(g - new_e) <= new_b + tol.CHECK_ATOL + rtol * np.abs(new_e)
            resolved = new_b <= np.maximum(tol.CHECK_RESOLVE_REL * _scale(new_e, g), lossy_abs)
            spent = agree & ~resolved & (carried >= tol.CHECK_NOISE_DOMINATED * new_b)
        rough |= open_ & ~(consistent & smooth)
        verified = open_ & agree & resolved
        confirmed = open_ & consistent & settled & prev_settled & ~agree & ~prev_agree
        # agreeing only because noise widened the bar: a smaller step widens it more
        spent &= open_
        narrower = new_b <= prev_b
        st = np.where(confirmed, MISMATCH, np.where(verified, VERIFIED, st))
        est = np.where(confirmed & ~narrower, prev_e, np.where(verified | confirmed | spent,
                                                               new_e, est))
        err = np.where(confirmed & ~narrower, prev_b, np.where(verified | confirmed | spent,
                                                               new_b, err))
        _confirm_reasons(rs, h, confirmed, verified, spent)
        open_ &= ~(verified | confirmed | spent)
        prev_e = np.where(open_, new_e, prev_e)
        prev_b = np.where(open_, new_b, prev_b)
        prev_agree, prev_settled = agree, settled
    _confirm_leftovers(cand, rough, st, rs, est, err, prev_e, prev_b, h)
    return st, rs, est, err


def _confirm_reasons(rs, h, confirmed, verified, spent):
    """The reasons of the elements one halving of :func:`_stage_confirm` decided."""
    for mask, text in ((confirmed, "disagrees with richardson beyond its error bar from "
                                   "two step scales, h0 = {h2} and {h}"),
                       (verified, "agrees with richardson from a smaller step, h0 = {h}"),
                       (spent, "disagrees with richardson from a larger step, but from "
                               "h0 = {h} the noise of f hides it")):
        for r, c in zip(*np.nonzero(mask)):
            rs[r, c] = text.format(h=_step_text(h[r, c]), h2=_step_text(2 * h[r, c]))


def _confirm_leftovers(cand, rough, st, rs, est, err, prev_e, prev_b, h):
    """After the halvings: an element no scale decided keeps the last tableau and says so, and
    one whose scales disagreed with each other says f is not smooth over them."""
    for r, c in zip(*np.nonzero(cand & (st == UNRESOLVED) & (rs == ""))):  # out of halvings
        est[r, c], err[r, c] = prev_e[r, c], prev_b[r, c]
        rs[r, c] = f"no step down to h0 = {_step_text(h[r, c])} confirmed richardson's disagreement"
    smooth_text = " (f is not smooth over the larger stencils: a kink within h0 of x?)"
    for r, c in zip(*np.nonzero(cand & rough & (st != MISMATCH))):
        rs[r, c] += smooth_text


def _stage_one_sided(prob, v, pending, g, open_, sides, noise, rtol, lossy_abs):
    """Judge from one side the elements ``open_`` (unresolved by the central tableau) where
    exactly one of the one-sided tableaux taken along the way is settled (:meth:`_Sides.settled`).

    A kink of f inside the central stencil but away from x (a relu unit of one sample crossing 0
    at W1[i,j] + t, t = -Z1[i,s]/X[j,s]) spoils the central tableau and the one-sided one on its
    side; the other side's stencil, [x, x + h0] or [x - h0, x], holds no kink where its tableau
    is settled: f is smooth there, and the tableau (error series in h, h², …) estimates f'(x)
    with an honest bar.  So a settled side that agrees with g verifies the element.  Where both
    sides are settled nothing is done here: if they disagree there is a kink at x (the kink
    stage's subgradient), if they agree the central tableau was fine.

    A settled side that disagrees with g fails the element only where (a) g lies beyond what a
    kink at x could excuse (outside the hull of that side's value and the other side's error
    bar: a kink's subgradient lies between the one-sided derivatives, and the unsettled side's
    is known only within its bar), and (b) the same side's tableau from half the step is settled
    too (resolved, or its bar mostly the noise of f), agrees with the first and disagrees with g
    (two scales, as :func:`_stage_confirm` asks of the central tableau).  Otherwise the element
    stays unresolved, and the reason says that the settled side disagrees.

    Returns ``(judged, status, reason, estimate, error bar, forward)``, ``judged`` a mask of
    the elements with a verdict here, ``forward`` whether the side judged was forward, and
    ``reason`` also the note for the elements left unresolved."""
    fe, fb, fh, fl, fs = sides.settled(0, g, lossy_abs, rtol)
    be, bb, bh, bl, bs = sides.settled(1, g, lossy_abs, rtol)
    one = open_ & (fs != bs)
    e, b, h, lv = (np.where(fs, x, y) for x, y in ((fe, be), (fb, bb), (fh, bh), (fl, bl)))
    o, ob = np.where(fs, be, fe), np.where(fs, bb, fb)
    tolr = tol.CHECK_ATOL + rtol * np.abs(e)
    with np.errstate(invalid="ignore"):
        agree = np.abs(g - e) <= b + tolr
        outside = (g < np.minimum(e - b, o - ob) - tolr) | (g > np.maximum(e + b, o + ob) + tolr)
    verified = one & agree
    # (b): the same side from half the step, only for the elements (a) leaves open
    ask = one & ~agree & outside
    e2, b2, c2 = np.full(g.shape, np.nan), np.full(g.shape, np.inf), np.full(g.shape, np.inf)
    for sign, mine in ((1, ask & fs), (-1, ask & ~fs)):
        if mine.any():
            ne, nb, nc, _ = _tableaux_at(prob, v, pending, mine, h / 2, lv,
                                         np.full(pending.size, sign), noise, rtol)
            e2, b2, c2 = (np.where(mine, x, y) for x, y in ((ne, e2), (nb, b2), (nc, c2)))
    with np.errstate(invalid="ignore"):
        settled2 = (b2 <= np.maximum(tol.CHECK_RESOLVE_REL * _scale(e2, g), lossy_abs)) | \
            (c2 >= tol.CHECK_NOISE_DOMINATED * b2)
        consistent = np.abs(e2 - e) <= b2 + b + tol.CHECK_ATOL + rtol * _scale(e2, e)
        agree2 = np.abs(g - e2) <= b2 + tol.CHECK_ATOL + rtol * np.abs(e2)
    confirmed = ask & settled2 & consistent & ~agree2
    judged = verified | confirmed
    st = np.where(confirmed, MISMATCH, VERIFIED)
    rs = np.full(g.shape, "", dtype=object)
    for r, c in zip(*np.nonzero(one)):
        which = "forward" if fs[r, c] else "backward"
        other = f" (the {'backward' if fs[r, c] else 'forward'} one is not settled: a kink " \
            "inside its stencil)"
        at = _step_text(h[r, c])
        if verified[r, c]:
            rs[r, c] = f"agrees with the {which} richardson tableau from h0 = {at}{other}"
        elif confirmed[r, c]:
            rs[r, c] = (f"disagrees with the {which} richardson tableau beyond its error bar "
                        f"from two step scales, h0 = {at} and {_step_text(h[r, c] / 2)}{other}")
        else:
            why = ("its tableau from half the step does not confirm it" if outside[r, c] else
                   "a kink at x could excuse it (g lies between it and the other side's bar)")
            rs[r, c] = f"the {which} richardson tableau from h0 = {at} disagrees, but {why}"
    return judged, st, rs, e, b, fs


def _settled(g, est, err, carried, smooth, lossy_abs):
    """Whether a central tableau may stand as evidence: smooth in itself (:func:`_smooth_over`)
    and either resolved or with a bar that is mostly the noise of f.  A bar that is mostly the
    tableau's spread says f is not polynomial over the stencil at this scale: for a smooth f a
    smaller step shrinks it (by 2**-8 per halving at four levels), for a kink inside the stencil
    it is the kink's."""
    with np.errstate(invalid="ignore"):
        resolved = err <= np.maximum(tol.CHECK_RESOLVE_REL * _scale(est, g), lossy_abs)
        return smooth & (resolved | (carried >= tol.CHECK_NOISE_DOMINATED * err))


def _tableaux_at(prob, v, pending, which, h, levels, side, noise, rtol, sides=None):
    """The central Richardson tableau of the elements ``which`` (rows of ``pending``, columns of
    f), each from its own step scale ``h`` and ``levels``: ``(estimate, error bar, carried
    noise, smooth)``, NaN, infinite and False elsewhere.  One call of :func:`_richardson` per
    distinct scale; the one-sided tableaux go to ``sides`` where given."""
    est = np.full(which.shape, np.nan)
    err = np.full(which.shape, np.inf)
    carried = np.full(which.shape, np.inf)
    smooth = np.zeros(which.shape, bool)
    for h0, lv in sorted(set(zip(h[which].tolist(), levels[which].tolist()))):
        grp = which & (h == h0) & (levels == lv)
        rows = np.flatnonzero(grp.any(axis=1))
        (e, b), fwd, bwd, c = _richardson(prob, v, pending[rows], side=side[rows],
                                          noise=noise[rows], h0=h0, levels=int(lv),
                                          noise_part=True)
        m = grp[rows]
        if sides is not None:
            sides.add(rows, fwd, bwd, h0, int(lv), m)
        smooth[rows] = np.where(m, _smooth_over((e, b), fwd, bwd, rtol), smooth[rows])
        est[rows] = np.where(m, e, est[rows])
        err[rows] = np.where(m, b, err[rows])
        carried[rows] = np.where(m, c, carried[rows])
    return est, err, carried, smooth


def _step_text(h):
    """A step scale as a power of two, for a reason's text."""
    e = np.log2(h)
    return f"2^{int(e)}" if e == int(e) else f"{h:.2g}"


class _Open:
    """The verdicts of the elements the fast pass left (``pending`` rows), stage by stage: per
    element a status, a reason and the oracle it rests on (name, estimate, error bar)."""

    def __init__(self, g, status, reason, name, est, err):
        self.g = g
        self.st, self.rs = status, reason
        self.o_name = np.full(g.shape, name, dtype=object)
        self.o_est, self.o_err = est.copy(), err.copy()

    def set(self, mask, status, reason, name, est, err):
        """Where ``mask``: this status and reason, resting on oracle ``name`` (est, err)."""
        self.st = np.where(mask, status, self.st)
        self.rs = np.where(mask, reason, self.rs)
        self.o_name = np.where(mask, name, self.o_name)
        self.o_est = np.where(mask, est, self.o_est)
        self.o_err = np.where(mask, err, self.o_err)


class _Central(NamedTuple):
    """The central tableau's verdict inputs: estimate and bar, whether g agrees within them
    (with ``tolr`` = CHECK_ATOL + rtol |estimate|) and whether the bar resolves the element."""

    est: np.ndarray
    err: np.ndarray
    agree: np.ndarray
    resolved: np.ndarray
    tolr: np.ndarray


def _central(g, c_est, c_err, rtol, lossy_abs) -> _Central:
    tolr = tol.CHECK_ATOL + rtol * np.abs(c_est)
    agree = np.abs(g - c_est) <= c_err + tolr
    resolved = c_err <= np.maximum(tol.CHECK_RESOLVE_REL * _scale(c_est, g), lossy_abs)
    return _Central(c_est, c_err, agree, resolved, tolr)


def _stage_central(prob, v, pending, G, g, noise, side, kink, lossy_abs, rtol, strict, sides,
                   floor=0.0):
    """2. Richardson's central tableau judges every open element; a mismatch from it holds only
    at two step scales (:func:`_stage_confirm`; a known kink is judged one-sided later, whatever
    the central tableau says, and a disagreement within the lossy scale is no failure unless
    strict).  Returns the open verdicts, the central tableau, and the one-sided ones."""
    (c_est, c_err), fwd, bwd, scales = _stage_richardson(prob, v, pending, G, noise, side,
                                                         lossy_abs, rtol, sides, floor)
    c = _central(g, c_est, c_err, rtol, lossy_abs)
    # a tableau that is not finite (f is NaN or infinite at a step: x beside the edge of f's
    # domain) says nothing: unresolved, for the one-sided stage, never a mismatch
    lost = ~np.isfinite(c_est) | ~np.isfinite(c_err)
    st = np.where(c.agree, np.where(c.resolved, VERIFIED, UNRESOLVED),
                  np.where(lost, UNRESOLVED, MISMATCH))
    rs = np.where(c.agree, np.where(c.resolved, "agrees with richardson", TOO_WIDE),
                  np.where(lost, "richardson is not finite (f is not finite at a step)",
                           "disagrees with richardson beyond its error bar"))
    cand = (st == MISMATCH) & ~kink[pending][:, None] & \
        (strict | (np.abs(g - c_est) > lossy_abs + c_err))
    if cand.any():
        k_st, k_rs, k_est, k_err = _stage_confirm(prob, v, pending, g, cand, c_est, c_err,
                                                  scales, side, noise, rtol, lossy_abs, sides)
        st, rs = np.where(cand, k_st, st), np.where(cand, k_rs, rs)
        c_est, c_err = np.where(cand, k_est, c_est), np.where(cand, k_err, c_err)
        agree = np.where(cand, st != MISMATCH, c.agree)
        c = _central(g, c_est, c_err, rtol, lossy_abs)._replace(agree=agree)
    return _Open(g, st, rs, RICHARDSON, c.est, c.err), c, fwd, bwd, scales[2]


def _stage_exact(O, c, oracles, pending, on_kink, not_here, accept_only, rtol, lossy_abs,
                 strict):
    """3. Oracles that are not differences (mpmath, a twin's autodiff, the complex step), as
    each is declared (:data:`refnet.oracles.ORACLES`): an honest bar verifies or fails on its
    own; the complex step verifies, and fails only where resolved differences confirm its
    value; beside a kink only an oracle valid there is consulted.  Returns ``(confirmed,
    decided)``: where an exact oracle failed the element, and where it gave any verdict."""
    g = O.g
    confirmed = np.zeros(g.shape, bool)
    decided = np.zeros(g.shape, bool)
    for name, (est, err, avail) in oracles:
        o = ORACLES[name]
        if o.difference:  # the fast pass's difference: Richardson has judged
            continue
        e, b = est[pending], err[pending]
        usable = avail[pending][:, None] & ~(on_kink if o.beside_kinks else not_here) & \
            np.isfinite(e)
        ok_e = np.abs(g - e) <= b + tol.CHECK_ATOL + rtol * np.abs(e)
        if name in accept_only:
            fail = np.zeros(g.shape, bool)
        elif o.fails_alone:  # an honest bar of its own (mpmath, autodiff of a twin)
            fail = usable & ~ok_e
        else:
            # the complex step's bar holds only where f's complex arithmetic does not cancel
            # (soft_sign's quotient at |z| = 1e20 gives exactly 0): it fails an element only
            # where resolved differences confirm its value and contradict g
            backed = c.resolved & (np.abs(c.est - e) <= c.err + b + c.tolr) & ~c.agree
            fail = usable & ~ok_e & backed
        # agreement verifies only where the oracle's own bar resolves the element
        sharp = b <= np.maximum(tol.CHECK_RESOLVE_REL * _scale(e, g), lossy_abs) + tol.CHECK_ATOL
        good = usable & ok_e & sharp & (O.st != MISMATCH)
        O.set(good, VERIFIED, f"agrees with the {name}", name, e, b)
        O.set(fail, MISMATCH, f"disagrees with the {name} beyond its error bar", name, e, b)
        # the complex step sees digits that differences cannot (they agree with g only because
        # their bar is at the lossy scale): a nonzero value it disagrees with, by less than the
        # lossy scale, makes the element lossy (an imaginary part of exactly 0 is no evidence:
        # underflow and cancellation give it too)
        shows = np.zeros(g.shape, bool)
        if o.sees_lost_digits and name not in accept_only:
            shows = usable & ~ok_e & c.agree & (e != 0) & (np.abs(g - e) <= lossy_abs + b) & \
                (O.st == VERIFIED)
        O.set(shows, MISMATCH if strict else LOSSY,
              f"the {name} shows digits lost that differences cannot see", name, e, b)
        confirmed |= fail
        decided |= good | fail | shows
    return confirmed, decided


def _stage_arbiter(V, O, arbiter, pending, on_kink, rtol):
    """4. The arbiter (mpmath: exact, correctly rounded), on demand: asked about what is still
    unresolved, and about what an inexact oracle fails or calls lossy (the complex step through
    soft_sign's z/(1 + |z|) at |z| ~ 1e146 cancels beyond its bar while the value is right to
    the last digit): its verdict stands there, also against a kink the differences detect
    (their stencil spans periods of sin at z ~ 1e300).  Returns the elements it decided."""
    g = O.g
    open_ = np.isin(O.st, (UNRESOLVED, MISMATCH, LOSSY)) & ~on_kink
    ask = np.flatnonzero(open_.any(axis=1))
    if arbiter is None or not ask.size:
        return np.zeros(g.shape, bool)
    a_name, a_fn = arbiter
    a_est = np.full(g.shape, np.nan)
    a_err = np.full(g.shape, np.inf)
    a_est[ask], a_err[ask] = a_fn(pending[ask])
    V.record(a_name, pending[ask], a_est[ask], a_err[ask])
    use = np.zeros(g.shape, bool)
    use[ask] = True
    use &= open_
    ok_a = np.abs(g - a_est) <= a_err + tol.CHECK_ATOL + rtol * np.abs(a_est)
    overruled = np.char.add(f"agrees with {a_name} (", np.char.add(
        O.o_name.astype(str), " disagreed)")).astype(object)
    O.set(use, np.where(ok_a, VERIFIED, MISMATCH),
          np.where(ok_a, np.where(O.st != UNRESOLVED, overruled, f"agrees with {a_name}"),
                   f"disagrees with {a_name}"), a_name, a_est, a_err)
    return use

COINCIDING = ("kinks coincide at x ({n} elements sit on one): the one-sided derivatives of one "
              "coordinate do not bound a gradient there, and no smooth direction decides it")
UNSETTLED = ("kink: outside the one-sided derivatives, but they are not settled (more kinks "
             "inside the steps)")


def _stage_kinks(V, O, c, fwd, bwd, pending, kink, side, decided, confirmed, rtol, lossy_abs,
                 one_scalar=False, smooth=None):
    """5. Kinks, judged one-sided: a known kink, and one the differences detect (the one-sided
    tableaux split), which yields to an exact oracle's verdict there (a staircase of rounding
    can split them too); a known kink yields only to a confirmed mismatch.  Elements beside a
    kink say so in their reason.

    A value outside the two one-sided derivatives fails only where they prove something: a kink
    the differences detected (not a known one) whose one-sided tableaux are not settled (the
    steps crossed more kinks: a probe direction that moves thousands of relu units) is
    unresolved (a split of the first steps where the central tableau kept is smooth is no kink
    at x); and where ``one_scalar`` (a scalar f
    of many coordinates) and two or more elements sit on kinks, the kinks may coincide (relu
    units at exactly 0, tied maxima), and the interval one coordinate's line sees is narrower
    than the gradients of the pieces that meet at x: unresolved too, never a mismatch
    (docs/checking.md, "Kinks that coincide")."""
    (fw, fw_err), (bw, bw_err) = fwd, bwd
    p = O.g.shape[1]
    split = np.abs(fw - bw) > fw_err + bw_err + rtol * _scale(fw, bw) + tol.CHECK_ATOL
    # the first, largest steps split over a kink beside x as over one at x; where the central
    # tableau kept (from smaller steps) is smooth, with its own one-sided ones, there is none
    # at x: the central stage judges
    if smooth is not None:
        split &= ~smooth
    at_kink = (kink[pending][:, None] | (split & ~decided)) & (side == 0)[:, None] & ~confirmed
    k_st, k_rs, k_est, k_err = _kink_verdict(O.g, fw, fw_err, bw, bw_err, c.tolr,
                                             kink[pending][:, None], lossy_abs)
    outside = at_kink & (k_st == MISMATCH)
    if outside.any():
        settled = np.maximum(fw_err, bw_err) <= np.maximum(
            tol.CHECK_KINK_RESOLVE_REL * _scale(fw, bw), lossy_abs) + tol.CHECK_ATOL
        detected = ~kink[pending][:, None]
        n_kinked = int(at_kink.any(axis=1).sum())
        k_rs = np.where(outside & detected & ~settled, UNSETTLED, k_rs)
        if one_scalar and n_kinked >= 2:
            k_rs = np.where(outside, COINCIDING.format(n=n_kinked), k_rs)
        soft = outside & ((detected & ~settled) | (one_scalar and n_kinked >= 2))
        k_st = np.where(soft, UNRESOLVED, k_st)
    O.set(at_kink, k_st, k_rs, ONE_SIDED, k_est, k_err)
    V.kinked[pending] |= at_kink
    beside = (side != 0)[:, None] & np.ones((1, p), bool)
    O.rs = np.where(beside & (O.st != MISMATCH),
                    np.char.add(O.rs.astype(str), " (one-sided beside a kink)").astype(object),
                    O.rs)
    if at_kink.any():
        rows_k = at_kink.any(axis=1)
        V.record(ONE_SIDED, pending[rows_k], fw[rows_k], fw_err[rows_k])
        V.record(ONE_SIDED + "(-)", pending[rows_k], bw[rows_k], bw_err[rows_k])
    return int(at_kink.any(axis=1).sum())


def _stage_one_side(V, O, prob, v, pending, open_, sides, noise, rtol, lossy_abs):
    """5b. A kink inside the stencil on one side only: the other side's tableau judges the
    elements still open (:func:`_stage_one_sided`); its reason joins the central one's."""
    if not open_.any():
        return
    judged, s_st, s_rs, s_est, s_err, s_fw = _stage_one_sided(
        prob, v, pending, O.g, open_, sides, noise, rtol, lossy_abs)
    rs = np.where(s_rs == "", O.rs, np.where(
        O.rs == TOO_WIDE, s_rs, np.char.add(O.rs.astype(str), "; ").astype(object) + s_rs))
    O.rs = np.where(judged, s_rs, rs)
    O.st = np.where(judged, s_st, O.st)
    O.o_name = np.where(judged, ONE_SIDED, O.o_name)
    O.o_est, O.o_err = np.where(judged, s_est, O.o_est), np.where(judged, s_err, O.o_err)
    for name, m in ((ONE_SIDED, judged & s_fw), (ONE_SIDED + "(-)", judged & ~s_fw)):
        rows_j = m.any(axis=1)
        if rows_j.any():
            V.record(name, pending[rows_j], s_est[rows_j], s_err[rows_j], m[rows_j])


def _noise_of_f(prob, line, pending):
    """The error of one evaluation of f per output: measured along the probe line where a
    verdict still needs it, else (every element verified at once, 65 evaluations saved) the
    rounding model eval_ulps·eps·|f|."""
    if pending.size:
        return evaluation_noise(prob, line.narrow(), line.moved())
    return evaluation_noise(prob, np.zeros(1))


def judge(prob: Problem, v, G, *, fast: dict, extra: dict, known_kink=None, near_side=None,
          line, arbiter=None, slope=0.0, rtol=None, atol=None, strict=False,
          accept_only=(), eps=tol.EPS, moved=None):
    """Judge every element of ``G`` ``(n, p)`` in named stages; returns a :class:`Judged`.

    ``fast`` maps an oracle's name to ``(estimate, error bar, available)`` arrays from the fast
    pass; ``extra`` more oracles with honest bars (mpmath), judged everywhere away from kinks;
    ``arbiter`` an optional ``(name, fn)``, ``fn(rows) -> (estimate, error bar)``, asked only
    about the elements the differences leave unresolved.  ``known_kink`` (n,) marks elements
    at a kink, ``near_side`` (n,) a one-sided stencil direction beside one.  ``line`` is the
    probe line through x (its noise floor is measured on demand).

    The scale: ``lossy_abs`` = ``atol`` if given, else CHECK_LOSSY_ULPS eps times the gradient's
    scale S (the largest of |G|, of every oracle's estimate, and ``slope``), ``eps`` the unit
    roundoff of the least precise of f and the gradient (2**-23 for float32 code).  An element that
    an honest oracle contradicts by less than that is lossy (a failure only with ``strict``); an
    error bar within it resolves an element.  ``rtol`` (CHECK_RTOL by default) is the relative
    tolerance of every comparison beyond the oracle's own error bar.
    """
    n, p = G.shape
    rtol = tol.CHECK_RTOL if rtol is None else float(rtol)
    V = _Verdicts(n, p)
    kink = np.zeros(n, bool) if known_kink is None else known_kink.copy()
    near_side = np.zeros(n, int) if near_side is None else near_side
    S = _gradient_scale(G, fast, extra, slope)
    lossy_abs = tol.CHECK_LOSSY_ULPS * eps * S if atol is None else float(atol)
    # the bar that verifies an element to the gradient's scale (_stage_scale): for a scalar f
    # only (an elementwise f's elements, a vector f's outputs, are functions of their own
    # scales), and not where atol sets the scale
    by_scale = not prob.elementwise and p == 1 and atol is None
    scale_floor = tol.CHECK_SCALE_RESOLVE_REL * S if by_scale else 0.0

    # 1. fast pass: accept only
    _stage_fast(V, G, fast, kink, near_side, lossy_abs, moved)
    for name, (est, err, avail) in extra.items():
        rows = np.flatnonzero(avail & ~kink)
        if rows.size:
            V.record(name, rows, est[rows], err[rows])
    pending = np.flatnonzero((V.status < 0).any(axis=1))
    floor = _noise_of_f(prob, line, pending)
    noise_floor = float(np.max(floor[np.isfinite(floor)], initial=0.0))
    noise_measured = line.noise_measured
    if pending.size:
        ln = floor[pending][:, None] if prob.elementwise else floor[None, :]
        noise = np.broadcast_to(ln, (pending.size, p))
        side = near_side[pending]
        sides = _Sides((pending.size, p))
        O, c, fwd, bwd, smooth = _stage_central(prob, v, pending, G, G[pending], noise, side, kink,
                                        lossy_abs, rtol, strict, sides, scale_floor)
        V.record(RICHARDSON, pending, c.est, c.err)
        # mpmath is exact at any point off a kink; the fast pass's exact oracles are not
        # consulted beside a kink either (the probe line crossed it there)
        on_kink = kink[pending][:, None] & np.ones((1, p), bool)
        not_here = on_kink | (side != 0)[:, None]
        confirmed, decided = _stage_exact(O, c, list(fast.items()) + list(extra.items()),
                                          pending, on_kink, not_here, accept_only, rtol,
                                          lossy_abs, strict)
        decided |= _stage_arbiter(V, O, arbiter, pending, on_kink, rtol)
        one_scalar = not prob.elementwise and prob.p == 1
        n_kinked = _stage_kinks(V, O, c, fwd, bwd, pending, kink, side, decided, confirmed,
                                rtol, lossy_abs, one_scalar, smooth)
        open_ = (O.st == UNRESOLVED) & ~on_kink & (side == 0)[:, None] & ~decided
        _stage_one_side(V, O, prob, v, pending, open_, sides, noise, rtol, lossy_abs)
        if one_scalar and n_kinked:
            # other elements sit on kinks at x: the unsettled side of these may be one of them
            # (a kink at x, not beside it), where one side's derivative bounds nothing; an
            # element that is itself the one kink found keeps the one-sided verdict
            itself = V.kinked[pending]
            gone = open_ & (O.st == MISMATCH) & (O.o_name == ONE_SIDED) & \
                (~itself | (n_kinked >= 2))
            n_all = n_kinked + int((gone & ~itself).any(axis=1).sum())
            V.kinked[pending] |= gone
            O.st = np.where(gone, UNRESOLVED, O.st)
            O.rs = np.where(gone, COINCIDING.format(n=n_all), O.rs)
        V.set(pending, V.status[pending] < 0, O.st, O.rs, O.o_name, O.o_est, O.o_err)
    # 6. kinks that coincide: the subgradients accepted one coordinate at a time, together
    if not prob.elementwise and prob.p == 1:
        _stage_coinciding_kinks(prob, v, G, V, rtol, lossy_abs)
    # 7. the scale: a mismatch within the gradient's rounding scale is lossy; an agreement
    # within 1e-7 of the gradient's scale verifies what no difference resolves further
    _stage_lossy(V, G, lossy_abs, strict, eps)
    if by_scale:
        _stage_scale(V, G, S, rtol)
    if S == 0:
        _stage_zero(V, G)
    _explain_unresolved(V, G, lossy_abs, noise_floor)
    return Judged(V.status, V.reason, V.name, V.est, V.err, V.records, noise_floor,
                  noise_measured, S, lossy_abs, eps, V.allowance)


def _gradient_scale(G, fast, extra, slope):
    """S: the largest of |G|, of every finite oracle estimate, and of ``slope``."""
    parts = [np.abs(G).ravel()] + [np.abs(e).ravel() for e, _, _ in fast.values()] + \
        [np.abs(e).ravel() for e, _, _ in extra.values()] + [np.array([slope])]
    a = np.concatenate(parts)
    return float(np.max(a[np.isfinite(a)], initial=0.0))


def _stage_zero(V, G):
    """Zero is a value: where the gradient is exactly 0 and so is every estimate (S = 0: a
    piecewise-linear f at order 2, whose differences are all exactly 0), an element left
    unresolved only because a tolerance relative to 0 is 0 is verified where its oracle's
    estimate is exactly 0 with a finite bar: the derivative is within that bar of 0."""
    ok = (V.status == UNRESOLVED) & (G == 0) & (V.est == 0) & np.isfinite(V.err) & ~V.kinked
    for r, c in zip(*np.nonzero(ok)):
        V.reason[r, c] = (f"zero is a value: {V.name[r, c]} is exactly 0, within "
                          f"{V.err[r, c]:.1e}, as is the whole gradient")
    V.status[ok] = VERIFIED


def _kink_verdict(g, fw, fw_err, bw, bw_err, tolr, known, lossy_abs):
    """At a kink: a subgradient between the two one-sided derivatives is accepted.  The
    one-sided bars resolve it where within CHECK_KINK_RESOLVE_REL of the sides or within the
    gradient's rounding scale ``lossy_abs`` (as a central tableau's do): at a kink where both
    sides are 0 (sparse_plus at -1) only the latter can hold."""
    lo, hi = np.minimum(fw, bw), np.maximum(fw, bw)
    lo_e = np.where(fw <= bw, fw_err, bw_err)
    hi_e = np.where(fw <= bw, bw_err, fw_err)
    inside = (g >= lo - lo_e - tolr) & (g <= hi + hi_e + tolr)
    k_res = np.maximum(fw_err, bw_err) <= np.maximum(
        tol.CHECK_KINK_RESOLVE_REL * _scale(fw, bw), lossy_abs) + tol.CHECK_ATOL
    on_side = (np.abs(g - fw) <= fw_err + tolr) | (np.abs(g - bw) <= bw_err + tolr)
    k_st = np.where(inside, np.where(k_res, SUBGRADIENT, UNRESOLVED), MISMATCH)
    k_rs = np.where(inside,
                    np.where(on_side, "kink: equals a one-sided derivative",
                             "kink: between the one-sided derivatives"),
                    "kink: outside the one-sided derivatives")
    k_rs = np.where(inside & ~k_res, "kink: one-sided error bars too wide", k_rs)
    k_rs = np.where(known, np.char.add("known ", k_rs.astype(str)).astype(object), k_rs)
    pick_fw = np.abs(g - fw) <= np.abs(g - bw)  # the closer side is the oracle shown
    return k_st, k_rs, np.where(pick_fw, fw, bw), np.where(pick_fw, fw_err, bw_err)


def _stage_coinciding_kinks(prob, v, G, V, rtol, lossy_abs):
    """Subgradients accepted coordinate by coordinate must also hold together (and the elements
    left unresolved at kinks that coincide are held to the same test).

    Where several coordinates sit on kinks at once (relu units with exact zeros in the data,
    max-pool windows with ties), a gradient is right when it is the limit of true gradients from
    some nearby point: the frameworks' conventions (relu'(0) = 0, the first maximum takes the
    gradient) are.  Each such limit agrees with f along every direction in which f is smooth at
    x.  Moving all the kinked coordinates together is one such direction for ties (max(a, b) at
    a = b grows at the common rate), so where f is smooth along it, the gradient's sum over them
    must equal f's rate of change along it; routing the whole gradient to every tied unit does
    not.  Where f is not smooth along it, nothing is concluded (the per-coordinate verdicts
    stand)."""
    K = np.flatnonzero((V.status[:, 0] == SUBGRADIENT) |
                       ((V.status[:, 0] == UNRESOLVED) & V.kinked[:, 0]))
    if K.size < 2:
        return
    d = np.zeros(prob.n)
    d[K] = 1.0

    def evaluate(rows, t):
        return np.stack([np.asarray(prob.line(float(ti), d), dtype=np.float64).reshape(-1)
                         for ti in np.atleast_1d(t)])

    along = Stencil(evaluate, np.zeros(1), np.asarray(prob.f0, dtype=np.float64).reshape(1, -1))
    (c, c_err), (fw, fw_err), (bw, bw_err) = richardson(
        along, [0], np.array([default_step(np.max(np.abs(v[K])), tol.FD_H0)]),
        levels=tol.CHECK_LEVELS, eps=prob.eps)
    c, c_err, fw, fw_err, bw, bw_err = (float(a.ravel()[0]) for a in (c, c_err, fw, fw_err,
                                                                       bw, bw_err))
    smooth = abs(fw - bw) <= fw_err + bw_err + rtol * max(abs(fw), abs(bw)) + tol.CHECK_ATOL
    total = float(G[K, 0].sum())
    bound = c_err + rtol * abs(c) + lossy_abs * K.size + tol.CHECK_ATOL
    if smooth and abs(total - c) > bound:
        V.status[K, 0] = MISMATCH
        V.structural[K, 0] = True
        # the oracle shown: the gradient scaled to f's rate along the tied coordinates
        V.est[K, 0] = G[K, 0] * (c / total) if total else c / K.size
        V.err[K, 0] = bound / K.size
        V.name[K, 0] = ONE_SIDED
        V.reason[K, 0] = (f"coinciding kinks: the gradient over the {K.size} kinked elements sums "
                          f"to {total:.6e}, but f changes at {c:.6e} when they move together "
                          f"(no nearby point has this gradient)")


SCALE_VERIFIED = "verified to the gradient's scale"


def _stage_scale(V, G, S, rtol):
    """An element left unresolved away from kinks whose oracle agrees with it within a bar of at
    most CHECK_SCALE_RESOLVE_REL of the gradient's scale S is verified to that scale: an error
    of 1e-6 S cannot hide in it, though any error below its bar (up to 1e-7 S, which may be a
    large part of an element far below S) could.  The reason says so, with the bar relative to
    the element.  Not where a settled one-sided tableau disagrees with the element; only for a
    scalar f of many coordinates (an elementwise f's elements and a vector f's outputs are
    functions of their own scales), and not where ``atol`` is given (it sets the scale)."""
    floor = tol.CHECK_SCALE_RESOLVE_REL * S
    with np.errstate(invalid="ignore"):
        agree = np.abs(G - V.est) <= V.err + tol.CHECK_ATOL + rtol * np.abs(V.est)
        ok = (V.status == UNRESOLVED) & ~V.kinked & agree & (V.err <= floor) & \
            np.isfinite(V.est)
    # not where a settled one-sided tableau disagrees (the one-sided stage's note says so):
    # read on the few candidates only
    for r, c in zip(*np.nonzero(ok)):
        if "disagrees" in str(V.reason[r, c]):
            ok[r, c] = False
    for r, c in zip(*np.nonzero(ok)):
        size = max(abs(G[r, c]), abs(V.est[r, c]))
        shown = f"{V.err[r, c] / size:.0e} of itself" if size > 0 else "an absolute bound"
        V.reason[r, c] = (f"{SCALE_VERIFIED}: {V.name[r, c]} agrees within {V.err[r, c]:.1e}, "
                          f"at most {tol.CHECK_SCALE_RESOLVE_REL:.0e} of the gradient's scale "
                          f"{S:.1e}; that is {shown}, not the 1e-7 of itself checked elsewhere "
                          f"(an error below the bar in this element is not excluded)")
    V.status[ok] = VERIFIED


def _explain_unresolved(V, G, lossy_abs, noise_floor):
    """Say, for each unresolved element, how wide the bar was against what it had to be (and,
    after it, what the confirmation found)."""
    rows, cols = np.nonzero((V.status == UNRESOLVED) & (V.name == RICHARDSON))
    for r, c in zip(rows, cols):
        need = max(tol.CHECK_RESOLVE_REL * max(abs(G[r, c]), abs(V.est[r, c])), lossy_abs)
        more = "" if V.reason[r, c] == TOO_WIDE else f"; {V.reason[r, c]}"
        if np.isfinite(V.err[r, c]):
            V.reason[r, c] = (f"richardson's error bar {V.err[r, c]:.1e} is wider than the "
                              f"{need:.1e} needed (the noise of f is {noise_floor:.1e}){more}")
        else:  # not the noise: a step left f's domain or its float range
            V.reason[r, c] = (f"richardson has no error bar (f is not finite at a step of its "
                              f"stencil, or the noise of f could not be measured); "
                              f"{need:.1e} was needed{more}")


def _stage_lossy(V, G, lossy_abs, strict, eps=tol.EPS):
    """A mismatch by less than the gradient's rounding scale (beyond the oracle's bar) is lossy:
    the formula is right and has lost digits there.  With ``strict`` it stays a failure.

    The reason counts digits in the arithmetic's own precision: -log10(eps/2), 16 for float64
    and 7 for float32 (``eps`` is the unit roundoff the check judged with), and says "within
    the rounding scale" only where the disagreement is; beyond it and within the scale plus the
    oracle's error bar, it says so."""
    with np.errstate(all="ignore"):
        off = np.abs(G - V.est)
        small = ((V.status == MISMATCH) | (V.status == LOSSY)) & (off <= lossy_abs + V.err) & \
            np.isfinite(V.est) & ~V.structural
    if not small.any():
        return
    total = float(-np.log10(eps / 2))
    rows, cols = np.nonzero(small)
    for r, c in zip(rows, cols):
        e = abs(V.est[r, c])
        with np.errstate(all="ignore"):
            digits = total if off[r, c] == 0 else \
                (-np.log10(off[r, c] / e) if e > 0 else 0.0)
        digits = float(np.clip(digits, 0.0, total))
        within = (f"within the gradient's rounding scale {lossy_abs:.1e}"
                  if off[r, c] <= lossy_abs else
                  f"within the gradient's rounding scale {lossy_abs:.1e} plus the oracle's "
                  f"error bar {V.err[r, c]:.1e}")
        V.reason[r, c] = (f"lossy: right to {digits:.0f} of {total:.0f} digits (off by "
                          f"{off[r, c]:.1e}, {within}; {V.reason[r, c]})")
        if not strict:
            V.allowance[r, c] = lossy_abs + V.err[r, c]
            V.status[r, c] = LOSSY
