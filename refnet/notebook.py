"""The notebook's own names and signatures, over refnet's general code.

``sigmoid, tan, relu, lrelu, softmax, dsig, dthan, drelu, dlrelu, layer_sizes,
initialize_parameters, forward_propagation, compute_cost, BWP, update, NN`` return what the
notebook's functions return (dicts keyed W1, b1, W2, b2; caches Z1, A1, Z2, A2; grads dW2, db2,
dW1, db1 in the notebook's order) and reproduce what it printed (``tests/test_notebook.py``).

Where the notebook's code and its printout disagree, or its code is wrong, this module follows
the code and ``docs/errata.md`` records the difference:

- ``lrelu`` computes ``max(0.01 z, z)`` as the code does (-0.00611756 at z = -0.61175641); the
  printout shows 0.01 there, which no line of the code can produce.  ``dlrelu`` of that output
  is then 0.01 (alpha) where the output is negative; the printout shows 1 everywhere.
- ``softmax`` normalises over the whole array, as the code does (not per column).
- ``BWP`` divides by ``m = Y.size``, as the code does: the number of samples only when n_y = 1.
  :func:`refnet.network.backward_propagation` divides by the number of samples.
- ``tan`` is refnet's tanh: the notebook's ``(e^z - e^-z)/(e^z + e^-z)`` overflows to nan for
  |z| > ~710; the values agree wherever the notebook's form is finite (to a few ulps).
- ``compute_cost`` takes 0 · log 0 as 0 (the notebook's form gives nan there, and inf / nan
  once an output saturates to exactly 0 or 1; the logits form in refnet.network stays finite).

Global state: like the notebook, ``initialize_parameters`` seeds NumPy's global generator with 2
and draws with ``np.random.randn``, and ``NN`` seeds it with 3 first; this module alone touches
NumPy's global random state.  Unlike the notebook, ``initialize_parameters`` does not print
``W1.shape`` (the notebook prints ``(4, 2)``); the values it returns are the same.
"""

from __future__ import annotations

import numpy as np

from refnet import activations as _act
from refnet import network as _net

__all__ = [
    "sigmoid",
    "tan",
    "relu",
    "lrelu",
    "softmax",
    "dsig",
    "dthan",
    "drelu",
    "dlrelu",
    "layer_sizes",
    "initialize_parameters",
    "forward_propagation",
    "compute_cost",
    "BWP",
    "update",
    "NN",
]


# ---------------------------------------------------------------------------------------------
# activations


def sigmoid(z):
    """The sigmoid s = 1 / (1 + e^-z), elementwise.

    The notebook's ``sigmoid`` (In 2) computes ``1/(1+np.exp(-z))``; this is
    :func:`refnet.activations.sigmoid`, the same values written so that e^-z never overflows.

    Parameters
    ----------
    z : array_like
        The input, any shape.

    Returns
    -------
    ndarray
        The sigmoid σ(z), float64, the shape of z.

    Raises
    ------
    TypeError
        If the input is not numeric.
    ValueError
        If the input holds a non-finite value (±inf or NaN).

    See Also
    --------
    refnet.activations.sigmoid : The function it calls.

    Examples
    --------
    >>> from refnet.notebook import sigmoid
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(sigmoid(X))  # the notebook's In 3
    [[0.83539354 0.35165864 0.3709434 ]
     [0.25483894 0.70378922 0.09099561]]
    """
    return _act.sigmoid(z)


def tan(z):
    """The hyperbolic tangent s = (e^z - e^-z) / (e^z + e^-z) = tanh(z), finite for every z.

    The notebook's ``tan`` (In 4) computes ``(np.exp(z)-np.exp(-z))/(np.exp(z)+np.exp(-z))``,
    which overflows to nan for |z| > ~710 (``docs/errata.md``, 6); this is refnet's tanh,
    sign(z)(1 - e^-2|z|)/(1 + e^-2|z|), within a few ulps of the notebook's form wherever that is
    finite.

    Parameters
    ----------
    z : array_like
        The input, any shape.

    Returns
    -------
    ndarray
        The tanh of z, float64, the shape of z.

    Raises
    ------
    TypeError
        If the input is not numeric.
    ValueError
        If the input holds a non-finite value (±inf or NaN).

    See Also
    --------
    refnet.activations.tanh : The function it calls.

    Examples
    --------
    >>> from refnet.notebook import tan
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(tan(X))  # the notebook's In 5
    [[ 0.92525207 -0.5453623  -0.48398233]
     [-0.79057703  0.69903334 -0.98015695]]
    >>> float(tan(1000.0))  # the notebook's form gives nan
    1.0
    """
    return _act.tanh(z)


