"""The report of a check: a headline verdict, a verdict per element, the oracles, the worst.

Each element is one of

- **verified**: an oracle agrees within its error bar, and that bar is narrow enough to see a
  relative error of 1e-6 (or is within the gradient's rounding scale);
- **subgradient**: at a kink, between the one-sided derivatives (the convention of the code);
- **lossy**: an honest oracle disagrees beyond its bar, but by less than the rounding scale of
  the gradient (CHECK_LOSSY_ULPS eps times its largest element, or the user's ``atol``): the
  formula is right and has lost digits there;
- **unresolved**: no oracle could decide (every error bar too wide): neither a pass nor a fail;
- **mismatch**: an oracle disagrees beyond its error bar and beyond the rounding scale.

The headline is **MISMATCH** if any element is a mismatch (or f or the gradient misbehaved:
**ERROR**), else **INCONCLUSIVE** if any is unresolved, else **OK**.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from refnet import tolerances as tol
from refnet._json import json_safe

__all__ = ["Report", "Judged", "STATUS", "VERIFIED", "SUBGRADIENT", "LOSSY", "UNRESOLVED",
           "MISMATCH", "build_report", "error_report"]

VERIFIED, SUBGRADIENT, LOSSY, UNRESOLVED, MISMATCH = 0, 1, 2, 3, 4
STATUS = {VERIFIED: "verified", SUBGRADIENT: "subgradient", LOSSY: "lossy",
          UNRESOLVED: "unresolved", MISMATCH: "mismatch"}
SHOW = 10  # elements listed in the table per category (every element: Report.elements())


class Judged(NamedTuple):
    """What the judge leaves: per element ``(n, p)`` arrays of status, reason and the oracle the
    verdict rests on (name, estimate, error bar); every oracle's values; the noise floor of f;
    the gradient's scale S and the lossy scale."""

    status: np.ndarray
    reason: np.ndarray
    name: np.ndarray
    est: np.ndarray
    err: np.ndarray
    records: dict
    noise_floor: float
    noise_measured: bool
    scale: float
    lossy_scale: float
    eps: float


