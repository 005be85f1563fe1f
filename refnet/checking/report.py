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

import bisect
import dataclasses
import math
import time
from dataclasses import dataclass, field, fields
from functools import cached_property
from typing import NamedTuple

import numpy as np

from refnet import tolerances as tol
from refnet._json import json_safe
from refnet.checking.flatten import Layout, element_name

__all__ = ["Report", "Record", "Judged", "STATUS", "VERIFIED", "SUBGRADIENT", "LOSSY", "UNRESOLVED",
           "MISMATCH", "build_report", "error_report"]

VERIFIED, SUBGRADIENT, LOSSY, UNRESOLVED, MISMATCH = 0, 1, 2, 3, 4
STATUS = {VERIFIED: "verified", SUBGRADIENT: "subgradient", LOSSY: "lossy",
          UNRESOLVED: "unresolved", MISMATCH: "mismatch"}
SHOW = 10  # elements listed in the table per category (every element: Report.elements())


class Judged(NamedTuple):
    """What the judge leaves: per element ``(n, p)`` arrays of status, reason and the oracle the
    verdict rests on (name, estimate, error bar); every oracle's values; the noise floor of f;
    the gradient's scale S and the lossy scale; ``allowance``, where a stage accepted an element
    by a bound wider than the oracle's error bar plus rtol (the fast pass's agreement to
    CHECK_FAST_RTOL, the lossy scale), that bound (NaN elsewhere), so that the margin of an
    element that passes is at most 1."""

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
    allowance: np.ndarray | None = None


_RANK = np.array([0, 1, 3, 2, 4])  # by status code: the worst first (mismatch, lossy, ...)


