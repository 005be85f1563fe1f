"""check_vjp(fast=True): one random projection per probe, localised where it fails.

Every test plants what the projection must see (or must not be fooled by) and checks the
report names the wrong elements as the full check names them.
"""

import numpy as np
import pytest

from refnet.check import check_vjp
from refnet.checking.products import GUARANTEE_FAST

rng = np.random.default_rng(3)
A = rng.standard_normal((30, 50))
X = rng.standard_normal(50) * 0.3


def f(x):
    return np.tanh(A @ x)


def vjp(x, u):
    return A.T @ ((1 - np.tanh(A @ x) ** 2) * u)


def off(i, rel):
    def wrong(x, u):
        g = vjp(x, u)
        g[i] *= 1 + rel
        return g
    return wrong


def counted(fn):
    def g(x):
        g.calls += 1
        return fn(x)
    g.calls = 0
    return g


def test_a_right_vjp_passes_with_one_element_per_probe():
    r = check_vjp(f, vjp, X, fast=True)
    assert r.verdict == "OK"
    assert r.size == 3 and [e["name"] for e in r.elements()] == ["uᵀJd·u0", "uᵀJd·u1",
                                                                   "uᵀJd·u2"]
    assert r.guarantee.startswith("fast:") and "0.8/c" in r.guarantee
    assert r.guarantee == GUARANTEE_FAST.format(leaf=8)


def test_one_element_off_by_1e_5_is_caught_and_named():
    r = check_vjp(f, off(17, 1e-5), X, fast=True, cotangents=1)
    assert r.verdict == "MISMATCH"
    assert [e["name"] for e in r.elements(status="mismatch")] == ["[17]·u0"]
    # localised: the projection is listed, the elements of one block judged
    assert [p["probe"] for p in r.probes][0] == "u0" and r.probes[0]["verdict"] == "MISMATCH"
    assert r.size <= 8


def test_what_a_projection_accepts_the_full_check_still_sees():
    # 1e-6 of element 17 moves this projection by 2e-9 of its value: within the 1e-8 an
    # oracle accepts it by (the guarantee says so); the full check judges element 17 itself
    assert check_vjp(f, off(17, 1e-6), X, fast=True, cotangents=1).verdict == "OK"
    assert "1e-8 of the projection" in GUARANTEE_FAST
    r = check_vjp(f, off(17, 1e-6), X, cotangents=1)
    assert [e["name"] for e in r.elements(status="mismatch")] == ["[17]·u0"]


def test_elements_are_named_in_the_structure_of_x():
    P = {"W": X[:40].reshape(5, 8), "b": X[40:]}
    flat = lambda p: np.concatenate([p["W"].ravel(), p["b"]])
    g = lambda p: f(flat(p))

    def wrong(p, u):
        v = vjp(flat(p), u)
        out = {"W": v[:40].reshape(5, 8).copy(), "b": v[40:].copy()}
        out["W"][2, 3] += 1e-5
        return out

    r = check_vjp(g, wrong, P, fast=True, cotangents=1)
    assert [e["name"] for e in r.elements(status="mismatch")] == ["W[2,3]·u0"]


def test_localising_costs_log_n_calls_not_n():
    n = 100_000
    x = np.linspace(-3, 3, n)
    calls = counted(np.tanh)

    def wrong(x, u):
        g = (1 - np.tanh(x) ** 2) * u
        g[[12_345, 77_777]] *= 1.001
        return g

    r = check_vjp(calls, wrong, x, fast=True, cotangents=1, seed=1)
    assert r.verdict == "MISMATCH"
    assert sorted(e["name"] for e in r.elements(status="mismatch")) == ["[12345]·u0",
                                                                        "[77777]·u0"]
    # per wrong element 2 screens of 2 calls on each of 14 levels to a block of 8, the
    # block's own check, the projections (each a few calls, more where one fails): under a
    # thousand calls, where the dense check takes at least 2 per coordinate (200,000)
    assert calls.calls < 1000, calls.calls


def test_an_error_in_every_element_is_found_in_the_blocks():
    r = check_vjp(f, lambda x, u: vjp(x, u) + 3e-6, X, fast=True, cotangents=1)
    assert r.verdict == "MISMATCH" and r.counts["mismatch"] >= 8


def test_what_the_screens_leave_unexplained_is_judged_element_by_element(monkeypatch):
    # screens that lead nowhere (here: made to): the projection over the rest still fails,
    # and the rest is judged as the full check judges it -- the element is still named
    from refnet.checking import products

    monkeypatch.setattr(products._Projections, "localise", lambda self, d, idx, gap: [])
    r = check_vjp(f, off(17, 1e-3), X, fast=True, cotangents=1)
    assert r.verdict == "MISMATCH"
    assert [e["name"] for e in r.elements(status="mismatch")] == ["[17]·u0"]
    assert r.size == 50


