"""``refnet notebook``: the notebook's computations, cell by cell, with refnet's values.

Runs the cells of ``seed/simple-nn-notebook.txt`` in order through :mod:`refnet.notebook` and
prints what each computes (where the notebook's printout differs from its code, this prints what
the code computes; ``docs/errata.md`` lists those cells).
"""

from __future__ import annotations

import numpy as np

from refnet import notebook as nb
from refnet.cli import nonneg_int


def configure(parser) -> None:
    parser.add_argument("--itr", type=nonneg_int, default=1000, metavar="N",
                        help="iterations of the final NN cell (default 1000, as the notebook)")


def _cell(title, *values):
    print(f"## {title}")
    print(*values)
    print()


def run(args) -> int:
    np.random.seed(1)
    X = np.random.randn(2, 3)
    _cell("X = np.random.randn(2, 3) after np.random.seed(1)", X)
    s = nb.sigmoid(X)
    _cell("sigmoid(X)", s)
    t = nb.tan(X)
    _cell("tan(X)", t)
    r = nb.relu(X)
    _cell("relu(X)", r)
    ler = nb.lrelu(X)
    _cell("lrelu(X)  [erratum 1: the notebook printed 0.01 for z < 0]", ler)
    _cell("softmax(X), over the whole array", nb.softmax(X))
    _cell("dsig(s)", nb.dsig(s))
    _cell("dthan(t)  [erratum 3: the notebook printed t]", nb.dthan(t))
    _cell("drelu(r)", nb.drelu(r))
    _cell("dlrelu(ler, 0.01)  [erratum 2: the notebook showed 1 everywhere]", nb.dlrelu(ler, 0.01))

    np.random.seed(1)
    X = np.random.randn(2, 3)
    Y = np.random.randn(1, 3) > 0
    _cell("X, X.shape, Y", X, "\n", X.shape, "\n", Y)
    n_x, n_h, n_y = nb.layer_sizes(X, Y, 4)
    _cell("layer_sizes(X, Y, 4)", n_x, n_h, n_y)
    parameters = nb.initialize_parameters(n_x, n_h, n_y)
    _cell("initialize_parameters(n_x, n_h, n_y)", parameters)
    A2, cache = nb.forward_propagation(X, parameters)
    _cell("forward_propagation(X, parameters)", A2, cache)
    _cell("compute_cost(A2, Y, parameters)", repr(nb.compute_cost(A2, Y, parameters)))
    grades = nb.BWP(parameters, cache, X, Y)
    _cell("BWP(parameters, cache, X, Y)", grades)
    _cell("update(parameters, grades, lr=0.01)", nb.update(parameters, grades, lr=0.01))
    print(f"## NN(X, Y, 4, itr={args.itr}, print_cost=True)")
    final = nb.NN(X, Y, 4, itr=args.itr, print_cost=True)
    print(final)
    return 0
