"""Regression snapshots: refnet's numbers must never drift silently.

``tests/golden/vectors.json`` holds the reference vectors (``refnet vectors``): correctly
rounded values from mpmath, which is pure Python, so they are compared bit for bit.
``tests/golden/refnet-own.json`` holds refnet's own outputs at the same points and its own
network costs, outputs and gradients for the same cases; NumPy's libm
may differ between platforms by an ulp per call, so those are compared within
``OWN_ULPS_BUDGET``.  To accept a deliberate change: ``pytest tests/test_golden.py
--update-golden``, then review the diff of tests/golden/ before committing it.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from refnet import activations as A
from refnet import oracles
from refnet import tolerances as tol
from refnet import vectors as V

GOLDEN = Path(__file__).parent / "golden"
# each of refnet's formulas chains at most ~6 libm calls and roundings; one ulp of platform
# difference per call is the most a correct libm shows
OWN_ULPS_BUDGET = tol.PLATFORM_ULPS


def own_values():
    """refnet's own forward, derivative and second derivative at the vector points."""
    out = {"activations": {}}
    for name, act in A.ACTIVATIONS.items():
        z = V.activation_points(name)
        p = dict(act.params)
        out["activations"][name] = {
            "z": z, "f": act.forward(z, **p), "df": act.derivative(z, **p),
            "d2f": act.second_derivative(z, **p),
        }
    from refnet import network as net

    out["networks"] = {}
    for case in V.network_cases():
        h, o = case["hidden"], case["output"]
        AL, cache = net.forward_propagation(case["X"], case["params"], h, o)
        grads = net.backward_propagation(case["params"], cache, case["X"], case["Y"], h, o)
        out["networks"][case["name"]] = {
            "cost": net.loss(case["params"], case["X"], case["Y"], h, o), "AL": AL, "grads": grads,
        }
    return out


# refnet's own values inside vectors.json (the points where refnet is off by more than an ulp)
# come from NumPy's libm like refnet-own.json, so they are platform-dependent: refnet-own.json
# already holds them within OWN_ULPS_BUDGET, and the bit-for-bit comparison skips this key.
PLATFORM_DEPENDENT = {"refnet_off_by_more_than_1_ulp"}


def gradient_allowances():
    """Per gradient entry of each network case, how far two platforms' backward passes may
    differ: a gradient entry is a sum that can cancel (its rounding is relative to S, the sum of
    magnitudes, not to the result; tolerances.NET_GRAD_ULPS), and BLAS builds sum in different
    orders, so each side is within NET_GRAD_ULPS eps S of the truth and the two within twice
    that; likewise A_L and the cost (tolerances.NET_FORWARD_ULPS).  Keyed by the path in
    refnet-own.json."""
    from refnet import network as net
    from refnet.checking.scales import network_forward_scale, network_gradient_scale

    out = {}
    for case in V.network_cases():
        h, o = case["hidden"], case["output"]
        act = A.ACTIVATIONS[h]
        _, cache = net.forward_propagation(case["X"], case["params"], h, o)
        S = network_gradient_scale(case["params"], cache, case["X"], case["Y"], act.derivative,
                                   second_derivative=act.second_derivative)
        for key, s in S.items():
            path = f"refnet-own.json.networks.{case['name']}.grads.{key}"
            out[path] = 2 * tol.NET_GRAD_ULPS * tol.EPS * np.ravel(s)
        # A_L and the cost are sums carried through the layers too: within NET_FORWARD_ULPS of
        # their rounding size on each platform (checking.scales.network_forward_scale)
        F = network_forward_scale(case["params"], cache, case["X"], case["Y"], act.derivative,
                                  o)
        base = f"refnet-own.json.networks.{case['name']}"
        out[f"{base}.AL"] = 2 * tol.NET_FORWARD_ULPS * tol.EPS * np.ravel(F["AL"])
        out[f"{base}.cost"] = 2 * tol.NET_FORWARD_ULPS * tol.EPS * F["cost"]
    return out


