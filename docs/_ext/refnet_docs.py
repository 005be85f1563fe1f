"""The parts of refnet's site generated at build time, and the glue between guide and API.

- ``api/<module>.rst``: one page per public module, listing every name of its ``__all__``
  (autosummary writes a page per name), so a name added to a module gets its page unasked.
- ``api/refnet.tolerances.rst``: every tolerance with its value and the reason written above it
  in ``refnet/tolerances.py`` (the one place the reasons live).
- ``gallery/<activation>.md``: one page per registry activation, with its formulas (read from the
  functions' docstrings), kink convention, the picture of f, f′, f″ and of each formula's error
  against mpmath, the ulps measured at build time, and the frameworks' figures from
  ``frameworks.md``.
- Inline code in the guide that names a public object (```Report```, ```check_vjp```,
  ```CHECK_SCALE_RESOLVE_REL```) links to its API page.
- Docstrings are written to read well in ``help()``: a bar in plain-text math (|z|) is escaped
  for reST, where it would start a substitution.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

# (module, one line on it, the guide page that explains it)
API_MODULES = [
    ("refnet.check", "check a gradient, derivative, Jacobian or product; the Report",
     "checking"),
    ("refnet.testing", "assertions for a user's own test suite", "checking"),
    ("refnet.torch", "drop-in for torch.autograd.gradcheck and gradgradcheck",
     "from-torch-and-jax"),
    ("refnet.jax", "drop-in for jax.test_util.check_grads", "from-torch-and-jax"),
    ("refnet.activations", "the activations, their derivatives and softmax, in NumPy",
     "derivatives"),
    ("refnet.network", "the network: forward pass, cost, backward pass, update, training",
     "training"),
    ("refnet.notebook", "the seed notebook's own names and signatures", "errata"),
    ("refnet.twin.activations", "the activations' JAX twin", "derivatives"),
    ("refnet.twin.network", "the network's JAX twin", "training"),
    ("refnet.examples", "ready-made networks to check", "performance"),
    ("refnet.points", "exactly reproducible points", "vectors"),
]
TOLERANCES = "refnet.tolerances"

_ROOT = Path(__file__).resolve().parents[1]


# --- docstrings ----------------------------------------------------------------------------

_LITERAL = re.compile(r"(``.*?``|`[^`]*`)")


def escape_bars(line: str) -> str:
    """``line`` with each ``|`` outside inline literals and roles escaped (``\\|``)."""
    stripped = line.strip()
    if stripped.startswith(("+-", "+=")) or (stripped.startswith("|") and stripped.endswith("|")
                                             and len(stripped) > 1 and " |" in stripped):
        return line  # a row of a reST grid table
    parts = _LITERAL.split(line)
    return "".join(p if i % 2 else p.replace("|", r"\|") for i, p in enumerate(parts))


def _process_docstring(app, what, name, obj, options, lines):
    lines[:] = [escape_bars(line) for line in lines]


# --- the API pages -------------------------------------------------------------------------


def _title(text: str, under: str = "=") -> str:
    return f"{text}\n{under * len(text)}\n"


def write_api(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for module, _line, guide in API_MODULES:
        names = list(importlib.import_module(module).__all__)
        body = [
            _title(module),
            f".. automodule:: {module}\n   :no-members:\n",
            f"The user guide's page: :doc:`/{guide}`.\n",
            f".. currentmodule:: {module}\n",
            ".. autosummary::\n   :toctree: generated\n\n"
            + "".join(f"   {n}\n" for n in names),
        ]
        _write(out / f"{module}.rst", "\n".join(body))
    _write(out / f"{TOLERANCES}.rst", tolerances_page())


def tolerance_entries(source: str):
    """``(section, name, reason)`` for every top-level assignment of ``refnet/tolerances.py``:
    the reason is the comment block right above the assignment (and a comment on its line), or
    the group's where assignments follow each other under one comment; ``# --- section ---``
    lines head the sections."""
    lines = source.splitlines()
    section, out = "", []
    for node in ast.parse(source).body:
        if not isinstance(node, ast.Assign | ast.AnnAssign):
            continue
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        if not names:
            continue
        above, i = [], node.lineno - 2
        while i >= 0 and lines[i].lstrip().startswith("#"):
            above.insert(0, lines[i].strip().lstrip("#").strip())
            i -= 1
        heads = [a for a in above if a.startswith("---")]
        if heads:
            section = heads[-1].strip("- ").strip()
            above = above[above.index(heads[-1]) + 1:]
        same = lines[node.lineno - 1].split("#", 1)
        if len(same) == 2 and "=" in same[0]:
            above.append(same[1].strip())
        reason = " ".join(a for a in above if a)
        if not reason and out and i == node.lineno - 2 and i >= 0 and lines[i].strip():
            # one of a group of assignments under one comment: the reason is the group's
            first = next(n for s, n, r in reversed(out) if not r.startswith("One of the group"))
            reason = f"One of the group under :data:`{first}`, whose reason covers it."
        out.append((section, names[0], reason))
    return out


def tolerances_page() -> str:
    module = importlib.import_module(TOLERANCES)
    source = Path(module.__file__).read_text()
    body = [_title(TOLERANCES), f".. automodule:: {TOLERANCES}\n   :no-members:\n",
            "Each tolerance with its value and the reason for its size, as written beside it "
            "in ``refnet/tolerances.py``.\n",
            f".. currentmodule:: {TOLERANCES}\n"]
    current = None
    for section, name, reason in tolerance_entries(source):
        if section != current:
            current = section
            body.append(_title(section or "Constants", "-"))
        value = getattr(module, name)
        text = reason if reason.startswith("One of the group") else escape_bars(
            reason or "(no reason is written beside it)")
        body.append(f".. data:: {name}\n   :value: {value!r}\n\n   {text}\n")
    return "\n".join(body)


# --- the gallery ---------------------------------------------------------------------------


def _framework_rows(name: str) -> list[str]:
    """The rows of ``frameworks.md``'s tables for activation ``name``, each under its table's
    heading and header."""
    text = (_ROOT / "frameworks.md").read_text().splitlines()
    out, heading, header = [], None, None
    for i, line in enumerate(text):
        if line.startswith("### "):
            heading, header = line[4:], None
        elif line.startswith("| activation") and i + 1 < len(text):
            header = [line, text[i + 1]]
        elif header and line.startswith(f"| {name} |"):
            if heading:
                out += ["", f"**{heading}**", "", *header]
                heading = None
            out.append(line)
    return out


def _cell(value) -> str:
    return "—" if value is None else str(value).replace("|", "\\|")


def gallery_page(name: str, image: str) -> str:
    from refnet import study
    from refnet.activations import ACTIVATIONS

    act = ACTIVATIONS[name]
    lines = study.formula_lines(name)
    acc = study.accuracy(name)
    mod = "refnet.activations"
    fns = [("f(z)", act.forward, lines["forward"]),
           ("f′(z)", act.derivative, lines["derivative"]),
           ("f″(z)", act.second_derivative, lines["second_derivative"])]
    if act.derivative_from_output is not None:
        fns.append(("f′ from the output s = f(z) (the notebook's form)",
                    act.derivative_from_output, lines["derivative_from_output"]))
    safe = ("analytic and complex-safe away from its kinks" if act.analytic
            else "not complex-safe: the complex step does not apply")
    out = [f"# {name}", "",
           f"`ACTIVATIONS[\"{name}\"]`, parameters "
           f"{'`' + repr(dict(act.params)) + '`' if act.params else 'none'}; {safe}.",
           "", "## Formulas", "", "| | formula | function |", "|---|---|---|"]
    for label, fn, formula in fns:
        out.append(f"| {label} | {_cell(formula)} | {{py:func}}`~{mod}.{fn.__name__}` |")
    if act.derivative_from_output is None:
        out += ["", "The output does not determine f′ (f is not monotone), so there is no "
                "output form."]
    if lines["validity"]:
        out += ["", _cell(lines["validity"]).replace("\\|", "|")]
    out += ["", "## Kinks", ""]
    if act.kink_derivatives:
        out += ["refnet's convention at each kink (the values `derivative`, "
                "`second_derivative`, the twin's `jax.grad` and the mpmath forms all give "
                "there exactly):", "", "| kink z | f′(z) | f″(z) |", "|---|---|---|"]
        out += [f"| {k:g} | {d1:g} | {d2:g} |" for k, (d1, d2) in act.kink_derivatives.items()]
    else:
        out.append("None: f is differentiable everywhere.")
    lo, hi = acc["range"]
    out += ["", "## Accuracy against mpmath", "",
            f"![f, f′, f″ and the error of each formula for f′ against mpmath]({image})", "",
            f"Ulps against mpmath's correctly rounded values, measured when this page was "
            f"built, over {acc['points']} points in [{lo:g}, {hi:g}] "
            f"(targets: f′ {study.tol.DERIVATIVE_ULPS_P999} at p99.9 and "
            f"{study.tol.DERIVATIVE_ULPS_MAX} at most; f″ {study.tol.SECOND_DERIVATIVE_ULPS_P999}"
            f" and {study.tol.SECOND_DERIVATIVE_ULPS_MAX}; "
            f"{'met' if acc['meets_targets'] else 'MISSED'}):", "",
            "| formula | p99.9 | max | worst at z |", "|---|---|---|---|"]
    rows = [("f", acc["forward"]), ("f′", acc["derivative"]),
            ("f″", acc["second_derivative"]),
            ("f′ from the output", acc["derivative_from_output"]),
            (f"`jax.grad(jax.nn.{name})`", acc["jax_nn_grad"])]
    for label, r in rows:
        if r is not None:
            at = f"{r['at']:.6g}" if r["max"] > 0 else "—"
            out.append(f"| {label} | {_ulps(r['p999'])} | {_ulps(r['max'])} | {at} |")
    for label, r in rows[3:]:
        loss = (r or {}).get("loss")
        if loss and loss["worst_rel"] >= 0.5:
            every = loss["all_from_abs_z"]
            out += ["", f"{label}: half the digits lost from |z| ≥ {loss['half_from_abs_z']:.3g}"
                    + (f", every digit from |z| ≥ {every:.3g}." if every is not None else ".")]
    framework = _framework_rows(name)
    out += ["", "## In jax.nn and torch", "",
            "From {doc}`the frameworks' measurements </frameworks>`: f, f′, f″ in ulps against "
            "mpmath at that page's fixed points (0, tiny, subnormal and huge values, kinks and "
            "their neighbours: not the sweep above, so the figures differ), as the worst error "
            "@ its z (how many points are off by more than 4 ulps); then each framework's "
            "convention at the kinks:"]
    out += framework or ["", "Not measured there."]
    return "\n".join(out) + "\n"


def _ulps(v: float) -> str:
    """A count of ulps as a reader takes it in: 3, 412, 4.4e+18."""
    return f"{v:.0f}" if v < 1e6 else f"{v:.2g}"


def write_gallery(out: Path) -> None:
    from refnet import plot
    from refnet.activations import ACTIVATIONS

    img = out / "img"
    img.mkdir(parents=True, exist_ok=True)
    names = list(ACTIVATIONS)
    for name in names:
        plot.plot_activation(name, img / f"{name}.png")
        _write(out / f"{name}.md", gallery_page(name, f"img/{name}.png"))
    from refnet import study

    rows = []
    for name in names:
        act = ACTIVATIONS[name]
        alias = next((n for n in names[:names.index(name)]
                      if ACTIVATIONS[n].forward is act.forward), None)
        kinks = ", ".join(f"{k:g}" for k in act.kinks) or "—"
        rows.append(f"| {{doc}}`{name}` | {_cell(study.formula_lines(name)['forward'])} | "
                    f"{kinks} | {'the same function as ' + alias if alias else ''} |")
    index = ["# Gallery of activations", "",
             "One page per activation of the registry, generated when the site is built: "
             "formulas, kink convention, picture, measured accuracy, and the frameworks' "
             "figures.", "", "| activation | f(z) | kinks | |", "|---|---|---|---|", *rows, "",
             "```{toctree}", ":hidden:", "", *names, "```", ""]
    _write(out / "index.md", "\n".join(index))


def _write(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:  # unchanged pages are not rebuilt
        path.write_text(text)


# --- guide -> API links --------------------------------------------------------------------


def api_index() -> dict:
    """Short and dotted names of public objects -> their full names (first module wins)."""
    index: dict[str, str] = {}
    modules = [m for m, _, _ in API_MODULES] + [TOLERANCES]
    for module in modules:
        mod = importlib.import_module(module)
        names = getattr(mod, "__all__", None) or [
            n for n in vars(mod) if n.isupper() and not n.startswith("_")]
        short = module.split(".")[-1]
        for n in names:
            full = f"{module}.{n}"
            for key in (n, f"{short}.{n}", full, full.removeprefix("refnet.")):
                index.setdefault(key, full)
    for n in ("check_gradient", "check_derivative", "check_jacobian", "Report"):
        index[f"refnet.{n}"] = f"refnet.check.{n}"
    return index


def _link_literals(app, doctree):
    from docutils import nodes
    from sphinx import addnodes

    docname = app.env.docname
    if docname.startswith(("api/", "gallery/")):
        return
    index = app.env.refnet_api_index
    for lit in list(doctree.findall(nodes.literal)):
        text = lit.astext()
        key = re.sub(r"\(.*\)$", "", text)
        if key not in index or isinstance(lit.parent, (addnodes.pending_xref, nodes.reference)):
            continue
        ref = addnodes.pending_xref("", refdomain="py", reftype="obj", reftarget=index[key],
                                    refexplicit=True, refwarn=False, refdoc=docname)
        lit.replace_self(ref)
        ref += lit


def _generate(app, config):
    src = Path(app.srcdir)
    write_api(src / "api")
    write_gallery(src / "gallery")


def _env_index(app, env, docnames):
    env.refnet_api_index = api_index()


def setup(app):
    app.connect("config-inited", _generate)
    app.connect("env-before-read-docs", _env_index)
    app.connect("autodoc-process-docstring", _process_docstring, priority=600)
    app.connect("doctree-read", _link_literals)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
