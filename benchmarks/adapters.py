"""refnet's framework adapters against the originals, side by side.

    python -m benchmarks.adapters            # prints a Markdown table
    python -m benchmarks.adapters --json out.json

Each case of :mod:`benchmarks.catalogue` named in ``CASES`` becomes, as in
:mod:`benchmarks.compare_checkers`, a ``torch.autograd.Function`` (forward: the NumPy ``f``;
backward: ``grad_output * grad(x)``) and a ``jax.custom_vjp`` (the NumPy ``f`` and ``grad``
through ``jax.pure_callback``), and the same object goes through

- ``torch.autograd.gradcheck`` and ``refnet.torch.gradcheck`` (the same call, one import
  changed);
- ``jax.test_util.check_grads(F, (x,), order=1, modes=("rev",))`` and
  ``refnet.jax.check_grads`` (the same call, one import changed).

A verdict is "pass" (True / None), "fail" (the checker's exception) or "error" (anything
else).  The truth is the catalogue's category (from ``jax.grad`` of the twin, not any
checker).  The last row is the 784-128-10 network of :func:`refnet.examples.mnist_sized_network`
through ``check_gradient(..., sample=200)`` (refnet only: the originals perturb all 101,770
parameters).  Times are wall seconds of one check after one untimed warm-up, on a shared
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from benchmarks.catalogue import by_name

CASES = ("mlp_tanh_sigmoid", "relu_at_kink", "maxpool_first_max",
         "notebook_saturated_20_64_10", "one_element_1e-6_off", "cross_entropy_sign")


def _keys(x):
    return list(x) if isinstance(x, dict) else None


def _parts(x, keys):
    return [np.asarray(x[k], dtype=np.float64) for k in keys] if keys else \
        [np.asarray(x, dtype=np.float64)]


def _join(keys, parts):
    return dict(zip(keys, parts, strict=True)) if keys else parts[0]


def torch_function(case):
    """``(apply, inputs)``: the case as a torch.autograd.Function with the hand-written
    gradient as its backward."""
    import torch

    keys = _keys(case.x)

    class Case(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *ts):
            ctx.save_for_backward(*ts)
            return torch.tensor(float(case.f(_join(keys, [t.detach().numpy().copy()
                                                           for t in ts]))), dtype=torch.float64)

        @staticmethod
        def backward(ctx, go):
            g = case.grad(_join(keys, [t.detach().numpy().copy() for t in ctx.saved_tensors]))
            return tuple(go * torch.from_numpy(np.array(a)) for a in _parts(g, keys))

    inputs = tuple(torch.tensor(a, requires_grad=True) for a in _parts(case.x, keys))
    return Case.apply, inputs


def jax_function(case):
    """``(F, args)``: the case as a jax.custom_vjp calling the NumPy f and grad."""
    import jax
    import jax.numpy as jnp

    keys = _keys(case.x)
    shapes = jax.tree.map(lambda a: jax.ShapeDtypeStruct(np.shape(a), jnp.float64), case.x)
    scalar = jax.ShapeDtypeStruct((), jnp.float64)

    def f_cb(x):
        return np.asarray(case.f(_join(keys, _parts(x, keys))), dtype=np.float64)

    def grad_cb(x):
        g = case.grad(_join(keys, _parts(x, keys)))
        return _join(keys, _parts(g, keys))

    @jax.custom_vjp
    def F(x):
        return jax.pure_callback(f_cb, scalar, x)

    def fwd(x):
        return F(x), x

    def bwd(x, ct):
        return (jax.tree.map(lambda a: ct * a, jax.pure_callback(grad_cb, shapes, x)),)

    F.defvjp(fwd, bwd)
    return F, (jax.tree.map(lambda a: jnp.asarray(a, dtype=jnp.float64), case.x),)


def _run(call, fail_types):
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = call()
        verdict = "pass" if out in (True, None) else "fail"
    except fail_types as exc:
        # refnet's exceptions carry the report: an INCONCLUSIVE one raises too (it is not a
        # pass), but it is not a claim that the gradient is wrong
        report = getattr(exc, "report", None)
        verdict = "inconclusive" if report is not None and report.verdict == "INCONCLUSIVE" \
            else "fail"
    except Exception as exc:
        verdict = f"error ({type(exc).__name__})"
    return verdict, time.perf_counter() - t0


def run_case(case):
    import jax.test_util
    import torch

    from refnet import jax as rjax
    from refnet import torch as rtorch

    fn, inputs = torch_function(case)
    F, args = jax_function(case)
    tools = {
        "torch gradcheck": (lambda: torch.autograd.gradcheck(fn, inputs), RuntimeError),
        "refnet.torch.gradcheck": (lambda: rtorch.gradcheck(fn, inputs), RuntimeError),
        "jax check_grads": (lambda: jax.test_util.check_grads(F, args, 1, modes=("rev",)),
                            AssertionError),
        "refnet.jax.check_grads": (lambda: rjax.check_grads(F, args, 1, modes=("rev",)),
                                   AssertionError),
    }
    row = {"case": case.name, "truth": case.category, "tools": {}}
    for name, (call, fails) in tools.items():
        _run(call, fails)  # warm-up: tracing, compilation
        verdict, seconds = _run(call, fails)
        row["tools"][name] = {"verdict": verdict, "seconds": seconds}
    return row


def sampled_row():
    from refnet.check import check_gradient
    from refnet.examples import mnist_sized_network

    _, _, P, cost, grad = mnist_sized_network()
    row = {"case": "784-128-10 network, sample=200 (101,770 parameters)", "truth": "correct",
           "tools": {}}
    wrong_grad = lambda p: dict(grad(p), W2=grad(p)["W2"] * 1.01)
    for label, g in (("", grad), (" (W2 x 1.01)", wrong_grad)):
        t0 = time.perf_counter()
        r = check_gradient(cost, g, P, sample=200)
        row["tools"][f"refnet sample=200{label}"] = {
            "verdict": "pass" if r.ok else "fail", "seconds": time.perf_counter() - t0}
    return row


def markdown(rows) -> str:
    tools = ["torch gradcheck", "refnet.torch.gradcheck", "jax check_grads",
             "refnet.jax.check_grads"]
    out = ["| case | truth | " + " | ".join(tools) + " |", "|---|---|" + "---|" * len(tools)]
    for r in rows:
        if set(r["tools"]) != set(tools):
            continue
        cells = []
        for t in tools:
            v = r["tools"][t]
            wrong = (r["truth"] == "bug" and v["verdict"] == "pass") or \
                (r["truth"] != "bug" and v["verdict"] == "fail")
            text = f"{v['verdict']}, {v['seconds'] * 1e3:.0f} ms"
            cells.append(f"**{text}**" if wrong else text)
        out.append(f"| {r['case']} | {r['truth']} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("Bold: the verdict contradicts the truth "
               "(a bug passed, or a right gradient failed).")
    for r in rows:
        if set(r["tools"]) == set(tools):
            continue
        out.append("")
        out.append(f"{r['case']}: " + "; ".join(
            f"{t}: {v['verdict']}, {v['seconds']:.2f} s" for t, v in r["tools"].items()))
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="FILE", help="also write the rows as JSON")
    parser.add_argument("--second-order", action="store_true",
                        help="only the gradgradcheck table")
    args = parser.parse_args(argv)
    second = second_order_rows()
    if args.second_order:
        print(second_order_markdown(second))
        return 0
    rows = []
    for name in CASES:
        rows.append(run_case(by_name(name)))
        print(f"{name}: done", file=sys.stderr, flush=True)
    rows.append(sampled_row())
    print(markdown(rows))
    print()
    print(second_order_markdown(second))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=2)
    return 0



def second_order_rows():
    """torch.autograd.gradgradcheck against refnet.torch.gradgradcheck on two small functions of
    tensors: a correct one, and a Function whose backward detaches a factor (a wrong double
    backward, the first derivative right)."""
    import torch

    from refnet.torch import GradcheckError, gradgradcheck

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z**3

        @staticmethod
        def backward(ctx, g):
            (z,) = ctx.saved_tensors
            return g * 3 * z * z.detach()  # the detach drops a path of the double backward

    gen = torch.Generator().manual_seed(0)
    W = torch.randn(3, 4, dtype=torch.float64, generator=gen, requires_grad=True)
    x = torch.randn(4, dtype=torch.float64, generator=gen, requires_grad=True)
    z = torch.linspace(0.5, 2, 4, dtype=torch.float64, requires_grad=True)
    cases = [("sin(W x) * sum(x), autograd", "correct", lambda W, x: torch.sin(W @ x) * x.sum(),
              (W, x)),
             ("z**3 with a detached factor in backward", "bug", Cube.apply, (z,))]
    rows = []
    for name, truth, fn, inputs in cases:
        row = {"case": name, "truth": truth, "tools": {}}
        for label, check, fail in (("torch gradgradcheck", torch.autograd.gradgradcheck,
                                    (RuntimeError,)),
                                   ("refnet.torch.gradgradcheck", gradgradcheck,
                                    (GradcheckError,))):
            t0 = time.perf_counter()
            try:
                verdict = "pass" if check(fn, inputs) else "fail"
            except fail:
                verdict = "fail"
            row["tools"][label] = {"verdict": verdict, "seconds": time.perf_counter() - t0}
        rows.append(row)
    return rows


def second_order_markdown(rows) -> str:
    tools = ["torch gradgradcheck", "refnet.torch.gradgradcheck"]
    out = ["| case | truth | " + " | ".join(tools) + " |", "|---|---|" + "---|" * len(tools)]
    for r in rows:
        cells = [f"{r['tools'][t]['verdict']} {r['tools'][t]['seconds'] * 1e3:.0f} ms"
                 for t in tools]
        out.append(f"| {r['case']} | {r['truth']} | " + " | ".join(cells) + " |")
    return "\n".join(out)


if __name__ == "__main__":
    raise SystemExit(main())