def frozen_array(a, dtype=np.float64) -> np.ndarray:
    """``a`` as a flat, read-only array of ``dtype`` (a record's per-element values)."""
    a = np.array(a, dtype=dtype).ravel()
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Record:
    """The verdict record of a check: what was judged, element by element, in one frozen,
    picklable value.  Every check produces one: :class:`Report` is a view over it (the checks,
    the products, sampling, the adapters), as are a row of ``refnet verify``
    (:class:`refnet.checking.verify.Result`) and a batch verification
    (:class:`refnet.checking.batch.BatchReport`); merging reports concatenates their records
    (:meth:`concat`).

    Per element (flat, in the check's order): ``keys`` and ``indices`` (where it sits in x),
    ``names`` where they are not made from those (:meth:`name`), ``value`` (the analytic
    value judged), ``status`` (a code of :data:`STATUS`), ``oracle`` (the oracle its verdict
    rests on), ``estimate`` and ``error_bar`` (that oracle's; for a row of ``refnet verify``
    the whole allowance), ``margin`` (|value - estimate| over the bound), ``reason``,
    ``lossy_at`` (the lossy scale of the check it came from), and ``oracle_values``: ``(name,
    estimates, error bars)`` of every oracle consulted, NaN where it was not.  Then what holds
    for the whole check: ``size`` (the elements asked for: an ERROR record judged none of
    them), the gradient's ``scale``, the ``lossy_scale``, ``eps``, the ``noise_floor`` of f and
    whether it was measured, complex safety, the ``error`` that stopped the check, ``seconds``,
    and ``options`` as ``(name, value)`` pairs; ``layout``, where elements are located by it
    instead of ``keys`` and ``indices``, the structure of the values judged."""

    kind: str
    size: int
    names: tuple = ()
    keys: tuple = ()
    indices: tuple = ()
    value: np.ndarray = field(default_factory=lambda: frozen_array(()))
    status: np.ndarray = field(default_factory=lambda: frozen_array((), np.int8))
    oracle: tuple = ()
    estimate: np.ndarray = field(default_factory=lambda: frozen_array(()))
    error_bar: np.ndarray = field(default_factory=lambda: frozen_array(()))
    margin: np.ndarray = field(default_factory=lambda: frozen_array(()))
    reason: tuple = ()
    lossy_at: np.ndarray = field(default_factory=lambda: frozen_array(()))
    oracle_values: tuple = ()
    scale: float = 0.0
    lossy_scale: float = 0.0
    eps: float = tol.EPS
    noise_floor: float = 0.0
    noise_floor_measured: bool = True
    complex_safe: bool | None = None
    complex_reason: str = ""
    error: str | None = None
    seconds: float = 0.0
    options: tuple = ()
    layout: Layout | None = None
    # a merged record located lazily: ``(start, layout, suffix)`` per part, element k of the
    # part starting at ``start`` located by its layout and named with the suffix appended
    segments: tuple = ()

    def __eq__(self, other) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        for f in fields(self):
            if f.name == "seconds":  # how long it took is no part of the verdict
                continue
            a, b = getattr(self, f.name), getattr(other, f.name)
            if isinstance(a, np.ndarray):
                if a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind == "f"):
                    return False
            elif f.name == "oracle_values":
                if len(a) != len(b) or any(
                        na != nb or not np.array_equal(ea, eb, equal_nan=True)
                        or not np.array_equal(ra, rb, equal_nan=True)
                        for (na, ea, ra), (nb, eb, rb) in zip(a, b)):
                    return False
            elif a != b:
                return False
        return True

    __hash__ = None

    def __setstate__(self, state):
        """Unpickled, the per-element arrays are read-only again, as when made."""
        self.__dict__.update(state)
        arrays = [v for v in state.values() if isinstance(v, np.ndarray)]
        arrays += [a for _, est, err in state.get("oracle_values", ()) for a in (est, err)]
        for a in arrays:
            a.flags.writeable = False

    @property
    def n(self) -> int:
        """The elements judged."""
        return self.status.size

    def name(self, k: int) -> str:
        """Element ``k``'s name: given (``names``), else made from its key and index
        (:func:`refnet.checking.flatten.element_name`) when asked for, not for every element."""
        if self.names:
            return self.names[k]
        if self.segments:
            start, layout, suffix = self._segment(k)
            return element_name(*layout.locate(k - start)) + suffix
        return element_name(*self.locate(k))

    def locate(self, k: int) -> tuple:
        """Element ``k``'s ``(key, index)``: given per element (``keys``, ``indices``), else from
        the ``layout`` of the values judged (:meth:`refnet.checking.flatten.Layout.locate`)."""
        if self.keys:
            return self.keys[k], self.indices[k]
        if self.segments:
            start, layout, _ = self._segment(k)
            return layout.locate(k - start)
        return self.layout.locate(k)

    def _segment(self, k: int) -> tuple:
        starts = [s for s, _, _ in self.segments]
        return self.segments[bisect.bisect_right(starts, k) - 1]

    def element(self, k: int, full: bool = False) -> dict:
        """Element ``k`` as a dict: key, index, name, value, status, reason, oracle,
        oracle_value, oracle_error, margin; with ``full``, every oracle's value and error."""
        key, index = self.locate(k)
        e = {"key": key, "index": list(index), "name": self.name(k),
             "value": float(self.value[k]), "status": STATUS[int(self.status[k])],
             "reason": self.reason[k], "oracle": self.oracle[k],
             "oracle_value": float(self.estimate[k]), "oracle_error": float(self.error_bar[k]),
             "margin": float(self.margin[k])}
        if full:
            e["oracles"] = {name: {"value": float(est[k]), "error": float(err[k])}
                            for name, est, err in self.oracle_values if np.isfinite(est[k])}
        return e

    @staticmethod
    def concat(kind: str, parts, *, options=(), errors=(), seconds=0.0) -> Record:
        """One record of the records ``parts``, ``(record, rename)`` pairs, in order:
        ``rename(element) -> element`` gives each element its name (key, index) in the whole;
        a str ``rename`` is a suffix of the names (``"·u0"``), and where every part's is and
        every part is located by its layout, elements are named when asked for, not here.
        Per-check quantities combine: scales and eps are the largest, the noise floor measured
        where any was, complex-safe where every check that probed was."""
        recs = [r for r, _ in parts]
        names, keys, indices, segments = [], [], [], []
        lazy = all(isinstance(rename, str) and not r.names and not r.keys
                   and (r.layout is not None or r.segments or not r.n) for r, rename in parts)
        start = 0
        for r, rename in parts:
            if lazy:
                segments += ([(start + s, lay, sfx + rename) for s, lay, sfx in r.segments]
                             if r.segments else [(start, r.layout, rename)] if r.n else [])
                start += r.n
                continue
            for k in range(r.n):
                key, index = r.locate(k)
                e = {"name": r.name(k), "key": key, "index": list(index)}
                if isinstance(rename, str):
                    e["name"] += rename
                else:
                    e = rename(e)
                names.append(e["name"])
                keys.append(e["key"])
                indices.append(tuple(e["index"]))
        cat = lambda attr, dt=np.float64: frozen_array(
            np.concatenate([np.asarray(getattr(r, attr), dtype=dt) for r in recs])
            if recs else (), dt)
        oracle_names = list(dict.fromkeys(name for r in recs for name, _, _ in r.oracle_values))
        values = []
        for name in oracle_names:
            est, err = [], []
            for r in recs:
                got = {nm: (e, b) for nm, e, b in r.oracle_values}.get(name)
                est.append(got[0] if got else np.full(r.n, np.nan))
                err.append(got[1] if got else np.full(r.n, np.nan))
            values.append((name, frozen_array(np.concatenate(est)),
                           frozen_array(np.concatenate(err))))
        safe = [r.complex_safe for r in recs if r.complex_safe is not None]
        reasons = [r.complex_reason for r in recs if r.complex_reason]
        return Record(
            kind=kind, size=sum(r.size for r in recs), names=tuple(names), keys=tuple(keys),
            indices=tuple(indices), segments=tuple(segments), value=cat("value"),
            status=cat("status", np.int8),
            oracle=sum((r.oracle for r in recs), ()), estimate=cat("estimate"),
            error_bar=cat("error_bar"), margin=cat("margin"),
            reason=sum((r.reason for r in recs), ()), lossy_at=cat("lossy_at"),
            oracle_values=tuple(values), scale=max((r.scale for r in recs), default=0.0),
            lossy_scale=max((r.lossy_scale for r in recs), default=0.0),
            eps=max((r.eps for r in recs), default=tol.EPS),
            noise_floor=max((r.noise_floor for r in recs), default=0.0),
            noise_floor_measured=any(r.noise_floor_measured for r in recs),
            complex_safe=all(safe) if safe else None,
            complex_reason=reasons[0] if reasons else "",
            error="; ".join(errors) or None, seconds=seconds, options=tuple(options))


