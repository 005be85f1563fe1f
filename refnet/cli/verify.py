"""``refnet verify``: judge refnet's derivatives with every oracle.

Prints a summary first, one line per function (an activation, softmax, a seeded network): the
points judged, the oracles, the worst margin (error/bound; at most 1 passes), the points passed
by a kink convention or decided by mpmath, and the verdict; then every failing point (where,
value, reference, bound).  ``--detail`` adds the table of every function against every oracle
(:func:`refnet.checking.verify.format_table`); ``--json`` prints all of it as JSON
(``refnet/schema/verify.json``).
"""

from __future__ import annotations

from refnet._json import schema_path
from refnet.cli import (
    activation_names,
    integer_at_least,
    json_text,
    name_type,
    nonneg_int,
    progress,
)

LEGEND = """\
points: values judged per oracle (sample points of an activation, entries of softmax's
  outputs, a network's gradient entries); oracles: independent references compared with it
  (one row each with --detail).
worst margin: the largest |refnet - oracle| / bound over the points judged by the bound, and
  the oracle where it occurs; a point passes when its margin is at most 1.
kink: points (over all oracles) exactly on a kink, passed by the one-sided derivatives (the \
convention there is
  pinned by its own test). mpmath: points where an oracle disagreed and the correctly rounded
  value (mpmath) decided for refnet. Neither enters the worst margin."""


# the defaults: refnet's table of mpmath values (tools/mp_table.py) holds these points
EXAMPLES = 2000
# beyond it the points no longer fit in memory with their oracles' arrays (1e10 asked for
# ~80 GB at once) and mpmath would take days for the ones its table does not hold
MAX_EXAMPLES = 10**6


def _examples(text: str) -> int:
    return integer_at_least(text, 1, f"an integer from 1 to {MAX_EXAMPLES:,}", MAX_EXAMPLES)
SEED = 0


def configure(parser) -> None:
    only = activation_names(extra=("softmax",))
    parser.add_argument("--examples", type=_examples, default=EXAMPLES, metavar="N",
                        help=f"random points per activation (default {EXAMPLES}, at most "
                        f"{MAX_EXAMPLES:,})")
    parser.add_argument("--seed", type=nonneg_int, default=SEED,
                        help=f"seed of the random points (default {SEED})")
    parser.add_argument("--json", action="store_true",
                        help=f"print the summary and every row as JSON; its schema: "
                        f"{schema_path('verify')}")
    parser.add_argument("--detail", action="store_true",
                        help="also print the table of every function against every oracle")
    parser.add_argument("--only", nargs="+", metavar="NAME", choices=only,
                        type=name_type(only, "activation"),
                        help="check only these activations (and/or softmax)")
    parser.add_argument("--networks", type=nonneg_int, default=1, metavar="K",
                        help="seeded networks per hidden activation and output "
                             "(default 1; 0 skips)")


def _jobs(args):
    from refnet.activations import ACTIVATIONS

    names = [n for n in ACTIVATIONS if not args.only or n in args.only]
    jobs = [("activation", n) for n in names]
    if not args.only or "softmax" in args.only:
        jobs.append(("softmax", "softmax"))
    for k in range(args.networks):
        for n in names:
            for out in ("sigmoid", "softmax"):
                jobs.append(("network", (n, out, args.seed * 1000 + k)))
    return jobs


def judge_all(args) -> tuple[list, dict]:
    """Every :class:`~refnet.checking.verify.Result` of the run, with a progress bar, and the
    values mpmath computed at run time per activation (points the shipped table does not hold;
    none at the defaults)."""
    import numpy as np

    from refnet.checking import verify as judge
    from refnet.oracles.mpmath import runtime_counts

    rng = np.random.default_rng(args.seed)
    rows = []
    jobs = _jobs(args)
    points = judge.activation_points(rng, [w for k, w in jobs if k == "activation"],
                                     args.examples)
    with progress(total=len(jobs), desc="verify", unit="function") as bar, \
            runtime_counts() as computed:
        bar.set_postfix_str("compiling the JAX twins")
        judge.compile_twins(activations=bool(points), networks=args.networks > 0)
        for kind, what in jobs:
            bar.set_postfix_str(what if isinstance(what, str) else f"{what[0]}-{what[1]} network")
            if kind == "network":
                rows += judge.judge_network(*what)
            elif kind == "activation":
                rows += judge.judge_activation(what, points[what])
            else:
                for axis in (0, 1, -1):
                    shape = (int(rng.integers(1, 9)), int(rng.integers(1, 9)),
                             int(rng.integers(1, 5)))
                    z = rng.normal(0, 5, shape)
                    rows += judge.judge_softmax(z, axis, rng.normal(size=shape))
            bar.update()
    return rows, dict(computed)


