"""The notebook, cell by cell, through ``refnet.notebook``: every value it printed, to the digits
it printed.

Each cell runs in the notebook's order (the global seeds matter: cell 1 seeds 1, the network
cells seed 1 again, ``initialize_parameters`` seeds 2, ``NN`` seeds 3).  The printed text below
is copied verbatim from ``seed/simple-nn-notebook.txt``.  Each check is two-fold: every number
agrees with the printed one within half a unit in its last printed digit
(:mod:`refnet.tolerances`), and the text ``print`` gives today is the notebook's text.

Where the notebook's printout cannot come from its code (``lrelu``, ``dlrelu``) or its code is
wrong (``BWP``'s ``m = Y.size``, the whole-array ``softmax``, ``print(t)`` for ``print(dt)``),
the test pins what the code computes and shows that it differs from the printout; the list is
in ``docs/errata.md``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from refnet import activations as act
from refnet import network as net
from refnet import notebook as nb
from refnet import tolerances as tol

# ---------------------------------------------------------------------------------------------
# the printout, verbatim

X_TEXT = """\
[[ 1.62434536 -0.61175641 -0.52817175]
 [-1.07296862  0.86540763 -2.3015387 ]]"""
SIGMOID_TEXT = """\
[[0.83539354 0.35165864 0.3709434 ]
 [0.25483894 0.70378922 0.09099561]]"""
TANH_TEXT = """\
[[ 0.92525207 -0.5453623  -0.48398233]
 [-0.79057703  0.69903334 -0.98015695]]"""
RELU_TEXT = """\
[[1.62434536 0.         0.        ]
 [0.         0.86540763 0.        ]]"""
LRELU_PRINTED = """\
[[1.62434536 0.01       0.01      ]
 [0.01       0.86540763 0.01      ]]"""
SOFTMAX_TEXT = """\
[[0.56232214 0.06009779 0.06533695]
 [0.03789279 0.26325869 0.01109163]]"""
DSIG_TEXT = """\
[[0.13751118 0.22799484 0.23334439]
 [0.18989606 0.20846995 0.08271541]]"""
DRELU_TEXT = """\
[[1 0 0]
 [0 1 0]]"""
DLRELU_PRINTED = """\
array([[1., 1., 1.],
       [1., 1., 1.]])"""
XY_TEXT = """\
[[ 1.62434536 -0.61175641 -0.52817175]
 [-1.07296862  0.86540763 -2.3015387 ]]

(2, 3)

