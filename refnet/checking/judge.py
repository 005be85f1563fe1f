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
   with the reason, and not a failure.  An arbiter (mpmath for a registry activation) then
   decides those elements.

The tolerances and their reasons live in :mod:`refnet.tolerances`.
"""

from __future__ import annotations

import numpy as np

from refnet import tolerances as tol
from refnet.checking.errors import Abort
from refnet.checking.probe import Line, probe_complex
from refnet.checking.probe import complex_step as complex_step_pass
from refnet.checking.problems import Problem, center_values
from refnet.checking.report import MISMATCH, SUBGRADIENT, UNRESOLVED, VERIFIED
from refnet.oracles.differences import default_step, richardson

__all__ = ["fast_pass", "judge"]


def _richardson(prob: Problem, v, idx, *, side, noise, h0=tol.FD_H0):
    """Richardson tableaux (central, forward, backward) on coordinates ``idx`` of the problem
    (:func:`refnet.oracles.differences.richardson`)."""
    k = len(idx)
    f0 = center_values(prob, idx, np.broadcast_to(
        prob.f0[None, :] if prob.p > 1 else prob.f0[0], (k, prob.p)))
    return richardson(lambda rows, t: prob.shift(idx[rows], t), v[idx], f0,
                      default_step(v[idx], h0), side=side, levels=tol.CHECK_LEVELS, noise=noise)


def fast_pass(prob, v, idx_all, complex_step, rng, skip=None):
    """The fast pass: complex step where f is complex-safe, else one central difference.

    Returns (fast oracles, complex-safe?, why not, the noise pair from the line analysis)."""
    line = Line(prob, v, rng)
    d = line.d
    fast = {}
    safe, why = False, "switched off"
    if complex_step in ("auto", True):
        # first against differences with a rounding-only error bar (8 evaluations); a noisy f
        # may fail that, so then again with the measured noise floor (65 more)
        est, err = line.directional(with_noise=False)
        safe, why = probe_complex(prob, d, est, err, skip)
        if not safe:
            est, err = line.directional(with_noise=True)
            safe, why = probe_complex(prob, d, est, err, skip)
        if complex_step is True and not safe:
            raise Abort(f"complex_step=True but f is not complex-safe: {why}")
    if safe:
        c_est, c_err = complex_step_pass(prob, idx_all)
        fast["complex step"] = (c_est, c_err, np.ones(prob.n, bool))
    else:
        noise = line.noise()
        h = default_step(v[idx_all], tol.CHECK_FAST_STEP)
        fp = prob.shift(idx_all, h)
        fm = prob.shift(idx_all, -h)
        f0 = center_values(prob, idx_all, np.broadcast_to(
            prob.f0[None, :] if prob.p > 1 else prob.f0[0], (idx_all.size, prob.p)))
        with np.errstate(all="ignore"):
            c_est = (fp - fm) / (2 * h)[:, None]
            # one-sided differences from the same values: for a smooth f they differ by
            # h f'' (tiny at h ~ 7.6e-6); where they differ by more than 1e-3 of the value
            # there may be a kink at x, and the element goes on to the one-sided judge
            split = np.abs((fp - f0) - (f0 - fm)) / h[:, None] > 1e-3 * np.abs(c_est) + \
                np.maximum(noise.reshape(-1)[idx_all] if prob.elementwise else noise.max(),
                           tol.FD_EVAL_ULPS * tol.EPS * np.abs(f0)) * 4 / h[:, None]
        avail = np.isfinite(c_est).all(axis=1) & ~split.any(axis=1)
        fast["central difference"] = (c_est, np.zeros_like(c_est), avail)
    return fast, safe, why, line


def judge(prob: Problem, v, G, *, fast: dict, extra: dict, known_kink=None, near_side=None,
           line_noise, arbiter=None):
    """Judge every element; returns per-element arrays and the oracle tables.

    G is (n, p).  ``fast`` maps an exact oracle's name to (estimate, error, available) arrays
    that may accept an element; ``extra`` maps more oracles (mpmath) to the same, judged like
    Richardson (their error bar is honest).  ``known_kink`` (n,) marks elements at a kink,
    ``near_side`` (n,) a one-sided stencil direction for elements beside one (0 elsewhere).
    ``line_noise`` is the :class:`Line` through x (its noise floor, measured on demand).  ``arbiter`` is an optional
    (name, fn): fn(rows) returns (estimate, error) for those elements with an honest bar, and is
    asked only about the elements the differences leave unresolved (mpmath, on demand).
    """
    n, p = G.shape
    status = np.full((n, p), -1)
    reason = np.full((n, p), "", dtype=object)
    best_name = np.full((n, p), "", dtype=object)
    best_est = np.full((n, p), np.nan)
    best_err = np.full((n, p), np.inf)
    oracle_vals: dict[str, tuple] = {}
    kink = np.zeros(n, bool) if known_kink is None else known_kink.copy()
    near_side = np.zeros(n, int) if near_side is None else near_side

    def record(name, rows, est, err):
        if name not in oracle_vals:
            oracle_vals[name] = (np.full((n, p), np.nan), np.full((n, p), np.nan))
        oracle_vals[name][0][rows] = est
        oracle_vals[name][1][rows] = err

    scale = lambda a, b: np.maximum(np.abs(a), np.abs(b))  # noqa: E731

    # 1. fast pass (exact oracles may not judge an element at a kink)
    for name, (est, err, avail) in fast.items():
        rows = np.flatnonzero(avail & ~kink & (near_side == 0))
        if rows.size == 0:
            continue
        record(name, rows, est[rows], err[rows])
        acc = np.abs(G[rows] - est[rows]) <= tol.CHECK_FAST_RTOL * scale(est[rows], G[rows]) + \
            tol.CHECK_ATOL
        acc &= status[rows] < 0
        r_ix, c_ix = np.nonzero(acc)
        rr = rows[r_ix]
        status[rr, c_ix] = VERIFIED
        best_name[rr, c_ix] = name
        best_est[rr, c_ix] = est[rows][r_ix, c_ix]
        best_err[rr, c_ix] = err[rows][r_ix, c_ix]
        reason[rr, c_ix] = f"agrees with the {name}"

    # extra oracles with honest error bars (mpmath): judged like Richardson, away from kinks
    for name, (est, err, avail) in extra.items():
        rows = np.flatnonzero(avail & ~kink)
        if rows.size == 0:
            continue
        record(name, rows, est[rows], err[rows])

    # 2. the rest: Richardson, noise floor, kink detection
    pending = np.flatnonzero((status < 0).any(axis=1))
    line = line_noise
    if pending.size:
        line_noise = line.narrow()
    else:
        # every element verified at once: no verdict needed the measured floor (65 more
        # evaluations), so the report gives the rounding model eval_ulps·eps·|f| instead
        line_noise = tol.FD_EVAL_ULPS * tol.EPS * np.abs(prob.f0).reshape(-1)
    finite = line_noise[np.isfinite(line_noise)]
    noise_floor = float(np.max(finite, initial=0.0))
    noise_measured = line._noise is not None
    if pending.size:
        ln = line_noise[pending][:, None] if prob.elementwise else line_noise[None, :]
        noise = np.broadcast_to(ln, (pending.size, p))
        side = near_side[pending]
        (c_est, c_err), (fw, fw_err), (bw, bw_err) = _richardson(prob, v, pending, side=side,
                                                                 noise=noise)
        # a tableau not resolved to CHECK_RESOLVE_REL may have started from a step too large
        # for how fast f varies there (gelu's tail varies on a scale 1/|z|, the step is |z|
        # 2**-6): try smaller steps on those elements and keep the narrowest honest bar
        for rel in tol.CHECK_REFINE_STEPS:
            redo = np.flatnonzero((c_err > tol.CHECK_RESOLVE_REL * scale(c_est, G[pending]))
                                  .any(axis=1))
            if redo.size == 0:
                break
            (r_est, r_err), _, _ = _richardson(prob, v, pending[redo], side=side[redo],
                                               noise=noise[redo], h0=rel)
            better = r_err < c_err[redo]
            c_est[redo] = np.where(better, r_est, c_est[redo])
            c_err[redo] = np.where(better, r_err, c_err[redo])
        record("richardson", pending, c_est, c_err)
        g = G[pending]
        tolr = tol.CHECK_ATOL + tol.CHECK_RTOL * np.abs(c_est)
        one_sided_split = np.abs(fw - bw) > fw_err + bw_err + tol.CHECK_RTOL * scale(fw, bw) \
            + tol.CHECK_ATOL
        at_kink = (kink[pending][:, None] | one_sided_split) & (side == 0)[:, None]
        agree = np.abs(g - c_est) <= c_err + tolr
        resolved = c_err <= tol.CHECK_RESOLVE_REL * scale(c_est, g)
        # elements judged by the central tableau (and extra oracles)
        st = np.where(agree, np.where(resolved, VERIFIED, UNRESOLVED), MISMATCH)
        rs = np.where(agree, np.where(resolved, "agrees with richardson",
                                      f"noise floor: error bar wider than {tol.CHECK_RESOLVE_REL:g} of the value"),
                      "disagrees with richardson beyond its error bar")
        # mpmath etc: an honest bar; a mismatch there is a mismatch, an agreement verifies
        judges = [(name, est[pending], err[pending], avail[pending][:, None] & ~at_kink)
                  for name, (est, err, avail) in extra.items()]
        if arbiter is not None:
            # on demand: only the elements the differences leave unresolved
            ask = np.flatnonzero(((st == UNRESOLVED) & ~at_kink).any(axis=1))
            if ask.size:
                a_name, a_fn = arbiter
                a_est, a_err = np.full((pending.size, p), np.nan), np.full((pending.size, p),
                                                                           np.inf)
                a_est[ask], a_err[ask] = a_fn(pending[ask])
                record(a_name, pending[ask], a_est[ask], a_err[ask])
                a_avail = np.zeros((pending.size, p), bool)
                a_avail[ask] = True
                judges.append((a_name, a_est, a_err, a_avail & ~at_kink))
        for name, e_est, e_err, a in judges:
            ok_e = np.abs(g - e_est) <= e_err + tol.CHECK_ATOL + tol.CHECK_RTOL * np.abs(e_est)
            rs = np.where(a & ok_e & (st != MISMATCH), f"agrees with {name}", rs)
            st = np.where(a & ok_e & (st != MISMATCH), VERIFIED, st)
            st = np.where(a & ~ok_e, MISMATCH, st)
            rs = np.where(a & ~ok_e, f"disagrees with {name}", rs)
        # kinks: judged one-sided; a subgradient between the two sides is accepted
        lo, hi = np.minimum(fw, bw), np.maximum(fw, bw)
        lo_e = np.where(fw <= bw, fw_err, bw_err)
        hi_e = np.where(fw <= bw, bw_err, fw_err)
        inside = (g >= lo - lo_e - tolr) & (g <= hi + hi_e + tolr)
        k_res = np.maximum(fw_err, bw_err) <= tol.CHECK_KINK_RESOLVE_REL * scale(fw, bw) + \
            tol.CHECK_ATOL
        on_side = (np.abs(g - fw) <= fw_err + tolr) | (np.abs(g - bw) <= bw_err + tolr)
        k_st = np.where(inside, np.where(k_res, SUBGRADIENT, UNRESOLVED), MISMATCH)
        known = kink[pending][:, None]
        k_rs = np.where(inside,
                        np.where(on_side, "kink: equals a one-sided derivative",
                                 "kink: between the one-sided derivatives"),
                        "kink: outside the one-sided derivatives")
        k_rs = np.where(inside & ~k_res, "kink: one-sided error bars too wide", k_rs)
        k_rs = np.where(known, np.char.add("known ", k_rs.astype(str)).astype(object), k_rs)
        st = np.where(at_kink, k_st, st)
        rs = np.where(at_kink, k_rs, rs)
        beside = (side != 0)[:, None] & np.ones((1, p), bool)
        rs = np.where(beside & (st != MISMATCH),
                      np.char.add(rs.astype(str), " (one-sided beside a kink)").astype(object), rs)
        # the best (closest) one-sided value is the oracle shown at a kink
        pick_fw = np.abs(g - fw) <= np.abs(g - bw)
        k_est = np.where(pick_fw, fw, bw)
        k_err = np.where(pick_fw, fw_err, bw_err)
        if at_kink.any():
            record("one-sided", pending[at_kink.any(axis=1)], fw[at_kink.any(axis=1)],
                   fw_err[at_kink.any(axis=1)])
            record("one-sided(-)", pending[at_kink.any(axis=1)], bw[at_kink.any(axis=1)],
                   bw_err[at_kink.any(axis=1)])
        todo = status[pending] < 0
        sub_status = status[pending]
        sub_status[todo] = st[todo]
        status[pending] = sub_status
        for arr, val in ((reason, rs), (best_est, np.where(at_kink, k_est, c_est)),
                         (best_err, np.where(at_kink, k_err, c_err))):
            sub = arr[pending]
            sub[todo] = val[todo]
            arr[pending] = sub
        sub = best_name[pending]
        sub[todo] = np.where(at_kink, "one-sided", "richardson")[todo]
        best_name[pending] = sub
    return status, reason, best_name, best_est, best_err, oracle_vals, (noise_floor, noise_measured)
