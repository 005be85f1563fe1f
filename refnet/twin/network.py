"""The JAX twin of :mod:`refnet.network`: the forward pass and the cost written by hand in
``jax.numpy``; every gradient comes from ``jax.grad`` of :func:`loss`.

Same names, same order as the NumPy side.  Arrays are features × samples; parameters a dict
``W1, b1, …``.  Nothing here imports the NumPy side or shares a helper with it.

JAX compiles once per shape and per static argument (the activation names, the number of
iterations): the compiled functions live at module level (:func:`gradients`, :func:`train`,
:func:`gradients_batch`, :func:`train_batch`), so a second call at the same shapes reuses them.
:func:`gradients_by_index` takes the hidden activation and the output as run-time indices
(``jax.lax.switch``), so one compile serves every pair.
Everything is a pure function of arrays, so ``jax.vmap`` maps it over a batch of parameter sets
(:func:`initialize_batch` draws one per seed).
"""

from __future__ import annotations

import functools

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402

from refnet.twin.activations import ACTIVATIONS, log_softmax, sigmoid, softmax  # noqa: E402

__all__ = [
    "HIDDEN",
    "OUTPUTS",
    "layer_sizes",
    "initialize_parameters",
    "initialize_batch",
    "forward_propagation",
    "softplus",
    "cost_from_logits",
    "compute_cost",
    "l2_penalty",
    "loss",
    "loss_by_index",
    "backward_propagation",
    "gradients",
    "gradients_by_index",
    "gradients_batch",
    "update_parameters",
    "train",
    "train_batch",
]

OUTPUTS = ("sigmoid", "softmax")
"""The output activations, in the order of their run-time index (:func:`loss_by_index`).

Examples
--------
>>> from refnet.twin.network import OUTPUTS
>>> OUTPUTS.index("softmax")
1
"""
# the hidden activations in the order of their run-time index (loss_by_index)
HIDDEN = tuple(ACTIVATIONS)
"""The names of the hidden activations (those of ``refnet.twin.activations.ACTIVATIONS``), in
the order of their run-time index: ``hidden_index`` of :func:`loss_by_index` and
:func:`gradients_by_index` picks ``HIDDEN[hidden_index]``.

Examples
--------
>>> from refnet.twin.network import HIDDEN
>>> HIDDEN[:3]
('sigmoid', 'tanh', 'relu')
"""


def _hidden(hidden):
    if callable(hidden):
        return hidden
    if hidden not in ACTIVATIONS:
        raise ValueError(
            f"hidden: unknown activation {hidden!r}; choose one of {sorted(ACTIVATIONS)}"
        )
    return ACTIVATIONS[hidden]


def _output(output):
    if output not in OUTPUTS:
        raise ValueError(f"output: expected one of {OUTPUTS}, got {output!r}")
    return output


def _depth(parameters):
    return len(parameters) // 2


# ---------------------------------------------------------------------------------------------
# sizes and initialisation


def layer_sizes(X, Y, hidden):
    """The layer sizes ``(n_x, *hidden, n_y)`` from the shapes of X and Y and the hidden width(s).

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``; only its shape is used.
    Y : array_like
        The labels, shape ``(n_y, m)``; only its shape is used.
    hidden : int or sequence of int
        The hidden width, or the widths of the hidden layers in order.

    Returns
    -------
    tuple of int
        ``(n_x, *hidden, n_y)``.

    See Also
    --------
    refnet.network.layer_sizes : The NumPy side, which also checks its input.

    Examples
    --------
    >>> from refnet.twin.network import layer_sizes
    >>> layer_sizes(np.zeros((2, 3)), np.zeros((1, 3)), 4)
    (2, 4, 1)
    >>> layer_sizes(np.zeros((2, 3)), np.zeros((1, 3)), [5, 3])
    (2, 5, 3, 1)
    """
    widths = (int(hidden),) if isinstance(hidden, int) else tuple(int(w) for w in hidden)
    return (X.shape[0], *widths, Y.shape[0])


