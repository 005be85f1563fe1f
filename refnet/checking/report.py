"""The report of a check: a verdict per element, the oracles that judged it, and the worst.

Statuses of an element: verified, subgradient (at a kink), unresolved, mismatch.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from refnet import tolerances as tol

__all__ = ["Report", "STATUS", "VERIFIED", "SUBGRADIENT", "UNRESOLVED", "MISMATCH"]

VERIFIED, SUBGRADIENT, UNRESOLVED, MISMATCH = 0, 1, 2, 3
STATUS = {VERIFIED: "verified", SUBGRADIENT: "subgradient", UNRESOLVED: "unresolved",
          MISMATCH: "mismatch"}
SHOW = 10  # elements listed in the table per category


@dataclass
class Report:
    """The outcome of a check.

    ``ok`` is True when no element is a mismatch and nothing went wrong (f and the gradient ran
    and were finite).  ``oracles`` maps each oracle used to how many elements it judged and the
    largest absolute and relative difference from the analytic values there.  ``worst`` is the
    element furthest outside (or closest to the edge of) its oracle's bound; ``mismatches``,
    ``unresolved`` and ``subgradients`` list elements (the first few; ``counts`` has the totals).
    ``noise_floor`` is the largest estimated error of one evaluation of f: measured from f
    along a line through x where any element needed it (``noise_floor_measured``), else the
    rounding model eval_ulps·eps·|f(x)| (every element was verified by the fast pass, and the
    65 evaluations a measurement costs were not spent).
    """

    kind: str
    ok: bool
    size: int
    counts: dict
    oracles: dict
    worst: dict | None
    mismatches: list = field(default_factory=list)
    unresolved: list = field(default_factory=list)
    subgradients: list = field(default_factory=list)
    noise_floor: float = 0.0
    noise_floor_measured: bool = True
    complex_safe: bool | None = None
    complex_reason: str = ""
    error: str | None = None
    seconds: float = 0.0

    def __bool__(self) -> bool:
        return self.ok

    def to_dict(self) -> dict:
        """A JSON-safe dict (non-finite floats become strings)."""
        return _json_safe({
            "kind": self.kind, "ok": self.ok, "size": self.size, "counts": self.counts,
            "oracles": self.oracles, "worst": self.worst, "mismatches": self.mismatches,
            "unresolved": self.unresolved, "subgradients": self.subgradients,
            "noise_floor": self.noise_floor, "noise_floor_measured": self.noise_floor_measured,
            "complex_safe": self.complex_safe,
            "complex_reason": self.complex_reason, "error": self.error,
            "seconds": self.seconds,
        })

    def assert_ok(self) -> "Report":
        """Raise ``AssertionError`` with the table unless ``ok``; return the report otherwise."""
        if not self.ok:
            raise AssertionError("\n" + str(self))
        return self

    def __str__(self) -> str:
        return _table(self)


def _json_safe(obj):
    if isinstance(obj, dict):
        return {str(k): _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else str(v)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v: .6e}"


def _elem_name(e) -> str:
    """``W1[0,2]``; a 0-d part by its key alone; a plain array's element as ``[3]``."""
    key = "" if e["key"] is None else str(e["key"])
    if not e["index"]:
        return key or "[]"
    return f"{key}[{','.join(str(i) for i in e['index'])}]"


