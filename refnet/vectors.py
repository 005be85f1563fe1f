"""Reference vectors: canonical values for other implementations to test against.

``refnet vectors [NAME ...] --out FILE`` (:mod:`refnet.cli.vectors`) writes, for each activation, a
fixed and documented set of points with the correctly rounded float64 values of f, f′ and f″
(mpmath, not refnet), and, for named network cases, the inputs, parameters, cost and gradients,
computed by a third, independent implementation of the forward and backward pass in mpmath at 160
bits.  The schema is in ``docs/vectors.md``.

Floats are written with Python's ``repr``, the shortest decimal string that reads back as the
same float64 (at most 17 significant digits), so they round-trip exactly; ±infinity and NaN,
where they occur, are written as the strings ``"inf"``, ``"-inf"`` and ``"nan"``.
"""

from __future__ import annotations

import json

import numpy as np

from refnet import activations as act_mod
from refnet import oracles
from refnet._json import dumps
from refnet.mp import network as mp_network
from refnet.oracles import mpmath as mp_oracle

FORMAT = "refnet-vectors"
VERSION = 1
TINY = float(np.finfo(np.float64).tiny)
HUGE = float(np.finfo(np.float64).max)

# where float64 functions saturate: σ rounds to 1 past 36.7, tanh to ±1 past 19.1, e^z
# underflows below -708.4 (subnormal) and -745.1 (zero), overflows past 709.8
SATURATION = (18.7, 19.1, 36.7, 37.0, 708.4, 709.8, 745.1)
ORDINARY = tuple(np.round(np.arange(-6.0, 6.01, 0.5), 2)) + (0.1, -0.1, 1e-3, -1e-3)
TINIES = (5e-324, 1e-320, 1e-310, TINY, 1e-300, 1e-100, 1e-20, 1e-8)
HUGES = (1e4, 1e10, 1e100, 1e300, 1.7e308, HUGE)


def activation_points(name: str) -> np.ndarray:
    """The fixed points of activation ``name``, sorted: 0; ± tiny, subnormal and small values;
    ordinary values in [-6, 6]; each kink with its two floating-point neighbours; the
    saturation boundaries; and huge values up to the largest float64, all with both signs."""
    act = act_mod.ACTIVATIONS[name]
    mags = TINIES + SATURATION + HUGES
    pts = [0.0, *ORDINARY, *mags, *(-m for m in mags)]
    for k in act.kinks:
        pts += [k, float(np.nextafter(k, -np.inf)), float(np.nextafter(k, np.inf))]
    return np.unique(np.asarray(pts, dtype=np.float64))


def activation_vectors(name: str) -> dict:
    """Points, correctly rounded f, f′, f″, and where refnet itself is off by more than 1 ulp."""
    act = act_mod.ACTIVATIONS[name]
    p = dict(act.params)
    z = activation_points(name)
    ref = [oracles.mp_value(name, z, k, **p) for k in range(3)]
    mine = [act.forward(z, **p), act.derivative(z, **p), act.second_derivative(z, **p)]
    off = []
    for label, r, v in zip(("f", "df", "d2f"), ref, mine):
        u = oracles.ulps(v, r)
        for i in np.flatnonzero(u > 1):
            off.append({"z": float(z[i]), "quantity": label, "refnet": float(v[i]),
                        "ulps": float(u[i])})
    return {"params": p, "kinks": list(act.kinks), "z": z, "f": ref[0], "df": ref[1],
            "d2f": ref[2], "refnet_off_by_more_than_1_ulp": off}


# ---------------------------------------------------------------------------------------------
# networks: an independent forward and backward pass in mpmath (refnet.mp.network)


def _to_array(mat) -> np.ndarray:
    """An mpmath matrix as a float64 array, each element correctly rounded."""
    return np.array([[mp_oracle._to_float(mat[r, c]) for c in range(mat.cols)]
                     for r in range(mat.rows)])


def network_reference(X, Y, params, hidden="tanh", output="sigmoid"):
    """Correctly rounded cost and gradients of a network case, from :mod:`refnet.mp.network`
    at 160 bits (the hidden activation at its registry default parameters)."""
    import mpmath

    hp = dict(act_mod.ACTIVATIONS[hidden].params)
    with mpmath.workprec(mp_oracle._MP_PREC):
        cost, grads = mp_network.cost_and_gradients(np.asarray(X, float), np.asarray(Y, float),
                                                    params, hidden, output, **hp)
        return mp_oracle._to_float(cost), {k: _to_array(v) for k, v in grads.items()}