def initialize_parameters(layer_dims, key, scale=0.01):
    """Draw the initial parameters: W_l = scale · N(0, 1) from ``jax.random``, b_l = 0.

    One subkey per layer, split from ``key``.  ``key`` is a ``jax.random`` key or an int seed.
    The stream differs from NumPy's: to compare the two sides, start both from the same
    parameters.

    Parameters
    ----------
    layer_dims : sequence of int
        The layer sizes ``(n_x, n_1, …, n_L)``.
    key : jax.Array or int
        A ``jax.random`` key, or a seed for ``jax.random.PRNGKey``.
    scale : float, default 0.01
        The standard deviation of the weights.

    Returns
    -------
    dict of jax.Array
        ``W1, b1, …, WL, bL`` in float64, W_l of shape ``(n_l, n_{l-1})``, b_l of ``(n_l, 1)``.

    See Also
    --------
    initialize_batch : One parameter set per seed, stacked.

    Examples
    --------
    >>> from refnet.twin.network import initialize_parameters
    >>> P = initialize_parameters((2, 4, 1), 0)
    >>> {k: v.shape for k, v in P.items()}
    {'W1': (4, 2), 'b1': (4, 1), 'W2': (1, 4), 'b2': (1, 1)}
    >>> str(P["W1"].dtype), bool((P["b1"] == 0).all())
    ('float64', True)
    """
    if isinstance(key, int):
        key = jax.random.PRNGKey(key)
    dims = tuple(layer_dims)
    keys = jax.random.split(key, len(dims) - 1)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = jax.random.normal(keys[l - 1], (dims[l], dims[l - 1]),
                                                jnp.float64) * scale
        parameters[f"b{l}"] = jnp.zeros((dims[l], 1), jnp.float64)
    return parameters


def initialize_batch(layer_dims, seeds, scale=0.01):
    """Draw one parameter set per seed, stacked on a leading axis (``jax.vmap`` over the keys).

    Set i is ``initialize_parameters(layer_dims, jax.random.PRNGKey(seeds[i]), scale)``.

    Parameters
    ----------
    layer_dims : sequence of int
        The layer sizes ``(n_x, n_1, …, n_L)``, shared by every set.
    seeds : array_like of int
        One seed per parameter set, shape ``(B,)``.
    scale : float, default 0.01
        The standard deviation of the weights.

    Returns
    -------
    dict of jax.Array
        ``W1, b1, …``, each with a leading axis of length B: W_l of shape ``(B, n_l, n_{l-1})``.

    See Also
    --------
    gradients_batch : The gradients of every set at once.
    train_batch : Trains every set at once.

    Examples
    --------
    >>> from refnet.twin.network import initialize_batch
    >>> B = initialize_batch((2, 4, 1), [0, 1])
    >>> B["W1"].shape, B["b2"].shape
    ((2, 4, 2), (2, 1, 1))
    """
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds))
    return jax.vmap(lambda k: initialize_parameters(layer_dims, k, scale))(keys)


# ---------------------------------------------------------------------------------------------
# forward


def forward_propagation(X, parameters, hidden="tanh", output="sigmoid"):
    """The forward pass: the output A_L and the cache Z1, A1, …, ZL, AL.

    Z_l = W_l A_{l-1} + b_l (A_0 = X), A_l = g(Z_l), A_L = σ(Z_L) or softmax(Z_L) over the
    classes (axis 0).  ``hidden`` is an activation's name or g itself (a function of Z).
    Nothing but the names is checked.

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``.
    parameters : dict of array_like
        ``W1, b1, …, WL, bL``.
    hidden : str or callable, default "tanh"
        The hidden activation: a key of ``refnet.twin.activations.ACTIVATIONS``, or g.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.

    Returns
    -------
    AL : jax.Array
        The outputs, shape ``(n_y, m)``.
    cache : dict of jax.Array
        ``Z1, A1, …, ZL, AL``.

    Raises
    ------
    ValueError
        If ``hidden`` or ``output`` is not one of the twin's names.

    See Also
    --------
    refnet.network.forward_propagation : The NumPy side.

    Examples
    --------
    >>> from refnet.twin.network import forward_propagation
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> AL, cache = forward_propagation(X, P)
    >>> AL.shape, list(cache)
    ((1, 3), ['Z1', 'A1', 'Z2', 'A2'])
    >>> np.asarray(AL).round(6)
    array([[0.499987, 0.50002 , 0.499999]])
    """
    g = _hidden(hidden)
    output = _output(output)
    A = jnp.asarray(X, jnp.float64)
    L = _depth(parameters)
    cache = {}
    for l in range(1, L + 1):
        Z = parameters[f"W{l}"] @ A + parameters[f"b{l}"]
        if l < L:
            A = g(Z)
        elif output == "sigmoid":
            A = sigmoid(Z)
        else:
            A = softmax(Z, axis=0)
        cache[f"Z{l}"] = Z
        cache[f"A{l}"] = A
    return A, cache


