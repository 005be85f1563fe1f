"""Pictures of a derivative formula and its accuracy (needs the ``plot`` extra, matplotlib);
``refnet plot`` (:mod:`refnet.cli.plot`) draws them from the command line.

:func:`plot_activation` draws f, f′ and f″ over z, and under them the relative error
(log10) against mpmath of refnet's derivative, the notebook-style output form, ``jax.grad`` of
the twin and of ``jax.nn``'s own function, Richardson differences and the complex step.
:func:`plot_steps` draws the error of a central difference against its
step size (the truncation/rounding V) with Richardson and the complex step beside it.
"""

from __future__ import annotations

import numpy as np

from refnet import activations as act_mod
from refnet import oracles, study
from refnet import tolerances as tol
from refnet._install import hint

_FLOOR = 1e-18  # exact results are drawn at this floor, below one ulp of anything


def _pyplot():
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(f"plotting needs matplotlib: {hint('plot')}") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _rel(value, ref):
    value = np.asarray(value, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(value - ref) / np.maximum(np.abs(ref), tol.TINY)
    rel = np.where(np.isfinite(rel), rel, 1e3)
    return np.log10(np.maximum(rel, _FLOOR))


def plot_activation(name, path, *, points=801):
    """f, f′, f″ and the log10 relative error of each formula and oracle for f′."""
    plt = _pyplot()
    fig = activation_figure(name, points=points)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def activation_figure(name, *, points=801):
    """The figure of :func:`plot_activation`.  Each legend sits beside its panel, outside it,
    so that it hides no curve whatever the activation's curves do."""
    plt = _pyplot()
    act = act_mod.ACTIVATIONS[name]
    p = dict(act.params)
    lim = 40.0 if name in study._WIDE else 12.0
    z = np.linspace(-lim, lim, points)
    z = z[~np.isin(z, act.kinks)]
    ref = oracles.mp_value(name, z, 1, **p)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 8))
    zz = np.linspace(-min(lim, 6.0), min(lim, 6.0), 601)
    top.plot(zz, act.forward(zz, **p), label="f")
    top.plot(zz, act.derivative(zz, **p), label="f′")
    top.plot(zz, act.second_derivative(zz, **p), label="f″")
    top.set_title(f"{name}{' ' + str(p) if p else ''}")
    top.set_xlabel("z")
    top.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    top.grid(alpha=0.3)
    f = lambda x: act.forward(x, **p)
    curves = [("derivative(z)", act.derivative(z, **p))]
    if act.derivative_from_output is not None:
        curves.append(("output form f′(s)", act.derivative_from_output(f(z), **p)))
    curves.append(("jax.grad(twin)", oracles.twin_derivative(name, z, **p)))
    j = study._jax_nn_derivative(name, z, p)
    if j is not None:
        curves.append((f"jax.grad(jax.nn.{name})", j))
    curves.append(("Richardson", oracles.richardson_derivative(f, z)[0]))
    if act.analytic:
        curves.append(("complex step", oracles.complex_step_derivative(f, z)[0]))
    for i, (label, v) in enumerate(curves):
        style = {"ls": "--", "lw": 2.0} if label.startswith("output form") else {"lw": 1.0}
        bottom.plot(z, _rel(v, ref), label=label, zorder=10 - i, **style)
    bottom.axhline(np.log10(tol.EPS), color="k", ls=":", lw=0.8, label="1 ulp (ε)")
    bottom.set_xlim(-lim, lim)
    bottom.set_ylim(np.log10(_FLOOR) - 0.5, 1)
    bottom.set_xlabel("z")
    bottom.set_ylabel("log10 relative error of f′ vs mpmath")
    bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    bottom.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_steps(name, path, *, at=None):
    """Central-difference error against step size at one z, with Richardson and the complex
    step drawn as levels."""
    plt = _pyplot()
    s = study.step_study(name)
    j = 3 if at is None else int(np.argmin(np.abs(np.asarray(s["z"]) - at)))
    h = np.asarray(s["steps"])
    err = np.asarray(s["central_error"])[:, j]
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.loglog(h, np.maximum(err, _FLOOR), label="central difference")
    ax.axvline(s["rule_step"], color="k", ls=":", label="ε^(1/3)")
    ax.axhline(max(s["richardson_error"][j], _FLOOR), color="C1", ls="--",
               label="Richardson (6 levels)")
    if s["complex_step_error"] is not None:
        ax.axhline(max(s["complex_step_error"][j], _FLOOR), color="C2", ls="-.",
                   label="complex step, h = 1e-20")
    ax.set_xlabel("step h")
    ax.set_ylabel("relative error of f′ vs mpmath")
    ax.set_title(f"{name}: finite-difference error against step size at z = {s['z'][j]:g}")
    ax.legend()
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
