"""The study of derivative formulas: `refnet formulas` and `refnet plot` from the command line,
and the measurements behind them."""

import json
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from refnet import activations as A
from refnet import oracles, study
from refnet import tolerances as tol
from refnet.cli import main


def _subprocess(*args):
    return subprocess.run([sys.executable, "-m", "refnet", *args], capture_output=True, text=True,
                          timeout=300, check=False)


@pytest.fixture
def refnet(capsys):
    """``refnet ARGS`` in-process (``refnet.cli.main``): returncode, stdout, stderr."""
    def run(*args):
        code = main(list(args))
        out, err = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=out, stderr=err)

    return run


# that every activation meets the targets is test_accuracy's property; here, that the figures
# `refnet formulas` prints are those of its sweep, and its verdict follows them
@pytest.mark.parametrize("name", ["sigmoid", "relu", "gelu"])
def test_accuracy_reports_the_ulps_of_its_sweep(name):
    a = study.accuracy(name, dense=801, tail=100)
    act = A.ACTIVATIONS[name]
    z = study.sweep_points(name, 801, 100)
    assert a["points"] == z.size and not np.isin(z, act.kinks).any()
    for key, order, fn in (("derivative", 1, act.derivative),
                           ("second_derivative", 2, act.second_derivative)):
        ref = oracles.mp_value(name, z, order, **act.params)
        normal = (np.abs(ref) >= tol.TINY) | (ref == 0)
        u = oracles.ulps(fn(z, **act.params), ref)[normal]
        assert a[key]["max"] == u.max() and a[key]["p999"] == np.percentile(u, 99.9), a[key]
    meets = (a["derivative"]["p999"] <= tol.DERIVATIVE_ULPS_P999
             and a["derivative"]["max"] <= tol.DERIVATIVE_ULPS_MAX
             and a["second_derivative"]["p999"] <= tol.SECOND_DERIVATIVE_ULPS_P999
             and a["second_derivative"]["max"] <= tol.SECOND_DERIVATIVE_ULPS_MAX)
    assert a["meets_targets"] is meets is True


def test_the_output_forms_losses_are_located():
    a = study.accuracy("sigmoid", dense=801, tail=100)
    loss = a["derivative_from_output"]["loss"]
    # s(1-s): half the digits go once e^-z < 2^-26 (z ≈ 18), all once σ rounds to 1 (z ≈ 36.7)
    assert 15 < loss["half_from_abs_z"] < 20 and 35 < loss["all_from_abs_z"] < 38
    assert study.accuracy("relu", dense=201, tail=20)["derivative_from_output"]["loss"] is None


def test_step_study_finds_the_v():
    s = study.step_study("tanh")
    err = np.asarray(s["central_error"])
    best = np.asarray(s["best_step"])
    assert np.all((best > 1e-8) & (best < 1e-3))  # the bottom of the V, near ε^(1/3) ≈ 6e-6
    h = np.asarray(s["steps"])
    # both arms rise: rounding at h = 1e-14, truncation at h = 1 (at h = 1e-16, z ± h == z for
    # some z: no step at all, drawn as NaN)
    assert np.all(err[np.argmin(np.abs(h - 1e-14))] > 1e-3) and np.all(err[-1] > 1e-2)
    assert max(s["richardson_error"]) < 1e-10  # six levels: as good as the luckiest single step
    assert max(s["complex_step_error"]) < 1e-14


def test_formulas_command_prints_each_activation():
    r = _subprocess("formulas", "sigmoid", "relu", "--points", "201")  # the one real process
    assert r.returncode == 0, r.stderr
    assert "σ'(z) = σ(z)(1 - σ(z)) = e / (1 + e)²" in r.stdout
    assert "every digit from |z| ≥" in r.stdout
    assert "relu'(0) = 0" in r.stdout


def test_formulas_markdown_and_json(tmp_path, refnet):
    out = tmp_path / "d.md"
    r = refnet("formulas", "tanh", "--points", "201", "--markdown", "-o", str(out))
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert text.startswith("# Derivative formulas") and "| tanh |" in text and "errata" in text
    r = refnet("formulas", "tanh", "--points", "201", "--json")
    data = json.loads(r.stdout)
    assert data[0]["accuracy"]["meets_targets"] is True