# ---------------------------------------------------------------------------------------------
# cost


def softplus(z):
    """The softplus log(1 + e^z) = max(z, 0) + log1p(e^-|z|), with the max and -|z| as branches.

    Written with ``jnp.where`` so that ``jax.grad`` gives σ(z) everywhere (at z = 0 included);
    nothing overflows.

    Parameters
    ----------
    z : jax.Array
        The input, any shape.

    Returns
    -------
    jax.Array
        The softplus of z, the shape of z.

    See Also
    --------
    cost_from_logits : Uses it for the sigmoid output.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.network import softplus
    >>> softplus(jnp.array([-800.0, 0.0, 800.0])).tolist()  # log 2 at 0
    [0.0, 0.693147, 800.0]
    """
    pos = z > 0
    return jnp.where(pos, z, 0.0) + jnp.log1p(jnp.exp(jnp.where(pos, -z, z)))


def _cost_terms(ZL, Y, output):
    if output == "sigmoid":
        return softplus(ZL) - Y * ZL
    return -Y * log_softmax(ZL, axis=0)


def cost_from_logits(ZL, Y, output="sigmoid", *, m=None):
    """The cross-entropy from the logits Z_L, stable for any finite Z_L.

    sigmoid: Σ [softplus(Z) - Y Z] / m; softmax: -Σ Y log softmax(Z) / m (over axis 0).

    Parameters
    ----------
    ZL : jax.Array
        The output logits, shape ``(n_y, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation the logits feed.
    m : float, optional
        The divisor; ``ZL.shape[1]``, the number of samples, by default.

    Returns
    -------
    jax.Array
        The cost, a 0-d float64 array.

    Raises
    ------
    ValueError
        If ``output`` is not one of :data:`OUTPUTS`.

    See Also
    --------
    compute_cost : The same cost from the outputs.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.network import cost_from_logits
    >>> float(cost_from_logits(jnp.zeros((1, 3)), np.array([[1.0, 0.0, 1.0]])))  # log 2
    0.693147
    >>> float(cost_from_logits(jnp.array([[800.0]]), np.array([[0.0]])))
    800.0
    """
    output = _output(output)
    m = ZL.shape[1] if m is None else m
    return jnp.sum(_cost_terms(ZL, jnp.asarray(Y, jnp.float64), output) / m)


def compute_cost(AL, Y, output="sigmoid", *, m=None):
    """The cross-entropy from the outputs A_L, with 0 · log 0 = 0.

    -Σ [Y log A + (1-Y) log(1-A)] / m (sigmoid) or -Σ Y log A / m (softmax).  Where a label
    weight is 0 its term is 0, and its gradient too (the log is taken of 1 there).

    Parameters
    ----------
    AL : jax.Array
        The outputs, shape ``(n_y, m)``, in [0, 1].
    Y : array_like
        The labels, shape ``(n_y, m)``.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation that gave AL.
    m : float, optional
        The divisor; ``AL.shape[1]`` by default.

    Returns
    -------
    jax.Array
        The cost, a 0-d float64 array.

    Raises
    ------
    ValueError
        If ``output`` is not one of :data:`OUTPUTS`.

    See Also
    --------
    cost_from_logits : The stable form from the logits.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.network import compute_cost
    >>> float(compute_cost(jnp.full((1, 3), 0.5), np.array([[1.0, 0.0, 1.0]])))
    0.693147
    """
    output = _output(output)
    Y = jnp.asarray(Y, jnp.float64)
    m = AL.shape[1] if m is None else m

    def xlogy(y, a):
        return jnp.where(y == 0, 0.0, y * jnp.log(jnp.where(y == 0, 1.0, a)))

    terms = xlogy(Y, AL)
    if output == "sigmoid":
        terms = terms + xlogy(1.0 - Y, 1.0 - AL)
    return -jnp.sum(terms) / m


