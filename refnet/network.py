"""The network, written by hand in NumPy: layer sizes, initialisation, forward pass, cost,
backward pass, update and training.

Arrays are features × samples, as in the notebook: ``X`` is ``(n_x, m)``, ``Y`` is ``(n_y, m)``.
Parameters are a dict ``W1, b1, …, WL, bL`` with ``Wl`` of shape ``(n_l, n_{l-1})`` and ``bl`` of
shape ``(n_l, 1)``; gradients a dict ``dW1, db1, …``; the cache holds ``Z1, A1, …, ZL, AL``.

    Z_l = W_l A_{l-1} + b_l,   A_0 = X
    A_l = g(Z_l)               (l < L; g any activation of ``refnet.activations.ACTIVATIONS``)
    A_L = σ(Z_L) or softmax(Z_L) over the classes (axis 0)

The cost the network trains on is computed from the logits ``Z_L`` (softplus / log-sum-exp), so a
saturated output gives a finite cost and the exact output gradient ``dZ_L = (A_L - Y) / m``.

``hidden`` names the hidden layers' activation (a key of ``ACTIVATIONS``) in
:func:`forward_propagation`, :func:`backward_propagation`, :func:`loss` and :func:`train_step`.
Only :func:`layer_sizes` keeps the notebook's ``hidden`` for the hidden widths; :func:`train` calls
them ``hidden_sizes`` and the activation ``hidden_activation``.

:func:`forward_propagation`, :func:`cost_from_logits`, :func:`backward_propagation` and
:func:`loss` also accept parameters with leading batch axes (``W`` of shape ``(..., n_l,
n_{l-1})``, X and Y shared): the batched checker (:mod:`refnet.checking.batch`) runs many
parameter sets in one call.  :func:`loss` also takes complex values: the complex step needs a
complex-safe forward.

:func:`train` is the plain loop of :func:`train_step` (forward, cost, backward, update), checked
at every call; :mod:`refnet.fast` has the same step fused, bit for bit, for speed.

The twin of this module is :mod:`refnet.twin.network`: the same functions by the same names, in
``jax.numpy``, with gradients from ``jax.grad``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from refnet.activations import (
    ACTIVATIONS,
    log_softmax,
    sigmoid,
    softmax,
    softplus,
)

__all__ = [
    "OUTPUTS",
    "backward_propagation",
    "compute_cost",
    "cost_from_logits",
    "forward_propagation",
    "initialize_parameters",
    "l2_penalty",
    "layer_sizes",
    "loss",
    "output_delta",
    "softplus",
    "train",
    "train_step",
    "update_parameters",
]

OUTPUTS = ("sigmoid", "softmax")
"""The output activations: ``"sigmoid"`` (each output row a probability: binary or multi-label
classification) and ``"softmax"`` (each column a distribution over the classes).

Examples
--------
>>> from refnet.network import OUTPUTS
>>> OUTPUTS
('sigmoid', 'softmax')
"""


# ---------------------------------------------------------------------------------------------
# validation helpers


def _matrix(a, name, *, batched=False):
    """``a`` as a 2-D float64 array (bool and integers promoted), or a clear error naming it.

    ``batched``: also accept leading batch axes (a stack of such matrices, shape ``(..., r, c)``).
    """
    arr = np.asarray(a)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if arr.ndim < 2 or (arr.ndim > 2 and not batched):
        hint = ""
        if arr.ndim == 1:
            hint = f"; for one row use {name}.reshape(1, -1)"
        raise ValueError(
            f"{name}: expected a 2-D array (rows × samples), got shape {arr.shape}{hint}"
        )
    if arr.size == 0:
        raise ValueError(
            f"{name}: expected a non-empty array, got shape {arr.shape} (an empty batch?)"
        )
    arr = arr.astype(np.float64, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        raise ValueError(
            f"{name}: expected finite values, got {len(bad)} non-finite "
            f"(first {arr[tuple(bad[0])]} at {tuple(int(i) for i in bad[0])})"
        )
    return arr


def _hidden_name(hidden):
    if not isinstance(hidden, str):
        raise TypeError(f"hidden: expected an activation name, got {type(hidden).__name__}")
    if hidden not in ACTIVATIONS:
        raise ValueError(
            f"hidden: unknown activation {hidden!r}; choose one of {sorted(ACTIVATIONS)}"
        )
    return ACTIVATIONS[hidden]


def _output_name(output):
    if not isinstance(output, str) or output not in OUTPUTS:
        raise ValueError(f"output: expected one of {OUTPUTS}, got {output!r}")
    return output


def _depth(parameters):
    """The number of layers L of a parameter dict holding exactly W1, b1, …, WL, bL."""
    if not isinstance(parameters, dict):
        raise TypeError(f"parameters: expected a dict W1, b1, …, got {type(parameters).__name__}")
    L = len(parameters) // 2
    expected = {f"{p}{l}" for l in range(1, L + 1) for p in "Wb"}
    if L == 0 or set(parameters) != expected:
        # the layers named by any key, so that the one missing is named too
        named = [int(k[1:]) for k in map(str, parameters) if k[:1] in "Wb" and k[1:].isdigit()]
        top = max(named, default=0)
        want = [f"{p}{l}" for l in range(1, top + 1) for p in "Wb"]
        missing = [k for k in want if k not in parameters]
        extra = sorted(str(k) for k in parameters if k not in want)
        why = "; ".join(part for part in (missing and f"missing {', '.join(missing)}",
                                          extra and f"unexpected {', '.join(extra)}") if part)
        raise ValueError(
            f"parameters: expected keys W1, b1, …, WL, bL, got {sorted(parameters)}"
            + (f": {why}" if why else "")
        )
    return L


def _weights(parameters, n_x, *, batched=False):
    """The lists [W1, …], [b1, …] as float64 arrays, checked to chain from n_x features.

    ``batched``: the arrays may share leading batch axes (``W_l`` of shape ``(..., n_l,
    n_{l-1})``, ``b_l`` of shape ``(..., n_l, 1)``), the same for every array.
    """
    L = _depth(parameters)
    Ws, bs = [], []
    n_prev = n_x
    lead = None
    for l in range(1, L + 1):
        W = _matrix(parameters[f"W{l}"], f"W{l}", batched=batched)
        b = _matrix(parameters[f"b{l}"], f"b{l}", batched=batched)
        if lead is None:
            lead = W.shape[:-2]
        if W.shape[:-2] != lead:
            raise ValueError(
                f"W{l}: batch axes {W.shape[:-2]} differ from W1's {lead} (shape {W.shape})"
            )
        if W.shape[-1] != n_prev:
            what = "X has" if l == 1 else f"W{l - 1} has"
            raise ValueError(
                f"W{l}: shape {W.shape} does not chain: {what} {n_prev} rows, so W{l} needs "
                f"{n_prev} columns"
            )
        if b.shape != lead + (W.shape[-2], 1):
            raise ValueError(
                f"b{l}: expected shape {lead + (W.shape[-2], 1)} to match W{l}, got {b.shape}"
            )
        Ws.append(W)
        bs.append(b)
        n_prev = W.shape[-2]
    return Ws, bs


def _labels(Y, shape, output=None):
    """Y as float64, checked against the output shape ``(n_y, m)`` and, given the output kind,
    against its range: labels in [0, 1] for sigmoid; non-negative columns summing to 1 for
    softmax (one-hot or a distribution; tolerances.LABEL_SUM_ATOL)."""
    Yarr = np.asarray(Y)
    if Yarr.ndim == 1 and len(shape) == 2 and Yarr.shape == (shape[1],) and shape[0] == 1:
        raise ValueError(
            f"Y: got shape {Yarr.shape} against outputs of shape {shape}; write "
            "Y.reshape(1, -1) (a (m,) array would broadcast to (m, m))"
        )
    Yarr = _matrix(Yarr, "Y")
    if Yarr.shape != tuple(shape):
        raise ValueError(f"Y: expected shape {tuple(shape)} (outputs × samples), got {Yarr.shape}")
    if output == "sigmoid" and (Yarr.min() < 0 or Yarr.max() > 1):
        raise ValueError(
            f"Y: sigmoid outputs need labels in [0, 1], got values from {Yarr.min()} "
            f"to {Yarr.max()}"
        )
    if output == "softmax":
        from refnet.tolerances import LABEL_SUM_ATOL

        sums = Yarr.sum(axis=0)
        if Yarr.min() < 0 or not np.all(np.abs(sums - 1.0) <= LABEL_SUM_ATOL):
            raise ValueError(
                "Y: for a softmax output each column must be a distribution (entries >= 0, "
                f"summing to 1); got entries from {Yarr.min()}, column sums from {sums.min()} "
                f"to {sums.max()}"
            )
    return Yarr


def _m(m, X):
    """The divisor of the sample mean: X's number of columns unless given."""
    if m is None:
        return X.shape[-1]
    if isinstance(m, bool) or not isinstance(m, Real) or not m > 0:
        raise ValueError(f"m: expected a positive number of samples, got {m!r}")
    return m