def test_formulas_rejects_unknown_names(refnet):
    r = refnet("formulas", "sigmoidd")
    assert r.returncode == 2 and "unknown activation" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize("args", [["sigmoid"], ["--step-size", "tanh"]])
def test_plots_render(tmp_path, args, refnet):
    out = tmp_path / "p.png"
    r = refnet("plot", *args, "-o", str(out))
    assert r.returncode == 0, r.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000


def test_plot_bad_usage(refnet):
    r = refnet("plot", "nope", "-o", "x.png")
    assert r.returncode == 2 and "unknown activation" in r.stderr
    r = refnet("plot", "tanh")
    assert r.returncode == 2 and "-o" in r.stderr


def test_jax_nn_counterparts_are_the_same_functions():
    # the comparison column must differentiate jax.nn's version of the same function
    z = np.array([-1.3, -0.4, 0.5, 2.0])
    for name in ("gelu", "gelu_tanh", "leaky_relu", "elu", "squareplus", "silu"):
        act = A.ACTIVATIONS[name]
        j = study._jax_nn_derivative(name, z, dict(act.params))
        np.testing.assert_allclose(j, act.derivative(z, **act.params), rtol=1e-12)


def test_formulas_table_renders_as_text_and_html():
    table = study.formulas_table(["sigmoid", "relu"], dense=101)
    text = str(table)
    assert text.splitlines()[0].startswith("activation") and "sigmoid" in text and "relu" in text
    html = table._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 3 and "sigmoid" in html


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
_CELL = re.compile(r"(?<!\\)\|")  # a table cell's border, not an escaped \| inside it


def _agree(a: float, b: float, ulps: bool, factor: float = tol.PLATFORM_NOISE_FACTOR) -> bool:
    """Two figures of the page agree across machines: refnet's own ulps within
    tol.PLATFORM_ULPS; a measurement of rounding noise within ``factor`` (plus
    tol.PLATFORM_NOISE_FLOOR): tol.PLATFORM_NOISE_FACTOR, or tol.PLATFORM_STEP_FACTOR for the
    step study's cancellations."""
    if ulps:
        return abs(a - b) <= tol.PLATFORM_ULPS
    return abs(a - b) <= (1 - 1 / factor) * max(abs(a), abs(b)) + tol.PLATFORM_NOISE_FLOOR


def page_differences(old: str, new: str) -> list[str]:
    """What differs in meaning between two versions of docs/derivatives.md, one line each.

    Prose, formulas, names, kinks, the columns' kinds and every targets verdict (met /
    missed) must be the same text.  refnet's own ulps (the f, f′, f″ columns of the accuracy
    table) agree within tol.PLATFORM_ULPS; every other figure (an output form's ulps or
    onset, the complex step's error) is a measurement of rounding and agrees within
    tol.PLATFORM_NOISE_FACTOR; the step study's best steps and errors measure a cancellation
    and agree within tol.PLATFORM_STEP_FACTOR.  The `jax.grad(jax.nn.…)` column measures the
    XLA that ran it (its kind changes with XLA's instruction set: hard_silu loses every digit
    from 1.5 with AVX2 and stays within 85 ulps with SSE4.2), so only its presence is
    compared."""
    out = []
    a_lines, b_lines = old.splitlines(), new.splitlines()
    if len(a_lines) != len(b_lines):
        return [f"{len(a_lines)} lines, now {len(b_lines)}"]
    accuracy = steps = False
    for n, (a, b) in enumerate(zip(a_lines, b_lines), start=1):
        if a.startswith("## "):
            accuracy = a.startswith("## Accuracy")
            steps = a.startswith("## Best central-difference step")
        if not a.startswith("|") or a.startswith("|---"):
            if a != b:
                out.append(f"line {n}: {a!r} is now {b!r}")
            continue
        ca, cb = _CELL.split(a)[1:-1], _CELL.split(b)[1:-1]
        if len(ca) != len(cb):
            out.append(f"line {n}: {len(ca)} cells, now {len(cb)}")
            continue
        for col, (x, y) in enumerate(zip(ca, cb)):
            if accuracy and col == 6:  # jax.grad(jax.nn.…): present, nothing more
                continue
            if _NUMBER.sub("#", x) != _NUMBER.sub("#", y):
                out.append(f"line {n}, cell {col}: {x.strip()!r} is now {y.strip()!r}")
                continue
            ulps = accuracy and col in (1, 2, 3)
            # the step study's best h, its errors and Richardson's (not the complex step's)
            factor = tol.PLATFORM_STEP_FACTOR if steps and col in (2, 3, 4, 5) else \
                tol.PLATFORM_NOISE_FACTOR
            for u, v in zip(_NUMBER.findall(x), _NUMBER.findall(y)):
                if not _agree(float(u), float(v), ulps, factor):
                    out.append(f"line {n}, cell {col}: {x.strip()!r} is now {y.strip()!r}")
                    break
    return out


