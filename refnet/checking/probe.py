"""Probing f along one direction: its noise floor, a directional derivative, and whether it is
complex-safe."""

from __future__ import annotations

import warnings

import numpy as np

from refnet import tolerances as tol
from refnet.checking.problems import Problem
from refnet.oracles.complex_step import quotient
from refnet.oracles.differences import Stencil, default_step, noise_floor, quotients, tableau

__all__ = ["Line", "LINE_POINTS", "evaluation_noise", "complex_line_values", "complex_safety",
           "complex_step"]

LINE_POINTS = 32  # points on each side of x along the probe direction, spacing h0/32


class Line:
    """f along one direction d through x: the noise floor and a directional derivative.

    d is a random unit vector (for an elementwise f: every element moves by its own step
    scale).  The directional Richardson tableau needs f at x ± h0·2^-k d only (k = 0..3, 8
    evaluations); the noise floor needs f at x + j (h0/32) d for j = -32..32 and again at
    spacing h0/32 * CHECK_NOISE_NARROW, and is computed only when asked for (the fast pass
    that verifies every element never asks).  The noise (:func:`_fit_noise`) is the smaller of
    the two fits: a degree-6 fit over the wide span leaves the curvature of a fast-varying f
    (gelu's Gaussian tail: its seventh derivative is z**7 times f) in the residual, which would
    pass for noise; over the narrow span that misfit is 2**-42 times smaller, while rounding
    noise is the same.  CHECK_NOISE_SIGMAS of it bound the error of one evaluation.
    """

    def __init__(self, prob: Problem, v, rng):
        self.prob = prob
        if prob.elementwise:
            d = default_step(v, 1.0)
        else:
            d = rng.standard_normal(prob.n)
            d /= max(np.linalg.norm(d), tol.TINY)
        self.d = d
        self.h0 = tol.FD_H0

        def along(rows, t):
            if prob.lines is not None:  # a vectorized f: the line's points in one call
                return prob.lines(np.asarray(t), d)
            return np.stack([prob.line(ti, d).reshape(-1) for ti in np.asarray(t).tolist()])

        # f along the line as a stencil of one coordinate: every point is taken once
        self.stencil = Stencil(along, np.zeros(1), prob.f0.reshape(1, -1))
        self._noise = None
        self._narrow = None

    def _at(self, js, spacing):
        """f at x + j·spacing·d for each j, rows (len(js), q)."""
        js = np.asarray(js)
        return self.stencil.at(np.zeros(js.size, np.int64), js * spacing)

    def noise(self):
        """The noise bound of one evaluation (wide fit), (p,) or (n,)."""
        if self._noise is None:
            js = np.arange(-LINE_POINTS, LINE_POINTS + 1)
            self._noise = tol.CHECK_NOISE_SIGMAS * noise_floor(self._at(js, self.h0 / LINE_POINTS))
        return self._noise

    @property
    def noise_measured(self) -> bool:
        """Whether the noise floor of f was measured along the line (65 evaluations)."""
        return self._noise is not None

    def narrow(self):
        """The smaller of the wide and the narrow fit (64 more evaluations; only Richardson
        needs it)."""
        if self._narrow is None:
            js = np.arange(-LINE_POINTS, LINE_POINTS + 1)
            F = self._at(js, self.h0 / LINE_POINTS * tol.CHECK_NOISE_NARROW)
            # a narrow span over which f did not change at all (a flat step of a staircase)
            # has no residual and says nothing about the noise: the wide fit stands there
            narrow = np.where(np.any(F != F[LINE_POINTS], axis=0),
                              tol.CHECK_NOISE_SIGMAS * noise_floor(F, flat_says_nothing=True),
                              np.inf)
            self._narrow = np.minimum(self.noise(), narrow)
        return self._narrow

    def moved(self):
        """Per output: did f change anywhere along the line, among the points taken so far?"""
        return np.any(self.stencil.taken() != self.stencil.f0[0], axis=0)

    def directional(self, with_noise):
        """The directional derivative by a Richardson tableau at steps h0, h0/2, h0/4, h0/8,
        with its error bar: the rounding model (:func:`evaluation_noise`) per evaluation, or
        the measured noise floor when ``with_noise``."""
        js = LINE_POINTS >> np.arange(tol.CHECK_LEVELS)
        spacing = self.h0 / LINE_POINTS
        # take the points first: what moved sets the floor
        fp, fm = self._at(js, spacing), self._at(-js, spacing)
        floor = evaluation_noise(self.prob, self.noise() if with_noise else np.zeros(1),
                                 self.moved())
        rounding = lambda f: np.maximum(floor, tol.FD_EVAL_ULPS * self.prob.eps * np.abs(f))
        h = (js * spacing)[:, None]
        (rows, errs), _, _ = quotients(fp, fm, self.stencil.f0, h, h, rounding(fp), rounding(fm),
                                       0)
        return tableau(rows, errs, 2.0)[:2]