def test_kinks_at_x_are_judged_by_the_elements_not_the_projection():
    # relu at x with many coordinates exactly at the kink: the projection through them has
    # one-sided derivatives no single value lies between, the elements are right subgradients
    x = np.where(np.arange(64) % 3 == 0, 0.0, np.linspace(-2, 2, 64))
    relu = lambda z: np.maximum(z, 0.0)
    right = lambda z, u: (z > 0) * u
    r = check_vjp(relu, right, x, fast=True, cotangents=2)
    assert r.verdict == "OK", str(r)
    wrong = lambda z, u: (z >= 0) * u * np.where(np.arange(64) == 50, 2.0, 1.0)
    r = check_vjp(relu, wrong, x, fast=True, cotangents=1)
    assert r.verdict == "MISMATCH"
    assert "[50]·u0" in [e["name"] for e in r.elements(status="mismatch")]


def test_a_vectorized_f_is_localised_through_its_batches():
    fb = lambda W: np.tanh(W @ A.T)
    r = check_vjp(fb, off(5, 1e-5), X, fast=True, cotangents=1, vectorized=True)
    assert [e["name"] for e in r.elements(status="mismatch")] == ["[5]·u0"]


def test_fast_is_validated():
    from refnet.checking.options import InvalidArgument

    with pytest.raises(InvalidArgument):
        check_vjp(f, vjp, X, fast="yes")


def test_a_dense_layer_is_projected_on_a_step_it_can_resolve():
    # every input of a dense layer moving at once curves the line 45 times more than one
    # coordinate does: the direction is shortened (a power of two) until one central
    # difference settles it, rather than Richardson and the noise floor's line (~130 calls)
    B = np.random.default_rng(5).standard_normal((20, 2000))
    x = np.random.default_rng(6).standard_normal(2000) / 2000**0.5
    calls = counted(lambda x: np.tanh(B @ x))
    vjp_b = lambda x, u: B.T @ ((1 - np.tanh(B @ x) ** 2) * u)
    r = check_vjp(calls, vjp_b, x, fast=True, cotangents=1)
    assert r.verdict == "OK" and r.elements()[0]["oracle"] == "central difference"
    assert calls.calls <= 12, calls.calls
    wrong = lambda x, u: vjp_b(x, u) * np.where(np.arange(2000) == 1234, 1 + 1e-4, 1.0)
    r = check_vjp(lambda x: np.tanh(B @ x), wrong, x, fast=True, cotangents=1)
    assert [e["name"] for e in r.mismatches] == ["[1234]·u0"]


@pytest.mark.parametrize("name", ["maxpool_tied_windows_1_half", "maxpool_tied_windows_0_every",
                                  "relu_at_kink", "maxpool_first_max"])
def test_kinks_that_coincide_get_the_full_checks_verdict(name):
    # a projection through tied windows or kinks at x says nothing of each element's
    # convention; the blocks it leads to, judged again together (or all coordinates), do
    from benchmarks.catalogue import by_name

    case = by_name(name)
    vjp_c = lambda x, u: {k: float(u) * np.asarray(a) for k, a in case.grad(x).items()} \
        if isinstance(x, dict) else float(u) * np.asarray(case.grad(x))
    full = check_vjp(case.f, vjp_c, case.x, cotangents=1)
    fast = check_vjp(case.f, vjp_c, case.x, cotangents=1, fast=True)
    assert fast.verdict == full.verdict == ("MISMATCH" if case.category == "bug" else "OK")


def test_ties_split_over_blocks_are_judged_together():
    # max(x_3, x_40) with x_3 == x_40: each tied element alone is a right subgradient, the
    # pair given the whole gradient each is not; the blocks holding them are judged as one
    n = 64
    x = np.random.default_rng(2).standard_normal(n) * 0.5
    x[3] = x[40] = 0.7
    others = np.setdiff1d(np.arange(n), [3, 40])

    def fm(x):
        return np.concatenate([[max(x[3], x[40])], np.tanh(x[others])])

    def both(x, u):
        g = np.zeros(n)
        g[3] = g[40] = u[0]
        g[others] = (1 - np.tanh(x[others]) ** 2) * u[1:]
        return g

    def one(x, u):
        g = both(x, u)
        g[40] = 0.0
        return g

    for seed in range(4):
        assert check_vjp(fm, both, x, fast=True, cotangents=1, seed=seed).verdict == "MISMATCH"
        assert check_vjp(fm, one, x, fast=True, cotangents=1, seed=seed).verdict == "OK"


def test_f_raising_at_the_screens_points_is_an_error_report():
    def raising(x):
        if np.any(x != X):
            raise ValueError("only at x")
        return f(x)
    r = check_vjp(raising, vjp, X, fast=True)
    assert r.verdict == "ERROR" and "ValueError" in r.error


def test_a_float32_error_the_blocks_cannot_resolve_still_fails():
    # float32 tanh over 1,000 outputs: each element's derivative is lost in the rounding of
    # u·f, so the blocks are unresolved; the projection's mismatch stands beside them
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32)
    tanh32 = lambda z: np.tanh(z.astype(np.float32))

    def doubled(z, u):
        g = (1 - np.tanh(z.astype(np.float32)) ** 2) * u
        g[7] *= 2
        return g.astype(np.float32)

    r = check_vjp(tanh32, doubled, x, fast=True, cotangents=1)
    assert r.verdict == "MISMATCH"
    right = lambda z, u: ((1 - np.tanh(z.astype(np.float32)) ** 2) * u).astype(np.float32)
    assert check_vjp(tanh32, right, x, fast=True).verdict == "OK"
