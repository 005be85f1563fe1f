"""refnet's speed, side by side with its peers, in one run.

    python -m benchmarks.run            # the full run (several minutes; includes the test suite)
    python -m benchmarks.run --quick    # fewer rounds and examples, no test-suite timing

Writes ``benchmarks/results/latest.json`` and prints a Markdown table (also written to
``benchmarks/results/latest.md``).  Every comparison is timed within one run, the contenders
interleaved round by round, and reported as the median over rounds with ratios of medians: the
machine may be shared, so absolute times move between runs while ratios move much less.

a. time per verified gradient: refnet.check.check_gradient vs jax.test_util.check_grads
   (reverse mode, order 1) vs torch.autograd.gradcheck (default and fast_mode=True), on the same
   networks and seeds, each tool's verdict recorded;
b. batched verification at the notebook's 2-4-1 shape: gradients verified per second;
c. training: refnet.network.train (the reference loop) and refnet.fast.train (the fused step,
   with and without train's one-BLAS-thread limit) per iteration vs the notebook's loop inlined
   vs the JAX twin's jit + lax.scan loop, on the notebook's problem;
d. the test suite's wall time, serially and with ``-n auto`` (and serially with a warm JAX
   compilation cache), against the 60 s target;
e. ``refnet verify`` and ``refnet formulas`` at their defaults, each in a fresh process,
   against their targets (8 s and 4 s);
f. what a check costs: evaluations of f per coordinate and check time / (n · time of one f)
   (``benchmarks.evaluations``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from refnet.examples import notebook_style_network

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def median(xs):
    return float(statistics.median(xs))


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def rounds(contenders, n_rounds):
    """Run each contender once per round, interleaved; returns name -> (list of times, last out)."""
    times = {name: [] for name in contenders}
    outs = {}
    for _ in range(n_rounds):
        for name, fn in contenders.items():
            dt, outs[name] = timed(fn)
            times[name].append(dt)
    return times, outs


# ---------------------------------------------------------------------------------------------
# a. one verified gradient


NETWORKS = [  # (name, n_x, n_h, n_y, m, hidden activation)
    ("2-4-1, m=3", 2, 4, 1, 3, "tanh"),
    ("5-8-3, m=16", 5, 8, 3, 16, "tanh"),
    ("20-64-10, m=256", 20, 64, 10, 256, "tanh"),
    # relu, weights scaled by 1/sqrt(fan-in) (unit variance saturates log(1 - A) to -inf)
    ("relu 50-80-10, m=64", 50, 80, 10, 64, "relu"),
]


def bench_check(n_rounds, big_rounds, log):
    import warnings

    import jax.numpy as jnp
    import torch
    from jax.test_util import check_grads

    import refnet.twin  # noqa: F401  (float64 in JAX)
    from refnet.check import check_gradient

    torch.set_default_dtype(torch.float64)
    out = []
    for name, n_x, n_h, n_y, m, hidden in NETWORKS:
        # unit-variance weights and biases, the cost written the notebook's way
        X, Y, P, cost, grad = notebook_style_network(0, n_x, n_h, n_y, m, hidden=hidden,
                                                     scaled=hidden == "relu")
        Xj, Yj = jnp.asarray(X), jnp.asarray(Y)
        Pj = {k: jnp.asarray(v) for k, v in P.items()}
        Xt, Yt = torch.tensor(X), torch.tensor(Y)
        Pt = [torch.tensor(P[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2")]

        def cost_jax(p, *, Xj=Xj, Yj=Yj, m=m, hidden=hidden):
            Z1 = p["W1"] @ Xj + p["b1"]
            A1 = jnp.tanh(Z1) if hidden == "tanh" else jnp.maximum(Z1, 0)
            A2 = 1 / (1 + jnp.exp(-(p["W2"] @ A1 + p["b2"])))
            return -jnp.sum(Yj * jnp.log(A2) + (1 - Yj) * jnp.log(1 - A2)) / m

        def cost_torch(W1, b1, W2, b2, *, Xt=Xt, Yt=Yt, m=m, hidden=hidden):
            A1 = torch.tanh(W1 @ Xt + b1) if hidden == "tanh" else torch.relu(W1 @ Xt + b1)
            A2 = 1 / (1 + torch.exp(-(W2 @ A1 + b2)))
            return -torch.sum(Yt * torch.log(A2) + (1 - Yt) * torch.log(1 - A2)) / m

        def run_refnet(*, cost=cost, grad=grad, P=P):
            # True for OK, False for MISMATCH, "inconclusive" where it could not decide
            verdict = check_gradient(cost, grad, P).verdict
            return {"OK": True, "MISMATCH": False}.get(verdict, verdict.lower())

        def run_jax(*, Pj=Pj):
            try:
                check_grads(cost_jax, (Pj,), order=1, modes=("rev",))
                return True
            except AssertionError:
                return False

        def run_torch(fast, *, Pt=Pt):
            def go():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return bool(torch.autograd.gradcheck(cost_torch, Pt, fast_mode=fast,
                                                         raise_exception=False))
            return go

        contenders = {"refnet check_gradient": run_refnet, "jax check_grads (rev)": run_jax,
                      "torch gradcheck": run_torch(False),
                      "torch gradcheck fast_mode": run_torch(True)}
        first = {k: timed(fn)[0] for k, fn in contenders.items()}  # a new shape: compile included
        big = sum(v.size for v in P.values()) > 1000
        times, verdicts = rounds(contenders, big_rounds if big else n_rounds)
        med = {k: median(v) for k, v in times.items()}
        base = med["refnet check_gradient"]
        row = dict(network=name, parameters=int(sum(v.size for v in P.values())),
                   rounds=len(times["refnet check_gradient"]), first_call_s=first, median_s=med,
                   ratio_to_refnet={k: v / base for k, v in med.items()}, verdict=verdicts)
        log(f"  {name}: " + ", ".join(f"{k} {v * 1e3:.1f} ms ({_verdict_text(verdicts[k])})"
                                      for k, v in med.items()))
        out.append(row)
    return out


# ---------------------------------------------------------------------------------------------
# b. batched verification


def notebook_problem():
    r = np.random.RandomState(1)
    X = r.randn(2, 3)
    Y = (r.randn(1, 3) > 0).astype(float)
    return X, Y


def bench_batch(n_sets, n_rounds, log):
    from refnet import network as net
    from refnet.check import check_gradient
    from refnet.checking import batch
    from refnet.twin import network as twin

    X, Y = notebook_problem()
    r = np.random.default_rng(0)
    P = {k: r.standard_normal((n_sets,) + s) for k, s in
         (("W1", (4, 2)), ("b1", (4, 1)), ("W2", (1, 4)), ("b2", (1, 1)))}
    compile_s, _ = timed(lambda: twin.gradients_batch(P, X, Y)[1]["W1"].block_until_ready())
    n_loop = max(20, n_sets // 500)

    def one_by_one():  # the public API for one set at a time: check_gradient per seed
        for s in range(n_loop):
            p = {k: v[s] for k, v in P.items()}
            check_gradient(lambda q: net.loss(q, X, Y),
                           lambda q: _grads(net, q, X, Y), p)

    contenders = {
        "NumPy backward_batch": lambda: batch.backward_batch(P, X, Y),
        "jax.vmap(jax.grad(twin))":
            lambda: twin.gradients_batch(P, X, Y)[1]["W1"].block_until_ready(),
        "verify_batch, oracle=twin": lambda: batch.verify_batch(P, X, Y, oracle="twin"),
        "verify_batch, oracle=differences": lambda: batch.verify_batch(P, X, Y),
        "check_gradient, one set at a time": one_by_one,
    }
    times, outs = rounds(contenders, n_rounds)
    rows = {}
    for k, v in times.items():
        n = n_loop if k.startswith("check_gradient") else n_sets
        rows[k] = dict(median_s=median(v), sets=n, per_second=n / median(v))
    for k in ("verify_batch, oracle=twin", "verify_batch, oracle=differences"):
        rep = outs[k]
        rows[k].update(ok=rep.ok, fast=rep.fast, richardson=rep.richardson, failed=len(rep.failed))
    log("  " + ", ".join(f"{k} {v['per_second']:,.0f}/s" for k, v in rows.items()))
    return dict(shape="2-4-1, m=3", sets=n_sets, rounds=n_rounds, twin_compile_s=compile_s,
                rows=rows)


def _grads(net, p, X, Y):
    _, cache = net.forward_propagation(X, p)
    g = net.backward_propagation(p, cache, X, Y)
    return {k: g[f"d{k}"] for k in p}


# ---------------------------------------------------------------------------------------------
# c. training


def minimal_loop(X, Y, P, iterations, lr=0.01):
    """The notebook's NN loop inlined: tanh / sigmoid, dZ2 = A2 - Y, plain updates."""
    W1, b1, W2, b2 = P["W1"], P["b1"], P["W2"], P["b2"]
    m = Y.shape[1]
    costs = np.empty(iterations)
    for i in range(iterations):
        Z1 = np.dot(W1, X) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = 1 / (1 + np.exp(-Z2))
        costs[i] = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m
        dZ2 = A2 - Y
        dW2 = np.dot(dZ2, A1.T) / m
        db2 = np.sum(dZ2, axis=1, keepdims=True) / m
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1 = np.dot(dZ1, X.T) / m
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m
        W1 = W1 - lr * dW1
        b1 = b1 - lr * db1
        W2 = W2 - lr * dW2
        b2 = b2 - lr * db2
    return dict(W1=W1, b1=b1, W2=W2, b2=b2), costs