[[ True False  True]]"""
PARAMS_TEXT = """\
{'W1': array([[-0.00416758, -0.00056267],
       [-0.02136196,  0.01640271],
       [-0.01793436, -0.00841747],
       [ 0.00502881, -0.01245288]]), 'b1': array([[0.],
       [0.],
       [0.],
       [0.]]), 'W2': array([[-0.01057952, -0.00909008,  0.00551454,  0.02292208]]), 'b2': array([[0.]])}"""
FORWARD_TEXT = """\
[[0.5002307  0.49985831 0.50023963]] {'Z1': array([[-0.00616586,  0.00206261,  0.0034962 ],
       [-0.05229879,  0.02726335, -0.02646868],
       [-0.0200999 ,  0.00368691,  0.02884556],
       [ 0.02153008, -0.01385323,  0.02600471]]), 'A1': array([[-0.00616578,  0.0020626 ,  0.00349619],
       [-0.05225116,  0.02725659, -0.0264625 ],
       [-0.0200972 ,  0.00368689,  0.02883756],
       [ 0.02152676, -0.01385234,  0.02599885]]), 'Z2': array([[ 0.00092281, -0.00056678,  0.00095853]]), 'A2': array([[0.5002307 , 0.49985831, 0.50023963]])}"""
COST_TEXT = "0.6927392477233995"
GRADS_TEXT = """\
{'dW2': array([[ 0.00078841,  0.01765429, -0.00084166, -0.01022527]]), 'db2': array([[-0.16655712]]), 'dW1': array([[ 0.00301023, -0.00747267],
       [ 0.00257968, -0.00641288],
       [-0.00156892,  0.003893  ],
       [-0.00652037,  0.01618243]]), 'db1': array([[ 0.00176201],
       [ 0.00150995],
       [-0.00091736],
       [-0.00381422]])}"""
UPDATED_TEXT = """\
{'W1': array([[-0.00419768, -0.00048794],
       [-0.02138776,  0.01646684],
       [-0.01791867, -0.0084564 ],
       [ 0.00509402, -0.01261471]]), 'b1': array([[-1.76201370e-05],
       [-1.50994736e-05],
       [ 9.17363463e-06],
       [ 3.81421789e-05]]), 'W2': array([[-0.01058741, -0.00926662,  0.00552296,  0.02302433]]), 'b2': array([[0.00166557]])}"""
NN_COST_TEXT = """\
cost  0:0.692739
cost  100:0.669215
cost  200:0.649677
cost  300:0.619729
cost  400:0.555289
cost  500:0.447120
cost  600:0.328614
cost  700:0.234149
cost  800:0.169726
cost  900:0.127562
"""
# Jupyter displayed the returned dict with pprint's layout, so only its numbers are compared.
NN_PARAMS_TEXT = """\
{'W1': array([[-0.21830665,  0.43559748],
        [-0.38633057,  0.73732683],
        [ 0.11624791, -0.28270074],
        [ 0.39639168, -0.77368548]]),
 'b1': array([[ 0.03393657],
        [ 0.09586648],
        [-0.01517238],
        [-0.10360464]]),
 'W2': array([[-0.52988031, -1.04262947,  0.31610115,  1.11019047]]),
 'b2': array([[0.34409584]])}"""

# ---------------------------------------------------------------------------------------------
# reading the printout

_NUMBER = re.compile(r"[-+]?\d+\.\d*(?:e[-+]?\d+)?")


def printed_numbers(text, precision=None):
    """The floats in ``text`` (every token with a decimal point) and the unit of the last digit
    each stands for: 10**(E - precision) for NumPy's arrays (printed to ``precision`` = 8 digits
    after the point, trailing zeros dropped, E the exponent in scientific notation), else
    10**-(digits printed after the point)."""
    values, units = [], []
    for token in _NUMBER.findall(text):
        mantissa, _, exponent = token.partition("e")
        e = int(exponent) if exponent else 0
        if precision is None:
            digits = len(mantissa.partition(".")[2])
        else:
            digits = precision
        values.append(float(token))
        units.append(10.0 ** (e - digits))
    return np.array(values), np.array(units)


def flat(*items):
    """The numbers of arrays and dicts of arrays, in print order."""
    out = []
    for item in items:
        if isinstance(item, dict):
            out.extend(np.ravel(np.asarray(v, dtype=float)) for v in item.values())
        else:
            out.append(np.ravel(np.asarray(item, dtype=float)))
    return np.concatenate(out)


def matches_printout(values, text, precision=8):
    """Each value within half a unit of the last printed digit of its printed number."""
    printed, units = printed_numbers(text, precision)
    values = flat(*values) if isinstance(values, tuple) else flat(values)
    assert values.shape == printed.shape, (values.shape, printed.shape)
    bound = tol.PRINTED_HALF_UNIT * units + tol.PRINTED_ULPS * tol.EPS * np.abs(printed)
    return np.abs(values - printed) <= bound


def printed_cost(out: str) -> float:
    """The cost that ``refnet notebook`` prints under its compute_cost cell."""
    lines = out.splitlines()
    i = next(k for k, line in enumerate(lines) if line.startswith("## compute_cost("))
    return float(lines[i + 1])


def assert_printed(values, text, precision=8):
    ok = matches_printout(values, text, precision)
    assert ok.all(), f"not as printed at positions {np.flatnonzero(~ok)}:\n{text}"


# ---------------------------------------------------------------------------------------------
# the cells, in order (module-scoped fixtures run them once)


@pytest.fixture(scope="module")
def cells():
    """Run the notebook's cells in order; a dict of what each produced."""
    out = {}
    np.random.seed(1)
    X = np.random.randn(2, 3)
    out["X"] = X
    out["s"] = nb.sigmoid(X)
    out["t"] = nb.tan(X)
    out["r"] = nb.relu(X)
    out["ler"] = nb.lrelu(X)
    out["sof"] = nb.softmax(X)
    out["ds"] = nb.dsig(out["s"])
    out["dt"] = nb.dthan(out["t"])
    out["dr"] = nb.drelu(out["r"])
    out["dler"] = nb.dlrelu(out["ler"], 0.01)
    # the network cells
    np.random.seed(1)
    X = np.random.randn(2, 3)
    Y = np.random.randn(1, 3) > 0
    out["net_X"], out["Y"] = X, Y
    out["sizes"] = nb.layer_sizes(X, Y, 4)
    n_x, n_h, n_y = out["sizes"]
    parameters = nb.initialize_parameters(n_x, n_h, n_y)
    out["parameters"] = parameters
    out["A2"], out["cache"] = nb.forward_propagation(X, parameters)
    out["cost"] = nb.compute_cost(out["A2"], Y, parameters)
    out["grades"] = nb.BWP(parameters, out["cache"], X, Y)
    out["updated"] = nb.update(parameters, out["grades"], lr=0.01)
    return out