@pytest.fixture(scope="module")
def fresh_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("page") / "derivatives.md"
    assert main(["formulas", "--markdown", "-o", str(out)]) == 0
    return out.read_text()


DERIVATIVES_PAGE = Path(__file__).resolve().parent.parent / "docs" / "derivatives.md"


def test_the_derivatives_page_is_what_formulas_writes(fresh_page):
    """docs/derivatives.md is generated (`refnet formulas --markdown -o docs/derivatives.md`):
    a change to a formula, a docstring, a target or the sweep that is not regenerated into it
    fails here, so the page never shows figures the code no longer has; figures that depend
    on the machine's libm or XLA are compared within their own tolerance (page_differences)."""
    diff = page_differences(DERIVATIVES_PAGE.read_text(), fresh_page)
    assert not diff, "docs/derivatives.md is stale (run refnet formulas --markdown -o " \
        "docs/derivatives.md):\n" + "\n".join(diff[:20])


def test_a_stale_derivatives_page_is_caught(fresh_page):
    """The comparison can fail: a formula, a target verdict, an ulps figure beyond the platform
    budget, a step-study error off by 1000x and a complex-step error off by 10x are each caught;
    an ulp, another libm's cancellation or the jax column is not."""
    lines = fresh_page.splitlines()
    acc = next(i for i, line in enumerate(lines) if line.startswith("| sigmoid | "))
    step = next(i for i, line in enumerate(lines) if line.startswith("| tanh | -2.5 | "))
    formula = next(i for i, line in enumerate(lines) if line.startswith("- f′(z): "))

    def planted(i, cells=None, line=None):
        out = list(lines)
        if line is not None:
            out[i] = line
        else:
            c = _CELL.split(out[i])
            for k, v in cells.items():
                c[k + 1] = f" {v} "
            out[i] = "|".join(c)
        return page_differences(fresh_page, "\n".join(out) + "\n")

    f_ulps = _CELL.split(lines[acc])[2].strip()  # "p / max"
    p999, mx = (int(v) for v in f_ulps.split(" / "))
    assert planted(acc, {1: f"{p999} / {mx + tol.PLATFORM_ULPS}"}) == []
    assert planted(acc, {1: f"{p999} / {mx + tol.PLATFORM_ULPS + 1}"})
    assert planted(acc, {4: "**missed**"})
    assert planted(acc, {6: "1 / 2 ulps"}) == []
    err = float(_CELL.split(lines[step])[4])
    assert planted(step, {3: f"{30 * err:.1e}"}) == []  # another libm (PLATFORM_STEP_FACTOR)
    assert planted(step, {3: f"{1000 * err:.1e}"})
    cs = float(_CELL.split(lines[step])[7])  # the complex step's error: a single rounding
    assert planted(step, {6: f"{10 * cs + 1e-14:.1e}"})
    assert planted(formula, line=lines[formula] + " + 1")
    assert planted(len(lines) - 1, line=lines[-1] + " more") or lines[-1] == ""


@pytest.mark.parametrize("name", ["sigmoid", "leaky_relu"])
def test_the_pictures_legends_hide_no_curve(name):
    """Each legend of an activation's picture lies outside every panel (the curves differ per
    activation, so no spot inside a panel is free for all of them)."""
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    from refnet.plot import activation_figure

    fig = activation_figure(name, points=201)
    try:
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        panels = [ax.get_window_extent(renderer) for ax in fig.axes]
        legends = [ax.get_legend().get_window_extent(renderer) for ax in fig.axes]
        assert len(legends) == 2
        assert not any(leg.overlaps(panel) for leg in legends for panel in panels)
    finally:
        plt.close(fig)