@dataclass(frozen=True, repr=False)
class Report:
    """The outcome of a check: a view over its :class:`Record` (``report.record``).

    Every check (:func:`refnet.check.check_gradient`, ``check_derivative``, ``check_jacobian``,
    the products, the torch and jax adapters) returns one.  Each element judged ends in one of
    five states (:attr:`counts` counts them, :meth:`elements` lists them):

    - **verified**: an oracle agrees within its error bar, and the bar is narrow enough to see a
      relative error of 1e-6 (within 1e-7 of the value), or lies within the lossy scale; in a
      function of many coordinates, a small element whose own 1e-7 no difference can resolve is
      verified "to the gradient's scale" by a bar within 1e-7 of S (its reason says so);
    - **subgradient**: at a kink, between the two one-sided derivatives (the convention of the
      code: relu'(0) = 0);
    - **lossy**: an honest oracle disagrees beyond its bar, but by less than the lossy scale
      (``lossy_scale``: CHECK_LOSSY_ULPS eps times the gradient's scale S, or the user's
      ``atol``): the formula is right and has lost digits there; it fails only with
      ``strict=True``;
    - **unresolved**: no oracle could decide (every error bar too wide: a cost too noisy to
      difference): neither a pass nor a fail;
    - **mismatch**: an oracle with an honest error bar disagrees beyond that bar and beyond the
      lossy scale.

    The headline, :attr:`verdict`, is one of four:

    - **MISMATCH** if any element is a mismatch;
    - **INCONCLUSIVE** if none is, but some element is unresolved;
    - **OK** if every element is verified, a subgradient or lossy;
    - **ERROR** if nothing was judged: f or the gradient raised, returned the wrong structure
      or NaN (``error`` says how).

    :attr:`ok` is true for OK only, unless the check was
    asked to accept inconclusive results (``accept_inconclusive=True``); both are derived from
    the record, never stored, and ``bool(report)`` is ``report.ok``.  ``mismatches``,
    ``lossy``, ``unresolved`` and ``subgradients`` list the first few of each (ten), worst
    first (the largest margin beyond its bound); :meth:`elements` gives every element.
    :attr:`worst` is the element furthest beyond its bound, with every oracle's value.
    :attr:`oracles` maps each oracle to the elements it judged and its largest differences from
    the analytic values.  ``scale`` is the gradient's scale S and ``lossy_scale`` the rounding
    scale below which a disagreement is lossy, not a mismatch.  ``noise_floor`` is the largest
    error of one evaluation of f: measured along a line through x where a verdict needed it
    (``noise_floor_measured``), else the rounding model eval_ulps·eps·|f(x)|.

    A report is frozen and picklable, and two reports of the same check compare equal (their
    records agree in everything but the seconds taken; ``pickle.loads(pickle.dumps(r)) == r``);
    :meth:`replace` makes a changed copy.  ``str(report)`` is the table (the summary line, the
    oracles, the worst element, the elements listed per state); in a notebook it renders as
    HTML (:meth:`_repr_html_`).

    Parameters
    ----------
    record : Record
        The verdict record of the check, element by element.

    Attributes
    ----------
    record : Record
        The frozen verdict record the report is a view over.
    kind : str
        The check that made it (``"check_gradient"``, ``"check_vjp"``, ...).
    size : int
        The elements asked for (an ERROR report judged none of them).
    scale : float
        The gradient's scale S: the largest of |g| and of every oracle's value.
    lossy_scale : float
        A disagreement below it is lossy, not a mismatch.
    eps : float
        The machine epsilon the bounds follow (2^-52 for float64, 2^-23 for float32 code).
    noise_floor : float
        The largest error of one evaluation of f.
    noise_floor_measured : bool
        Whether ``noise_floor`` was measured (else it is the rounding model).
    complex_safe : bool or None
        Whether f was found complex-safe (None where it was not probed).
    complex_reason : str
        Why f is not complex-safe, where it is not.
    error : str or None
        What stopped the check (an ERROR report), else None.
    seconds : float
        How long the check took.
    mismatches, lossy, unresolved, subgradients : list of dict
        The ten worst elements in each state, as :meth:`elements` gives them.

    See Also
    --------
    refnet.check.check_gradient : The check that makes most reports.
    Record : The frozen record a report views.

    Examples
    --------
    A gradient with one wrong element (``+ 1`` on the last):

    >>> from refnet.check import check_gradient
    >>> report = check_gradient(lambda x: np.sum(x**2), lambda x: 2*x + (x > 2),
    ...                         np.array([1.0, 2.0, 3.0]))
    >>> report.verdict, report.ok, bool(report)
    ('MISMATCH', False, False)
    >>> report.counts
    {'verified': 2, 'subgradient': 0, 'lossy': 0, 'unresolved': 0, 'mismatch': 1}
    >>> report
    <Report: refnet check_gradient: MISMATCH - 3 elements: 2 verified, 1 mismatch; worst [2]: ...>
    >>> [e["name"] for e in report.mismatches]
    ['[2]']

    A cost that rounds at 1e-8 of itself through ``float()``: no oracle can resolve its
    gradient, and the verdict is INCONCLUSIVE, which ``ok`` accepts only when asked:

    >>> report = check_gradient(lambda x: float(np.sum(np.sin(x)) + 1e8), np.cos,
    ...                         np.array([0.3, -1.2, 2.0]))
    >>> report.verdict, report.ok
    ('INCONCLUSIVE', False)
    >>> print(report.summary())
    refnet check_gradient: INCONCLUSIVE - 3 elements: 3 unresolved; unresolved: ...
    >>> report.replace(options=dict(report.options, accept_inconclusive=True)).ok
    True
    """

    record: Record

    # --- what the record holds, as it always read --------------------------------------------
    kind = property(lambda self: self.record.kind)
    size = property(lambda self: self.record.size)
    scale = property(lambda self: self.record.scale)
    lossy_scale = property(lambda self: self.record.lossy_scale)
    eps = property(lambda self: self.record.eps)
    noise_floor = property(lambda self: self.record.noise_floor)
    noise_floor_measured = property(lambda self: self.record.noise_floor_measured)
    complex_safe = property(lambda self: self.record.complex_safe)
    complex_reason = property(lambda self: self.record.complex_reason)
    error = property(lambda self: self.record.error)
    seconds = property(lambda self: self.record.seconds)

    @property
    def options(self) -> dict:
        """The options the check was run with, as a dict (a fresh copy each time).

        The verdict options ``rtol``, ``atol``, ``strict`` and ``accept_inconclusive`` (None
        where the default applied), and what else a check records (``sample=``'s ``sample``,
        ``directions`` and ``seed``).

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> report = check_gradient(lambda x: np.sum(x**2), lambda x: 2*x, np.ones(2),
        ...                         strict=True)
        >>> report.options
        {'rtol': None, 'atol': None, 'strict': True, 'accept_inconclusive': False}
        """
        return dict(self.record.options)

    def replace(self, **changes) -> Report:
        """A copy with ``changes``: fields of the report or of its record.

        A report is frozen; this makes a changed copy and leaves the report as it is.  The
        verdict and ``ok`` are derived, so a copy with other options reads them anew.

        Parameters
        ----------
        **changes
            Fields of the report (``record=``; a :class:`~refnet.checking.products.ProbeReport`
            also ``probes=``, ``guarantee=``) or of its :class:`Record` (``options=``, a dict;
            ``kind=``, ``error=``, ...).

        Returns
        -------
        Report
            The copy, of the same class.

        Raises
        ------
        TypeError
            For a name that is neither a field of the report nor of its record.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> report = check_gradient(lambda x: float(np.sum(np.sin(x)) + 1e8), np.cos,
        ...                         np.array([0.3, -1.2, 2.0]))
        >>> report.verdict, report.ok
        ('INCONCLUSIVE', False)
        >>> accepted = report.replace(options=dict(report.options, accept_inconclusive=True))
        >>> accepted.verdict, accepted.ok, report.ok
        ('INCONCLUSIVE', True, False)
        """
        mine = {k: v for k, v in changes.items() if k in {f.name for f in fields(self)}}
        theirs = {k: v for k, v in changes.items() if k not in mine}
        if "options" in theirs:
            theirs["options"] = tuple(dict(theirs["options"]).items())
        if theirs:
            mine["record"] = dataclasses.replace(self.record, **theirs)
        return dataclasses.replace(self, **mine)

    # --- derived ------------------------------------------------------------------------------
    @property
    def counts(self) -> dict:
        """The number of elements in each state, as a dict.

        Keys ``"verified"``, ``"subgradient"``, ``"lossy"``, ``"unresolved"`` and
        ``"mismatch"``, in that order, each present (0 where none); they add up to the
        elements judged (none for an ERROR report).

        Examples
        --------
        >>> from refnet.check import check_derivative
        >>> report = check_derivative(lambda z: np.maximum(z, 0.0), lambda z: (z > 0) * 1.0,
        ...                           [-1.0, 0.0, 2.0])
        >>> report.counts
        {'verified': 2, 'subgradient': 1, 'lossy': 0, 'unresolved': 0, 'mismatch': 0}
        """
        c = np.bincount(self.record.status.astype(np.int64), minlength=len(STATUS))
        return {name: int(c[code]) for code, name in STATUS.items()}

    @property
    def verdict(self) -> str:
        """The headline: ``"OK"``, ``"INCONCLUSIVE"``, ``"MISMATCH"`` or ``"ERROR"``.

        MISMATCH if any element is a mismatch, else INCONCLUSIVE if any is unresolved, else
        OK; ERROR where the check could not judge (f or the gradient raised, returned the wrong
        structure or NaN).  Derived from the counts, never stored.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> check_gradient(lambda x: np.sum(x**2), lambda x: 2*x, np.ones(3)).verdict
        'OK'
        >>> check_gradient(lambda x: np.sum(x**2), lambda x: x, np.ones(3)).verdict
        'MISMATCH'
        >>> check_gradient(lambda x: np.sum(x**2), lambda x: x[:2], np.ones(3)).verdict
        'ERROR'
        """
        return headline(self.counts, bool(self.record.error), self.options)[0]

    @property
    def ok(self) -> bool:
        """Whether the check passed, as a bool.

        True for OK, and for INCONCLUSIVE with ``accept_inconclusive=True``; False otherwise
        (MISMATCH, ERROR, INCONCLUSIVE by default).  ``bool(report)`` is the same.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> f = lambda x: float(np.sum(np.sin(x)) + 1e8)   # rounds at 1e-8 of itself
        >>> x = np.array([0.3, -1.2, 2.0])
        >>> check_gradient(f, np.cos, x).ok
        False
        >>> check_gradient(f, np.cos, x, accept_inconclusive=True).ok
        True
        """
        return headline(self.counts, bool(self.record.error), self.options)[1]

    @cached_property
    def _order(self) -> np.ndarray:
        """Element indices, the worst status first, then the largest margin."""
        r = self.record
        if not r.n:
            return np.zeros(0, dtype=np.int64)
        m = np.where(np.isfinite(r.margin), r.margin, -1.0)
        return np.lexsort((-m, -_RANK[r.status.astype(np.int64)]))

    def _listing(self, code) -> list:
        r = self.record
        return [r.element(int(k)) for k in self._order[r.status[self._order] == code][:SHOW]]

    mismatches = cached_property(lambda self: self._listing(MISMATCH))
    unresolved = cached_property(lambda self: self._listing(UNRESOLVED))
    subgradients = cached_property(lambda self: self._listing(SUBGRADIENT))
    lossy = cached_property(lambda self: self._listing(LOSSY))

    @cached_property
    def worst(self) -> dict | None:
        """The element furthest beyond its bound, with every oracle's value.

        None if no element was judged (an ERROR report).  The worst state first (mismatch,
        lossy, unresolved, subgradient, verified), then the largest margin.  A dict as
        :meth:`elements` gives it, plus ``"oracles"``: each oracle that judged it, mapped to its
        ``{"value": ..., "error": ...}``.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> report = check_gradient(lambda x: np.sum(x**2), lambda x: 2*x + (x > 2),
        ...                         np.array([1.0, 2.0, 3.0]))
        >>> w = report.worst
        >>> w["name"], w["status"], w["value"], w["oracle"]
        ('[2]', 'mismatch', 7.0, 'complex step')
        >>> round(w["oracles"]["complex step"]["value"], 6)
        6.0
        """
        return self.record.element(int(self._order[0]), full=True) if self.record.n else None

    @cached_property
    def oracles(self) -> dict:
        """Per oracle consulted, what it judged: a dict of dicts.

        Each oracle's name (``"complex step"``, ``"central difference"``, ``"richardson"``,
        ``"one-sided"``, ``"jax"``, ``"mpmath"``, ...) maps to ``elements`` (how many it
        gave a value for), ``max_abs`` and ``max_rel`` (its largest absolute and relative
        difference from the analytic values; the relative one only over values above the
        lossy scale, None where there are none) and ``max_error_bar``.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> report = check_gradient(lambda x: np.sum(x**2), lambda x: 2*x + (x > 2),
        ...                         np.array([1.0, 2.0, 3.0]))
        >>> cs = report.oracles["complex step"]
        >>> cs["elements"], round(cs["max_abs"], 6), round(cs["max_rel"], 6)
        (3, 1.0, 0.166667)
        """
        r = self.record
        out = {}
        for name, est, err in r.oracle_values:
            m = np.isfinite(est)
            if not m.any():
                continue
            with np.errstate(all="ignore"):
                d = np.abs(r.value[m] - est[m])
                # relative errors only where the oracle's value is above the lossy scale:
                # below it a relative error says nothing (and would print as 1e+300)
                big = np.abs(est[m]) > np.maximum(r.lossy_at[m], tol.TINY)
                rel = d[big] / np.abs(est[m][big])
            out[name] = {"elements": int(m.sum()), "max_abs": float(d.max()),
                         "max_rel": float(rel.max()) if rel.size else None,
                         "max_error_bar": float(np.max(err[m]))}
        return out

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.summary()}>"

    def elements(self, status: str | None = None) -> list:
        """Every element (or those with ``status``), as dicts, in the check's order.

        Each dict has ``key`` (the dict key of x, None for an array), ``index``, ``name``
        (``"W1[0,1]"``), ``value`` (the analytic value), ``status``, ``reason``, ``oracle``
        (the one the verdict rests on), ``oracle_value``, ``oracle_error`` (its error bar) and
        ``margin`` (|value - oracle| over its bound: at most 1 for an element that passes).

        Parameters
        ----------
        status : str or None, default None
            Only the elements in this state (``"verified"``, ``"subgradient"``, ``"lossy"``,
            ``"unresolved"``, ``"mismatch"``); None for all.

        Returns
        -------
        list of dict
            The elements, one dict each.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> report = check_gradient(lambda x: np.sum(x**2), lambda x: 2*x + (x > 2),
        ...                         np.array([1.0, 2.0, 3.0]))
        >>> [(e["name"], e["status"]) for e in report.elements()]
        [('[0]', 'verified'), ('[1]', 'verified'), ('[2]', 'mismatch')]
        >>> [e["name"] for e in report.elements("mismatch")]
        ['[2]']
        """
        r = self.record
        every = (r.element(k) for k in range(r.n))
        return [e for e in every if status is None or e["status"] == status]

    def summary(self) -> str:
        """One line: the verdict, the counts, and where the worst element is.

        ``refnet KIND: VERDICT - N elements: COUNTS``, then for MISMATCH the worst element, its
        value against the oracle's (in as many digits as it takes to tell them apart) and the
        keys of x holding mismatches; for INCONCLUSIVE the reason of the worst unresolved
        element; for ERROR the error.

        Returns
        -------
        str
            The line, also the first of ``str(report)``.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> p = {"a": np.array([1.0, 2.0]), "b": np.array([3.0])}
        >>> f = lambda p: np.sum(p["a"] ** 2) + np.sum(p["b"] ** 2)
        >>> report = check_gradient(f, lambda p: {"a": 2 * p["a"], "b": p["b"]}, p)
        >>> print(report.summary())
        refnet check_gradient: MISMATCH - 3 elements: 2 verified, 1 mismatch;
        worst b[0]: 3.000000e+00 vs 6.000000e+00 in b
        """
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
            a, b = _apart(w["value"], w["oracle_value"])
            line += f"; worst {w['name']}: {a} vs {b}{where}"
        elif self.verdict == "INCONCLUSIVE" and self.unresolved:
            line += f"; unresolved: {self.unresolved[0]['reason']}"
        return line

    def to_dict(self) -> dict:
        """The report as a strict-JSON-safe dict.

        Non-finite floats become the strings "inf", "-inf", "nan".  Keys: kind, verdict, ok,
        size, counts, oracles, worst, mismatches, lossy, unresolved, subgradients, scale,
        lossy_scale, eps, options, noise_floor, noise_floor_measured, complex_safe,
        complex_reason, error, seconds (the schema: ``schema/check.json``,
        ``docs/json.md``); ``refnet check --json`` prints it.

        Returns
        -------
        dict
            Plain Python values that ``json.dumps`` writes as strict JSON.

        Examples
        --------
        >>> import json
        >>> from refnet.check import check_gradient
        >>> report = check_gradient(lambda x: np.sum(x**2), lambda x: 2*x, np.ones(3))
        >>> d = json.loads(json.dumps(report.to_dict(), allow_nan=False))
        >>> d["verdict"], d["ok"], d["counts"]["verified"]
        ('OK', True, 3)
        """
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
        """Raise ``AssertionError`` unless ``ok``: the summary line first, then the table.

        For use in a test: pytest shows the table as the failure message, and the caller's line
        (not refnet's) in the traceback.

        Returns
        -------
        Report
            The report itself, where it is ``ok``.

        Raises
        ------
        AssertionError
            Unless ``ok`` (MISMATCH, ERROR, and INCONCLUSIVE without
            ``accept_inconclusive=True``); its message is ``str(report)``.

        See Also
        --------
        refnet.testing.assert_gradients_ok : ``check_gradient(...).assert_ok()``.

        Examples
        --------
        >>> from refnet.check import check_gradient
        >>> check_gradient(lambda x: np.sum(x**2), lambda x: 2*x, np.ones(3)).assert_ok()
        <Report: refnet check_gradient: OK - 3 elements: 3 verified>
        >>> check_gradient(lambda x: np.sum(x**2), lambda x: x, np.ones(3)).assert_ok()
        Traceback (most recent call last):
        ...
        AssertionError: refnet check_gradient: MISMATCH - 3 elements: 3 mismatch; worst ...
        """
        __tracebackhide__ = True  # pytest shows the caller's line, not refnet's
        if not self.ok:
            raise AssertionError(str(self))  # the table: its first line is the summary
        return self

    def __str__(self) -> str:
        return _table(self)

    def _repr_html_(self) -> str:
        """The report as HTML, for Jupyter.

        The summary, each oracle's figures, and the listed elements worst first, as the text
        table lists them.

        Returns
        -------
        str
            An HTML fragment (a ``<div>``), every value escaped.
        """
        return _html(self)


