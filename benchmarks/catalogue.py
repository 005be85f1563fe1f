"""A catalogue of hand-written NumPy gradients, as practitioners write them: correct, lossy, buggy.

Each :class:`Case` holds a scalar function ``f`` of an array or a dict of arrays, a hand-written
gradient ``grad`` returning the same structure, a seeded point ``x``, a JAX twin ``f_jax`` of the
same mathematical function (``jax.numpy``, float64) and a one-line description of what the
practitioner wrote.  The categories:

- ``"correct"``: the gradient is right to a few ulps;
- ``"lossy"``: a correct formula that loses digits, in ``f`` (``log(1 + exp(z))`` far left, a cost
  near 1e4, the notebook's ``log(1 - A)`` at saturation) or in ``grad`` (``s*(1-s)``, ``1-t**2``
  once the output rounds to 1, a float32 backward): the gradient differs from the truth at the
  rounding level only;
- ``"bug"``: a real mistake, the kind found in notebooks and forum posts.

The truth does not come from any checker: :func:`truth_error` compares ``grad(x)`` with
``jax.grad(f_jax)(x)`` in float64, element by element, as
``max |g - t| / (|t| + truth_floor * max|t|)``.  A case is truly buggy iff that exceeds
``10 * truth_tol``, and correct or lossy iff it is at most ``truth_tol`` (default 1e-8; float32
backward passes get 1e-4).  For the elementwise lossy cases jax's own derivative rounds like the
hand-written one (jax differentiates tanh as 1 - tanh**2), so there mpmath at 60 digits is the truth
(:func:`truth`; ``df_mp``).  Where the NumPy ``f`` is written in a lossy form, ``f_jax`` is the same
function written stably (``logaddexp``), so jax differentiates the mathematics, not the rounding.
Kinks follow jax's conventions where they are the user's: relu′(0) = 0 (``where(z > 0, z, 0)``), a
max routed to the first maximum (``argmax``; what torch's max-pool does).

Everything here is written from scratch for this catalogue (small networks and layers, features x
samples as in the notebook); the one borrowed case is ``refnet.examples.notebook_style_network``.
Shapes are small, except the cases marked ``large`` (thousands of parameters).

    from benchmarks.catalogue import CASES, truth_error, truth_label
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

__all__ = [
    "CASES",
    "CATEGORIES",
    "COINCIDING",
    "Case",
    "by_name",
    "jax_gradient",
    "mp_gradient",
    "truth",
    "truth_error",
    "truth_label",
]

CATEGORIES = ("correct", "lossy", "bug")


@dataclass(frozen=True)
class Case:
    name: str
    category: str                      # "correct", "lossy" or "bug"
    f: Callable[[Any], float]          # NumPy, scalar
    grad: Callable[[Any], Any]         # hand-written, same structure as x
    x: Any                             # an array or a dict of arrays (float64, seeded)
    f_jax: Callable[[Any], Any]        # the same function in jax.numpy
    description: str
    large: bool = False
    truth_tol: float = 1e-8            # max elementwise relative error of a correct gradient
    truth_floor: float = 1e-6          # relative to max|truth|: the denominator's floor
    df_mp: Callable | None = None      # elementwise cases: the exact derivative, for mpmath
    # kinks coincide at x: where refnet cannot decide a correct gradient there it says
    # INCONCLUSIVE (docs/checking.md, "Kinks that coincide"), never MISMATCH
    coinciding: bool = False

    def __repr__(self) -> str:  # keep pytest ids and error messages short
        return f"Case({self.name!r}, {self.category!r})"


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(zlib.crc32(name.encode()))


def _copy(x):
    if isinstance(x, dict):
        return {k: np.array(v, dtype=np.float64) for k, v in x.items()}
    return np.array(x, dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# the truth


_GRADS: dict = {}


def _family(fn, data=None, **static):
    """``(f, f_jax)`` for ``fn(xp, x, data, **static)``: the NumPy function and its JAX twin.  The
    twin remembers its family, so that :func:`jax_gradient` compiles ``jax.grad(fn)`` once per
    family, shape and static values, with the case's data as traced arguments."""
    def f(x):
        return float(fn(np, x, data, **static))

    def f_jax(x):
        return fn(jnp, x, data, **static)

    f_jax.family = (fn, data, static)
    return f, f_jax


def jax_gradient(case: Case):
    """``jax.grad(case.f_jax)`` at ``case.x`` in float64, as NumPy (a dict for a dict x), jitted:
    one compile per family of cases at one shape (per case for a twin without a family)."""
    fam = getattr(case.f_jax, "family", None)
    if fam is None:
        key, args, kw = case.name, (), {}
        if key not in _GRADS:
            _GRADS[key] = jax.jit(jax.grad(case.f_jax))
    else:
        fn, data, kw = fam
        key, args = (fn, tuple(sorted(kw))), (data,)
        if key not in _GRADS:
            _GRADS[key] = jax.jit(jax.grad(lambda x, data, **st: fn(jnp, x, data, **st)),
                                  static_argnames=tuple(sorted(kw)))
    g = _GRADS[key]
    x = case.x
    if isinstance(x, dict):
        out = g({k: jnp.asarray(v, dtype=jnp.float64) for k, v in x.items()}, *args, **kw)
        return {k: np.asarray(out[k], dtype=np.float64) for k in x}
    return np.asarray(g(jnp.asarray(x, dtype=jnp.float64), *args, **kw), dtype=np.float64)


def _flat(x, keys):
    if keys is None:
        return np.asarray(x, dtype=np.float64).ravel()
    return np.concatenate([np.asarray(x[k], dtype=np.float64).ravel() for k in keys])


def mp_gradient(case: Case, dps: int = 60):
    """The derivative of an elementwise case at ``dps`` digits (mpmath), rounded to float64; None
    for a case without ``df_mp``.  Where jax's own derivative rounds (``1 - tanh**2`` past
    |z| = 19, ``s*(1-s)`` past z = 37), this is the judge."""
    if case.df_mp is None:
        return None
    import mpmath

    with mpmath.workdps(dps):
        return np.array([float(case.df_mp(mpmath.mpf(float(z)))) for z in case.x])


def truth(case: Case):
    """The reference gradient: mpmath where the case has an exact derivative, else jax.grad."""
    t = mp_gradient(case)
    return jax_gradient(case) if t is None else t


