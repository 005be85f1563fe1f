"""Gradient properties of ``refnet.network.backward_propagation``, against three oracles.

Random networks (hypothesis): 1–4 layers, 1–4 features, hidden widths 1–5, 1–3 outputs, 1–6
samples, weight and bias scales from 0.01 to 5 (5 saturates sigmoid and tanh and drives relu
logits into the hundreds), every hidden activation in the registry, both outputs, λ = 0 or not,
one-hot or soft labels.  Each example checks several parameter sets.

- ``jax.grad`` of the twin's loss (``refnet.twin.network``), padded to one shape (depth, hidden
  activation and output chosen at run time) and vmapped over the parameter sets: one compile
  serves every example (``network_cases``), and the padded program is held to
  ``jax.grad`` of ``refnet.twin.network.loss`` itself;
- Richardson-extrapolated central differences over the flat parameter vector, all 2·4·P stencil
  points in one batched NumPy call, with the tableau's error bar;
- the complex step, all P perturbations in one batched call, for every activation the registry
  marks ``analytic`` (complex-safe on each side of its kinks): sigmoid, tanh, and relu and
  leaky relu away from their kink.

Kinks: relu-family networks are drawn away from kinks.  For the finite differences the stencil
step is halved (by 4) until no stencil point moves any hidden pre-activation across a kink;
an example that would need a step below FD_MIN_STEP (a pre-activation within ~1e-8 of a kink)
is rejected.  The kink itself is tested separately (``test_kink_convention``): a pre-activation
placed exactly at 0 gets the registry's convention (relu'(0) = 0, leaky_relu'(0) = alpha), which
equals the one-sided derivative from the left and the twin's ``jax.grad``.

Tolerances (``refnet.tolerances``): multiples of eps · S, with S the backward pass run on
absolute values — the size of what each entry sums — plus the oracle's own error estimate.
"""

from __future__ import annotations

import network_cases as nc
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from refnet import network as net
from refnet import oracles
from refnet import tolerances as tol
from refnet.activations import ACTIVATIONS
from refnet.checking import flatten as go

ANALYTIC = tuple(n for n in nc.HIDDEN if ACTIVATIONS[n].analytic)


def _worst(errors, bounds):
    """The largest error / bound ratio (> 1 is a failure)."""
    return float(np.max(errors / np.where(bounds > 0, bounds, np.inf), initial=0.0))


def twin_check(case, backward_fn=None):
    """Max over parameter sets and entries of |backward - jax.grad twin| / bound."""
    worst = 0.0
    for p, gt in zip(case["params"], nc.twin_gradients(case)):
        g = nc.backward(case, p, backward_fn)
        S = nc.scale_of(case, p)
        S1 = nc.scale_of(case, p, derivative_floor=1.0)
        for k in g:
            bound = tol.NET_GRAD_ULPS * tol.EPS * S[k] + tol.TWIN_DERIVATIVE_ATOL * S1[k]
            # XLA on CPU flushes subnormal results to zero: TWIN_ATOL
            bound = bound + tol.TWIN_RTOL * np.abs(gt[k]) + tol.TWIN_ATOL
            worst = max(worst, _worst(np.abs(g[k] - gt[k]), bound))
    return worst


def richardson_check(case, p, backward_fn=None):
    """|backward - Richardson| / bound for one parameter set, or None if too near a kink."""
    theta, layout = go.flatten(p)
    h = nc.kink_safe_step(case, theta, layout)
    if h is None:
        return None
    est, err = oracles.richardson_gradient(
        nc.batched_loss(case, layout), theta, h0=h,
        eval_error=tol.FD_EVAL_ULPS * tol.EPS * nc.loss_rounding(case, p))
    g, _ = go.flatten(nc.backward(case, p, backward_fn))
    S, _ = go.flatten(nc.scale_of(case, p))
    bound = err + tol.NET_GRAD_ULPS * tol.EPS * S + tol.FD_RTOL * np.abs(est) + tol.FD_ATOL
    return _worst(np.abs(g - est), bound)


def complex_step_check(case, p, backward_fn=None):
    """|backward - complex step| / bound for one parameter set."""
    theta, layout = go.flatten(p)
    est, err = oracles.complex_step_gradient(nc.batched_loss(case, layout), theta)
    g, _ = go.flatten(nc.backward(case, p, backward_fn))
    S, _ = go.flatten(nc.scale_of(case, p))
    bound = err + tol.NET_GRAD_ULPS * tol.EPS * S
    return _worst(np.abs(g - est), bound)


@given(nc.networks())
def test_backward_matches_jax_grad_of_twin(case):
    assert twin_check(case) <= 1.0


