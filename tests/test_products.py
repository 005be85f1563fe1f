"""check_vjp, check_jvp, check_hvp: random probes, never ones; each planted bug is caught and
each correct product passes."""

import numpy as np
import pytest

from refnet.check import check_hvp, check_jvp, check_vjp
from refnet.checking.products import GUARANTEE_JVP, GUARANTEE_VJP, ProbeReport
from refnet.checking.report import Report

Z = np.random.default_rng(1).standard_normal(6)
BUG = 1e-6  # the smallest relative error refnet promises to catch


def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def vjp(z, u):
    s = softmax(z)
    return s * (u - u @ s)


def jvp(z, t):
    s = softmax(z)
    return s * (t - s @ t)


def one_off(a, i, rel=BUG):
    a = np.array(a, dtype=float)
    a[i] *= 1 + rel
    return a


def test_vjp_right_passes_and_states_its_guarantee():
    r = check_vjp(softmax, vjp, Z, cotangents=3)
    assert isinstance(r, ProbeReport) and isinstance(r, Report)
    assert r.verdict == "OK" and r.ok and r.size == 3 * Z.size
    assert [p["probe"] for p in r.probes] == ["u0", "u1", "u2"]
    assert r.guarantee == GUARANTEE_VJP and "detection guarantee" in str(r)
    assert r.to_dict()["guarantee"] == GUARANTEE_VJP
    assert len(r.elements()) == r.size


def test_vjp_one_element_off_is_caught():
    r = check_vjp(softmax, lambda z, u: one_off(vjp(z, u), 2), Z)
    assert r.verdict == "MISMATCH" and not r.ok
    assert r.counts["mismatch"] == 3  # element 2 in every probe, nothing else
    assert all(e["name"].startswith("[2]·u") for e in r.mismatches)


def test_vjp_wrong_jacobian_hidden_by_ones_is_caught():
    """A vjp that is right for u = ones (it returns 0, the gradient of sum(softmax)) and wrong
    for every other u: random cotangents see it."""
    r = check_vjp(softmax, lambda z, u: np.zeros_like(z), Z)
    assert r.verdict == "MISMATCH"
    assert np.allclose(vjp(Z, np.ones(6)), 0)


def test_vjp_of_a_dict_function_with_dict_output():
    def f(p):
        return {"y": np.tanh(p["W"] @ p["x"]), "n": np.sum(p["x"] ** 2, keepdims=True)}

    def f_vjp(p, u):
        t = np.tanh(p["W"] @ p["x"])
        d = u["y"] * (1 - t * t)
        return {"W": np.outer(d, p["x"]), "x": p["W"].T @ d + 2 * u["n"][0] * p["x"]}

    rng = np.random.default_rng(2)
    p = {"W": rng.standard_normal((3, 4)), "x": rng.standard_normal(4)}
    assert check_vjp(f, f_vjp, p).verdict == "OK"
    bad = check_vjp(f, lambda p, u: dict(f_vjp(p, u), W=f_vjp(p, u)["W"] * 1.001), p)
    assert bad.verdict == "MISMATCH" and {e["key"] for e in bad.mismatches} == {"W"}


def test_jvp_right_passes_and_wrong_is_caught():
    r = check_jvp(softmax, jvp, Z, tangents=2)
    assert r.verdict == "OK" and r.size == 2 * Z.size and r.guarantee == GUARANTEE_JVP
    bad = check_jvp(softmax, lambda z, t: one_off(jvp(z, t), 1), Z)
    assert bad.verdict == "MISMATCH"
    assert all(e["name"].startswith("[1]·t") for e in bad.mismatches)


def test_jvp_not_complex_safe_goes_to_differences():
    def f(z):
        return np.maximum(z, 0.0) ** 2 + np.abs(z)

    def f_jvp(z, t):
        return (2 * np.maximum(z, 0.0) + np.sign(z)) * t

    r = check_jvp(f, f_jvp, Z)
    assert r.verdict == "OK" and r.complex_safe is False
    assert check_jvp(f, lambda z, t: one_off(f_jvp(z, t), 0), Z).verdict == "MISMATCH"


def _hess_case():
    def f(p):
        return np.sum(np.sin(p["a"]) * p["b"] ** 2)

    def grad(p):
        return {"a": np.cos(p["a"]) * p["b"] ** 2, "b": 2 * np.sin(p["a"]) * p["b"]}

    def hvp(p, v):
        a, b = p["a"], p["b"]
        return {"a": -np.sin(a) * b**2 * v["a"] + 2 * np.cos(a) * b * v["b"],
                "b": 2 * np.cos(a) * b * v["a"] + 2 * np.sin(a) * v["b"]}

    p = {"a": np.linspace(-1, 2, 4), "b": np.linspace(0.5, 1.5, 4)}
    return f, grad, hvp, p