def _diff(path, golden, now, budget, skip=frozenset(), allowances=None):
    """Readable differences between two decoded documents, at most 25 lines; keys in ``skip``
    are not compared; a path in ``allowances`` is compared within those absolute allowances
    instead of ``budget`` ulps."""
    lines = []
    allowances = allowances or {}

    def walk(p, g, n):
        if len(lines) >= 25:
            return
        if isinstance(g, dict) and isinstance(n, dict):
            g = {k: v for k, v in g.items() if k not in skip}
            n = {k: v for k, v in n.items() if k not in skip}
            for k in sorted(set(g) | set(n)):
                if k not in g or k not in n:
                    lines.append(f"{p}.{k}: {'missing now' if k not in n else 'new'}")
                else:
                    walk(f"{p}.{k}", g[k], n[k])
        elif (isinstance(g, list) and isinstance(n, list) and g
              and not isinstance(g[0], (str, dict))):
            ga = np.array(g, dtype=object)
            na = np.array(n, dtype=object)
            if ga.shape != na.shape:
                lines.append(f"{p}: shape {ga.shape} now {na.shape}")
                return
            gf = np.array([float(x) for x in ga.ravel()])
            nf = np.array([float(x) for x in na.ravel()])
            u = oracles.ulps(gf, nf)
            bad = u > budget
            # refnet's own subnormal results (budget > 0; mpmath's stay bit for bit) have fewer
            # than 53 bits and are held to tol.SUBNORMAL_ABS from the truth (silu(-745.1) =
            # z e^z with e^z one unit of 2**-1074: a libm that rounds that e^z to 0 or 2 units
            # moves the result by 745 units), so two machines agree within twice that
            if budget > 0:
                with np.errstate(invalid="ignore"):  # inf - inf: compared in ulps above
                    tiny = (np.abs(gf) < tol.TINY) & (np.abs(nf) < tol.TINY)
                    bad &= ~(tiny & (np.abs(gf - nf) <= 2 * tol.SUBNORMAL_ABS))
            if p in allowances:
                bad = np.abs(gf - nf) > allowances[p]
            for i in np.flatnonzero(bad)[:5]:
                lines.append(f"{p}[{i}]: golden {float(gf[i])!r}, now {float(nf[i])!r} "
                             f"({u[i]:.0f} ulps)")
        elif isinstance(g, float) and isinstance(n, float):
            if (abs(g - n) > allowances[p]) if p in allowances else (oracles.ulps(g, n) > budget):
                lines.append(f"{p}: golden {g!r}, now {n!r} ({oracles.ulps(g, n):.0f} ulps)")
        elif g != n:
            lines.append(f"{p}: golden {g!r}, now {n!r}")

    walk(path, golden, now)
    return lines


def _merged(p, g, n, budget, skip, allowances):
    """The document ``n``, keeping the golden ``g``'s value wherever it still matches (and its
    platform-dependent ``skip`` keys): an update rewrites what changed or is new, and leaves the
    last bits this machine computes differently alone."""
    if isinstance(g, dict) and isinstance(n, dict):
        return {k: (g[k] if k in skip else _merged(f"{p}.{k}", g[k], v, budget, skip, allowances))
                if k in g else v for k, v in n.items()}
    if isinstance(g, list) and isinstance(n, list) and len(g) == len(n) and n and \
            isinstance(n[0], dict):
        return [_merged(f"{p}[{i}]", a, b, budget, skip, allowances)
                for i, (a, b) in enumerate(zip(g, n))]
    return g if not _diff(p, g, n, budget, skip, allowances) else n


def _check(request, filename, doc, budget, skip=frozenset(), allowances=None):
    path = GOLDEN / filename
    text = V.to_json(doc) + "\n"
    if request.config.getoption("--update-golden"):
        if path.exists():  # only what changed: a review sees the new entries, not noise
            text = V.to_json(_merged(filename, json.loads(path.read_text()), json.loads(text),
                                     budget, skip, allowances or {})) + "\n"
        path.write_text(text)
        return
    assert path.exists(), f"{path} is missing: run pytest --update-golden"
    golden = json.loads(path.read_text())
    now = json.loads(text)
    lines = _diff(filename, golden, now, budget, skip, allowances)
    assert not lines, "golden values drifted:\n" + "\n".join(lines)


def test_reference_vectors_match_golden_bit_for_bit(request):
    _check(request, "vectors.json", V.build(), budget=0, skip=PLATFORM_DEPENDENT)


def test_refnets_own_values_match_golden(request):
    _check(request, "refnet-own.json", own_values(), budget=OWN_ULPS_BUDGET,
           allowances=gradient_allowances())


def test_the_diff_is_readable():
    g = {"a": {"df": [1.0, 2.0]}}
    n = {"a": {"df": [1.0, 2.5]}}
    lines = _diff("x", g, n, 0)
    assert lines and "x.a.df[1]: golden 2.0, now 2.5" in lines[0]


def test_vectors_schema_and_round_trip(tmp_path):
    doc = V.build(["relu"])
    text = V.to_json(doc)
    back = V.from_json(text)
    a = back["activations"]["relu"]
    assert np.array_equal(a["df"], doc["activations"]["relu"]["df"])
    bad = json.loads(text)
    bad["version"] = 2
    with pytest.raises(ValueError, match="version"):
        V.validate(bad)
    bad = json.loads(text)
    bad["activations"]["relu"]["df"].pop()
    with pytest.raises(ValueError, match="relu.df"):
        V.validate(bad)


