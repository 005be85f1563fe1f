"""``jax.test_util.check_grads`` with jax's calling convention and refnet's verdict.  Replace
one import line and keep the test::

    from jax.test_util import check_grads       # before
    from refnet.jax import check_grads          # after

    check_grads(f, (x, w), order=1)             # None, or AssertionError with .report

For ``custom_vjp`` and ``custom_jvp`` rules, and any function jax differentiates: ``"rev"``
checks ``jax.vjp`` with random Gaussian cotangents (never ones) by
:func:`refnet.check.check_vjp`; ``"fwd"`` checks ``jax.jvp`` with random Gaussian tangents by
:func:`refnet.check.check_jvp`; both against differences (or the complex step) of ``f`` itself,
element by element, with refnet's five states.  ``order=2`` checks the derivatives of those
maps too (the vjp and the jvp with a fixed random cotangent or tangent, as jax's check_grads
does), and so on.  Arguments keep their dtype (a float32 function is judged with float32
rounding).  ``eps`` is accepted and ignored (refnet chooses its own steps); ``atol``/``rtol``
replace refnet's lossy scale and relative tolerance beyond the oracle's error bar.

The module is ``refnet.jax``; ``import jax`` inside it is the real jax (imports are absolute).
"""

from __future__ import annotations

import functools
import weakref

import numpy as np

try:
    import jax
    import jax.numpy as jnp
except ImportError as exc:  # pragma: no cover - jax is a dependency of refnet
    raise ImportError('refnet.jax needs jax (a dependency of refnet): pip install jax') from exc

from refnet.check import check_jvp, check_vjp
from refnet.checking.flatten import same_values
from refnet.checking.products import merge_reports

__all__ = ["CheckGradsError", "check_grads"]


class CheckGradsError(AssertionError):
    """Raised when refnet's check fails, carrying refnet's report.

    An ``AssertionError``, as jax's ``check_grads`` raises, so a test written for
    ``jax.test_util.check_grads`` keeps working; its message is the report's table, headed by
    its summary line, and refnet's :class:`~refnet.checking.report.Report` is ``.report``
    (``str(report)`` is the table, ``report.to_dict()`` its JSON form).

    Parameters
    ----------
    report : Report
        The failed check's report (MISMATCH, INCONCLUSIVE or ERROR).

    Attributes
    ----------
    report : Report
        The same report.

    See Also
    --------
    check_grads : raises it when a derivative is wrong.

    Examples
    --------
    >>> import jax
    >>> import jax.numpy as jnp
    >>> from refnet.jax import CheckGradsError, check_grads
    >>> jax.config.update("jax_enable_x64", True)  # float64, as refnet.twin switches on
    >>> @jax.custom_jvp
    ... def square(x):
    ...     return x * x
    >>> @square.defjvp
    ... def square_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return x * x, x * t  # planted bug: the derivative of x*x is 2*x
    >>> try:
    ...     check_grads(square, (np.array([0.1, -0.5, 2.0]),), order=1)
    ... except CheckGradsError as exc:
    ...     error = exc
    >>> isinstance(error, AssertionError), error.report.verdict, error.report.ok
    (True, 'MISMATCH', False)
    """

    def __init__(self, report):
        super().__init__(str(report))  # the table, headed by the summary line
        self.report = report


def _leaves_dict(tree, prefix="outputs"):
    leaves = jax.tree_util.tree_leaves(tree)
    return {f"{prefix}[{j}]": np.asarray(a) for j, a in enumerate(leaves)}


def _chained(f, kinds):
    """``g(consts, *xs)``: ``f`` through the derivative maps ``kinds`` ("rev": x ↦ uᵀJ(x),
    "fwd": x ↦ J(x) t), the cotangents and tangents passed in ``consts``, not closed over, so
    one compiled program serves every call with the same function, maps and shapes."""
    def g(consts, *xs):
        h = f
        for kind, c in zip(kinds, consts):
            h = _vjp_map(h, c) if kind == "rev" else _jvp_map(h, c)
        return h(*xs)
    return g


def _vjp_map(h, u):
    """x ↦ uᵀJ_h(x)."""
    return lambda *ys: jax.vjp(h, *ys)[1](u)


def _jvp_map(h, t):
    """x ↦ J_h(x) t."""
    return lambda *ys: jax.jvp(h, ys, t)[1]


# the compiled programs of each user function: f -> {maps: (f, vjp, jvp)}, dropped with f
_PROGRAMS = weakref.WeakKeyDictionary()


