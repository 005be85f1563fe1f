"""The report of every check is a view over one frozen verdict record: picklable, comparable,
its ``ok`` derived from its verdict, merged by concatenation."""

import dataclasses
import pickle

import numpy as np
import pytest

from refnet.check import check_derivative, check_gradient, check_vjp
from refnet.checking.report import Record, Report


def _cases():
    x = np.linspace(-1.0, 1.0, 6)
    ok = check_gradient(lambda v: float(np.sum(np.sin(v) * v)), lambda v: np.cos(v) * v +
                        np.sin(v), x)
    bad = check_gradient(lambda v: float(np.sum(v**3)), lambda v: 3 * v**2 * (1 + 1e-6), x)
    inconclusive = check_gradient(lambda v: float(np.sum(np.sin(v)) + 1e8), np.cos, x)
    probes = check_vjp(np.tanh, lambda v, u: u * (1 - np.tanh(v) ** 2), x)
    error = check_gradient(lambda v: float("nan"), lambda v: v, x)
    kink = check_derivative("relu", lambda z: (z > 0) * 1.0, np.array([-1.0, 0.0, 2.0]))
    return {"ok": ok, "bad": bad, "inconclusive": inconclusive, "probes": probes,
            "error": error, "kink": kink}


CASES = _cases()


@pytest.mark.parametrize("name", CASES)
def test_a_report_survives_pickle_and_compares_equal(name):
    r = CASES[name]
    back = pickle.loads(pickle.dumps(r))
    assert back == r and type(back) is type(r)
    assert back.summary() == r.summary() and str(back) == str(r)
    assert back.to_dict() == r.to_dict() and back.elements() == r.elements()
    # and stays frozen: its per-element arrays are read-only, as the original's
    rec = back.record
    for a in [rec.value, rec.status, rec.margin] + [e for _, e, _ in rec.oracle_values]:
        with pytest.raises(ValueError, match="read-only"):
            a[...] = 0


def test_reports_of_different_checks_differ():
    assert CASES["ok"] != CASES["bad"]
    r = CASES["ok"]
    other = r.replace(options=dict(r.options, strict=True))
    assert other != r and other.record.options != r.record.options


@pytest.mark.parametrize("name", CASES)
def test_ok_follows_the_verdict(name):
    r = CASES[name]
    assert r.ok == (r.verdict == "OK" or (r.verdict == "INCONCLUSIVE"
                                          and r.options.get("accept_inconclusive", False)))
    assert bool(r) == r.ok


def test_ok_cannot_be_set_apart_from_the_verdict():
    r = CASES["inconclusive"]
    assert r.verdict == "INCONCLUSIVE" and not r.ok
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.ok = True
    with pytest.raises(TypeError):
        dataclasses.replace(r, ok=True)
    accepted = r.replace(options=dict(r.options, accept_inconclusive=True))
    assert accepted.ok and accepted.verdict == "INCONCLUSIVE"
    assert CASES["bad"].replace(options={"accept_inconclusive": True}).ok is False


def test_the_record_is_frozen():
    rec = CASES["bad"].record
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.kind = "x"
    with pytest.raises(ValueError):
        rec.value[0] = 1.0
    with pytest.raises(ValueError):
        rec.status[0] = 0


def test_repr_is_the_summary_not_the_fields():
    r = CASES["bad"]
    assert repr(r) == f"<Report: {r.summary()}>"
    assert "MISMATCH" in repr(r) and "record=" not in repr(r)
    assert repr(CASES["probes"]).startswith("<ProbeReport: refnet check_vjp: ")


def test_merging_is_concatenation():
    r = CASES["probes"]
    assert r.size == r.record.n == sum(int(p["summary"].split(" - ")[1].split()[0])
                                       for p in r.probes)
    names = [e["name"] for e in r.elements()]
    assert names[:6] == [f"[{i}]·u0" for i in range(6)] and names[6] == "[0]·u1"
    both = Record.concat("x", [(CASES["ok"].record, lambda e: e),
                               (CASES["bad"].record, lambda e: dict(e, name=e["name"] + "'"))])
    merged = Report(both)
    assert merged.size == 12 and merged.verdict == "MISMATCH"
    assert merged.counts["mismatch"] == CASES["bad"].counts["mismatch"]
    assert [e["name"] for e in merged.mismatches] == [e["name"] + "'" for e in
                                                       CASES["bad"].mismatches]


def test_an_error_report_keeps_its_size_and_judges_nothing():
    r = CASES["error"]
    assert r.verdict == "ERROR" and not r.ok and r.size == 6 and r.elements() == []
    assert r.counts == {s: 0 for s in r.counts} and r.worst is None


def test_the_same_check_twice_gives_equal_reports_and_counts_cannot_be_tampered_with():
    x = np.linspace(-1.0, 1.0, 6)
    f = lambda v: float(np.sum(np.sin(v) * v))
    g = lambda v: np.cos(v) * v + np.sin(v)
    assert check_gradient(f, g, x) == check_gradient(f, g, x)  # the seconds differ
    r = CASES["bad"]
    r.counts["mismatch"] = 0
    assert r.verdict == "MISMATCH" and r.counts["mismatch"] > 0


def test_a_long_reason_is_cut_at_a_word():
    from refnet.checking.probe import _clipped

    text = "expected a real tensor but got: c10::complex<double> for argument #1 'self' in mul"
    short = _clipped(text, 40)
    assert short.endswith(" …") and text.startswith(short[:-2]) and len(short) <= 42
    assert text[len(short) - 2] in " :,;"  # cut between words, not inside one
    assert _clipped("short\n  enough") == "short enough"


def test_the_html_shows_what_the_text_shows_worst_first():
    ok = CASES["ok"]._repr_html_()
    assert CASES["ok"].summary() in ok and ">oracle</th>" in ok  # an OK report has content
    x = np.linspace(-1.0, 1.0, 6)
    worse = np.array([1.0, 1.0, 1e3, 1.0, 10.0, 1.0])  # element 2 furthest off, then 4
    r = check_gradient(lambda v: float(np.sum(v**3)),
                       lambda v: 3 * v**2 + 1e-3 * worse * (np.arange(6) % 2 == 0) + 1e-3 *
                       worse * (np.arange(6) == 4), x)
    page = r._repr_html_()
    names = [e["name"] for e in r.mismatches]
    assert names[0] == "[2]" and [page.index(f">{n}</td>") for n in names] == sorted(
        page.index(f">{n}</td>") for n in names)


def test_a_headline_shows_the_two_values_apart():
    # a mismatch by 1e-7 relative: seven digits would read "1.111053e+00 vs 1.111053e+00"
    import re

    import numpy as np

    from refnet.check import check_gradient

    x = np.array([0.3, 1.1, -0.4])
    f = lambda v: float(np.sum(np.sin(v) * v))
    g = lambda v: (np.cos(v) * v + np.sin(v)) * (1 + 3e-7)
    r = check_gradient(f, g, x)
    assert r.verdict == "MISMATCH"
    a, b = re.search(r"worst \S+: (\S+) vs (\S+)", r.summary()).groups()
    assert a != b and float(a) == pytest.approx(float(b), rel=1e-6), r.summary()