def relu(z):
    """The rectifier s = max(0, z), elementwise.

    The notebook's ``relu`` (In 6) computes ``np.maximum(0, z)``.  refnet's relu returns -0.0
    for negative z (its ``0.0 * z`` keeps complex input complex); adding +0.0 turns that into the
    +0.0 that ``np.maximum(0, z)`` prints as ``0.``.

    Parameters
    ----------
    z : array_like
        The input, any shape.

    Returns
    -------
    ndarray
        The rectified max(0, z), float64, the shape of z.

    Raises
    ------
    TypeError
        If the input is not numeric.
    ValueError
        If the input holds a non-finite value (±inf or NaN).

    See Also
    --------
    refnet.activations.relu : The function it calls.

    Examples
    --------
    >>> from refnet.notebook import relu
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(relu(X))  # the notebook's In 8
    [[1.62434536 0.         0.        ]
     [0.         0.86540763 0.        ]]
    """
    return _act.relu(z) + 0.0


def lrelu(z):
    """The leaky rectifier s = max(0.01 z, z), elementwise, as the notebook's code computes it.

    The notebook's ``lrelu`` (In 16) computes ``np.maximum(0.01*z, z)``: 0.01 z for negative z.
    Its printout (In 29) shows 0.01 there instead, which no line of the code can produce
    (``docs/errata.md``, 1); this returns the code's values.

    Parameters
    ----------
    z : array_like
        The input, any shape.

    Returns
    -------
    ndarray
        The value z where z > 0, 0.01 z elsewhere; float64, the shape of z.

    Raises
    ------
    TypeError
        If the input is not numeric.
    ValueError
        If the input holds a non-finite value (±inf or NaN).

    See Also
    --------
    refnet.activations.leaky_relu : The function it calls, with ``alpha=0.01``.

    Examples
    --------
    >>> from refnet.notebook import lrelu
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(lrelu(X))  # the notebook printed 0.01 for each negative entry
    [[ 1.62434536 -0.00611756 -0.00528172]
     [-0.01072969  0.86540763 -0.02301539]]
    """
    return _act.leaky_relu(z, alpha=0.01)


def softmax(vector):
    """The softmax s = e^v / Σ e^v over the WHOLE array, as the notebook's code normalises it.

    The notebook's ``softmax`` (In 44) computes ``e = np.exp(vector); e / e.sum()``: one sum over
    every entry, not one per column (``docs/errata.md``, 4; :func:`refnet.activations.softmax` and
    the network normalise each column, over axis 0).  Computed as e^(v - max v) / Σ e^(v - max v),
    the same values without overflow.

    Parameters
    ----------
    vector : array_like
        The scores, any shape.

    Returns
    -------
    ndarray
        The softmax, float64, the shape of ``vector``; all its entries sum to 1.

    See Also
    --------
    refnet.activations.softmax : The per-column softmax of the network.

    Examples
    --------
    >>> from refnet.notebook import softmax
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> s = softmax(X)
    >>> print(s)  # the notebook's In 49
    [[0.56232214 0.06009779 0.06533695]
     [0.03789279 0.26325869 0.01109163]]
    >>> float(s.sum())
    1.0
    """
    v = np.asarray(vector, dtype=np.float64)
    e = np.exp(v - np.max(v))
    return e / e.sum()


def dsig(s):
    """The sigmoid's derivative from its output s: s (1 - s).

    The notebook's ``dsig`` (In 18) computes ``s*(1-s)`` for s = sigmoid(z).  Valid for s in
    [0, 1]; it loses all relative accuracy once s rounds to 1 (z > 36.7).

    Parameters
    ----------
    s : array_like
        The sigmoid's output, any shape.

    Returns
    -------
    ndarray
        The derivative s (1 - s), float64, the shape of s.

    Raises
    ------
    TypeError
        If the input is not numeric.
    ValueError
        If the input holds a non-finite value (±inf or NaN).

    See Also
    --------
    refnet.activations.sigmoid_derivative_from_output : The function it calls.

    Examples
    --------
    >>> from refnet.notebook import dsig, sigmoid
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(dsig(sigmoid(X)))  # the notebook's In 20
    [[0.13751118 0.22799484 0.23334439]
     [0.18989606 0.20846995 0.08271541]]
    """
    return _act.sigmoid_derivative_from_output(s)