# ---------------------------------------------------------------------------------------------
# sizes and initialisation


def layer_sizes(X, Y, hidden):
    """The layer sizes ``(n_x, *hidden, n_y)``: features of X, the hidden widths, outputs of Y.

    ``hidden`` is one width (an int) or a sequence of widths (possibly empty: no hidden layer).
    Here alone, as in the notebook, ``hidden`` means widths; everywhere else in this module it
    names the hidden activation (``train`` calls the widths ``hidden_sizes``).

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)`` (features × samples).
    Y : array_like
        The labels, shape ``(n_y, m)``; only its shape is used.
    hidden : int or sequence of int
        The width of the one hidden layer, or the widths of the hidden layers in order.

    Returns
    -------
    tuple of int
        ``(n_x, *hidden, n_y)``, the ``layer_dims`` of :func:`initialize_parameters`.

    Raises
    ------
    TypeError
        If X is not a real numeric array, or ``hidden`` is neither an integer nor iterable.
    ValueError
        If X is not a non-empty 2-D array of finite values, Y is not 2-D, X and Y have different
        numbers of columns (samples), or a width is not a positive integer.

    See Also
    --------
    initialize_parameters : Draws parameters for these sizes.
    train : Takes the widths as ``hidden_sizes``.

    Examples
    --------
    >>> from refnet.network import layer_sizes
    >>> X, Y = np.zeros((2, 3)), np.zeros((1, 3))
    >>> layer_sizes(X, Y, 4)
    (2, 4, 1)
    >>> layer_sizes(X, Y, [5, 3])
    (2, 5, 3, 1)
    >>> layer_sizes(X, Y, ())
    (2, 1)
    """
    X = _matrix(X, "X")
    Yarr = np.asarray(Y)
    if Yarr.ndim != 2:
        hint = "; for one output use Y.reshape(1, -1)" if Yarr.ndim == 1 else ""
        raise ValueError(
            f"Y: expected a 2-D array (outputs × samples), got shape {Yarr.shape}{hint}"
        )
    if Yarr.shape[1] != X.shape[1]:
        raise ValueError(f"Y: has {Yarr.shape[1]} samples (columns), X has {X.shape[1]}")
    if isinstance(hidden, Integral) and not isinstance(hidden, bool):
        widths = (int(hidden),)
    else:
        try:
            widths = tuple(hidden)
        except TypeError:
            raise TypeError(
                f"hidden: expected a width or a sequence of widths, got {type(hidden).__name__}"
            ) from None
    for w in widths:
        if isinstance(w, bool) or not isinstance(w, Integral) or w < 1:
            raise ValueError(f"hidden: widths must be positive integers, got {hidden!r}")
    return (X.shape[0], *(int(w) for w in widths), Yarr.shape[0])