def l2_penalty(Ws, lambd, m):
    """The L2 penalty λ/(2m) Σ_l ‖W_l‖².

    Parameters
    ----------
    Ws : sequence of jax.Array
        The weight matrices W1, …, WL.
    lambd : float or jax.Array
        The regularisation strength λ (may be traced).
    m : float
        The number of samples.

    Returns
    -------
    jax.Array
        The penalty, a 0-d array.

    See Also
    --------
    loss : The cost plus this penalty.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.network import l2_penalty
    >>> float(l2_penalty([jnp.ones((2, 2)), jnp.ones((1, 2))], 0.5, 3))  # 0.5/6 · 6
    0.5
    """
    total = 0.0
    for W in Ws:
        total = total + jnp.sum(W * W)
    return lambd / (2.0 * m) * total


def loss(parameters, X, Y, hidden="tanh", output="sigmoid", lambd=0.0, *, m=None):
    """The objective J(θ) = cost_from_logits(Z_L, Y) + λ/(2m) Σ_l ‖W_l‖².

    This is the function ``jax.grad`` differentiates. The penalty is always added (0 when λ = 0), so
    λ may be a traced value.

    Parameters
    ----------
    parameters : dict of array_like
        The parameters θ: ``W1, b1, …, WL, bL``.
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    hidden : str or callable, default "tanh"
        The hidden activation, a name or the function itself.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    lambd : float or jax.Array, default 0.0
        The L2 regularisation strength λ.
    m : float, optional
        The divisor of the mean; ``X.shape[1]`` by default.

    Returns
    -------
    jax.Array
        J, a 0-d float64 array.

    Raises
    ------
    ValueError
        If ``hidden`` or ``output`` is not one of the twin's names.

    See Also
    --------
    gradients : ``jax.grad`` of this, compiled.
    loss_by_index : The same J with the names chosen at run time.

    Examples
    --------
    >>> from refnet.twin.network import loss
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> float(loss(P, X, Y))  # as the NumPy side's refnet.network.loss
    0.693169
    """
    X = jnp.asarray(X, jnp.float64)
    m = X.shape[1] if m is None else m
    _, cache = forward_propagation(X, parameters, hidden, output)
    L = _depth(parameters)
    cost = cost_from_logits(cache[f"Z{L}"], Y, output, m=m)
    return cost + l2_penalty([parameters[f"W{l}"] for l in range(1, L + 1)], lambd, m)


def _flat_length(n):
    """The flat length a run-time switch works on: a power of two at or above ``n``, at least
    32."""
    return max(32, 1 << max(int(n) - 1, 0).bit_length())


def hidden_by_index(index):
    """g = ``HIDDEN[index]``, chosen at run time: ``jax.lax.switch`` over the twin's
    activations, so ``index`` may be a traced integer.

    g is elementwise, so it is applied to Z flattened and zero-padded to :func:`_flat_length`
    (the padded entries are dropped, and get a zero cotangent): the hidden layers of a small
    network then all switch on one shape, and XLA compiles the 24 branches once for all of them
    instead of once per layer's shape (half the compile time, measured on the CPU).
    """
    branches = tuple(ACTIVATIONS[name] for name in HIDDEN)

    def g(Z):
        n = Z.size
        flat = jnp.pad(jnp.ravel(Z), (0, _flat_length(n) - n))
        return jax.lax.switch(index, branches, flat)[:n].reshape(Z.shape)

    return g


def loss_by_index(parameters, X, Y, hidden_index, output_index, lambd=0.0, *, m=None):
    """The objective :func:`loss` with the names chosen at run time, by index.

    The hidden activation is ``HIDDEN[hidden_index]`` and the output ``OUTPUTS[output_index]``,
    chosen with ``jax.lax.switch``: the same J(θ) = cost_from_logits(Z_L, Y) + λ/(2m) Σ_l ‖W_l‖²,
    one program for every pair.  The cost is taken from Z_L, so the forward pass's own output
    activation does not enter it.

    Parameters
    ----------
    parameters : dict of array_like
        The parameters θ: ``W1, b1, …, WL, bL``.
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    hidden_index : int or jax.Array
        An index into :data:`HIDDEN`; may be traced (``jax.lax.switch`` clamps it to the range).
    output_index : int or jax.Array
        An index into :data:`OUTPUTS`; may be traced.
    lambd : float or jax.Array, default 0.0
        The L2 regularisation strength λ.
    m : float, optional
        The divisor of the mean; ``X.shape[1]`` by default.

    Returns
    -------
    jax.Array
        J, a 0-d float64 array.

    See Also
    --------
    gradients_by_index : Its gradient, compiled once for every pair.

    Examples
    --------
    >>> from refnet.twin.network import HIDDEN, loss_by_index
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> float(loss_by_index(P, X, Y, HIDDEN.index("tanh"), 0))  # loss(P, X, Y, "tanh", "sigmoid")
    0.693169
    """
    X = jnp.asarray(X, jnp.float64)
    m = X.shape[1] if m is None else m
    _, cache = forward_propagation(X, parameters, hidden_by_index(hidden_index))
    L = _depth(parameters)
    costs = tuple(functools.partial(cost_from_logits, output=output, m=m) for output in OUTPUTS)
    cost = jax.lax.switch(output_index, costs, cache[f"Z{L}"], Y)
    return cost + l2_penalty([parameters[f"W{l}"] for l in range(1, L + 1)], lambd, m)


