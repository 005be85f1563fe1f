"""`refnet check` on the command line: exit 0 verified, 1 mismatch, 2 bad usage.  In-process
through ``refnet.cli.main`` (what the console script runs), and once in a real process."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from refnet._json import schema_path
from refnet.cli import main

ROOT = pathlib.Path(__file__).resolve().parents[1]

USER = '''
import numpy as np

def f(x):
    return float(np.sum(np.sin(x) * x))

def grad(x):
    return np.cos(x) * x + np.sin(x)

def grad_bug(x):
    return np.cos(x) * x

def grad_shape(x):
    return np.zeros(2)

def f_raises(x):
    raise RuntimeError("boom")

def f_nan(x):
    return float("nan")

def f_rounded(x):  # rounds at 1e-8: no difference resolves its gradient
    return float(np.sum(np.sin(x)) + 1e8)

def grad_rounded(x):
    return np.cos(x)

def cost(p):
    return float(np.sum(np.tanh(p["W"]) ** 2) + np.sum(p["b"] ** 3))

def cost_grad(p):
    t = np.tanh(p["W"])
    return {"W": 2 * t * (1 - t * t), "b": 3 * p["b"] ** 2}
'''


@pytest.fixture
def user(tmp_path, monkeypatch):
    """A folder holding the user's module, the current folder, and a ``sys.path`` without it
    (as under the ``refnet`` console script, whose sys.path[0] is the script's own folder)."""
    (tmp_path / "usermod.py").write_text(USER)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "helper.py").write_text("SCALE = 2.0\n")
    (sub / "other.py").write_text(
        "import numpy as np\nfrom helper import SCALE\n\n"
        "def f(x):\n    return float(SCALE * np.sum(x ** 2))\n\n"
        "def grad(x):\n    return 2 * SCALE * x\n")
    np.save(tmp_path / "point.npy", np.linspace(-1, 1, 5))
    np.savez(tmp_path / "params.npz", W=np.ones((2, 3)) * 0.3, b=np.array([0.5, -1.0]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path
                                      if p not in ("", ".", os.getcwd(), str(tmp_path))])
    for name in ("usermod", "helper", "other"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield tmp_path
    for name in ("usermod", "helper", "other"):
        sys.modules.pop(name, None)


def check(capsys, *args):
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_verified_from_the_current_folder_as_the_console_script_runs(user, capsys):
    code, out, err = check(capsys, "usermod:f", "usermod:grad", "--shape", "3,4", "--seed", "1")
    assert code == 0, out + err
    assert "OK" in out and "Traceback" not in err
    assert str(user) not in sys.path  # put there for the check only


@pytest.mark.parametrize("fn, gr", [
    ("./usermod.py:f", "./usermod.py:grad"),
    ("usermod.py:f", "usermod:grad"),
    ("sub/other.py:f", "sub/other.py:grad"),  # its folder is importable: `from helper import`
])
def test_file_paths(user, capsys, fn, gr):
    code, out, err = check(capsys, fn, gr, "--shape", "4")
    assert code == 0, out + err


def test_absolute_file_path(user, capsys):
    path = str(user / "usermod.py")
    code, out, err = check(capsys, f"{path}:f", f"{path}:grad_bug", "--shape", "4")
    assert code == 1 and "MISMATCH" in out, out + err


def test_point_file_and_dict(user, capsys):
    assert check(capsys, "usermod:f", "usermod:grad", "--point", "point.npy")[0] == 0
    code, out, err = check(capsys, "usermod:cost", "usermod:cost_grad", "--point", "params.npz")
    assert code == 0, out + err


def test_mismatch_json_is_strict_and_matches_its_schema(user, capsys):
    jsonschema = pytest.importorskip("jsonschema")
    code, out, _ = check(capsys, "usermod:f", "usermod:grad_bug", "--shape", "4", "--json")
    assert code == 1
    d = json.loads(out, parse_constant=lambda t: pytest.fail(f"non-strict JSON {t}"))
    assert d["ok"] is False and d["counts"]["mismatch"] > 0
    schema = json.loads(schema_path("check").read_text())
    jsonschema.validate(d, schema)


@pytest.mark.parametrize("fn, gr, words", [
    ("usermod:f", "usermod:grad_shape", "shape"),
    ("usermod:f_raises", "usermod:grad", "RuntimeError: boom"),
    ("usermod:f_nan", "usermod:grad", "not finite"),
])
def test_misbehaving_functions_exit_1_with_a_report(user, capsys, fn, gr, words):
    code, out, err = check(capsys, fn, gr, "--shape", "3")
    assert code == 1 and words in out and "Traceback" not in err + out


@pytest.mark.parametrize("args, words", [
    (["nosuchmodule:f", "usermod:grad", "--shape", "3"], "cannot import"),
    (["usermod:nope", "usermod:grad", "--shape", "3"], "no attribute"),
    (["usermod", "usermod:grad", "--shape", "3"], "MODULE:FUNCTION"),
    (["./nofile.py:f", "usermod:grad", "--shape", "3"], "no file"),
    (["usermod:f", "usermod:grad", "--shape", "3,a"], "--shape"),
    (["usermod:f", "usermod:grad", "--shape", "0"], "at least 1"),
    (["usermod:f", "usermod:grad", "--shape", "3,0"], "at least 1"),
    (["usermod:f", "usermod:grad", "--shape", ""], "--shape"),
    (["usermod:f", "usermod:grad", "--shape", "3,x"], "--shape"),
    (["usermod:f", "usermod:grad", "--shape", "3,,4"], "--shape"),
    (["usermod:f", "usermod:grad", "--shape", "3,"], "--shape"),
    (["usermod:f", "usermod:grad", "--point", "/nonexistent.npy"], "--point"),
    (["usermod:f", "usermod:grad"], "required"),
])
def test_bad_usage_exits_2_with_one_line(user, capsys, args, words):
    code, out, err = check(capsys, *args)
    assert code == 2, out + err
    assert words in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_shapes_written_either_way(user, capsys):
    for text in ("3,2", "3x2", " 3 , 2 "):
        code, out, err = check(capsys, "usermod:f", "usermod:grad", "--shape", text, "--json")
        assert code == 0 and json.loads(out)["size"] == 6, (text, err)


def test_inconclusive_exits_4_unless_accepted(user, capsys):
    code, out, err = check(capsys, "usermod:f_rounded", "usermod:grad_rounded", "--shape", "3")
    assert code == 4 and "INCONCLUSIVE" in out, out + err
    code, out, err = check(capsys, "usermod:f_rounded", "usermod:grad_rounded", "--shape", "3",
                           "--accept-inconclusive")
    assert code == 0 and "INCONCLUSIVE" in out, out + err
    # accepting inconclusive never hides a mismatch
    code, out, _ = check(capsys, "usermod:f", "usermod:grad_bug", "--shape", "4",
                         "--accept-inconclusive")
    assert code == 1 and "MISMATCH" in out


def test_console_script_in_a_real_process(tmp_path):
    """The one subprocess: ``refnet check`` run from the folder holding the module, with the
    console script's sys.path (no current folder on it)."""
    (tmp_path / "mymod.py").write_text(USER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    script = "import sys; sys.path.pop(0); from refnet.cli import main; sys.exit(main())"
    p = subprocess.run([sys.executable, "-c", script, "check", "mymod:cost", "mymod:cost_grad",
                        "--point", str(_npz(tmp_path))], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "OK" in p.stdout


@pytest.mark.parametrize("fn, gr, code", [("f", "grad_bug", 1), ("f_rounded", "grad_rounded", 4)])
def test_exit_codes_of_a_real_process(tmp_path, fn, gr, code):
    """1 for a mismatch, 4 for an inconclusive check, as the shell sees them."""
    (tmp_path / "usermod.py").write_text(USER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "refnet", "check", f"usermod:{fn}",
                        f"usermod:{gr}", "--shape", "3"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=120, check=False)
    assert p.returncode == code, p.stdout + p.stderr


def test_an_internal_error_exits_3_in_a_real_process(tmp_path):
    """3, not 1, when refnet itself breaks (here a planted bug in check_gradient), with the
    traceback, as the shell sees it."""
    (tmp_path / "usermod.py").write_text(USER)
    script = ("import sys, refnet.check\n"
              "def broken(*a, **k):\n    raise RuntimeError('a planted bug in refnet')\n"
              "refnet.check.check_gradient = broken\n"
              "from refnet.cli import main\nsys.exit(main())")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-c", script, "check", "usermod:f", "usermod:grad",
                        "--shape", "3"], cwd=tmp_path, env=env, capture_output=True, text=True,
                       timeout=120, check=False)
    assert p.returncode == 3, p.stdout + p.stderr
    assert "Traceback" in p.stderr and "a planted bug in refnet" in p.stderr


def _npz(d):
    np.savez(d / "p.npz", W=np.ones((2, 3)) * 0.3, b=np.array([0.5, -1.0]))
    return d / "p.npz"


def test_a_non_finite_point_is_bad_usage_naming_the_element(user, capsys):
    np.savez(user / "bad.npz", W=np.array([[0.3, np.nan, 0.1]]), b=np.array([0.5]))
    code, out, err = check(capsys, "usermod:cost", "usermod:cost_grad", "--point", "bad.npz")
    assert code == 2, out + err
    assert "expected finite values, got nan at W[0,1]" in err and "Traceback" not in err


def test_a_reader_that_leaves_keeps_the_verdicts_exit_status(tmp_path):
    """`refnet check ... | head -1` under `set -o pipefail`: the pipe closes before the report
    is written, and the status is still 1 for a mismatch (it was 0), with no traceback."""
    (tmp_path / "usermod.py").write_text(USER)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen([sys.executable, "-m", "refnet", "check", "usermod:f",
                          "usermod:grad_bug", "--shape", "300"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with p:
        p.stdout.close()  # the reader leaves before anything is written
        err = p.stderr.read().decode()
        assert p.wait(timeout=120) == 1, err
    assert "Traceback" not in err