def _blas_unlimited(fn):
    """``fn`` run with train's one-BLAS-thread limit switched off (the pool at its default)."""
    import contextlib

    import refnet._threads as threads

    def go():
        limit = threads.single_blas_thread
        threads.single_blas_thread = contextlib.nullcontext
        try:
            return fn()
        finally:
            threads.single_blas_thread = limit

    return go


def bench_train(iterations, n_rounds, log):
    import jax

    from refnet import fast
    from refnet import network as net
    from refnet.twin import network as twin

    X, Y = notebook_problem()
    P = net.initialize_parameters((2, 4, 1), seed=2)
    compile_s, _ = timed(lambda: jax.block_until_ready(twin.train(X, Y, P, iterations=iterations)))

    contenders = {
        "minimal loop (notebook inlined)": lambda: minimal_loop(X, Y, P, iterations),
        "refnet.network.train (reference loop)": lambda: net.train(X, Y, 4, parameters=P,
                                                                   iterations=iterations),
        "refnet.fast.train (fused step)": lambda: fast.train(X, Y, 4, parameters=P,
                                                             iterations=iterations),
        "refnet.fast.train, BLAS threads unlimited": _blas_unlimited(
            lambda: fast.train(X, Y, 4, parameters=P, iterations=iterations)),
        "twin.train (jit + lax.scan)": lambda: jax.block_until_ready(
            twin.train(X, Y, P, iterations=iterations)),
    }
    times, outs = rounds(contenders, n_rounds)
    base = median(times["minimal loop (notebook inlined)"])
    rows = {k: dict(median_s=median(v), per_iteration_us=median(v) / iterations * 1e6,
                    ratio_to_minimal=median(v) / base) for k, v in times.items()}
    # the same trajectory: costs agree (the minimal loop's cost is the probability form)
    c_min = outs["minimal loop (notebook inlined)"][1]
    for k in rows:
        c = np.asarray(outs[k][1])
        rows[k]["max_rel_cost_difference_to_minimal"] = float(
            np.max(np.abs(c - c_min) / np.abs(c_min)))
    log("  " + ", ".join(f"{k} {v['per_iteration_us']:.1f} us ({v['ratio_to_minimal']:.2f}x)"
                         for k, v in rows.items()))
    return dict(problem="notebook 2-4-1, m=3, lr=0.01", iterations=iterations, rounds=n_rounds,
                twin_compile_s=compile_s, rows=rows)