@dataclass
class Report:
    """The outcome of a check.

    ``verdict`` is "OK", "INCONCLUSIVE", "MISMATCH" or "ERROR" (f or the gradient misbehaved:
    ``error`` says how).  ``ok`` is true for OK only, unless the check was asked to accept
    inconclusive results (``accept_inconclusive=True``).  ``counts`` has the number of elements
    per status; ``mismatches``, ``lossy``, ``unresolved`` and ``subgradients`` list the first
    few of each, worst first (the largest margin beyond its bound); :meth:`elements` gives every
    element.  ``worst`` is the element furthest beyond its bound, with every oracle's value.
    ``oracles`` maps each oracle to the elements it judged and its largest differences from the
    analytic values.  ``scale`` is the gradient's scale S and ``lossy_scale`` the rounding scale
    below which a disagreement is lossy, not a mismatch.  ``noise_floor`` is the largest error
    of one evaluation of f: measured along a line through x where a verdict needed it
    (``noise_floor_measured``), else the rounding model eval_ulps·eps·|f(x)|.
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
    lossy: list = field(default_factory=list)
    verdict: str = "OK"
    scale: float = 0.0
    lossy_scale: float = 0.0
    eps: float = tol.EPS
    options: dict = field(default_factory=dict)
    noise_floor: float = 0.0
    noise_floor_measured: bool = True
    complex_safe: bool | None = None
    complex_reason: str = ""
    error: str | None = None
    seconds: float = 0.0
    _element: object = field(default=None, repr=False)  # flat index -> element dict

    def __bool__(self) -> bool:
        return self.ok

    def elements(self, status: str | None = None) -> list:
        """Every element (or those with ``status``), as dicts: key, index, name, value, status,
        reason, oracle, oracle_value, oracle_error, margin (|value - oracle| over its bound)."""
        if self._element is None:
            return []
        every = (self._element(k) for k in range(self.size))
        return [e for e in every if status is None or e["status"] == status]

    def summary(self) -> str:
        """One line: the verdict, the counts, and where the worst element is."""
        c = self.counts
        parts = [f"{c.get(s, 0)} {s}" for s in ("verified", "subgradient", "lossy",
                                               "unresolved", "mismatch") if c.get(s, 0)]
        line = f"refnet {self.kind}: {self.verdict} - {self.size} elements: " + \
            (", ".join(parts) if parts else "none judged")
        if self.error:
            return line + f"; error: {self.error}"
        if self.verdict == "MISMATCH" and self.worst:
            w = self.worst
            keys = sorted({str(e["key"]) for e in self.mismatches if e["key"] is not None})
            where = f" in {', '.join(keys)}" if keys else ""
            line += (f"; worst {w['name']}: {_fmt(w['value']).strip()} vs "
                     f"{_fmt(w['oracle_value']).strip()}{where}")
        elif self.verdict == "INCONCLUSIVE" and self.unresolved:
            line += f"; unresolved: {self.unresolved[0]['reason']}"
        return line

    def to_dict(self) -> dict:
        """A strict-JSON-safe dict (non-finite floats become the strings "inf", "-inf", "nan")."""
        return json_safe({
            "kind": self.kind, "verdict": self.verdict, "ok": self.ok, "size": self.size,
            "counts": self.counts, "oracles": self.oracles, "worst": self.worst,
            "mismatches": self.mismatches, "lossy": self.lossy, "unresolved": self.unresolved,
            "subgradients": self.subgradients, "scale": self.scale,
            "lossy_scale": self.lossy_scale, "eps": self.eps, "options": self.options,
            "noise_floor": self.noise_floor, "noise_floor_measured": self.noise_floor_measured,
            "complex_safe": self.complex_safe, "complex_reason": self.complex_reason,
            "error": self.error, "seconds": self.seconds,
        })

    def assert_ok(self) -> Report:
        """Raise ``AssertionError`` unless ``ok``: the summary line first, then the table."""
        __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
        if not self.ok:
            raise AssertionError(self.summary() + "\n" + str(self))
        return self

    def __str__(self) -> str:
        return _table(self)

    def _repr_html_(self) -> str:
        return _html(self)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, str):
        return v
    return f"{v: .6e}"


_TITLES = (("mismatches", "mismatch"), ("lossy (right formula, digits lost)", "lossy"),
           ("unresolved", "unresolved"), ("subgradients accepted at kinks", "subgradient"))


def _listing(r: Report, title: str, status: str) -> list:
    items = getattr(r, {"mismatch": "mismatches", "lossy": "lossy", "unresolved": "unresolved",
                        "subgradient": "subgradients"}[status])
    n = r.counts.get(status, 0)
    if not items:
        return []
    more = f" (the {len(items)} worst of {n}; Report.elements() has all)" if n > len(items) else ""
    out = ["", f"{title}{more}:",
           f"  {'element':<16} {'analytic':>14} {'oracle':>14} {'+/-':>9} {'margin':>8}  reason"]
    for e in items:
        out.append(f"  {e['name']:<16} {_fmt(e['value']):>14} {_fmt(e['oracle_value']):>14} "
                   f"{e['oracle_error']:>9.1e} {_fmt_margin(e['margin']):>8}  {e['reason']}")
    return out


def _fmt_margin(m) -> str:
    return "-" if not np.isfinite(m) else f"{m:.3g}"


def _table(r: Report) -> str:
    lines = [r.summary()]
    if r.error:
        return "\n".join(lines)
    if r.complex_safe is not None:
        cs = "yes" if r.complex_safe else f"no ({r.complex_reason})"
        lines.append(f"complex step: {cs}")
    how = "measured" if r.noise_floor_measured else "rounding model; every element verified at once"
    lines.append(f"noise floor of f (one evaluation): {r.noise_floor:.3e} ({how})")
    if r.eps > tol.EPS:
        lines.append(f"arithmetic of f or the gradient: eps {r.eps:.2e} (not float64): bounds "
                     f"follow its rounding")
    lines.append(f"gradient scale {r.scale:.3e}; a disagreement below {r.lossy_scale:.1e} is "
                 f"lossy{' and fails (strict)' if r.options.get('strict') else ''}; "
                 f"{r.seconds * 1e3:.1f} ms")
    if r.oracles:
        lines.append("")
        lines.append(f"{'oracle':<20} {'elements':>9} {'max abs err':>13} {'max rel err':>13}")
        for name, o in r.oracles.items():
            rel = "-" if o["max_rel"] is None else f"{o['max_rel']:.3e}"
            lines.append(f"{name:<20} {o['elements']:>9} {o['max_abs']:>13.3e} {rel:>13}")
    if r.worst:
        w = r.worst
        lines.append("")
        lines.append(f"worst element: {w['name']} ({w['status']}, margin "
                     f"{_fmt_margin(w['margin'])}; {w['reason']})")
        lines.append(f"  {'analytic':<20} {_fmt(w['value'])}")
        for name, o in w["oracles"].items():
            lines.append(f"  {name:<20} {_fmt(o['value'])}  +/- {o['error']:.1e}")
    for title, status in _TITLES:
        lines += _listing(r, title, status)
    if r.verdict == "INCONCLUSIVE":
        lines += ["", "INCONCLUSIVE: no element failed, but the unresolved ones were not "
                      "checked (their error bars are too wide); pass accept_inconclusive=True "
                      "to accept this, or give a twin / a complex-safe f to resolve them."]
    return "\n".join(lines)


def _html(r: Report) -> str:
    import html

    rows = []
    for _title, status in _TITLES:
        items = r.elements(status)[:SHOW]
        for e in items:
            rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in (
                status, e["name"], _fmt(e["value"]), _fmt(e["oracle_value"]),
                f"{e['oracle_error']:.1e}", _fmt_margin(e["margin"]), e["reason"])) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("status", "element", "analytic", "oracle", "+/-",
                                             "margin", "reason"))
    table = f"<table><tr>{head}</tr>{''.join(rows)}</table>" if rows else ""
    return f"<div><p><b>{html.escape(r.summary())}</b></p>{table}</div>"


def headline(counts, error, options) -> tuple[str, bool]:
    """The verdict from the counts per status (ERROR where f or the gradient misbehaved), and
    ``ok``: true for OK, and for INCONCLUSIVE only with ``accept_inconclusive``."""
    if error:
        verdict = "ERROR"
    elif counts.get("mismatch"):
        verdict = "MISMATCH"
    elif counts.get("unresolved"):
        verdict = "INCONCLUSIVE"
    else:
        verdict = "OK"
    accept = bool((options or {}).get("accept_inconclusive"))
    return verdict, verdict == "OK" or (verdict == "INCONCLUSIVE" and accept)


def error_report(kind: str, size: int, message: str, t0: float, options=None) -> Report:
    counts = {name: 0 for name in STATUS.values()}
    return Report(kind=kind, ok=False, size=size, counts=counts, oracles={}, worst=None,
                  verdict="ERROR", error=message, options=dict(options or {}),
                  seconds=time.perf_counter() - t0)


def build_report(kind, lay_in, lay_out, G, judged: Judged, t0, complex_safe, complex_reason,
                 options=None) -> Report:
    """The report of a judged check: counts, the verdict, listings ranked by margin."""
    options = dict(options or {})
    J = judged
    rtol = tol.CHECK_RTOL if options.get("rtol") is None else options["rtol"]

    def loc(i, j):
        if lay_out is not None:
            _, io = lay_out.locate(j)
            ki, ii = lay_in.locate(i)
            return ki, tuple(io) + tuple(ii)
        return lay_in.locate(i)

    with np.errstate(all="ignore"):
        bound = J.err + tol.CHECK_ATOL + rtol * np.abs(J.est)
        margin = np.abs(G - J.est) / np.where(bound > 0, bound, np.inf)
    margin = np.where(np.isfinite(margin), margin, np.where(np.isnan(J.est), np.nan, 0.0))

    def element(i, j, full=False):
        key, index = loc(i, j)
        name = f"{'' if key is None else key}" + (f"[{','.join(map(str, index))}]" if index
                                                  else ("" if key is not None else "[]"))
        e = {"key": key, "index": list(index), "name": name, "value": float(G[i, j]),
             "status": STATUS[int(J.status[i, j])], "reason": str(J.reason[i, j]),
             "oracle": str(J.name[i, j]), "oracle_value": float(J.est[i, j]),
             "oracle_error": float(J.err[i, j]), "margin": float(margin[i, j])}
        if full:
            e["oracles"] = {name: {"value": float(ov[0][i, j]), "error": float(ov[1][i, j])}
                            for name, ov in J.records.items() if np.isfinite(ov[0][i, j])}
        return e

    counts = {name: int(np.sum(J.status == code)) for code, name in STATUS.items()}
    oracles = {}
    for name, (est, err) in J.records.items():
        m = np.isfinite(est)
        if not m.any():
            continue
        with np.errstate(all="ignore"):
            d = np.abs(G[m] - est[m])
            # relative errors only where the oracle's value is above the lossy scale: below
            # it a relative error says nothing (and would print as 1e+300)
            big = np.abs(est[m]) > max(J.lossy_scale, tol.TINY)
            rel = d[big] / np.abs(est[m][big])
        oracles[name] = {"elements": int(m.sum()), "max_abs": float(d.max()),
                         "max_rel": float(rel.max()) if rel.size else None,
                         "max_error_bar": float(np.max(err[m]))}
    # rank: the worst status first, then the largest margin beyond the bound
    rank_status = {MISMATCH: 4, LOSSY: 3, UNRESOLVED: 2, SUBGRADIENT: 1, VERIFIED: 0}
    key_status = np.vectorize(rank_status.get, otypes=[float])(J.status) if G.size else \
        np.zeros(G.shape)
    key_margin = np.where(np.isfinite(margin), margin, -1.0)
    worst = None
    order_all = np.lexsort((-key_margin.ravel(), -key_status.ravel())) if G.size else []
    if G.size:
        i, j = np.unravel_index(int(order_all[0]), G.shape)
        worst = element(i, j, full=True)

    def listing(code):
        flat = [k for k in order_all if J.status.ravel()[k] == code][:SHOW]
        return [element(*np.unravel_index(int(k), G.shape)) for k in flat]

    verdict, ok = headline(counts, False, options)
    rep = Report(kind=kind, ok=ok, size=int(G.size), counts=counts, oracles=oracles,
                 worst=worst, mismatches=listing(MISMATCH), unresolved=listing(UNRESOLVED),
                 subgradients=listing(SUBGRADIENT), lossy=listing(LOSSY), verdict=verdict,
                 scale=J.scale, lossy_scale=J.lossy_scale, eps=J.eps, options=options,
                 noise_floor=J.noise_floor, noise_floor_measured=J.noise_measured,
                 complex_safe=complex_safe, complex_reason=complex_reason,
                 seconds=time.perf_counter() - t0)
    rep._element = lambda k: element(*np.unravel_index(int(k), G.shape))
    return rep