def _programs(f, kinds):
    """``(f, vjp, jvp)`` of ``_chained(f, kinds)``, jitted once per user function and maps
    (``jax.jit`` then compiles once per shape and dtype): a second check of the same function
    compiles nothing."""
    try:
        per_f = _PROGRAMS.setdefault(f, {})
    except TypeError:  # f cannot be weakly referenced: compiled for this call only
        per_f = {}
    if kinds not in per_f:
        g = _chained(f, kinds)
        per_f[kinds] = (
            _jit(lambda consts, args: g(consts, *args)),
            _jit(lambda consts, args, u: jax.vjp(lambda *ys: g(consts, *ys), *args)[1](u)),
            _jit(lambda consts, args, t: jax.jvp(lambda *ys: g(consts, *ys), args, t)[1]),
            jax.jit(jax.vmap(lambda consts, args: g(consts, *args), in_axes=(None, 0))))
    return per_f[kinds]


def _jit(fn):
    jitted = jax.jit(fn)

    def call(*a):
        try:
            return jitted(*a)
        except jax.errors.JAXTypeError:  # f does not trace (NumPy inside, say): eagerly
            return fn(*a)
    return call


@functools.lru_cache(maxsize=1)
def _points_sharding():
    """The layout of a batch of points over every local device: a ``NamedSharding`` of axis 0
    over a one-axis mesh ``("points",)`` of ``jax.local_devices()`` (under
    ``jax.distributed``, each process lays its batches over its own devices), or None where
    there is one device.  Made once per process: the devices do not change."""
    devices = jax.local_devices()
    if len(devices) < 2:
        return None
    mesh = jax.sharding.Mesh(np.array(devices), ("points",))
    return jax.sharding.NamedSharding(mesh, jax.sharding.PartitionSpec("points"))


def _agree(a, b) -> bool:
    """Whether two outputs of f agree as a compiled and an eager run of the same f do: the same
    structure, each part :func:`~refnet.checking.flatten.same_values`."""
    la, lb = jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)
    return len(la) == len(lb) and all(np.shape(x) == np.shape(y) and same_values(x, y)
                                      for x, y in zip(la, lb))


