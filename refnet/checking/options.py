"""The one place where a check's arguments are validated.

Every public check (``check_gradient``, ``check_derivative``, ``check_jacobian``, the products)
refuses an argument it cannot use with :class:`InvalidArgument`, a ``ValueError``, whose message
names the argument, what was expected and what came: ``"rtol: expected a finite number >= 0,
got -1"``.  Nothing is silently read as "off": ``complex_step="yes"`` is refused, not taken for
False.

>>> verdict_options(rtol=1e-6, atol=None, strict=False, accept_inconclusive=True)
{'rtol': 1e-06, 'atol': None, 'strict': False, 'accept_inconclusive': True}
>>> choice("mpmath", "yes", ("auto", True, False))
Traceback (most recent call last):
...
refnet.checking.options.InvalidArgument: mpmath: expected one of 'auto', True, False, got 'yes'
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["InvalidArgument", "choice", "count", "flag", "invalid", "point", "tolerance",
           "verdict_options"]

# complex_step and mpmath: probe / decide automatically, always, never
AUTO = ("auto", True, False)


class InvalidArgument(ValueError):
    """An argument a check cannot use: the message names it, what was expected, what came.

    A ``ValueError``, so ``except ValueError`` catches it too.  Every public check raises it
    before it calls ``f`` for an option of the wrong type or range (``complex_step="yes"``,
    ``rtol=-1``, ``strict="no"``, ``sample=0``), an argument that should be callable and is
    not, or a point with nothing to check or a non-finite entry: nothing is silently read as
    "off", and nothing is blamed on ``f``.  The message reads ``"NAME: expected EXPECTED, got
    GOT"``; ``refnet check`` prints it in one line and exits 2.

    See Also
    --------
    invalid : The exception for one argument, with its message.

    Examples
    --------
    >>> from refnet.check import InvalidArgument, check_gradient
    >>> check_gradient(lambda x: float(np.sum(x**2)), lambda x: 2*x, np.ones(2), rtol=-1)
    Traceback (most recent call last):
    ...
    refnet.checking.options.InvalidArgument: rtol: expected a finite number >= 0, got -1
    >>> try:
    ...     check_gradient(lambda x: 0.0, lambda x: x, np.array([1.0, np.nan]))
    ... except ValueError as exc:
    ...     print(type(exc).__name__, exc)
    InvalidArgument x: expected finite values, got nan at [1] (1 non-finite)
    """


def invalid(name: str, expected: str, got) -> InvalidArgument:
    """The exception for argument ``name``: "NAME: expected EXPECTED, got GOT"."""
    return InvalidArgument(f"{name}: expected {expected}, got {got!r}")


def _is_bool(v) -> bool:
    return isinstance(v, (bool, np.bool_))


def tolerance(name: str, v):
    """``None`` (the default) or a finite real number >= 0, as a float."""
    if v is None:
        return None
    if isinstance(v, np.ndarray) and v.ndim == 0:  # a 0-d array, as frameworks' scalars come
        v = v.item()
    if _is_bool(v) or not isinstance(v, numbers.Real) or not (np.isfinite(v) and v >= 0):
        raise invalid(name, "a finite number >= 0", v)
    return float(v)


def flag(name: str, v) -> bool:
    """True or False (a NumPy bool too); anything else is refused, not read as truthy."""
    if not _is_bool(v):
        raise invalid(name, "True or False", v)
    return bool(v)


def choice(name: str, v, allowed=AUTO):
    """One of ``allowed``, compared by type as well as value (1 is not True, "yes" is not
    anything); the value returned is the allowed one (a NumPy bool becomes a bool)."""
    for a in allowed:
        if (_is_bool(a) and _is_bool(v) and bool(v) is a) or \
                (isinstance(a, str) and isinstance(v, str) and v == a):
            return a
    raise invalid(name, "one of " + ", ".join(repr(a) for a in allowed), v)


def count(name: str, v, at_least: int = 1) -> int:
    """A whole number >= ``at_least`` (not a bool, not a float)."""
    if _is_bool(v) or not isinstance(v, (int, np.integer)) or v < at_least:
        raise invalid(name, f"a whole number >= {at_least}", v)
    return int(v)


def point(name: str, theta, layout) -> None:
    """A check's point, flattened (``theta``, ``layout``): at least one element (a check of
    nothing would be a vacuous OK), every one finite (the first that is not is named: ``x:
    expected finite values, got nan at W1[0,0]``, not blamed on f)."""
    theta = np.asarray(theta)
    if theta.size == 0:
        raise InvalidArgument(f"{name}: expected at least one element to check, got none "
                              f"(shapes {list(layout.shapes)})")
    bad = np.flatnonzero(~np.isfinite(theta))
    if bad.size:
        i = int(bad[0])
        raise InvalidArgument(f"{name}: expected finite values, got {theta[i]} at "
                              f"{layout.name(i)} ({bad.size} non-finite)")


def verdict_options(rtol, atol, strict, accept_inconclusive) -> dict:
    """The verdict options every check takes, validated."""
    return {"rtol": tolerance("rtol", rtol), "atol": tolerance("atol", atol),
            "strict": flag("strict", strict),
            "accept_inconclusive": flag("accept_inconclusive", accept_inconclusive)}