# ---------------------------------------------------------------------------------------------
# gradients, by jax.grad only


@functools.partial(jax.jit, static_argnames=("hidden", "output"))
def gradients(parameters, X, Y, lambd=0.0, m=None, *, hidden="tanh", output="sigmoid"):
    """The gradient ``jax.grad(loss)`` with respect to the parameters, compiled.

    Compiled once per shape and names: ``hidden`` and ``output`` are static arguments of the
    ``jax.jit``: each pair compiles its own program (:func:`gradients_by_index` compiles one for
    all).

    Parameters
    ----------
    parameters : dict of array_like
        The parameters θ: ``W1, b1, …, WL, bL``.
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    lambd : float, default 0.0
        The L2 regularisation strength λ.
    m : float, optional
        The divisor of the mean; ``X.shape[1]`` by default.
    hidden : str, default "tanh"
        The hidden activation's name.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.

    Returns
    -------
    dict of jax.Array
        The gradient, keyed like the parameters (``W1, b1, …``, not ``dW1``).

    Raises
    ------
    ValueError
        If ``hidden`` or ``output`` is not one of the twin's names.

    See Also
    --------
    backward_propagation : The same, keyed ``dW1, db1, …``.

    Examples
    --------
    >>> from refnet.twin.network import gradients
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> g = gradients(P, X, Y)
    >>> sorted(g), g["W1"].shape
    (['W1', 'W2', 'b1', 'b2'], (4, 2))
    >>> float(g["b2"][0, 0])  # as the NumPy side's backward_propagation
    -0.166665
    """
    return jax.grad(loss)(parameters, X, Y, hidden, output, lambd, m=m)


def gradients_by_index(parameters, X, Y, hidden_index, output_index, lambd=0.0, m=None):
    """The gradient ``jax.grad(loss_by_index)`` with respect to the parameters.

    :func:`gradients` with the hidden activation ``HIDDEN[hidden_index]`` and the output
    ``OUTPUTS[output_index]`` as run-time arguments, compiled once per shape for every pair (and
    for any λ: every argument reaches the compiled program positionally, so a call that leaves λ
    at its default and one that passes it share the compile).  The first call compiles every
    branch (about a second on a CPU).

    Parameters
    ----------
    parameters : dict of array_like
        The parameters θ: ``W1, b1, …, WL, bL``.
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    hidden_index : int or jax.Array
        An index into :data:`HIDDEN`.
    output_index : int or jax.Array
        An index into :data:`OUTPUTS`.
    lambd : float, default 0.0
        The L2 regularisation strength λ.
    m : float, optional
        The divisor of the mean; ``X.shape[1]`` by default.

    Returns
    -------
    dict of jax.Array
        The gradient, keyed like the parameters.

    See Also
    --------
    gradients : One compile per pair of names.

    Examples
    --------
    >>> from refnet.twin.network import HIDDEN, gradients_by_index
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> g = gradients_by_index(P, X, Y, HIDDEN.index("tanh"), 0)
    >>> float(g["b2"][0, 0])
    -0.166665
    """
    return _gradients_by_index(parameters, X, Y, hidden_index, output_index, lambd, m)


@jax.jit
def _gradients_by_index(parameters, X, Y, hidden_index, output_index, lambd, m):
    return jax.grad(loss_by_index)(parameters, X, Y, hidden_index, output_index, lambd, m=m)


