"""The table of mpmath values shipped with refnet (refnet/data/mp_values.npz): every stored value is
mpmath's, a random sample of them recomputed bit for bit; it is read only for the exact float64 z
and the exact parameters, so any other point is still computed by mpmath; and it holds every
point that `refnet verify` and `refnet formulas` judge at their defaults."""

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from refnet import study, vectors
from refnet.activations import ACTIVATIONS
from refnet.checking.verify import activation_points
from refnet.cli import verify as verify_cli
from refnet.oracles import mp_table
from refnet.oracles import mpmath as mp_oracle

NAMES = list(ACTIVATIONS)


def _bits(a):
    return np.asarray(a, dtype=np.float64).view(np.int64)


def test_the_table_is_read():
    """Regenerate it with `PYTHONPATH=. python tools/mp_table.py` after changing refnet/mp or
    adding an activation (until then, mpmath computes what the table lacks)."""
    assert mp_table.PATH.is_file()
    stale = sorted(set(NAMES) - set(mp_table.table()))
    assert not stale, f"the table lacks or has stale values of {stale}: regenerate it with " \
        "PYTHONPATH=. python tools/mp_table.py"


def test_one_activations_forms_change_only_its_fingerprint():
    from refnet.mp import activations as mp_activations

    source = Path(mp_activations.__file__).read_text(encoding="utf-8")
    now = mp_table.fingerprints(source)
    assert now == mp_table.fingerprints() and len(set(now.values())) == len(
        {forms for forms in mp_activations.ACTIVATIONS.values()})  # aliases share theirs
    edited = mp_table.fingerprints(source.replace('"""tanh\'(z) = sech²(z)."""',
                                                  '"""tanh\'(z) = 1 - tanh²(z)."""'))
    assert [n for n in NAMES if edited[n] != now[n]] == ["tanh"]
    # a shared helper may touch any form: every fingerprint changes
    helper = mp_table.fingerprints(source.replace("def _gauss_pdf(z):", "def _gauss_pdf(z):  #"))
    assert all(helper[n] != now[n] for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_stored_values_are_mpmaths(name):
    """A random sample of each activation's stored f, f', f'' recomputed by mpmath, bit for bit
    (a stale or wrong table fails here); a new sample each run."""
    keys, values, params = mp_table.table()[name]
    assert params == dict(ACTIVATIONS[name].params)
    assert np.all(np.diff(keys) > 0)
    rng = np.random.default_rng()
    i = rng.choice(keys.size, 12, replace=False)
    z = keys[i].view(np.float64)
    for order in (0, 1, 2):
        want = mp_oracle.mp_evaluate(name, z, order, **params)
        assert np.array_equal(_bits(values[order][i]), _bits(want)), (name, order, z)


def test_points_outside_the_table_are_computed():
    """The neighbouring floats of stored points, other parameters, and -0.0 where only +0.0 is
    stored are not in the table: mpmath computes them."""
    keys, _, params = mp_table.table()["leaky_relu"]
    z = keys[::997].view(np.float64)
    z = z[np.isfinite(z) & (z != 0)]
    for near in (np.nextafter(z, np.inf), np.nextafter(z, -np.inf)):
        _, found = mp_table.lookup("leaky_relu", near[~np.isin(_bits(near), keys)], 1, params)
        assert not found.any()
    _, found = mp_table.lookup("leaky_relu", z, 1, params)
    assert found.all()
    for other in ({"alpha": 0.2}, {"alpha": np.nextafter(0.01, 1)}, {}, {"alpha": 0.01, "b": 1}):
        _, found = mp_table.lookup("leaky_relu", z, 1, other)
        assert not found.any()
    other = {"alpha": np.nextafter(0.01, 1)}
    got = mp_oracle.mp_value("leaky_relu", z, 1, **other)
    assert np.array_equal(_bits(got), _bits(mp_oracle.mp_evaluate("leaky_relu", z, 1, **other)))
    assert 0.0 in keys.view(np.float64) and _bits(-0.0) not in keys
    _, found = mp_table.lookup("sigmoid", np.array([-0.0]), 1, {})
    assert not found.any()


def test_mp_value_mixes_table_and_mpmath():
    """Stored and new points in one call: each value is mpmath's, in its place."""
    keys, values, params = mp_table.table()["tanh"]
    stored = keys[[5, 500, 5000]].view(np.float64)
    z = np.array([[stored[0], 0.123456789], [stored[1], stored[2]]])
    got = mp_oracle.mp_value("tanh", z, 2)
    assert got.shape == z.shape
    assert np.array_equal(_bits(got), _bits(mp_oracle.mp_evaluate("tanh", z, 2)))
    assert np.array_equal(_bits(got[1]), _bits(values[2][[500, 5000]]))


def test_a_table_from_other_forms_is_not_read(tmp_path, monkeypatch):
    """An activation whose stored fingerprint is not that of its present forms in refnet/mp
    (they changed) is ignored, its values computed again; the others are read."""
    stale = tmp_path / "mp_values.npz"
    with zipfile.ZipFile(mp_table.PATH) as src, zipfile.ZipFile(stale, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "sigmoid.fingerprint.npy":
                with np.load(mp_table.PATH) as npz:
                    data = data.replace(str(npz["sigmoid.fingerprint"]).encode("utf-32-le"),
                                        ("0" * 64).encode("utf-32-le"))
            dst.writestr(item, data)
    fresh = set(mp_table.table())
    monkeypatch.setattr(mp_table, "PATH", stale)
    mp_table.table.cache_clear()
    try:
        with np.load(stale) as npz:
            assert str(npz["sigmoid.fingerprint"]) == "0" * 64
        assert set(mp_table.table()) == fresh - {"sigmoid"}
        _, found = mp_table.lookup("sigmoid", np.array([0.0]), 1, {})
        assert not found.any()
        _, found = mp_table.lookup("tanh", np.array([0.0]), 1, {})
        assert found.all()
    finally:
        mp_table.table.cache_clear()


def test_the_table_holds_the_commands_default_points():
    """`refnet verify` (2000 points per activation, seed 0) and `refnet formulas` (its sweep and
    step-size points) at their defaults, and the reference vectors, need no mpmath."""
    drawn = activation_points(np.random.default_rng(verify_cli.SEED), NAMES, verify_cli.EXAMPLES)
    for name in NAMES:
        keys, _, params = mp_table.table()[name]
        for z in (drawn[name], study.sweep_points(name), study.step_points(name),
                  vectors.activation_points(name)):
            assert np.isin(mp_table.keys(z), keys).all(), name
        assert json.loads(json.dumps(params)) == dict(ACTIVATIONS[name].params)


# sha256 of the default points of `refnet verify` and `refnet formulas`, activation by
# activation in the registry's order (verify's draws, the sweep, the step points), as
# little-endian float64: they are built from the generator's uniform draws, exact operations
# and mpmath's rounding (refnet.points), so every machine computes these same bits.  Points
# built with NumPy's power or geomspace differ from this on machines with other SIMD code or
# another C library (and the table then misses them).  It changes only with the points
# themselves: then regenerate the table (tools/mp_table.py) and this digest together.  It covers
# the activations of PINNED_NAMES: each activation's points are drawn in turn, so one appended
# to the registry changes none of theirs (and its own come from the same code).
DEFAULT_POINTS_SHA256 = "23c3a0c7e895d4e38ff1cca97a5b08bd3891c6ef23492b2ecfa6cf4eaa8ad48b"
PINNED_NAMES = ("sigmoid", "tanh", "relu", "leaky_relu", "relu6", "elu", "celu", "selu", "gelu",
                "gelu_tanh", "silu", "swish", "softplus", "log_sigmoid", "soft_sign", "hard_tanh",
                "hard_sigmoid", "hard_silu", "hard_swish", "mish", "squareplus", "sparse_plus",
                "sparse_sigmoid", "identity")


def _default_points_digest():
    assert NAMES[:len(PINNED_NAMES)] == list(PINNED_NAMES), "append activations at the end"
    drawn = activation_points(np.random.default_rng(verify_cli.SEED), NAMES, verify_cli.EXAMPLES)
    h = hashlib.sha256()
    for name in PINNED_NAMES:
        for z in (drawn[name], study.sweep_points(name), study.step_points(name)):
            h.update(np.ascontiguousarray(z, dtype="<f8").tobytes())
    return h.hexdigest()


def test_the_default_points_are_the_same_bits_on_every_machine():
    assert _default_points_digest() == DEFAULT_POINTS_SHA256


def test_points_built_with_numpys_power_would_be_caught(monkeypatch):
    """The digest test can fail: the old construction (np.geomspace for the sweep's tails)
    gives other bits, even on this machine."""
    monkeypatch.setattr(study.points, "geomspace", np.geomspace)
    assert _default_points_digest() != DEFAULT_POINTS_SHA256


def test_a_fallback_to_mpmath_is_counted():
    """Points outside the table are computed and counted per activation; points in it are
    not."""
    keys, _, _ = mp_table.table()["tanh"]
    with mp_oracle.runtime_counts() as computed:
        mp_oracle.mp_value("tanh", keys[:7].view(np.float64), 1)
    assert computed == {}
    with mp_oracle.runtime_counts() as computed:
        mp_oracle.mp_value("tanh", np.array([0.123456789, 0.987654321]), 1)
        mp_oracle.mp_value("gelu", np.array([0.123456789]), 0)
    assert computed == {"tanh": 2, "gelu": 1}


def test_verify_reports_values_mpmath_computed(capsys):
    """Off the defaults (--only, fewer points), `refnet verify` says how many values mpmath
    computed at run time, in its text and in --json."""
    from refnet.cli import main

    args = ["verify", "--only", "relu", "--examples", "24", "--networks", "0"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "mpmath: " in out and "computed at run time (relu " in out
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["mpmath_computed"] > 0 and doc["summary"][0]["mpmath_computed"] == \
        doc["mpmath_computed"]


def test_formulas_reports_values_mpmath_computed(capsys):
    """At the default points every value is the table's and the text says so; at other
    --points the values computed are counted, in the text and per entry in --json."""
    from refnet.cli import main

    assert main(["formulas", "relu"]) == 0
    assert "every correctly rounded value read from refnet's shipped table" in \
        capsys.readouterr().out
    assert main(["formulas", "relu", "--points", "100", "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["mpmath_computed"] > 0
