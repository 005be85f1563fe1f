"""The command line as a whole (``refnet.cli``): exit statuses, one-line usage errors, output
files checked before any work, strict JSON that matches its schema, progress bars on a terminal
only.  In-process through ``refnet.cli.main`` (what the console script runs); each command's
own file has at most one real subprocess."""

from __future__ import annotations

import ast
import io
import json
import pathlib

import numpy as np
import pytest

from refnet import cli
from refnet._json import schema_path
from refnet.cli import main

SCHEMAS = schema_path("check").parent  # as installed with the package


def _strict(text):
    """json.loads that refuses NaN/Infinity tokens, as a strict reader does."""
    def refuse(token):
        raise AssertionError(f"non-strict JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _validate(data, command):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((SCHEMAS / f"{command}.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)


def _one_line_usage_error(code, err):
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], err


# --- names --------------------------------------------------------------------------------


@pytest.mark.parametrize("argv, wrong, right", [
    (["formulas", "sigmoidd"], "sigmoidd", "sigmoid"),
    (["plot", "tahn", "-o", "x.png"], "tahn", "tanh"),
    (["vectors", "relu", "rleu", "-o", "v.json"], "rleu", "relu"),
    (["verify", "--only", "softmx"], "softmx", "softmax"),
    (["train", "--dataset", "irs"], "irs", "iris"),
    (["train", "--dataset", "iris", "--activation", "gelu_tahn"], "gelu_tahn", "gelu_tanh"),
])
def test_unknown_names_suggest_the_nearest(argv, wrong, right, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(argv)
    err = capsys.readouterr().err
    _one_line_usage_error(code, err)
    assert "unknown" in err and repr(wrong) in err and f"did you mean {right!r}?" in err


def test_one_message_format_for_unknown_names():
    msg = cli.unknown_name("sigmoidd", ["sigmoid", "tanh"], "activation")
    assert msg == "unknown activation 'sigmoidd'; did you mean 'sigmoid'? (known: sigmoid, tanh)"
    assert "did you mean" not in cli.unknown_name("zzz", ["sigmoid", "tanh"], "activation")


# --- output files, before any work --------------------------------------------------------


def _no_work(monkeypatch):
    """Make each command's work fail loudly if it starts."""
    def boom(*a, **k):
        raise AssertionError("the work started before the output was checked")

    import refnet.cli.formulas
    import refnet.cli.train
    import refnet.plot
    import refnet.vectors

    monkeypatch.setattr(refnet.cli.formulas, "measure", boom)
    monkeypatch.setattr(refnet.plot, "plot_activation", boom)
    monkeypatch.setattr(refnet.plot, "plot_steps", boom)
    monkeypatch.setattr(refnet.cli.train, "load", boom)
    monkeypatch.setattr(refnet.vectors, "build", boom)


@pytest.mark.parametrize("argv, words", [
    (["formulas", "sigmoid", "-o", "/nonexistent/dir/x.md"], "does not exist"),
    (["formulas", "sigmoid", "--markdown", "-o", "."], "folder"),
    (["plot", "tanh", "-o", "x.txt"], ".png"),
    (["plot", "tanh", "--step-size", "-o", "nodir/x.png"], "does not exist"),
    (["train", "--dataset", "iris", "--plot", "c.txt"], ".png"),
    (["vectors", "--out", "v2.json", "--format", "npz"], "suffix"),
    (["vectors", "--out", "v2.npz", "--format", "json"], "suffix"),
    (["vectors", "--out", "nodir/v.json"], "does not exist"),
])
def test_output_files_are_checked_before_any_work(argv, words, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _no_work(monkeypatch)
    code = main(argv)
    err = capsys.readouterr().err
    _one_line_usage_error(code, err)
    assert words in err
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_vectors_writes_exactly_the_file_named(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["vectors", "identity", "--no-networks", "--out", "v3", "--format", "npz"]) == 0
    assert main(["vectors", "identity", "--no-networks", "--out", "v4.npz"]) == 0  # from suffix
    assert main(["vectors", "identity", "--no-networks", "--out", "v5.json"]) == 0
    out = capsys.readouterr().out
    assert "wrote v3 (npz)" in out and "wrote v4.npz (npz)" in out and "wrote v5.json (json)" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v3", "v4.npz", "v5.json"]
    with np.load(tmp_path / "v3") as data:
        assert "activations/identity/df" in data.files
    assert _strict((tmp_path / "v5.json").read_text())["format"] == "refnet-vectors"


# --- exit statuses ------------------------------------------------------------------------


def test_an_internal_error_is_not_a_mismatch(capsys, tmp_path, monkeypatch):
    import refnet.vectors

    def broken(*a, **k):
        raise RuntimeError("a bug in refnet")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(refnet.vectors, "build", broken)
    code = main(["vectors", "identity", "-o", "v.json"])
    err = capsys.readouterr().err
    assert code == 3
    assert "Traceback" in err and "RuntimeError: a bug in refnet" in err and "internal error" in err


def test_help_and_version_return_0(capsys):
    assert main(["--version"]) == 0
    assert main(["verify", "--help"]) == 0
    assert "--detail" in capsys.readouterr().out
    assert main([]) == 2


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def test_no_library_module_imports_the_command_line():
    root = pathlib.Path(cli.__file__).resolve().parents[1]
    library = [p for p in root.rglob("*.py")  # __main__ is the command line's entry point
               if "cli" not in p.relative_to(root).parts and p.name != "__main__.py"]
    assert len(library) > 10
    offenders = {str(p.relative_to(root)): m for p in library for m in _imports(p)
                 if m == "refnet.cli" or m.startswith("refnet.cli.")}
    assert offenders == {}


# --- JSON ---------------------------------------------------------------------------------


def test_json_safe_encodes_non_finite_floats_as_strings():
    text = cli.json_text({"a": [np.inf, -np.inf, np.nan, 1.5], "b": np.float64(np.nan),
                          "c": np.arange(2), "d": np.bool_(True)})
    assert _strict(text) == {"a": ["inf", "-inf", "nan", 1.5], "b": "nan", "c": [0, 1], "d": True}


def test_verify_json_is_strict_even_for_nan_and_matches_its_schema(capsys, monkeypatch):
    from refnet.checking import verify as judge

    real = judge.judge_activation

    def nan_derivative(name, z, **kw):  # a derivative that returns NaN: errors are infinite
        kw["derivative"] = lambda z: np.full(np.shape(z), np.nan)
        return real(name, z, **kw)

    monkeypatch.setattr(judge, "judge_activation", nan_derivative)
    code = main(["verify", "--examples", "40", "--only", "relu", "--networks", "0", "--json"])
    data = _strict(capsys.readouterr().out)
    assert code == 1 and data["ok"] is False
    _validate(data, "verify")
    bad = [r for r in data["results"] if not r["ok"]]
    assert bad and all(r["max_abs"] == "inf" for r in bad)
    assert all("nan" in (p["value"], p["reference"]) for r in bad for p in r["failed"])


def test_formulas_json_is_strict_and_matches_its_schema(capsys):
    assert main(["formulas", "tanh", "relu", "--points", "201", "--json"]) == 0
    text = capsys.readouterr().out
    data = _strict(text)
    _validate(data, "formulas")
    assert '"nan"' in text  # vanished steps of the step study, once written as NaN
    assert [e["accuracy"]["name"] for e in data] == ["tanh", "relu"]


# --- progress -----------------------------------------------------------------------------


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_on_a_terminal_only(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["vectors", "identity", "relu", "-o", "v.json"]) == 0
    assert capsys.readouterr().err == ""  # not a terminal: no bar
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    assert main(["vectors", "identity", "relu", "-o", "w.json"]) == 0
    shown = term.getvalue()
    assert "vectors" in shown and "%|" in shown and "/" in shown


def test_formulas_shows_progress_on_a_terminal(monkeypatch, capsys):
    term = _Terminal()
    monkeypatch.setattr("sys.stderr", term)
    assert main(["formulas", "relu", "--points", "201"]) == 0
    shown = term.getvalue()
    assert "formulas" in shown and "relu accuracy" in shown and "/2 " in shown
    assert "relu'(0) = 0" in capsys.readouterr().out


def test_the_console_entry_as_a_user_runs_it():
    """One real subprocess: ``python -m refnet`` starts, prints and exits 0.  Every command goes
    through the same ``refnet.cli.main``, which the in-process tests drive (verify in
    test_cli_verify, plot and formulas in test_study, train in test_cli_train, which has its own
    real process); a second subprocess would prove the same start-up again at ~3 s each."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "refnet", "notebook"], capture_output=True,
                       text=True, timeout=300, check=False)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "## compute_cost(" in r.stdout  # its figures are test_notebook's


def test_ci_runs_the_readmes_test_command_and_every_cell():
    """`.ci/run` holds the README's install-and-test command as it is written there (so a
    missing install step fails in CI, not at a user's), and runs every cell of the README's
    platform matrix, each of which tools/cell knows."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text().splitlines()
    command = next(line for line in readme if line.startswith("python3 -m venv .venv && ")
                   and '".[test]"' in line)
    ci = (root / ".ci" / "run").read_text()
    assert command + " || status=1" in ci.splitlines()
    cells = [line.split("|")[1].strip().strip("`") for line in readme
             if line.startswith("| `") and "--xla_cpu_max_isa" in line]
    assert cells == ["avx", "sse4"]
    assert f"for cell in {' '.join(cells)}; do" in ci
    script = (root / "tools" / "cell").read_text()
    for cell in cells:
        assert f"\n  {cell})" in script


def test_install_hints_can_work():
    """refnet is not on PyPI: no message asks for pip install "refnet[...]"; each names the
    package and the extra as a checkout installs it (an extra of pyproject.toml)."""
    import tomllib

    import refnet
    from refnet._install import EXTRAS, hint

    src = pathlib.Path(refnet.__file__).parent
    assert not [p for p in src.rglob("*.py") if "refnet[" in p.read_text(encoding="utf-8")]
    extras = tomllib.loads((src.parent / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    for extra, package in EXTRAS.items():
        assert any(r.startswith(package) for r in extras[extra]), extra
        assert hint(extra) == f'pip install {package} (or, in refnet\'s checkout, ' \
            f'pip install ".[{extra}]")'


def test_the_schemas_are_package_data():
    """--json's help names a schema that an installed refnet has: the files sit in the package
    and pyproject.toml ships them."""
    import tomllib

    for command in ("check", "verify", "formulas", "train"):
        assert schema_path(command).is_file(), command
        assert json.loads(schema_path(command).read_text())["$schema"]
    root = pathlib.Path(__file__).resolve().parents[1]
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "schema/*.json" in data["package-data"]["refnet"]


@pytest.mark.skipif(not pathlib.Path("/proc/self").is_dir(), reason="needs Linux's /proc")
@pytest.mark.parametrize("args", [
    ["vectors", "relu", "--out", "/proc/refnet-test.json"],
    ["formulas", "relu", "-o", "/proc/refnet-test.md"],
    ["plot", "tanh", "-o", "/proc/refnet-test.png"],
    ["train", "--dataset", "iris", "--plot", "/proc/refnet-test.png"],
])
def test_an_output_that_cannot_be_written_exits_2_before_any_work(args):
    """/proc takes no new file, also for root (which ignores permission bits): the path is
    tried, not judged by its bits, before the work (train would train first)."""
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[1]
    p = subprocess.run([sys.executable, "-m", "refnet", *args], cwd=root, capture_output=True,
                       text=True, timeout=120, check=False)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "cannot be written" in p.stderr and "Traceback" not in p.stderr
    assert p.stdout == ""  # nothing done: no training log, no table


def test_checking_an_output_path_leaves_nothing_behind(tmp_path):
    from refnet.cli import output_file

    new = tmp_path / "new.json"
    assert output_file(str(new), "--out") == new and not new.exists()
    old = tmp_path / "old.json"
    old.write_text("kept")
    output_file(str(old), "--out")
    assert old.read_text() == "kept"