# ---------------------------------------------------------------------------------------------
# d. the test suite


SUITE_TARGET_S = 60.0
COMMAND_TARGETS_S = {"verify": 8.0, "formulas": 4.0}


def _run_pytest(extra_args, env_extra, log, name):
    env = {k: v for k, v in os.environ.items() if k != "REFNET_JAX_CACHE"}
    env.update(env_extra)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra_args]
    dt, proc = timed(lambda: subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True,
                                            text=True))
    lines = proc.stdout.strip().splitlines()
    tail = lines[-1] if lines else ""
    failed = [ln.split(" - ")[0][len("FAILED "):] for ln in lines if ln.startswith("FAILED ")]
    log(f"  suite, {name}: {dt:.1f} s ({tail})")
    return dict(wall_s=dt, returncode=proc.returncode, summary=tail, failed=failed,
                command=" ".join(["pytest -q", *extra_args]))


def bench_suite(log):
    """Wall time of ``pytest -q`` in a subprocess, as the README runs it: serially and with
    ``-n auto``, without a persistent JAX cache; then serially with a warm one (a second run at
    the same shapes), for the developer who keeps it."""
    out = {"serial": _run_pytest([], {}, log, "serial"),
           "-n auto": _run_pytest(["-n", "auto"], {}, log, "-n auto")}
    with tempfile.TemporaryDirectory() as cache:
        _run_pytest([], {"REFNET_JAX_CACHE": cache}, log, "filling the JAX cache")
        out["serial, warm JAX cache"] = _run_pytest([], {"REFNET_JAX_CACHE": cache}, log,
                                                    "serial, warm JAX cache")
    return out


