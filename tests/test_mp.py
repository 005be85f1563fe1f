"""refnet.mp, the oracle's own forms: each f′ and f″ against mpmath.diff of the mpmath forward,
the mpmath network's gradients against mpmath.diff of its cost, and the independence of the
mpmath side from what it judges.  A wrong form would pass its error on to every ulp figure and
golden vector, so these checks work at high precision and a planted error must be caught."""

import ast
import importlib.util
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest

import refnet.mp
from refnet import _root_series
from refnet.activations import ACTIVATIONS
from refnet.mp import activations as M
from refnet.mp import network as N

# 20 moderate points, none within 0.05 of a kink (mpmath.diff's stencil is far narrower).
KINKS = {k for a in ACTIVATIONS.values() for k in a.kinks}
FORM_POINTS = [x for x in np.linspace(-4.75, 7.25, 24)
               if all(abs(x - k) > 0.05 for k in KINKS)][:20]
# mpmath.diff at 160 bits (with its own extra working precision) is good to far better than
# 2**-100 at these points, relative to the derivative or, where that is 0 (selu'' for z > 0),
# to the forward's size (≤ 8 here), and every form is good to 2**-150 or so.  2**-100 rejects
# any wrong form (its error would be O(1)) while leaving both roundings room.
FORM_RTOL = mp.mpf(2) ** -100
FORM_ATOL = mp.mpf(2) ** -100


def _form_misses(f, form, order, params):
    """The points of FORM_POINTS where ``form`` differs from mpmath.diff of ``f`` (order 1 or 2)
    beyond FORM_ATOL + FORM_RTOL |diff|, as (z, form, diff)."""
    misses = []
    with mp.workprec(160):
        for x in FORM_POINTS:
            z = mp.mpf(float(x))
            numeric = mp.diff(lambda t: f(t, **params), z, order)
            value = form(z, **params)
            if not abs(value - numeric) <= FORM_ATOL + FORM_RTOL * abs(numeric):
                misses.append((x, value, numeric))
    return misses


@pytest.mark.parametrize("name", sorted(M.ACTIVATIONS))
def test_forms_match_mpmath_diff(name):
    f, d1, d2 = M.ACTIVATIONS[name]
    params = dict(ACTIVATIONS[name].params)
    for order, form in ((1, d1), (2, d2)):
        misses = _form_misses(f, form, order, params)
        assert not misses, f"{name}: order {order}: (z, form, mpmath.diff) {misses[:3]}"


def test_a_form_off_by_1e_28_is_caught():
    """The check resolves far below float64: σ' off by a relative 2**-93 (1e-28) fails it."""
    def planted(z):
        return M.sigmoid_derivative(z) * (1 + mp.mpf(2) ** -93)

    assert _form_misses(M.sigmoid, planted, 1, {})
    assert not _form_misses(M.sigmoid, M.sigmoid_derivative, 1, {})


# --- the network -------------------------------------------------------------------------------


def _case(output, seed=7):
    """A small two-layer case: 2 inputs, 3 hidden units, 2 outputs, 3 samples."""
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1.5, (2, 3))
    Y = (np.eye(2)[:, rng.integers(0, 2, 3)] if output == "softmax"
         else (rng.random((2, 3)) < 0.5).astype(float))
    params = {"W1": rng.normal(0, 0.7, (3, 2)), "b1": rng.normal(0, 0.3, (3, 1)),
              "W2": rng.normal(0, 0.7, (2, 3)), "b2": rng.normal(0, 0.3, (2, 1))}
    return X, Y, params


def _cost(X, Y, params, hidden, output, **hp):
    _, cache = N.forward_propagation(X, params, hidden, output, **hp)
    return N.cost_from_logits(cache["Z2"], Y, output)