def _notebook_case():
    """The notebook's X, Y (seed 1) and initial parameters (seed 2, scale 0.01)."""
    rng = np.random.RandomState(1)
    X = rng.randn(2, 3)
    Y = (rng.randn(1, 3) > 0).astype(np.float64)
    rng = np.random.RandomState(2)
    params = {"W1": rng.randn(4, 2) * 0.01, "b1": np.zeros((4, 1)),
              "W2": rng.randn(1, 4) * 0.01, "b2": np.zeros((1, 1))}
    return {"name": "notebook", "hidden": "tanh", "output": "sigmoid", "X": X, "Y": Y,
            "params": params}


def _random_case(hidden, output, seed):
    """A seeded deep case: 3 inputs, hidden widths 5 and 4, 3 outputs, 4 samples, weights of
    scale 0.7 (pre-activations of order 1, some beyond the kinks of every function)."""
    rng = np.random.default_rng(seed)
    dims = (3, 5, 4, 3)
    m = 4
    X = rng.normal(0, 1.5, (dims[0], m))
    if output == "sigmoid":
        Y = (rng.random((dims[-1], m)) < 0.5).astype(np.float64)
    else:
        Y = np.eye(dims[-1])[:, rng.integers(0, dims[-1], m)]
    params = {}
    for i in range(1, len(dims)):
        params[f"W{i}"] = rng.normal(0, 0.7, (dims[i], dims[i - 1]))
        params[f"b{i}"] = rng.normal(0, 0.3, (dims[i], 1))
    return {"name": f"{hidden}-{output}", "hidden": hidden, "output": output, "X": X, "Y": Y,
            "params": params}


def network_cases(names=None):
    """The named network cases (without their reference values): the notebook's, then one
    seeded deep case per hidden activation and output."""
    hidden = list(act_mod.ACTIVATIONS) if names is None else list(names)
    cases = [_notebook_case()] if names is None or "tanh" in hidden else []
    for i, h in enumerate(hidden):
        for j, out in enumerate(("sigmoid", "softmax")):
            cases.append(_random_case(h, out, seed=1000 + 2 * i + j))
    return cases


def network_case(name: str) -> dict:
    """One named case with its reference cost and gradients."""
    for case in network_cases():
        if case["name"] == name:
            cost, grads = network_reference(case["X"], case["Y"], case["params"], case["hidden"],
                                            case["output"])
            return dict(case, cost=cost, grads=grads)
    known = [c["name"] for c in network_cases()]
    raise ValueError(f"case: unknown network case {name!r}; known: {known}")


def build(names=None, networks=True, *, progress=None) -> dict:
    """The whole document, as Python objects with NumPy arrays.

    ``progress``, if given, wraps the list of steps (one per activation and per network case)
    as ``progress(steps, total=..., desc=...)`` and yields them back, e.g. ``tqdm``."""
    names = list(act_mod.ACTIVATIONS) if not names else list(names)
    unknown = [n for n in names if n not in act_mod.ACTIVATIONS]
    if unknown:
        raise ValueError(f"names: unknown activation(s) {unknown}")
    steps = [("activation", n) for n in names]
    if networks:
        cases = network_cases(names if len(names) < len(act_mod.ACTIVATIONS) else None)
        steps += [("network", case) for case in cases]
    if progress is not None:
        steps = progress(steps, total=len(steps), desc="vectors")
    doc = {"format": FORMAT, "version": VERSION, "activations": {}, "networks": []}
    for kind, what in steps:
        if kind == "activation":
            doc["activations"][what] = activation_vectors(what)
        else:
            cost, grads = network_reference(what["X"], what["Y"], what["params"], what["hidden"],
                                            what["output"])
            doc["networks"].append(dict(what, cost=cost, grads=grads))
    return doc


# ---------------------------------------------------------------------------------------------
# encoding


def _decode_float(x):
    if isinstance(x, str) and x in ("inf", "-inf", "nan"):
        return float(x)
    return x