def _apart(a, b) -> tuple[str, str]:
    """``a`` and ``b`` in 7 significant digits, or in as many more (up to 17) as it takes for the
    two to read differently: a mismatch by 1e-8 is not shown as "1.111053e+00 vs 1.111053e+00"."""
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (a, b)) or a == b:
        return _fmt(a).strip(), _fmt(b).strip()
    for digits in range(6, 17):
        sa, sb = f"{a:.{digits}e}", f"{b:.{digits}e}"
        if sa != sb:
            return sa, sb
    return sa, sb


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
    contract = r.options.get("contract")
    if contract:  # the drop-ins' checks beside the gradient (refnet.torch), in order
        lines.append("checks: " + "; ".join(f"{name} {state}" for name, state in contract))
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
    """The table's content as HTML (a notebook shows it): the summary, each oracle's figures
    (also for an OK report), and the listed elements worst first, as the text lists them."""
    import html

    # inline styles (a notebook has no stylesheet of refnet's): figures in one line, monospaced,
    # apart from each other; the reason wraps
    pad = "padding:0.1em 0.6em;"
    figure = f' style="{pad}white-space:nowrap;font-family:monospace;text-align:right"'
    text = f' style="{pad}text-align:left"'

    def table(head, rows, words=(0,)):  # words: the columns of text, not figures
        def cells(tag, row):
            return "".join(f"<{tag}{text if tag == 'th' or i in words else figure}>"
                           f"{html.escape(str(c))}</{tag}>" for i, c in enumerate(row))
        body = "".join(f"<tr>{cells('td', row)}</tr>" for row in rows)
        return (f'<table style="border-collapse:collapse;margin:0.5em 0">'
                f"<tr>{cells('th', head)}</tr>{body}</table>") if rows else ""

    oracles = table(("oracle", "elements", "max abs err", "max rel err"), [
        (name, o["elements"], f"{o['max_abs']:.3e}",
         "-" if o["max_rel"] is None else f"{o['max_rel']:.3e}")
        for name, o in r.oracles.items()])
    listed = [(status, e) for _title, status in _TITLES for e in getattr(r, {
        "mismatch": "mismatches", "lossy": "lossy", "unresolved": "unresolved",
        "subgradient": "subgradients"}[status])]
    elements = table(("status", "element", "analytic", "oracle", "+/-", "margin", "reason"), [
        (status, e["name"], _fmt(e["value"]), _fmt(e["oracle_value"]), f"{e['oracle_error']:.1e}",
         _fmt_margin(e["margin"]), e["reason"]) for status, e in listed], words=(0, 1, 6))
    return f"<div><p><b>{html.escape(r.summary())}</b></p>{oracles}{elements}</div>"


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
    """The report of a check that could not judge: ``size`` elements asked for, none judged."""
    return Report(Record(kind=kind, size=int(size), error=message,
                         options=tuple(dict(options or {}).items()),
                         seconds=time.perf_counter() - t0))