def test_inputs(cells, capsys):
    assert_printed(cells["X"], X_TEXT)
    print(cells["X"])
    assert capsys.readouterr().out == X_TEXT + "\n"


@pytest.mark.parametrize(
    "key, text",
    [("s", SIGMOID_TEXT), ("t", TANH_TEXT), ("r", RELU_TEXT), ("sof", SOFTMAX_TEXT),
     ("ds", DSIG_TEXT)],
)
def test_activation_printouts(cells, capsys, key, text):
    assert_printed(cells[key], text)
    print(cells[key])
    assert capsys.readouterr().out == text + "\n"


def test_tanh_is_the_notebooks_formula(cells):
    """``tan`` agrees with the notebook's (e^z - e^-z)/(e^z + e^-z) where that is finite."""
    X = cells["X"]
    theirs = (np.exp(X) - np.exp(-X)) / (np.exp(X) + np.exp(-X))
    assert np.all(np.abs(cells["t"] - theirs) <= tol.FORMS_ULPS * tol.EPS)


def test_softmax_normalises_the_whole_array(cells):
    """Erratum kept: the notebook's softmax sums over every element, not per column."""
    sof = cells["sof"]
    assert abs(sof.sum() - 1.0) <= tol.FORMS_ULPS * tol.EPS
    per_column = act.softmax(cells["X"], axis=0)
    assert not np.allclose(sof, per_column)


def test_dthan_cell_prints_t_not_dt(cells, capsys):
    """Erratum: the cell computes dt = dthan(t) but prints t; the printout is t's values.
    dt itself is 1 - t², pinned against the accurate sech²(z) at these moderate z."""
    print(cells["t"])
    assert capsys.readouterr().out == TANH_TEXT + "\n"
    assert not matches_printout(cells["dt"], TANH_TEXT).all()
    dt_exact = act.tanh_derivative(cells["X"])
    assert np.all(np.abs(cells["dt"] - dt_exact) <= tol.FORMS_ULPS * tol.EPS)


def test_drelu(cells, capsys):
    assert cells["dr"].dtype == np.int64
    print(cells["dr"])
    assert capsys.readouterr().out == DRELU_TEXT + "\n"


def test_lrelu_erratum(cells):
    """Erratum: the printout shows 0.01 for negative z; the code max(0.01 z, z) gives 0.01 z.

    Pinned: the code's values, -0.00611756 at z = -0.61175641 and so on."""
    ler = cells["ler"]
    code_text = """\
[[ 1.62434536 -0.00611756 -0.00528172]
 [-0.01072969  0.86540763 -0.02301539]]"""
    assert_printed(ler, code_text)
    assert str(ler) == code_text
    ok = matches_printout(ler, LRELU_PRINTED)
    np.testing.assert_array_equal(ok, np.ravel(cells["X"] > 0))  # only positive z agree
    X = cells["X"]
    np.testing.assert_array_equal(ler, np.maximum(0.01 * X, X))  # the notebook's own code


def test_dlrelu_erratum(cells):
    """Erratum: the printout shows 1 everywhere; the code gives alpha = 0.01 where the (code's)
    leaky relu output is negative."""
    dler = cells["dler"]
    np.testing.assert_array_equal(dler, np.where(cells["X"] > 0, 1.0, 0.01))
    assert repr(dler) == """\
array([[1.  , 0.01, 0.01],
       [0.01, 1.  , 0.01]])"""
    assert not matches_printout(dler, DLRELU_PRINTED).all()


def test_network_inputs(cells, capsys):
    X, Y = cells["net_X"], cells["Y"]
    print(X)
    print()
    print(X.shape)
    print()
    print(Y)
    assert capsys.readouterr().out == XY_TEXT + "\n"


def test_layer_sizes(cells, capsys):
    print(*cells["sizes"])
    assert capsys.readouterr().out == "2 4 1\n"


def test_initial_parameters(cells, capsys):
    assert list(cells["parameters"]) == ["W1", "b1", "W2", "b2"]
    assert_printed(cells["parameters"], PARAMS_TEXT)
    print(cells["parameters"])
    assert capsys.readouterr().out == PARAMS_TEXT + "\n"


