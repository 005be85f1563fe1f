"""Three gradient checkers on the catalogue of hand-written NumPy gradients.

    python -m benchmarks.compare_checkers            # every case of benchmarks/catalogue.py
    python -m benchmarks.compare_checkers --quick    # without the large cases

Each case (``f``, hand-written ``grad``, a point ``x``) goes through:

- ``refnet``: ``refnet.check.check_gradient(f, grad, x)`` with its default options.  The verdict is
  the headline of the report's first line (``OK`` / ``INCONCLUSIVE`` / ``MISMATCH`` / ``ERROR``):
  OK with ``report.ok`` is a pass, MISMATCH a fail, anything else inconclusive.
- ``torch``: ``torch.autograd.gradcheck`` in float64, default mode and ``fast_mode=True``, on a
  ``torch.autograd.Function`` whose forward calls the NumPy ``f`` and whose backward returns
  ``grad_output * grad(x)``, one input tensor per array of ``x``.  ``True`` is a pass, a
  ``GradcheckError`` a fail, any other exception inconclusive.
- ``jax``: ``jax.test_util.check_grads(F, (x,), order=1, modes=("rev",))`` where ``F`` is a
  ``jax.custom_vjp`` whose primal calls the NumPy ``f`` through ``jax.pure_callback`` and whose
  backward calls the NumPy ``grad`` the same way.  This is the faithful construction: the
  finite differences that check_grads takes are differences of the user's own NumPy ``f``, with
  its rounding (``log(1 + exp(z))``, ``log(1 - A)``), exactly what refnet and torch difference.
  Putting the hand-written ``grad`` under the catalogue's ``f_jax`` instead would check it
  against a different, stable function the user never wrote.  ``None`` is a pass, an
  ``AssertionError`` a fail, any other exception inconclusive.

The truth is not any checker's: ``benchmarks.catalogue.truth_label`` compares ``grad(x)`` with
``jax.grad(f_jax)(x)`` in float64 (mpmath for the elementwise lossy cases, where jax's own
derivative rounds), and the label (correct / lossy / bug) must agree with it.

Writes ``benchmarks/results/catalogue.json`` (every verdict, the first line of refnet's report, each
tool's message, wall time per check, after one untimed warm-up call per tool) and prints a Markdown
confusion matrix per tool (rows: the truth; columns: pass / fail / inconclusive), also written to
``benchmarks/results/catalogue.md``.  Times are wall seconds of one check, on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from benchmarks.adapters import jax_function, torch_function
from benchmarks.catalogue import (
    CASES,
    CATEGORIES,
    truth,
    truth_error,
    truth_label,
)
from refnet.check import check_gradient

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
TOOLS = ("refnet", "torch", "torch_fast", "jax")
TOOL_TITLES = {"refnet": "refnet check_gradient", "torch": "torch gradcheck (default)",
               "torch_fast": "torch gradcheck (fast_mode=True)",
               "jax": "jax check_grads (order=1, rev)"}
VERDICTS = ("pass", "fail", "inconclusive")


# ---------------------------------------------------------------------------------------------
# the three checkers


def run_refnet(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the user's f may warn; the report is what we judge
        r = check_gradient(case.f, case.grad, case.x)
    first = str(r).splitlines()[0]
    m = re.search(r":\s*([A-Z]+)\b", first)
    head = m.group(1) if m else first.split()[0]
    verdict = "pass" if (r.ok and head == "OK") else "fail" if head == "MISMATCH" else \
        "inconclusive"
    return verdict, {"headline": head, "first_line": first, "ok": bool(r.ok),
                     "counts": dict(r.counts), "error": r.error}


def run_torch(case, fast_mode):
    import torch
    from torch.autograd.gradcheck import GradcheckError

    # the case as a torch.autograd.Function: forward the NumPy f, backward grad_output · grad
    apply, inputs = torch_function(case)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ok = torch.autograd.gradcheck(apply, inputs, fast_mode=fast_mode)
    except GradcheckError as exc:
        return "fail", {"message": str(exc).splitlines()[0][:300]}
    except Exception as exc:
        return "inconclusive", {"message": f"{type(exc).__name__}: {exc}"[:300]}
    return ("pass" if ok else "fail"), {}


def run_jax(case):
    from jax.test_util import check_grads

    # the case as a jax.custom_vjp calling the NumPy f and grad through jax.pure_callback
    F, (x,) = jax_function(case)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_grads(F, (x,), order=1, modes=("rev",))
    except AssertionError as exc:
        msg = " ".join(str(exc).split())
        return "fail", {"message": msg[:300]}
    except Exception as exc:
        return "inconclusive", {"message": f"{type(exc).__name__}: {exc}"[:300]}
    return "pass", {}


RUNNERS = {"refnet": run_refnet, "torch": lambda c: run_torch(c, False),
           "torch_fast": lambda c: run_torch(c, True), "jax": run_jax}


# ---------------------------------------------------------------------------------------------
# the run and its tables


def run_case(case, tools=TOOLS):
    t = truth(case)
    row = {"name": case.name, "category": case.category, "description": case.description,
           "large": case.large, "truth_source": "jax.grad" if case.df_mp is None else "mpmath",
           "truth_error": truth_error(case, t), "truth_label": truth_label(case, t),
           "tools": {}}
    row["label_agrees"] = (row["truth_label"] == "bug") == (case.category == "bug") and \
        row["truth_label"] != "unclear"
    for tool in tools:
        t0 = time.perf_counter()
        verdict, info = RUNNERS[tool](case)
        row["tools"][tool] = {"verdict": verdict, "seconds": time.perf_counter() - t0, **info}
    return row


def wrong(row, tool):
    """A verdict that contradicts the truth: a bug passed, or a correct/lossy gradient failed."""
    v = row["tools"][tool]["verdict"]
    return (row["category"] == "bug" and v == "pass") or (row["category"] != "bug" and v == "fail")


def confusion(rows, tool):
    table = {c: dict.fromkeys(VERDICTS, 0) for c in CATEGORIES}
    for r in rows:
        table[r["category"]][r["tools"][tool]["verdict"]] += 1
    return table


def markdown(rows, tools=TOOLS):
    out = ["# Gradient checkers on the catalogue of hand-written NumPy gradients", ""]
    n = {c: sum(r["category"] == c for r in rows) for c in CATEGORIES}
    out.append(f"{len(rows)} cases: " + ", ".join(f"{n[c]} {c}" for c in CATEGORIES) +
               ".  Truth: jax.grad of the JAX twin in float64 (mpmath for elementwise lossy "
               "forms); labels agree with it in "
               f"{sum(r['label_agrees'] for r in rows)}/{len(rows)} cases.")
    out.append("")
    out.append("| truth | n | " + " | ".join(
        f"{t} pass / fail / inc." for t in tools) + " |")
    out.append("|---|---:|" + "---|" * len(tools))
    tables = {t: confusion(rows, t) for t in tools}
    for c in CATEGORIES:
        cells = [" / ".join(str(tables[t][c][v]) for v in VERDICTS) for t in tools]
        out.append(f"| {c} | {n[c]} | " + " | ".join(cells) + " |")
    out.append("")
    out.append("| tool | wrong verdicts | median s / check | max s / check |")
    out.append("|---|---:|---:|---:|")
    for t in tools:
        secs = [r["tools"][t]["seconds"] for r in rows]
        out.append(f"| {TOOL_TITLES[t]} | {sum(wrong(r, t) for r in rows)} | "
                   f"{statistics.median(secs):.4f} | {max(secs):.3f} |")
    out.append("")
    out.append("Wrong verdicts (a bug passed, or a correct/lossy gradient failed):")
    out.append("")
    for t in tools:
        bad = [r for r in rows if wrong(r, t)]
        out.append(f"- **{TOOL_TITLES[t]}** ({len(bad)}): " +
                   (", ".join(f"`{r['name']}` ({r['category']})" for r in bad) or "none"))
    out.append("")
    out.append("refnet's first line where it is wrong or not OK on a correct case:")
    out.append("")
    for r in rows:
        if "refnet" in r["tools"] and (wrong(r, "refnet") or
                                       r["tools"]["refnet"]["verdict"] == "inconclusive"):
            out.append(f"- `{r['name']}` ({r['category']}): `{r['tools']['refnet']['first_line']}`")
    out.append("")
    out.append("| case | truth | err vs truth | " + " | ".join(tools) + " |")
    out.append("|---|---|---:|" + "---|" * len(tools))
    for r in rows:
        cells = []
        for t in tools:
            v = r["tools"][t]["verdict"]
            cells.append(f"**{v}**" if wrong(r, t) else v)
        out.append(f"| {r['name']} | {r['category']} | {r['truth_error']:.1e} | " +
                   " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="leave out the large cases")
    ap.add_argument("--only", nargs="*", help="case names")
    ap.add_argument("--tools", nargs="*", default=list(TOOLS), choices=TOOLS)
    args = ap.parse_args(argv)
    cases = [c for c in CASES if not (args.quick and c.large)]
    if args.only:
        cases = [c for c in cases if c.name in set(args.only)]
    warm = next(c for c in CASES if c.name == "sum_squares_at_zero")
    for tool in args.tools:  # imports and first-call set-up are not charged to the first case
        RUNNERS[tool](warm)
    rows = []
    for c in cases:
        row = run_case(c, args.tools)
        rows.append(row)
        print(f"{c.name:40s} {c.category:8s} " + " ".join(
            f"{t}={row['tools'][t]['verdict']}({row['tools'][t]['seconds']:.2f}s)"
            for t in args.tools), file=sys.stderr, flush=True)
    import jax
    import torch

    meta = {"python": platform.python_version(), "numpy": np.__version__,
            "jax": jax.__version__, "torch": torch.__version__, "machine": platform.machine(),
            "quick": args.quick}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "catalogue.json").write_text(json.dumps({"meta": meta, "cases": rows}, indent=1))
    md = markdown(rows, args.tools)
    (RESULTS / "catalogue.md").write_text(md)
    print(md)
    return 0 if all(r["label_agrees"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
