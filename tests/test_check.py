"""refnet.check: no false alarms, no misses, kinks, fallbacks, oracles, the report."""

import json
from typing import NamedTuple

import numpy as np
import pytest

from refnet import activations as A
from refnet import tolerances as tol
from refnet.check import check_derivative, check_gradient, check_jacobian
from refnet.examples import mnist_sized_network, notebook_style_network
from refnet.testing import assert_derivative_matches, assert_gradients_ok

# --- the saturated 20-64-10 network, written the way the notebook writes its cost ------------


def saturated_net(seed=0, n_x=20, n_h=64, n_y=10, m=256):
    _, _, P, cost, grad = notebook_style_network(seed, n_x, n_h, n_y, m)
    return P, cost, grad


@pytest.fixture(scope="module")
def big():
    return saturated_net(0)


def test_saturated_network_passes(big):
    # the notebook's log(1 - A) rounds at 1e-9 of the cost: where the complex step (itself
    # cancelling in log(1 - A)) and differences cannot resolve 1e-7 of an element, it stays
    # unresolved and the headline says INCONCLUSIVE, never MISMATCH
    P, cost, grad = big
    r = check_gradient(cost, grad, P)
    assert r.counts["mismatch"] == 0, str(r)
    assert r.verdict in ("OK", "INCONCLUSIVE")
    assert r.counts["verified"] >= 0.95 * r.size
    assert all("is wider than the" in e["reason"] for e in r.unresolved)
    assert r.noise_floor > 0
    # (that accept_inconclusive=True makes such a report ok is test_inconclusive_is_not_ok…'s)


def test_saturated_network_wrong_element_and_scaled_block_caught(big):
    # two planted bugs in one gradient, one check (each element is judged on its own, and a
    # check of this network takes seconds): one W1 element 3 % off, all of W2 1 % off
    P, cost, grad = big

    def bad(p):
        g = grad(p)
        g["W1"] = g["W1"].copy()
        g["W1"][3, 4] *= 1.03
        g["W2"] = 1.01 * g["W2"]
        return g

    r = check_gradient(cost, bad, P)
    assert not r.ok
    mismatches = r.elements("mismatch")
    assert [e["index"] for e in mismatches if e["key"] == "W1"] == [[3, 4]]
    assert sum(e["key"] == "W2" for e in mismatches) > 0.5 * P["W2"].size
    assert {e["key"] for e in mismatches} == {"W1", "W2"}


def test_saturated_network_without_complex_step():
    # float() of a complex value only warns: the probe must see it and fall back to differences
    P, cost, grad = saturated_net(1, n_h=16, m=64)
    r = check_gradient(lambda p: float(cost(p)), grad, P)
    assert r.complex_safe is False and "ComplexWarning" in r.complex_reason
    assert r.counts["mismatch"] == 0 and r.counts["unresolved"] <= 0.05 * r.size, str(r)
    r = check_gradient(lambda p: float(cost(p)), lambda p: {**grad(p), "W2": 1.01 * grad(p)["W2"]},
                       P)
    assert r.counts["mismatch"] > 0.5 * P["W2"].size


# --- no misses -------------------------------------------------------------------------------


def smooth(x):
    return np.sum(np.sin(x) * np.exp(0.3 * x)) + 0.5 * np.sum(x * x)


def smooth_grad(x):
    return (np.cos(x) + 0.3 * np.sin(x)) * np.exp(0.3 * x) + x


def test_relative_bug_of_1e_6_caught():
    x = np.random.default_rng(1).standard_normal(50)
    assert check_gradient(smooth, smooth_grad, x).ok
    r = check_gradient(smooth, lambda x: smooth_grad(x) * (1 + 1e-6), x)
    assert not r.ok and r.counts["mismatch"] == 50
    # and without the complex step, by differences alone
    r = check_gradient(smooth, lambda x: smooth_grad(x) * (1 + 1e-6), x, complex_step=False)
    assert not r.ok and r.counts["mismatch"] == 50


def test_one_wrong_element_among_5000():
    x = np.random.default_rng(2).standard_normal(5000)
    r = check_gradient(smooth, smooth_grad, x)
    assert r.ok and r.counts["verified"] == 5000

    def bad(x):
        g = smooth_grad(x)
        g[3217] *= 1 + 1e-5
        return g

    r = check_gradient(smooth, bad, x)
    assert not r.ok and r.counts["mismatch"] == 1
    assert r.mismatches[0]["index"] == [3217]


def test_derivative_bug_of_1e_6_caught_elementwise():
    z = np.linspace(-8, 8, 4001)
    assert check_derivative("tanh", A.tanh_derivative, z).ok
    mutant = lambda z: A.tanh_derivative(z) * (1 + 1e-6)
    # relative to each element (atol=0): caught everywhere
    r = check_derivative("tanh", mutant, z, atol=0)
    assert r.counts["mismatch"] >= 0.99 * z.size
    # by default: caught wherever 1e-6 of the element is above the gradient's rounding scale;
    # below it, in the tails, lossy (or verified where the oracle's bar cannot tell either)
    r = check_derivative("tanh", mutant, z)
    off = 1e-6 * np.abs(A.tanh_derivative(z))
    status = np.array([e["status"] for e in r.elements()])
    assert np.all(status[off > 2 * r.lossy_scale] == "mismatch")
    assert set(status[off < 0.5 * r.lossy_scale]) <= {"lossy", "verified"}
    assert "lossy" in set(status)
    assert r.verdict == "MISMATCH"
    assert check_derivative("tanh", mutant, z, strict=True).counts["lossy"] == 0