class _Adapter:
    """``f(*args)`` through the derivative maps ``kinds`` (with ``consts``), seen as NumPy
    callables over ``{"args[i]": array}``; compiled once per function, maps and shapes
    (:func:`_programs`), eager where f does not trace."""

    def __init__(self, f, args, kinds=(), consts=()):
        self.f = f
        self.devices = 1
        self.args = tuple(args)
        self.consts = tuple(consts)
        # args may be pytrees (a dict of arrays): each leaf is one part of x, named by its path
        paths, self.args_def = jax.tree_util.tree_flatten_with_path(self.args)
        self.keys = [f"args{jax.tree_util.keystr(p)}" for p, _ in paths]
        self.x = {k: np.array(a) for k, (_, a) in zip(self.keys, paths)}
        self.dtypes = {k: a.dtype for k, a in self.x.items()}
        for k, dt in self.dtypes.items():
            if dt.kind != "f":
                raise TypeError(f"check_grads: {k} has dtype {dt}, expected a floating array")
        self.jf, self.jvjp, self.jjvp, self.jbatch = _programs(f, tuple(kinds))
        out = self.jf(self.consts, self.args)
        if not kinds and not _agree(out, f(*self.args)):
            # the programs kept for f were traced when what f reads (a global, a closed-over
            # array) held other values: traced anew, so f is checked as it is now
            _PROGRAMS.pop(f, None)
            self.jf, self.jvjp, self.jjvp, self.jbatch = _programs(f, tuple(kinds))
            out = self.jf(self.consts, self.args)
        self.treedef = jax.tree_util.tree_structure(out)
        self.out_shapes = [np.shape(a) for a in jax.tree_util.tree_leaves(out)]
        self.out_dtypes = [np.asarray(a).dtype for a in jax.tree_util.tree_leaves(out)]

    def to_args(self, x):
        return self.to_args_leaves(self._leaves(x))

    def to_args_leaves(self, leaves):
        return jax.tree_util.tree_unflatten(self.args_def, leaves)

    def _leaves(self, x):
        out = []
        for k in self.keys:
            a = np.asarray(x[k])
            if a.dtype.kind == "c":
                if self.dtypes[k] != np.float64:  # the complex step's bar assumes float64
                    raise TypeError("the complex step is taken on float64 arguments only")
                out.append(jnp.asarray(a, dtype=jnp.complex128))
            else:
                out.append(jnp.asarray(a, dtype=self.dtypes[k]))
        return out

    def np_f(self, x):
        return _leaves_dict(self.jf(self.consts, self.to_args(x)))

    def np_f_batch(self, xb):
        """f at a batch of points (each part ``(B, ...)``) in one call: ``jit(vmap(f))``, the
        points laid out over every local device where there are several
        (:func:`_points_sharding`; the batch padded with copies of its last point to a
        multiple of their number).  ``self.devices``: the most devices a batch ran on."""
        leaves = self._leaves(xb)
        sharding = _points_sharding()
        B = int(np.shape(leaves[0])[0]) if leaves else 0
        if sharding is None or B < 2:
            return _leaves_dict(self.jbatch(self.consts, self.to_args_leaves(leaves)))
        k = len(sharding.mesh.devices.flat)
        pad = -B % k
        leaves = [jax.device_put(jnp.concatenate([a, jnp.repeat(a[-1:], pad, axis=0)])
                                 if pad else a, sharding) for a in leaves]
        out = self.jbatch(self.consts, self.to_args_leaves(leaves))
        self.devices = max([self.devices] + [len(o.sharding.device_set)
                                             for o in jax.tree_util.tree_leaves(out)])
        return {k_: a[:B] for k_, a in _leaves_dict(out).items()}

    def batched(self):
        """:meth:`np_f_batch` where f runs under vmap and gives, point for point, what
        :meth:`np_f` gives (:func:`~refnet.checking.flatten.same_values`); None where it does
        not (a callback without a batching rule, say): the check then calls f once per
        point."""
        try:
            got = self.np_f_batch({k: np.stack([a, a]) for k, a in self.x.items()})
            want = self.np_f(self.x)
        except Exception:
            return None
        if set(got) != set(want) or not all(np.shape(got[k])[:1] == (2,)
                                            and same_values(got[k], a) for k, a in want.items()):
            return None
        return self.np_f_batch

    def np_vjp(self, x, u):
        cot = jax.tree_util.tree_unflatten(self.treedef, [
            jnp.asarray(u[f"outputs[{j}]"], dtype=dt) for j, dt in enumerate(self.out_dtypes)])
        g = jax.tree_util.tree_leaves(self.jvjp(self.consts, self.to_args(x), cot))
        return {k: np.asarray(a) for k, a in zip(self.keys, g)}

    def np_jvp(self, x, t):
        tan = jax.tree_util.tree_unflatten(self.args_def, [
            jnp.asarray(t[k], dtype=self.dtypes[k]) for k in self.keys])
        return _leaves_dict(self.jjvp(self.consts, self.to_args(x), tan))


# in jax's TypeError: "can't apply forward-mode autodiff (jvp) to a custom_vjp function"
_NO_FWD = "custom_vjp"


def _reports(f, args, order, modes, opts, seed, label="", kinds=(), consts=()):
    """The reports of every mode at this order and, recursively, of the derivative maps (the
    maps ``kinds`` applied to ``f`` with their cotangents and tangents ``consts``)."""
    a = _Adapter(f, args, kinds, consts)
    out = []
    k = opts.pop("probes", 3)
    fast = opts.pop("fast", False)
    if "rev" in modes:
        # f over a batch of points, where it runs under vmap (a projection takes a few points
        # one at a time, and is not worth the calls that find out)
        batch = None if fast else a.batched()
        r = check_vjp(batch or a.np_f, a.np_vjp, a.x, cotangents=k, seed=seed,
                      vectorized=batch is not None, fast=fast, **opts)
        if batch is not None:  # how many devices the batches of points were laid out over
            r = r.replace(options=dict(r.options, devices=a.devices))
        elif not fast:  # said, not silent: an f vmap cannot run is called point by point
            r = r.replace(options=dict(r.options, unbatched=True))
        out.append((f"{label}rev", r))
    if "fwd" in modes:
        out.append((f"{label}fwd", check_jvp(a.np_f, a.np_jvp, a.x, tangents=k, seed=seed,
                                              **opts)))
    opts["probes"], opts["fast"] = k, fast
    if order > 1:
        rng = np.random.default_rng(seed + 1)
        if "rev" in modes:
            u = jax.tree_util.tree_unflatten(a.treedef, [
                jnp.asarray(rng.standard_normal(shape), dtype=dt)
                for shape, dt in zip(a.out_shapes, a.out_dtypes)])
            out += _reports(f, args, order - 1, modes, dict(opts), seed, f"{label}rev∘",
                            kinds + ("rev",), consts + (u,))
        if "fwd" in modes:
            t = jax.tree_util.tree_map(
                lambda v: jnp.asarray(rng.standard_normal(np.shape(v)), dtype=jnp.asarray(v).dtype),
                tuple(args))
            try:
                out += _reports(f, args, order - 1, modes, dict(opts), seed, f"{label}fwd∘",
                                kinds + ("fwd",), consts + (t,))
            except TypeError as exc:  # no jvp map of a custom_vjp function to check
                if _NO_FWD not in str(exc):
                    raise
    return out