def dthan(s):
    """The tanh's derivative from its output s: 1 - s².

    The notebook's ``dthan`` (In 66) computes ``1-s**2`` for s = tanh(z).  The notebook's In 68
    computes ``dt = dthan(t)`` but prints ``t`` (``docs/errata.md``, 3); the values of ``dt`` are
    below.  Valid for s in [-1, 1].

    Parameters
    ----------
    s : array_like
        The tanh's output, any shape.

    Returns
    -------
    ndarray
        1 - s², float64, the shape of s.

    Raises
    ------
    TypeError
        If the input is not numeric.
    ValueError
        If the input holds a non-finite value (±inf or NaN).

    See Also
    --------
    refnet.activations.tanh_derivative_from_output : The function it calls.

    Examples
    --------
    >>> from refnet.notebook import dthan, tan
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(dthan(tan(X)))  # sech²(X); the notebook printed tan(X) here
    [[0.1439086  0.70257996 0.76576111]
     [0.37498795 0.51135239 0.03929236]]
    """
    return _act.tanh_derivative_from_output(s)


def drelu(s):
    """The rectifier's derivative from its output: 1 where s > 0, else 0, as int64.

    The notebook's ``drelu`` (In 24) computes ``np.int64(s > 0)``; so does this, from refnet's
    float64 derivative.

    Parameters
    ----------
    s : array_like
        The rectifier's output, any shape.

    Returns
    -------
    ndarray
        The derivative, an int64 array of 0 and 1, the shape of s.

    Raises
    ------
    TypeError
        If the input is not numeric.
    ValueError
        If the input holds a non-finite value (±inf or NaN).

    See Also
    --------
    refnet.activations.relu_derivative_from_output : The float64 form.

    Examples
    --------
    >>> from refnet.notebook import drelu, relu
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(drelu(relu(X)))  # the notebook's In 27
    [[1 0 0]
     [0 1 0]]
    """
    return np.int64(_act.relu_derivative_from_output(s) > 0)


def dlrelu(s, alpha=0.01):
    """The leaky rectifier's derivative from its output: 1 where s > 0, alpha elsewhere.

    The notebook's ``dlrelu`` (In 40) computes ``np.where(s > 0, 1, alpha)``.  Its In 42 shows 1
    everywhere for ``dlrelu(ler, 0.01)``; on the code's ``ler`` (:func:`lrelu`) the negative
    entries give alpha (``docs/errata.md``, 2), as here.

    Parameters
    ----------
    s : array_like
        The leaky rectifier's output, any shape.
    alpha : float, default 0.01
        The slope for negative input, >= 0.

    Returns
    -------
    ndarray
        1.0 or ``alpha``, float64, the shape of s.

    Raises
    ------
    TypeError
        If ``alpha`` is not a real number, or s is not numeric.
    ValueError
        If ``alpha`` is negative or not finite (then the output does not determine the
        derivative), or s holds a non-finite value.

    See Also
    --------
    refnet.activations.leaky_relu_derivative_from_output : The function it calls.

    Examples
    --------
    >>> from refnet.notebook import dlrelu, lrelu
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> print(dlrelu(lrelu(X), 0.01))  # the notebook showed 1. everywhere
    [[1.   0.01 0.01]
     [0.01 1.   0.01]]
    """
    return _act.leaky_relu_derivative_from_output(s, alpha=alpha)


# ---------------------------------------------------------------------------------------------
# the network


