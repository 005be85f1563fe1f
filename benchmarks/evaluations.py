"""How much a check costs: evaluations of f per coordinate, and time over n evaluations of f.

    python -m benchmarks.evaluations            # n = 10, 100, 1,000, 10,000 and the 20-64-10 net
    python -m benchmarks.evaluations --quick    # n = 10, 100, 1,000

For each problem: ``check_gradient`` is timed (best of a few runs) and f is wrapped to count its
calls; the figure of merit is check time / (n x the time of one evaluation of f), measured side
by side in the same run, with f complex-safe (the complex step: one complex evaluation per
coordinate) and with f wrapped in ``float()`` (not complex-safe: differences only).  The problems:
``sum(sin(x) exp(0.3 x)) + x.x / 2`` of n coordinates (a well-conditioned f); the notebook's 2-4-1
network (m = 3, 17 parameters) with its cost written with ``np.log`` (complex-safe) and with
``np.logaddexp`` (the stable form, which rejects complex input); a relu 50-80-10 network (4,890
parameters, m = 64, weights scaled by 1/sqrt(fan-in)); and the notebook's saturated 20-64-10
network (1,994 parameters, a noisy cost).  The column "in f" is the share of the check's time
spent inside f (the rest is refnet's own Python and NumPy).  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from refnet.check import check_gradient
from refnet.examples import notebook_style_network


def smooth(x):
    return np.sum(np.sin(x) * np.exp(0.3 * x)) + 0.5 * np.sum(x * x)


def smooth_grad(x):
    return (np.cos(x) + 0.3 * np.sin(x)) * np.exp(0.3 * x) + x


def _counted(f):
    calls = [0]

    def g(x):
        calls[0] += 1
        return f(x)

    return g, calls


def _time_f(f, x, repeat=200):
    best = np.inf
    for _ in range(5):
        t = time.perf_counter()
        for _ in range(repeat):
            f(x)
        best = min(best, (time.perf_counter() - t) / repeat)
    return best


def _timed(f):
    spent = [0.0]

    def g(x):
        t = time.perf_counter()
        try:
            return f(x)
        finally:
            spent[0] += time.perf_counter() - t

    return g, spent


def measure(name, f, grad, x, n, runs=3):
    g, calls = _counted(f)
    best, report = np.inf, None
    for _ in range(runs):
        calls[0] = 0
        t = time.perf_counter()
        report = check_gradient(g, grad, x)
        best = min(best, time.perf_counter() - t)
    t_f = _time_f(f, x, repeat=max(5, 2000 // max(n, 1)))
    h, spent = _timed(f)  # one more run: the share of its time inside f
    t = time.perf_counter()
    check_gradient(h, grad, x)
    share = spent[0] / (time.perf_counter() - t)
    return {"problem": name, "n": n, "evaluations": calls[0], "per_coordinate": calls[0] / n,
            "seconds": best, "ratio": best / (n * t_f), "in_f": share,
            "verdict": report.verdict}


def notebook_241():
    """The notebook's 2-4-1 network (m = 3): ``(P, log cost, logaddexp cost, grad)``."""
    X, Y, P, cost, grad = notebook_style_network(0, 2, 4, 1, 3)

    def cost_logaddexp(p):
        Z2 = p["W2"] @ np.tanh(p["W1"] @ X + p["b1"]) + p["b2"]
        return np.sum(Y * np.logaddexp(0.0, -Z2) + (1 - Y) * np.logaddexp(0.0, Z2)) / 3

    return P, cost, cost_logaddexp, grad


FAST_PATH_TARGET = 3.0  # check / (n f) where every element is accepted by one evaluation pair
OVERALL_TARGET = 15.0  # check / (n f) on the saturated network, Richardson and all


def measure_all(quick=False):
    """Every problem of the module docstring (without the relu and 20-64-10 networks, and n only
    up to 1,000, when ``quick``); one dict per row."""
    rows = []
    sizes = (10, 100, 1000) if quick else (10, 100, 1000, 10000)
    for n in sizes:
        x = np.random.default_rng(n).standard_normal(n)
        rows.append(measure("smooth, complex-safe", smooth, smooth_grad, x, n))
        rows.append(measure("smooth, float() (differences)", lambda x: float(smooth(x)),
                            smooth_grad, x, n, runs=1 if n >= 10000 else 3))
    P, cost, cost_lae, grad = notebook_241()
    rows.append(measure("notebook 2-4-1, log cost (complex-safe)", cost, grad, P, 17, runs=20))
    rows.append(measure("notebook 2-4-1, logaddexp cost (differences)", cost_lae, grad, P, 17,
                        runs=20))
    if not quick:
        _, _, P, cost, grad = notebook_style_network(0, 50, 80, 10, 64, hidden="relu",
                                                     scaled=True)
        rows.append(measure("relu 50-80-10, np.maximum (complex-safe)", cost, grad, P, 4890,
                            runs=1))
        rows.append(measure("relu 50-80-10, float() (differences)", lambda p: float(cost(p)),
                            grad, P, 4890, runs=1))
        _, _, P, cost, grad = notebook_style_network(0)
        n = sum(v.size for v in P.values())
        rows.append(measure("notebook 20-64-10, complex-safe", cost, grad, P, n, runs=1))
    return rows


def table(rows) -> str:
    """The rows as a Markdown table."""
    out = ["| problem | n | evaluations of f | per coordinate | check (s) | check / (n f) "
           "| in f | verdict |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r['problem']} | {r['n']} | {r['evaluations']} | "
                   f"{r['per_coordinate']:.2f} | {r['seconds']:.4f} | {r['ratio']:.2f} | "
                   f"{r['in_f']:.0%} | {r['verdict']} |")
    return "\n".join(out)


def per_call_overhead():
    """refnet's own time per evaluation of f in the stencil loop of a non-vectorised check, for
    the 17-parameter notebook network: the loop around an f that returns at once (building the
    argument as views of one buffer, the error guard, reading the result), against the time of
    the logaddexp cost alone.  Returns microseconds: ``(loop, f alone, loop around f)``."""
    from refnet.checking.flatten import flatten
    from refnet.checking.problems import scalar_problem

    P, _, cost_lae, _ = notebook_241()
    v, lay = flatten(P)
    idx, t = np.arange(v.size), np.full(v.size, 2.0**-17)

    def empty(p):
        return 0.0

    bare = scalar_problem(empty, lay, v, np.zeros(1))
    loop = _time_f(lambda _: bare.shift(idx, t), None, repeat=50) / v.size
    prob = scalar_problem(cost_lae, lay, v, np.array([cost_lae(P)]))
    around = _time_f(lambda _: prob.shift(idx, t), None, repeat=50) / v.size
    alone = _time_f(cost_lae, P, repeat=2000)
    return 1e6 * loop, 1e6 * alone, 1e6 * around


def overhead_text(us) -> str:
    loop, alone, around = us
    return (f"refnet's own work per evaluation of f (17-parameter notebook network, not "
            f"vectorised): {loop:.2f} µs, {loop / alone:.1%} of one evaluation of the logaddexp "
            f"cost ({alone:.1f} µs alone, {around:.1f} µs through the loop).")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="n up to 1,000, no network")
    args = ap.parse_args(argv)
    rows = measure_all(args.quick)
    print(table(rows))
    print()
    print(overhead_text(per_call_overhead()))
    return rows


if __name__ == "__main__":
    main()