@given(nc.networks())
def test_backward_matches_richardson(case):
    ratio = richardson_check(case, case["params"][0])
    assume(ratio is not None)
    assert ratio <= 1.0


@given(nc.networks(hidden=ANALYTIC))
def test_backward_matches_complex_step(case):
    assert complex_step_check(case, case["params"][0]) <= 1.0


@given(nc.networks(hidden=("tanh", "sigmoid")))
def test_loss_is_complex_safe(case):
    """The loss path keeps the imaginary part (the complex step is not silently real): moving
    W1[0, 0] by i·h gives Im J = h · dJ/dW1[0, 0]."""
    p = case["params"][0]
    theta, layout = go.flatten(p)
    value = nc.batched_loss(case, layout)((theta + 1e-20j * np.eye(theta.size)[0])[None])
    assert np.iscomplexobj(value)
    dW = nc.backward(case, p)["dW1"][0, 0]
    S = nc.scale_of(case, p)["dW1"][0, 0]
    assert (abs(value.imag[0] / 1e-20 - dW)
            <= tol.NET_GRAD_ULPS * tol.EPS * S + tol.COMPLEX_STEP_FLOOR)


# depth 1 skips every hidden slot (X goes straight to the output slot), depth 3 uses two of three
@pytest.mark.parametrize("L, hidden, output", [(1, "tanh", "sigmoid"), (3, "gelu", "softmax")])
def test_padded_oracle_is_jax_grad_of_the_twin_loss(L, hidden, output):
    """The padded, masked, switched program of network_cases computes the twin's loss and its
    jax.grad (widths below the buckets, so every kind of padding is used)."""
    from refnet.twin import network as twin

    rng = np.random.default_rng(L)
    dims = (3, *[2, 4, 3][: L - 1], 2)
    m = 5
    X = rng.standard_normal((dims[0], m))
    Y = (np.eye(2)[:, rng.integers(0, 2, m)] if output == "softmax"
         else (rng.random((2, m)) < 0.5) * 1.0)
    params = [{k: v for l in range(1, L + 1) for k, v in (
        (f"W{l}", rng.standard_normal((dims[l], dims[l - 1]))),
        (f"b{l}", rng.standard_normal((dims[l], 1))))} for _ in range(2)]
    case = {"X": X, "Y": Y, "dims": dims, "hidden": hidden, "output": output, "lambd": 0.1,
            "params": params}
    J, grads = nc.twin_losses_and_gradients(case)
    stacked = {k: np.stack([p[k] for p in params]) for k in params[0]}
    J_ref, g_ref = twin.gradients_batch(stacked, X, Y, 0.1, hidden=hidden, output=output)
    assert np.allclose(J, np.asarray(J_ref), rtol=8 * tol.EPS, atol=0.0)
    for i, p in enumerate(params):
        S = nc.scale_of(case, p)
        for k in p:
            bound = tol.NET_GRAD_ULPS * tol.EPS * S["d" + k] + tol.TWIN_ATOL
            assert np.all(np.abs(grads[i]["d" + k] - np.asarray(g_ref[k][i])) <= bound), k


@pytest.mark.parametrize("hidden, output", [("sigmoid", "sigmoid"), ("mish", "softmax"),
                                            ("squareplus", "sigmoid"), ("identity", "softmax")])
def test_gradients_by_index_are_those_of_the_named_twin(hidden, output):
    """The twin's one program for every pair (hidden activation and output as run-time indices,
    what `refnet verify` runs) computes the loss and gradients of the twin compiled for the
    names (the first, a middle and the last index; λ passed through)."""
    from refnet.twin import network as twin

    rng = np.random.default_rng(7)
    dims, m = (3, 5, 4, 3), 6  # refnet verify's shapes: its compile serves this test too
    X = rng.standard_normal((dims[0], m))
    Y = (np.eye(3)[:, rng.integers(0, 3, m)] if output == "softmax"
         else (rng.random((3, m)) < 0.5) * 1.0)
    p = {k: v for l in range(1, len(dims)) for k, v in (
        (f"W{l}", rng.standard_normal((dims[l], dims[l - 1]))),
        (f"b{l}", rng.standard_normal((dims[l], 1))))}
    i, j = twin.HIDDEN.index(hidden), twin.OUTPUTS.index(output)
    J = twin.loss_by_index(p, X, Y, i, j, 0.1)
    J_ref = twin.loss(p, X, Y, hidden, output, 0.1)
    assert np.allclose(J, J_ref, rtol=8 * tol.EPS, atol=0.0)
    g = twin.gradients_by_index(p, X, Y, i, j, 0.1)
    g_ref = twin.gradients(p, X, Y, 0.1, hidden=hidden, output=output)
    case = {"X": X, "Y": Y, "hidden": hidden, "output": output, "lambd": 0.1}
    S = nc.scale_of(case, p)
    for k in p:
        bound = tol.NET_GRAD_ULPS * tol.EPS * S["d" + k] + tol.TWIN_ATOL
        assert np.all(np.abs(np.asarray(g[k]) - np.asarray(g_ref[k])) <= bound), k


