"""The full element-wise check of the 784-128-10 network, beside the floor of its cost.

    python -m benchmarks.full_check                  # the twin oracle, a planted bug, the floor
    python -m benchmarks.full_check --differences    # also every element by differences (minutes)

The network is :func:`refnet.examples.mnist_sized_network` (101,770 parameters, m = 64): its
hand-written NumPy gradient is checked element by element by ``check_gradient``

- with ``twin=`` the same cost written in ``jax.numpy``: ``jax.grad`` of the twin (one reverse
  pass, compiled once) accepts every element it agrees with to 1e-8, and only the rest is
  judged by the complex step and Richardson (f itself), whose values the report lists beside
  the twin's;
- with ``--differences``: f through ``jax.jit(jax.vmap(cost))``, every element by the fast
  pass's central difference (2n evaluations, in batches of points);
- ``sample=200`` (a seeded sample, its guarantee stated) for scale.

The floor: a check by differences evaluates f at least 2n times, and each evaluation of this
network is dominated by the product W1 X (128 × 784 by 784 × 64); the benchmark measures that
product's rate on this machine and prints 2n of them, and 2n evaluations of the NumPy and the
jitted cost.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def _best(fn, number, repeat=5):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - t0) / number)
    return best


def jax_cost(X, Y):
    import jax.numpy as jnp

    Xj, Yj, m = jnp.asarray(X), jnp.asarray(Y), X.shape[1]

    def cost(p):
        A1 = jnp.tanh(p["W1"] @ Xj + p["b1"])
        Z2 = p["W2"] @ A1 + p["b2"]
        S = Z2 - Z2.max(axis=0)
        return -jnp.sum(Yj * (S - jnp.log(jnp.exp(S).sum(axis=0)))) / m
    return cost


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--differences", action="store_true",
                        help="also the check by differences through jit(vmap) (minutes)")
    args = parser.parse_args(argv)
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    from refnet.check import check_gradient
    from refnet.examples import mnist_sized_network

    X, Y, P, cost, grad = mnist_sized_network()
    n = sum(a.size for a in P.values())
    jcost = jax_cost(X, Y)
    jitted = jax.jit(jcost)
    Pj = {k: jnp.asarray(a) for k, a in P.items()}
    jitted(Pj).block_until_ready()
    W1, X64 = P["W1"], X
    t_gemm = _best(lambda: W1 @ X64, 50)
    t_np = _best(lambda: cost(P), 20)
    t_jit = _best(lambda: jitted(Pj).block_until_ready(), 20)
    rate = 2 * W1.shape[0] * W1.shape[1] * X.shape[1] / t_gemm / 1e9
    print(f"784-128-10 network, n = {n:,} parameters, m = {X.shape[1]}")
    print()
    print("| what | time |")
    print("|---|---|")
    print(f"| W1 X ({rate:.0f} GFLOP/s here), one | {t_gemm * 1e6:.0f} µs |")
    print(f"| floor: 2n products W1 X | {2 * n * t_gemm:.1f} s |")
    print(f"| 2n evaluations of the NumPy cost ({t_np * 1e3:.2f} ms each) | {2 * n * t_np:.1f} s |")
    print(f"| 2n evaluations of the jitted cost ({t_jit * 1e3:.2f} ms each) | "
          f"{2 * n * t_jit:.1f} s |")

    def timed(label, **kw):
        t0 = time.perf_counter()
        r = check_gradient(kw.pop("f", cost), kw.pop("g", grad), P, **kw)
        dt = time.perf_counter() - t0
        oracles = {}
        for e in r.elements():
            oracles[e["oracle"]] = oracles.get(e["oracle"], 0) + 1
        decided = ", ".join(f"{k or 'none'} {v:,}" for k, v in sorted(oracles.items()))
        print(f"| {label} | {dt:.2f} s | {r.summary()} (decided by: {decided}) |")
        return r

    print()
    print("| check | time | verdict |")
    print("|---|---|---|")
    timed("every element, twin=jax cost", twin=jcost)
    bad = lambda p: dict(grad(p), W1=grad(p)["W1"] * np.where(
        np.arange(W1.size).reshape(W1.shape) == 3 * 784 + 5, 1 + 1e-6, 1.0))
    timed("every element, twin=jax cost, W1[3,5] off by 1e-6", g=bad, twin=jcost)
    timed("sample=200", sample=200)
    if args.differences:
        batched = jax.jit(jax.vmap(jcost))

        def fb(pb):
            return np.asarray(batched({k: jnp.asarray(a) for k, a in pb.items()}))
        timed("every element, differences through jit(vmap)", f=fb, vectorized=True,
              complex_step=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