def test_huge_elements_do_not_hide_a_bug_elsewhere():
    # elements are independent: one at 1e300 (where f is 1e300 and its rounding 1e284) must not
    # widen the bar of any other; gelu's tail (-7.8, -30) varies on a scale 1/|z|, far below the
    # first step |z| 2**-6, and is caught from smaller steps, with or without mpmath
    z = np.array([2.0, -1.79, 0.79, -7.8, -30.0, 1e300, -1e300, 1e154, 5e-324])
    for mp in ("auto", False):
        assert check_derivative("gelu", A.gelu_derivative, z, mpmath=mp).ok
        r = check_derivative("gelu", lambda z: A.gelu_derivative(z) * (1 + 1e-6), z, mpmath=mp,
                             atol=0)
        assert r.counts["mismatch"] == 8, str(r)  # gelu'(-1e300) is 0: the mutant is correct
        # by default the tail elements (-7.8: 1e-13, -30, 5e-324) are below the gradient's
        # rounding scale: lossy or verified, never a mismatch
        r = check_derivative("gelu", lambda z: A.gelu_derivative(z) * (1 + 1e-6), z, mpmath=mp)
        assert {e["index"][0] for e in r.mismatches} == {0, 1, 2, 5, 7, 8}, str(r)
    # in a gradient the noise of f is shared (it is one number), but a fast-varying coordinate's
    # curvature must not pass for noise: the well-scaled coordinates are all caught
    x = np.array([2.0, -1.79, 0.79, -7.8, -6.0, 0.3])

    def f(x):
        return float(np.sum(A.gelu(x)))

    assert check_gradient(f, A.gelu_derivative, x).ok
    r = check_gradient(f, lambda x: A.gelu_derivative(x) * (1 + 1e-6), x, atol=0)
    assert r.counts["verified"] == 0
    assert {tuple(e["index"]) for e in r.mismatches} == {(0,), (1,), (2,), (5,)}
    # by default the two tail elements (1e-13 and 4e-8 of a gradient of scale 1) agree to the
    # gradient's rounding scale: a 1e-6 error there is below it
    r = check_gradient(f, lambda x: A.gelu_derivative(x) * (1 + 1e-6), x)
    assert {tuple(e["index"]) for e in r.mismatches} == {(0,), (1,), (2,), (5,)}
    assert all(e["index"][0] in (3, 4) for e in r.elements("verified"))


# --- kinks -----------------------------------------------------------------------------------


def test_relu_kink_judged_one_sided():
    z = np.array([-1.0, -1e-9, 0.0, 1e-9, 1e-300, 2.0])
    r = check_derivative("relu", A.relu_derivative, z)
    assert r.ok, str(r)
    assert r.counts["subgradient"] == 1 and r.subgradients[0]["index"] == [2]
    assert "equals a one-sided derivative" in r.subgradients[0]["reason"]
    # a value outside both one-sided derivatives at the kink is a mismatch
    r = check_derivative("relu", lambda z: np.where(z > 0, 1.0, np.where(z == 0, 2.0, 0.0)), z)
    assert not r.ok and r.mismatches[0]["index"] == [2]
    # beside the kink the stencil stays on its side: a wrong value there is caught
    r = check_derivative("relu", lambda z: np.where(z > 0, 1.0, np.where(z < -1e-8, 0.0, 0.3)), z)
    assert not r.ok and r.mismatches[0]["index"] == [1]


def test_unknown_kink_detected_and_subgradient_accepted():
    def f(z):  # |z - 0.25| written with np.abs: not complex-safe, kink unknown to refnet
        return 2.0 * np.abs(z - 0.25) + z

    def df(z):
        return 2.0 * np.sign(z - 0.25) + 1.0  # np.sign gives 0 at the kink: a subgradient

    z = np.array([-1.0, 0.0, 0.25, 0.5, 3.0])
    r = check_derivative(f, df, z)
    assert r.ok, str(r)
    assert r.complex_safe is False
    assert r.counts["subgradient"] == 1 and r.subgradients[0]["index"] == [2]
    assert "between the one-sided" in r.subgradients[0]["reason"]
    r = check_derivative(f, lambda z: df(z) + 5.0 * (z == 0.25), z)
    assert not r.ok and "outside" in r.mismatches[0]["reason"]


def test_unknown_kink_in_a_gradient():
    def f(x):
        return float(np.sum(np.maximum(x, 0.0) ** 1 * 3.0) + np.sum(x * x))

    def g(x):
        return 3.0 * (x > 0) + 2 * x

    x = np.array([0.0, 1.0, -2.0])
    r = check_gradient(f, g, x)
    assert r.ok and r.counts["subgradient"] == 1, str(r)


# --- oracles ---------------------------------------------------------------------------------


def test_complex_step_used_when_safe_and_not_when_abs():
    x = np.random.default_rng(3).standard_normal(20)
    r = check_gradient(smooth, smooth_grad, x)
    assert r.complex_safe and "complex step" in r.oracles

    def f_abs(x):  # runs on complex input, but abs makes the imaginary part wrong
        return np.sum(np.abs(x) * x)

    def g_abs(x):
        return 2 * np.abs(x)

    r = check_gradient(f_abs, g_abs, x)
    assert r.complex_safe is False and "complex step" not in r.oracles
    assert r.ok, str(r)
    assert not check_gradient(f_abs, lambda x: np.abs(x), x).ok


def test_twin_oracle_used():
    import jax.numpy as jnp

    def twin(x):
        return jnp.sum(jnp.sin(x) * jnp.exp(0.3 * x)) + 0.5 * jnp.sum(x * x)

    x = np.random.default_rng(4).standard_normal(30)
    r = check_gradient(smooth, smooth_grad, x, twin=twin, complex_step=False)
    assert r.ok and r.oracles["twin"]["elements"] == 30
    assert r.oracles["twin"]["max_rel"] < 1e-13
    assert "richardson" not in r.oracles  # the twin accepted every element at once
    r = check_gradient(smooth, lambda x: smooth_grad(x) * (1 + 1e-6), x, twin=twin)
    assert not r.ok