def _numeric_grads(X, Y, params, hidden, output, **hp):
    """mpmath.diff of the mpmath cost with respect to each parameter element."""
    mats = {k: N.matrix(v) for k, v in params.items()}
    out = {}
    for key, W in mats.items():
        g = mp.matrix(W.rows, W.cols)
        for r in range(W.rows):
            for c in range(W.cols):
                def cost_at(t, key=key, r=r, c=c):
                    p = {k: v.copy() for k, v in mats.items()}
                    p[key][r, c] = t
                    return _cost(X, Y, p, hidden, output, **hp)
                g[r, c] = mp.diff(cost_at, W[r, c])
        out["d" + key] = g
    return out


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
@pytest.mark.parametrize("hidden", ["tanh", "leaky_relu", "gelu"])
def test_network_gradients_match_mpmath_diff(hidden, output):
    """backward_propagation against mpmath.diff of cost_from_logits ∘ forward_propagation, to
    2**-100 (relative to the largest gradient element): a wrong delta, transpose or sum would be
    off by O(1).  Hidden pre-activations of this case are at least 0.01 from leaky_relu's kink."""
    X, Y, params = _case(output)
    hp = dict(ACTIVATIONS[hidden].params)
    with mp.workprec(160):
        cost, grads = N.cost_and_gradients(X, Y, params, hidden, output, **hp)
        assert cost == _cost(X, Y, params, hidden, output, **hp)
        _, cache = N.forward_propagation(X, params, hidden, output, **hp)
        assert min(abs(v) for v in cache["Z1"]) > 0.01
        numeric = _numeric_grads(X, Y, params, hidden, output, **hp)
        scale = max(abs(v) for g in grads.values() for v in g)
        assert set(grads) == set(numeric) == {"dW1", "db1", "dW2", "db2"}
        for key, g in grads.items():
            assert (g.rows, g.cols) == (numeric[key].rows, numeric[key].cols)
            worst = max(abs(a - b) for a, b in zip(g, numeric[key]))
            assert worst <= mp.mpf(2) ** -100 * scale, (key, worst)


def test_network_cost_is_the_mean_cross_entropy():
    """The cost from the logits against the textbook form in the outputs, -Σ[y log a +
    (1 - y) log(1 - a)]/m, and softmax columns that sum to 1."""
    X, Y, params = _case("sigmoid")
    with mp.workprec(160):
        AL, cache = N.forward_propagation(X, params, "tanh", "sigmoid")
        Ym = N.matrix(Y)
        textbook = -mp.fsum(y * mp.log(a) + (1 - y) * mp.log(1 - a) for y, a in zip(Ym, AL)) / 3
        assert abs(N.cost_from_logits(cache["Z2"], Y, "sigmoid") - textbook) < mp.mpf(2) ** -140
        X, Y, params = _case("softmax")
        AL, _ = N.forward_propagation(X, params, "tanh", "softmax")
        for c in range(AL.cols):
            assert abs(mp.fsum(AL[r, c] for r in range(AL.rows)) - 1) < mp.mpf(2) ** -150


# --- the root-series table -------------------------------------------------------------------


def _root_series_tool():
    path = Path(__file__).parent.parent / "tools" / "root_series.py"
    spec = importlib.util.spec_from_file_location("root_series_tool", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_root_series_table_matches_the_mpmath_forms():
    """refnet/_root_series.py (generated by tools/root_series.py) holds one constant for each
    (activation, order) the tool lists, and each entry agrees with the mpmath forms: z0_hi + z0_lo
    is a zero of f^(order) to double-double accuracy (|F(z0)| ≤ 2**-100 |c_1| max(1, |z0|),
    c_1 = F'(z0)), and the series at z0 ± radius/2 is within 2**-48 relative of F there (the
    table's coefficients are float64; any stale or wrong coefficient is off by far more)."""
    tool = _root_series_tool()
    table = {n for n in dir(_root_series) if n.endswith("_ZEROS")}
    assert table == {tool.constant(name, order) for name, order in tool.SERIES}
    with mp.workprec(160):
        for name, order in tool.SERIES:
            F = M.ACTIVATIONS[name][order]
            entries = getattr(_root_series, tool.constant(name, order))
            assert entries, (name, order)
            for hi, lo, radius, c in entries:
                z0 = mp.mpf(hi) + mp.mpf(lo)
                assert abs(F(z0)) <= mp.mpf(2) ** -100 * abs(c[0]) * max(1, abs(z0)), (name, hi)
                for d in (-radius / 2, radius / 2):
                    series = mp.fsum(ck * mp.mpf(d) ** k for k, ck in enumerate(c, start=1))
                    exact = F(z0 + d)
                    assert abs(series - exact) <= mp.mpf(2) ** -48 * abs(exact), (name, hi, d)


# --- independence ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(Path(refnet.mp.__file__).parent.glob("*.py")),
                         ids=lambda p: p.name)
def test_the_mpmath_side_imports_neither_numpy_nor_what_it_checks(path):
    """An oracle that shares code with what it checks proves nothing: refnet.mp imports mpmath,
    the standard library and itself only."""
    allowed = {"__future__", "collections", "types", "typing", "mpmath", "refnet.mp"}
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module]
        else:
            continue
        for n in names:
            assert n in allowed or n.split(".")[0] in allowed - {"refnet"} or n.startswith(
                "refnet.mp"), f"{path.name} imports {n}"
