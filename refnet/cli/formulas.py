"""``refnet formulas``: each activation's formulas, where its output form is valid, its kinks,
and its measured accuracy against mpmath (:mod:`refnet.study`).  ``--markdown`` writes the
reference that ``docs/derivatives.md`` holds (regenerate it with ``refnet formulas --markdown -o
docs/derivatives.md``); ``--json`` the measurements (``refnet/schema/formulas.json``).  Exit 1 when
an activation misses its accuracy targets."""

from __future__ import annotations

import sys

from refnet import tolerances as tol
from refnet._json import schema_path
from refnet.cli import (
    activation_names,
    integer_at_least,
    json_text,
    name_type,
    output_file,
    progress,
    write_text,
)

MIN_POINTS = 11


def _points(text: str) -> int:
    return integer_at_least(text, MIN_POINTS, f"at least {MIN_POINTS} points")


def configure(parser) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME",
                        type=name_type(activation_names(), "activation"),
                        help="activations (default: all)")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--markdown", action="store_true", help="write the Markdown reference")
    form.add_argument("--json", action="store_true",
                      help=f"print the measurements as JSON; its schema: "
                        f"{schema_path('formulas')}")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.add_argument("--points", type=_points, default=4801, metavar="N",
                        help="points in the dense part of the sweep (default 4801)")


def _fmt_ulps(s):
    return f"{s['p999']:.0f} / {s['max']:.0f}"


def _fmt_big(x):
    return f"{x:.0f}" if x < 1e6 else f"{x:.1e}"


def _loss_note(lo):
    text = f"half the digits lost from \\|z\\| ≥ {lo['half_from_abs_z']:.3g}"
    if lo["all_from_abs_z"] is not None:
        text += f", every digit from \\|z\\| ≥ {lo['all_from_abs_z']:.3g}"
    else:
        text += f" (worst relative error {lo['worst_rel']:.1e})"
    return text


def _form_note(entry):
    fo = entry["derivative_from_output"]
    if fo is None:
        return "—"
    if fo["loss"] is None:
        return f"within {_fmt_big(fo['max'])} ulps"
    return _loss_note(fo["loss"])


def _jax_note(entry):
    j = entry["jax_nn_grad"]
    if j is None:
        return "—"
    if j["loss"] is None:
        return f"{_fmt_big(j['p999'])} / {_fmt_big(j['max'])} ulps"
    return _loss_note(j["loss"])


def measure(names, points):
    """Formulas, accuracy and step study of each activation, with a progress bar."""
    from refnet import study
    from refnet.oracles.mpmath import runtime_counts

    entries = []
    with progress(total=2 * len(names), desc="formulas", unit="step") as bar:
        for n in names:
            with runtime_counts() as computed:
                bar.set_postfix_str(f"{n} accuracy")
                entry = {"formulas": study.formula_lines(n),
                         "accuracy": study.accuracy(n, dense=points)}
                bar.update()
                bar.set_postfix_str(f"{n} step sizes")
                entry["steps"] = study.step_study(n)
                bar.update()
            entry["mpmath_computed"] = sum(computed.values())
            entries.append(entry)
    return entries


def mpmath_line(entries) -> str:
    """What mpmath computed at run time, in one line (nothing at the default --points)."""
    computed = {e["accuracy"]["name"]: e["mpmath_computed"] for e in entries
                if e["mpmath_computed"]}
    if not computed:
        return "mpmath: every correctly rounded value read from refnet's shipped table"
    where = ", ".join(f"{name} {k}" for name, k in computed.items())
    return (f"mpmath: {sum(computed.values())} correctly rounded values computed at run time "
            f"({where}): the shipped table holds the points of the default --points")


def text_report(entries) -> str:
    out = []
    for e in entries:
        f, a = e["formulas"], e["accuracy"]
        out.append(f"== {a['name']}" + (f"  {f['params']}" if f["params"] else ""))
        out.append(f"  f(z)      {f['forward']}")
        out.append(f"  f'(z)     {f['derivative']}")
        out.append(f"  f''(z)    {f['second_derivative']}")
        if f["derivative_from_output"]:
            out.append(f"  f'(s)     {f['derivative_from_output']}")
        out.append(f"  valid     {f['validity'] or '—'}")
        out.append(f"  kinks     {f['kinks'] or 'none'}")
        out.append(
            f"  ulps vs mpmath (p99.9 / max) over {a['points']} z in "
            f"[{a['range'][0]:g}, {a['range'][1]:g}]: f {_fmt_ulps(a['forward'])}, "
            f"f' {_fmt_ulps(a['derivative'])}, f'' {_fmt_ulps(a['second_derivative'])}"
            + ("" if a["meets_targets"] else "  ** TARGET MISSED **")
        )
        out.append(f"  output form: {_form_note(a).replace(chr(92), '')}")
        out.append(f"  jax.grad(jax.nn.{a['name']}): {_jax_note(a).replace(chr(92), '')}")
        s = e["steps"]
        best = ", ".join(f"{h:.0e}" for h in s["best_step"])
        out.append(f"  best central-difference step at z={s['z']}: {best} "
                   f"(rule ε^(1/3) = {s['rule_step']:.0e})")
        out.append("")
    return "\n".join(out)