def layer_sizes(X, Y, layers):
    """The sizes (n_x, n_h, n_y) = (X.shape[0], layers, Y.shape[0]).

    The notebook's ``layer_sizes`` (In 25) returns the features of X, the hidden width
    ``layers`` and the outputs of Y; this calls :func:`refnet.network.layer_sizes`, which also
    checks X, Y and the width.

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    layers : int
        The number of units in the hidden layer.

    Returns
    -------
    tuple of int
        ``(n_x, n_h, n_y)``.

    Raises
    ------
    TypeError, ValueError
        As :func:`refnet.network.layer_sizes`: X not a non-empty 2-D finite real array, Y not
        2-D, different numbers of samples, or a width that is not a positive integer.

    See Also
    --------
    refnet.network.layer_sizes : The function it calls, for any number of layers.

    Examples
    --------
    >>> from refnet.notebook import layer_sizes
    >>> r = np.random.RandomState(1)  # the notebook's np.random.seed(1)
    >>> X, Y = r.randn(2, 3), r.randn(1, 3) > 0
    >>> Y
    array([[ True, False,  True]])
    >>> layer_sizes(X, Y, 4)  # the notebook's In 27
    (2, 4, 1)
    """
    return _net.layer_sizes(X, Y, layers)


def initialize_parameters(n_x, n_h, n_y):
    """The notebook's initial parameters: W = randn · 0.01 after ``np.random.seed(2)``, b = 0.

    The notebook's ``initialize_parameters`` (In 56) seeds NumPy's global generator with 2, then
    draws W1 = randn(n_h, n_x)·0.01, b1 = 0, W2 = randn(n_y, n_h)·0.01, b2 = 0.  So does this;
    the notebook also prints ``W1.shape``, which this does not (``docs/errata.md``, 8).  It is
    one of the two functions of refnet that touch NumPy's global random state (with :func:`NN`);
    :func:`refnet.network.initialize_parameters` uses a generator of its own.

    Parameters
    ----------
    n_x : int
        The number of input features.
    n_h : int
        The number of hidden units.
    n_y : int
        The number of outputs.

    Returns
    -------
    dict of ndarray
        ``W1`` of shape ``(n_h, n_x)``, ``b1`` ``(n_h, 1)``, ``W2`` ``(n_y, n_h)``, ``b2``
        ``(n_y, 1)``.

    See Also
    --------
    refnet.network.initialize_parameters : Seeded by its own generator.

    Examples
    --------
    >>> from refnet.notebook import initialize_parameters
    >>> parameters = initialize_parameters(2, 4, 1)  # prints nothing
    >>> parameters["W1"]  # the notebook's In 57
    array([[-0.00416758, -0.00056267],
           [-0.02136196,  0.01640271],
           [-0.01793436, -0.00841747],
           [ 0.00502881, -0.01245288]])
    >>> parameters["W2"], parameters["b2"]
    (array([[-0.01057952, -0.00909008,  0.00551454,  0.02292208]]), array([[0.]]))
    """
    np.random.seed(2)
    W1 = np.random.randn(n_h, n_x) * 0.01
    b1 = np.zeros((n_h, 1))
    W2 = np.random.randn(n_y, n_h) * 0.01
    b2 = np.zeros((n_y, 1))
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}


def forward_propagation(X, parameters):
    """The notebook's forward pass: Z1 = W1 X + b1, A1 = tanh(Z1), Z2 = W2 A1 + b2, A2 = σ(Z2).

    The notebook's ``forward_propagation`` (In 61) returns A2 and the cache ``Z1, A1, Z2, A2``;
    this calls :func:`refnet.network.forward_propagation` with a tanh hidden layer and a sigmoid
    output.

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``.
    parameters : dict of array_like
        ``W1, b1, W2, b2``.

    Returns
    -------
    A2 : ndarray
        The outputs, shape ``(n_y, m)``.
    cache : dict of ndarray
        ``Z1, A1, Z2, A2``.

    Raises
    ------
    TypeError, ValueError
        As :func:`refnet.network.forward_propagation`, for malformed X or parameters.

    See Also
    --------
    refnet.network.forward_propagation : Any depth, activation and output.

    Examples
    --------
    >>> from refnet.notebook import forward_propagation, initialize_parameters
    >>> X = np.random.RandomState(1).randn(2, 3)  # the notebook's np.random.seed(1); randn(2, 3)
    >>> A2, cache = forward_propagation(X, initialize_parameters(2, 4, 1))
    >>> print(A2)  # the notebook's In 62
    [[0.5002307  0.49985831 0.50023963]]
    >>> list(cache)
    ['Z1', 'A1', 'Z2', 'A2']
    """
    return _net.forward_propagation(X, parameters, hidden="tanh", output="sigmoid")