def truth_error(case: Case, truth=None) -> float:
    """max |g - t| / (|t| + truth_floor·max|t|) over all elements, t the jax.grad truth."""
    if truth is None:
        truth = globals()["truth"](case)
    keys = list(case.x) if isinstance(case.x, dict) else None
    g = case.grad(_copy(case.x))
    if keys is not None:
        assert set(g) == set(keys), f"{case.name}: grad keys {sorted(g)} != {sorted(keys)}"
        for k in keys:
            assert np.shape(g[k]) == np.shape(case.x[k]), f"{case.name}: shape of {k}"
    else:
        assert np.shape(g) == np.shape(case.x), f"{case.name}: shape"
    t, gv = _flat(truth, keys), _flat(g, keys)
    scale = float(np.max(np.abs(t))) if t.size else 0.0
    den = np.abs(t) + case.truth_floor * scale + 1e-300
    return float(np.max(np.abs(gv - t) / den))


def truth_label(case: Case, truth=None) -> str:
    """"bug" (error beyond 10·truth_tol), "ok" (within truth_tol) or "unclear" (between)."""
    e = truth_error(case, truth)
    return "bug" if e > 10 * case.truth_tol else "ok" if e <= case.truth_tol else "unclear"


# ---------------------------------------------------------------------------------------------
# building blocks, written once for xp = numpy or jax.numpy (the forward pass only: the
# gradients below are NumPy and hand-written)


def _sigmoid(xp, z):
    return 1 / (1 + xp.exp(-z))


def _act(xp, name, z):
    if name == "tanh":
        return xp.tanh(z)
    if name == "relu":
        return xp.where(z > 0, z, 0.0)
    if name == "sigmoid":
        return _sigmoid(xp, z)
    if name == "softplus":
        return xp.log(1 + xp.exp(z))  # small z only here
    raise ValueError(name)


def _log_softmax(xp, Z, axis):
    Zs = Z - Z.max(axis=axis, keepdims=True)
    return Zs - xp.log(xp.exp(Zs).sum(axis=axis, keepdims=True))


def _softmax_np(Z, axis):
    E = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return E / E.sum(axis=axis, keepdims=True)


def _lse(xp, Z, axis):
    mx = Z.max(axis=axis, keepdims=True)
    return (mx + xp.log(xp.exp(Z - mx).sum(axis=axis, keepdims=True))).squeeze(axis)


# --- a two-layer network, features x samples: tanh/relu/sigmoid/softplus hidden, sigmoid out ---


def _mlp_cost(xp, p, X, Y, hidden="tanh", loss="bce", lam=0.0, l2="half", mask=None, keep=1.0):
    m = X.shape[1]
    A1 = _act(xp, hidden, p["W1"] @ X + p["b1"])
    if mask is not None:
        A1 = A1 * mask / keep
    A2 = _sigmoid(xp, p["W2"] @ A1 + p["b2"])
    if loss == "bce":
        J = -xp.sum(Y * xp.log(A2) + (1 - Y) * xp.log(1 - A2)) / m
    else:
        J = 0.5 * xp.sum((A2 - Y) ** 2) / m
    if lam:
        c = lam / (2 * m) if l2 == "half" else lam / m
        J = J + c * (xp.sum(p["W1"] ** 2) + xp.sum(p["W2"] ** 2))
    return J


def _mlp_family(xp, p, data, **kw):
    X, Y, mask = data
    return _mlp_cost(xp, p, X, Y, mask=mask, **kw)


