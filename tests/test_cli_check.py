"""`refnet check` on the command line: exit 0 verified, 1 mismatch, 2 bad usage."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

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

def cost(p):
    return float(np.sum(np.tanh(p["W"]) ** 2) + np.sum(p["b"] ** 3))

def cost_grad(p):
    t = np.tanh(p["W"])
    return {"W": 2 * t * (1 - t * t), "b": 3 * p["b"] ** 2}
'''


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    d = tmp_path_factory.mktemp("user")
    (d / "usermod.py").write_text(USER)
    np.save(d / "point.npy", np.linspace(-1, 1, 5))
    np.savez(d / "params.npz", W=np.ones((2, 3)) * 0.3, b=np.array([0.5, -1.0]))
    e = dict(os.environ, PYTHONPATH=os.pathsep.join([str(d), os.getcwd()]))
    return d, e


def run(env, *args):
    return subprocess.run([sys.executable, "-m", "refnet", "check", *args], env=env[1],
                          capture_output=True, text=True, timeout=120)


def test_verified(env):
    p = run(env, "usermod:f", "usermod:grad", "--shape", "3,4", "--seed", "1")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "OK" in p.stdout and "Traceback" not in p.stderr


def test_point_file_and_dict(env):
    d, _ = env
    assert run(env, "usermod:f", "usermod:grad", "--point", str(d / "point.npy")).returncode == 0
    p = run(env, "usermod:cost", "usermod:cost_grad", "--point", str(d / "params.npz"))
    assert p.returncode == 0, p.stdout + p.stderr


def test_mismatch_json(env):
    p = run(env, "usermod:f", "usermod:grad_bug", "--shape", "4", "--json")
    assert p.returncode == 1
    d = json.loads(p.stdout)
    assert d["ok"] is False and d["counts"]["mismatch"] > 0


@pytest.mark.parametrize("fn, gr, words", [
    ("usermod:f", "usermod:grad_shape", "shape"),
    ("usermod:f_raises", "usermod:grad", "RuntimeError: boom"),
    ("usermod:f_nan", "usermod:grad", "not finite"),
])
def test_misbehaving_functions_exit_1_with_a_report(env, fn, gr, words):
    p = run(env, fn, gr, "--shape", "3")
    assert p.returncode == 1 and words in p.stdout and "Traceback" not in p.stderr + p.stdout


@pytest.mark.parametrize("args, words", [
    (["nosuchmodule:f", "usermod:grad", "--shape", "3"], "cannot import"),
    (["usermod:nope", "usermod:grad", "--shape", "3"], "no attribute"),
    (["usermod", "usermod:grad", "--shape", "3"], "MODULE:FUNCTION"),
    (["usermod:f", "usermod:grad", "--shape", "3,a"], "--shape"),
    (["usermod:f", "usermod:grad", "--point", "/nonexistent.npy"], "--point"),
    (["usermod:f", "usermod:grad"], "required"),
])
def test_bad_usage_exits_2(env, args, words):
    p = run(env, *args)
    assert p.returncode == 2, p.stdout + p.stderr
    assert words in p.stderr and "Traceback" not in p.stderr