def compute_cost(A2, Y, parameters):
    """The cross-entropy -Σ [Y log A2 + (1 - Y) log(1 - A2)] / m, m = Y.shape[1].

    The notebook's ``compute_cost`` (In 63) computes this with ``np.log`` and returns a float;
    ``parameters`` is unused, as in the notebook.  This calls :func:`refnet.network.compute_cost`,
    which takes 0 · log 0 as 0: where an output saturates to exactly 0 or 1 the notebook's form
    gives nan or inf with warnings, this gives inf only when the true cost is unbounded
    (``docs/errata.md``, 7).

    Parameters
    ----------
    A2 : array_like
        The outputs, shape ``(n_y, m)``, in [0, 1].
    Y : array_like
        The labels, shape ``(n_y, m)``, in [0, 1].
    parameters : object
        Ignored, as in the notebook.

    Returns
    -------
    float
        The cost.

    Raises
    ------
    TypeError, ValueError
        As :func:`refnet.network.compute_cost`: A2 or Y malformed, of different shapes, or out of
        [0, 1].

    See Also
    --------
    refnet.network.cost_from_logits : The form the network trains on, finite for every Z.

    Examples
    --------
    >>> from refnet.notebook import compute_cost, forward_propagation, initialize_parameters
    >>> r = np.random.RandomState(1)  # the notebook's np.random.seed(1)
    >>> X, Y = r.randn(2, 3), r.randn(1, 3) > 0
    >>> Y
    array([[ True, False,  True]])
    >>> parameters = initialize_parameters(2, 4, 1)
    >>> A2, _ = forward_propagation(X, parameters)
    >>> compute_cost(A2, Y, parameters)  # the notebook's In 64
    0.692739
    """
    del parameters
    return _net.compute_cost(A2, Y, output="sigmoid")


def BWP(parameters, cache, X, Y):
    """The notebook's backward pass, with its m = Y.size.

    dZ2 = A2 - Y; dW2 = dZ2 A1ᵀ / m; db2 = Σ dZ2 / m; dZ1 = W2ᵀ dZ2 ⊙ (1 - A1²);
    dW1 = dZ1 Xᵀ / m; db1 = Σ dZ1 / m.  The notebook's ``BWP`` (In 73) takes ``m = Y.size``,
    the number of samples only when n_y = 1: with n_y > 1 every gradient is 1/n_y of the true
    one (``docs/errata.md``, 5).  This keeps the notebook's m, passing it to
    :func:`refnet.network.backward_propagation`, which divides by ``X.shape[1]`` otherwise.

    Parameters
    ----------
    parameters : dict of array_like
        ``W1, b1, W2, b2``.
    cache : dict of array_like
        ``Z1, A1, Z2, A2`` from :func:`forward_propagation`.
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.

    Returns
    -------
    dict of ndarray
        ``dW2, db2, dW1, db1``, in the notebook's order.

    Raises
    ------
    TypeError, ValueError
        As :func:`refnet.network.backward_propagation`, for malformed parameters, cache or data.

    See Also
    --------
    refnet.network.backward_propagation : The mean over the samples.

    Examples
    --------
    >>> from refnet.notebook import BWP, forward_propagation, initialize_parameters
    >>> r = np.random.RandomState(1)  # the notebook's np.random.seed(1)
    >>> X, Y = r.randn(2, 3), r.randn(1, 3) > 0
    >>> Y
    array([[ True, False,  True]])
    >>> parameters = initialize_parameters(2, 4, 1)
    >>> A2, cache = forward_propagation(X, parameters)
    >>> grades = BWP(parameters, cache, X, Y)
    >>> list(grades)
    ['dW2', 'db2', 'dW1', 'db1']
    >>> grades["db2"]  # the notebook's In 75
    array([[-0.16655712]])

    With two outputs, the erratum: half of the true gradient.

    >>> from refnet import network
    >>> Y2 = np.vstack([Y, ~Y]).astype(float)
    >>> parameters = initialize_parameters(2, 4, 2)
    >>> A2, cache = forward_propagation(X, parameters)
    >>> true = network.backward_propagation(parameters, cache, X, Y2)
    >>> BWP(parameters, cache, X, Y2)["db2"] / true["db2"]
    array([[0.5],
           [0.5]])
    """
    g = _net.backward_propagation(parameters, cache, X, Y, hidden="tanh", output="sigmoid",
                                  m=np.asarray(Y).size)
    return {"dW2": g["dW2"], "db2": g["db2"], "dW1": g["dW1"], "db1": g["db1"]}


