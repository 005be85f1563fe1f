"""``torch.autograd.gradcheck`` and ``gradgradcheck`` with torch's calling convention and
refnet's verdict.  Replace one import line and keep the test::

    from torch.autograd import gradcheck        # before
    from refnet.torch import gradcheck          # after

    assert gradcheck(MyFunction.apply, (x, w))  # True, or raises GradcheckError with .report

``func`` is any function of tensors (a ``torch.autograd.Function``'s ``apply`` with its own
backward included); the inputs that require grad are checked, the others held fixed.  The
function's backward is reached through ``torch.autograd.grad`` with random Gaussian
cotangents (never ones), and :func:`refnet.check.check_vjp` judges each vector-Jacobian
product against differences (or the complex step) of the function itself, element by element,
with refnet's five states.  Inputs keep their dtype: a float32, float16 or bfloat16 backward runs
in its dtype and is judged against the forward run in float64, held to its own measured rounding
(:func:`_float64_oracle`); a float16 or bfloat16 backward is also run on the float64 inputs and
judged there, where a formula error its own rounding hides shows; where the forward refuses
float64, a float32 function is judged by its
own differences with float32 rounding (half precision is then refused).

Differences from torch's gradcheck: no fixed ``eps``/``atol``/``rtol`` (refnet chooses its steps
and bounds; ``atol``/``rtol`` given here replace refnet's lossy scale and relative tolerance
beyond the oracle's error bar); an element that no oracle can resolve is INCONCLUSIVE, not a
pass; a float32 function is not refused.  Needs the ``torch`` extra:
``pip install torch`` (or ``pip install ".[torch]"`` in refnet's checkout).
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from refnet import tolerances as tol
from refnet._install import hint

try:
    import torch
    from torch.autograd.gradcheck import GradcheckError as _TorchGradcheckError
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(f"refnet.torch needs PyTorch: {hint('torch')}") from exc

from refnet.check import check_jvp, check_vjp
from refnet.checking.flatten import same_values
from refnet.checking.products import merge_reports

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(_TorchGradcheckError):
    """Raised when refnet's check fails, carrying refnet's report.

    A subclass of ``torch.autograd.gradcheck.GradcheckError`` (so a ``RuntimeError``): a test
    written for torch's :func:`torch.autograd.gradcheck` that catches torch's ``GradcheckError``
    keeps working.  The message is the report's table, headed by its summary line; the
    report itself, refnet's :class:`~refnet.checking.report.Report`, is ``.report``
    (``str(report)`` is the table, ``report.to_dict()`` its JSON form).

    Parameters
    ----------
    report : Report
        The failed check's report (MISMATCH, INCONCLUSIVE, or ERROR where the backward broke
        one of torch's other checks: re-entrancy, undefined gradients, dtypes).

    Attributes
    ----------
    report : Report
        The same report.

    See Also
    --------
    gradcheck : raises it when the backward is wrong.
    gradgradcheck : raises it when the double backward is wrong.

    Examples
    --------
    >>> import torch
    >>> from refnet.torch import GradcheckError, gradcheck
    >>> x = torch.tensor([0.1, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
    >>> class BadSquare(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return g * x  # planted bug: the derivative of x*x is 2*x
    >>> try:
    ...     gradcheck(BadSquare.apply, (x,))
    ... except GradcheckError as exc:
    ...     error = exc
    >>> isinstance(error, RuntimeError), error.report.verdict, error.report.ok
    (True, 'MISMATCH', False)
    """

    def __init__(self, report):
        super().__init__(str(report))  # the table, headed by the summary line
        self.report = report


def _tensor(a, dtype=None):
    """A tensor owning a C-ordered copy of ``a`` (0-d stays 0-d, unlike ascontiguousarray)."""
    return torch.from_numpy(np.array(a, dtype=dtype, order="C", copy=True))


def _np(t):
    """A tensor's values as a NumPy array it does not share: bfloat16, which NumPy lacks, in a
    float32 carrier (exact: every bfloat16 is a float32)."""
    t = t.detach().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy().copy()


def _as_tuple(inputs):
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


class _Wrapped:
    """``func`` over tensors seen as NumPy callables over ``{"inputs[i]": array}``."""

    def __init__(self, func, inputs):
        self.func = func
        self.inputs = _as_tuple(inputs)
        self.diff = [i for i, t in enumerate(self.inputs)
                     if isinstance(t, torch.Tensor) and t.requires_grad]
        if not self.diff:
            raise ValueError("gradcheck expects at least one input tensor to require gradient")
        for i in self.diff:
            if not (self.inputs[i].is_floating_point()):
                raise ValueError(f"inputs[{i}]: requires grad but has dtype {self.inputs[i].dtype}")
        self.keys = [f"inputs[{i}]" for i in self.diff]
        self.x = {k: _np(self.inputs[i])
                  for k, i in zip(self.keys, self.diff)}
        self.dtypes = {k: self.inputs[i].dtype for k, i in zip(self.keys, self.diff)}
        # every point is built on its input's own device (a CUDA tensor stays on its GPU; the
        # judge reads the values on the host)
        self.devices = {k: self.inputs[i].device for k, i in zip(self.keys, self.diff)}
        self.np_dtypes = {k: self.x[k].dtype for k in self.keys}
        # a backward in float32, float16 or bfloat16: judged against the forward in float64
        # where it runs in it
        self.low_precision = any(d in (torch.float32, torch.float16, torch.bfloat16)
                                 for d in self.dtypes.values())

    def tensors(self, x, requires_grad=False):
        """The inputs with the differentiable ones taken from ``x`` (in their own dtype)."""
        args = list(self.inputs)
        for k, i in zip(self.keys, self.diff):
            a = np.asarray(x[k])
            if a.dtype.kind == "c":
                # the complex step only in float64 (its error bar assumes float64 rounding)
                if self.np_dtypes[k] != np.float64:
                    raise TypeError("the complex step is taken on float64 inputs only")
                t = _tensor(a, dtype=np.complex128).to(self.devices[k])
            else:  # in the input's own dtype (bfloat16 from its float32 carrier, exactly)
                t = _tensor(a, dtype=self.np_dtypes[k]).to(self.devices[k], self.dtypes[k])
            args[i] = t.requires_grad_(requires_grad)
        return args

    def outputs(self, args):
        out = self.func(*args)
        outs = _as_tuple(out)
        return [o for o in outs if isinstance(o, torch.Tensor) and
                (o.is_floating_point() or o.is_complex())]

    def f(self, x):
        with torch.no_grad():
            outs = self.outputs(self.tensors(x))
        return {f"outputs[{j}]": _np(o) for j, o in enumerate(outs)}

    def f_batch(self, xb):
        """f at a batch of points (each part ``(B, ...)``), in one call through
        ``torch.func.vmap``."""
        from torch.func import vmap

        args = self.tensors(xb)
        dims = tuple(0 if i in self.diff else None for i in range(len(args)))
        with torch.no_grad(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*performance drop.*")
            outs = vmap(lambda *a: tuple(self.outputs(a)), in_dims=dims)(*args)
        return {f"outputs[{j}]": _np(o) for j, o in enumerate(outs)}

    def batched(self):
        """:meth:`f_batch` where ``func`` runs under vmap and gives, point for point, what
        :meth:`f` gives (:func:`~refnet.checking.flatten.same_values`: a batched kernel may
        sum in another order); None where it does not (an autograd.Function without a vmap
        rule, NumPy inside): the check then calls f once per point."""
        try:
            xb = {k: np.stack([a, a]) for k, a in self.x.items()}
            got, want = self.f_batch(xb), self.f(self.x)
        except Exception:
            return None
        if set(got) != set(want) or not all(np.shape(got[k])[:1] == (2,)
                                            and same_values(got[k], a) for k, a in want.items()):
            return None
        return self.f_batch

    def vjp_of(self, func_outs):
        """``vjp(x, u)`` for ``func_outs(args) -> list of output tensors``."""
        def vjp(x, u):
            args = self.tensors(x, requires_grad=True)
            outs = func_outs(args)
            pairs = [(o, _tensor(u[f"outputs[{j}]"]).to(o.device, o.dtype))
                     for j, o in enumerate(outs) if o.requires_grad]
            grads = [None] * len(self.diff)
            if pairs:
                grads = torch.autograd.grad([o for o, _ in pairs], [args[i] for i in self.diff],
                                            grad_outputs=[g for _, g in pairs], allow_unused=True)
            return {k: (np.zeros_like(self.x[k]) if g is None else _np(g))
                    for k, g in zip(self.keys, grads)}
        return vjp

    def jvp(self, x, t):
        """J t by forward-mode autodiff (dual tensors, ``torch.autograd.forward_ad``)."""
        import torch.autograd.forward_ad as fwad

        args = self.tensors(x)
        with torch.no_grad(), fwad.dual_level(), warnings.catch_warnings():
            # torch loads its forward-AD decompositions on first use through torch.jit.script,
            # which warns that it is deprecated: torch's own warning, not the function's
            warnings.filterwarnings("ignore", message="`torch.jit.script` is deprecated",
                                    category=DeprecationWarning)
            for k, i in zip(self.keys, self.diff):
                args[i] = fwad.make_dual(args[i], _tensor(t[k], self.np_dtypes[k])
                                         .to(self.devices[k]))
            outs = self.outputs(args)
            tangents = [fwad.unpack_dual(o).tangent for o in outs]
        return {f"outputs[{j}]": (np.zeros(tuple(o.shape), _np(o).dtype) if g is None
                                  else _np(g))
                for j, (o, g) in enumerate(zip(outs, tangents))}


def _verdict(report, raise_exception):
    if report.ok:
        return True
    if raise_exception:
        raise GradcheckError(report)
    return False


def _not_yet(**asked):
    """NotImplementedError for each of torch's options that asks for a check refnet does not
    make yet: never accepted in silence (the author would believe it ran)."""
    for name, on in asked.items():
        if on:
            raise NotImplementedError(f"{name}=True: refnet.torch does not make this check yet; "
                                      f"use torch.autograd.gradcheck for it")


def _batched(outs, diff, keys, nondet_tol):
    """Why the backward of ``outs`` with respect to ``diff`` fails torch's check_batched_grad,
    or None: two seeded cotangents per output, the backward run once over the batch of both
    (``is_grads_batched``, torch's vmap) and once per cotangent; each batch element must agree
    with its own run within ``nondet_tol`` plus tolerances.BATCHED_GRAD_ULPS eps of the dtype
    times the gradient's largest element."""
    rng = np.random.default_rng(54321)
    vs = [torch.from_numpy(rng.standard_normal((2, *o.shape))).to(o.device, o.dtype)
          for o in outs]
    try:
        with warnings.catch_warnings():
            # torch's notice that an operation has no batching rule and is looped: slower, not
            # wrong (the comparison below judges the result)
            warnings.filterwarnings("ignore", message=".*performance drop.*")
            warnings.filterwarnings("ignore", message=".*batching rule.*")
            batched = torch.autograd.grad(outs, diff, grad_outputs=vs, retain_graph=True,
                                          allow_unused=True, is_grads_batched=True)
    except Exception as exc:  # the user's backward cannot run over a batch (vmap)
        return (f"backward fails over a batch of cotangents ({type(exc).__name__}: "
                f"{str(exc)[:160]}) (check_batched_grad)")
    for b in range(2):
        one = torch.autograd.grad(outs, diff, grad_outputs=[v[b] for v in vs],
                                  retain_graph=True, allow_unused=True)
        for k, gb, g in zip(keys, batched, one):
            if (gb is None) != (g is None):
                return f"the gradient of {k} is None in only one of its batched and single " \
                       f"runs (check_batched_grad)"
            if g is None or not g.numel():
                continue
            got, want = gb[b].detach().double(), g.detach().double()
            bound = nondet_tol + tol.BATCHED_GRAD_ULPS * torch.finfo(g.dtype).eps * float(
                want.abs().max())
            gap = float((got - want).abs().max())
            if not gap <= bound:
                return (f"the gradient of {k} over a batch of cotangents differs from the same "
                        f"cotangent's own backward by {gap:.3e} (bound {bound:.1e}) "
                        f"(check_batched_grad)")
    return None


def _contract(w, kind, nondet_tol, check_undefined_grad, check_grad_dtypes, t0, opts,
              check_batched_grad=False, backward=None):
    """torch's checks of the backward beside the gradient itself, at x with one seeded
    cotangent: re-entrancy (two backward passes over one retained graph agree within
    ``nondet_tol``), an undefined output gradient read as zero (``check_undefined_grad``), the
    gradients' dtypes and devices those of the inputs (``check_grad_dtypes``), the backward
    over a batch of cotangents (``check_batched_grad``; of ``backward(args)``'s outputs where
    given, gradgradcheck's first backward).

    Returns ``(report, checks)``: None or the ERROR report saying which failed, and each
    check's outcome in order (``("re-entrancy", "passed")``, ``"failed"``, ``"not asked"``,
    ``"not run"`` after a failure), which the final report lists."""
    from refnet.checking.report import error_report

    names = ["re-entrancy", "gradient dtypes", "undefined output gradient", "batched gradient"]
    asked = [True, check_grad_dtypes, check_undefined_grad, check_batched_grad]
    done = {}

    def checks():
        return tuple((name, done.get(name, "not run" if on else "not asked"))
                     for name, on in zip(names, asked))

    def fail(name, why):
        done[name] = "failed"
        found = checks()
        return error_report(kind, sum(a.size for a in w.x.values()), why, t0,
                            dict(opts, contract=found)), found

    args = w.tensors(w.x, requires_grad=True)
    diff = [args[i] for i in w.diff]
    outs = [o for o in w.outputs(args) if o.requires_grad]
    if not outs:
        return None, checks()
    rng = np.random.default_rng(12345)
    v = [torch.from_numpy(rng.standard_normal(tuple(o.shape))).to(o.device, o.dtype)
         for o in outs]
    first = torch.autograd.grad(outs, diff, grad_outputs=v, retain_graph=True, allow_unused=True)
    try:
        second = torch.autograd.grad(outs, diff, grad_outputs=v, retain_graph=True,
                                     allow_unused=True)
    except RuntimeError as exc:  # torch's own check of saved tensors modified in place
        return fail("re-entrancy", f"backward is not reentrant: a second backward pass over "
                    f"the same graph raised ({str(exc)[:160]})")
    for k, a, b in zip(w.keys, first, second):
        if (a is None) != (b is None):
            return fail("re-entrancy", f"backward is not reentrant: {k} is None in one of two "
                        f"backward passes over the same graph")
        if a is not None:
            gap = float((a.detach() - b.detach()).abs().max()) if a.numel() else 0.0
            if not gap <= nondet_tol:
                return fail("re-entrancy", f"backward is not reentrant: two backward passes over "
                            f"the same graph differ by {gap:.3e} in {k} (nondet_tol={nondet_tol})")
    done["re-entrancy"] = "passed"
    if check_grad_dtypes:
        for k, i, g in zip(w.keys, w.diff, first):
            t = w.inputs[i]
            if g is not None and (g.dtype != t.dtype or g.device != t.device):
                return fail("gradient dtypes", f"the gradient of {k} has dtype {g.dtype} on "
                            f"{g.device}, the input {t.dtype} on {t.device} (check_grad_dtypes)")
        done["gradient dtypes"] = "passed"
    if check_undefined_grad:
        try:
            undefined = [torch._C._functions.UndefinedGrad()(o) for o in outs]
            grads = torch.autograd.grad(undefined, diff,
                                        grad_outputs=[torch.ones_like(u) for u in undefined],
                                        retain_graph=True, allow_unused=True)
        except Exception as exc:  # the user's backward, handed None where it expected a tensor
            return fail("undefined output gradient",
                        f"backward fails on an undefined output gradient "
                        f"({type(exc).__name__}: {str(exc)[:120]}) (check_undefined_grad)")
        for k, g in zip(w.keys, grads):
            if g is not None and bool((g != 0).any()):
                return fail("undefined output gradient",
                            f"backward of an undefined (zero) output gradient gives a nonzero "
                            f"gradient of {k} (check_undefined_grad)")
        done["undefined output gradient"] = "passed"
    if check_batched_grad:
        if backward is not None:  # gradgradcheck: the batch goes through the double backward
            outs = [g for g in backward(args) if g.requires_grad]
        why = _batched(outs, diff, w.keys, nondet_tol) if outs else None
        if why is not None:
            return fail("batched gradient", why)
        done["batched gradient"] = "passed"
    return None, checks()


def _weaker(report) -> str:
    """What a float32 check without the float64 oracle cannot see, said once as a warning (the
    check returns True; the author should know how much less it proved) and in the report."""
    rel = report.lossy_scale / report.scale if report.scale > 0 else float("nan")
    text = (f"not available: the forward refuses float64, so the float32 backward is judged by "
            f"float32 differences, and an error below {rel:.0e} of the gradient's scale "
            f"({report.lossy_scale:.1e}) passes as lossy")
    warnings.warn(f"refnet gradcheck: the float64 oracle is {text}; give a forward that runs "
                  f"in float64 to judge the backward to its own rounding", UserWarning,
                  stacklevel=3)
    return text


def _float64_oracle(w, func, inputs, opts):
    """For a float32, float16 or bfloat16 backward: ``(w64, vjp, x, opts, run64)`` judging it
    against ``func``'s forward run in float64, or None where the forward does not accept float64
    inputs (NotImplementedError for half precision there: its own differences cannot judge it).
    ``run64`` is None, or for half precision ``(vjp64, opts64)``: the same backward run on the
    float64 inputs, to be judged against the same forward (tolerances.HALF_FLOAT64_RUN_ULPS),
    which shows a formula error the half precision's rounding hides.

    The oracle (differences, the complex step) is the forward in float64, so it no longer limits
    the check to the low precision's rounding; the backward is held to its own rounding,
    measured: the largest difference between it and the same backward run in float64, over three
    seeded cotangents, times tolerances.LOW_PRECISION_SAFETY, plus LOW_PRECISION_ULPS of its
    dtype's eps times the gradient's size.  A formula error is the same in both runs and is not
    in that difference; the rounding of a correct low-precision backward is."""
    w64 = _Wrapped(func, tuple(t.detach().double().requires_grad_(t.requires_grad)
                               if isinstance(t, torch.Tensor) and t.is_floating_point() else t
                               for t in _as_tuple(inputs)))
    try:
        f0 = w64.f(w64.x)
    except Exception:  # the function insists on its own dtype: its own differences judge
        if any(d in (torch.float16, torch.bfloat16) for d in w.dtypes.values()):
            raise NotImplementedError(
                "a float16 or bfloat16 function whose forward refuses float64 inputs: refnet "
                "judges half precision only against the forward run in float64") from None
        return None
    vjp_low, vjp64 = w.vjp_of(w.outputs), w64.vjp_of(w64.outputs)
    low_dtypes = {k: w.np_dtypes[k] for k in w.keys}

    def vjp(x, u):  # the user's float32 backward at the float32 point (x is exactly it)
        xl = {k: np.asarray(x[k]).astype(low_dtypes[k]) for k in w.keys}
        return vjp_low(xl, {j: np.asarray(a).astype(np.float32) for j, a in u.items()})

    rng = np.random.default_rng(7)
    gap, size, eps_low = 0.0, 0.0, 0.0
    for _ in range(3):
        u = {j: rng.standard_normal(np.shape(a)) for j, a in f0.items()}
        g32, g64 = vjp(w64.x, u), vjp64(w64.x, u)
        for k in w.keys:
            gap = max(gap, float(np.max(np.abs(g32[k] - g64[k]), initial=0.0)))
            size = max(size, float(np.max(np.abs(g64[k]), initial=0.0)))
            eps_low = max(eps_low, float(torch.finfo(w.dtypes[k]).eps))
    atol = opts["atol"]
    if atol is None:
        atol = tol.LOW_PRECISION_SAFETY * gap + tol.LOW_PRECISION_ULPS * eps_low * size
    run64 = None
    if any(d in (torch.float16, torch.bfloat16) for d in w.dtypes.values()):
        atol64 = opts["atol"]
        if atol64 is None:
            atol64 = tol.HALF_FLOAT64_RUN_ULPS * float(np.finfo(np.float32).eps) * size
        run64 = (vjp64, dict(opts, atol=atol64))
    return w64, vjp, w64.x, dict(opts, atol=atol), run64


def gradcheck(func, inputs, *, eps=1e-6, atol=None, rtol=None, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, check_grad_dtypes=False,
              check_batched_grad=False, check_batched_forward_grad=False,
              check_forward_ad=False, check_backward_ad=True, fast_mode=False, masked=None,
              seed=0, cotangents=None, accept_inconclusive=False) -> bool:
    """Check ``func``'s backward as ``torch.autograd.gradcheck`` does, with refnet's verdict.

    A drop-in for :func:`torch.autograd.gradcheck`: the same call, ``True`` or a raised
    :class:`GradcheckError` (``.report`` is refnet's report) unless ``raise_exception=False``.
    torch's keywords, each as docs/from-torch-and-jax.md tabulates: the backward of ``func`` is
    checked on ``cotangents`` random Gaussian cotangents (3; 1 with ``fast_mode=True``; never
    ones) by :func:`refnet.check.check_vjp`, each vector-Jacobian product element by element
    against differences (or the complex step) of ``func`` itself, with refnet's five states
    (verified, subgradient, lossy, unresolved, mismatch); with ``check_forward_ad=True`` its
    forward-mode derivative too, by :func:`refnet.check.check_jvp`; two backward passes over
    one graph must agree within ``nondet_tol``; ``check_undefined_grad`` and
    ``check_grad_dtypes`` and ``check_batched_grad`` as torch's.  ``eps`` is accepted and not
    used (refnet chooses its own steps); ``atol``/``rtol`` replace refnet's lossy scale and
    relative tolerance.  ``check_batched_forward_grad`` and ``masked=True`` raise
    NotImplementedError; an unknown keyword is a TypeError (the signature is closed).  The
    report's second line lists which of these checks ran and how each ended.

    A float32, float16 or bfloat16 backward runs in its dtype and, where ``func``'s forward also
    runs in float64, is judged against that float64 forward, held to its own measured rounding;
    where the forward refuses float64, a float32 function is judged by its own differences with
    float32 rounding (half precision is then refused).

    Parameters
    ----------
    func : callable
        A function of tensors returning a tensor or a tuple of tensors, e.g. a
        ``torch.autograd.Function``'s ``apply`` (its own ``backward`` is what is checked).  Its
        floating (or complex) tensor outputs are differentiated; other outputs are ignored.
    inputs : torch.Tensor or tuple of torch.Tensor
        The point.  The floating tensors with ``requires_grad=True`` are checked; the other
        inputs are held fixed.  Each keeps its dtype.
    eps : float, default 1e-6
        The finite-difference step of torch's check: accepted, not used (refnet chooses its
        steps: Richardson from 2^-6, refined, or the complex step).
    atol : float, optional
        Default ``None``: refnet's own bounds.  Given, it replaces refnet's lossy scale (a
        disagreement below it is lossy, not a mismatch).  torch's loosened values
        (``atol=1e-4``) would hide the bugs refnet exists to catch: leave it out.
    rtol : float, optional
        Default ``None``: refnet's own bound.  Given, it replaces refnet's relative tolerance
        beyond the oracle's error bar.
    raise_exception : bool, default True
        Raise :class:`GradcheckError` when the check fails; ``False`` returns ``False``
        instead.
    nondet_tol : float, default 0.0
        How far two backward passes over one graph may differ, at ``inputs`` with one seeded
        cotangent, before the gradient is judged; beyond it the report is an ERROR ("backward
        is not reentrant").
    check_undefined_grad : bool, default True
        Also require the backward, given undefined output gradients, to return zeros; an
        exception or a nonzero gradient is an ERROR report.
    check_grad_dtypes : bool, default False
        Also require the gradients ``torch.autograd.grad`` returns to have the inputs' dtypes
        and devices (an ERROR report otherwise).
    check_batched_grad : bool, default False
        Also run the backward once over a batch of two cotangents (``is_grads_batched``,
        torch's vmap) and require each cotangent's own gradient, within ``nondet_tol`` plus
        tolerances.BATCHED_GRAD_ULPS eps of the dtype; a backward that cannot run batched
        (through NumPy, ``.item()``) is an ERROR report.
    check_batched_forward_grad : bool, default False
        torch's vmap check over forward AD: not made by refnet yet; ``True`` raises
        NotImplementedError.
    check_forward_ad : bool, default False
        Also check the forward-mode derivative (dual tensors, ``torch.autograd.forward_ad``; a
        custom ``Function.jvp``) by :func:`refnet.check.check_jvp`, on as many random tangents.
    check_backward_ad : bool, default True
        Check the backward (:func:`refnet.check.check_vjp`).  With ``check_forward_ad`` also
        ``False``, nothing is left to check: ValueError.
    fast_mode : bool, default False
        One cotangent instead of three (where ``cotangents`` is not given), and each backward
        judged by one random projection, vjp(u)·d against the derivative of u·func along a
        Gaussian direction d (:func:`refnet.check.check_vjp` with ``fast=True``): a few calls
        of ``func`` whatever its size.  Where the projection fails, the wrong elements are
        localised by halving the inputs and named as the full check names them.  The forward
        mode (``check_forward_ad``) is still judged output by output.
    masked : bool, optional
        Masked (sparse) tensors, as torch takes them: not supported yet; a true value raises
        NotImplementedError.
    seed : int, default 0
        Seed of the random cotangents (and tangents): refnet's own keyword.
    cotangents : int, optional
        How many random cotangents (and tangents) to probe with; default 3, or 1 with
        ``fast_mode=True``.  refnet's own keyword.
    accept_inconclusive : bool, default False
        Count an INCONCLUSIVE report (elements no oracle could resolve, none wrong) as a pass.
        refnet's own keyword.

    Returns
    -------
    bool
        ``True`` where the check passes; ``False`` where it fails and ``raise_exception`` is
        ``False``.

    Raises
    ------
    GradcheckError
        When the check fails (a mismatch, an INCONCLUSIVE report without
        ``accept_inconclusive``, or an ERROR from ``nondet_tol``, ``check_undefined_grad``,
        ``check_grad_dtypes`` or ``check_batched_grad``) and ``raise_exception`` is true.
    NotImplementedError
        For ``check_batched_forward_grad`` or ``masked`` true, and for a
        float16 or bfloat16 function whose forward refuses float64 inputs.
    ValueError
        When no input tensor requires grad, an input that requires grad is not floating, or
        ``check_forward_ad`` and ``check_backward_ad`` are both false.
    TypeError
        For a keyword torch's ``gradcheck`` does not take (a misspelling, as in torch).

    See Also
    --------
    gradgradcheck : the same check of the double backward.
    refnet.check.check_vjp : the NumPy check behind the backward.
    refnet.check.check_jvp : the NumPy check behind ``check_forward_ad``.
    refnet.jax.check_grads : the same for jax.

    Examples
    --------
    A correct backward passes:

    >>> import torch
    >>> from refnet.torch import gradcheck
    >>> x = torch.tensor([0.1, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
    >>> gradcheck(torch.tanh, (x,))
    True
    >>> gradcheck(torch.tanh, (x,), check_forward_ad=True)
    True

    A ``torch.autograd.Function`` whose backward has a planted bug (``1 - y`` for
    ``1 - y**2``) raises, with the report in the message:

    >>> class BadTanh(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = torch.tanh(x)
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * (1 - y)  # planted bug: d tanh/dx = 1 - y**2
    >>> gradcheck(BadTanh.apply, (x,))
    Traceback (most recent call last):
        ...
    refnet.torch.GradcheckError: refnet gradcheck: MISMATCH - 9 elements: 9 mismatch; ...
    >>> gradcheck(BadTanh.apply, (x,), raise_exception=False)
    False

    A check refnet does not make yet is refused, never skipped in silence:

    >>> gradcheck(torch.tanh, (x,), check_batched_forward_grad=True)
    Traceback (most recent call last):
        ...
    NotImplementedError: check_batched_forward_grad=True: refnet.torch does not make this ...
    """
    del eps
    _not_yet(check_batched_forward_grad=check_batched_forward_grad, masked=bool(masked))
    t0 = time.perf_counter()
    w = _Wrapped(func, inputs)
    k = cotangents if cotangents is not None else (1 if fast_mode else 3)
    opts = {"rtol": rtol, "atol": atol, "accept_inconclusive": accept_inconclusive}
    contract = ()
    if check_backward_ad:
        bad, contract = _contract(w, "gradcheck", float(nondet_tol), check_undefined_grad,
                                  check_grad_dtypes, t0, opts, check_batched_grad)
        if bad is not None:
            return _verdict(bad, raise_exception)
    parts = []
    if check_backward_ad:
        judge, vjp, x, o = w, w.vjp_of(w.outputs), w.x, opts
        upcast = _float64_oracle(w, func, inputs, opts) if w.low_precision else None
        run64 = None
        if upcast is not None:
            judge, vjp, x, o, run64 = upcast  # the forward in float64
            contract += (("float64 oracle", f"used (the backward held to {o['atol']:.1e})"),)
        # f over a batch of points (vmap), where func runs under it; a projection takes a
        # few points, one at a time, and is not worth the three calls that find out
        f = None if fast_mode else judge.batched()
        vectorized = f is not None
        if not fast_mode:  # said, not silent: a func vmap cannot run is called point by point
            contract += (("points", "batched by torch.func.vmap" if vectorized else
                          "one call each (func does not run under torch.func.vmap)"),)
        f = f or judge.f
        back = check_vjp(f, vjp, x, cotangents=k, seed=seed, vectorized=vectorized,
                         fast=fast_mode, **o)
        if w.low_precision and upcast is None:
            contract += (("float64 oracle", _weaker(back)),)
        parts.append(("backward", back))
        if run64 is not None:
            vjp64, o64 = run64
            again = check_vjp(f, vjp64, x, cotangents=k, seed=seed, vectorized=vectorized,
                              fast=fast_mode, **o64)
            contract += (("the backward run in float64", again.verdict),)
            parts.append(("backward run in float64", again))
    if check_forward_ad:
        parts.append(("forward", check_jvp(w.f, w.jvp, w.x, tangents=k, seed=seed, **opts)))
    if not parts:
        raise ValueError("gradcheck: check_forward_ad=False and check_backward_ad=False leave "
                         "nothing to check")
    # the headline names the function the user called ("refnet gradcheck: ...")
    def named(label):  # the second run's elements say which run they are
        return " (float64 run)" if label == "backward run in float64" else ""

    report = parts[0][1].replace(kind="gradcheck") if len(parts) == 1 else merge_reports(
        "gradcheck", [(name, r, named(name)) for name, r in parts], options=parts[0][1].options,
        guarantee=" / ".join(dict.fromkeys(r.guarantee for _, r in parts)))
    ran = dict(parts)
    contract += tuple((f"{mode} mode gradient", ran[mode].verdict if mode in ran else
                       "not asked") for mode in ("backward", "forward"))
    return _verdict(report.replace(options=dict(report.options, contract=contract)),
                    raise_exception)


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=None, rtol=None,
                  gen_non_contig_grad_outputs=False, raise_exception=True, nondet_tol=0.0,
                  check_undefined_grad=True, check_grad_dtypes=False, check_batched_grad=False,
                  check_fwd_over_rev=False, check_rev_over_rev=True, fast_mode=False,
                  masked=False, seed=0, cotangents=None, accept_inconclusive=False) -> bool:
    """Check ``func``'s double backward as ``torch.autograd.gradgradcheck`` does.

    A drop-in for :func:`torch.autograd.gradgradcheck`, judged by refnet: the second
    derivative of ``func``.
    With v the ``grad_outputs`` (random Gaussian, seeded, where not given), x ↦ vᵀJ(x) (the
    backward of ``func``, by ``torch.autograd.grad``) is a function of the inputs whose own
    backward (``create_graph=True``, a double backward) is checked by
    :func:`refnet.check.check_vjp` against its differences, element by element.  Returns
    ``True`` or raises :class:`GradcheckError` with ``.report``.

    torch's keywords (docs/from-torch-and-jax.md): ``eps`` accepted and not used;
    ``nondet_tol``, ``check_undefined_grad`` and ``check_grad_dtypes`` are judged on the first
    backward pass as :func:`gradcheck` judges them, ``check_batched_grad`` on the double
    backward; ``gen_non_contig_grad_outputs``, ``check_fwd_over_rev`` and ``masked=True`` raise
    NotImplementedError; ``check_rev_over_rev=False`` leaves nothing to check (ValueError).
    An unknown keyword is a TypeError (the signature is closed).

    Parameters
    ----------
    func : callable
        A function of tensors returning a tensor or a tuple of tensors (e.g. a
        ``torch.autograd.Function``'s ``apply``); its backward must be differentiable
        (``create_graph=True``).
    inputs : torch.Tensor or tuple of torch.Tensor
        The point; the floating tensors with ``requires_grad=True`` are checked, the others
        held fixed.
    grad_outputs : torch.Tensor or tuple of torch.Tensor, optional
        The fixed cotangent v of the first backward, one per floating output of ``func``.
        Default: random Gaussian, drawn from ``seed + 1``.
    eps : float, default 1e-6
        The finite-difference step of torch's check: accepted, not used (refnet chooses its
        steps).
    atol : float, optional
        Default ``None``: refnet's own bounds; given, it replaces refnet's lossy scale.
    rtol : float, optional
        Default ``None``: refnet's own bound; given, it replaces refnet's relative tolerance
        beyond the oracle's error bar.
    gen_non_contig_grad_outputs : bool, default False
        Non-contiguous ``grad_outputs``, as torch makes them: not made by refnet yet;
        ``True`` raises NotImplementedError.
    raise_exception : bool, default True
        Raise :class:`GradcheckError` when the check fails; ``False`` returns ``False``
        instead.
    nondet_tol : float, default 0.0
        How far two first backward passes over one graph may differ (an ERROR report beyond
        it), as in :func:`gradcheck`.
    check_undefined_grad : bool, default True
        The first backward, given undefined output gradients, must return zeros, as in
        :func:`gradcheck`.
    check_grad_dtypes : bool, default False
        The first backward's gradients must have the inputs' dtypes and devices, as in
        :func:`gradcheck`.
    check_batched_grad : bool, default False
        Also run the double backward over a batch of two cotangents and require each one's own
        result, as :func:`gradcheck` does for the backward.
    check_fwd_over_rev : bool, default False
        Forward-over-reverse mode: not made by refnet yet; ``True`` raises
        NotImplementedError.
    check_rev_over_rev : bool, default True
        Reverse-over-reverse mode, what refnet checks; ``False`` leaves nothing to check
        (ValueError).
    fast_mode : bool, default False
        One cotangent instead of three (where ``cotangents`` is not given), the double
        backward judged by one random projection, localised where it fails (as
        :func:`gradcheck` with ``fast_mode=True``).
    masked : bool, default False
        Masked (sparse) tensors, as torch takes them: not supported yet; a true value raises
        NotImplementedError.
    seed : int, default 0
        Seed of the random cotangents (refnet's own keyword).
    cotangents : int, optional
        How many random cotangents of the double backward to probe with; default 3, or 1
        with ``fast_mode=True`` (refnet's own keyword).
    accept_inconclusive : bool, default False
        Count an INCONCLUSIVE report as a pass (refnet's own keyword).

    Returns
    -------
    bool
        ``True`` where the check passes; ``False`` where it fails and ``raise_exception`` is
        ``False``.

    Raises
    ------
    GradcheckError
        When the check fails (a mismatch, an INCONCLUSIVE report without
        ``accept_inconclusive``, or an ERROR from the first backward's checks) and
        ``raise_exception`` is true.
    NotImplementedError
        For ``gen_non_contig_grad_outputs``, ``check_fwd_over_rev`` or ``masked`` true.
    ValueError
        For ``check_rev_over_rev=False``, when no input tensor requires grad, or when an input
        that requires grad is not floating.
    TypeError
        For a keyword torch's ``gradgradcheck`` does not take.

    See Also
    --------
    gradcheck : the check of the first backward.
    refnet.check.check_vjp : the NumPy check behind it.

    Examples
    --------
    >>> import torch
    >>> from refnet.torch import gradgradcheck
    >>> x = torch.tensor([0.1, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
    >>> gradgradcheck(torch.tanh, (x,))
    True

    A backward with a planted bug is differentiated as written, and its derivative is wrong:

    >>> class BadTanh(torch.autograd.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         y = torch.tanh(x)
    ...         ctx.save_for_backward(y)
    ...         return y
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (y,) = ctx.saved_tensors
    ...         return g * (1 - y)  # planted bug: d tanh/dx = 1 - y**2
    >>> gradgradcheck(BadTanh.apply, (x,))
    Traceback (most recent call last):
        ...
    refnet.torch.GradcheckError: refnet gradgradcheck: MISMATCH - ...
    """
    del eps
    _not_yet(gen_non_contig_grad_outputs=gen_non_contig_grad_outputs,
             check_fwd_over_rev=check_fwd_over_rev, masked=bool(masked))
    if not check_rev_over_rev:
        raise ValueError("gradgradcheck: check_rev_over_rev=False and check_fwd_over_rev=False "
                         "leave nothing to check")
    w = _Wrapped(func, inputs)
    with torch.no_grad():
        outs0 = w.outputs(w.tensors(w.x))
    if grad_outputs is None:
        rng = np.random.default_rng(seed + 1)
        v = [torch.from_numpy(rng.standard_normal(tuple(o.shape))).to(o.device, o.dtype)
             for o in outs0]
    else:
        v = [torch.as_tensor(g).detach() for g in _as_tuple(grad_outputs)]

    def first_backward(args):
        outs = w.outputs(args)
        pairs = [(o, g) for o, g in zip(outs, v) if o.requires_grad]
        grads = torch.autograd.grad([o for o, _ in pairs], [args[i] for i in w.diff],
                                    grad_outputs=[g for _, g in pairs], create_graph=True,
                                    allow_unused=True)
        return [torch.zeros_like(args[i]) if g is None else g for g, i in zip(grads, w.diff)]

    def f(x):
        args = w.tensors(x, requires_grad=True)
        return {f"outputs[{j}]": _np(g)
                for j, g in enumerate(first_backward(args))}

    t0 = time.perf_counter()
    opts = {"rtol": rtol, "atol": atol, "accept_inconclusive": accept_inconclusive}
    bad, contract = _contract(w, "gradgradcheck", float(nondet_tol), check_undefined_grad,
                              check_grad_dtypes, t0, opts, check_batched_grad, first_backward)
    if bad is not None:
        return _verdict(bad, raise_exception)
    k = cotangents if cotangents is not None else (1 if fast_mode else 3)
    report = check_vjp(f, w.vjp_of(first_backward), w.x, cotangents=k, seed=seed,
                       fast=fast_mode, **opts)
    contract += (("second-order gradient (reverse over reverse)", report.verdict),)
    return _verdict(report.replace(kind="gradgradcheck",
                                   options=dict(report.options, contract=contract)),
                    raise_exception)