@functools.partial(jax.jit, static_argnames=("hidden", "output"))
def gradients_batch(parameters, X, Y, lambd=0.0, m=None, *, hidden="tanh", output="sigmoid"):
    """The loss and gradient of each of a batch of parameter sets, by ``jax.vmap``.

    :func:`gradients` for parameter sets stacked on a leading axis, with the loss of each set
    (``jax.value_and_grad``); X and Y are shared.

    Parameters
    ----------
    parameters : dict of array_like
        ``W1, b1, …``, each with a leading axis of length B (as :func:`initialize_batch` makes).
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    lambd : float, default 0.0
        The L2 regularisation strength λ.
    m : float, optional
        The divisor of the mean; ``X.shape[1]`` by default.
    hidden : str, default "tanh"
        The hidden activation's name.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.

    Returns
    -------
    losses : jax.Array
        Shape ``(B,)``: J of each set.
    grads : dict of jax.Array
        Keyed like the parameters, each with the leading axis B.

    Raises
    ------
    ValueError
        If ``hidden`` or ``output`` is not one of the twin's names.

    See Also
    --------
    initialize_batch : Draws a batch of parameter sets.

    Examples
    --------
    >>> from refnet.twin.network import gradients_batch
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> B = {k: np.stack([v, 2 * v]) for k, v in P.items()}
    >>> losses, grads = gradients_batch(B, X, Y)
    >>> np.asarray(losses).round(6)
    array([0.693169, 0.693236])
    >>> grads["W1"].shape
    (2, 4, 2)
    """

    def one(p):
        return jax.value_and_grad(loss)(p, X, Y, hidden, output, lambd, m=m)

    return jax.vmap(one)(parameters)


def backward_propagation(parameters, cache, X, Y, hidden="tanh", output="sigmoid",
                         lambd=0.0, *, m=None):
    """The gradients dW1, db1, …: ``jax.grad`` of :func:`loss`.

    The cache is not needed; the argument keeps the NumPy side's signature.

    Parameters
    ----------
    parameters : dict of array_like
        The parameters θ: ``W1, b1, …, WL, bL``.
    cache : object
        Ignored (the NumPy side's cache from the forward pass).
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    hidden : str, default "tanh"
        The hidden activation's name.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    lambd : float, default 0.0
        The L2 regularisation strength λ.
    m : float, optional
        The divisor of the mean; ``X.shape[1]`` by default.

    Returns
    -------
    dict of jax.Array
        ``dW1, db1, …, dWL, dbL``.

    Raises
    ------
    ValueError
        If ``hidden`` or ``output`` is not one of the twin's names.

    See Also
    --------
    refnet.network.backward_propagation : The hand-written NumPy side.

    Examples
    --------
    >>> from refnet.twin.network import backward_propagation
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> grads = backward_propagation(P, None, X, Y)
    >>> list(grads)
    ['dW1', 'db1', 'dW2', 'db2']
    >>> float(grads["db2"][0, 0])
    -0.166665
    """
    del cache
    g = gradients(parameters, X, Y, lambd, m, hidden=hidden, output=output)
    L = _depth(parameters)
    out = {}
    for l in range(1, L + 1):
        out[f"dW{l}"] = g[f"W{l}"]
        out[f"db{l}"] = g[f"b{l}"]
    return out


# ---------------------------------------------------------------------------------------------
# update and training


def update_parameters(parameters, grads, lr=0.01):
    """One descent update θ ← θ - lr · dθ for every W_l, b_l; a new dict.

    Parameters
    ----------
    parameters : dict of array_like
        ``W1, b1, …``.
    grads : dict of array_like
        ``dW1, db1, …``, one for each parameter.
    lr : float, default 0.01
        The learning rate.

    Returns
    -------
    dict of jax.Array
        The updated parameters.

    See Also
    --------
    train : Full-batch descent, compiled.

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> from refnet.twin.network import update_parameters
    >>> new = update_parameters({"W1": jnp.ones((1, 2))}, {"dW1": jnp.array([[1.0, -1.0]])}, 0.5)
    >>> new["W1"].tolist()
    [[0.5, 1.5]]
    """
    return {k: v - lr * grads[f"d{k}"] for k, v in parameters.items()}


def _train(parameters, X, Y, lr, lambd, hidden, output, iterations):
    """``lax.scan`` of gradient-descent steps; returns the final parameters and J before each
    step."""

    def step(p, _):
        cost, g = jax.value_and_grad(loss)(p, X, Y, hidden, output, lambd)
        return {k: v - lr * g[k] for k, v in p.items()}, cost

    return jax.lax.scan(step, parameters, None, length=iterations)


_train_jit = jax.jit(_train, static_argnames=("hidden", "output", "iterations"))


