"""Malformed input at every public entry point gets a TypeError or ValueError whose message
names the argument and says what was expected — never a raw NumPy error, an IndexError, a bare
KeyError, a warning or a silently broadcast result.  Inputs are never mutated (they are passed
read-only), and the same seed gives bit-identical results.

Malformed inputs are drawn with hypothesis: a valid problem is built, then one thing in it is
broken.  ``BAD_CASES_TRIED`` counts the cases a run tries (``pytest -s`` with
``REFNET_COUNT_BAD_INPUT=1`` prints it at the end of the module).
"""

import inspect
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refnet import activations as A
from refnet import network as net
from refnet import notebook as nb
from refnet.check import check_derivative, check_gradient

BAD_CASES_TRIED = {"n": 0}


def _raises(fn, words, types=(TypeError, ValueError)):
    """fn() raises one of ``types`` with every word of ``words`` in its message, and no
    warning on the way."""
    BAD_CASES_TRIED["n"] += 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(types) as info:
            fn()
    msg = str(info.value)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"
    return msg


# ---------------------------------------------------------------------------------------------
# activations and softmax

FUNCS = [(name, part) for name, act in A.ACTIVATIONS.items()
         for part in ("forward", "derivative", "second_derivative", "derivative_from_output")
         if getattr(act, part) is not None]


def _arg(fn):
    """The name of the function's array argument (z, s or t): the message must use it."""
    return next(iter(inspect.signature(fn).parameters))


@st.composite
def bad_arrays(draw):
    """(array, expected words): non-numeric dtypes, or a NaN/inf planted in a finite array."""
    kind = draw(st.sampled_from(["str", "object", "none", "nan", "inf", "-inf"]))
    n = draw(st.integers(1, 12))
    if kind == "str":
        return np.array(["1.0"] * n), ["numeric", "dtype"]
    if kind == "object":
        return np.array([object()] * n), ["numeric", "dtype"]
    if kind == "none":
        return None, ["numeric", "dtype"]
    z = np.linspace(-1, 1, n)
    z[draw(st.integers(0, n - 1))] = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf}[kind]
    shape = draw(st.sampled_from([(n,), (1, n), (n, 1)]))
    return z.reshape(shape), ["finite"]


# 96 functions × 50 examples: six kinds of bad array, each drawn ~8 times per function
@pytest.mark.parametrize("name, part", FUNCS)
@settings(max_examples=50)
@given(case=bad_arrays())
def test_activation_refuses_bad_arrays(name, part, case):
    act = A.ACTIVATIONS[name]
    z, words = case
    fn = getattr(act, part)
    _raises(lambda: fn(z, **act.params), [_arg(fn) + ":", *words])


PARAMETRISED = [(name, key) for name, act in A.ACTIVATIONS.items() for key in act.params]


@pytest.mark.parametrize("name, key", PARAMETRISED)
@given(value=st.sampled_from(["0.1", None, True, np.nan, np.inf, [0.1]]))
def test_activation_refuses_bad_parameters(name, key, value):
    act = A.ACTIVATIONS[name]
    for part in ("forward", "derivative", "second_derivative"):
        _raises(lambda part=part: getattr(act, part)(np.ones(3), **{key: value}), [key])


def test_parameter_ranges():
    _raises(lambda: A.celu(np.ones(2), alpha=0.0), ["alpha", "nonzero"])
    _raises(lambda: A.squareplus(np.ones(2), b=-1.0), ["b", ">= 0"])
    _raises(lambda: A.leaky_relu_derivative_from_output(np.ones(2), alpha=-0.1), ["alpha"])


@given(case=bad_arrays(), axis=st.integers(-1, 0))
def test_softmax_family_refuses_bad_arrays(case, axis):
    z, words = case
    for fn in (A.softmax, A.log_softmax, A.softmax_jacobian):
        arg = "s" if fn is A.softmax_jacobian else "z"
        _raises(lambda fn=fn: fn(z, axis=axis), [arg + ":", *words])


