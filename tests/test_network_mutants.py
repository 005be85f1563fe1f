"""Planted backward-pass bugs: each must be caught by every oracle that applies.

The catalogue is one backward function with switches, each switch a bug seen in the wild:

- ``m_is_Y_size``: the notebook's ``m = Y.size`` — n_y·m, the sample count only when n_y = 1,
  so it is caught only with several outputs (and provably not caught with one);
- ``no_1_over_m``: the mean's 1/m dropped (caught when m > 1);
- ``tanh_1_minus_A``: tanh' written ``1 - A`` instead of ``1 - A²``;
- ``dropped_derivative``: dZ_{l-1} = W_lᵀ dZ_l, the activation's derivative forgotten;
- ``bias_wrong_axis``: db summed over the units (axis 0) as well, then broadcast;
- ``transposed_weight``: dA = W_l dZ_l instead of W_lᵀ dZ_l (runs only for square W_l, which
  the cases below have).

Oracles: ``jax.grad`` of the twin, Richardson differences, the complex step (the hidden
activations here are analytic).  The cases: three hidden layers of width 3, 3 outputs, 4
samples, weights at scale 1 (no saturation), tanh and sigmoid hidden, both outputs.
"""

from __future__ import annotations

import network_cases as nc
import numpy as np
import pytest
from test_network import complex_step_check, richardson_check, twin_check

from refnet.activations import ACTIVATIONS

BUGS = ("m_is_Y_size", "no_1_over_m", "tanh_1_minus_A", "dropped_derivative", "bias_wrong_axis",
        "transposed_weight")


def make_backward(bug=None):
    """A backward pass with the named bug planted (None: the correct pass, as a control)."""

    def backward(parameters, cache, X, Y, hidden="tanh", output="sigmoid", lambd=0.0):
        L = len(parameters) // 2
        Y = np.asarray(Y, dtype=np.float64)
        m = Y.size if bug == "m_is_Y_size" else X.shape[1]
        dZ = cache[f"A{L}"] - Y
        if bug != "no_1_over_m":
            dZ = dZ / m
        grads = {}
        for l in range(L, 0, -1):
            A_prev = cache[f"A{l - 1}"] if l > 1 else X
            W = parameters[f"W{l}"]
            grads[f"dW{l}"] = dZ @ A_prev.T + (lambd / m) * W
            db = np.sum(dZ, axis=1, keepdims=True)
            if bug == "bias_wrong_axis":
                db = np.full_like(db, np.sum(np.sum(dZ, axis=0)))
            grads[f"db{l}"] = db
            if l > 1:
                dA = W @ dZ if bug == "transposed_weight" else W.T @ dZ
                if bug == "dropped_derivative":
                    dZ = dA
                elif bug == "tanh_1_minus_A":
                    dZ = dA * (1.0 - cache[f"A{l - 1}"])
                else:
                    dZ = dA * ACTIVATIONS[hidden].derivative(cache[f"Z{l - 1}"])
        return dict(sorted(grads.items(), key=lambda kv: (int(kv[0][2:]), kv[0][1])))

    return backward


def make_case(hidden, output, n_y=3, seed=0, dims_hidden=(3, 3, 3)):
    rng = np.random.default_rng(seed)
    n_x, m = 3, 4
    X = rng.standard_normal((n_x, m))
    if output == "sigmoid":
        Y = (rng.uniform(size=(n_y, m)) < 0.5) * 1.0
    else:
        Y = np.eye(n_y)[:, rng.integers(0, n_y, m)]
    dims = (n_x, *dims_hidden, n_y)
    params = []
    for _ in range(nc.SEEDS_PER_EXAMPLE):
        p = {}
        for l in range(1, len(dims)):
            p[f"W{l}"] = rng.standard_normal((dims[l], dims[l - 1]))
            p[f"b{l}"] = rng.standard_normal((dims[l], 1))
        params.append(p)
    return {"X": X, "Y": Y, "dims": dims, "hidden": hidden, "output": output, "lambd": 0.1,
            "params": params}


ORACLES = {
    "twin": lambda case, f: twin_check(case, f),
    "richardson": lambda case, f: richardson_check(case, case["params"][0], f),
    "complex_step": lambda case, f: complex_step_check(case, case["params"][0], f),
}
CASES = [(h, o) for h in ("tanh", "sigmoid") for o in ("sigmoid", "softmax")]


@pytest.mark.parametrize("oracle", ORACLES)
@pytest.mark.parametrize("hidden, output", CASES)
def test_control_passes(oracle, hidden, output):
    """The harness's correct backward passes every oracle (so a catch below is the bug's)."""
    ratio = ORACLES[oracle](make_case(hidden, output), make_backward(None))
    assert ratio is not None and ratio <= 1.0


# the tanh-derivative bug (1 - A for 1 - A²) only exists in a tanh hidden layer
BUG_CASES = [(b, h, o) for b in BUGS for h, o in CASES if b != "tanh_1_minus_A" or h == "tanh"]


@pytest.mark.parametrize("oracle", ORACLES)
@pytest.mark.parametrize("bug, hidden, output", BUG_CASES)
def test_bug_is_caught(oracle, bug, hidden, output):
    ratio = ORACLES[oracle](make_case(hidden, output), make_backward(bug))
    assert ratio is not None and ratio > 1.0, f"{bug} slipped past {oracle}"


@pytest.mark.parametrize("oracle", ORACLES)
def test_y_size_bug_is_invisible_with_one_output(oracle):
    """With n_y = 1, Y.size is the sample count: the notebook's m = Y.size is right there."""
    case = make_case("tanh", "sigmoid", n_y=1)
    ratio = ORACLES[oracle](case, make_backward("m_is_Y_size"))
    assert ratio is not None and ratio <= 1.0