def _mlp_grad(p, X, Y, hidden="tanh", loss="bce", lam=0.0, l2="half", mask=None, keep=1.0,
              bug=None, dtype=np.float64):
    """The hand-written backward pass; ``bug`` switches in one practitioner's mistake."""
    p = {k: np.asarray(v, dtype=dtype) for k, v in p.items()}
    X, Y = X.astype(dtype), Y.astype(dtype)
    m = X.shape[1]
    Z1 = p["W1"] @ X + p["b1"]
    A1 = _act(np, hidden, Z1)
    D1 = A1 if mask is None else A1 * mask / keep        # what layer 2 sees
    A2 = _sigmoid(np, p["W2"] @ D1 + p["b2"])
    if loss == "bce":
        dZ2 = (Y - A2) / m if bug == "bce_sign" else (A2 - Y) / m
    elif bug == "mse_no_sigmoid_derivative":
        dZ2 = (A2 - Y) / m                                 # the cross-entropy's dZ, pasted
    else:
        dZ2 = (A2 - Y) * A2 * (1 - A2) / m
    if bug == "y_size":
        dZ2 = (A2 - Y) / Y.size
    dW2 = dZ2 @ D1.T
    if bug == "bias_mean":
        db2 = np.mean(dZ2, axis=1, keepdims=True)          # dZ2 already carries 1/m
    else:
        db2 = np.sum(dZ2, axis=1, keepdims=True)
    if bug == "transpose":
        dD1 = p["W2"] @ dZ2                                # W2 square: the shapes still fit
    elif bug == "missing_1_over_m":
        dD1 = p["W2"].T @ (A2 - Y)                         # the undivided dZ2 sent back
    else:
        dD1 = p["W2"].T @ dZ2
    dA1 = dD1 if mask is None or bug == "dropout_forgotten" else dD1 * mask / keep
    if hidden == "tanh":
        dZ1 = dA1 * ((1 - Z1 ** 2) if bug == "tanh_from_Z" else (1 - A1 ** 2))
    elif hidden == "relu":
        dZ1 = dA1 * (Z1 > 0)
    elif hidden == "sigmoid":
        dZ1 = dA1 * ((Z1 * (1 - Z1)) if bug == "sigmoid_on_Z" else (A1 * (1 - A1)))
    else:  # softplus: derivative sigmoid(Z1)
        dZ1 = dA1 * _sigmoid(np, A1 if bug == "softplus_from_A" else Z1)
    dW1 = dZ1 @ X.T
    db1 = dZ1[:, :1] if bug == "bias_one_sample" else np.sum(dZ1, axis=1, keepdims=True)
    if lam:
        c = lam / m if l2 == "half" else 2 * lam / m
        if bug == "l2_no_m":
            c = lam
        if bug == "l2_no_2":
            c = lam / m
        dW1, dW2 = dW1 + c * p["W1"], dW2 + c * p["W2"]
        if bug == "decay_bias":
            db1, db2 = db1 + c * p["b1"], db2 + c * p["b2"]
    g = {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
    if bug == "swapped":
        g["W1"], g["W2"] = dW2, dW1
    return g


def _mlp_case(name, category, description, *, n_x=4, n_h=5, n_y=3, m=6, hidden="tanh",
              loss="bce", lam=0.0, l2="half", dropout=None, bug=None, kink=False,
              perturb=None, dtype=np.float64, large=False, truth_tol=1e-8, truth_floor=1e-6):
    r = _rng(name)
    X = r.standard_normal((n_x, m))
    Y = (r.random((n_y, m)) < 0.5).astype(float)
    P = {"W1": 0.5 * r.standard_normal((n_h, n_x)), "b1": 0.5 * r.standard_normal((n_h, 1)),
             "W2": 0.5 * r.standard_normal((n_y, n_h)), "b2": 0.5 * r.standard_normal((n_y, 1))}
    if kink:  # zero samples and zero biases: pre-activations exactly 0 on those samples
        X[:, :2] = 0.0
        P["b1"][:2] = 0.0
    mask, keep = None, 1.0
    if dropout is not None:
        keep = dropout
        mask = (r.random((n_h, m)) < keep).astype(float)
    kw = {"hidden": hidden, "loss": loss, "lam": lam, "l2": l2, "mask": mask, "keep": keep}
    f, f_jax = _family(_mlp_family, (X, Y, mask), hidden=hidden, loss=loss, lam=lam, l2=l2,
                       keep=keep)

    if perturb is None:
        def grad(p):
            return _mlp_grad(p, X, Y, bug=bug, dtype=dtype, **kw)
    else:  # one element of dW1 off by a relative `perturb` (the largest, so not a tiny one)
        g0 = _mlp_grad(P, X, Y, **kw)["W1"]
        idx = np.unravel_index(np.argmax(np.abs(g0)), g0.shape)

        def grad(p):
            g = _mlp_grad(p, X, Y, dtype=dtype, **kw)
            g["W1"][idx] *= 1 + perturb
            return g
    return Case(name, category, f, grad, P, f_jax, description, large, truth_tol, truth_floor)


# --- a softmax classifier, features x samples -------------------------------------------------


def _softmax_cost(xp, p, data):
    X, Y = data
    return -xp.sum(Y * _log_softmax(xp, p["W"] @ X + p["b"], 0)) / X.shape[1]


def _softmax_case(name, category, description, bug=None):
    r = _rng(name)
    C, n, m = 3, 4, 5
    X = r.standard_normal((n, m))
    Y = np.eye(C)[r.integers(0, C, m)].T
    P = {"W": r.standard_normal((C, n)), "b": r.standard_normal((C, 1))}

    def grad(p):
        Z = p["W"] @ X + p["b"]
        if bug == "axis":
            S = _softmax_np(Z, axis=1)
        else:
            S = _softmax_np(Z, axis=0)
        dZ = -(Y / S) / m if bug == "no_jacobian" else (S - Y) / m
        return {"W": dZ @ X.T, "b": dZ.sum(axis=1, keepdims=True)}

    f, f_jax = _family(_softmax_cost, (X, Y))
    return Case(name, category, f, grad, P, f_jax, description)


# --- batch norm and layer norm, followed by a squared error ----------------------------------


def _norm_forward(xp, p, axis, eps):
    x = p["x"]
    mu = x.mean(axis=axis, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=axis, keepdims=True)
    xhat = (x - mu) / xp.sqrt(var + eps)
    return xhat, var, p["gamma"] * xhat + p["beta"]


def _norm_cost(xp, p, T, axis, eps):
    return xp.mean((_norm_forward(xp, p, axis, eps)[2] - T) ** 2)


def _norm_case(name, category, description, axis, bug=None, dtype=np.float64, scale=1.0,
               truth_tol=1e-8, truth_floor=1e-6):
    r = _rng(name)
    N, D, eps = 6, 3, 1e-5
    T = r.standard_normal((N, D))
    P = {"x": scale * r.standard_normal((N, D)) + 0.3, "gamma": 1 + 0.3 * r.standard_normal(D),
             "beta": 0.3 * r.standard_normal(D)}

    def grad(p):
        p = {k: np.asarray(v, dtype=dtype) for k, v in p.items()}
        xhat, var, y = _norm_forward(np, p, axis, eps)
        dy = 2 * (y - T.astype(dtype)) / y.size
        dxhat = dy * p["gamma"]
        invstd = 1 / np.sqrt(var) if bug == "eps_dropped" else 1 / np.sqrt(var + eps)
        mean_term = dxhat.mean(axis=axis, keepdims=True)
        var_term = xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)
        if bug == "no_mean":
            dx = invstd * (dxhat - var_term)
        elif bug == "no_var":
            dx = invstd * (dxhat - mean_term)
        else:
            dx = invstd * (dxhat - mean_term - var_term)
        return {"x": dx, "gamma": (dy * xhat).sum(axis=0), "beta": dy.sum(axis=0)}

    f, f_jax = _family(_norm_cost, T, axis=axis, eps=eps)
    return Case(name, category, f, grad, P, f_jax, description, truth_tol=truth_tol,
                truth_floor=truth_floor)


# --- single-head attention, O = softmax(Q Kᵀ/√d) V, with a fixed upstream gradient G --------


def _attention_cost(xp, p, G):
    S = p["Q"] @ p["K"].T / math.sqrt(p["Q"].shape[1])
    return xp.sum(G * (xp.exp(_log_softmax(xp, S, 1)) @ p["V"]))


def _attention_case(name, category, description, bug=None):
    r = _rng(name)
    T, d = 4, 3
    G = r.standard_normal((T, d))
    P = {"Q": r.standard_normal((T, d)), "K": r.standard_normal((T, d)),
             "V": r.standard_normal((T, d))}

    def grad(p):
        Q, K, V = p["Q"], p["K"], p["V"]
        Pm = _softmax_np(Q @ K.T / math.sqrt(d), axis=1)
        dP = G @ V.T
        dS = Pm * (dP - (dP * Pm).sum(axis=1, keepdims=True))
        c = 1.0 if bug == "no_sqrt_d" else 1 / math.sqrt(d)
        return {"Q": c * dS @ K, "K": c * dS.T @ Q, "V": Pm.T @ G}

    f, f_jax = _family(_attention_cost, G)
    return Case(name, category, f, grad, P, f_jax, description)


# --- a valid 1-D cross-correlation y[i] = Σ_j x[i+j] k[j] -------------------------------------


def _conv_cost(xp, p, G):
    n, K = G.shape[0], p["k"].shape[0]
    return xp.sum(G * sum(p["k"][j] * p["x"][j:j + n] for j in range(K)))