def initialize_parameters(layer_dims, seed=None, scale=0.01):
    """Draw the initial parameters: W_l ~ scale · N(0, 1) and b_l = 0.

    W_l has shape (n_l, n_{l-1}) and b_l shape (n_l, 1).  Draws from its own
    ``np.random.default_rng(seed)`` (``seed`` may also be a Generator), in the order W1, W2, …;
    NumPy's global random state is never touched.

    Parameters
    ----------
    layer_dims : sequence of int
        The layer sizes ``(n_x, n_1, …, n_L)``, at least two, as :func:`layer_sizes` returns them.
    seed : None, int or numpy.random.Generator, optional
        The seed of the generator, or the generator itself (then it is drawn from, and advanced).
        ``None`` draws fresh entropy.
    scale : float, default 0.01
        The standard deviation of the weights.

    Returns
    -------
    dict of ndarray
        ``W1, b1, …, WL, bL`` as float64 arrays.

    Raises
    ------
    ValueError
        If ``layer_dims`` has fewer than two sizes or a size that is not a positive integer,
        ``scale`` is not a finite number, or ``seed`` is not None, an integer >= 0 or a Generator.

    See Also
    --------
    layer_sizes : The sizes from the data and the hidden widths.

    Examples
    --------
    >>> from refnet.network import initialize_parameters
    >>> P = initialize_parameters((2, 4, 1), seed=0)
    >>> sorted(P)
    ['W1', 'W2', 'b1', 'b2']
    >>> P["W1"].shape, P["b1"].shape, P["W2"].shape, P["b2"].shape
    ((4, 2), (4, 1), (1, 4), (1, 1))
    >>> P["W2"].round(6)
    array([[-0.007037, -0.012654, -0.006233,  0.000413]])
    >>> bool(np.all(P["b1"] == 0))
    True
    >>> np.array_equal(initialize_parameters((2, 4, 1), seed=0)["W1"], P["W1"])
    True
    """
    dims = tuple(layer_dims)
    if len(dims) < 2:
        raise ValueError(f"layer_dims: need at least (n_x, n_y), got {dims!r}")
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, Integral) or d < 1:
            raise ValueError(f"layer_dims: sizes must be positive integers, got {dims!r}")
    if isinstance(scale, bool) or not isinstance(scale, Real) or not math.isfinite(scale):
        raise ValueError(f"scale: expected a finite number, got {scale!r}")
    try:
        rng = np.random.default_rng(seed)
    except (TypeError, ValueError):
        raise ValueError(f"seed: expected None, an integer >= 0 or a numpy Generator, got "
                         f"{seed!r}") from None
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1])) * scale
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
    return parameters


# ---------------------------------------------------------------------------------------------
# forward


def _forward(X, Ws, bs, g, output):
    """The pass Z_l = W_l A_{l-1} + b_l, A_l = g(Z_l), A_L = output(Z_L); returns the Z and A lists.

    No checks; works with leading batch axes on W and b, and with complex values.
    """
    A = X
    Zs, As = [], []
    L = len(Ws)
    for l in range(L):
        Z = Ws[l] @ A + bs[l]
        if l < L - 1:
            A = g(Z)
        elif output == "sigmoid":
            A = sigmoid(Z)
        else:
            A = softmax(Z, axis=-2)
        Zs.append(Z)
        As.append(A)
    return Zs, As


def forward_propagation(X, parameters, hidden="tanh", output="sigmoid"):
    """The forward pass: the output A_L = output(Z_L) and the cache Z1, A1, …, ZL, AL.

    Z_l = W_l A_{l-1} + b_l (A_0 = X); A_l = g(Z_l) for the hidden layers, g the registry's
    ``hidden`` activation at its default parameters; A_L = σ(Z_L) or softmax over the classes.

    ``hidden`` is the hidden layers' activation, a name of ``refnet.activations.ACTIVATIONS``
    (the widths are the parameters' shapes).  ``parameters`` may carry leading batch axes
    (``W_l`` of shape ``(..., n_l, n_{l-1})``, ``b_l`` of shape ``(..., n_l, 1)``): many
    parameter sets on one shared X, and every array of the cache has those axes in front.

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``.
    parameters : dict of array_like
        ``W1, b1, …, WL, bL``, possibly with shared leading batch axes.
    hidden : str, default "tanh"
        The hidden activation, a key of ``refnet.activations.ACTIVATIONS``.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation; softmax normalises over the classes (axis -2).

    Returns
    -------
    AL : ndarray
        The outputs, shape ``(n_y, m)`` (``(..., n_y, m)`` for batched parameters).
    cache : dict of ndarray
        ``Z1, A1, …, ZL, AL``, in that order, for :func:`backward_propagation`.

    Raises
    ------
    TypeError
        If X or a parameter is not a real numeric array, ``parameters`` is not a dict, or
        ``hidden`` is not a string.
    ValueError
        If ``hidden`` or ``output`` is unknown, the keys are not exactly ``W1, b1, …, WL, bL``,
        an array is empty, not finite or of the wrong number of dimensions, the shapes do not
        chain from X's ``n_x`` rows, or the batch axes differ between arrays.

    See Also
    --------
    backward_propagation : The gradients from this cache.
    cost_from_logits : The cost from ``cache["ZL"]``.

    Examples
    --------
    >>> from refnet.network import forward_propagation, initialize_parameters
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> P = initialize_parameters((2, 4, 1), seed=0)
    >>> AL, cache = forward_propagation(X, P)
    >>> AL.shape, list(cache)
    ((1, 3), ['Z1', 'A1', 'Z2', 'A2'])
    >>> AL.round(6)
    array([[0.499987, 0.50002 , 0.499999]])

    A softmax output sums to 1 over the classes of each sample:

    >>> A, _ = forward_propagation(X, initialize_parameters((2, 4, 3), seed=0), "relu", "softmax")
    >>> A.sum(axis=0)
    array([1., 1., 1.])

    Two parameter sets stacked on a leading axis, one call:

    >>> Pb = {k: np.stack([v, 2 * v]) for k, v in P.items()}
    >>> forward_propagation(X, Pb)[0].shape
    (2, 1, 3)
    """
    X = _matrix(X, "X")
    g = _hidden_name(hidden).forward
    output = _output_name(output)
    Ws, bs = _weights(parameters, X.shape[0], batched=True)
    Zs, As = _forward(X, Ws, bs, g, output)
    cache = {}
    for l, (Z, A) in enumerate(zip(Zs, As), start=1):
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return As[-1], cache


# ---------------------------------------------------------------------------------------------
# cost


def _cost_terms(ZL, Y, output):
    """Per-element costs from the logits: softplus(Z) - Y Z (sigmoid), -Y log softmax(Z)."""
    if output == "sigmoid":
        return softplus(ZL) - Y * ZL
    return -Y * log_softmax(ZL, axis=-2)


