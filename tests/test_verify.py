"""`refnet verify` from the command line, and its network judge with planted bugs."""

import argparse
import json
import subprocess
import sys

import numpy as np
import pytest

from refnet import activations as A
from refnet import network as net
from refnet.checking import verify


def _refnet(*args):
    return subprocess.run([sys.executable, "-m", "refnet", *args], capture_output=True,
                          text=True, timeout=600)


def test_verify_passes_and_prints_a_table():
    r = _refnet("verify", "--examples", "200", "--only", "sigmoid", "relu", "softmax",
                "--networks", "1")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "f' mpmath" in r.stdout and "grad jax.grad" in r.stdout
    assert "0 mismatched" in r.stdout


def test_verify_json():
    r = _refnet("verify", "--examples", "100", "--only", "tanh", "--networks", "0", "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 0 and data["ok"] is True
    assert {row["oracle"] for row in data["results"]} >= {"f' jax.grad", "f' richardson"}


@pytest.mark.parametrize("args", [["--examples", "0"], ["--only", "nope"], ["--seed", "x"],
                                  ["--networks", "-1"], ["--bogus"]])
def test_verify_bad_usage_exits_2(args):
    r = _refnet("verify", *args)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "error" in r.stderr


def test_verify_exits_1_on_a_mismatch(monkeypatch, capsys):
    real = verify.judge_activation

    def planted(name, z, **kw):
        if name == "sigmoid":
            kw["derivative"] = lambda z: A.sigmoid_derivative(z) * (1 + 1e-6)
        return real(name, z, **kw)

    monkeypatch.setattr(verify, "judge_activation", planted)
    args = argparse.Namespace(examples=100, seed=0, json=False, only=["sigmoid"], networks=0)
    assert verify.run(args) == 1
    assert "MISMATCH" in capsys.readouterr().out


def _m_is_y_size(parameters, cache, X, Y, hidden="tanh", output="sigmoid"):
    """The notebook's BWP divisor: Y.size, wrong once there is more than one output."""
    return net.backward_propagation(parameters, cache, X, Y, hidden, output, m=np.asarray(Y).size)


def _no_one_over_m(parameters, cache, X, Y, hidden="tanh", output="sigmoid"):
    return net.backward_propagation(parameters, cache, X, Y, hidden, output, m=1)


@pytest.mark.parametrize("bug", [_m_is_y_size, _no_one_over_m])
@pytest.mark.parametrize("hidden", ["tanh", "relu"])
def test_network_judge_catches_planted_bugs(bug, hidden):
    good = verify.judge_network(hidden, "softmax", 3)
    assert all(r.ok for r in good)
    rows = verify.judge_network(hidden, "softmax", 3, backward=bug)
    caught = {r.oracle for r in rows if not r.ok}
    want = {"grad jax.grad", "grad richardson", "grad mpmath"}
    if A.ACTIVATIONS[hidden].analytic:
        want.add("grad complex step")
    assert caught == want