def _conv_case(name, category, description, bug=None):
    r = _rng(name)
    L, K = 10, 3
    n = L - K + 1
    G = r.standard_normal(n)
    P = {"x": r.standard_normal(L), "k": r.standard_normal(K)}

    def grad(p):
        k = p["k"]
        dx = np.convolve(G, k[::-1] if bug == "not_flipped" else k, mode="full")
        dk = np.array([G @ p["x"][j:j + n] for j in range(K)])
        return {"x": dx, "k": dk}

    f, f_jax = _family(_conv_cost, G)
    return Case(name, category, f, grad, P, f_jax, description)


# --- max-pool over windows of 2, on data with ties --------------------------------------------


def _maxpool_cost(xp, x, G):
    """NumPy: max over each window; JAX: the value at the first argmax (its gradient goes to
    the first maximum only, where jnp.max would split a tie)."""
    w = x.reshape(-1, 2)
    if xp is np:
        return np.sum(G * w.max(axis=1))
    return xp.sum(G * xp.take_along_axis(w, xp.argmax(w, axis=1)[:, None], axis=1)[:, 0])


def _maxpool_case(name, category, description, bug=None):
    r = _rng(name)
    x = r.integers(0, 3, 12) / 2.0
    x[0:2] = 1.0          # at least two tied windows
    x[6:8] = 0.5
    G = r.standard_normal(6)

    f, f_jax = _family(_maxpool_cost, G)

    def grad(x):
        w = x.reshape(-1, 2)
        if bug == "all_ties":
            route = (w == w.max(axis=1, keepdims=True)).astype(float)
        else:
            route = np.zeros_like(w)
            route[np.arange(len(w)), np.argmax(w, axis=1)] = 1.0
        return (route * G[:, None]).ravel()

    return Case(name, category, f, grad, x, f_jax, description)


# --- kinks that coincide: many relu units exactly at 0, max-pool windows all tied ------------
# Both gradients below are the limit of true gradients from nearby points (shift the biases a
# little, or one of two tied weight rows), as torch and jax compute them; the per-coordinate
# one-sided derivatives do not bound them (several kinks meet at x on one coordinate's line).
# The families take a seed: tests/test_catalogue.py runs 20 of each, the catalogue two.


def _relu_tied_cost(xp, p, data):
    X, Y = data
    A1 = xp.where(p["W1"] @ X + p["b1"] > 0, p["W1"] @ X + p["b1"], 0.0)
    A2 = _sigmoid(xp, p["W2"] @ A1 + p["b2"])
    return -xp.sum(Y * xp.log(A2) + (1 - Y) * xp.log(1 - A2)) / X.shape[1]


def relu_coinciding_case(seed, bug=None, category=None):
    """A 4-5-1 relu network on inputs in {-1, 0, 1} with weights in halves and zero biases: many
    pre-activations are exactly 0 at once.  ``bug``: "relu0=2" (the derivative 2 at 0, no
    limit of any side), "sign" (dZ1 negated)."""
    r = np.random.default_rng(seed)
    X = r.integers(-1, 2, (4, 6)).astype(float)
    Y = (r.random((1, 6)) > 0.5).astype(float)
    P = {"W1": r.integers(-2, 3, (5, 4)) * 0.5, "b1": np.zeros((5, 1)),
         "W2": r.standard_normal((1, 5)), "b2": np.zeros((1, 1))}
    f, f_jax = _family(_relu_tied_cost, (X, Y))

    def grad(p):
        Z1 = p["W1"] @ X + p["b1"]
        A1 = np.where(Z1 > 0, Z1, 0.0)
        dZ2 = (_sigmoid(np, p["W2"] @ A1 + p["b2"]) - Y) / X.shape[1]
        d = np.where(Z1 > 0, 1.0, np.where(Z1 == 0, 2.0 if bug == "relu0=2" else 0.0, 0.0))
        dZ1 = (p["W2"].T @ dZ2) * d * (-1.0 if bug == "sign" else 1.0)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(axis=1, keepdims=True), "W2": dZ2 @ A1.T,
                "b2": dZ2.sum(axis=1, keepdims=True)}

    what = {None: "relu'(0) = 0", "relu0=2": "relu'(0) written 2", "sign": "dZ1 negated"}[bug]
    return Case(f"relu_coinciding_kinks_{seed}" + (f"_{bug}" if bug else ""),
                category or ("bug" if bug else "correct"), f, grad, P, f_jax,
                f"relu network, integer inputs and zero biases (many Z1 exactly 0); {what}",
                coinciding=True)


def _maxpool_tied_cost(xp, p, X):
    Zw = (p["W"] @ X).reshape(3, 2, X.shape[1])
    if xp is np:
        M = Zw.max(axis=1)
    else:  # the value at the first maximum (its gradient goes there only, as torch's)
        M = xp.take_along_axis(Zw, xp.argmax(Zw, axis=1)[:, None, :], axis=1)[:, 0, :]
    return xp.sum((p["V"] @ xp.tanh(M)) ** 2) / X.shape[1]


def maxpool_tied_case(seed, bug=None, category=None):
    """A linear layer of 6 units max-pooled in windows of 2, whose weight rows were copied in
    pairs (a duplicated initialisation): every window is tied on every sample.  The gradient
    goes to the first maximum; ``bug``: "every" (to every tied unit), "half" (dW halved)."""
    r = np.random.default_rng(seed)
    X = r.standard_normal((3, 5))
    W = r.standard_normal((6, 3))
    W[1::2] = W[0::2]
    P = {"W": W, "V": r.standard_normal((1, 3))}
    f, f_jax = _family(_maxpool_tied_cost, X)

    def grad(p):
        Zw = (p["W"] @ X).reshape(3, 2, X.shape[1])
        M = Zw.max(axis=1)
        out = p["V"] @ np.tanh(M)
        dout = 2 * out / X.shape[1]
        dM = (p["V"].T @ dout) * (1 - np.tanh(M) ** 2)
        if bug == "every":
            route = (Zw == M[:, None, :]).astype(float)
        else:
            route = np.zeros_like(Zw)
            first = np.argmax(Zw, axis=1)
            for w in range(3):
                route[w, first[w], np.arange(X.shape[1])] = 1.0
        dW = (route * dM[:, None, :]).reshape(6, -1) @ X.T
        return {"W": dW * (0.5 if bug == "half" else 1.0), "V": dout @ np.tanh(M).T}

    what = {None: "routed to the first maximum", "every": "routed to every tied unit",
            "half": "dW halved"}[bug]
    return Case(f"maxpool_tied_windows_{seed}" + (f"_{bug}" if bug else ""),
                category or ("bug" if bug else "correct"), f, grad, P, f_jax,
                f"max-pool over windows tied by copied weight rows; {what}", coinciding=True)