def test_vector_values_are_mpmaths_not_refnets():
    a = V.activation_vectors("sigmoid")
    z = a["z"]
    assert np.array_equal(a["df"], oracles.mp_value("sigmoid", z, 1))
    # refnet's own misses beyond 1 ulp are listed, each with its size
    for entry in a["refnet_off_by_more_than_1_ulp"]:
        assert entry["ulps"] > 1


def test_points_cover_the_documented_set():
    z = V.activation_points("relu")
    for v in (0.0, 5e-324, -5e-324, 1.7976931348623157e308, -1.7976931348623157e308, 36.7):
        assert v in z
    assert np.nextafter(0.0, 1) in z and np.nextafter(0.0, -1) in z


def test_assert_gradients_match_passes_refnet_and_fails_planted_bugs():
    from refnet import network as net
    from refnet.testing import assert_gradients_match, network_case_names

    def refnets(hidden, output):
        def backward(p, X, Y):
            _, cache = net.forward_propagation(X, p, hidden, output)
            return net.backward_propagation(p, cache, X, Y, hidden, output)
        return backward

    names = network_case_names()
    assert "notebook" in names and "relu-softmax" in names
    assert_gradients_match(refnets("tanh", "sigmoid"), "notebook")
    assert_gradients_match(refnets("relu", "softmax"), "relu-softmax")
    assert_gradients_match(refnets("gelu", "sigmoid"), "gelu-sigmoid")

    def y_size(p, X, Y):  # the notebook's m = Y.size: wrong with 3 outputs
        _, cache = net.forward_propagation(X, p, "relu", "softmax")
        return net.backward_propagation(p, cache, X, Y, "relu", "softmax", m=Y.size)

    with pytest.raises(AssertionError, match="relu-softmax") as info:
        assert_gradients_match(y_size, "relu-softmax")
    assert "dW1" in str(info.value)
    # refnet's own backward signature, passed as it is: the message says what is called
    with pytest.raises(TypeError, match=r"calls backward\(parameters, X, Y\)"):
        assert_gradients_match(net.backward_propagation, "notebook")

    def one_wrong(p, X, Y):
        g = refnets("tanh", "sigmoid")(p, X, Y)
        g["db1"] = g["db1"].copy()
        g["db1"][2, 0] *= 1 + 1e-9
        return g

    with pytest.raises(AssertionError, match=r"db1\[2, 0\]"):
        assert_gradients_match(one_wrong, "notebook")
    with pytest.raises(AssertionError, match="keys differ"):
        assert_gradients_match(lambda p, X, Y: {"dW1": p["W1"]}, "notebook")
    with pytest.raises(ValueError, match="unknown network case"):
        assert_gradients_match(refnets("tanh", "sigmoid"), "nope")


def test_a_drift_beyond_the_budget_is_reported():
    now = json.loads(V.to_json(own_values()))
    # compare against this platform's own values, so only the planted drifts can show
    golden = json.loads(json.dumps(now))
    allow = gradient_allowances()
    now["activations"]["tanh"]["df"][40] *= 1 + 1e-14  # ~45 ulps: beyond the 6-ulp budget
    lines = _diff("refnet-own.json", golden, now, OWN_ULPS_BUDGET, allowances=allow)
    assert len(lines) == 1 and "activations.tanh.df[40]" in lines[0]
    now["activations"]["tanh"]["df"][40] = golden["activations"]["tanh"]["df"][40]
    now["networks"]["notebook"]["grads"]["dW1"][0][0] *= 1 + 4e-16  # 2 ulps here: within it
    assert _diff("refnet-own.json", golden, now, OWN_ULPS_BUDGET, allowances=allow) == []
    # a gradient entry off by 1e-6 of its value is far beyond 128 eps S
    now["networks"]["notebook"]["grads"]["dW1"][0][0] *= 1 + 1e-6
    lines = _diff("refnet-own.json", golden, now, OWN_ULPS_BUDGET, allowances=allow)
    assert len(lines) == 1 and "notebook.grads.dW1[0]" in lines[0]
    now["networks"]["notebook"]["grads"]["dW1"][0][0] = golden["networks"]["notebook"]["grads"][
        "dW1"][0][0]
    # A_L and the cost: a few ulps pass, 1e-9 relative (far beyond 128 eps of their rounding
    # size, at most 4e-12 of the value here) is reported
    case = now["networks"]["relu-softmax"]
    case["AL"][1][2] *= 1 + 8e-16
    case["cost"] *= 1 + 8e-16
    assert _diff("refnet-own.json", golden, now, OWN_ULPS_BUDGET, allowances=allow) == []
    case["AL"][1][2] *= 1 + 1e-9
    case["cost"] *= 1 + 1e-9
    lines = _diff("refnet-own.json", golden, now, OWN_ULPS_BUDGET, allowances=allow)
    assert len(lines) == 2 and "relu-softmax.AL[" in lines[0] and "relu-softmax.cost" in lines[1]
