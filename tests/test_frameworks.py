"""benchmarks/frameworks.py: the scoring policy, the table's structure, and that a wrong
framework derivative is reported (the jax.nn part runs for a few activations only)."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

import numpy as np
import pytest

from refnet import tolerances as tol

_PATH = pathlib.Path(__file__).resolve().parents[1] / "benchmarks" / "frameworks.py"


@pytest.fixture(scope="module")
def fw():
    spec = importlib.util.spec_from_file_location("refnet_bench_frameworks", _PATH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


NAMES = ["sigmoid", "relu", "leaky_relu"]


@pytest.fixture(scope="module")
def doc(fw):
    return fw.measure_all(NAMES, include_torch=False)


def test_error_ulps_policy(fw):
    # normal reference: plain ulps
    assert fw.error_ulps(1.0 + 2 * tol.EPS, 1.0) == 2
    # subnormal reference: within SUBNORMAL_ABS counts as exact, beyond it does not
    assert fw.error_ulps(0.0, 1e-320) == 0  # 1e-320 < SUBNORMAL_ABS ~ 2.0e-320
    assert fw.error_ulps(0.0, 1e-310) > fw.OFF_ULPS
    # NaN or inf where the truth is finite is a failure; inf where the truth is inf is not
    assert np.isinf(fw.error_ulps(np.nan, 0.5))
    assert np.isinf(fw.error_ulps(np.inf, 1e308))
    assert fw.error_ulps(np.inf, np.inf) == 0


def test_structure(fw, doc):
    assert doc["frameworks"] == ["refnet", "jax.nn"]
    assert [a["name"] for a in doc["activations"]] == NAMES
    for a in doc["activations"]:
        for label in doc["frameworks"]:
            res = a["frameworks"][label]
            for q in fw.QUANTITIES:
                r = res[q]
                assert set(r) >= {"worst_ulps", "at", "off", "nonfinite", "n"}
                # kinks are left out of the ulp columns
                assert r["n"] == a["points"] - len(a["kinks"])
    md = fw.markdown(doc)
    lines = md.splitlines()
    # three ulp tables and the kink table, each with a header and one row per activation/kink
    for q in fw.QUANTITIES:
        i = lines.index(f"### {fw.LABELS[q]}: worst error in ulps @ z (points off by > "
                        f"{fw.OFF_ULPS} ulps)")
        assert lines[i + 2] == "| activation | refnet | jax.nn |"
        rows = lines[i + 4:i + 4 + len(NAMES)]
        assert [r.split(" | ")[0] for r in rows] == [f"| {n}" for n in NAMES]
    i = lines.index("### f′ at each kink: each framework's convention")
    kink_rows = [ln for ln in lines[i + 4:] if ln.startswith("| ")][:2]
    assert kink_rows[0].startswith("| relu | 0 | 0 | 1 | 0 |")
    assert kink_rows[1].startswith("| leaky_relu | 0 | 0.01 | 1 | 0.01 |")
    assert "## What it finds" in md


def test_refnet_within_its_targets(doc):
    # refnet's own row: each quantity within its 99.9th-percentile target at every point of
    # the vectors (f within the activation's forward_ulps, f' DERIVATIVE_ULPS_P999, f''
    # SECOND_DERIVATIVE_ULPS_P999), no NaN
    from refnet.activations import ACTIVATIONS

    for a in doc["activations"]:
        target = {"f": ACTIVATIONS[a["name"]].forward_ulps, "df": tol.DERIVATIVE_ULPS_P999,
                  "d2f": tol.SECOND_DERIVATIVE_ULPS_P999}
        for q, r in a["frameworks"]["refnet"].items():
            assert r["worst_ulps"] <= target[q], (a["name"], q, r)
            assert r["nonfinite"] == 0


def test_kink_conventions_reported(doc):
    by_name = {a["name"]: a for a in doc["activations"]}
    row = by_name["leaky_relu"]["at_kinks"][0]
    assert row["kink"] == 0.0 and row["df"]["refnet"] == 0.01
    # jax.nn's leaky_relu branches on z >= 0: its autodiff takes the right side at the kink
    assert row["df"]["jax.nn"] == 1.0
    assert by_name["relu"]["at_kinks"][0]["df"]["jax.nn"] == 0.0


def _planted(fw, name, *, df_factor=1.0, nan_at=None, kink_value=None):
    act = fw.act_mod.ACTIVATIONS[name]
    good = fw.refnet_evaluator(name, dict(act.params))

    def run(z):
        f, d, d2 = good(z)
        d = d * df_factor
        if nan_at is not None:
            d = np.where(z == nan_at, np.nan, d)
        if kink_value is not None:
            d = np.where(np.isin(z, act.kinks), kink_value, d)
        return f, d, d2
    return run


def test_planted_wrong_derivative_is_many_ulps_off(fw):
    ev = _planted(fw, "sigmoid", df_factor=1 + 1e-6)
    res = fw.measure("sigmoid", {"refnet": fw.refnet_evaluator("sigmoid", {}), "planted": ev})
    bad, good = res["frameworks"]["planted"]["df"], res["frameworks"]["refnet"]["df"]
    # 1e-6 relative is ~4.5e9 ulps of a value in [1/8, 1/4)
    assert bad["worst_ulps"] > 1e9
    # every point where f' is not 0 (it underflows to 0 only far out) is off
    assert bad["off"] >= bad["n"] // 2
    assert good["off"] == 0
    md = fw.markdown({"frameworks": ["refnet", "planted"], "notes": [], "versions": {},
                      "off_ulps": fw.OFF_ULPS, "activations": [res]})
    row = [ln for ln in md.splitlines() if ln.startswith("| sigmoid |")][1]  # the f' table
    assert "e9" in row.split(" | ")[2] and f"> {fw.OFF_ULPS}" in row


def test_planted_nan_is_a_failure(fw):
    ev = _planted(fw, "sigmoid", nan_at=2.0)
    res = fw.measure("sigmoid", {"planted": ev})
    r = res["frameworks"]["planted"]["df"]
    assert r["nonfinite"] == 1 and r["nonfinite_at"] == [2.0] and r["at"] == 2.0
    assert "NaN/inf" in fw.cell(r)
    assert any(x["activation"] == "sigmoid" and x["z"] == 2.0 for x in fw.lost_digits(
        {"activations": [res]}))


def test_kink_values_go_to_the_kink_table_not_the_ulp_columns(fw):
    ev = _planted(fw, "relu", kink_value=0.5)
    res = fw.measure("relu", {"planted": ev})
    assert res["frameworks"]["planted"]["df"]["worst_ulps"] == 0
    assert res["at_kinks"][0]["df"]["planted"] == 0.5


def test_missing_framework_is_a_dash(fw, doc):
    res = fw.measure("relu", {"refnet": fw.refnet_evaluator("relu", {}), "absent": None})
    md = fw.tables({"frameworks": ["refnet", "absent"], "activations": [res]})
    assert "| relu | 0 | — |" in md


def test_torch_missing_is_skipped_with_a_message(fw, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    factories, notes = fw.available_frameworks(include_torch=True)
    assert "torch" not in factories
    assert notes and "torch is not installed" in notes[0]