# the families and their variants (None: the correct gradient)
COINCIDING = {relu_coinciding_case: (None, "relu0=2", "sign"),
              maxpool_tied_case: (None, "every", "half")}


# --- a vanilla RNN, h_t = tanh(Wh h_{t-1} + Wx x_t + b), loss Σ_t G_t·h_t -------------------


def _rnn_states(xp, p, xs):
    h, hs = xp.zeros(p["b"].shape[0]), []
    for t in range(xs.shape[0]):
        h = xp.tanh(p["Wh"] @ h + p["Wx"] @ xs[t] + p["b"])
        hs.append(h)
    return hs


def _rnn_cost(xp, p, data):
    xs, G = data
    return sum(xp.sum(G[t] * h) for t, h in enumerate(_rnn_states(xp, p, xs)))


def _rnn_case(name, category, description, bug=None):
    r = _rng(name)
    H, D, T = 3, 2, 4
    xs = r.standard_normal((T, D))
    G = r.standard_normal((T, H))
    P = {"Wh": 0.6 * r.standard_normal((H, H)), "Wx": r.standard_normal((H, D)),
             "b": 0.3 * r.standard_normal(H)}

    def grad(p):
        hs = _rnn_states(np, p, xs)
        dWh, dWx, db = np.zeros((H, H)), np.zeros((H, D)), np.zeros(H)
        dh_next = np.zeros(H)
        for t in reversed(range(T)):
            dh = G[t] if bug == "truncated" else G[t] + dh_next
            dz = dh * (1 - hs[t] ** 2)
            h_prev = hs[t - 1] if t > 0 else np.zeros(H)
            dWh += np.outer(dz, h_prev)
            dWx += np.outer(dz, xs[t])
            db += dz
            dh_next = p["Wh"].T @ dz
        return {"Wh": dWh, "Wx": dWx, "b": db}

    f, f_jax = _family(_rnn_cost, (xs, G))
    return Case(name, category, f, grad, P, f_jax, description)


# --- a function undefined beside x: x / (1 + sqrt(x)) from x = 0.01 (NaN for x < 0) ----------


def _sqrt_edge_cost(xp, x, G):
    return xp.sum(G * x / (1 + xp.sqrt(x)))


def _sqrt_edge_case(name, category, description, bug=None):
    """A random line through x leaves f's domain on one side; the noise of f is measured on the
    other.  ``bug``: the derivative's denominator missing its square."""
    G = _rng(name).standard_normal(6)
    x = np.array([0.01, 0.25, 1.3, 2.0, 4.0, 9.0])  # the first steps (2**-6) leave the domain
    f, f_jax = _family(_sqrt_edge_cost, G)

    def grad(x):
        s = np.sqrt(x)
        return G * (1 + s / 2) / ((1 + s) if bug == "no_square" else (1 + s) ** 2)

    return Case(name, category, f, grad, x, f_jax, description)


# --- a tanh/softmax MLP of 1,004 parameters whose cost goes through float() -------------------


def _float_mlp_cost(xp, p, data):
    X, Y = data
    Z2 = p["W2"] @ xp.tanh(p["W1"] @ X + p["b1"]) + p["b2"]
    S = Z2 - xp.max(Z2, axis=0)
    return -xp.sum(Y * (S - xp.log(xp.sum(xp.exp(S), axis=0)))) / X.shape[1]


def _float_mlp_case(name, category, description, bug=None):
    """No complex step (float()), so differences alone judge; its smallest elements (1e-5 of
    the gradient's scale) are verified to that scale.  ``bug``: the smallest element of the
    gradient off by 1 %."""
    r = _rng(name)
    X, Y = r.standard_normal((20, 32)), np.eye(4)[:, r.integers(0, 4, 32)]
    P = {"W1": r.standard_normal((40, 20)) / np.sqrt(20), "b1": 0.1 * r.standard_normal((40, 1)),
         "W2": r.standard_normal((4, 40)) / np.sqrt(40), "b2": 0.1 * r.standard_normal((4, 1))}
    f, f_jax = _family(_float_mlp_cost, (X, Y))

    def exact(p):
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        Z2 = p["W2"] @ A1 + p["b2"]
        E = np.exp(Z2 - Z2.max(axis=0))
        dZ2 = (E / E.sum(axis=0) - Y) / X.shape[1]
        dZ1 = (p["W2"].T @ dZ2) * (1 - A1 * A1)
        return {"W1": dZ1 @ X.T, "b1": dZ1.sum(1, keepdims=True), "W2": dZ2 @ A1.T,
                "b2": dZ2.sum(1, keepdims=True)}

    g0 = exact(P)
    key = min(g0, key=lambda k: np.min(np.abs(g0[k])))
    where = np.unravel_index(np.argmin(np.abs(g0[key])), g0[key].shape)

    def grad(p):
        g = exact(p)
        if bug == "smallest_1%":
            g[key][where] *= 1.01
        return g

    return Case(name, category, f, grad, P, f_jax, description, truth_floor=0.0)


# --- an embedding lookup with repeated indices, then tanh(E[idx] W) ---------------------------


def _embedding_cost(xp, p, data):
    idx, G = data
    return xp.sum(G * xp.tanh(p["E"][idx] @ p["W"]))


def _embedding_case(name, category, description, bug=None):
    r = _rng(name)
    idx = np.array([0, 2, 2, 4, 0, 1])
    G = r.standard_normal((len(idx), 2))
    P = {"E": r.standard_normal((5, 3)), "W": r.standard_normal((3, 2))}

    def grad(p):
        emb = p["E"][idx]
        out = np.tanh(emb @ p["W"])
        dZ = G * (1 - out ** 2)
        demb = dZ @ p["W"].T
        dE = np.zeros_like(p["E"])
        if bug == "overwrite":
            dE[idx] += demb                      # repeated rows: only the last one lands
        else:
            np.add.at(dE, idx, demb)
        return {"E": dE, "W": emb.T @ dZ}

    f, f_jax = _family(_embedding_cost, (idx, G))
    return Case(name, category, f, grad, P, f_jax, description)


# --- a tied-weight autoencoder, R = Wᵀ tanh(W X + b1) + b2 -----------------------------------


def _autoencoder_cost(xp, p, X):
    H = xp.tanh(p["W"] @ X + p["b1"])
    return 0.5 * xp.sum((p["W"].T @ H + p["b2"] - X) ** 2) / X.shape[1]