# ---------------------------------------------------------------------------------------------
# e. the commands at their defaults


def bench_commands(n_rounds, log):
    """Wall time of ``python -m refnet verify`` and ``formulas`` at their defaults, as a user
    runs them (a fresh process each: imports, compiles and all), median over rounds."""
    cmds = {name: [sys.executable, "-m", "refnet", name] for name in COMMAND_TARGETS_S}
    times = {name: [] for name in cmds}
    codes = {}
    for _ in range(n_rounds):
        for name, cmd in cmds.items():
            dt, proc = timed(lambda cmd=cmd: subprocess.run(cmd, cwd=ROOT, capture_output=True,
                                                            text=True))
            times[name].append(dt)
            codes[name] = proc.returncode
            log(f"  refnet {name}: {dt:.1f} s (exit {proc.returncode})")
    return {name: dict(median_s=median(times[name]), rounds=n_rounds, exit=codes[name],
                       target_s=COMMAND_TARGETS_S[name]) for name in cmds}


# ---------------------------------------------------------------------------------------------
# the table


def markdown(res):
    L = []
    L.append(f"Machine: {res['machine']}.  Command: `{res['command']}`.  Times are medians over "
             "the rounds shown; ratios are ratios of medians from the same run.\n")
    a = res.get("check")
    if a:
        L.append("### a. One verified gradient (tanh or relu / sigmoid network, the notebook's "
                 "cost)\n")
        tools = list(a[0]["median_s"])
        L.append("| network | P | " + " | ".join(tools) + " |")
        L.append("|---|---|" + "---|" * len(tools))
        for row in a:
            cells = []
            for t in tools:
                v = _verdict_text(row["verdict"][t], bold=True)
                cells.append(f"{row['median_s'][t] * 1e3:.1f} ms "
                             f"({row['ratio_to_refnet'][t]:.2f}×), {v}")
            L.append(f"| {row['network']} ({row['rounds']} rounds) | {row['parameters']} | " +
                     " | ".join(cells) + " |")
        L.append("")
        L.append("First call at a new shape (tracing / compilation included): " + "; ".join(
            f"{row['network']}: check_grads {row['first_call_s']['jax check_grads (rev)']:.2f} s, "
            f"refnet {row['first_call_s']['refnet check_gradient']:.2f} s" for row in a) + ".\n")
    b = res.get("batch")
    if b:
        L.append(f"### b. Batched verification, {b['shape']}, {b['sets']:,} parameter sets "
                 f"({b['rounds']} rounds)\n")
        L.append("| what | sets / s | verdict |")
        L.append("|---|---|---|")
        for k, v in b["rows"].items():
            verdict = ""
            if "ok" in v:
                verdict = (f"{'ok' if v['ok'] else 'FAIL'}: {v['fast']:,} by the fast pass, "
                           f"{v['richardson']} by Richardson")
            L.append(f"| {k} | {v['per_second']:,.0f} | {verdict} |")
        L.append(f"\nThe twin's compile at this shape: {b['twin_compile_s']:.2f} s "
                 "(not in the rates).\n")
    c = res.get("train")
    if c:
        L.append(f"### c. Training, {c['problem']}, {c['iterations']:,} iterations "
                 f"({c['rounds']} rounds)\n")
        L.append("| loop | µs / iteration | × minimal loop |")
        L.append("|---|---|---|")
        for k, v in c["rows"].items():
            L.append(f"| {k} | {v['per_iteration_us']:.1f} | {v['ratio_to_minimal']:.2f} |")
        L.append(f"\nThe twin's compile: {c['twin_compile_s']:.2f} s (not in the rates).\n")
    d = res.get("suite")
    if d:
        L.append("### d. Test suite wall time (one run each, no JAX cache unless said)\n")
        L.append(f"| run | wall time | × target ({SUITE_TARGET_S:.0f} s) | result |")
        L.append("|---|---|---|---|")
        for k, v in d.items():
            L.append(f"| `{v.get('command', k)}`{'' if k in ('serial', '-n auto') else ', ' + k}"
                     f" | {v['wall_s']:.1f} s | {v['wall_s'] / SUITE_TARGET_S:.2f} "
                     f"| {v['summary']} |")
        failed = sorted({t for v in d.values() for t in v.get("failed", [])})
        if failed:
            L.append("\nFailing tests in these runs: " + ", ".join(f"`{t}`" for t in failed) + ".")
        L.append("")
    e = res.get("commands")
    if e:
        L.append("### e. Commands at their defaults (a fresh process each)\n")
        L.append("| command | wall time | target | × target | exit |")
        L.append("|---|---|---|---|---|")
        for k, v in e.items():
            L.append(f"| `refnet {k}` ({v['rounds']} rounds) | {v['median_s']:.1f} s | "
                     f"{v['target_s']:.0f} s | {v['median_s'] / v['target_s']:.2f} | {v['exit']} |")
        L.append("")
    f = res.get("evaluations")
    if f:
        from benchmarks import evaluations

        L.append("### f. What a check costs (f called through a counter; check time over n "
                 "evaluations of f, in the same run)\n")
        L.append(evaluations.table(f))
        L.append(f"\nTargets: check / (n f) at most {evaluations.FAST_PATH_TARGET:.0f} where "
                 "every element is accepted by the complex step or one central difference, at "
                 f"most {evaluations.OVERALL_TARGET:.0f} on the saturated 20-64-10 network.\n")
        if "per_call_overhead_us" in res:
            L.append(evaluations.overhead_text(res["per_call_overhead_us"]) +
                     " Target: below 10 %.\n")
    return "\n".join(L)