def build_report(kind, lay_in, lay_out, G, judged: Judged, t0, complex_safe, complex_reason,
                 options=None) -> Report:
    """The report of a judged check: its record, element by element (G's flat order)."""
    options = dict(options or {})
    J = judged
    rtol = tol.CHECK_RTOL if options.get("rtol") is None else options["rtol"]
    n, p = G.shape if G.ndim == 2 else (G.size, 1)

    with np.errstate(all="ignore"):
        bound = J.err + tol.CHECK_ATOL + rtol * np.abs(J.est)
        if J.allowance is not None:  # the wider bound a stage accepted the element by
            bound = np.where(np.isnan(J.allowance), bound, np.fmax(bound, J.allowance))
        margin = np.abs(G - J.est) / np.where(bound > 0, bound, np.inf)
    margin = np.where(np.isfinite(margin), margin, np.where(np.isnan(J.est), np.nan, 0.0))
    # element (i, j): input i of lay_in, output j of lay_out (a Jacobian's index is the
    # output's, then the input's)
    keys, indices, layout = [], [], None
    if lay_out is None:  # one output per input: elements located by the input's layout
        layout = lay_in
    else:
        outs = lay_out.locate_all()
        for key, index in lay_in.locate_all():
            for _, out_index in outs:
                keys.append(key)
                indices.append(out_index + index)
    record = Record(
        kind=kind, size=int(G.size), keys=tuple(keys), layout=layout,
        indices=tuple(indices), value=frozen_array(G), status=frozen_array(J.status, np.int8),
        oracle=tuple(str(o) for o in np.ravel(J.name)), estimate=frozen_array(J.est),
        error_bar=frozen_array(J.err), margin=frozen_array(margin),
        reason=tuple(str(o) for o in np.ravel(J.reason)),
        lossy_at=frozen_array(np.full(G.size, J.lossy_scale)),
        oracle_values=tuple((name, frozen_array(est), frozen_array(err))
                            for name, (est, err) in J.records.items()),
        scale=float(J.scale), lossy_scale=float(J.lossy_scale), eps=float(J.eps),
        noise_floor=float(J.noise_floor), noise_floor_measured=bool(J.noise_measured),
        complex_safe=complex_safe, complex_reason=complex_reason,
        seconds=time.perf_counter() - t0, options=tuple(options.items()))
    return Report(record)