def _autoencoder_case(name, category, description, bug=None):
    r = _rng(name)
    n, h, m = 4, 3, 5
    X = r.standard_normal((n, m))
    P = {"W": 0.7 * r.standard_normal((h, n)), "b1": 0.3 * r.standard_normal((h, 1)),
             "b2": 0.3 * r.standard_normal((n, 1))}

    def grad(p):
        H = np.tanh(p["W"] @ X + p["b1"])
        dR = (p["W"].T @ H + p["b2"] - X) / m
        dZ = (p["W"] @ dR) * (1 - H ** 2)
        dW = H @ dR.T if bug == "one_use" else H @ dR.T + dZ @ X.T
        return {"W": dW, "b1": dZ.sum(axis=1, keepdims=True), "b2": dR.sum(axis=1, keepdims=True)}

    f, f_jax = _family(_autoencoder_cost, X)
    return Case(name, category, f, grad, P, f_jax, description)


# --- elementwise losses and activations, summed -----------------------------------------------


def _huber_cost(xp, x, t, delta):
    a = xp.abs(x - t)
    return xp.sum(xp.where(a <= delta, 0.5 * (x - t) ** 2, delta * (a - 0.5 * delta)))


def _huber_case(name, category, description, bug=None):
    r = _rng(name)
    delta = 1.0
    t = r.standard_normal(10)
    res = np.array([-2.7, -1.6, -0.8, -0.3, 0.1, 0.45, 0.9, 1.3, 2.2, 3.1])
    x = t + res

    def grad(x):
        rr = x - t
        if bug == "one_sided":
            return np.where(rr <= delta, rr, delta)
        return np.where(np.abs(rr) <= delta, rr, delta * np.sign(rr))

    f, f_jax = _family(_huber_cost, t, delta=delta)
    return Case(name, category, f, grad, x, f_jax, description)


_erf = np.vectorize(math.erf, otypes=[float])


def _gelu_cost(xp, z, G):
    erf = _erf if xp is np else jax.scipy.special.erf
    return xp.sum(G * 0.5 * z * (1 + erf(z / math.sqrt(2))))


def _gelu_case(name, category, description, bug=None):
    r = _rng(name)
    z = np.linspace(-4, 4, 12) + 0.05 * r.standard_normal(12)
    G = r.standard_normal(12)

    f, f_jax = _family(_gelu_cost, G)

    def grad(z):
        if bug == "tanh_derivative":
            c = math.sqrt(2 / math.pi)
            u = c * (z + 0.044715 * z ** 3)
            th = np.tanh(u)
            return G * (0.5 * (1 + th) + 0.5 * z * (1 - th ** 2) * c * (1 + 3 * 0.044715 * z ** 2))
        cdf = 0.5 * (1 + _erf(z / math.sqrt(2)))
        pdf = np.exp(-0.5 * z ** 2) / math.sqrt(2 * math.pi)
        return G * (cdf + z * pdf)

    return Case(name, category, f, grad, z, f_jax, description)


def _elementwise_case(name, category, description, z, f_np, f_jx, df, df_mp):
    return Case(name, category, lambda z: float(np.sum(f_np(z))), df, np.asarray(z, float),
                lambda z: jnp.sum(f_jx(z)), description, df_mp=df_mp)


def _mp_sigmoid(z):
    import mpmath

    return 1 / (1 + mpmath.exp(-z))


def _mp_sech2(z):
    import mpmath

    return mpmath.sech(z) ** 2


# --- regressions -------------------------------------------------------------------------------


def _logreg_cost(xp, p, data):
    X, y = data
    z = X @ p["w"] + p["b"]
    return xp.mean(xp.logaddexp(0.0, z) - y * z)


def _linreg_cost(xp, p, data):
    X, y = data
    return xp.mean((X @ p["w"] + p["b"] - y) ** 2)


def _logreg_case(name, category, description, bug=None):
    r = _rng(name)
    m = n = 5                                      # square: samples x features, as rows
    X = r.standard_normal((m, n))
    y = (r.random(m) < 0.5).astype(float)
    P = {"w": r.standard_normal(n), "b": r.standard_normal(1)}

    def grad(p):
        s = _sigmoid(np, X @ p["w"] + p["b"])
        dw = X @ (s - y) / m if bug == "untransposed" else X.T @ (s - y) / m
        return {"w": dw, "b": np.array([np.sum(s - y) / m])}

    f, f_jax = _family(_logreg_cost, (X, y))
    return Case(name, category, f, grad, P, f_jax, description)


def _linreg_case(name, category, description, bug=None):
    r = _rng(name)
    m, n = 8, 4
    X = r.standard_normal((m, n))
    y = r.standard_normal(m)
    P = {"w": r.standard_normal(n), "b": r.standard_normal(1)}

    def grad(p):
        res = X @ p["w"] + p["b"] - y
        c = 1.0 if bug == "no_2" else 2.0
        return {"w": c * X.T @ res / m, "b": np.array([c * res.sum() / m])}

    f, f_jax = _family(_linreg_cost, (X, y))
    return Case(name, category, f, grad, P, f_jax, description)


def _lse_axis_cost(xp, X, w):
    return xp.sum(w * _lse(xp, X, 0))


def _lse_1e4_cost(xp, x, data):
    return _lse(xp, x, 0)


def _lse_axis_case(name, category, description, bug=None):
    r = _rng(name)
    X = r.standard_normal((4, 6))
    w = r.standard_normal(6)

    def grad(X):
        return _softmax_np(X, axis=1 if bug == "axis" else 0) * w

    f, f_jax = _family(_lse_axis_cost, w)
    return Case(name, category, f, grad, X, f_jax, description)


def _lse_1e4_case(name, category, description):
    r = _rng(name)
    x = 1e4 + r.standard_normal(12)

    def grad(x):
        mx = x.max()
        lse = mx + np.log(np.sum(np.exp(x - mx)))
        return np.exp(x - lse)

    f, f_jax = _family(_lse_1e4_cost)
    return Case(name, category, f, grad, x, f_jax, description)


def _notebook_twin(xp, p, data):
    """The notebook's cost from the logits: log σ(z) = -softplus(-z), log(1 - σ(z)) =
    -softplus(z)."""
    X, Y = data
    Z2 = p["W2"] @ xp.tanh(p["W1"] @ X + p["b1"]) + p["b2"]
    return xp.sum(Y * xp.logaddexp(0.0, -Z2) + (1 - Y) * xp.logaddexp(0.0, Z2)) / X.shape[1]


