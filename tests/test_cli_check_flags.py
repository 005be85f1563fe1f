"""`refnet check --vjp / --sample N / --dtype float32`, through ``refnet.cli.main``."""

import json
import sys

import pytest

from refnet.cli import main

USER = '''
import numpy as np

def f(x):
    return np.sum(np.sin(x) * x)

def grad(x):
    return np.cos(x) * x + np.sin(x)

def grad_bug(x):
    g = np.cos(x) * x + np.sin(x)
    g.flat[0] *= 1.01
    return g

def softmax(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()

def softmax_vjp(z, u):
    s = softmax(z)
    return s * (u - u @ s)

def softmax_vjp_bug(z, u):
    s = softmax(z)
    return s * u

def f32(x):
    assert x.dtype == np.float32, x.dtype
    return np.sum(np.tanh(x) ** 2)

def grad32(x):
    assert x.dtype == np.float32, x.dtype
    t = np.tanh(x)
    return 2 * t * (1 - t * t)

def grad32_bug(x):
    t = np.tanh(x)
    return 2 * t * (1 - t)
'''


@pytest.fixture
def user(tmp_path, monkeypatch):
    (tmp_path / "flagsmod.py").write_text(USER)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delitem(sys.modules, "flagsmod", raising=False)
    yield tmp_path
    sys.modules.pop("flagsmod", None)


def check(capsys, *args):
    code = main(["check", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_vjp_right_and_wrong(user, capsys):
    code, out, err = check(capsys, "flagsmod:softmax", "flagsmod:softmax_vjp", "--vjp",
                           "--shape", "5")
    assert code == 0 and "check_vjp: OK" in out, out + err
    code, out, err = check(capsys, "flagsmod:softmax", "flagsmod:softmax_vjp_bug", "--vjp",
                           "--shape", "5", "--json")
    assert code == 1, out + err
    d = json.loads(out)
    assert d["verdict"] == "MISMATCH" and d["guarantee"]


def test_vjp_fast_projects_and_names_the_wrong_element(user, capsys):
    code, out, err = check(capsys, "flagsmod:softmax", "flagsmod:softmax_vjp", "--vjp",
                           "--fast", "--shape", "5")
    assert code == 0 and "check_vjp: OK - 3 elements" in out, out + err
    assert "detection guarantee: fast:" in out
    code, out, err = check(capsys, "flagsmod:softmax", "flagsmod:softmax_vjp_bug", "--vjp",
                           "--fast", "--shape", "5", "--json")
    assert code == 1, out + err
    d = json.loads(out)
    assert d["verdict"] == "MISMATCH" and d["guarantee"].startswith("fast:")
    # localised: the wrong elements are named, as the full check names them
    assert d["mismatches"] and all(not e["name"].startswith("uᵀJd") for e in d["mismatches"])


class _Terminal:
    """A stderr that says it is a terminal (the bar is shown on a terminal only)."""

    def __init__(self):
        self.text = []

    def write(self, s):
        self.text.append(s)

    def flush(self):
        pass

    def isatty(self):
        return True


@pytest.mark.parametrize("args, bar", [
    (["flagsmod:f", "flagsmod:grad", "--shape", "4"], "check_gradient: calls of f"),
    (["flagsmod:softmax", "flagsmod:softmax_vjp", "--vjp", "--shape", "5"],
     "check_vjp: calls of f"),
])
def test_progress_on_a_terminal_only(user, capsys, monkeypatch, args, bar):
    code, out, err = check(capsys, *args)
    assert code == 0 and "calls of f" not in err, out + err  # not a terminal: no bar
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["check", *args]) == 0
    assert bar in "".join(term.text)


def test_sample(user, capsys):
    code, out, err = check(capsys, "flagsmod:f", "flagsmod:grad", "--sample", "10",
                           "--shape", "30,30")
    assert code == 0 and "10 of 900 coordinates" in out, out + err
    code, out, err = check(capsys, "flagsmod:f", "flagsmod:grad_bug", "--sample", "10",
                           "--shape", "30,30")
    assert code == 1 and "MISMATCH" in out, out + err


def test_dtype_float32(user, capsys):
    code, out, err = check(capsys, "flagsmod:f32", "flagsmod:grad32", "--dtype", "float32",
                           "--shape", "6")
    assert code == 0, out + err
    assert "eps 1.19e-07" in out  # judged with float32 rounding
    code, out, err = check(capsys, "flagsmod:f32", "flagsmod:grad32_bug", "--dtype",
                           "float32", "--shape", "6")
    assert code == 1, out + err
    # without --dtype the float32-only function is called in float64 and says so
    code, out, err = check(capsys, "flagsmod:f32", "flagsmod:grad32", "--shape", "6")
    assert code == 1 and "AssertionError" in out, out + err


@pytest.mark.parametrize("args", [
    ["--sample", "0"], ["--sample", "x"], ["--dtype", "float16"], ["--vjp", "--sample", "3"],
    ["--fast"],
])
def test_bad_flags_are_usage_errors(user, capsys, args):
    code, _out, err = check(capsys, "flagsmod:f", "flagsmod:grad", "--shape", "4", *args)
    assert code == 2 and "Traceback" not in err
    assert "error" in err