def _table(r: Report) -> str:
    c = r.counts
    head = "OK" if r.ok else "MISMATCH" if r.error is None else "ERROR"
    lines = [f"refnet {r.kind}: {head} - {r.size} elements: {c.get('verified', 0)} verified, "
             f"{c.get('subgradient', 0)} subgradient at a kink, {c.get('unresolved', 0)} "
             f"unresolved, {c.get('mismatch', 0)} mismatch  ({r.seconds * 1e3:.1f} ms)"]
    if r.error:
        lines.append(f"error: {r.error}")
    if r.complex_safe is not None:
        cs = "yes" if r.complex_safe else f"no ({r.complex_reason})"
        lines.append(f"complex step: {cs}")
    how = "measured" if r.noise_floor_measured else "rounding model; every element verified at once"
    lines.append(f"noise floor of f (one evaluation): {r.noise_floor:.3e} ({how})")
    if r.oracles:
        lines.append("")
        lines.append(f"{'oracle':<20} {'elements':>9} {'max abs err':>13} {'max rel err':>13}")
        for name, o in r.oracles.items():
            lines.append(f"{name:<20} {o['elements']:>9} {o['max_abs']:>13.3e} "
                         f"{o['max_rel']:>13.3e}")
    if r.worst:
        w = r.worst
        lines.append("")
        lines.append(f"worst element: {_elem_name(w)} ({w['status']}; {w['reason']})")
        lines.append(f"  {'analytic':<20} {_fmt(w['value'])}")
        for name, o in w["oracles"].items():
            lines.append(f"  {name:<20} {_fmt(o['value'])}  +/- {o['error']:.1e}")
    for title, items, n in (("mismatches", r.mismatches, c.get("mismatch", 0)),
                            ("unresolved", r.unresolved, c.get("unresolved", 0)),
                            ("subgradients accepted at kinks", r.subgradients,
                             c.get("subgradient", 0))):
        if not items:
            continue
        lines.append("")
        more = f" (first {len(items)} of {n})" if n > len(items) else ""
        lines.append(f"{title}{more}:")
        lines.append(f"  {'element':<16} {'analytic':>14} {'oracle':>14} {'+/-':>9}  reason")
        for e in items:
            lines.append(f"  {_elem_name(e):<16} {_fmt(e['value']):>14} "
                         f"{_fmt(e['oracle_value']):>14} {e['oracle_error']:>9.1e}  {e['reason']}")
    return "\n".join(lines)


def error_report(kind: str, size: int, message: str, t0: float) -> Report:
    counts = {name: 0 for name in STATUS.values()}
    return Report(kind=kind, ok=False, size=size, counts=counts, oracles={},
                  worst=None, error=message, seconds=time.perf_counter() - t0)


def build_report(kind, lay_in, lay_out, G, judged, t0, complex_safe, complex_reason) -> Report:
    status, reason, best_name, best_est, best_err, oracle_vals, (noise_floor, measured) = judged
    n, p = G.shape

    def loc(i, j):
        if kind == "jacobian":
            ko, io = lay_out.locate(j) if lay_out is not None else (None, (j,))
            ki, ii = lay_in.locate(i)
            return ki, tuple(io) + tuple(ii)
        return lay_in.locate(i)

    def element(i, j, full=False):
        key, index = loc(i, j)
        e = {"key": key, "index": list(index), "value": float(G[i, j]),
             "status": STATUS[int(status[i, j])], "reason": str(reason[i, j]),
             "oracle": str(best_name[i, j]), "oracle_value": float(best_est[i, j]),
             "oracle_error": float(best_err[i, j])}
        if full:
            e["oracles"] = {name: {"value": float(ov[0][i, j]), "error": float(ov[1][i, j])}
                            for name, ov in oracle_vals.items() if np.isfinite(ov[0][i, j])}
        return e

    counts = {name: int(np.sum(status == code)) for code, name in STATUS.items()}
    oracles = {}
    for name, (est, err) in oracle_vals.items():
        m = np.isfinite(est)
        if not m.any():
            continue
        d = np.abs(G[m] - est[m])
        rel = d / np.maximum(np.abs(est[m]), tol.TINY)
        oracles[name] = {"elements": int(m.sum()), "max_abs": float(d.max()),
                         "max_rel": float(rel.max()),
                         "max_error_bar": float(np.max(err[m]))}
    # worst: the largest |analytic - oracle| / (its bound), mismatches first
    with np.errstate(all="ignore"):
        bound = best_err + tol.CHECK_ATOL + tol.CHECK_RTOL * np.abs(best_est)
        ratio = np.abs(G - best_est) / np.where(bound > 0, bound, tol.TINY)
    ratio = np.where(np.isfinite(ratio), ratio, 0.0) + (status == MISMATCH) * 1e300
    worst = None
    if G.size:
        i, j = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        worst = element(i, j, full=True)

    def listing(code):
        ii, jj = np.nonzero(status == code)
        order = np.argsort(-ratio[ii, jj], kind="stable")[:SHOW]
        return [element(ii[o], jj[o]) for o in order]

    return Report(kind=kind, ok=counts["mismatch"] == 0, size=int(G.size), counts=counts,
                  oracles=oracles, worst=worst, mismatches=listing(MISMATCH),
                  unresolved=listing(UNRESOLVED), subgradients=listing(SUBGRADIENT),
                  noise_floor=noise_floor, noise_floor_measured=measured,
                  complex_safe=complex_safe,
                  complex_reason=complex_reason, seconds=time.perf_counter() - t0)