def markdown_report(entries) -> str:
    L = []
    L.append("# Derivative formulas: reference and measured accuracy\n")
    L.append("Generated by `refnet formulas --markdown -o docs/derivatives.md`; every figure is "
             "measured against mpmath's correctly rounded values (160 bits). Formulas are read "
             "from the docstrings of the functions in `refnet/activations.py`, so this page "
             "and the code cannot disagree.\n")
    L.append(f"Targets: `derivative` within {tol.DERIVATIVE_ULPS_P999} ulps at the 99.9th "
             f"percentile and never beyond {tol.DERIVATIVE_ULPS_MAX}; `second_derivative` within "
             f"{tol.SECOND_DERIVATIVE_ULPS_P999} and {tol.SECOND_DERIVATIVE_ULPS_MAX}. Sweep: z "
             "dense in [-12, 12] and log-spaced to ±300 ([-40, 40] and ±700 for sigmoid, tanh, "
             "relu, leaky_relu), and log-spaced small magnitudes from ±1e-3 to ±1, kinks "
             "themselves left out.\n")
    L.append("## Accuracy (ulps, p99.9 / max)\n")
    L.append("| activation | f | f′ | f″ | targets | output form f′(s) | `jax.grad(jax.nn.…)` |")
    L.append("|---|---|---|---|---|---|---|")
    for e in entries:
        a = e["accuracy"]
        L.append(f"| {a['name']} | {_fmt_ulps(a['forward'])} | {_fmt_ulps(a['derivative'])} | "
                 f"{_fmt_ulps(a['second_derivative'])} | "
                 f"{'met' if a['meets_targets'] else '**missed**'} | "
                 f"{_form_note(a)} | {_jax_note(a)} |")
    L.append("")
    L.append("## Where the output forms lose accuracy, and why\n")
    L.append("A form written in the output s = f(z) inherits the rounding of s. Where f "
             "saturates, s rounds to its limit (σ to 1 past z ≈ 36.7, tanh to ±1 past "
             "|z| ≈ 19.1), and a form like s(1−s) or 1−t² subtracts two numbers that agree in "
             "every digit: the result is 0, or a few ulps of 1, while the true derivative is "
             "e^−|z|-small. The relative error is then 1 (every digit lost). Forms that only "
             "test the sign of s (relu, leaky relu, hard functions) lose nothing. Where the "
             "output does not determine the derivative (non-monotone functions such as gelu, "
             "silu, mish), there is no output form.\n")
    L.append("## Best central-difference step\n")
    L.append("Error of (f(z+h) − f(z−h))/2h against mpmath, relative, over h from 1e-16 to 1, "
             "at five smooth points per function. The classic rule h ≈ ε^(1/3) ≈ 6e-6 balances "
             "the truncation error h²|f‴|/6 against the rounding error ε|f|/h; it is close to "
             "the best step where |f|, |f′| and |f‴| are of one size, and off where they are "
             "not (in the tails, or where f′ is small next to f).\n")
    L.append("| activation | z | best h | error at best h | error at ε^(1/3) | Richardson "
             "| complex step |")
    L.append("|---|---|---|---|---|---|---|")
    for e in entries:
        s = e["steps"]
        for j, zj in enumerate(s["z"]):
            cs = s["complex_step_error"]
            L.append(f"| {s['name']} | {zj:g} | {s['best_step'][j]:.0e} | "
                     f"{s['best_error'][j]:.1e} | {s['rule_error'][j]:.1e} | "
                     f"{s['richardson_error'][j]:.1e} | "
                     f"{'—' if cs is None else f'{cs[j]:.1e}'} |")
    L.append("")
    L.append("## Formulas\n")
    for e in entries:
        f = e["formulas"]
        name = e["accuracy"]["name"]
        L.append(f"### {name}\n")
        if f["params"]:
            L.append(f"Parameters: `{f['params']}`\n")
        L.append(f"- f(z): {f['forward']}")
        L.append(f"- f′(z): {f['derivative']}")
        L.append(f"- f″(z): {f['second_derivative']}")
        L.append(f"- f′ from the output: {f['derivative_from_output'] or 'none'}")
        if f["validity"]:
            L.append(f"- Validity: {f['validity']}")
        L.append(f"- Kinks: {', '.join(str(k) for k in f['kinks']) or 'none'}")
        L.append("")
    L.append("## The notebook's errata\n")
    L.append("See [errata.md](errata.md) for where the notebook's printout cannot come from its "
             "code, and where its formulas are wrong or fragile.\n")
    return "\n".join(L)


def run(args) -> int:
    if args.output:
        output_file(args.output, "-o")
    names = args.names or activation_names()
    entries = measure(names, args.points)
    if args.json:
        text = json_text(entries, indent=None)
    elif args.markdown:
        text = markdown_report(entries)
    else:
        text = text_report(entries) + "\n" + mpmath_line(entries)
    write_text(text, args.output)
    if (args.json or args.markdown) and any(e["mpmath_computed"] for e in entries):
        print(mpmath_line(entries), file=sys.stderr)
    return 0 if all(e["accuracy"]["meets_targets"] for e in entries) else 1
