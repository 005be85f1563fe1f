"""refnet.torch.gradcheck and torch.autograd.gradcheck on low-precision backwards.

    python -m benchmarks.low_precision                 # float32, float16, bfloat16; 5 seeds
    python -m benchmarks.low_precision --seeds 2 --json out.json

A catalogue of torch code as its users write it, run in float32, float16 and bfloat16: torch's
own functions (their backwards are right), hand-written ``autograd.Function`` backwards that
are right, one that is right but loses digits where its output saturates (σ' as s(1-s): lossy,
to pass), and planted bugs of the sizes the dtypes must still show (1e-4 relative in float32,
1e-2 in float16 and bfloat16, one element ×1.01, a missing term).  Each case and seed draws
its point with ``seed``; both tools see the same tensors.  A verdict is a pass (True), a fail
(False, or the tool's GradcheckError) or inconclusive (any other exception: refnet's
NotImplementedError for a check it cannot make, torch's refusals).  The truth is the case's
label, by construction.

To compare with an earlier refnet, run the same command with ``PYTHONPATH`` pointing at that
checkout (its refnet is imported; this file's catalogue stays the same).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings

import numpy as np
import torch

import refnet
from refnet.torch import gradcheck as refnet_gradcheck

F = torch.nn.functional
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
BUG = {"float32": 1e-4, "float16": 1e-2, "bfloat16": 1e-2}  # the size each dtype must show


def _function(forward, backward):
    """An autograd.Function from ``forward(x) -> y`` and ``backward(x, y, g) -> dx``."""

    class Fn(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = forward(x)
            ctx.save_for_backward(x, y)
            return y

        @staticmethod
        def backward(ctx, g):
            x, y = ctx.saved_tensors
            return backward(x, y, g)

    return Fn.apply


def _layer_norm_backward(x, y, g, missing=False):
    """dx of y = (x - mean) / std over the last axis (no affine): (g - mean g - y mean(g y)) /
    std; ``missing`` drops the mean(g y) term (a classic slip)."""
    mu = x.mean(-1, keepdim=True)
    std = ((x - mu) ** 2).mean(-1, keepdim=True).add(1e-5).sqrt()
    term = 0 if missing else y * (g * y).mean(-1, keepdim=True)
    return (g - g.mean(-1, keepdim=True) - term) / std


def _layer_norm(x):
    return F.layer_norm(x, x.shape[-1:], eps=1e-5)


def _gelu_tanh_backward(x, y, g, one=None):
    c = 0.7978845608028654
    u = c * (x + 0.044715 * x ** 3)
    t = torch.tanh(u)
    d = 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c * (1 + 3 * 0.044715 * x * x)
    if one is not None:
        d = d.clone()
        d.view(-1)[0] *= one
    return g * d


def cases(dtype_name):
    """``(name, truth, f, shape)``: f a function of one tensor."""
    rel = BUG[dtype_name]
    softplus = lambda rel_: _function(F.softplus,
                                      lambda x, y, g: g * torch.sigmoid(x) * (1 + rel_))
    W = np.random.default_rng(1).standard_normal((6, 4)) / 2
    return [
        ("torch.tanh", "correct", torch.tanh, (16,)),
        ("torch gelu", "correct", F.gelu, (16,)),
        ("torch silu", "correct", F.silu, (16,)),
        ("torch softmax", "correct", lambda x: torch.softmax(x, 0), (8,)),
        ("torch log_softmax", "correct", lambda x: torch.log_softmax(x, 0), (8,)),
        ("torch layer_norm", "correct", _layer_norm, (3, 6)),
        ("torch logsumexp", "correct", lambda x: torch.logsumexp(x, 0), (8,)),
        ("tanh MLP", "correct",
         lambda x: torch.tanh(x @ torch.as_tensor(W, dtype=x.dtype)).sum(0), (5, 6)),
        ("softplus Function", "correct", softplus(0.0), (16,)),
        ("gelu_tanh Function", "correct",
         _function(lambda x: F.gelu(x, approximate="tanh"), _gelu_tanh_backward), (16,)),
        ("layer_norm Function", "correct", _function(_layer_norm, _layer_norm_backward), (3, 6)),
        ("sigmoid as s(1-s)", "lossy",
         _function(torch.sigmoid, lambda x, y, g: g * y * (1 - y)), (16,)),
        (f"softplus Function, {rel:g} relative", "bug", softplus(rel), (16,)),
        ("gelu_tanh Function, one element x1.01", "bug",
         _function(lambda x: F.gelu(x, approximate="tanh"),
                   lambda x, y, g: _gelu_tanh_backward(x, y, g, one=1.01)), (16,)),
        ("layer_norm Function, a term missing", "bug",
         _function(_layer_norm, lambda x, y, g: _layer_norm_backward(x, y, g, missing=True)),
         (3, 6)),
    ]


def _verdict(tool, f, x):
    t0 = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's "not double precision"; refnet's notes
            ok = tool(f, (x,), raise_exception=False)
        verdict = "pass" if ok else "fail"
        why = ""
    except Exception as exc:  # a refusal: neither a pass nor a fail
        verdict, why = "inconclusive", f"{type(exc).__name__}: {str(exc)[:120]}"
    return verdict, time.perf_counter() - t0, why


TOOLS = {"refnet": refnet_gradcheck, "torch": torch.autograd.gradcheck}


def run(seeds: int):
    rows = []
    for dname, dtype in DTYPES.items():
        for name, truth, f, shape in cases(dname):
            for seed in range(seeds):
                base = np.random.default_rng(seed).uniform(-3, 3, shape)
                for tool, check in TOOLS.items():
                    x = torch.tensor(base, dtype=dtype, requires_grad=True)
                    verdict, seconds, why = _verdict(check, f, x)
                    rows.append({"dtype": dname, "case": name, "truth": truth, "seed": seed,
                                 "tool": tool, "verdict": verdict, "seconds": seconds,
                                 "why": why})
    return rows


def table(rows) -> str:
    """Per dtype and truth: each tool's pass / fail / inconclusive; and its wrong verdicts (a
    fail of correct or lossy code, a pass of a bug)."""
    out = ["| dtype | truth | checks | " + " | ".join(f"{t} pass/fail/inc" for t in TOOLS)
           + " |", "|---|---|---|" + "---|" * len(TOOLS)]
    for dname in DTYPES:
        for truth in ("correct", "lossy", "bug"):
            sel = [r for r in rows if r["dtype"] == dname and r["truth"] == truth]
            if not sel:
                continue
            cells = []
            for tool in TOOLS:
                mine = [r["verdict"] for r in sel if r["tool"] == tool]
                cells.append("/".join(str(mine.count(v)) for v in ("pass", "fail", "inconclusive")))
            out.append(f"| {dname} | {truth} | {len(sel) // len(TOOLS)} | " + " | ".join(cells)
                       + " |")
    wrong = {t: sum(1 for r in rows if r["tool"] == t and (
        (r["truth"] == "bug" and r["verdict"] == "pass")
        or (r["truth"] != "bug" and r["verdict"] == "fail"))) for t in TOOLS}
    out.append("")
    out.append("Wrong verdicts (a bug passed, or correct code failed): " + ", ".join(
        f"{t} {n} of {sum(1 for r in rows if r['tool'] == t)}" for t, n in wrong.items()))
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", metavar="PATH", help="write every verdict here")
    args = parser.parse_args(argv)
    rows = run(args.seeds)
    print(f"refnet from {refnet.__file__}, torch {torch.__version__}")
    print(table(rows))
    for r in rows:
        wrong = (r["truth"] == "bug") == (r["verdict"] == "pass")
        if wrong and r["verdict"] != "inconclusive" and r["seed"] == 0:
            print(f"  wrong: {r['tool']} {r['dtype']} {r['case']}: {r['verdict']}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
