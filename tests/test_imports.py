"""The package's import graph, read from the source (every import, at module level or inside a
function): no cycles; the command line imported by no library module; the checking engine
never importing the reference (activations, network, notebook), the study modules or the
command line."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "refnet"


def _modules() -> dict:
    out = {}
    for p in ROOT.rglob("*.py"):
        parts = list(p.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def import_graph() -> dict:
    """module -> the refnet modules it imports (``from pkg import sub`` is an import of the
    submodule ``pkg.sub``, not of the package)."""
    mods = _modules()
    graph = {m: set() for m in mods}
    for m, p in mods.items():
        pkg = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base
                         for a in node.names]
            else:
                continue
            for n in names:
                while n and n not in mods:
                    n = n.rsplit(".", 1)[0] if "." in n else ""
                if n and n != m:
                    graph[m].add(n)
    return graph


def cycles(graph) -> list:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_there_are_no_import_cycles():
    assert cycles(import_graph()) == []


def test_a_planted_cycle_is_found():
    g = import_graph()
    g["refnet.checking.report"].add("refnet.check")  # check -> pipeline -> report -> check
    assert any({"refnet.check", "refnet.checking.pipeline", "refnet.checking.report"} <= set(c)
               for c in cycles(g))


def test_no_library_module_imports_the_command_line():
    g = import_graph()
    bad = {m: sorted(d for d in deps if d.startswith("refnet.cli"))
           for m, deps in g.items() if not m.startswith("refnet.cli") and m != "refnet.__main__"}
    assert {m: d for m, d in bad.items() if d} == {}


REFERENCE = ("refnet.activations", "refnet.network", "refnet.notebook", "refnet.softmax",
             "refnet.study", "refnet.plot", "refnet.cli", "refnet.vectors", "refnet.twin")
# refnet.checking.verify (refnet verify) and refnet.checking.batch (many parameter sets of
# refnet's own network at once) verify the reference itself: they read what they verify, and
# are the engine modules allowed to
READS_THE_REGISTRY = {"refnet.checking.verify", "refnet.checking.batch"}


def test_the_engine_never_imports_the_reference():
    g = import_graph()
    engine = [m for m in g if m.startswith("refnet.checking") and m not in READS_THE_REGISTRY]
    assert "refnet.checking.pipeline" in engine
    bad = {m: sorted(d for d in g[m] if d.startswith(REFERENCE)) for m in engine}
    assert {m: d for m, d in bad.items() if d} == {}