def cost_from_logits(ZL, Y, output="sigmoid", *, m=None):
    """The cross-entropy from the logits Z_L, stable for any finite Z_L.

    sigmoid: Σ [softplus(Z) - Y Z] / m  (= -Σ[Y log σ(Z) + (1-Y) log(1-σ(Z))] / m);
    softmax: -Σ Y log softmax(Z) / m, log softmax = Z - max Z - log Σ e^(Z - max Z).
    m is the number of samples, ZL.shape[-1], unless given.  A float for a 2-D ZL; for a ZL with
    leading batch axes (``(..., n_y, m)``, Y shared) the array of the costs of every set.  A true
    cost beyond the largest float is ``inf``, without a warning.

    Parameters
    ----------
    ZL : array_like
        The logits of the output layer, shape ``(n_y, m)`` or ``(..., n_y, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``: in [0, 1] for sigmoid; for softmax each column a
        distribution (one-hot or not).
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation the logits feed.
    m : float, optional
        The divisor of the sum; the number of samples ``ZL.shape[-1]`` by default.

    Returns
    -------
    float or ndarray
        The cost; an array of the batch shape when ZL has leading batch axes.

    Raises
    ------
    TypeError
        If ZL or Y is not a real numeric array.
    ValueError
        If ``output`` is unknown, ZL or Y is empty, not finite or of the wrong shape, the labels
        are out of range for ``output`` (see above), or ``m`` is not a positive number.

    See Also
    --------
    compute_cost : The same cost from the outputs A_L, as the notebook writes it.
    loss : This cost of the forward pass plus the L2 penalty.

    Examples
    --------
    >>> from refnet.network import cost_from_logits
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> cost_from_logits(np.zeros((1, 3)), Y)  # σ(0) = 1/2 for every sample: log 2
    0.693147

    Finite where ``log(1 - σ(800))`` would be ``-inf``:

    >>> cost_from_logits(np.array([[800.0]]), np.array([[0.0]]))
    800.0
    >>> cost_from_logits(np.array([[2.0, 0.0], [0.0, 2.0]]), np.eye(2), "softmax")
    0.126928
    """
    output = _output_name(output)
    ZL = _matrix(ZL, "ZL", batched=True)
    Y = _labels(Y, ZL.shape[-2:], output)
    m = _m(m, ZL)
    with np.errstate(over="ignore"):  # a true cost beyond 1.8e308 is inf, said without a warning
        if ZL.ndim == 2:
            return float(np.sum(_cost_terms(ZL, Y, output) / m))
        return np.sum(_cost_terms(ZL, Y, output) / m, axis=(-2, -1))


