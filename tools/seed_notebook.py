"""Write docs/examples/seed-notebook.ipynb: the seed notebook's cells on refnet, then checks.

The notebook is committed without outputs; the documentation build executes it (myst-nb,
``nb_execution_mode = "force"``), so what the site shows is what refnet computes today.
Run from the repository root after editing the cells below:

    python tools/seed_notebook.py
"""

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """# The teaching notebook, on refnet

refnet started from a small teaching notebook, *Creating a simple NN Model* (its *seed*): four
activations and softmax, their derivatives, and a two-layer network trained by gradient
descent. This notebook walks through the seed's cells in order with `refnet.notebook` (the
seed's own names and signatures, returning what its code computes), shows where refnet's
general code differs and why, and then does what the seed could not: checks every gradient
against independent oracles."""),
    ("code", """import numpy as np

import refnet
from refnet import activations as A
from refnet import network as net
from refnet import notebook as nb

np.random.seed(1)
X = np.random.randn(2, 3)
X"""),
    ("md", """## Activations

The seed's four activations, elementwise:
$\\sigma(z) = \\dfrac{1}{1 + e^{-z}}$, $\\tanh z = \\dfrac{e^{z} - e^{-z}}{e^{z} + e^{-z}}$,
$\\mathrm{relu}(z) = \\max(0, z)$ and $\\mathrm{lrelu}(z) = \\max(0.01 z, z)$."""),
    ("code", """s = nb.sigmoid(X)
t = nb.tan(X)
r = nb.relu(X)
ler = nb.lrelu(X)
s, t, r, ler"""),
    ("md", """The seed printed `0.01` where `lrelu` has a negative input; its code computes
$0.01\\,z$ there (`-0.00611756` at $z = -0.61175641$), which is what refnet returns: the first
of the {doc}`errata <../errata>`.

The seed's softmax normalises over the whole array, $e^{z_{ij}} / \\sum_{kl} e^{z_{kl}}$;
`refnet.activations.softmax` normalises each column (each sample), as a classifier needs."""),
    ("code", """nb.softmax(X).sum(), A.softmax(X, axis=0).sum(axis=0)"""),
    ("md", """## Derivatives

The seed writes each derivative in the activation's *output*: $\\sigma' = s(1-s)$ and
$\\tanh' = 1 - t^2$. These forms lose every digit once the output rounds to its limit; refnet's
derivatives are written in the input $z$, $\\sigma'(z) = e^{-|z|} / (1 + e^{-|z|})^2$, and stay
within a few ulps of mpmath's correctly rounded value everywhere."""),
    ("code", """from refnet.oracles.mpmath import mp_value

ds, dt = nb.dsig(s), nb.dthan(t)
z = np.array([1.0, 20.0, 40.0])
print("s(1-s) at z:   ", nb.dsig(nb.sigmoid(z)))
print("refnet at z:   ", A.sigmoid_derivative(z))
exact = mp_value("sigmoid", z, 1)           # mpmath, correctly rounded
print("ulps off, s(1-s):", refnet.ulps(nb.dsig(nb.sigmoid(z)), exact))
print("ulps off, refnet:", refnet.ulps(A.sigmoid_derivative(z), exact))"""),
    ("md", """## The two-layer network

`layer_sizes`, `initialize_parameters` (seeded with 2, as the seed does), `forward_propagation`
(tanh hidden layer, sigmoid output), `compute_cost` (binary cross-entropy), `BWP` (the backward
pass) and `update`, with the values the seed printed."""),
    ("code", """np.random.seed(1)
X = np.random.randn(2, 3)
Y = np.random.randn(1, 3) > 0
n_x, n_h, n_y = nb.layer_sizes(X, Y, 4)
parameters = nb.initialize_parameters(n_x, n_h, n_y)
A2, cache = nb.forward_propagation(X, parameters)
cost = nb.compute_cost(A2, Y, parameters)
grades = nb.BWP(parameters, cache, X, Y)
print(n_x, n_h, n_y, cost)
grades"""),
    ("code", """parameters = nb.update(parameters, grades, lr=0.01)
trained = nb.NN(X, Y, 4, itr=1000, print_cost=True)"""),
    ("md", """## Is `BWP` right?

`refnet.check_gradient` compares a gradient, element by element, with independent oracles:
the complex step and Richardson differences of the cost (and `jax.grad` of a JAX twin, where
one is given; none is here). The cost is `refnet.network.loss` of the trained parameters, and
the gradient is the seed's `BWP`, which divides by `Y.size`: the number of samples, because
$n_y = 1$ here. In a notebook the report renders as a table."""),
    ("code", """Yf = Y.astype(float)
f = lambda p: net.loss(p, X, Yf, "tanh", "sigmoid")
grad = lambda p: nb.BWP(p, nb.forward_propagation(X, p)[1], X, Yf)
report = refnet.check_gradient(f, grad, trained)
report"""),
    ("md", """A backward pass with a planted bug, the tanh derivative left out of the hidden layer's
error ($dZ_1 = W_2^T dZ_2$ instead of $W_2^T dZ_2 \\odot (1 - A_1^2)$), is a mismatch, and the
report names the elements:"""),
    ("code", """def buggy_BWP(p, X, Y):
    _, c = nb.forward_propagation(X, p)
    m = Y.shape[1]
    dZ2 = c["A2"] - Y
    dZ1 = p["W2"].T @ dZ2
    return {"dW2": dZ2 @ c["A1"].T / m, "db2": dZ2.sum(axis=1, keepdims=True) / m,
            "dW1": dZ1 @ X.T / m, "db1": dZ1.sum(axis=1, keepdims=True) / m}

bad = refnet.check_gradient(f, lambda p: buggy_BWP(p, X, Yf), trained)
bad"""),
    ("md", """## The derivative formulas, pictured

`refnet.plot` draws f, f′ and f″ and, under them, the error of each formula for f′ against
mpmath: the seed's output form $s(1-s)$ (dashed) leaves the ulp level where σ saturates. The
{doc}`gallery <../gallery/index>` has this picture for every activation."""),
    ("code", """%matplotlib inline
from refnet.plot import activation_figure

activation_figure("sigmoid")"""),
]


def build() -> nbformat.NotebookNode:
    cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


if __name__ == "__main__":
    nbformat.write(build(), "docs/examples/seed-notebook.ipynb")