def update(parameters, grades, lr=0.01):
    """The notebook's update: W ← W - lr dW and b ← b - lr db for both layers; a new dict.

    The notebook's ``update`` (In 76) does this for W1, b1, W2, b2; this calls
    :func:`refnet.network.update_parameters`.

    Parameters
    ----------
    parameters : dict of array_like
        ``W1, b1, W2, b2``.
    grades : dict of array_like
        ``dW1, db1, dW2, db2`` (the notebook's name for the gradients).
    lr : float, default 0.01
        The learning rate.

    Returns
    -------
    dict of ndarray
        The updated ``W1, b1, W2, b2``.

    Raises
    ------
    TypeError, ValueError
        As :func:`refnet.network.update_parameters`: a missing gradient, mismatched shapes, or a
        non-finite ``lr``.

    See Also
    --------
    refnet.network.update_parameters : The function it calls.

    Examples
    --------
    >>> from refnet.notebook import BWP, forward_propagation, initialize_parameters, update
    >>> r = np.random.RandomState(1)  # the notebook's np.random.seed(1)
    >>> X, Y = r.randn(2, 3), r.randn(1, 3) > 0
    >>> Y
    array([[ True, False,  True]])
    >>> parameters = initialize_parameters(2, 4, 1)
    >>> A2, cache = forward_propagation(X, parameters)
    >>> parameters = update(parameters, BWP(parameters, cache, X, Y), lr=0.01)
    >>> parameters["b2"]  # the notebook's In 78
    array([[0.00166557]])
    """
    return _net.update_parameters(parameters, grades, lr=lr)


def NN(X, Y, layers, itr=10000, print_cost=False):
    """The notebook's training loop: ``itr`` steps of descent on a one-hidden-layer network.

    The notebook's ``NN`` (In 82) seeds NumPy's global generator with 3, initialises (which seeds
    it with 2), then runs ``itr`` steps of :func:`forward_propagation`, :func:`compute_cost`,
    :func:`BWP` and :func:`update` at lr = 0.01, printing ``"cost % i:%f"`` every 100 steps.  So
    does this, with the errata of those functions (``BWP``'s m = Y.size among them).  It returns
    the parameters only, no cost history (:func:`refnet.network.train` returns both).

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    layers : int
        The number of hidden units.
    itr : int, default 10000
        The number of steps.
    print_cost : bool, default False
        Print the cost every 100 steps.

    Returns
    -------
    dict of ndarray
        The trained ``W1, b1, W2, b2``.

    Raises
    ------
    TypeError, ValueError
        As the functions it calls, for malformed X or Y or an invalid width.

    See Also
    --------
    refnet.network.train : Any depth, also returns the costs.

    Examples
    --------
    >>> from refnet.notebook import NN
    >>> r = np.random.RandomState(1)  # the notebook's np.random.seed(1)
    >>> X, Y = r.randn(2, 3), r.randn(1, 3) > 0
    >>> Y
    array([[ True, False,  True]])
    >>> parameters = NN(X, Y, 4, itr=1000, print_cost=True)  # the notebook's In 83
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
    >>> parameters["W2"]
    array([[-0.52988031, -1.04262947,  0.31610115,  1.11019047]])
    """
    np.random.seed(3)
    n_x, n_h, n_y = layer_sizes(X, Y, layers)
    parameters = initialize_parameters(n_x, n_h, n_y)
    for i in range(0, itr):
        A2, cache = forward_propagation(X, parameters)
        cost = compute_cost(A2, Y, parameters)
        grades = BWP(parameters, cache, X, Y)
        parameters = update(parameters, grades, lr=0.01)
        if print_cost and i % 100 == 0:
            print(f"cost {i: d}:{cost:f}")
    return parameters