@given(axis=st.one_of(st.integers(2, 9), st.integers(-9, -3), st.just(0.5), st.just("0")))
def test_softmax_refuses_bad_axes(axis):
    _raises(lambda: A.softmax(np.ones((2, 3)), axis=axis), ["axis"])
    _raises(lambda: A.softmax_vjp(np.ones((2, 3)) / 2, np.ones((2, 3)), axis=axis), ["axis"])


def test_softmax_shapes():
    _raises(lambda: A.softmax(np.float64(1.0)), ["z", "0-d"])
    _raises(lambda: A.softmax_vjp(np.ones(3) / 3, np.ones((3, 1))), ["g", "shape"])


def test_bool_int_and_float32_are_promoted_to_float64():
    for z in (np.array([True, False]), np.array([1, -2]), np.array([0.5, -1.5], np.float32)):
        for act in A.ACTIVATIONS.values():
            for fn in (act.forward, act.derivative, act.second_derivative):
                out = np.asarray(fn(z, **act.params))
                assert out.dtype == np.float64
    # float32 is computed in float64: the same as the float64 of the same values
    z32 = np.array([0.3, -2.7], np.float32)
    assert np.array_equal(A.tanh_derivative(z32), A.tanh_derivative(z32.astype(np.float64)))


# ---------------------------------------------------------------------------------------------
# the network

def _problem(rng, n_x, hidden, n_y, m, output):
    X = rng.normal(size=(n_x, m))
    if output == "sigmoid":
        Y = (rng.random((n_y, m)) < 0.5).astype(float)
    else:
        Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    p = net.initialize_parameters((n_x, *hidden, n_y), seed=int(rng.integers(1 << 30)))
    return X, Y, p


CORRUPTIONS = {
    # name: (what to break, expected error words)
    "X 1-d": ("X", ["X", "2-D"]),
    "X rows": ("X", ["W1", "chain"]),
    "X strings": ("X", ["X", "numeric"]),
    "X nan": ("X", ["X", "finite"]),
    "X inf": ("X", ["X", "finite"]),
    "X empty": ("X", ["X", "non-empty"]),
    "W chain": ("p", ["W2", "chain"]),
    "b shape": ("p", ["b1", "shape"]),
    "W nan": ("p", ["W1", "finite"]),
    "missing key": ("p", ["parameters", "keys"]),
    "extra key": ("p", ["parameters", "keys"]),
    "not a dict": ("p", ["parameters"]),
    "Y flat": ("Y", ["Y", "reshape"]),
    "Y samples": ("Y", ["Y:"]),
    "Y labels": ("Y", ["Y"]),
    "hidden name": ("hidden", ["hidden", "unknown"]),
    "output name": ("output", ["output"]),
}


def _corrupt(kind, rng, X, Y, p, output):
    X, Y, p = X.copy(), Y.copy(), {k: v.copy() for k, v in p.items()}
    hidden, out = "tanh", output
    if kind == "X 1-d":
        X = X[0]
    elif kind == "X rows":
        X = np.vstack([X, X[:1]])
    elif kind == "X strings":
        X = X.astype(str)
    elif kind in ("X nan", "X inf"):
        X[tuple(rng.integers(0, s) for s in X.shape)] = np.nan if kind == "X nan" else np.inf
    elif kind == "X empty":
        X, Y = X[:, :0], Y[:, :0]
    elif kind == "W chain":
        p["W2"] = np.ones((p["W2"].shape[0], p["W2"].shape[1] + 1))
    elif kind == "b shape":
        p["b1"] = np.zeros((p["b1"].shape[0] + 1, 1))
    elif kind == "W nan":
        p["W1"][0, 0] = np.nan
    elif kind == "missing key":
        del p["b2"]
    elif kind == "extra key":
        p["W9"] = np.ones((1, 1))
    elif kind == "not a dict":
        p = list(p.values())
    elif kind == "Y flat":
        Y = Y[:1].ravel() if Y.shape[0] == 1 else Y.ravel()
    elif kind == "Y samples":
        Y = Y[:, :-1]
    elif kind == "Y labels":
        # a label outside [0, 1] (2·Y alone is still valid where every label is 0), or softmax
        # columns that sum to 1/2
        if output == "sigmoid":
            Y[0, 0] = 2.0
        else:
            Y = Y * 0.5
    elif kind == "hidden name":
        hidden = "tanhh"
    elif kind == "output name":
        out = "sigmoidd"
    return X, Y, p, hidden, out


