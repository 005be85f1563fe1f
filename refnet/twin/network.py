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
# the hidden activations in the order of their run-time index (loss_by_index)
HIDDEN = tuple(ACTIVATIONS)


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
    """``(n_x, *hidden, n_y)`` from the shapes of X and Y and the hidden width(s)."""
    widths = (int(hidden),) if isinstance(hidden, int) else tuple(int(w) for w in hidden)
    return (X.shape[0], *widths, Y.shape[0])


def initialize_parameters(layer_dims, key, scale=0.01):
    """W_l = scale · N(0, 1) from ``jax.random`` (one subkey per layer), b_l = 0.

    ``key`` is a ``jax.random`` key or an int seed.  The stream differs from NumPy's: to compare
    the two sides, start both from the same parameters.
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
    """One parameter set per seed, stacked on a leading axis (``jax.vmap`` over the keys)."""
    keys = jax.vmap(jax.random.PRNGKey)(jnp.asarray(seeds))
    return jax.vmap(lambda k: initialize_parameters(layer_dims, k, scale))(keys)


# ---------------------------------------------------------------------------------------------
# forward


def forward_propagation(X, parameters, hidden="tanh", output="sigmoid"):
    """``(AL, cache)``: Z_l = W_l A_{l-1} + b_l, A_l = g(Z_l), A_L = σ(Z_L) or softmax(Z_L).

    ``hidden`` is an activation's name or g itself (a function of Z).
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
    """softplus(z) = max(z, 0) + log1p(e^-|z|), with the max and -|z| written as branches."""
    pos = z > 0
    return jnp.where(pos, z, 0.0) + jnp.log1p(jnp.exp(jnp.where(pos, -z, z)))


def _cost_terms(ZL, Y, output):
    if output == "sigmoid":
        return softplus(ZL) - Y * ZL
    return -Y * log_softmax(ZL, axis=0)


def cost_from_logits(ZL, Y, output="sigmoid", *, m=None):
    """sigmoid: Σ [softplus(Z) - Y Z] / m; softmax: -Σ Y log softmax(Z) / m."""
    output = _output(output)
    m = ZL.shape[1] if m is None else m
    return jnp.sum(_cost_terms(ZL, jnp.asarray(Y, jnp.float64), output) / m)


def compute_cost(AL, Y, output="sigmoid", *, m=None):
    """-Σ [Y log A + (1-Y) log(1-A)] / m (sigmoid) or -Σ Y log A / m (softmax), 0 log 0 = 0."""
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
    """λ/(2m) Σ_l ‖W_l‖²."""
    total = 0.0
    for W in Ws:
        total = total + jnp.sum(W * W)
    return lambd / (2.0 * m) * total


def loss(parameters, X, Y, hidden="tanh", output="sigmoid", lambd=0.0, *, m=None):
    """J(θ) = cost_from_logits(Z_L, Y) + λ/(2m) Σ_l ‖W_l‖², the function ``jax.grad``
    differentiates.

    The penalty is always added (0 when λ = 0), so λ may be a traced value.
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
    """:func:`loss` with the hidden activation ``HIDDEN[hidden_index]`` and the output
    ``OUTPUTS[output_index]`` chosen at run time (``jax.lax.switch``): the same J(θ) =
    cost_from_logits(Z_L, Y) + λ/(2m) Σ_l ‖W_l‖², one program for every pair.

    The cost is taken from Z_L, so the forward pass's own output activation does not enter it.
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
    """``jax.grad(loss)`` with respect to the parameters, compiled once per shape and names.

    Returns a dict keyed like the parameters (W1, b1, …).
    """
    return jax.grad(loss)(parameters, X, Y, hidden, output, lambd, m=m)


def gradients_by_index(parameters, X, Y, hidden_index, output_index, lambd=0.0, m=None):
    """``jax.grad(loss_by_index)`` with respect to the parameters: :func:`gradients` with the
    hidden activation ``HIDDEN[hidden_index]`` and the output ``OUTPUTS[output_index]`` as
    run-time arguments, compiled once per shape for every pair (and for any λ: every argument
    reaches the compiled program positionally, so a call that leaves λ at its default and one
    that passes it share the compile)."""
    return _gradients_by_index(parameters, X, Y, hidden_index, output_index, lambd, m)


@jax.jit
def _gradients_by_index(parameters, X, Y, hidden_index, output_index, lambd, m):
    return jax.grad(loss_by_index)(parameters, X, Y, hidden_index, output_index, lambd, m=m)


@functools.partial(jax.jit, static_argnames=("hidden", "output"))
def gradients_batch(parameters, X, Y, lambd=0.0, m=None, *, hidden="tanh", output="sigmoid"):
    """:func:`gradients` for a batch of parameter sets (leading axis), by ``jax.vmap``; also
    returns the loss of each set: ``(losses, grads)``."""

    def one(p):
        return jax.value_and_grad(loss)(p, X, Y, hidden, output, lambd, m=m)

    return jax.vmap(one)(parameters)


def backward_propagation(parameters, cache, X, Y, hidden="tanh", output="sigmoid",
                         lambd=0.0, *, m=None):
    """dW1, db1, …: ``jax.grad`` of :func:`loss` (the cache is not needed; the argument keeps
    the NumPy side's signature)."""
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
    """θ ← θ - lr · dθ for every W_l, b_l; a new dict."""
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
    """Full-batch gradient descent from ``parameters``, compiled once per shape (``jax.jit`` of a
    ``lax.scan``); returns ``(parameters, costs)``, ``costs[i]`` = J before step i."""
    _hidden(hidden_activation)
    _output(output)
    return _train_jit(parameters, jnp.asarray(X, jnp.float64), jnp.asarray(Y, jnp.float64),
                      lr, lambd, hidden_activation, output, int(iterations))


def train_batch(X, Y, parameters, *, hidden_activation="tanh", output="sigmoid",
                iterations=10000, lr=0.01, lambd=0.0):
    """:func:`train` for a batch of parameter sets (leading axis), by ``jax.vmap``."""
    _hidden(hidden_activation)
    _output(output)
    return _train_batch_jit(parameters, jnp.asarray(X, jnp.float64), jnp.asarray(Y, jnp.float64),
                            lr, lambd, hidden_activation, output, int(iterations))
