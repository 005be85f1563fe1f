"""The study of derivative formulas: `refnet formulas` and `refnet plot` from the command line,
and the measurements behind them."""

import json
import subprocess
import sys
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


def test_the_derivatives_page_is_what_formulas_writes(tmp_path, refnet):
    """docs/derivatives.md is generated (`refnet formulas --markdown -o docs/derivatives.md`):
    a change to a formula, a docstring or the sweep that is not regenerated into it fails here,
    so the page never shows figures the code no longer has."""
    from pathlib import Path

    out = tmp_path / "derivatives.md"
    assert refnet("formulas", "--markdown", "-o", str(out)).returncode == 0
    page = Path(__file__).resolve().parent.parent / "docs" / "derivatives.md"
    assert out.read_text() == page.read_text(), \
        "docs/derivatives.md is stale: run refnet formulas --markdown -o docs/derivatives.md"