@given(seed=st.integers(0, 2**31), kind=st.sampled_from(sorted(CORRUPTIONS)),
       output=st.sampled_from(["sigmoid", "softmax"]), n_y=st.integers(1, 3),
       hidden=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_network_entry_points_refuse_malformed_input(seed, kind, output, n_y, hidden):
    if output == "softmax":
        n_y = max(n_y, 2)
    rng = np.random.default_rng(seed)
    X, Y, p = _problem(rng, 3, hidden, n_y, 5, output)
    _, cache = net.forward_propagation(X, p, "tanh", output)
    Xb, Yb, pb, h, out = _corrupt(kind, rng, X, Y, p, output)
    target, words = CORRUPTIONS[kind]
    if kind == "Y flat" and n_y > 1:
        words = ["Y", "shape"]
    if target in ("X", "p", "hidden", "output"):
        _raises(lambda: net.forward_propagation(Xb, pb, h, out), words)
        _raises(lambda: net.loss(pb, Xb, Yb, h, out), words)
    if target in ("Y", "output"):
        _raises(lambda: net.compute_cost(cache[f"A{len(hidden) + 1}"], Yb, out), words)
        _raises(lambda: net.backward_propagation(p, cache, X, Yb, "tanh", out), words)
    # train builds its own parameters from X unless given some: an extra row of X only
    # breaks the chain when the parameters are passed in
    given_p = pb if target == "p" or kind == "X rows" else None
    _raises(lambda: net.train(Xb, Yb, hidden, hidden_activation=h, output=out, iterations=2,
                              parameters=given_p), words if kind != "not a dict" else [])


@given(dims=st.one_of(
    st.lists(st.integers(-3, 0), min_size=1, max_size=3).map(lambda h: (2, *h, 1)),
    st.just((2,)), st.just((2, 2.5, 1)), st.just((2, "3", 1))))
def test_initialize_refuses_bad_widths(dims):
    _raises(lambda: net.initialize_parameters(dims), ["layer_dims"])


@given(hidden=st.one_of(st.integers(-3, 0), st.just("4"), st.just([2, 0]), st.just(2.5)))
def test_layer_sizes_refuses_bad_widths(hidden):
    X, Y = np.ones((2, 3)), np.ones((1, 3))
    _raises(lambda: net.layer_sizes(X, Y, hidden), ["hidden"])


def test_update_refuses_mismatched_grads():
    p = net.initialize_parameters((2, 3, 1), seed=0)
    g = {"d" + k: np.zeros_like(v) for k, v in p.items()}
    _raises(lambda: net.update_parameters(p, {k: v for k, v in g.items() if k != "db1"}),
            ["grads", "db1"])
    _raises(lambda: net.update_parameters(p, dict(g, dW1=np.ones((3, 3)))), ["dW1", "shape"])
    _raises(lambda: net.update_parameters(p, g, lr="0.1"), ["lr"])
    _raises(lambda: net.update_parameters(p, g, lr=np.nan), ["lr"])


def test_cost_refuses_impossible_probabilities():
    Y = np.array([[1.0, 0.0]])
    _raises(lambda: net.compute_cost(np.array([[1.2, 0.5]]), Y), ["AL", "[0, 1]"])
    _raises(lambda: net.compute_cost(np.array([[0.5, 0.5], [0.2, 0.5]]), np.eye(2), "softmax"),
            ["AL", "sum to 1"])


def test_probabilities_of_exactly_0_or_1_give_a_finite_cost_where_it_is_finite():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # labels that agree with saturated outputs: the cost is exactly 0, not NaN
        assert net.compute_cost(np.array([[1.0, 0.0]]), np.array([[1, 0]])) == 0.0
        # from the logits the cost stays finite however saturated
        c = net.cost_from_logits(np.array([[800.0, -800.0]]), np.array([[0, 1]]))
        assert np.isfinite(c) and c == pytest.approx(800.0)


def test_bool_labels_are_accepted():
    X = np.random.default_rng(0).normal(size=(2, 3))
    Y = np.array([[True, False, True]])  # the notebook's Y is bool
    p = net.initialize_parameters((2, 4, 1), seed=0)
    A2, cache = net.forward_propagation(X, p)
    assert np.isfinite(net.compute_cost(A2, Y))
    g = net.backward_propagation(p, cache, X, Y)
    assert g["dW1"].dtype == np.float64


# ---------------------------------------------------------------------------------------------
# purity and determinism


def _read_only(tree):
    if isinstance(tree, dict):
        return {k: _read_only(v) for k, v in tree.items()}
    a = np.array(tree)
    a.flags.writeable = False
    return a


def test_no_public_function_mutates_its_inputs():
    rng = np.random.default_rng(1)
    X, Y, p = _problem(rng, 3, [4, 2], 2, 6, "softmax")
    X, Y, p = _read_only(X), _read_only(Y), _read_only(p)
    z = _read_only(rng.normal(size=(3, 4)))
    for act in A.ACTIVATIONS.values():
        act.forward(z, **act.params), act.derivative(z, **act.params)
        act.second_derivative(z, **act.params)
    A.softmax(z), A.log_softmax(z), A.softmax_jacobian(A.softmax(z)), A.softmax_vjp(A.softmax(z), z)
    AL, cache = net.forward_propagation(X, p, "relu", "softmax")
    cache = _read_only(cache)
    net.compute_cost(_read_only(AL), Y, "softmax")
    g = _read_only(net.backward_propagation(p, cache, X, Y, "relu", "softmax", lambd=0.1))
    new = net.update_parameters(p, g, lr=0.1)
    assert not np.shares_memory(new["W1"], p["W1"])
    net.train(X, Y, [4, 2], hidden_activation="relu", output="softmax", iterations=3,
              parameters=p, batch_size=2, seed=0)
    nb.BWP(dict(p), dict(cache), X, Y)


def test_same_seed_same_bits_and_global_state_untouched():
    state = np.random.get_state()
    a = net.initialize_parameters((3, 5, 2), seed=42)
    b = net.initialize_parameters((3, 5, 2), seed=42)
    after = np.random.get_state()
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    X = np.random.default_rng(0).normal(size=(3, 8))
    Y = (X[:1] > 0).astype(float)
    r1 = net.train(X, Y, 4, iterations=20, batch_size=3, seed=7)
    r2 = net.train(X, Y, 4, iterations=20, batch_size=3, seed=7)
    assert np.array_equal(r1[1], r2[1])
    assert all(np.array_equal(r1[0][k], r2[0][k]) for k in r1[0])


# ---------------------------------------------------------------------------------------------
# the checker and the command line


def test_checker_reports_a_raising_or_malformed_function():
    x = np.ones(3)

    def boom(v):
        raise RuntimeError("user code failed")

    r = check_gradient(boom, lambda v: v, x)
    assert not r.ok and "user code failed" in str(r)
    r = check_gradient(lambda v: float(np.sum(v**2)), lambda v: np.ones(4), x)
    assert not r.ok and "shape" in str(r)
    r = check_gradient(lambda v: float("nan"), lambda v: v, x)
    assert not r.ok
    r = check_derivative(np.sin, lambda v: np.full_like(v, np.nan), x)
    assert not r.ok


COMMAND_LINES = [
    ["nope"], ["verify", "--examples", "-3"], ["verify", "--only", "x"], ["formulas", "x"],
    ["formulas", "--points", "1"], ["plot", "x", "-o", "a.png"], ["plot", "tanh"],
    ["vectors", "x", "-o", "v.json"], ["vectors"],
    ["vectors", "tanh", "--format", "csv", "-o", "v"],
    ["check"], ["check", "nomodule:f", "nomodule:g", "--shape", "3"],
    ["check", "os:getcwd", "os:getcwd", "--shape", "a,b"], ["notebook", "--bogus"],
    # a negative seed was numpy's traceback (exit 3); 1e10 examples a MemoryError
    ["check", "os:getcwd", "os:getcwd", "--shape", "3", "--seed", "-1"],
    ["verify", "--only", "relu", "--seed", "-1"], ["train", "--dataset", "iris", "--seed", "-1"],
    ["verify", "--only", "relu", "--examples", "10000000000"], ["vectors", "tanh", "--out", ""],
]


@pytest.mark.parametrize("argv, said", [
    (["verify", "--detial"], "refnet verify: error: unrecognized arguments: --detial; did you "
                             "mean --detail?"),
    (["check", "a:b", "c:d", "--shape", "3", "--sedd", "1"], "refnet check: error: "
     "unrecognized arguments: --sedd 1; did you mean --seed?"),
    (["notebook", "--json"], "refnet notebook: error: unrecognized arguments: --json"),
    (["check", "a:b", "c:d", "--shape", "-1"], "'-1': every size must be at least 1"),
    (["check", "a:b", "c:d", "--shape", "3", "--seed", "-2"], "--seed: expected an integer >= 0"),
    (["vectors", "tanh", "--out", ""], "--out: an empty path, expected a file name"),
])
def test_command_line_messages_name_the_command_and_the_cause(argv, said, capsys):
    from refnet.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert said in err and len(err.strip().splitlines()) == 1, err


def test_a_point_file_that_is_not_numpys_is_named(tmp_path, monkeypatch, capsys):
    from refnet.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.txt").write_text("1 2 3\n")
    assert main(["check", "os:getcwd", "os:getcwd", "--point", "params.txt"]) == 2
    err = capsys.readouterr().err
    assert "not a .npy or .npz file" in err and "pickle" not in err, err


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=" ".join)
def test_command_line_bad_usage_exits_2_without_traceback(argv, tmp_path, monkeypatch, capsys):
    # in-process (refnet.cli.main is what the console script runs); one real subprocess below
    from refnet.cli import main

    BAD_CASES_TRIED["n"] += 1
    monkeypatch.chdir(tmp_path)
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own usage errors
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    assert "Traceback" not in err and "error" in err.lower()


def test_command_line_bad_usage_in_a_real_process(tmp_path):
    root = str(Path(__file__).resolve().parents[1])  # importable even when not installed
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-m", "refnet", "vectors", "nope", "-o", "v.json"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env,
                       check=False)
    assert r.returncode == 2 and "Traceback" not in r.stderr and "unknown" in r.stderr


@pytest.fixture(scope="module", autouse=True)
def _report_count():
    yield
    if os.environ.get("REFNET_COUNT_BAD_INPUT"):
        print(f"\n[bad input] {BAD_CASES_TRIED['n']} malformed cases tried")


def test_train_refuses_bad_settings():
    X = np.random.default_rng(0).normal(size=(2, 5))
    Y = (X[:1] > 0).astype(float)
    _raises(lambda: net.train(X, Y, 3, iterations=2, batch_size=6), ["batch_size", "5 samples"])
    _raises(lambda: net.train(X, Y, 3, iterations=2, lr=-0.1), ["lr", ">= 0"])
    _raises(lambda: net.train(X, Y, 3, iterations=-1), ["iterations"])
    _raises(lambda: net.train(X, Y, 3, iterations=2.5), ["iterations"])