def _notebook_case(name, category, description):
    from refnet.examples import notebook_style_network

    X, Y, P, cost, grad = notebook_style_network()
    _, f_jax = _family(_notebook_twin, (X, Y))
    return Case(name, category, lambda p: float(cost(p)), grad, P, f_jax, description,
                large=True)


def _sum_sq_case(name, category, description):
    return Case(name, category, lambda x: float(np.sum(x ** 2)), lambda x: 2 * x, np.zeros(6),
                lambda x: jnp.sum(x ** 2), description)


# ---------------------------------------------------------------------------------------------
# the catalogue

_SQ = {"n_x": 4, "n_h": 4, "n_y": 4, "m": 6}    # square weights: the shapes hide the mistake
_LARGE = {"n_x": 32, "n_h": 64, "n_y": 4, "m": 32, "large": True}   # 2,372 parameters
_F32 = {"truth_tol": 1e-4, "truth_floor": 1e-4}


def _build() -> list[Case]:
    c = []
    # --- bugs ---------------------------------------------------------------------------------
    c += [
        _mlp_case("mlp_transpose_square", "bug",
                  "backprop through layer 2 uses W2 instead of W2.T (W2 is square, so it runs)",
                  bug="transpose", **_SQ),
        _mlp_case("mlp_bias_mean_not_sum", "bug",
                  "db2 = np.mean(dZ2, axis=1) where dZ2 already carries the 1/m",
                  bug="bias_mean"),
        _mlp_case("mlp_bias_one_sample", "bug",
                  "db1 taken from the first sample, dZ1[:, :1], instead of summed over the batch",
                  bug="bias_one_sample"),
        _mlp_case("mlp_missing_1_over_m", "bug",
                  "dW2, db2 divided by m, but the undivided A2 - Y is propagated to layer 1",
                  bug="missing_1_over_m"),
        _mlp_case("l2_missing_over_m", "bug",
                  "cost adds lambda/(2m)*sum(W**2); gradient adds lambda*W instead of lambda/m*W",
                  lam=0.7, bug="l2_no_m"),
        _mlp_case("l2_missing_factor_2", "bug",
                  "cost adds lambda/m*sum(W**2); gradient adds lambda/m*W, the factor 2 dropped",
                  lam=0.7, l2="full", bug="l2_no_2"),
        _mlp_case("weight_decay_on_bias", "bug",
                  "the cost decays the weights only; the gradient adds lambda/m*b to the biases",
                  lam=0.7, bug="decay_bias"),
        _softmax_case("softmax_wrong_axis", "bug",
                      "softmax in the backward pass over samples (axis=1) instead of classes",
                      bug="axis"),
        _softmax_case("softmax_ce_missing_jacobian", "bug",
                      "dZ = -Y/S/m: the gradient w.r.t. the probabilities, not chained "
                      "through the softmax", bug="no_jacobian"),
        _mlp_case("tanh_derivative_from_Z", "bug",
                  "tanh'(Z1) written 1 - Z1**2 instead of 1 - A1**2", bug="tanh_from_Z"),
        _mlp_case("sigmoid_derivative_on_Z", "bug",
                  "hidden sigmoid's derivative s*(1-s) applied to Z1 instead of A1",
                  hidden="sigmoid", bug="sigmoid_on_Z"),
        _mlp_case("softplus_derivative_from_A", "bug",
                  "softplus'(z) = sigmoid(z) evaluated at the output A1 instead of Z1",
                  hidden="softplus", bug="softplus_from_A"),
        _norm_case("batchnorm_missing_mean_term", "bug",
                   "batch-norm backward without the -mean(dxhat) term", 0, bug="no_mean"),
        _norm_case("batchnorm_missing_var_term", "bug",
                   "batch-norm backward without the -xhat*mean(dxhat*xhat) term", 0,
                   bug="no_var"),
        _norm_case("layernorm_missing_mean_term", "bug",
                   "layer-norm backward without the -mean(dxhat) term (over features)", 1,
                   bug="no_mean"),
        _attention_case("attention_missing_sqrt_d", "bug",
                        "forward scales scores by 1/sqrt(d); dQ and dK forget it",
                        bug="no_sqrt_d"),
        _mlp_case("dropout_mask_forgotten", "bug",
                  "forward applies the dropout mask / keep; backward does not",
                  dropout=0.75, bug="dropout_forgotten"),
        _mlp_case("mlp_W1_W2_swapped", "bug",
                  "dW1 and dW2 returned under each other's names (same shapes)",
                  bug="swapped", **_SQ),
        _mlp_case("mlp_Y_size_instead_of_m", "bug",
                  "dZ2 = (A2 - Y)/Y.size with 3 outputs, while the cost divides by m",
                  bug="y_size"),
        _mlp_case("one_element_1e-6_off", "bug",
                  "one weight's gradient off by a relative 1e-6 among 2,372",
                  perturb=1e-6, **_LARGE),
        _mlp_case("one_element_1e-3_off", "bug",
                  "one weight's gradient off by a relative 1e-3 among 2,372",
                  perturb=1e-3, **_LARGE),
        _norm_case("float32_batchnorm_eps_dropped", "bug",
                   "float32 batch-norm backward uses 1/sqrt(var), the forward sqrt(var + eps)",
                   0, bug="eps_dropped", dtype=np.float32, scale=0.03, **_F32),
        _lse_axis_case("logsumexp_wrong_axis", "bug",
                       "gradient of logsumexp over axis 0 taken as a softmax over axis 1",
                       bug="axis"),
        _mlp_case("cross_entropy_sign", "bug", "dZ2 = Y - A2 instead of A2 - Y",
                  bug="bce_sign"),
        _maxpool_case("maxpool_routes_to_all_ties", "bug",
                      "max-pool backward sends the gradient to every unit equal to the max",
                      bug="all_ties"),
        _conv_case("conv1d_kernel_not_flipped", "bug",
                   "input gradient of a valid cross-correlation computed as a full "
                   "cross-correlation (kernel not flipped)", bug="not_flipped"),
        _linreg_case("mse_missing_factor_2", "bug",
                     "d/dw mean((Xw+b-y)**2) written X.T@r/m, the 2 dropped", bug="no_2"),
        _logreg_case("logreg_square_X_untransposed", "bug",
                     "dw = X @ (s - y)/m instead of X.T @ ...; X is square so it runs",
                     bug="untransposed"),
        _mlp_case("mse_sigmoid_missing_derivative", "bug",
                  "squared-error cost on a sigmoid output with the cross-entropy's dZ2 = A2 - Y",
                  loss="mse", bug="mse_no_sigmoid_derivative"),
        _huber_case("huber_one_sided", "bug",
                    "Huber gradient np.where(r <= delta, r, delta): the abs forgotten, large "
                    "negative residuals get r", bug="one_sided"),
        _rnn_case("rnn_bptt_truncated", "bug",
                  "BPTT forgets to add dh_next from the later step", bug="truncated"),
        _embedding_case("embedding_repeated_index_overwrite", "bug",
                        "dE[idx] += demb with repeated indices (needs np.add.at)",
                        bug="overwrite"),
        _autoencoder_case("tied_autoencoder_one_use", "bug",
                          "tied weights: only the decoder's use of W is differentiated",
                          bug="one_use"),
        _sqrt_edge_case("sqrt_edge_missing_square", "bug",
                        "d/dx x/(1 + sqrt(x)) with the denominator's square dropped, x from 0.01",
                        bug="no_square"),
        _float_mlp_case("float_mlp_smallest_element_1%", "bug",
                        "a cost through float(); the gradient's smallest element off by 1 %",
                        bug="smallest_1%"),
        _gelu_case("gelu_exact_with_tanh_derivative", "bug",
                   "exact erf GELU forward, tanh-approximation derivative backward",
                   bug="tanh_derivative"),
    ]
    # --- correct ------------------------------------------------------------------------------
    c += [
        _mlp_case("mlp_tanh_sigmoid", "correct", "two-layer tanh/sigmoid network, cross-entropy"),
        _mlp_case("mlp_relu", "correct", "two-layer relu/sigmoid network", hidden="relu"),
        _mlp_case("mlp_l2", "correct", "L2-regularised network, lambda/(2m)*sum(W**2)",
                  lam=0.7),
        _mlp_case("mlp_dropout", "correct", "fixed dropout mask applied forward and backward",
                  dropout=0.75),
        _mlp_case("mlp_large", "correct", "the 2,372-parameter network of the one-element bugs",
                  **_LARGE),
        _softmax_case("softmax_classifier", "correct", "softmax regression, (S - Y)/m"),
        _norm_case("batchnorm", "correct", "batch norm + squared error", 0),
        _norm_case("layernorm", "correct", "layer norm + squared error", 1),
        _attention_case("attention", "correct", "single-head scaled dot-product attention"),
        _sum_sq_case("sum_squares_at_zero", "correct", "f = sum(x**2) at x = 0: zero gradient"),
        _mlp_case("relu_at_kink", "correct",
                  "relu network whose zero samples and zero biases put Z1 exactly at 0; "
                  "relu'(0) = 0", hidden="relu", kink=True),
        _maxpool_case("maxpool_first_max", "correct",
                      "max-pool with ties, gradient routed to the first maximum (as torch)"),
        _conv_case("conv1d", "correct", "valid 1-D cross-correlation, dx = convolve(G, k)"),
        _rnn_case("rnn_bptt", "correct", "vanilla RNN, full BPTT"),
        _embedding_case("embedding_add_at", "correct", "embedding with np.add.at"),
        _autoencoder_case("tied_autoencoder", "correct", "tied-weight autoencoder, both uses"),
        _huber_case("huber", "correct", "Huber loss, delta = 1"),
        _gelu_case("gelu_exact", "correct", "exact GELU, Phi(z) + z*phi(z)"),
        _logreg_case("logreg", "correct", "logistic regression from the logits"),
        _sqrt_edge_case("sqrt_edge", "correct",
                        "x/(1 + sqrt(x)) from x = 0.01, where f is NaN 0.01 beside x"),
        _float_mlp_case("float_mlp_1004", "correct",
                        "tanh/softmax MLP, 1,004 parameters, its cost through float()"),
    ]
    # --- lossy but correct --------------------------------------------------------------------
    zl = np.array([-40.0, -35, -30, -20, -10, -3, -1, 0, 1, 3, 8])
    c += [
        _elementwise_case("softplus_naive", "lossy",
                          "softplus as np.log(1 + np.exp(z)), derivative 1/(1 + np.exp(-z)), "
                          "z down to -40", zl,
                          lambda z: np.log(1 + np.exp(z)),
                          lambda z: jnp.logaddexp(0.0, z),
                          lambda z: 1 / (1 + np.exp(-z)), _mp_sigmoid),
        _elementwise_case("tanh_one_minus_t2", "lossy",
                          "tanh' as 1 - np.tanh(z)**2 up to |z| = 20",
                          np.array([-20.0, -19, -10, -3, -1, 0, 0.5, 2, 10, 19, 20]),
                          np.tanh, jnp.tanh, lambda z: 1 - np.tanh(z) ** 2, _mp_sech2),
        _elementwise_case("sigmoid_s_one_minus_s", "lossy",
                          "sigmoid' as s*(1 - s) up to z = 40",
                          np.array([-40.0, -20, -5, -1, 0, 1, 5, 20, 37, 40]),
                          lambda z: 1 / (1 + np.exp(-z)), jax.nn.sigmoid,
                          lambda z: (1 / (1 + np.exp(-z))) * (1 - 1 / (1 + np.exp(-z))),
                          lambda z: _mp_sigmoid(z) * _mp_sigmoid(-z)),
        _elementwise_case("sigmoid_as_tanh_vs_logaddexp", "lossy",
                          "softplus np.logaddexp(0, z), derivative 0.5*(1 + np.tanh(z/2))", zl,
                          lambda z: np.logaddexp(0, z), lambda z: jnp.logaddexp(0.0, z),
                          lambda z: 0.5 * (1 + np.tanh(z / 2)), _mp_sigmoid),
        _notebook_case("notebook_saturated_20_64_10", "lossy",
                       "the notebook's 20-64-10 tanh/sigmoid network, log(1 - A2) cost, "
                       "unit-variance weights, m = 256"),
        _lse_1e4_case("logsumexp_near_1e4", "lossy", "log-sum-exp of inputs near 1e4"),
        _mlp_case("float32_mlp", "lossy", "correct backward pass computed in float32",
                  dtype=np.float32, **_F32),
    ]
    # --- kinks that coincide: two seeds of each family and variant --------------------------
    c += [make(seed, bug) for make, bugs in COINCIDING.items() for bug in bugs for seed in (0, 1)]
    names = [k.name for k in c]
    assert len(names) == len(set(names)), "duplicate case names"
    return c


CASES: list[Case] = _build()


def by_name(name: str) -> Case:
    for k in CASES:
        if k.name == name:
            return k
    raise KeyError(name)