def summarize(rows, computed=None) -> list[dict]:
    """One dict per function, in the order of the rows: points, oracles, the worst margin and
    its oracle, the points passed by a kink convention or by mpmath, failures, the values
    mpmath computed at run time (``computed``: activation -> values; 0 elsewhere), ok."""
    computed = computed or {}
    groups: dict = {}
    for r in rows:
        groups.setdefault((r.section, r.function), []).append(r)
    out = []
    for (section, function), rs in groups.items():
        per_oracle: dict = {}
        for r in rs:
            per_oracle[r.oracle] = per_oracle.get(r.oracle, 0) + r.n
        judged = [r for r in rs if r.margin is not None]
        worst = max(judged, key=lambda r: r.margin, default=None)
        out.append({
            "section": section, "function": function, "points": max(per_oracle.values()),
            "oracles": len(per_oracle), "margin": None if worst is None else worst.margin,
            "margin_oracle": None if worst is None else worst.oracle,
            "by_kink": sum(r.by_kink for r in rs),
            "decided_by_mpmath": sum(r.decided_by_mpmath for r in rs),
            "failures": sum(r.failures for r in rs),
            "mpmath_computed": int(computed.get(function, 0)) if section == "activation" else 0,
            "ok": all(r.ok for r in rs),
        })
    return out


def _table(head, body) -> list[str]:
    widths = [max(len(h), *(len(b[i]) for b in body)) if body else len(h)
              for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    return [line(head), line(["-" * w for w in widths]), *(line(b) for b in body)]


def summary_text(summary) -> str:
    from refnet.checking.verify import format_margin

    head = ("function", "points", "oracles", "worst margin", "kink", "mpmath", "verdict")
    body = []
    for s in summary:
        margin = "-" if s["margin"] is None else \
            f"{format_margin(s['margin'])} ({s['margin_oracle']})"
        body.append((s["function"], str(s["points"]), str(s["oracles"]), margin,
                     str(s["by_kink"]), str(s["decided_by_mpmath"]),
                     "ok" if s["ok"] else f"MISMATCH ({s['failures']} points)"))
    return "\n".join(_table(head, body))


def failures_text(rows) -> str:
    """Every failing point, one line each: function, oracle, where, value, reference, error,
    bound and margin."""
    out = []
    for r in rows:
        for p in r.failed:
            where = f"z = {p['z']!r}" if "z" in p else p["entry"]
            bound = "" if "bound" not in p else f", bound {p['bound']:.3g}"
            margin = "" if "margin" not in p else f" (margin {p['margin']:.3g})"
            out.append(f"{r.function}  {r.oracle}  {where}: value {p['value']!r}, reference "
                       f"{p['reference']!r}, error {p['error']:.3g}{bound}{margin}")
    return "\n".join(out)


def mpmath_line(computed) -> str:
    """What mpmath computed at run time (``computed``: activation -> values), in one line."""
    n = sum(computed.values())
    if not n:
        return "mpmath: every correctly rounded value read from refnet's shipped table"
    where = ", ".join(f"{name} {k}" for name, k in computed.items())
    return (f"mpmath: {n} correctly rounded values computed at run time ({where}): the shipped "
            f"table holds the points of --examples {EXAMPLES} --seed {SEED} without --only")


def run(args) -> int:
    from refnet.checking.verify import format_table

    rows, computed = judge_all(args)
    summary = summarize(rows, computed)
    ok = all(r.ok for r in rows)
    if args.json:
        print(json_text({"ok": ok, "mpmath_computed": sum(computed.values()), "summary": summary,
                         "results": [r.to_dict() for r in rows]}))
        return 0 if ok else 1
    print(summary_text(summary))
    print()
    print(LEGEND)
    if args.detail:
        print()
        print(format_table(rows))
    bad = [r for r in rows if not r.ok]
    if bad:
        print(f"\nFailing points ({sum(r.failures for r in bad)}):")
        print(failures_text(bad))
    print(f"\n{mpmath_line(computed)}")
    n_bad = sum(not s["ok"] for s in summary)
    print(f"\n{len(summary)} functions, {len(rows)} checks: {len(summary) - n_bad} verified, "
          f"{n_bad} mismatched")
    return 0 if ok else 1