def test_where_the_twin_accepts_f_is_not_evaluated_per_element():
    import jax.numpy as jnp

    def twin(x):
        return jnp.sum(jnp.sin(x) * jnp.exp(0.3 * x)) + 0.5 * jnp.sum(x * x)

    calls = []

    def f(x):
        calls.append(1)
        return smooth(x)

    x = np.random.default_rng(4).standard_normal(300)
    assert check_gradient(f, smooth_grad, x, twin=twin).ok
    assert len(calls) < 30, len(calls)  # the probes of f, none per element
    # one element wrong: that element alone goes to the complex step and Richardson, which
    # disagree with it as the twin does (the noise floor's line, 65 calls, and the tableaux of
    # that one element: fewer calls than the 300 coordinates)
    wrong = lambda x: smooth_grad(x) + np.where(np.arange(x.size) == 7, 1e-5, 0.0)
    calls.clear()
    r = check_gradient(f, wrong, x, twin=twin)
    assert [e["name"] for e in r.mismatches] == ["[7]"]
    assert r.oracles["complex step"]["elements"] == 1 and len(calls) < 200, len(calls)


def test_mpmath_oracle_on_request():
    z = np.array([-40.0, -3.0, 0.5, 20.0, 700.0])
    r = check_derivative("sigmoid", A.sigmoid_derivative, z, mpmath=True)
    assert r.ok and r.oracles["mpmath"]["max_rel"] < 1e-15


def test_softmax_jacobian():
    z = np.random.default_rng(5).standard_normal(6)
    r = check_jacobian(A.softmax, lambda z: A.softmax_jacobian(A.softmax(z)), z)
    assert r.ok and r.size == 36, str(r)
    r = check_jacobian(A.softmax, lambda z: np.diag(A.softmax(z)), z)  # no outer product
    assert not r.ok and r.counts["mismatch"] >= 30


# --- bad input never raises ------------------------------------------------------------------


@pytest.mark.parametrize("grad, words", [
    (lambda x: np.zeros(3), "shape"),
    (lambda x: np.full(x.shape, np.nan), "not finite"),
    (lambda x: 1 / 0, "ZeroDivisionError"),
])
def test_bad_gradient_gives_a_report(grad, words):
    r = check_gradient(smooth, grad, np.ones(4))
    assert not r.ok and words in r.error and words in str(r)


def test_nan_function_gives_a_report():
    r = check_gradient(lambda x: np.nan * np.sum(x), smooth_grad, np.ones(4))
    assert not r.ok and "not finite" in r.error


# --- the report ------------------------------------------------------------------------------


def test_report_table_dict_and_assert():
    x = np.random.default_rng(6).standard_normal((3, 4))
    r = check_gradient(smooth, lambda x: smooth_grad(x) * 1.001, x)
    text = str(r)
    assert "MISMATCH" in text and "worst element" in text and "richardson" in text
    d = json.loads(json.dumps(r.to_dict()))
    assert d["ok"] is False and d["counts"]["mismatch"] == 12
    assert set(d["worst"]["oracles"]) >= {"complex step", "richardson"}
    with pytest.raises(AssertionError, match="worst element"):
        r.assert_ok()
    with pytest.raises(AssertionError, match="MISMATCH"):
        assert_gradients_ok(smooth, lambda x: smooth_grad(x) * 1.001, x)
    assert_gradients_ok(smooth, smooth_grad, x)


def test_assert_derivative_matches():
    for name, act in A.ACTIVATIONS.items():
        assert_derivative_matches(name, act.derivative)
    with pytest.raises(AssertionError, match="ulps"):  # the notebook's dsig(s) in the tails
        assert_derivative_matches("sigmoid", lambda z: A.sigmoid(z) * (1 - A.sigmoid(z)))
    # a subnormal value is held to SUBNORMAL_ABS absolute (silu' at -745 is 320 units off and
    # passes): one off by more is still caught, with the absolute bound in the table
    with pytest.raises(AssertionError, match="abs <= "):
        assert_derivative_matches("silu", lambda z: np.where(
            z == -745.1, A.silu_derivative(z) + 8 * tol.SUBNORMAL_ABS, A.silu_derivative(z)))
    with pytest.raises(AssertionError, match="OUTSIDE"):
        assert_derivative_matches("relu", lambda z: np.where(z > 0, 1.0, np.where(z == 0, 3.0,
                                                                                   0.0)))


# --- the sweep: many correct examples, zero mismatches -----------------------------------------
# An example is one checked element: every element of a vectorised check_derivative call and
# every coordinate of a check_gradient call counts once.