def test_every_activation_has_a_twin():
    from refnet.twin import activations as twin_act

    assert set(ACTIVATIONS) == set(twin_act.ACTIVATIONS)


# one property over every kinked activation and both outputs (200 examples in all, each
# combination drawn about 200/(2·|KINKED|) times): each example sits exactly on one of the
# activation's own kinks (relu6's 0 and 6, hard_tanh's ±1, hard_sigmoid's ±3, ...)
@given(name=st.sampled_from(nc.KINKED), output=st.sampled_from(nc.OUTPUTS),
       which=st.integers(0, 7), seed=st.integers(0, 2**32 - 1))
def test_kink_convention(name, output, which, seed):
    """Hidden pre-activations exactly at a kink k: backward uses the registry's convention
    g'(k) (relu'(0) = 0, leaky_relu'(0) = alpha, relu6'(6) = 0, ...), which is one of the
    one-sided derivatives along the bias (the side it names: the left one for relu at 0, the
    right one for relu6 at 6), and jax.grad of the twin agrees (its branches take the same
    side)."""
    act = ACTIVATIONS[name]
    k = act.kinks[which % len(act.kinks)]
    conv = act.kink_derivatives[k][0]
    # the side the convention takes: the one-sided f' (just beside k) it equals
    beside = {s: float(act.derivative(np.array([k + s * 2.0**-30]), **act.params)[0])
              for s in (-1, 1)}
    side = min(beside, key=lambda s: abs(beside[s] - conv))
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((3, 4))
    if output == "sigmoid":
        Y = (rng.uniform(size=(2, 4)) < 0.5) * 1.0
    else:
        Y = np.eye(2)[:, rng.integers(0, 2, 4)]
    p = net.initialize_parameters((3, 4, 2), seed=rng, scale=1.0)
    # put unit 0 exactly at the kink for every sample: a zero row of W1 and the bias k give
    # Z1[0, :] = 0 X + k = k exactly, whatever order a matmul sums in (the twin's may differ)
    p["W1"][0, :] = 0.0
    p["b1"][0, 0] = k
    _, cache = net.forward_propagation(X, p, name, output)
    assert np.all(cache["Z1"][0] == k)
    # the other pre-activations away from every kink, beyond the largest difference step
    assume(min(np.min(np.abs(cache["Z1"][1:] - kk)) for kk in act.kinks) > 0.05)
    case = {"X": X, "Y": Y, "dims": (3, 4, 2), "hidden": name, "output": output, "lambd": 0.0,
            "params": [p]}
    g = nc.backward(case, p)
    gt = nc.twin_gradients(case)[0]
    S = nc.scale_of(case, p)
    S1 = nc.scale_of(case, p, derivative_floor=1.0)
    bound = tol.NET_GRAD_ULPS * tol.EPS * S["db1"] + tol.TWIN_DERIVATIVE_ATOL * S1["db1"]
    assert np.all(np.abs(g["db1"] - gt["db1"]) <= bound)

    # one-sided Richardson differences along b1[0] (steps from 2^-6: the other pre-activations,
    # more than 0.05 away, stay on their sides)
    def along(t):
        t = np.asarray(t, dtype=np.float64)
        q = {kk: np.broadcast_to(v, t.shape + v.shape).copy() for kk, v in p.items()}
        q["b1"][..., 0, 0] += t
        return net.loss(q, X, Y, name, output)

    db = g["db1"][0, 0]
    slack = tol.NET_GRAD_ULPS * tol.EPS * S["db1"][0, 0]
    # the loss's own rounding is relative to its terms, not to its (smaller) value
    ev = tol.FD_EVAL_ULPS * tol.EPS * nc.loss_rounding(case, p)
    near, near_err = oracles.richardson_derivative(along, np.zeros(1), side=side, eval_error=ev)
    far, far_err = oracles.richardson_derivative(along, np.zeros(1), side=-side, eval_error=ev)
    assert abs(db - near[0]) <= near_err[0] + slack + tol.FD_RTOL * abs(near[0])
    # the two sides differ by Σ_s dA[0, s] (g'(k+) - g'(k-)); where that is resolved, backward
    # is not the other side's slope
    if abs(far[0] - near[0]) > 2 * (near_err[0] + far_err[0] + slack):
        assert abs(db - far[0]) > far_err[0] + slack