def to_json(doc) -> str:
    return dumps(doc, indent=1)


def from_json(text: str) -> dict:
    """Read a vectors document back: lists of numbers become float64 arrays."""
    raw = json.loads(text)
    validate(raw)

    def arr(v):
        return np.array(_decode_nested(v), dtype=np.float64)

    def _decode_nested(v):
        return [_decode_nested(x) for x in v] if isinstance(v, list) else _decode_float(v)

    out = {"format": raw["format"], "version": raw["version"], "activations": {}, "networks": []}
    for name, a in raw["activations"].items():
        out["activations"][name] = dict(a, z=arr(a["z"]), f=arr(a["f"]), df=arr(a["df"]),
                                        d2f=arr(a["d2f"]))
    for n in raw["networks"]:
        out["networks"].append(dict(
            n, X=arr(n["X"]), Y=arr(n["Y"]), cost=_decode_float(n["cost"]),
            params={k: arr(v) for k, v in n["params"].items()},
            grads={k: arr(v) for k, v in n["grads"].items()},
        ))
    return out


def validate(raw: dict) -> None:
    """Check a decoded JSON document against the schema of ``docs/vectors.md``; raise
    ValueError naming the first problem."""
    def need(cond, msg):
        if not cond:
            raise ValueError(f"vectors: {msg}")

    need(isinstance(raw, dict), "the document must be an object")
    need(raw.get("format") == FORMAT, f"format must be {FORMAT!r}, got {raw.get('format')!r}")
    need(raw.get("version") == VERSION, f"version must be {VERSION}, got {raw.get('version')!r}")
    need(isinstance(raw.get("activations"), dict), "activations must be an object")
    need(isinstance(raw.get("networks"), list), "networks must be a list")
    num = lambda v: isinstance(v, (int, float)) or v in ("inf", "-inf", "nan")
    for name, a in raw["activations"].items():
        for key in ("params", "z", "f", "df", "d2f"):
            need(key in a, f"activations.{name} lacks {key!r}")
        n = len(a["z"])
        for key in ("z", "f", "df", "d2f"):
            need(isinstance(a[key], list) and len(a[key]) == n and all(map(num, a[key])),
                 f"activations.{name}.{key} must be a list of {n} numbers")
    for i, net in enumerate(raw["networks"]):
        for key in ("name", "hidden", "output", "X", "Y", "params", "cost", "grads"):
            need(key in net, f"networks[{i}] lacks {key!r}")
        need(net["output"] in ("sigmoid", "softmax"), f"networks[{i}].output is {net['output']!r}")
        need(num(net["cost"]), f"networks[{i}].cost must be a number")
        need(set(net["grads"]) == {"d" + k for k in net["params"]},
             f"networks[{i}].grads must have a dK for each parameter K")


def to_npz(doc, path) -> None:
    """Write the document as ``.npz`` to ``path`` (a file name, to which NumPy adds ``.npz`` if
    it lacks it, or an open binary file, written as it is): arrays under
    ``activations/NAME/KEY`` and ``networks/CASE/KEY`` (parameters and gradients as
    ``.../params/W1``), the rest as JSON in ``meta``."""
    arrays = {}
    meta = {"format": FORMAT, "version": VERSION, "activations": {}, "networks": []}
    for name, a in doc["activations"].items():
        for key in ("z", "f", "df", "d2f"):
            arrays[f"activations/{name}/{key}"] = np.asarray(a[key])
        meta["activations"][name] = {
            "params": a["params"], "kinks": a["kinks"],
            "refnet_off_by_more_than_1_ulp": a["refnet_off_by_more_than_1_ulp"],
        }
    for n in doc["networks"]:
        base = f"networks/{n['name']}"
        arrays[f"{base}/X"] = n["X"]
        arrays[f"{base}/Y"] = n["Y"]
        arrays[f"{base}/cost"] = np.float64(n["cost"])
        for k, v in n["params"].items():
            arrays[f"{base}/params/{k}"] = v
        for k, v in n["grads"].items():
            arrays[f"{base}/grads/{k}"] = v
        meta["networks"].append({"name": n["name"], "hidden": n["hidden"], "output": n["output"]})
    arrays["meta"] = np.array(dumps(meta))
    np.savez(path, **arrays)