def _train_batch(parameters, X, Y, lr, lambd, hidden, output, iterations):
    return jax.vmap(lambda p: _train(p, X, Y, lr, lambd, hidden, output, iterations))(parameters)


_train_batch_jit = jax.jit(_train_batch, static_argnames=("hidden", "output", "iterations"))


def train(X, Y, parameters, *, hidden_activation="tanh", output="sigmoid", iterations=10000,
          lr=0.01, lambd=0.0):
    """Full-batch gradient descent from ``parameters``, compiled once per shape.

    A ``jax.jit`` of a ``lax.scan`` of ``iterations`` steps θ ← θ - lr ∇J(θ), ∇ by
    ``jax.value_and_grad(loss)``.  The activation names and ``iterations`` are static: each value
    compiles its own program.

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``.
    Y : array_like
        The labels, shape ``(n_y, m)``.
    parameters : dict of array_like
        The initial ``W1, b1, …``.
    hidden_activation : str, default "tanh"
        The hidden activation's name.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    iterations : int, default 10000
        The number of steps.
    lr : float, default 0.01
        The learning rate.
    lambd : float, default 0.0
        The L2 regularisation strength λ.

    Returns
    -------
    parameters : dict of jax.Array
        The trained ``W1, b1, …``.
    costs : jax.Array
        Shape ``(iterations,)``; ``costs[i]`` is J before step i.

    Raises
    ------
    ValueError
        If ``hidden_activation`` or ``output`` is not one of the twin's names.

    See Also
    --------
    refnet.network.train : The NumPy side's loop.

    Examples
    --------
    >>> from refnet.twin.network import train
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> trained, costs = train(X, Y, P, iterations=200, lr=1.0)
    >>> costs.shape, float(costs[0])
    ((200,), 0.693169)
    >>> bool(costs[-1] < 0.01)
    True
    """
    _hidden(hidden_activation)
    _output(output)
    return _train_jit(parameters, jnp.asarray(X, jnp.float64), jnp.asarray(Y, jnp.float64),
                      lr, lambd, hidden_activation, output, int(iterations))


def train_batch(X, Y, parameters, *, hidden_activation="tanh", output="sigmoid",
                iterations=10000, lr=0.01, lambd=0.0):
    """Train a batch of parameter sets (leading axis) at once: :func:`train` by ``jax.vmap``.

    Parameters
    ----------
    X : array_like
        The inputs, shape ``(n_x, m)``, shared by every set.
    Y : array_like
        The labels, shape ``(n_y, m)``, shared.
    parameters : dict of array_like
        The initial ``W1, b1, …``, each with a leading axis of length B.
    hidden_activation : str, default "tanh"
        The hidden activation's name.
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output activation.
    iterations : int, default 10000
        The number of steps.
    lr : float, default 0.01
        The learning rate.
    lambd : float, default 0.0
        The L2 regularisation strength λ.

    Returns
    -------
    parameters : dict of jax.Array
        The trained sets, with the leading axis B.
    costs : jax.Array
        Shape ``(B, iterations)``: J of each set before each step.

    Raises
    ------
    ValueError
        If ``hidden_activation`` or ``output`` is not one of the twin's names.

    See Also
    --------
    initialize_batch : Draws a batch of sets.

    Examples
    --------
    >>> from refnet.twin.network import train_batch
    >>> X = np.array([[1.0, -2.0, 0.5], [0.0, 1.0, -1.0]])
    >>> Y = np.array([[1.0, 0.0, 1.0]])
    >>> rng = np.random.default_rng(0)  # the NumPy side's initialize_parameters((2, 4, 1), seed=0)
    >>> P = {"W1": 0.01 * rng.standard_normal((4, 2)), "b1": np.zeros((4, 1)),
    ...      "W2": 0.01 * rng.standard_normal((1, 4)), "b2": np.zeros((1, 1))}
    >>> B = {k: np.stack([v, 2 * v]) for k, v in P.items()}
    >>> trained, costs = train_batch(X, Y, B, iterations=200, lr=1.0)
    >>> costs.shape, np.asarray(costs[:, 0]).round(6)
    ((2, 200), array([0.693169, 0.693236]))
    """
    _hidden(hidden_activation)
    _output(output)
    return _train_batch_jit(parameters, jnp.asarray(X, jnp.float64), jnp.asarray(Y, jnp.float64),
                            lr, lambd, hidden_activation, output, int(iterations))