def evaluation_noise(prob, measured, moved=None):
    """The error of one evaluation of f, per output (per element of an elementwise f): the
    measured noise floor, at least FD_EVAL_ULPS eps |f|.

    Where an output did not move at all along the probe line (``moved`` False), its own |f|
    says nothing about its rounding: a value far below the intermediates it is computed from
    (log(1 + e^z) at z = -40 is 0, with the rounding of the 1 inside it) carries theirs, and
    eps·|f_i| would be an error bar that the truth falls outside.  There the floor is that of
    intermediates of size 1 (the scale on which f is assumed to vary, as for the steps) or
    |f_i| if larger."""
    f0 = np.abs(np.asarray(prob.f0, dtype=np.float64)).reshape(-1)
    finite = np.where(np.isfinite(f0), f0, 0.0)
    floor = np.maximum(np.asarray(measured, dtype=np.float64).reshape(-1),
                       tol.FD_EVAL_ULPS * prob.eps * finite)
    if moved is not None:
        unit = tol.FD_EVAL_ULPS * prob.eps * np.maximum(finite, 1.0)
        floor = np.where(np.asarray(moved).reshape(-1), floor, np.maximum(floor, unit))
    return floor


def complex_line_values(prob: Problem, d):
    """f at x + i h d, once, with warnings as errors: ``(values, "")``, or ``(None, why not)``
    where f rejects complex input, is not finite or changes shape there (nothing a difference
    could change).  :func:`complex_safety` then judges the values against differences."""
    if prob.n == 0:
        return None, "no elements"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="ignore"):  # underflow in exp is benign; NaN is checked below
                cs = np.asarray(prob.cline(tol.COMPLEX_STEP_H, d))
    except Exception as exc:  # ComplexWarning, TypeError, FloatingPointError, ...
        return None, f"f rejects complex input ({type(exc).__name__}: {_clipped(str(exc))})"
    if cs.size != np.asarray(prob.f0).size or \
            not np.all(np.isfinite(cs) | ~np.isfinite(prob.f0.reshape(-1))):
        return None, "f is not finite (or changes shape) at a complex point"
    return cs, ""


def _clipped(text: str, width: int = 80) -> str:
    """``text`` on one line, cut at a word (never inside one) with "…" where longer than
    ``width``."""
    text = " ".join(text.split())
    if len(text) <= width:
        return text
    cut = text.rfind(" ", 0, width)
    return text[:cut if cut > 0 else width].rstrip(" ,;:") + " …"


def complex_safety(prob: Problem, d, est, err, skip=None, cs=None) -> tuple[bool, str, bool]:
    """Is f complex-safe?  Im f(x + i h d)/h with warnings as errors, against differences.

    ``cs`` is f at x + i h d where already taken (:func:`complex_line_values`); else here.
    Returns ``(safe, why not, validated)``: ``validated`` says that some directional
    difference was resolved well enough (to CHECK_PROBE_RTOL) to confirm the complex step; an
    unvalidated complex step may accept elements but never fail one."""
    if cs is None:
        cs, why = complex_line_values(prob, d)
        if cs is None:
            return False, why, False
    if cs.size != est.size:
        return False, "f is not finite (or changes shape) at a complex point", False
    h = tol.COMPLEX_STEP_H
    if not np.any(cs.imag != 0) and np.any(np.abs(est) > err):
        return False, "the imaginary part of f does not move (abs, float() or a cast drops it)", \
            False
    # the imaginary part must also be right (conj, abs of a complex value break it); a
    # disagreement only costs speed, never a verdict
    dcs, _ = quotient(np.asarray(cs, dtype=complex), h)
    fine = np.abs(dcs - est) <= err + tol.CHECK_PROBE_RTOL * np.abs(est) + \
        tol.COMPLEX_STEP_FLOOR
    # a difference whose bar is too wide to see a 1e-6 disagreement cannot judge it (f has
    # rounded to a constant there, or is noisy): left out
    unresolved = ~np.isfinite(err) | (err > tol.CHECK_PROBE_RTOL * np.abs(est))
    if skip is not None:  # elements at or beside a known kink: the line crosses it
        unresolved |= np.broadcast_to(skip, unresolved.shape)
    fine |= unresolved
    if not np.all(fine):
        return False, "Im f(x + ih)/h disagrees with differences (f is not analytic in complex)", \
            False
    return True, "", bool(np.any(~unresolved))


def complex_step(prob: Problem, idx):
    """Im f(x + ih e_i)/h on coordinates ``idx``, with its error bar
    (:func:`refnet.oracles.complex_step.quotient`)."""
    h = tol.COMPLEX_STEP_H
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            cs = prob.cshift(idx, h)
    return quotient(np.asarray(cs, dtype=complex), h)