def test_hvp_right_passes():
    f, grad, hvp, p = _hess_case()
    r = check_hvp(f, grad, hvp, p, vectors=2)
    assert r.verdict == "OK" and r.kind == "check_hvp"
    assert [q["probe"] for q in r.probes] == ["hvp:t0", "hvp:t1", "grad:t0", "grad:t1"]


def test_hvp_wrong_is_caught():
    f, grad, hvp, p = _hess_case()
    bad = check_hvp(f, grad, lambda p, v: dict(hvp(p, v), b=one_off(hvp(p, v)["b"], 3)), p)
    assert bad.verdict == "MISMATCH"
    assert {e["key"] for e in bad.mismatches} == {"b"}
    assert all(e["name"].endswith(":hvp") for e in bad.mismatches)


def test_hvp_wrong_gradient_is_reported_not_trusted():
    f, grad, hvp, p = _hess_case()
    bad = check_hvp(f, lambda p: dict(grad(p), a=grad(p)["a"] * 1.01), hvp, p)
    assert bad.verdict == "MISMATCH"
    assert all(q["verdict"] == "MISMATCH" for q in bad.probes if q["probe"].startswith("grad:"))
    assert any(e["name"].endswith(":grad") for e in bad.elements("mismatch"))


def test_float32_vjp_judged_with_float32_rounding():
    W = np.random.default_rng(3).standard_normal((5, 4)).astype(np.float32)

    def f(x):
        return np.tanh(W @ x.astype(np.float32))

    def f_vjp(x, u):
        t = np.tanh(W @ x.astype(np.float32))
        return W.T @ (u * (1 - t * t))

    x = np.random.default_rng(4).standard_normal(4).astype(np.float32)
    r = check_vjp(f, f_vjp, x)
    assert r.verdict == "OK" and r.eps == np.finfo(np.float32).eps
    # float32's lossy scale is CHECK_LOSSY_ULPS eps32 S = 2e-3 S: an error of 1e-3 is "lossy"
    # there (a right formula rounds that much), one of 5% is a mismatch
    lossy = check_vjp(f, lambda x, u: one_off(f_vjp(x, u), 1, 1e-3).astype(np.float32), x)
    assert lossy.verdict == "OK" and lossy.counts["lossy"] > 0
    bad = check_vjp(f, lambda x, u: one_off(f_vjp(x, u), 1, 5e-2).astype(np.float32), x)
    assert bad.verdict == "MISMATCH"


def test_misbehaving_products_are_errors_not_crashes():
    r = check_vjp(softmax, lambda z, u: 1 / 0, Z)
    assert r.verdict == "ERROR" and "vjp raised ZeroDivisionError" in r.error
    r = check_jvp(softmax, lambda z, t: np.zeros(3), Z)
    assert r.verdict == "ERROR" and "jvp" in r.error
    with pytest.raises(ValueError, match="cotangents"):
        check_vjp(softmax, vjp, Z, cotangents=0)


def test_a_scalar_f_or_a_single_input_needs_one_probe():
    def f(z):
        return np.sum(np.sin(z))

    r = check_vjp(f, lambda z, u: u * np.cos(z), Z, cotangents=5)
    assert r.verdict == "OK" and len(r.probes) == 1
    assert check_vjp(f, lambda z, u: u * one_off(np.cos(z), 4), Z).verdict == "MISMATCH"
    r = check_jvp(lambda s: np.array([np.sin(s[0]), s[0] ** 2]),
                  lambda s, t: np.array([np.cos(s[0]), 2 * s[0]]) * t[0], np.array([0.3]),
                  tangents=4)
    assert r.verdict == "OK" and len(r.probes) == 1


def test_vjp_where_f_is_undefined_beside_x_is_decided():
    # f = x/(1 + sqrt(x)) at x = 0: a probe line through x leaves f's domain on one side; the
    # noise comes from the other, and a vjp missing a square is a mismatch, not inconclusive
    x = np.array([0, .25, 1.3, 2, 4, 9.])
    f = lambda v: v / (1 + np.sqrt(v))
    right = lambda v, u: u * (1 + np.sqrt(v) / 2) / (1 + np.sqrt(v)) ** 2
    wrong = lambda v, u: u * (1 + np.sqrt(v) / 2) / (1 + np.sqrt(v))
    assert check_vjp(f, right, x).verdict == "OK"
    r = check_vjp(f, wrong, x)
    assert r.verdict == "MISMATCH" and r.counts["mismatch"] == 15 and r.counts["verified"] == 3, \
        str(r)


# --- an elementwise f: its diagonal Jacobian found and used ------------------------------------


