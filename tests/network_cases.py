"""Shared helpers for the network tests: hypothesis strategies for networks, the padded JAX twin
oracle (one compile for every depth, hidden activation, output and shape), and the NumPy
oracles' wrappers.

Shapes are drawn from bounded ranges and zero-padded to one bucket, so one compiled
``jax.vmap(jax.value_and_grad(...))`` serves every network:

- padded features: zero rows of X and zero columns of W1;
- padded hidden units: zero rows of W_l and b_l and zero columns of W_{l+1}, so whatever g(0)
  is, nothing reaches the next layer;
- padded depth: the real hidden layers fill the first slots, the output layer the last one;
  a hidden slot left over passes its input through unchanged (``jnp.where`` on a mask: the
  unused branch gets a zero cotangent and its zero weights a zero gradient);
- padded outputs: zero rows of W_L and a bias of -1e300, so σ and softmax give exactly 0 there
  (e^-1e300 underflows to 0), the label is 0, and the cost gains exactly nothing;
- padded samples: zero columns, their per-sample cost multiplied by 0 and the mean taken over
  the real m.

None of this changes the real entries of the gradient; the padded ones are dropped.  The hidden
activation is the twin's own function (``refnet.twin.activations``) and the cost the twin's
``cost_from_logits`` for the output, each chosen at run time by ``jax.lax.switch``, and the
penalty is the twin's ``l2_penalty``; the layer loop is that of
:func:`refnet.twin.network.forward_propagation`, and
``test_network.test_padded_oracle_is_jax_grad_of_the_twin_loss`` holds the padded program to
``jax.grad`` of ``refnet.twin.network.loss`` itself.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import strategies as st

import refnet.twin  # noqa: F401  (switches on x64 before any JAX array is made)
from refnet import network as net
from refnet import tolerances as tol
from refnet.activations import ACTIVATIONS
from refnet.checking import flatten as go
from refnet.checking.scales import network_gradient_scale
from refnet.twin import activations as twin_activations
from refnet.twin import network as twin

HIDDEN = tuple(sorted(ACTIVATIONS))
OUTPUTS = net.OUTPUTS
KINKED = tuple(name for name in HIDDEN if ACTIVATIONS[name].kinks)
MAX_LAYERS = 4
BUCKET_X, BUCKET_H, BUCKET_Y, BUCKET_M = 4, 5, 3, 6
SEEDS_PER_EXAMPLE = 4  # parameter sets checked per example, in one vmapped twin call
PAD_LOGIT = -1e300


@st.composite
def networks(draw, hidden=HIDDEN, outputs=OUTPUTS, max_scale=5.0):
    """A case: X, Y, layer dims, hidden and output names, weight scale, λ, and a few parameter
    sets (random W and b at that scale)."""
    L = draw(st.integers(1, MAX_LAYERS))
    n_x = draw(st.integers(1, BUCKET_X))
    widths = [draw(st.integers(1, BUCKET_H)) for _ in range(L - 1)]
    n_y = draw(st.integers(1, BUCKET_Y))
    m = draw(st.integers(1, BUCKET_M))
    name = draw(st.sampled_from(hidden))
    output = draw(st.sampled_from(outputs))
    scale = 10.0 ** draw(st.floats(-2.0, np.log10(max_scale)))
    lambd = draw(st.sampled_from([0.0, 0.0, 0.1, 1.0]))
    soft_labels = draw(st.booleans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if output == "sigmoid":
        Y = rng.uniform(size=(n_y, m)) if soft_labels else (rng.uniform(size=(n_y, m)) < 0.5) * 1.0
    elif soft_labels:
        Y = rng.dirichlet(np.ones(n_y), size=m).T
        Y = Y / Y.sum(axis=0)
    else:
        Y = np.eye(n_y)[:, rng.integers(0, n_y, size=m)]
    dims = (n_x, *widths, n_y)
    params = []
    for _ in range(SEEDS_PER_EXAMPLE):
        p = {}
        for l in range(1, L + 1):
            p[f"W{l}"] = scale * rng.standard_normal((dims[l], dims[l - 1]))
            p[f"b{l}"] = scale * rng.standard_normal((dims[l], 1))
        params.append(p)
    return {"X": X, "Y": Y, "dims": dims, "hidden": name, "output": output, "scale": scale,
            "lambd": lambd, "params": params}


# ---------------------------------------------------------------------------------------------
# the JAX twin, padded

# every slot is BUCKET_H wide (features are padded to BUCKET_H too, BUCKET_X ≤ BUCKET_H), so a
# skipped hidden slot can pass its input through; the output layer is always slot MAX_LAYERS
_SLOT_DIMS = (BUCKET_H,) * MAX_LAYERS + (BUCKET_Y,)


@functools.cache
def _compiled_twin_gradient():
    """jit(vmap(value_and_grad)) of the masked, padded twin loss: the depth (a mask of active
    hidden slots), the hidden activation (an index into HIDDEN) and the output (an index into
    OUTPUTS) are run-time arguments, so every network shares the one compile."""
    branches = [twin_activations.ACTIVATIONS[name] for name in HIDDEN]
    costs = [functools.partial(twin.cost_from_logits, output=output, m=1.0) for output in OUTPUTS]

    def padded_loss(p, X, Y, mask, m, lambd, which, active, output):
        def hidden_layer(A, slot):
            W, b, on = slot
            Z = W @ A + b
            return jnp.where(on, jax.lax.switch(which, branches, Z), A), None

        # the hidden slots in one scanned body: its branches are compiled once, not per slot
        slots = (jnp.stack([p[f"W{l}"] for l in range(1, MAX_LAYERS)]),
                 jnp.stack([p[f"b{l}"] for l in range(1, MAX_LAYERS)]), active)
        A, _ = jax.lax.scan(hidden_layer, X, slots)
        ZL = p[f"W{MAX_LAYERS}"] @ A + p[f"b{MAX_LAYERS}"]

        def one(z, y):
            return jax.lax.switch(output, costs, z[:, None], y[:, None])

        per_sample = jax.vmap(one, in_axes=(1, 1))(ZL, Y)
        Ws = [p[f"W{l}"] for l in range(1, MAX_LAYERS + 1)]
        return jnp.sum(per_sample * mask) / m + twin.l2_penalty(Ws, lambd, m)

    return jax.jit(jax.vmap(jax.value_and_grad(padded_loss), in_axes=(0,) + (None,) * 8))


def _slot(L, l):
    """The padded slot of real layer ``l`` of a depth-``L`` network."""
    return MAX_LAYERS if l == L else l


def twin_losses_and_gradients(case):
    """The twin loss and ``jax.grad`` of it for every parameter set of ``case``, in one call:
    ``(losses, grads)``, grads a list of dicts dW1, db1, … with the real (unpadded) entries."""
    dims = case["dims"]
    L = len(dims) - 1
    n_x, m = case["X"].shape
    n_y = dims[-1]
    # the parameter-set axis padded to a multiple of SEEDS_PER_EXAMPLE (all-zero sets), so a
    # case with fewer sets shares the compile too
    S = -(-len(case["params"]) // SEEDS_PER_EXAMPLE) * SEEDS_PER_EXAMPLE
    X = np.zeros((BUCKET_H, BUCKET_M))
    X[:n_x, :m] = case["X"]
    Y = np.zeros((BUCKET_Y, BUCKET_M))
    Y[:n_y, :m] = case["Y"]
    mask = np.zeros(BUCKET_M)
    mask[:m] = 1.0
    batch = {}
    for s in range(1, MAX_LAYERS + 1):
        batch[f"W{s}"] = np.zeros((S, _SLOT_DIMS[s], _SLOT_DIMS[s - 1]))
        batch[f"b{s}"] = np.zeros((S, _SLOT_DIMS[s], 1))
    batch[f"b{MAX_LAYERS}"][:, n_y:, :] = PAD_LOGIT
    for i, p in enumerate(case["params"]):
        for l in range(1, L + 1):
            s = _slot(L, l)
            batch[f"W{s}"][i, :dims[l], :dims[l - 1]] = p[f"W{l}"]
            batch[f"b{s}"][i, :dims[l], :] = p[f"b{l}"]
    active = np.arange(1, MAX_LAYERS) < L
    J, g = _compiled_twin_gradient()(batch, X, Y, mask, float(m), float(case["lambd"]),
                                     HIDDEN.index(case["hidden"]), active,
                                     OUTPUTS.index(case["output"]))
    g = {k: np.asarray(v) for k, v in g.items()}  # slicing a jax array would compile per shape
    out = []
    for i in range(len(case["params"])):
        d = {}
        for l in range(1, L + 1):
            s = _slot(L, l)
            d[f"dW{l}"] = g[f"W{s}"][i, :dims[l], :dims[l - 1]]
            d[f"db{l}"] = g[f"b{s}"][i, :dims[l], :]
        out.append(d)
    return np.asarray(J)[:len(case["params"])], out


def twin_gradients(case):
    """``jax.grad`` of the twin loss for every parameter set of ``case`` (see
    :func:`twin_losses_and_gradients`)."""
    return twin_losses_and_gradients(case)[1]


# ---------------------------------------------------------------------------------------------
# the NumPy side and the NumPy oracles


def backward(case, p, backward_fn=None):
    """refnet's gradients (or ``backward_fn``'s, same signature) at parameter set ``p``."""
    backward_fn = backward_fn or net.backward_propagation
    _, cache = net.forward_propagation(case["X"], p, case["hidden"], case["output"])
    return backward_fn(p, cache, case["X"], case["Y"], case["hidden"], case["output"],
                       lambd=case["lambd"])


def scale_of(case, p, derivative_floor=0.0):
    """The rounding scale S of each gradient entry (see checking.scales.network_gradient_scale)."""
    _, cache = net.forward_propagation(case["X"], p, case["hidden"], case["output"])
    act = ACTIVATIONS[case["hidden"]]
    return network_gradient_scale(p, cache, case["X"], case["Y"], act.derivative, case["lambd"],
                                     derivative_floor=derivative_floor,
                                     second_derivative=act.second_derivative)


def batched_loss(case, layout):
    """θ-batch ↦ J for each row: refnet.network.loss on parameters with a leading batch axis."""

    def f(thetas):
        return net.loss(go.unflatten(thetas, layout), case["X"], case["Y"], case["hidden"],
                        case["output"], case["lambd"])

    return f


def hidden_zs(case, thetas, layout):
    """The hidden pre-activations Z_1 … Z_{L-1} for each row of a θ-batch, (B, total)."""
    p = go.unflatten(thetas, layout)
    L = len(layout) // 2
    Ws = [p[f"W{l}"] for l in range(1, L + 1)]
    bs = [p[f"b{l}"] for l in range(1, L + 1)]
    Zs, _ = net._forward(case["X"], Ws, bs, ACTIVATIONS[case["hidden"]].forward, case["output"])
    if L == 1:
        return np.zeros((thetas.shape[0], 0))
    return np.concatenate([Z.reshape(thetas.shape[0], -1) for Z in Zs[:-1]], axis=1)


def kink_safe_step(case, theta, layout, h0=2.0**-6):
    """The largest step h ≤ h0 (a power of 2 below h0) for which every central stencil point
    θ ± h e_i leaves every hidden pre-activation on the same side of every kink as at θ, or None
    when that needs h < FD_MIN_STEP (a pre-activation within ~1e-8 of a kink: rejected)."""
    kinks = ACTIVATIONS[case["hidden"]].kinks
    L = len(layout) // 2
    if not kinks or L == 1:
        return h0
    P = theta.size
    z0 = hidden_zs(case, theta[None], layout)[0]
    sides0 = np.stack([z0 > k for k in kinks])
    if any(np.any(z0 == k) for k in kinks):
        return None
    h = h0
    while h >= tol.FD_MIN_STEP:
        batch = np.concatenate([theta + h * np.eye(P), theta - h * np.eye(P)])
        z = hidden_zs(case, batch, layout)
        if all(np.array_equal(np.broadcast_to(s, z.shape), z > k) for s, k in zip(sides0, kinks)):
            return h
        h /= 4.0
    return None


def loss_rounding(case, p):
    """The absolute rounding error of one float64 evaluation of J, in units of eps:
    |J| + Σ (|Y| + |A_L|)(|Z_L| + 1) / m + the penalty.  Rounding Z_L by eps|Z_L| moves J by
    (A_L - Y) eps|Z_L|; softplus(Z) - Y Z and Z - max Z - log Σ e^(Z - max Z) cancel terms of
    size |Z| and 1 (the log of a sum near 1 is known to eps absolute, not relative)."""
    _, cache = net.forward_propagation(case["X"], p, case["hidden"], case["output"])
    L = len(p) // 2
    Z, A, Y = cache[f"Z{L}"], cache[f"A{L}"], case["Y"]
    m = Y.shape[1]
    penalty = case["lambd"] / (2 * m) * sum(np.sum(p[f"W{l}"] ** 2) for l in range(1, L + 1))
    J = net.loss(p, case["X"], Y, case["hidden"], case["output"], case["lambd"])
    return abs(J) + float(np.sum((np.abs(Y) + np.abs(A)) * (np.abs(Z) + 1.0)) / m) + penalty