def test_initialize_parameters_does_not_print(capsys):
    """The notebook prints W1.shape inside initialize_parameters; refnet's does not."""
    nb.initialize_parameters(2, 4, 1)
    assert capsys.readouterr().out == ""


def test_forward(cells, capsys):
    assert list(cells["cache"]) == ["Z1", "A1", "Z2", "A2"]
    assert_printed((cells["A2"], cells["cache"]), FORWARD_TEXT)
    print(cells["A2"], cells["cache"])
    assert capsys.readouterr().out == FORWARD_TEXT + "\n"


def test_cost(cells):
    cost = cells["cost"]
    assert type(cost) is float
    # the notebook printed repr(cost), all 17 digits: held within that printout's half unit
    # and PRINTED_ULPS (the last bits of np.log and np.exp differ between machines' libms, and
    # a 1-ulp change of one log changes the 17th digit about half the time), not bit for bit
    assert_printed(cost, COST_TEXT, precision=None)


def test_cost_matches_logits_form(cells):
    """The network trains on the logits form; at these moderate outputs the two forms agree."""
    Y = cells["Y"]
    logits = net.cost_from_logits(cells["cache"]["Z2"], Y)
    assert abs(logits - cells["cost"]) <= tol.FORMS_ULPS * tol.EPS * cells["cost"]


def test_gradients(cells, capsys):
    assert list(cells["grades"]) == ["dW2", "db2", "dW1", "db1"]
    assert_printed(cells["grades"], GRADS_TEXT)
    print(cells["grades"])
    assert capsys.readouterr().out == GRADS_TEXT + "\n"


def test_update(cells, capsys):
    assert_printed(cells["updated"], UPDATED_TEXT)
    print(cells["updated"])
    assert capsys.readouterr().out == UPDATED_TEXT + "\n"
    # the inputs are untouched
    assert_printed(cells["parameters"], PARAMS_TEXT)


def test_nn(cells, capsys):
    X, Y = cells["net_X"], cells["Y"]
    parameters = nb.NN(X, Y, 4, itr=1000, print_cost=True)
    out = capsys.readouterr().out
    assert out == NN_COST_TEXT
    costs = [line.partition(":")[2] for line in out.splitlines()]
    assert_printed(np.array([float(c) for c in costs]), NN_COST_TEXT, precision=None)
    assert_printed(parameters, NN_PARAMS_TEXT)


def test_nn_equals_general_train(cells):
    """With n_y = 1 the notebook's loop is refnet.network.train from the same start: the same
    operations in the same order, so the same bits."""
    X, Y = cells["net_X"], cells["Y"]
    start = nb.initialize_parameters(2, 4, 1)
    theirs = nb.NN(X, Y, 4, itr=300)
    ours, costs = net.train(X, Y, 4, parameters=start, iterations=300, lr=0.01)
    for key in theirs:
        np.testing.assert_array_equal(ours[key], theirs[key])
    assert abs(costs[0] - cells["cost"]) <= tol.FORMS_ULPS * tol.EPS * cells["cost"]


def test_bwp_erratum_y_size():
    """Erratum kept: BWP divides by Y.size, which is n_y · m, so with n_y = 2 its gradients are
    half the true ones; refnet.network.backward_propagation divides by m."""
    rng = np.random.default_rng(7)
    X = rng.standard_normal((3, 5))
    Y = (rng.standard_normal((2, 5)) > 0).astype(float)
    p = net.initialize_parameters((3, 4, 2), seed=1, scale=0.5)
    _, cache = nb.forward_propagation(X, p)
    theirs = nb.BWP(p, cache, X, Y)
    ours = net.backward_propagation(p, cache, X, Y)
    for key in ours:
        np.testing.assert_allclose(2 * theirs[key], ours[key], rtol=tol.FORMS_ULPS * tol.EPS,
                                   atol=0)


def test_notebook_command_prints_the_cells(capsys):
    """``refnet notebook`` prints the cells with refnet's values."""
    from refnet.cli import main

    assert main(["notebook"]) == 0
    out = capsys.readouterr().out
    for text in (X_TEXT, SIGMOID_TEXT, PARAMS_TEXT, FORWARD_TEXT, GRADS_TEXT, UPDATED_TEXT,
                 NN_COST_TEXT):
        assert text in out
    assert_printed(printed_cost(out), COST_TEXT, precision=None)
