"""The fast modes on the whole catalogue: verdicts against the truth, and their cost.

    python -m benchmarks.fast_modes             # every case of benchmarks.catalogue
    python -m benchmarks.fast_modes --only mlp_relu one_element_1e-6_off

Each case of :mod:`benchmarks.catalogue` becomes a ``torch.autograd.Function`` and a
``jax.custom_vjp`` (as :mod:`benchmarks.adapters` makes them: the NumPy ``f`` forward, the
hand-written ``grad`` backward) and goes through

- ``torch.autograd.gradcheck(..., fast_mode=True)`` and
  ``refnet.torch.gradcheck(..., fast_mode=True)``;
- ``jax.test_util.check_grads(F, (x,), 1, modes=("rev",))`` (a random projection itself) and
  ``refnet.jax.check_grads(..., fast=True)``;
- ``refnet.torch.gradcheck`` at its defaults, the full check, for the verdicts fast mode is to
  keep.

A verdict is wrong where a bug passes or a correct or lossy gradient fails (INCONCLUSIVE is
counted apart: no claim either way).  Times: one check after an untimed warm-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

from benchmarks.adapters import _run, jax_function, torch_function
from benchmarks.catalogue import CASES

TOOLS = ("torch fast_mode", "refnet.torch fast_mode", "jax check_grads",
         "refnet.jax fast", "refnet.torch full")


def run_case(case):
    import jax.test_util
    import torch

    from refnet import jax as rjax
    from refnet import torch as rtorch

    fn, inputs = torch_function(case)
    F, args = jax_function(case)
    calls = {
        "torch fast_mode": (lambda: torch.autograd.gradcheck(fn, inputs, fast_mode=True),
                            RuntimeError),
        "refnet.torch fast_mode": (lambda: rtorch.gradcheck(fn, inputs, fast_mode=True),
                                   RuntimeError),
        "jax check_grads": (lambda: jax.test_util.check_grads(F, args, 1, modes=("rev",)),
                            AssertionError),
        "refnet.jax fast": (lambda: rjax.check_grads(F, args, 1, modes=("rev",), fast=True),
                            AssertionError),
        "refnet.torch full": (lambda: rtorch.gradcheck(fn, inputs), RuntimeError),
    }
    row = {"case": case.name, "truth": case.category, "tools": {}}
    for name, (call, fails) in calls.items():
        _run(call, fails)  # warm-up: tracing, compilation
        verdict, seconds = _run(call, fails)
        row["tools"][name] = {"verdict": verdict, "seconds": seconds}
    return row


def wrong(truth, verdict) -> bool:
    return (truth == "bug" and verdict == "pass") or (truth != "bug" and verdict == "fail") \
        or verdict.startswith("error")


def markdown(rows) -> str:
    out = ["| case | truth | " + " | ".join(TOOLS) + " |", "|---|---|" + "---|" * len(TOOLS)]
    for r in rows:
        cells = []
        for t in TOOLS:
            v = r["tools"][t]
            text = f"{v['verdict']}, {v['seconds'] * 1e3:.0f} ms"
            cells.append(f"**{text}**" if wrong(r["truth"], v["verdict"]) else text)
        out.append(f"| {r['case']} | {r['truth']} | " + " | ".join(cells) + " |")
    out += ["", "| tool | wrong verdicts | inconclusive | median time |", "|---|---|---|---|"]
    for t in TOOLS:
        vs = [(r["truth"], r["tools"][t]) for r in rows]
        times = sorted(v["seconds"] for _, v in vs)
        out.append(f"| {t} | {sum(wrong(tr, v['verdict']) for tr, v in vs)} of {len(vs)} | "
                   f"{sum(v['verdict'] == 'inconclusive' for _, v in vs)} | "
                   f"{times[len(times) // 2] * 1e3:.1f} ms |")
    out += ["", "Bold: the verdict contradicts the truth (a bug passed, a right gradient "
            "failed, or the checker raised something else)."]
    return "\n".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="CASE", help="only these cases")
    args = parser.parse_args(argv)
    rows = []
    for case in CASES:
        if args.only and case.name not in args.only:
            continue
        t0 = time.perf_counter()
        rows.append(run_case(case))
        print(f"{case.name}: {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