def sweep_points(rng, n):
    tiny = np.finfo(np.float64).tiny
    mags = np.concatenate([
        rng.standard_normal(n // 4) * 3,  # ordinary
        10.0 ** rng.uniform(-320, -1, n // 4),  # tiny and subnormal
        10.0 ** rng.uniform(0, 300, n // 4),  # large to huge
        rng.choice([1e-300, tiny, 5e-324], n // 8) * rng.integers(1, 100, n // 8),  # near kinks
    ])
    signs = rng.choice([-1.0, 1.0], mags.size)
    z = np.concatenate([mags * signs, [0.0, -0.0, 5e-324, -5e-324, 36.7, -36.7, 19.1, 800.0]])
    return z


def mutant_truth(act, z):
    """Where the derivative x (1 + 1e-6) must be caught, and where it changes nothing.

    ``must``: off the kinks, the mutant moves the value by more than 3 SUBNORMAL_ABS.  A
    subnormal derivative is held only to SUBNORMAL_ABS absolute (tolerances), the checker's band
    there is mpmath's bar plus CHECK_ATOL (SUBNORMAL_ABS each), and a correct value may itself sit
    SUBNORMAL_ABS from mpmath's, so a smaller move may or may not be seen: it counts neither way,
    like a point exactly on a kink (judged against one-sided tableaux, whose bars are wider than
    1e-6).  ``same``: off the kinks, the mutant is the correct value (0, or a subnormal too small
    for 1e-6 of it to round to a unit): flagging it would be a false alarm.
    """
    d = act.derivative(z)
    delta = np.abs(d * (1 + 1e-6) - d)
    off = ~np.isin(z, act.kinks)
    return off & (delta > 3 * tol.SUBNORMAL_ABS), off & (delta == 0)


def test_sweep_zero_mismatches():
    rng = np.random.default_rng(2024)
    examples = caught = must_total = 0
    for name, act in A.ACTIVATIONS.items():
        z = sweep_points(rng, 3000)
        r = check_derivative(name, act.derivative, z)
        assert r.ok and r.counts["mismatch"] == 0, str(r)
        examples += r.size
        # the sweep can fail: the same points with the derivative 1e-6 off are caught at every
        # element where that changes the value (elements are judged independently, so the
        # points can be checked in groups and each count is exact)
        mutant = lambda z, d=act.derivative, **p: d(z, **p) * (1 + 1e-6)
        must, same = mutant_truth(act, z)
        bad = check_derivative(name, mutant, z[must], atol=0)  # relative to each element
        assert bad.error is None and bad.counts["mismatch"] == must.sum(), (name, str(bad))
        caught += bad.counts["mismatch"]
        must_total += int(must.sum())
        if same.any():
            assert check_derivative(name, mutant, z[same], atol=0).counts["mismatch"] == 0, name
        # without mpmath no changed element is ever verified: where float64 differences cannot
        # see f' (soft_sign past 2**53: f has rounded to +-1) it is reported unresolved
        nomp = check_derivative(name, mutant, z[must], mpmath=False, atol=0)
        assert nomp.counts["verified"] == nomp.counts["subgradient"] == 0, (name, str(nomp))
        assert nomp.counts["mismatch"] + nomp.counts["unresolved"] == must.sum()
    assert caught == must_total > 45_000
    for seed in range(8):  # small saturated networks, unit-variance weights
        P, cost, grad = saturated_net(seed, n_x=3, n_h=5, n_y=2, m=16)
        r = check_gradient(cost, grad, P)
        assert r.ok, str(r)
        examples += r.size
    assert examples >= 10_000


# --- the report: ranked by margin, no escaping warnings, names, messages ----------------------


def _tiny_net():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((2, 4))
    P = {"W1": rng.standard_normal((3, 2)), "b1": rng.standard_normal((3, 1)),
         "W2": rng.standard_normal((1, 3)), "b2": rng.standard_normal((1, 1)), "s": np.array(0.7)}

    def cost(p):
        return float(np.sum(p["s"] * np.tanh(p["W2"] @ np.tanh(p["W1"] @ X + p["b1"]) + p["b2"])))

    def grad(p):
        A1 = np.tanh(p["W1"] @ X + p["b1"])
        A2 = np.tanh(p["W2"] @ A1 + p["b2"])
        d2 = p["s"] * (1 - A2**2)
        d1 = (p["W2"].T @ d2) * (1 - A1**2)
        return {"W1": d1 @ X.T, "b1": d1.sum(1, keepdims=True), "W2": d2 @ A1.T,
                "b2": d2.sum(1, keepdims=True), "s": np.array(np.sum(A2))}

    return P, cost, grad


def test_worst_is_the_largest_margin_and_mismatches_are_ranked():
    P, cost, grad = _tiny_net()

    def two_bugs(p):
        g = grad(p)
        g["W1"] = g["W1"].copy()
        g["W1"][0, 0] *= 1 + 1e-4
        g["b2"] = 10 * g["b2"]
        return g

    r = check_gradient(cost, two_bugs, P)
    assert r.verdict == "MISMATCH" and r.counts["mismatch"] == 2
    assert r.worst["name"] == "b2[0,0]"  # off by 10x, not the first by index
    assert [e["name"] for e in r.mismatches] == ["b2[0,0]", "W1[0,0]"]
    assert r.mismatches[0]["margin"] > r.mismatches[1]["margin"] > 1
    first = r.summary()
    assert first.startswith("refnet check_gradient: MISMATCH") and "worst b2[0,0]" in first
    # a 0-d parameter is named by its key; every element is reachable
    assert {e["name"] for e in r.elements()} >= {"s", "W1[2,1]"}
    assert len(r.elements()) == r.size and len(r.elements("mismatch")) == 2


def test_no_warning_escapes_for_finite_input():
    # the suite turns warnings into errors: an overflow in the report would fail this test
    r = check_gradient(lambda x: 10 * float(np.sum(np.maximum(x, 0))),
                       lambda x: 10 * np.ones_like(x), np.array([-1.0, 2.0]))
    assert r.verdict == "MISMATCH" and r.mismatches[0]["name"] == "[0]"
    assert all(o["max_rel"] is None or o["max_rel"] < 1e10 for o in r.oracles.values())


def test_a_zero_gradient_is_verified():
    r = check_gradient(lambda x: float(np.sum(x**2)), lambda x: 2 * x, np.zeros(3))
    assert r.verdict == "OK" and r.counts["verified"] == 3


def test_inconclusive_is_not_ok_and_says_why():
    x = np.array([0.3, -1.2, 2.0])
    r = check_gradient(lambda x: float(np.sum(np.sin(x)) + 1e8), np.cos, x)  # rounds at 1e-8
    assert r.verdict == "INCONCLUSIVE" and not r.ok and r.counts["mismatch"] == 0
    assert "is wider than the" in r.unresolved[0]["reason"]
    assert check_gradient(lambda x: float(np.sum(np.sin(x)) + 1e8), np.cos, x,
                          accept_inconclusive=True).ok
    # a bug there is not hidden: it is at least inconclusive, here a mismatch
    r = check_gradient(lambda x: float(np.sum(np.sin(x)) + 1e8), lambda x: 1.5 * np.cos(x), x)
    assert r.verdict == "MISMATCH"


def test_lossy_and_strict():
    z = np.array([-30.0, -1.0, 0.0, 2.0])
    f, df = (lambda z: np.logaddexp(0, z)), (lambda z: 0.5 * (1 + np.tanh(0.5 * z)))
    r = check_derivative(f, df, z)
    assert r.verdict == "OK" and r.counts["lossy"] == 1 and r.lossy[0]["index"] == [0]
    assert "right to" in r.lossy[0]["reason"] and "digits" in r.lossy[0]["reason"]
    strict = check_derivative(f, df, z, strict=True)
    assert strict.verdict == "MISMATCH" and strict.mismatches[0]["index"] == [0]
    assert check_derivative(f, df, z, atol=0).verdict == "MISMATCH"
    with pytest.raises(ValueError, match="atol"):
        check_derivative(f, df, z, atol=-1.0)


def test_gradient_keys_of_a_backward_pass_are_accepted():
    P, cost, grad = _tiny_net()
    r = check_gradient(cost, lambda p: {"d" + k: v for k, v in grad(p).items()}, P)
    assert r.verdict == "OK", str(r)
    r = check_gradient(cost, lambda p: {"x" + k: v for k, v in grad(p).items()}, P)
    assert r.verdict == "ERROR" and "xW1" in r.error and "'W1'" in r.error


def test_registry_parameters_only_where_the_function_takes_them():
    z = np.array([-2.0, -0.5, 0.5, 3.0])
    assert check_derivative("leaky_relu", lambda z: np.where(z > 0, 1.0, 0.01), z).ok
    assert check_derivative("leaky_relu", lambda z, alpha: np.where(z > 0, 1.0, alpha), z,
                            params={"alpha": 0.2}).ok
    assert_derivative_matches("leaky_relu", lambda z: np.where(z > 0, 1.0, 0.01))


def test_pytest_message_starts_with_the_summary():
    x = np.random.default_rng(1).standard_normal(5)
    with pytest.raises(AssertionError) as info:
        assert_gradients_ok(smooth, lambda x: 1.1 * smooth_grad(x), x)
    first = str(info.value).splitlines()[0]
    assert first.startswith("refnet check_gradient: MISMATCH - 5 elements") and "worst" in first
    assert str(info.value).count("refnet check_gradient: MISMATCH") == 1  # the headline once


def test_float32_code_is_judged_with_float32_rounding():
    rng = np.random.default_rng(3)
    W = rng.standard_normal((4, 3)).astype(np.float32)
    X = rng.standard_normal((3, 8)).astype(np.float32)

    def f(W):
        return np.sum(np.tanh(W.astype(np.float32) @ X))  # float32 arithmetic

    def grad(W):
        return ((1 - np.tanh(W.astype(np.float32) @ X) ** 2) @ X.T).astype(np.float32)

    r = check_gradient(f, grad, W)
    assert r.verdict == "OK" and r.eps == np.finfo(np.float32).eps, str(r)
    bad = check_gradient(f, lambda W: grad(W) * np.float32(1.01), W)  # a wrong float32 backward
    assert bad.verdict == "MISMATCH"
    # the smallest error it can see is the float32 lossy scale, 16384 eps32 S = 2e-3 S: every
    # element where 1 % is above it is a mismatch; below it, lossy or verified to that scale
    big = 0.01 * np.abs(grad(W)).ravel() > 2 * bad.lossy_scale
    status = np.array([e["status"] for e in bad.elements()])
    assert big.sum() >= 6 and set(status[big]) == {"mismatch"}
    assert set(status[~big]) <= {"mismatch", "lossy", "verified"}


def test_vectorized_f_is_called_once_per_stencil_and_judged_the_same():
    rng = np.random.default_rng(4)
    X = rng.standard_normal((6, 40))
    P = {"W": rng.standard_normal((5, 6)), "v": rng.standard_normal((1, 5))}
    calls = {"one": 0, "batched": 0}

    def cost(p):  # one point
        calls["one"] += 1
        return float(np.sum(np.log1p(np.exp(p["v"] @ np.tanh(p["W"] @ X)))))

    def cost_batched(p):  # a leading batch axis: (B, 5, 6) and (B, 1, 5) -> (B,)
        calls["batched"] += 1
        H = np.tanh(p["W"] @ X)
        return np.sum(np.log1p(np.exp(p["v"] @ H)), axis=(-2, -1))

    def grad(p):
        H = np.tanh(p["W"] @ X)
        s = 1 / (1 + np.exp(-(p["v"] @ H)))
        return {"W": ((p["v"].T @ s) * (1 - H**2)) @ X.T, "v": s @ H.T}

    one = check_gradient(cost, grad, P)
    batched = check_gradient(cost_batched, grad, P, vectorized=True)
    assert one.verdict == batched.verdict == "OK", str(batched)
    assert calls["batched"] < 0.1 * calls["one"]
    bad = check_gradient(cost_batched, lambda p: {**grad(p), "v": 1.001 * grad(p)["v"]}, P,
                         vectorized=True)
    assert bad.verdict == "MISMATCH" and {e["key"] for e in bad.mismatches} == {"v"}
    # an f that does not take the batch axis is told so, not misjudged
    r = check_gradient(lambda p: float(cost(p)), grad, P, vectorized=True)
    assert r.verdict == "ERROR" and "vectorized=True" in r.error


# --- what a check costs, in evaluations of f (counted, so deterministic) ---------------------


def _counted(f):
    calls = {"real": 0, "complex": 0}

    def g(p):
        calls["complex" if np.iscomplexobj(p["W1"]) else "real"] += 1
        return f(p)

    return g, calls


def _notebook_241():
    X, Y, P, cost, grad = notebook_style_network(0, 2, 4, 1, 3)

    def cost_logaddexp(p):  # the stable form: np.logaddexp rejects complex input
        Z2 = p["W2"] @ np.tanh(p["W1"] @ X + p["b1"]) + p["b2"]
        return np.sum(Y * np.logaddexp(0.0, -Z2) + (1 - Y) * np.logaddexp(0.0, Z2)) / 3

    return P, cost, cost_logaddexp, grad


def test_a_check_that_rejects_complex_input_costs_one_central_difference_per_coordinate():
    # f(x), one complex probe (rejected: no directional difference is taken), then one central
    # difference per coordinate, every element accepted: the noise floor is never measured
    P, _, cost, grad = _notebook_241()
    g, calls = _counted(cost)
    r = check_gradient(g, grad, P)
    assert r.verdict == "OK" and r.counts["verified"] == 17
    assert calls == {"real": 1 + 2 * 17, "complex": 1}
    assert not r.noise_floor_measured
    assert all(e["oracle"] == "central difference" for e in r.elements())


def test_a_complex_safe_check_costs_one_complex_evaluation_per_coordinate():
    # f(x), the directional Richardson tableau of the probe (8), the complex probe, then one
    # complex step per coordinate
    P, cost, _, grad = _notebook_241()
    g, calls = _counted(cost)
    r = check_gradient(g, grad, P)
    assert r.verdict == "OK"
    assert calls == {"real": 1 + 8, "complex": 1 + 17}


def test_the_noise_floor_is_measured_once_where_a_verdict_needs_it():
    # a zero gradient of sum(x**2) at 0: f does not move over any fast stencil, so accepting
    # it rests on the noise of f, measured once along the line (64 points beside f(x), and 64
    # on the narrow span Richardson needs), not per element
    calls = [0]

    def f(x):
        calls[0] += 1
        return float(np.sum(x**2))

    r = check_gradient(f, lambda x: 2 * x, np.zeros(6))
    assert r.verdict == "OK" and r.noise_floor_measured
    assert calls[0] == 1 + 1 + 2 * 6 + 64 + 64 + 8 * 6


class _Relu64(NamedTuple):
    P: dict
    f: object
    grad: object
    kinks: object  # kinks(i, j): the exact t where J(W1[i,j] + t) has a kink, sorted


@pytest.fixture(scope="module")
def relu_64_samples():
    # a relu layer over 64 samples: J(W1[i,j]) has a kink wherever a sample's Z1[i,s] crosses 0,
    # inside Richardson's largest stencil (2**-6) on many elements; float() rules out the
    # complex step.  The data are dyadic (notebook_style_network(dyadic=True)): Z1 = W1 X + b1
    # and every stencil's Z1 + t X[j,s] are exact whatever the BLAS, so where the kinks lie
    # relative to each stencil is the same on every machine; the rest of J (the sigmoid
    # layer, the log) rounds as the machine rounds, and the tests pin verdicts, not bits.
    X, _, P, cost, grad = notebook_style_network(0, 10, 16, 4, 64, hidden="relu", scaled=True,
                                                 dyadic=True)
    Z1 = P["W1"] @ X + P["b1"]
    # the exactness itself, against integer arithmetic in units of 2**-12
    Wi, Xi, bi = (np.round(a * k).astype(np.int64) for a, k in ((P["W1"], 64), (X, 8),
                                                                (P["b1"], 4096)))
    assert np.array_equal(Wi / 64, P["W1"]) and np.array_equal(Xi / 8, X)
    assert np.array_equal(((Wi @ Xi) * 8 + bi) / 4096.0, Z1) and (Z1 != 0).all()

    def kinks(i, j):
        x = X[j]
        return np.sort(-Z1[i][x != 0] / x[x != 0])

    return _Relu64(P, lambda p: float(cost(p)), grad, kinks)


H0 = tol.FD_H0  # the largest step of every tableau: a kink within it spoils the first levels


def _kinked(relu, name):
    i, j = (int(k) for k in name[3:-1].split(","))
    t = relu.kinks(i, j)
    return t[np.abs(t) <= H0]


def test_relu_kinks_inside_the_stencil_are_no_mismatch(relu_64_samples):
    r = check_gradient(relu_64_samples.f, relu_64_samples.grad, relu_64_samples.P)
    assert r.counts["mismatch"] == 0, str(r)
    assert r.verdict in ("OK", "INCONCLUSIVE")
    assert r.counts["unresolved"] <= 0.05 * r.size
    kinked = [e for e in r.elements() if e["key"] == "W1" and _kinked(relu_64_samples,
                                                                        e["name"]).size]
    assert len(kinked) >= 40  # the case is what it claims: many stencils hold a kink
    # W1[11,4]: g = 0 (the unit is off for every sample), one sample's kink at t = -0.0114,
    # inside the backward half of the largest stencils: never a mismatch
    assert _kinked(relu_64_samples, "W1[11,4]").tolist() == [-0.011393229166666666]
    w = next(e for e in r.elements() if e["name"] == "W1[11,4]")
    assert w["value"] == 0.0 and w["status"] in ("verified", "unresolved"), w


@pytest.mark.parametrize("rel", [1e-3, 1e-6])
def test_relu_planted_bug_caught_through_float(relu_64_samples, rel):
    P, f, grad = relu_64_samples.P, relu_64_samples.f, relu_64_samples.grad
    G = grad(P)["W1"]
    big = np.unravel_index(np.argmax(np.abs(G)), G.shape)

    def bad(p):
        g = grad(p)
        g["W1"][big] *= 1 + rel
        return g

    r = check_gradient(f, bad, P)
    assert r.verdict == "MISMATCH" and [m["name"] for m in r.mismatches] == \
        ["W1[{},{}]".format(*big)], str(r)


def test_relu_bug_at_a_kinked_element_caught(relu_64_samples):
    # W1[11,4]: g = 0 with a kink inside the first stencils; an error of 1e-3 of the gradient's
    # scale there is a mismatch, and no other element is
    P, f, grad = relu_64_samples.P, relu_64_samples.f, relu_64_samples.grad

    def bad(p):
        g = grad(p)
        g["W1"][11, 4] += 1e-3 * np.abs(g["W1"]).max()
        return g

    r = check_gradient(f, bad, P)
    assert r.verdict == "MISMATCH" and [m["name"] for m in r.mismatches] == ["W1[11,4]"], str(r)


# W1[14,2]: two kinks inside the backward half of the largest stencils and none in the forward
# half, so the central tableau and the backward one straddle a kink while the forward one does
# not; W1[2,8] the mirror image.  Each is verified (the forward, resp. backward, side settles
# it), whichever stage does it on a given machine.
ONE_SIDED = {"W1[14,2]": (-0.014382102272727272, -0.003662109375),
             "W1[2,8]": (0.006103515625, 0.00732421875)}


@pytest.mark.parametrize("name", ONE_SIDED)
def test_relu_kink_on_one_side_judged_from_the_other(relu_64_samples, name):
    assert tuple(_kinked(relu_64_samples, name).tolist()) == ONE_SIDED[name]
    r = check_gradient(relu_64_samples.f, relu_64_samples.grad, relu_64_samples.P)
    w = next(e for e in r.elements() if e["name"] == name)
    assert w["status"] == "verified", w
    assert r.counts["mismatch"] == 0


@pytest.mark.parametrize("name", ONE_SIDED)
@pytest.mark.parametrize("rel", [1e-4, 1e-6])
def test_relu_bug_beside_a_one_sided_kink_is_never_verified(relu_64_samples, name, rel):
    # a bug at an element with kinks on one side is judged against the other side: it
    # disagrees.  A kink at x could excuse a value between the two sides, so a mismatch is not
    # required, but the element is never verified, and nothing else is flagged
    P, f, grad = relu_64_samples.P, relu_64_samples.f, relu_64_samples.grad
    i, j = (int(k) for k in name[3:-1].split(","))

    def bad(p):
        g = grad(p)
        g["W1"][i, j] *= 1 + rel
        return g

    r = check_gradient(f, bad, P)
    w = next(e for e in r.elements() if e["name"] == name)
    assert w["status"] in ("mismatch", "unresolved"), w
    assert w["reason"], w
    assert [m["name"] for m in r.mismatches] in ([], [name]), str(r)


def test_a_kink_where_both_sides_are_zero_is_a_subgradient():
    # sparse_plus' = 0 left of -1 and (z + 1)/2 right of it: both one-sided derivatives are 0,
    # their bars the subnormal grid; resolved within the rounding scale, not "too wide"
    act = A.ACTIVATIONS["sparse_plus"]
    z = np.array([-1.0, 1.0, 0.3])
    r = check_derivative("sparse_plus", act.derivative, z)
    assert r.verdict == "OK" and r.counts["subgradient"] == 2, str(r)
    bad = check_derivative("sparse_plus", lambda q: np.where(q == -1, 1e-3, act.derivative(q)), z)
    assert bad.verdict == "MISMATCH" and bad.mismatches[0]["name"] == "[0]"


def test_mpmath_overrules_an_oracle_that_cancels():
    # the complex step through soft_sign's z/(1 + |z|) cancels at |z| ~ 1e146 beyond its own bar;
    # mpmath, exact, decides for the value (right to the last digit); a planted error is not
    # verified there (1e-6 of 1e-294 is below the check's rounding scale: lossy) and fails at 0.5
    act = A.ACTIVATIONS["soft_sign"]
    z = np.array([8.928227345623927e146, -1.098033534591586e44, 0.5])
    r = check_derivative("soft_sign", act.derivative, z)
    assert r.verdict == "OK" and r.counts["lossy"] == 0, str(r)
    assert {e["oracle"] for e in r.elements()[:2]} == {"mpmath"}
    bad = check_derivative("soft_sign", lambda q: act.derivative(q) * (1 + 1e-6), z)
    assert bad.verdict == "MISMATCH" and bad.counts["verified"] == 0, str(bad)
    assert all("disagrees with mpmath" in e["reason"] for e in bad.elements())



def test_progress_counts_the_calls_of_f_and_changes_nothing(capsys):
    from refnet.checking.options import InvalidArgument

    x = np.linspace(-1.0, 1.0, 40)
    calls = []
    f = lambda v: calls.append(1) or float(np.sum(np.sin(v) * v))
    g = lambda v: np.cos(v) * v + np.sin(v)
    quiet = check_gradient(f, g, x)
    n_quiet, calls[:] = len(calls), []
    shown = check_gradient(f, g, x, progress=True)
    err = capsys.readouterr().err
    assert shown == quiet and len(calls) == n_quiet
    assert "calls of f" in err  # the bar, on stderr (cleared when the check ends)
    with pytest.raises(InvalidArgument, match="progress"):
        check_gradient(f, g, x, progress="yes")


@pytest.mark.parametrize("which", ["check_vjp", "check_jacobian"])
def test_progress_of_the_vector_checks(capsys, which):
    from refnet.check import check_vjp
    from refnet.checking.options import InvalidArgument

    x = np.linspace(-1.0, 1.0, 6)
    calls = []
    f = lambda v: calls.append(1) or np.sin(v) * v[::-1]
    jac = lambda v: np.diag(np.cos(v) * v[::-1]) + np.diag(np.sin(v))[:, ::-1]
    if which == "check_vjp":
        run = lambda **kw: check_vjp(f, lambda v, u: jac(v).T @ u, x, **kw)
    else:
        run = lambda **kw: check_jacobian(f, jac, x, **kw)
    quiet = run()
    n_quiet, calls[:] = len(calls), []
    shown = run(progress=True)
    assert quiet.verdict == shown.verdict == "OK", str(shown)
    assert shown == quiet and len(calls) == n_quiet > 0
    assert f"{which}: calls of f" in capsys.readouterr().err
    with pytest.raises(InvalidArgument, match="progress"):
        run(progress=1)


def _lossy_figures(reason):
    """(digits, total, off, scale, bar or None) read back from a lossy element's reason."""
    import re

    m = re.match(r"lossy: right to (\d+) of (\d+) digits \(off by ([0-9.e+-]+), within the "
                 r"gradient's rounding scale ([0-9.e+-]+)( plus the oracle's error bar "
                 r"([0-9.e+-]+))?;", reason)
    assert m, reason
    bar = None if m.group(6) is None else float(m.group(6))
    return int(m.group(1)), int(m.group(2)), float(m.group(3)), float(m.group(4)), bar


def test_a_lossy_reason_adds_up_in_the_dtypes_own_digits():
    # float32 code: digits out of 7, not 16; "within the rounding scale" only where the
    # disagreement is within it, else the oracle's bar is named as what covers the rest
    x = np.linspace(-2, 2, 7).astype(np.float32)
    f = lambda v: np.sum(np.sin(np.asarray(v, np.float32)))
    g = lambda v: np.cos(np.asarray(v, np.float32)) * np.float32(1.01)
    r = check_gradient(f, g, x)
    lossy = [e for e in r.elements() if e["status"] == "lossy"]
    assert lossy, str(r)
    for e in lossy:
        digits, total, off, scale, bar = _lossy_figures(e["reason"])
        assert total == 7 and digits <= total
        assert off <= scale if bar is None else scale < off <= 1.01 * (scale + bar)
    # float64: out of 16 (docs/checking.md's sigmoid through tanh, at z = -30)
    z = np.array([-30.0, -1.0, 0.5, 2.0])
    r64 = check_derivative(lambda q: np.logaddexp(0, q), lambda q: 0.5 * (1 + np.tanh(q / 2)), z)
    lossy = [e for e in r64.elements() if e["status"] == "lossy"]
    assert len(lossy) == 1 and _lossy_figures(lossy[0]["reason"])[:2] == (4, 16), str(r64)


def test_an_exactly_zero_gradient_of_a_piecewise_constant_f():
    # every difference is exactly 0: the zero gradient is verified against f's own rounding
    # (the tolerance needed is never 0), and a slope of 1e-9 hidden under the steps is not
    x = np.array([0.25, 1.5, -2.75])
    step = lambda v: float(np.sum(np.floor(v))) + 2.5
    r = check_gradient(step, lambda v: np.zeros_like(v), x)
    assert r.verdict == "OK" and r.counts["verified"] == 3, str(r)
    r = check_gradient(lambda v: step(v) + 1e-9 * float(np.sum(v)), lambda v: np.zeros_like(v), x)
    assert r.verdict == "MISMATCH", str(r)


@pytest.mark.parametrize("k, sample", [(0.0, None), (1e-9, None), (0.0, 10), (1e-9, 10)])
def test_the_margin_of_an_element_that_passes_is_at_most_1(k, sample):
    # the margin is measured against the bound the element was accepted by: the fast pass
    # accepts a difference within CHECK_FAST_RTOL, wider than its bar (a margin of 2.8 once
    # showed beside "verified"); a lossy element is measured against the lossy scale
    x = np.random.default_rng(0).standard_normal(3)
    f = lambda v: float(np.sum(np.sin(v) * v))  # float(): no complex step, differences only
    r = check_gradient(f, lambda v: (np.cos(v) * v + np.sin(v)) * (1 + k), x, sample=sample)
    assert r.ok, str(r)
    passed = [e["margin"] for e in r.elements() if e["status"] in ("verified", "lossy")]
    assert passed and max(passed) <= 1, str(r)


def _float_mlp():
    """The tanh/softmax MLP of refnet.examples at 20-40-4 (1,004 parameters), its cost through
    float() (no complex step: differences alone judge)."""
    *_, P, cost, grad = mnist_sized_network(n_x=20, n_h=40, n_y=4, m=32)
    return (lambda p: float(cost(p))), grad, P


def test_small_elements_of_a_large_gradient_are_verified_to_its_scale():
    # through float() only differences judge; the smallest elements need bars of 1e-7 of
    # themselves that no difference of f reaches (it rounds at eps|f|): they are verified to
    # 1e-7 of the gradient's scale, and say so (this was INCONCLUSIVE)
    cost, grad, P = _float_mlp()
    r = check_gradient(cost, grad, P)
    assert r.verdict == "OK" and r.size == 1004, str(r)
    scaled = [e for e in r.elements() if e["reason"].startswith("verified to the gradient's")]
    assert scaled and all(e["oracle_error"] <= 1e-7 * r.scale for e in scaled)
    # the smallest element off by 1 %: far beyond its bar, a mismatch
    g0 = grad(P)
    k = min(g0, key=lambda key: np.min(np.abs(g0[key])))
    i = np.unravel_index(np.argmin(np.abs(g0[k])), g0[k].shape)

    def bad(p):
        g = grad(p)
        g[k][i] *= 1.01
        return g

    assert g0[k][i] != 0
    r = check_gradient(cost, bad, P)
    assert r.verdict == "MISMATCH" and len(r.mismatches) == 1, str(r)
    # atol sets the scale itself: with atol=0 nothing is verified to the gradient's scale
    r0 = check_gradient(cost, grad, P, atol=0)
    assert not any(e["reason"].startswith("verified to the gradient's") for e in r0.elements())


def test_the_gradients_scale_never_excuses_what_it_should_not():
    # an all-zero claimed gradient of f = 1e6 + 1e-6 sum(x) is not OK (|f| is no scale for it)
    x = np.array([0.3, -1.2, 2.5])
    f = lambda v: float(1e6 + 1e-6 * np.sum(v))
    assert not check_gradient(f, lambda v: np.zeros(3), x).ok
    # a vector f: each output is its own function; a small, noisy output's row off by 30 % is
    # not verified "to the scale" of a large output's row

    noise = np.random.default_rng(0)

    def F(v):  # the second output carries a noise of 1e-6 per evaluation
        return np.array([1e4 * np.sum(v * v) / 2,
                         1e-4 * np.sum(np.sin(v)) + 1e-6 * noise.standard_normal()])

    def J(v, k=1.0):
        return np.stack([1e4 * v, k * 1e-4 * np.cos(v)])

    assert not check_jacobian(F, lambda v: J(v, 1.3), x).ok
    # at a kink the one-sided tableaux are kept in the report's records
    r = check_derivative(lambda z: np.maximum(z, 0.0), lambda z: (z > 0) * 1.0,
                         np.array([0.0, 1e-9, 0.5]), mpmath=False, complex_step=False)
    assert r.ok and {"one-sided", "one-sided(-)"} <= set(r.oracles), r.oracles


def test_a_half_line_at_minus_infinity_leaves_the_other_halfs_noise():
    from refnet.oracles.differences import noise_floor

    t = np.linspace(-1.0, 1.0, 65)
    with np.errstate(divide="ignore"):
        F = np.where(t < 0, -np.inf, 1 + t) + 1e-12 * np.random.default_rng(0).standard_normal(65)
    assert 3e-13 < noise_floor(F[:, None])[0] < 3e-12
