"""Probing f along one direction: its noise floor, a directional derivative, and whether it is
complex-safe."""

from __future__ import annotations

import warnings

import numpy as np

from refnet import tolerances as tol
from refnet.checking.problems import Problem
from refnet.oracles.complex_step import error_bar
from refnet.oracles.differences import default_step, noise_floor, tableau

__all__ = ["Line", "LINE_POINTS", "probe_complex", "complex_step"]

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
        self._values = {0: prob.f0.reshape(-1)}
        self._noise = None
        self._narrow = None

    def _at(self, js, spacing):
        """f at x + j·spacing·d for each j (cached for the wide spacing), rows (len(js), q)."""
        wide = spacing == self.h0 / LINE_POINTS
        out = []
        for j in js:
            if wide and j in self._values:
                out.append(self._values[j])
                continue
            val = self.prob.line(j * spacing, self.d).reshape(-1) if j else self._values[0]
            if wide:
                self._values[j] = val
            out.append(val)
        return np.stack(out)

    def noise(self):
        """The noise bound of one evaluation (wide fit), (p,) or (n,)."""
        if self._noise is None:
            js = np.arange(-LINE_POINTS, LINE_POINTS + 1)
            self._noise = tol.CHECK_NOISE_SIGMAS * noise_floor(self._at(js, self.h0 / LINE_POINTS))
        return self._noise

    def narrow(self):
        """The smaller of the wide and the narrow fit (64 more evaluations; only Richardson
        needs it)."""
        if self._narrow is None:
            js = np.arange(-LINE_POINTS, LINE_POINTS + 1)
            F = self._at(js, self.h0 / LINE_POINTS * tol.CHECK_NOISE_NARROW)
            self._narrow = np.minimum(self.noise(), tol.CHECK_NOISE_SIGMAS * noise_floor(F))
        return self._narrow

    def directional(self, with_noise):
        """The directional derivative by a Richardson tableau at steps h0, h0/2, h0/4, h0/8,
        with its error bar: rounding eval_ulps·eps·|f| per evaluation, or the measured noise
        floor when ``with_noise``."""
        rows, errs = [], []
        floor = self.noise() if with_noise else 0.0
        for k in range(tol.CHECK_LEVELS):
            j = LINE_POINTS >> k
            hk = self.h0 * 2.0**-k
            fp, fm = self._at([j, -j], self.h0 / LINE_POINTS)
            with np.errstate(all="ignore"):
                rows.append((fp - fm) / (2 * hk))
                e_eval = np.maximum(floor, tol.FD_EVAL_ULPS * tol.EPS * np.maximum(abs(fp), abs(fm)))
                errs.append(e_eval / hk)
        return tableau(rows, errs, 2.0)


def probe_complex(prob: Problem, d, est, err, skip=None) -> tuple[bool, str]:
    """Is f complex-safe?  Im f(x + i h d)/h with warnings as errors, against differences."""
    if prob.n == 0:
        return False, "no elements"
    h = tol.COMPLEX_STEP_H
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="ignore"):  # underflow in exp is benign; NaN is checked below
                cs = prob.cline(h, d)
    except Exception as exc:  # ComplexWarning, TypeError, FloatingPointError, ...
        return False, f"f rejects complex input ({type(exc).__name__}: {str(exc)[:60]})"
    if cs.size != est.size or not np.all(np.isfinite(cs) | ~np.isfinite(prob.f0)):
        return False, "f is not finite (or changes shape) at a complex point"
    if not np.any(cs.imag != 0) and np.any(np.abs(est) > err):
        return False, "the imaginary part of f does not move (abs, float() or a cast drops it)"
    # the imaginary part must also be right (conj, abs of a complex value break it); a
    # disagreement only costs speed, never a verdict
    dcs = cs.imag / h
    fine = np.abs(dcs - est) <= err + tol.CHECK_PROBE_RTOL * np.abs(est) + \
        tol.COMPLEX_STEP_FLOOR
    fine |= ~np.isfinite(err)
    if skip is not None:  # elements at or beside a known kink: the line crosses it
        fine |= skip
    if not np.all(fine):
        return False, "Im f(x + ih)/h disagrees with differences (f is not analytic in complex)"
    return True, ""


def complex_step(prob: Problem, idx):
    """Im f(x + ih e_i)/h on coordinates ``idx``, with its error bar."""
    h = tol.COMPLEX_STEP_H
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            cs = prob.cshift(idx, h)
    est = cs.imag / h
    err = error_bar(est)
    return est, err