def _verdict_text(v, bold=False):
    """ok for True, fails for False, else the verdict's own word (refnet's inconclusive)."""
    if v is True:
        return "ok"
    if v is False:
        return "**fails**" if bold else "FAIL"
    return str(v)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and examples; no suite")
    ap.add_argument("--only", nargs="+", choices=["check", "batch", "train", "suite", "commands",
                                                   "evaluations"],
                    help="run only these parts")
    ap.add_argument("--suite", action="store_true", help="time the test suite even with --quick")
    ap.add_argument("--out", default=str(RESULTS / "latest.json"))
    args = ap.parse_args(argv)
    parts = set(args.only or ["check", "batch", "train", "suite", "commands", "evaluations"])
    if args.quick and not args.suite and not args.only:
        parts.discard("suite")
    q = args.quick

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    res = dict(command="python -m benchmarks.run" + (" --quick" if q else ""),
               machine=f"{platform.machine()}, {os.cpu_count()} cores, Python "
                       f"{platform.python_version()}, NumPy {np.__version__}",
               started=time.strftime("%Y-%m-%d %H:%M:%S"))
    if "check" in parts:
        log("a. one verified gradient")
        res["check"] = bench_check(n_rounds=3 if q else 7, big_rounds=1 if q else 3, log=log)
    if "batch" in parts:
        log("b. batched verification")
        res["batch"] = bench_batch(n_sets=5_000 if q else 20_000, n_rounds=3 if q else 7, log=log)
    if "train" in parts:
        log("c. training")
        res["train"] = bench_train(iterations=500 if q else 2_000, n_rounds=5 if q else 11, log=log)
    if "suite" in parts:
        log("d. test suite")
        res["suite"] = bench_suite(log)
    if "commands" in parts:
        log("e. commands")
        res["commands"] = bench_commands(n_rounds=1 if q else 3, log=log)
    if "evaluations" in parts:
        log("f. what a check costs")
        from benchmarks import evaluations

        res["evaluations"] = evaluations.measure_all(quick=q)
        res["per_call_overhead_us"] = evaluations.per_call_overhead()
    import jax
    import torch

    res["machine"] += (f", JAX {jax.__version__} ({jax.default_backend()}), "
                       f"torch {torch.__version__}")
    table = markdown(res)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2))
    out.with_suffix(".md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
