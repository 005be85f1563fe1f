"""Measurements for the study of derivative formulas.

Every figure here is measured against mpmath's correctly rounded values on a fixed sweep:

- :func:`accuracy`: worst and 99.9th-percentile ulps of ``forward``, ``derivative``,
  ``second_derivative``, the notebook-style ``derivative_from_output`` and ``jax.grad`` of
  ``jax.nn``'s own function, with where each form starts to lose accuracy;
- :func:`step_study`: the error of a central difference against its step size (the
  truncation/rounding "V"), the best step and how it compares with the ε^(1/3) rule, beside
  Richardson extrapolation and the complex step;
- :func:`formula_lines`: the formulas, read from the docstrings of the functions themselves,
  so the reference and the code cannot drift apart.
"""

from __future__ import annotations

import functools
import inspect
import re

import numpy as np

from refnet import activations as act_mod
from refnet import oracles, points
from refnet import tolerances as tol

# the notebook's four are studied further out, where their tails saturate
_WIDE = {"sigmoid", "tanh", "relu", "leaky_relu"}


def sweep_points(name: str, dense: int = 4801, tail: int = 400) -> np.ndarray:
    """z dense in [-12, 12] and log-spaced out to ±300 ([-40, 40] and ±700 for the notebook's
    four activations), and log-spaced small magnitudes from 1e-3 to 1 of both signs (half of
    ``tail``: where forms like x·σ(x) or log1p meet cancellation near 0), without the kinks
    themselves.  The same bits on every machine (:mod:`refnet.points`), so the shipped table of
    mpmath values holds them all."""
    lim, far = (40.0, 700.0) if name in _WIDE else (12.0, 300.0)
    t = points.geomspace(lim, far, tail)
    s = points.geomspace(1e-3, 1.0, tail // 2)
    z = np.unique(np.concatenate([np.linspace(-lim, lim, dense), t, -t, s, -s]))
    for k in act_mod.ACTIVATIONS[name].kinks:
        z = z[z != k]
    return z


@functools.cache
def _mp_cached(name: str, order: int, dense: int, tail: int):
    act = act_mod.ACTIVATIONS[name]
    z = sweep_points(name, dense, tail)
    return oracles.mp_value(name, z, order, **act.params)


def _summary(value, ref, z):
    """p99.9 and max ulps where the correctly rounded value is a normal float (or zero), and
    the largest absolute error where it is subnormal: a subnormal has fewer than 53 bits, so
    only its absolute accuracy (in units of 2**-1074) is claimed."""
    value = np.asarray(value, dtype=np.float64)
    normal = (np.abs(ref) >= tol.TINY) | (ref == 0)
    u = np.where(normal, oracles.ulps(value, ref), 0.0)
    i = int(np.argmax(u))
    out = {"p999": float(np.percentile(u[normal], 99.9)) if normal.any() else 0.0,
           "max": float(u[i]), "at": float(z[i])}
    if (~normal).any():
        with np.errstate(invalid="ignore"):
            out["subnormal_max_abs"] = float(np.max(np.abs(value[~normal] - ref[~normal])))
    return out


def _jax_nn_function(name, params):
    """jax.nn's own function for activation ``name`` (not refnet's twin) with ``params`` as
    jax.nn's keywords (the registry's ``frameworks`` declaration), as a function of z alone;
    None if jax.nn lacks it."""
    import jax

    from refnet import twin  # noqa: F401  (float64)

    return act_mod.framework_function(jax.nn, "jax.nn", name, params)


@functools.cache
def _compiled_jax_nn_derivatives(spec):
    """jit(vmap(grad)) of jax.nn's function for each ``(name, params)`` of ``spec``, the one
    to run chosen by its index (``jax.lax.switch``): one compile serves every activation."""
    import jax

    branches = [jax.grad(_jax_nn_function(name, dict(params))) for name, params in spec]
    return jax.jit(lambda i, z: jax.vmap(lambda x: jax.lax.switch(i, branches, x))(z))


def _jax_nn_derivative(name, z, params):
    """jax.grad of jax.nn's own function (not refnet's twin) at each element of ``z``, or None
    if jax.nn lacks it.  One compiled program serves every registry activation (each at its
    default parameters, ``name`` at ``params``) and every length up to the bucket length."""
    if _jax_nn_function(name, params) is None:
        return None
    spec = {n: a.params for n, a in act_mod.ACTIVATIONS.items()
            if _jax_nn_function(n, a.params) is not None}
    spec[name] = params
    spec = tuple((n, tuple(sorted(dict(p).items()))) for n, p in spec.items())
    z = np.asarray(z, dtype=np.float64)
    flat = z.ravel()
    padded = np.zeros(oracles.bucket_length(max(flat.size, 1)))
    padded[:flat.size] = flat
    index = [n for n, _ in spec].index(name)
    out = np.asarray(_compiled_jax_nn_derivatives(spec)(index, padded))
    return out[:flat.size].reshape(z.shape)


def _loss_onset(value, reference, z):
    """Where a form loses accuracy: the smallest |z| from which the relative error exceeds
    2⁻²⁶ (half the digits lost) and from which it reaches 1/2 (every digit lost), with the worst
    relative error; None where it never loses half."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(value - reference) / np.abs(reference)
    rel = np.where(reference == 0, np.where(value == 0, 0.0, np.inf), rel)
    half = rel > 2.0**-26
    if not half.any():
        return None
    every = rel >= 0.5
    return {
        "half_from_abs_z": float(np.min(np.abs(z[half]))),
        "all_from_abs_z": float(np.min(np.abs(z[every]))) if every.any() else None,
        "worst_rel": float(np.max(rel)),
    }


def accuracy(name: str, dense: int = 4801, tail: int = 400) -> dict:
    """The ulp figures of activation ``name`` on its sweep (see the module docstring)."""
    act = act_mod.ACTIVATIONS[name]
    p = dict(act.params)
    z = sweep_points(name, dense, tail)
    f_ref, d_ref, d2_ref = (_mp_cached(name, k, dense, tail) for k in (0, 1, 2))
    d = act.derivative(z, **p)
    out = {
        "name": name,
        "points": int(z.size),
        "range": [float(z.min()), float(z.max())],
        "forward": _summary(act.forward(z, **p), f_ref, z),
        "derivative": _summary(d, d_ref, z),
        "second_derivative": _summary(act.second_derivative(z, **p), d2_ref, z),
        "derivative_from_output": None,
        "jax_nn_grad": None,
    }
    if act.derivative_from_output is not None:
        g = act.derivative_from_output(act.forward(z, **p), **p)
        out["derivative_from_output"] = dict(
            _summary(g, d_ref, z), loss=_loss_onset(g, d_ref, z)
        )
    j = _jax_nn_derivative(name, z, p)
    if j is not None:
        out["jax_nn_grad"] = dict(_summary(j, d_ref, z), loss=_loss_onset(j, d_ref, z))
    out["meets_targets"] = bool(
        out["derivative"]["p999"] <= tol.DERIVATIVE_ULPS_P999
        and out["derivative"]["max"] <= tol.DERIVATIVE_ULPS_MAX
        and out["second_derivative"]["p999"] <= tol.SECOND_DERIVATIVE_ULPS_P999
        and out["second_derivative"]["max"] <= tol.SECOND_DERIVATIVE_ULPS_MAX
    )
    return out


def step_points(name: str) -> np.ndarray:
    """A few smooth points per function for the step-size study, away from kinks."""
    z = np.array([-2.5, -0.7, 0.4, 1.5, 3.0])
    kinks = act_mod.ACTIVATIONS[name].kinks
    for k in kinks:
        z = np.where(np.abs(z - k) < 0.3, z + 0.45, z)
    return z


def step_study(name: str, steps=None) -> dict:
    """Central-difference error against step size at :func:`step_points` (relative to mpmath),
    with Richardson and the complex step beside it."""
    act = act_mod.ACTIVATIONS[name]
    p = dict(act.params)
    z = step_points(name)
    f = lambda x: act.forward(x, **p)
    ref = oracles.mp_value(name, z, 1, **p)
    h = points.logspace(-16, 0, 129) if steps is None else np.asarray(steps, dtype=np.float64)
    scale = np.maximum(np.abs(ref), tol.TINY)
    err = np.empty((h.size, z.size))
    with np.errstate(all="ignore"):
        for i, hi in enumerate(h):
            zp, zm = z + hi, z - hi
            err[i] = np.abs((f(zp) - f(zm)) / (zp - zm) - ref) / scale
    best = np.argmin(np.where(np.isfinite(err), err, np.inf), axis=0)
    rich, _ = oracles.richardson_derivative(f, z)
    out = {
        "name": name,
        "z": z.tolist(),
        "steps": h.tolist(),
        "central_error": err.tolist(),
        "best_step": h[best].tolist(),
        "best_error": err[best, np.arange(z.size)].tolist(),
        "rule_step": float(tol.EPS ** (1 / 3)),
        "rule_error": [float(np.interp(np.log(tol.EPS ** (1 / 3)), np.log(h), err[:, j]))
                       for j in range(z.size)],
        "richardson_error": (np.abs(rich - ref) / scale).tolist(),
        "complex_step_error": None,
    }
    if act.analytic:
        cs, _ = oracles.complex_step_derivative(f, z)
        out["complex_step_error"] = (np.abs(cs - ref) / scale).tolist()
    return out


def _first_line(fn) -> str:
    doc = inspect.getdoc(fn) or ""
    return doc.split("\n\n")[0].replace("\n", " ").strip()


def _validity(fn) -> str:
    """The docstring's prose after its formula, up to its first numpydoc section."""
    doc = re.split(r"\n\n[A-Z][A-Za-z ]*\n-{3,}\n", inspect.getdoc(fn) or "")[0]
    paras = [p.replace("\n", " ").strip() for p in doc.split("\n\n")[1:]]
    return " ".join(paras)


def formula_lines(name: str) -> dict:
    """Formulas as the code's own docstrings state them."""
    act = act_mod.ACTIVATIONS[name]
    out = {
        "forward": _first_line(act.forward),
        "derivative": _first_line(act.derivative),
        "second_derivative": _first_line(act.second_derivative),
        "derivative_from_output": None,
        "validity": None,
        "kinks": list(act.kinks),
        "params": dict(act.params),
    }
    if act.derivative_from_output is not None:
        out["derivative_from_output"] = _first_line(act.derivative_from_output)
        out["validity"] = _validity(act.derivative_from_output)
    else:
        out["validity"] = _validity(act.forward)
    return out


class FormulasTable:
    """The formulas of activations and their measured accuracy, for reading in a notebook:
    ``str()`` is a text table, and Jupyter renders ``_repr_html_`` as an HTML table.

    ``formulas_table(["sigmoid", "tanh"])`` builds one (the figures of :func:`accuracy`: ulps
    against mpmath, 99.9th percentile / max, over the sweep of ``dense`` points)."""

    COLUMNS = ("activation", "f'(z)", "f''(z)", "f ulps", "f' ulps", "f'' ulps", "targets")

    def __init__(self, rows):
        self.rows = rows

    def _cells(self):
        for r in self.rows:
            f, a = r["formulas"], r["accuracy"]
            yield (a["name"], f["derivative"], f["second_derivative"],
                   *(f"{a[k]['p999']:.0f} / {a[k]['max']:.0f}"
                     for k in ("forward", "derivative", "second_derivative")),
                   "met" if a["meets_targets"] else "MISSED")

    def __str__(self) -> str:
        rows = [self.COLUMNS, *self._cells()]
        widths = [min(60, max(len(str(r[i])) for r in rows)) for i in range(len(self.COLUMNS))]
        return "\n".join("  ".join(str(c)[:w].ljust(w) for c, w in zip(r, widths)).rstrip()
                         for r in rows)

    def _repr_html_(self) -> str:
        import html

        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.COLUMNS)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells)
                       + "</tr>" for cells in self._cells())
        return f"<table><tr>{head}</tr>{body}</table>"


def formulas_table(names=None, dense: int = 4801) -> FormulasTable:
    """A :class:`FormulasTable` of the registry activations ``names`` (all by default)."""
    names = list(act_mod.ACTIVATIONS) if names is None else list(names)
    return FormulasTable([{"formulas": formula_lines(n), "accuracy": accuracy(n, dense=dense)}
                          for n in names])