def _xlogy(y, a):
    """y log a, taken as 0 where y = 0 (so 0 · log 0 = 0), without warnings."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y == 0, 0.0, y * np.log(a))


def compute_cost(AL, Y, output="sigmoid", *, parameters=None, lambd=0.0, m=None):
    """The cross-entropy from the outputs A_L, as the notebook writes it.

    sigmoid: -Σ [Y log A + (1 - Y) log(1 - A)] / m over all outputs (binary or multi-label);
    softmax: -Σ Y log A / m.  With ``lambd`` > 0, plus λ/(2m) Σ_l ‖W_l‖² (needs ``parameters``).
    Terms with a zero label weight count 0 (0 · log 0 = 0, where the notebook's form gives nan);
    an output rounded to exactly 0 or 1 against the other label gives ``inf``, without a warning
    (the logits form, :func:`cost_from_logits`, stays finite there; ``docs/errata.md``, 7).

    Parameters
    ----------
    AL : array_like
        The outputs, shape ``(n_y, m)``, probabilities in [0, 1]; for softmax each column sums to 1.
    Y : array_like
        The labels, shape ``(n_y, m)``, as for :func:`cost_from_logits`.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation that gave AL.
    parameters : dict of array_like, optional
        ``W1, b1, …``; needed only for the penalty (``lambd`` > 0).
    lambd : float, default 0.0
        The L2 regularisation strength λ >= 0.
    m : float, optional
        The divisor; the number of samples ``AL.shape[1]`` by default.

    Returns
    -------
    float
        The cost (``inf`` where it is unbounded).

    Raises
    ------
    TypeError
        If AL or Y is not a real numeric array.
    ValueError
        If ``output`` is unknown; AL or Y is empty, not 2-D, not finite or of different shapes;
        AL is outside [0, 1] or, for softmax, a column does not sum to 1; the labels are out of
        range; ``m`` is not positive; or ``lambd`` > 0 without ``parameters``, or negative.

    See Also
    --------
    cost_from_logits : The stable form the network trains on.

    Examples
    --------
    >>> from refnet.network import compute_cost
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> compute_cost(np.full((1, 3), 0.5), Y)
    0.693147
    >>> compute_cost(np.array([[1.0]]), np.array([[0.0]]))  # certain, and wrong
    inf
    >>> compute_cost(np.array([[0.0]]), np.array([[0.0]]))  # certain, and right: 0 · log 0 = 0
    0.0
    """
    output = _output_name(output)
    AL = _matrix(AL, "AL")
    Y = _labels(Y, AL.shape, output)
    if AL.min() < 0 or AL.max() > 1:
        raise ValueError(
            f"AL: expected probabilities in [0, 1], got values from {AL.min()} to {AL.max()}"
        )
    if output == "softmax":
        from refnet.tolerances import LABEL_SUM_ATOL

        if not np.all(np.abs(AL.sum(axis=0) - 1.0) <= LABEL_SUM_ATOL):
            raise ValueError("AL: softmax outputs must sum to 1 over each column (axis 0)")
    if output == "sigmoid":
        terms = _xlogy(Y, AL) + _xlogy(1.0 - Y, 1.0 - AL)
    else:
        terms = _xlogy(Y, AL)
    m = _m(m, AL)
    cost = -np.sum(terms) / m
    if lambd:
        if parameters is None:
            raise ValueError("parameters: needed for the L2 penalty when lambd > 0")
        Ws, _ = _weights(parameters, _matrix(parameters["W1"], "W1").shape[1])
        cost = cost + l2_penalty(Ws, lambd, m)
    return float(cost)


def l2_penalty(Ws, lambd, m):
    """The L2 penalty λ/(2m) Σ_l ‖W_l‖² (Frobenius), summed over the last two axes of each W_l.

    Written as Σ W² (not |W|²) so it stays analytic for complex W.

    Parameters
    ----------
    Ws : sequence of array_like
        The weight matrices W1, …, WL, each of shape ``(n_l, n_{l-1})`` or with leading batch
        axes.
    lambd : float
        The regularisation strength λ, a finite number >= 0.
    m : float
        The number of samples.

    Returns
    -------
    numpy.float64 or ndarray
        The penalty; an array of the batch shape for batched W.

    Raises
    ------
    ValueError
        If ``lambd`` is not a finite number >= 0.

    See Also
    --------
    loss : The cost plus this penalty.

    Examples
    --------
    >>> from refnet.network import l2_penalty
    >>> float(l2_penalty([np.ones((2, 2)), np.ones((1, 2))], 0.5, 3))  # 0.5/6 · 6
    0.5
    """
    lambd = _lambd(lambd)
    total = 0.0
    for W in Ws:
        total = total + np.sum(W * W, axis=(-2, -1))
    return lambd / (2.0 * m) * total


def _loss(X, Y, Ws, bs, g, output, lambd, m):
    """cost_from_logits(Z_L(θ), Y) + λ/(2m) Σ‖W‖², per parameter set (no checks)."""
    Zs, _ = _forward(X, Ws, bs, g, output)
    with np.errstate(over="ignore"):  # as in cost_from_logits
        cost = np.sum(_cost_terms(Zs[-1], Y, output) / m, axis=(-2, -1))
    if lambd:
        cost = cost + l2_penalty(Ws, lambd, m)
    return cost


def loss(parameters, X, Y, hidden="tanh", output="sigmoid", lambd=0.0, *, m=None):
    """The training objective J(θ) = cost_from_logits(Z_L, Y) + λ/(2m) Σ_l ‖W_l‖².

    ``parameters`` may carry leading batch axes (``W_l`` of shape ``(..., n_l, n_{l-1})``,
    ``b_l`` of shape ``(..., n_l, 1)``) and complex values; the result then has the batch shape.
    For plain 2-D parameters it is a float.  Complex parameters are how the complex step
    differentiates it: Im J(θ + ih e) / h is the derivative along e.

    Parameters
    ----------
    parameters : dict of array_like
        ``W1, b1, …, WL, bL``, real or complex, possibly with shared leading batch axes.
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    hidden : str, default "tanh"
        The hidden activation, a key of ``refnet.activations.ACTIVATIONS``.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    lambd : float, default 0.0
        The L2 regularisation strength λ >= 0.
    m : float, optional
        The divisor of the mean; the number of samples ``X.shape[1]`` by default.

    Returns
    -------
    float or ndarray
        J; for batched or complex parameters, an array (or complex scalar) of the batch shape.

    Raises
    ------
    TypeError
        If X, Y or a real 2-D parameter is not a real numeric array, ``parameters`` is not a
        dict, or ``hidden`` is not a string.
    ValueError
        If ``hidden`` or ``output`` is unknown, the keys are not ``W1, b1, …, WL, bL``, the shapes
        do not chain or do not match Y, an array is empty or not finite, or ``lambd`` or ``m`` is
        invalid.

    See Also
    --------
    backward_propagation : The gradient of J.
    cost_from_logits : Its first term.

    Examples
    --------
    >>> from refnet.network import initialize_parameters, loss
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> P = initialize_parameters((2, 4, 1), seed=0)
    >>> loss(P, X, Y)
    0.693169
    >>> loss(P, X, Y, lambd=0.1)
    0.693179

    Two parameter sets at once:

    >>> loss({k: np.stack([v, 2 * v]) for k, v in P.items()}, X, Y)
    array([0.693169, 0.693236])

    The complex step along b2 gives dJ/db2:

    >>> h = 1e-20
    >>> float(loss(dict(P, b2=P["b2"] + 1j * h), X, Y).imag / h)
    -0.166665
    """
    X = _matrix(X, "X")
    g = _hidden_name(hidden).forward
    output = _output_name(output)
    L = _depth(parameters)
    Ws = [np.asarray(parameters[f"W{l}"]) for l in range(1, L + 1)]
    bs = [np.asarray(parameters[f"b{l}"]) for l in range(1, L + 1)]
    if all(W.ndim == 2 for W in Ws) and not any(np.iscomplexobj(W) for W in Ws + bs):
        Ws, bs = _weights(parameters, X.shape[0])
    n_y = Ws[-1].shape[-2]
    Y = _labels(Y, (n_y, X.shape[1]))
    m = _m(m, X)
    out = _loss(X, Y, Ws, bs, g, output, _lambd(lambd), m)
    return float(out) if np.ndim(out) == 0 and not np.iscomplexobj(out) else out


# ---------------------------------------------------------------------------------------------
# backward


def output_delta(ZL, AL, Y, output="sigmoid"):
    """The output gradient A_L - Y, computed without the cancellation of a saturated A_L.

    A_L - Y is the gradient of the summed cross-entropy in the logits.  sigmoid:
    σ(Z) - Y = (1 - Y) σ(Z) - Y σ(-Z) (σ(Z) + σ(-Z) = 1): for Y in {0, 1} a single accurate
    term, where A_L - Y with A_L rounded near 1 keeps only the digits A_L has left (1e-7 of
    A_L - 1 at Z = 16).  softmax: where A_k > 1/2 (at most one class per column),
    A_k - Y_k = (1 - Y_k) - Σ_{j≠k} A_j, the small terms summed directly.

    No input is checked: the arrays are those of a checked forward pass.

    Parameters
    ----------
    ZL : ndarray
        The output logits, shape ``(n_y, m)`` or ``(..., n_y, m)``.
    AL : ndarray
        The outputs ``output(ZL)``, the same shape.
    Y : ndarray
        The labels, shape ``(n_y, m)``; for softmax each column a distribution.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.

    Returns
    -------
    ndarray
        A_L - Y, the shape of AL.

    See Also
    --------
    backward_propagation : Starts from dZ_L = output_delta / m.

    Examples
    --------
    >>> from refnet.activations import sigmoid
    >>> from refnet.network import output_delta
    >>> Z = np.array([[40.0]])
    >>> A = sigmoid(Z)
    >>> A - 1.0  # σ(40) has rounded to 1
    array([[0.]])
    >>> output_delta(Z, A, np.array([[1.0]]))  # -σ(-40)
    array([[-4.24835e-18]])
    """
    if output == "sigmoid":
        return (1.0 - Y) * AL - Y * sigmoid(-ZL)
    top = AL > 0.5  # strict: two classes can tie at exactly 1/2
    rest = np.sum(np.where(top, 0.0, AL), axis=-2, keepdims=True)
    return np.where(top, (1.0 - Y) - rest, AL - Y)


def _backward(X, Y, Ws, Zs, As, dg, lambd, m, output="sigmoid"):
    """The gradient lists [dW1, …], [db1, …] of J (no checks; W, b, Z and A may carry leading
    batch axes, X and Y are shared).

    dZ_L = (A_L - Y) / m (sigmoid with its cross-entropy, or softmax with a label distribution;
    computed by :func:`output_delta`); dW_l = dZ_l A_{l-1}ᵀ + (λ/m) W_l;  db_l = Σ_samples dZ_l;
    dZ_{l-1} = (W_lᵀ dZ_l) ⊙ g'(Z_{l-1}), with g' the derivative in z.
    """
    L = len(Ws)
    dWs, dbs = [None] * L, [None] * L
    dZ = output_delta(Zs[-1], As[-1], Y, output) / m
    for l in range(L - 1, -1, -1):
        A_prev = As[l - 1] if l > 0 else X
        dW = dZ @ np.swapaxes(A_prev, -1, -2)
        if lambd:
            dW = dW + (lambd / m) * Ws[l]
        dWs[l] = dW
        dbs[l] = np.sum(dZ, axis=-1, keepdims=True)
        if l > 0:
            dZ = (np.swapaxes(Ws[l], -1, -2) @ dZ) * dg(Zs[l - 1])
    return dWs, dbs


def backward_propagation(parameters, cache, X, Y, hidden="tanh", output="sigmoid",
                         lambd=0.0, *, m=None):
    """The gradients dW1, db1, …, dWL, dbL of J = cost_from_logits + λ/(2m) Σ‖W‖².

    dZ_L = (A_L - Y) / m, m = X.shape[1] (the number of samples; the notebook's ``Y.size`` is
    the same only when n_y = 1, ``docs/errata.md``, 5); dW_l = dZ_l A_{l-1}ᵀ + (λ/m) W_l;
    db_l = Σ_samples dZ_l; dZ_{l-1} = (W_lᵀ dZ_l) ⊙ g'(Z_{l-1}).  For a softmax output, each
    column of Y must be a distribution (it sums to 1), which is what makes dZ_L = A_L - Y.
    ``m`` overrides the divisor (``refnet.notebook.BWP`` passes ``Y.size``).

    ``hidden`` is the hidden activation's name, as for :func:`forward_propagation`.  Parameters
    and cache may carry leading batch axes (X and Y shared); the gradients then carry them too.

    Parameters
    ----------
    parameters : dict of array_like
        ``W1, b1, …, WL, bL``, as given to :func:`forward_propagation`.
    cache : dict of array_like
        ``Z1, A1, …, ZL, AL`` from :func:`forward_propagation` at these parameters.
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    hidden : str, default "tanh"
        The hidden activation, a key of ``refnet.activations.ACTIVATIONS``.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    lambd : float, default 0.0
        The L2 regularisation strength λ >= 0.
    m : float, optional
        The divisor; the number of samples ``X.shape[1]`` by default.

    Returns
    -------
    dict of ndarray
        ``dW1, db1, …, dWL, dbL``, each the shape of its parameter.

    Raises
    ------
    TypeError
        If X or a parameter is not a real numeric array, ``parameters`` or ``cache`` is not a
        dict, or ``hidden`` is not a string.
    ValueError
        If ``hidden`` or ``output`` is unknown, the parameters are malformed (as for
        :func:`forward_propagation`), the cache lacks a ``Z_l`` or ``A_l`` or has the wrong
        shapes, Y is of the wrong shape or range, or ``lambd`` or ``m`` is invalid.

    See Also
    --------
    forward_propagation : Makes the cache.
    loss : The J these are the gradients of.

    Examples
    --------
    >>> from refnet.network import backward_propagation, forward_propagation
    >>> from refnet.network import initialize_parameters
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> P = initialize_parameters((2, 4, 1), seed=0)
    >>> _, cache = forward_propagation(X, P)
    >>> grads = backward_propagation(P, cache, X, Y)
    >>> list(grads), grads["dW1"].shape
    (['dW1', 'db1', 'dW2', 'db2'], (4, 2))
    >>> grads["db2"]  # mean of A2 - Y: about (1/2 - 1 + 1/2 + 1/2 - 1) / 3
    array([[-0.166665]])
    """
    X = _matrix(X, "X")
    act = _hidden_name(hidden)
    output = _output_name(output)
    Ws, _ = _weights(parameters, X.shape[0], batched=True)
    lead = Ws[0].shape[:-2]
    L = len(Ws)
    if not isinstance(cache, dict):
        raise TypeError(
            f"cache: expected the dict from forward_propagation, got {type(cache).__name__}"
        )
    Zs, As = [], []
    for l in range(1, L + 1):
        for key in (f"Z{l}", f"A{l}"):
            if key not in cache:
                raise ValueError(f"cache: missing {key}; pass the cache from forward_propagation")
        Z, A = np.asarray(cache[f"Z{l}"]), np.asarray(cache[f"A{l}"])
        want = lead + (Ws[l - 1].shape[-2], X.shape[1])
        if Z.shape != want or A.shape != want:
            raise ValueError(f"cache: Z{l}/A{l} should have shape {want}, got {Z.shape}/{A.shape}")
        Zs.append(Z)
        As.append(A)
    Y = _labels(Y, As[-1].shape[-2:], output)  # for softmax, also: each column a distribution
    lambd = _lambd(lambd)
    dWs, dbs = _backward(X, Y, Ws, Zs, As, act.derivative, lambd, _m(m, X), output)
    grads = {}
    for l in range(1, L + 1):
        grads[f"dW{l}"] = dWs[l - 1]
        grads[f"db{l}"] = dbs[l - 1]
    return grads


def _lambd(lambd):
    if (isinstance(lambd, bool) or not isinstance(lambd, Real)
            or not (lambd >= 0 and math.isfinite(lambd))):
        raise ValueError(f"lambd: expected a finite number >= 0, got {lambd!r}")
    return float(lambd)


# ---------------------------------------------------------------------------------------------
# update and training


def update_parameters(parameters, grads, lr=0.01):
    """One descent update θ ← θ - lr · dθ for every W_l, b_l.

    Returns a new dict and leaves its inputs untouched.

    Parameters
    ----------
    parameters : dict of array_like
        ``W1, b1, …, WL, bL``.
    grads : dict of array_like
        ``dW1, db1, …, dWL, dbL``, each the shape of its parameter (extra keys are ignored).
    lr : float, default 0.01
        The learning rate, a finite number.

    Returns
    -------
    dict of ndarray
        The updated ``W1, b1, …, WL, bL``.

    Raises
    ------
    TypeError
        If ``parameters`` or ``grads`` is not a dict.
    ValueError
        If the keys of ``parameters`` are not ``W1, b1, …, WL, bL``, a gradient is missing or of
        another shape than its parameter, or ``lr`` is not a finite number.

    See Also
    --------
    train_step : A forward and a backward pass, then this update.

    Examples
    --------
    >>> from refnet.network import update_parameters
    >>> P = {"W1": np.ones((1, 2)), "b1": np.zeros((1, 1))}
    >>> g = {"dW1": np.array([[1.0, -1.0]]), "db1": np.array([[2.0]])}
    >>> new = update_parameters(P, g, lr=0.5)
    >>> new["W1"], new["b1"]
    (array([[0.5, 1.5]]), array([[-1.]]))
    >>> P["W1"]
    array([[1., 1.]])
    """
    L = _depth(parameters)
    if isinstance(lr, bool) or not isinstance(lr, Real) or not math.isfinite(lr):
        raise ValueError(f"lr: expected a finite number, got {lr!r}")
    if not isinstance(grads, dict):
        raise TypeError(f"grads: expected a dict dW1, db1, …, got {type(grads).__name__}")
    new = {}
    for l in range(1, L + 1):
        for p in "Wb":
            key, dkey = f"{p}{l}", f"d{p}{l}"
            if dkey not in grads:
                raise ValueError(f"grads: missing {dkey}")
            value, grad = np.asarray(parameters[key]), np.asarray(grads[dkey])
            if value.shape != grad.shape:
                raise ValueError(f"grads: {dkey} has shape {grad.shape}, {key} has {value.shape}")
            new[key] = value - lr * grad
    return new


def train_step(parameters, X, Y, hidden="tanh", output="sigmoid", lambd=0.0, lr=0.01):
    """One step of gradient descent on the batch (X, Y): ``(θ - lr ∇J(θ), J(θ))``.

        A_L, cache = forward_propagation(X, θ)
        J(θ)       = cost_from_logits(Z_L, Y) + λ/(2m) Σ_l ‖W_l‖²
        ∇J(θ)      = backward_propagation(θ, cache, X, Y)
        θ'         = update_parameters(θ, ∇J(θ), lr)

    ``hidden`` is the hidden activation's name.  Every call checks its input, as the public
    functions it is made of do; :func:`refnet.fast.train_step` is the same step, bit for bit,
    without the checks and with the shared intermediates computed once.

    Parameters
    ----------
    parameters : dict of array_like
        The parameters θ: ``W1, b1, …, WL, bL``.
    X : array_like
        The batch's inputs, shape ``(n_x, m)``.
    Y : array_like
        The batch's labels, shape ``(n_y, m)``.
    hidden : str, default "tanh"
        The hidden activation, a key of ``refnet.activations.ACTIVATIONS``.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    lambd : float, default 0.0
        The L2 regularisation strength λ >= 0.
    lr : float, default 0.01
        The learning rate.

    Returns
    -------
    parameters : dict of ndarray
        The updated parameters θ - lr ∇J(θ).
    cost : float
        The cost J(θ), before the update.

    Raises
    ------
    TypeError, ValueError
        As :func:`forward_propagation`, :func:`cost_from_logits`, :func:`backward_propagation`
        and :func:`update_parameters` raise them for invalid input.

    See Also
    --------
    train : The loop of these steps.

    Examples
    --------
    >>> from refnet.network import initialize_parameters, train_step
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> P = initialize_parameters((2, 4, 1), seed=0)
    >>> new, cost = train_step(P, X, Y, lr=0.5)
    >>> cost
    0.693169
    >>> new["b2"]  # 0 - 0.5 · dJ/db2
    array([[0.083332]])
    """
    _, cache = forward_propagation(X, parameters, hidden, output)
    L = len(cache) // 2
    cost = cost_from_logits(cache[f"Z{L}"], Y, output)
    if lambd:
        Ws = [np.asarray(parameters[f"W{l}"], dtype=np.float64) for l in range(1, L + 1)]
        cost = cost + l2_penalty(Ws, lambd, np.shape(X)[1])
    grads = backward_propagation(parameters, cache, X, Y, hidden, output, lambd)
    return update_parameters(parameters, grads, lr), cost


def _minibatches(X, Y, batch_size, rng):
    """(X, Y) for every step when ``batch_size`` is None; else the next ``batch_size`` columns of
    a shuffle, with a new permutation from ``rng`` when the rest of a pass is too short."""
    if batch_size is None:
        while True:
            yield X, Y
    m = X.shape[1]
    while True:
        order = rng.permutation(m)
        for pos in range(0, m - batch_size + 1, batch_size):
            idx = order[pos:pos + batch_size]
            yield X[:, idx], Y[:, idx]


def train(X, Y, hidden_sizes, *, hidden_activation="tanh", output="sigmoid", iterations=10000,
          lr=0.01, lambd=0.0, batch_size=None, seed=None, scale=0.01, parameters=None,
          print_cost=False, callback=None, step=train_step):
    """Train by gradient descent on J = cost_from_logits + λ/(2m) Σ‖W‖².

    ``hidden_sizes`` is the hidden width(s), as ``hidden`` is for :func:`layer_sizes`;
    ``hidden_activation`` the hidden activation's name (``hidden`` of the other functions).
    Starts from ``parameters`` if given, else from ``initialize_parameters(layer_sizes(X, Y,
    hidden_sizes), seed, scale)``.  Each iteration is one :func:`train_step` on the whole set
    (``batch_size=None``) or on the next mini-batch of a shuffle drawn, once per pass over the
    data, from the same seeded generator that drew the initial weights.  ``costs[i]`` is J on
    that step's batch before its update.

    ``print_cost`` prints the notebook's ``"cost % i:%f"`` line every 100 iterations;
    ``callback(i, cost, parameters)``, if given, is called after every step with the updated
    parameters.  ``step``: the function making one step, with :func:`train_step`'s signature
    (``refnet.fast.train_step`` gives the same bits, faster).  BLAS runs on one thread meanwhile
    (tiny products lose to a thread pool's overhead; :mod:`refnet._threads`).

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``, in range for ``output``.
    hidden_sizes : int or sequence of int
        The hidden width, or the widths of the hidden layers.
    hidden_activation : str, default "tanh"
        The hidden activation, a key of ``refnet.activations.ACTIVATIONS``.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    iterations : int, default 10000
        The number of steps, >= 0.
    lr : float, default 0.01
        The learning rate, a finite number >= 0.
    lambd : float, default 0.0
        The L2 regularisation strength λ >= 0.
    batch_size : int, optional
        The mini-batch size, 1 to m; ``None`` (or m) for full-batch steps.
    seed : None, int or numpy.random.Generator, optional
        Seeds the generator of the initial weights and of the shuffles.
    scale : float, default 0.01
        The standard deviation of the initial weights.
    parameters : dict of array_like, optional
        Initial ``W1, b1, …``, copied (not drawn); their sizes must match
        ``layer_sizes(X, Y, hidden_sizes)``.
    print_cost : bool, default False
        Print ``cost i:J`` every 100 iterations, as the notebook's ``NN`` does.
    callback : callable, optional
        ``callback(i, cost, parameters)``, called after every step.
    step : callable, default train_step
        ``step(parameters, X, Y, hidden, output, lambd, lr) -> (parameters, cost)``.

    Returns
    -------
    parameters : dict of ndarray
        The trained ``W1, b1, …, WL, bL``.
    costs : ndarray
        Shape ``(iterations,)``: J on each step's batch before its update.

    Raises
    ------
    TypeError
        If X or Y is not a real numeric array, ``hidden_sizes`` is neither an integer nor
        iterable, or ``hidden_activation`` is not a string.
    ValueError
        If an argument is out of range: X or Y malformed or of mismatched samples, labels out of
        range for ``output``, an unknown activation or output, a width, ``iterations``, ``lr``,
        ``lambd``, ``batch_size`` (more than m included) or ``seed`` invalid, or ``parameters``
        malformed or not of the sizes ``layer_sizes(X, Y, hidden_sizes)``.

    See Also
    --------
    train_step : One step.
    refnet.fast.train_step : The same step, faster.

    Examples
    --------
    >>> from refnet.network import train
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> parameters, costs = train(X, Y, 4, iterations=200, lr=1.0, seed=0)
    >>> costs.shape
    (200,)
    >>> float(costs[0])
    0.693169
    >>> bool(costs[-1] < 0.01)
    True
    >>> _ = train(X, Y, 4, iterations=101, seed=0, print_cost=True)
    cost  0:0.693169
    cost  100:0.671081
    """
    from refnet._threads import single_blas_thread

    X = _matrix(X, "X")
    dims = layer_sizes(X, Y, hidden_sizes)
    _hidden_name(hidden_activation)
    output = _output_name(output)
    Y = _labels(Y, (dims[-1], X.shape[1]), output)
    lambd = _lambd(lambd)
    if isinstance(iterations, bool) or not isinstance(iterations, Integral) or iterations < 0:
        raise ValueError(f"iterations: expected an integer >= 0, got {iterations!r}")
    if isinstance(lr, bool) or not isinstance(lr, Real) or not (math.isfinite(lr) and lr >= 0):
        raise ValueError(f"lr: expected a finite number >= 0 (a descent step), got {lr!r}")
    m_all = X.shape[1]
    if batch_size is not None and (isinstance(batch_size, bool)
                                   or not isinstance(batch_size, Integral)
                                   or not 1 <= batch_size):
        raise ValueError(f"batch_size: expected a positive integer or None, got {batch_size!r}")
    if batch_size is not None and batch_size > m_all:
        raise ValueError(f"batch_size: {batch_size} is more than the {m_all} samples of X")
    if batch_size is not None and batch_size == m_all:
        batch_size = None  # one batch of everything: the full-batch step
    rng = np.random.default_rng(seed)
    if parameters is None:
        parameters = initialize_parameters(dims, seed=rng, scale=scale)
    Ws, bs = _weights(parameters, X.shape[0])
    if tuple([X.shape[0]] + [W.shape[0] for W in Ws]) != dims:
        raise ValueError(
            f"parameters: layer sizes {tuple([X.shape[0]] + [W.shape[0] for W in Ws])} do not "
            f"match layer_sizes(X, Y, hidden_sizes) = {dims}"
        )
    parameters = {}
    for l, (W, b) in enumerate(zip(Ws, bs), start=1):
        parameters[f"W{l}"], parameters[f"b{l}"] = W.copy(), b.copy()
    costs = np.empty(iterations)
    batches = _minibatches(X, Y, batch_size, rng)
    with single_blas_thread():
        for i in range(iterations):
            Xb, Yb = next(batches)
            parameters, cost = step(parameters, Xb, Yb, hidden_activation, output, lambd, lr)
            costs[i] = cost
            if print_cost and i % 100 == 0:
                print(f"cost {i: d}:{cost:f}")  # the notebook's "cost % i:%f" % (i, cost)
            if callback is not None:
                callback(i, cost, parameters)
    return parameters, costs