class Counted:
    """``fn`` counting its calls."""

    def __init__(self, fn):
        self.fn, self.calls = fn, 0

    def __call__(self, x):
        self.calls += 1
        return self.fn(x)


def test_an_elementwise_f_is_checked_elementwise():
    """check_vjp of an elementwise f finds its Jacobian diagonal (each output unchanged when the
    other coordinates move) and judges uᵀJ elementwise, many coordinates moved in one call of f:
    calls of f grow with log n, not n.  A one-element error is caught and located, a vjp that
    mixes cotangent entries (an off-diagonal bug) is caught everywhere, kinks keep their
    convention, and the report says the structure it used."""
    x = np.linspace(-3.0, 3.0, 4096)
    f = Counted(np.tanh)
    r = check_vjp(f, lambda x, u: u * (1 - np.tanh(x) ** 2), x)
    assert r.verdict == "OK" and r.counts["verified"] == 3 * x.size
    assert "diagonal" in r.guarantee
    assert f.calls < 200  # 4 log2(n) = 48 to find the structure, a few dozen per probe
    one = (np.arange(x.size) == 1234)
    bad = check_vjp(np.tanh, lambda x, u: u * (1 - np.tanh(x) ** 2) * (1 + BUG * one), x)
    assert bad.verdict == "MISMATCH" and {e["name"] for e in bad.mismatches} <= {
        f"[1234]·u{k}" for k in range(3)}
    mixed = check_vjp(np.tanh, lambda x, u: u * (1 - np.tanh(x) ** 2) + 1e-3 * np.roll(u, 1), x)
    assert mixed.verdict == "MISMATCH" and mixed.counts["mismatch"] > x.size
    z = np.array([-1.0, 0.0, 0.5, 2.0, -0.25, 0.0])
    relu = lambda v: np.maximum(v, 0.0)
    assert check_vjp(relu, lambda v, u: u * (v > 0), z).verdict == "OK"
    assert check_vjp(relu, lambda v, u: 2.0 * u * (v >= 0), z).verdict == "MISMATCH"


def test_a_coupling_keeps_the_dense_check():
    """One output that depends on another coordinate (a single off-diagonal entry, 2^-4 of the
    diagonal) is seen, the dense check is kept, and a vjp that leaves the coupling out fails
    where it matters."""
    x = np.linspace(-2.0, 2.0, 64)

    def f(v):
        y = np.sin(v)
        y[7] = y[7] + 0.0625 * v[40]
        return y

    def vjp_right(v, u):
        g = u * np.cos(v)
        g[40] += 0.0625 * u[7]
        return g

    r = check_vjp(f, vjp_right, x)
    assert r.verdict == "OK" and "diagonal" not in r.guarantee
    wrong = check_vjp(f, lambda v, u: u * np.cos(v), x)
    assert wrong.verdict == "MISMATCH"
    assert {e["name"].split("·")[0] for e in wrong.mismatches} == {"[40]"}


def test_merged_reports_name_their_elements_when_asked():
    """Merged probes of a plain array are located from the layouts, not named one by one: the
    names read as before (``[j]·uk``) and the record pickles."""
    import pickle

    x = np.linspace(-1.0, 1.0, 5)
    r = check_vjp(np.sin, lambda v, u: u * np.cos(v), x, cotangents=2)
    assert r.record.segments and not r.record.names
    assert [e["name"] for e in r.elements()] == [f"[{j}]·u{k}" for k in range(2)
                                                 for j in range(5)]
    assert pickle.loads(pickle.dumps(r)) == r


def test_a_vectorized_f_takes_its_stencils_in_batches():
    """check_vjp(vectorized=True): f takes a leading batch axis, and every stencil of a probe is
    a call per chunk of points (few calls, not one per point); the verdicts are those of the
    point-by-point check, a planted bug is caught, and an f that does not keep the batch axis
    is an ERROR that says so."""
    A = np.random.default_rng(3).standard_normal((4, 6))
    f = lambda x: np.tanh(A @ x)
    fb = Counted(lambda X: np.tanh(X @ A.T))  # (B, 6) -> (B, 4)
    vjp = lambda x, u: A.T @ (u * (1 - np.tanh(A @ x) ** 2))
    x = np.linspace(-1.0, 1.0, 6)
    r = check_vjp(fb, vjp, x, vectorized=True)
    assert r.verdict == "OK" == check_vjp(f, vjp, x).verdict
    assert fb.calls < 40  # a point-by-point check takes hundreds
    bad = lambda x, u: vjp(x, u) * (1 + BUG * (np.arange(6) == 2))
    assert check_vjp(fb, bad, x, vectorized=True).verdict == "MISMATCH"
    broken = check_vjp(lambda X: np.tanh(X @ A.T)[0], vjp, x, vectorized=True)
    assert broken.verdict == "ERROR" and "vectorized=True" in broken.error