def _applicable(parts, modes):
    """The parts of a check that ran, and ``(mode, why)`` for a mode jax could not take: a
    custom_vjp function has no forward-mode derivative (jax's own check_grads raises TypeError
    on it with the default modes), so its "fwd" parts end in jax's TypeError at the first jvp,
    at no cost to the other mode.  Where no part is left, that TypeError, saying so."""
    def no_fwd(name, r):
        return "fwd" in name and r.error and _NO_FWD in r.error and "TypeError" in r.error

    kept = [(n, r) for n, r in parts if not no_fwd(n, r)]
    if len(kept) == len(parts):
        return parts, []
    if not kept:
        raise TypeError(f"modes={modes!r}: jax cannot take the forward-mode derivative of a "
                        f"custom_vjp function (check it with modes=('rev',))")
    why = "f is a custom_vjp function, which has no forward-mode derivative in jax"
    return kept, [("fwd", why)]


def check_grads(f, args, order=1, modes=("fwd", "rev"), atol=None, rtol=None, eps=None, *,
                seed=0, probes=None, accept_inconclusive=False, fast=False):
    """Check ``f``'s derivatives as ``jax.test_util.check_grads`` does, with refnet's verdict.

    ``jax.test_util.check_grads`` judged by refnet: ``None``, or raises
    :class:`CheckGradsError` (an ``AssertionError``) whose ``.report`` is refnet's report.

    ``f`` takes the arrays (or pytrees of arrays, e.g. a dict of parameters) of ``args`` and
    returns an array or a pytree of arrays.  Each mode
    in ``modes`` ("rev": ``jax.vjp``, "fwd": ``jax.jvp``) is checked on ``probes`` random
    Gaussian cotangents or tangents (never ones), by :func:`refnet.check.check_vjp` and
    :func:`refnet.check.check_jvp`, element by element against differences (or the complex
    step) of ``f`` itself; ``order=2`` checks the derivative of the vjp and jvp maps
    too (with a fixed random cotangent / tangent), and so on.  ``eps`` is ignored (refnet
    chooses its own steps); ``atol``/``rtol`` replace refnet's lossy scale and relative
    tolerance.  On a custom_vjp function "fwd" is not applicable: the reverse mode is checked
    and the report says so (with ``modes=("fwd",)`` alone, jax's TypeError).  Arguments keep
    their dtype (a float32 function is judged with float32 rounding); each function is compiled
    once per shape (``jax.jit``, eager where it does not trace).

    Parameters
    ----------
    f : callable
        The function, ``f(*args)``: a ``custom_vjp`` or ``custom_jvp`` function, or any
        function jax differentiates.  Returns an array or a pytree of arrays.
    args : tuple or list
        ``f``'s arguments: floating arrays or pytrees of them.  A bare array is refused
        (TypeError): write ``(x,)``.
    order : int, default 1
        Check derivatives up to this order (1 or more): ``order=2`` also checks the vjp and
        jvp maps, with a fixed random cotangent or tangent, and so on.
    modes : str or tuple of str, default ("fwd", "rev")
        "fwd" (``jax.jvp``, random tangents) and/or "rev" (``jax.vjp``, random cotangents).
        On a ``custom_vjp`` function "fwd" is reported not applicable and "rev" is checked.
    atol : float, optional
        Default ``None``: refnet's own bounds (not jax's tolerance by dtype).  Given, it
        replaces refnet's lossy scale.
    rtol : float, optional
        Default ``None``: refnet's own bound.  Given, it replaces refnet's relative tolerance
        beyond the oracle's error bar.
    eps : float, optional
        The finite-difference step of jax's check: accepted, not used (refnet chooses its
        steps).
    seed : int, default 0
        Seed of the random cotangents and tangents (refnet's own keyword).
    probes : int, optional
        How many random cotangents (and tangents) each mode is checked on: 3, or 1 with
        ``fast=True`` (refnet's own keyword).
    accept_inconclusive : bool, default False
        Count an INCONCLUSIVE report (elements no oracle could resolve, none wrong) as a pass
        (refnet's own keyword).
    fast : bool, default False
        "rev" judged by one random projection per probe, vjp(u)·d against the derivative of
        u·f along a Gaussian direction d, as jax's check_grads judges it, with refnet's error
        bars, and the wrong elements localised by halving where it fails
        (:func:`refnet.check.check_vjp` with ``fast=True``); "fwd" is still judged output by
        output (refnet's own keyword).

    Returns
    -------
    None
        Where every checked derivative passes.

    Raises
    ------
    CheckGradsError
        When a check fails: a mismatch, an INCONCLUSIVE report without
        ``accept_inconclusive``, or an ERROR (``f`` or its derivative raised).
    TypeError
        When ``args`` is not a tuple or list, an argument is not floating, ``modes=("fwd",)``
        names only forward mode for a ``custom_vjp`` function, or a keyword is unknown.
    ValueError
        When ``modes`` names anything but "fwd" and "rev" (or nothing), or ``order`` is below
        1.

    See Also
    --------
    refnet.check.check_vjp : the NumPy check behind "rev".
    refnet.check.check_jvp : the NumPy check behind "fwd".
    refnet.torch.gradcheck : the same for PyTorch.

    Examples
    --------
    >>> import jax
    >>> import jax.numpy as jnp
    >>> from refnet.jax import check_grads
    >>> jax.config.update("jax_enable_x64", True)  # float64, as refnet.twin switches on
    >>> x = np.array([0.1, -0.5, 2.0])
    >>> check_grads(jnp.tanh, (x,), order=2) is None
    True

    A ``custom_vjp`` rule with a planted bug (``sigmoid(-x)`` for ``sigmoid(x)``) fails:

    >>> @jax.custom_vjp
    ... def softplus(x):
    ...     return jnp.logaddexp(x, 0.0)
    >>> def softplus_fwd(x):
    ...     return softplus(x), x
    >>> def softplus_bwd(x, g):
    ...     return (g * jax.nn.sigmoid(-x),)  # planted bug: the derivative is sigmoid(x)
    >>> softplus.defvjp(softplus_fwd, softplus_bwd)
    >>> check_grads(softplus, (x,), order=1, modes=("rev",))
    Traceback (most recent call last):
        ...
    refnet.jax.CheckGradsError: refnet check_grads: MISMATCH - 9 elements: 9 mismatch; ...
    """
    del eps
    if not isinstance(args, (tuple, list)):  # an array would be taken apart into its rows
        raise TypeError(f"args: expected a tuple of f's arguments, as jax.test_util."
                        f"check_grads takes them, got {type(args).__name__}; write (x,)")
    if isinstance(modes, str):
        modes = (modes,)
    if not set(modes) <= {"fwd", "rev"} or not modes:
        raise ValueError(f"modes: expected 'fwd' and/or 'rev', got {modes!r}")
    if int(order) < 1:
        raise ValueError(f"order: expected 1 or more, got {order!r}")
    opts = {"rtol": rtol, "atol": atol, "accept_inconclusive": accept_inconclusive,
            "probes": (1 if fast else 3) if probes is None else probes, "fast": bool(fast)}
    parts, skipped = _applicable(_reports(f, tuple(args), int(order), tuple(modes), opts, seed),
                                 tuple(modes))
    report = parts[0][1].replace(kind="check_grads") if len(parts) == 1 else merge_reports(
        "check_grads", [(name, r, "") for name, r in parts],
        options=parts[0][1].options, guarantee=" / ".join(dict.fromkeys(
            r.guarantee for _, r in parts)))
    if len(parts) > 1:
        report = report.replace(probes=tuple(dict(p, probe=f"{name}:{p['probe']}")
                                             for name, r in parts for p in r.probes))
    if skipped:  # the report says which mode could not run, and why
        report = report.replace(probes=tuple(report.probes) + tuple(
            {"probe": mode, "verdict": "", "summary": f"not applicable: {why}"}
            for mode, why in skipped))
    # which checks ran and how each ended (the report's second line)
    contract = tuple((name, r.verdict) for name, r in parts) + tuple(
        (mode, f"not applicable ({why})") for mode, why in skipped)
    devices = max((r.options.get("devices", 1) for _, r in parts), default=1)
    if devices > 1:
        contract += (("points laid out over", f"{devices} devices"),)
    if any(r.options.get("unbatched") for _, r in parts):
        contract += (("points", "one call each (f does not run under jax.vmap)"),)
    report = report.replace(options=dict(report.options, contract=contract))
    if not report.ok:
        raise CheckGradsError(report)
