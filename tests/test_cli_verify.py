"""`refnet verify` from the command line (in-process, through ``refnet.cli.main``), its
results' margins, and its network judge with planted bugs."""

import json
import pickle

import numpy as np
import pytest

from refnet import activations as A
from refnet import network as net
from refnet.checking import verify
from refnet.checking.verify import CHECK, label
from refnet.cli import main
from refnet.oracles import COMPLEX_STEP, MPMATH, RICHARDSON, TWIN


def _verify(capsys, *args):
    code = main(["verify", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_verify_prints_a_summary_then_the_table_with_detail(capsys):
    code, out, err = _verify(capsys, "--examples", "200", "--only", "sigmoid", "relu", "softmax",
                             "--networks", "1", "--detail")
    assert code == 0, out + err
    summary, rest = out.split("\n\n", 1)
    lines = summary.splitlines()
    assert lines[0].split() == ["function", "points", "oracles", "worst", "margin", "kink",
                                "mpmath", "verdict"]
    functions = [ln.split()[0] for ln in lines[2:]]
    assert functions == ["sigmoid", "relu", "softmax", "sigmoid-sigmoid", "sigmoid-softmax",
                         "relu-sigmoid", "relu-softmax"]
    assert all(ln.rstrip().endswith("ok") for ln in lines[2:])
    relu = next(ln for ln in lines if ln.startswith("relu "))
    assert relu.split()[1:3] == ["200", "9"] and relu.split()[-3] != "0"  # kink points counted
    assert "worst margin:" in rest and "kink:" in rest  # the legend
    assert label("f'", MPMATH) in rest and label("grad", TWIN) in rest  # the table, with --detail
    assert " inf " not in rest  # no "max rel err inf" where the oracle is exactly 0
    assert "7 functions" in out and "0 mismatched" in out


def test_verify_without_detail_prints_no_table(capsys):
    code, out, _ = _verify(capsys, "--examples", "50", "--only", "tanh", "--networks", "0")
    assert code == 0 and "tanh" in out and label("f'", MPMATH) not in out and "worst margin" in out


def test_verify_json(capsys):
    code, out, _ = _verify(capsys, "--examples", "100", "--only", "tanh", "--networks", "0",
                           "--json")
    data = json.loads(out)
    assert code == 0 and data["ok"] is True
    oracles = {row["oracle"] for row in data["results"]}
    assert oracles >= {label("f'", TWIN), label("f'", RICHARDSON)}
    assert [s["function"] for s in data["summary"]] == ["tanh"]
    assert 0 <= data["summary"][0]["margin"] <= 1


@pytest.mark.parametrize("args", [["--examples", "0"], ["--only", "nope"], ["--seed", "x"],
                                  ["--networks", "-1"], ["--bogus"]])
def test_verify_bad_usage_exits_2(args, capsys):
    code, out, err = _verify(capsys, *args)
    assert code == 2, err
    assert "Traceback" not in err and "error" in err and len(err.strip().splitlines()) == 1
    assert out == ""


def test_verify_exits_1_on_a_mismatch_and_prints_every_failing_point(monkeypatch, capsys):
    real = verify.judge_activation

    def planted(name, z, **kw):
        if name == "sigmoid":
            kw["derivative"] = lambda z: A.sigmoid_derivative(z) * (1 + 1e-6)
        return real(name, z, **kw)

    monkeypatch.setattr(verify, "judge_activation", planted)
    code, out, _ = _verify(capsys, "--examples", "30", "--only", "sigmoid", "--networks", "0")
    assert code == 1
    assert "MISMATCH" in out and "1 mismatched" in out
    failing = [ln for ln in out.splitlines() if ln.startswith("sigmoid  f'")]
    n = int(out.split("Failing points (")[1].split(")")[0])
    assert len(failing) == n > 30  # every failing point, of every failing oracle
    assert all("z = " in ln and "value" in ln and "reference" in ln and "bound" in ln
               for ln in failing)


def test_margins_are_never_rounded_across_1():
    assert [verify.format_margin(m) for m in (0.0, 0.0123, 0.996, 1.0, 1.004, 1 + 1e-12, 2.5e8)] \
        == ["0", "0.012", "0.99", "1", "1.004", "1.000000000001", "2.5e+08"]
    assert verify.format_margin(None) == "-"


def test_result_margins_and_counts():
    value = np.array([1.0, 2.0, 3.0, 0.0, 5.0])
    ref = np.array([1.0, 2.5, 3.0, 0.0, 5.0 + 1e-9])
    bound = np.array([1.0, 1.0, 1.0, 1e-3, 1e-12])
    passed = np.abs(value - ref) <= bound
    passed[4] = True  # cleared by mpmath
    r = verify.judged_row("activation", "f", "o", value, ref, passed, bound=bound,
                       z=np.arange(5.0), cleared=[0, 0, 0, 0, 1], kink=[0, 0, 1, 0, 0])
    assert r.ok and r.failures == 0
    assert r.decided_by_mpmath == 1 and r.by_kink == 1
    assert r.margin == pytest.approx(0.5)  # the cleared point's 1e3 does not count
    assert r.worst["z"] == 1.0
    r = verify.judged_row("activation", "f", "o", np.zeros(3), np.zeros(3), [True] * 3)
    assert r.max_rel is None and r.margin is None  # all references 0: no relative error
    # an oracle of exactly 0 where refnet is within the bound: no "max rel err inf"
    r = verify.judged_row("activation", "f", "o", [1e-310, 2.0], [0.0, 2.0], [True, True],
                       bound=[1e-300, 1e-15])
    assert r.max_rel == 0.0 and r.margin == pytest.approx(1e-10)
    assert " inf " not in verify.format_table([r])
    r = verify.judged_row("activation", "f", "o", value, ref, np.abs(value - ref) <= bound,
                       bound=bound, z=np.arange(5.0))
    assert r.failures == 1 and [p["z"] for p in r.failed] == [4.0]
    assert r.failed[0]["margin"] == pytest.approx(1e3, rel=1e-3)
    # a row is a view over a verdict record, like a check's report: frozen and picklable
    back = pickle.loads(pickle.dumps(r))
    assert back.record == r.record and back.to_dict() == r.to_dict()
    assert r.record.status.tolist() == [0, 0, 0, 0, 4]


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
    want = {label("grad", TWIN), label("grad", RICHARDSON), label("grad", MPMATH),
            label("grad", CHECK)}
    if A.ACTIVATIONS[hidden].analytic:
        want.add(label("grad", COMPLEX_STEP))
    assert caught == want


def test_the_check_row_is_the_users_check_and_catches_a_planted_bug():
    z = verify.sample_points(np.random.default_rng(1), 300, A.ACTIVATIONS["elu"].kinks)
    row = lambda rows: next(r for r in rows if r.oracle == label("f'", CHECK))
    good = row(verify.judge_activation("elu", z, oracles_=[CHECK]))
    assert good.ok and good.n == z.size and good.by_kink > 0
    bad = row(verify.judge_activation(
        "elu", z, derivative=lambda q, alpha=1.0: A.elu_derivative(q, alpha=alpha) * (1 + 1e-6),
        oracles_=[CHECK]))
    assert not bad.ok and bad.failures > 0.8 * z.size  # the rest lossy: f' below the scale
