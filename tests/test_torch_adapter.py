"""refnet.torch.gradcheck / gradgradcheck: torch's calling convention, refnet's verdict.  A
wrong backward of a torch.autograd.Function is caught (float64 and float32), the right ones
pass, and the failure carries refnet's report."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

# after the skip: refnet.torch imports torch
from refnet.torch import GradcheckError, gradcheck, gradgradcheck  # noqa: E402


def make_tanh_linear(bug=None):
    """y = tanh(W x): a Function with a hand-written backward; ``bug`` plants one mistake."""

    class TanhLinear(torch.autograd.Function):
        @staticmethod
        def forward(ctx, W, x):
            y = torch.tanh(W @ x)
            ctx.save_for_backward(W, x, y)
            return y

        @staticmethod
        def backward(ctx, gy):
            W, x, y = ctx.saved_tensors
            d = 1 - y * y if bug != "derivative" else 1 - y
            gz = gy * d
            gW = torch.outer(gz, x)
            if bug == "one_element":
                gW = gW.clone()
                gW[1, 2] = gW[1, 2] * 1.01
            return gW, W.T @ gz

    return TanhLinear.apply


def inputs(dtype=torch.float64):
    g = torch.Generator().manual_seed(0)
    W = torch.randn(3, 4, generator=g, dtype=dtype, requires_grad=True)
    x = torch.randn(4, generator=g, dtype=dtype, requires_grad=True)
    return W, x


def test_right_backward_passes_float64():
    assert gradcheck(make_tanh_linear(), inputs()) is True


def test_wrong_backward_is_caught_with_the_report():
    with pytest.raises(GradcheckError) as info:
        gradcheck(make_tanh_linear("one_element"), inputs())
    err = info.value
    assert isinstance(err, RuntimeError)
    from torch.autograd.gradcheck import GradcheckError as TorchGradcheckError

    assert isinstance(err, TorchGradcheckError)
    assert err.report.verdict == "MISMATCH"
    assert {e["name"].split("·")[0] for e in err.report.mismatches} == {"inputs[0][1,2]"}
    # the message is the report's table, its headline once
    assert str(err).startswith(err.report.summary()) and str(err).count(err.report.summary()) == 1
    assert gradcheck(make_tanh_linear("one_element"), inputs(), raise_exception=False) is False


def test_float32_right_backward_passes_and_wrong_is_caught():
    assert gradcheck(make_tanh_linear(), inputs(torch.float32)) is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(make_tanh_linear("derivative"), inputs(torch.float32))
    assert info.value.report.eps == np.finfo(np.float32).eps


def test_plain_torch_function_and_fixed_inputs():
    W, x = inputs()
    b = torch.linspace(-1, 1, 3, dtype=torch.float64)  # no grad: held fixed

    def f(W, x, b):
        return torch.nn.functional.softmax(W @ x + b, dim=0), (W**2).sum()

    assert gradcheck(f, (W, x, b), fast_mode=True)
    assert gradcheck(f, (W, x, b), check_forward_ad=True)


def test_gradgradcheck_right_and_wrong_double_backward():
    W, x = inputs()

    def f(W, x):
        return torch.sin(W @ x) * x.sum()

    assert gradgradcheck(f, (W, x))

    class Cube(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            return z**3

        @staticmethod
        def backward(ctx, g):
            (z,) = ctx.saved_tensors
            return g * 3 * z * z.detach()  # the detach drops a path of the double backward

    z = torch.linspace(0.5, 2, 4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(Cube.apply, (z,))
    with pytest.raises(GradcheckError):
        gradgradcheck(Cube.apply, (z,))


def test_no_input_requires_grad_is_refused():
    with pytest.raises(ValueError, match="require"):
        gradcheck(torch.sin, (torch.ones(3, dtype=torch.float64),))


def make_sin(jvp_bug=False):
    class Sin(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            ctx.save_for_backward(z)
            ctx.save_for_forward(z)
            return torch.sin(z)

        @staticmethod
        def backward(ctx, g):
            (z,) = ctx.saved_tensors
            return g * torch.cos(z)

        @staticmethod
        def jvp(ctx, t):
            (z,) = ctx.saved_tensors
            return t * (torch.cos(z) if not jvp_bug else torch.cos(z) * (1 + 1e-6))

    return Sin.apply


def test_forward_mode_right_passes_and_wrong_jvp_is_caught():
    z = torch.linspace(-2, 2, 5, dtype=torch.float64, requires_grad=True)
    assert gradcheck(make_sin(), (z,), check_forward_ad=True)
    assert gradcheck(make_sin(jvp_bug=True), (z,))  # backward only: the jvp is not used
    with pytest.raises(GradcheckError) as info:
        gradcheck(make_sin(jvp_bug=True), (z,), check_forward_ad=True)
    assert [p["verdict"] for p in info.value.report.probes] == ["OK", "MISMATCH"]


# --- torch's contract, keyword for keyword ---------------------------------------------------


def make_scaled(bug=None):
    """y = 2 x³ with a hand-written backward; ``bug``: "reentrant" (the backward scales a saved
    tensor in place: right once, wrong on a second pass over the same graph), "undefined" (it
    reads an undefined output gradient as a tensor), "undefined_nonzero" (it adds a constant),
    "dtype" (it returns float32 for a float64 input)."""

    class Scaled(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if bug in ("undefined", "undefined_nonzero"):
                ctx.set_materialize_grads(False)
            ctx.s = 6 * x.detach() * x.detach()  # kept on ctx, out of torch's version checks
            return 2 * x ** 3

        @staticmethod
        def backward(ctx, g):
            s = ctx.s
            if bug == "reentrant":
                out = g * s
                s.mul_(1.5)  # state mutated in place: right once, wrong the second time
                return out
            if bug == "undefined":
                return g * s  # g is None for an undefined gradient: TypeError
            if bug == "undefined_nonzero":
                return (torch.zeros_like(s) if g is None else g * s) + 1e-3
            if bug == "dtype":
                return (g * s).float()
            return g * s

    return Scaled.apply


def _z():
    return torch.linspace(-1.0, 1.2, 5, dtype=torch.float64).requires_grad_(True)


def test_torch_contract_checks_catch_their_bugs():
    assert gradcheck(make_scaled(), (_z(),)) is True
    with pytest.raises(GradcheckError, match="not reentrant"):
        gradcheck(make_scaled("reentrant"), (_z(),))
    with pytest.raises(GradcheckError, match="undefined output gradient"):
        gradcheck(make_scaled("undefined"), (_z(),))
    assert gradcheck(make_scaled("undefined"), (_z(),), check_undefined_grad=False)
    with pytest.raises(GradcheckError, match="nonzero gradient"):
        gradcheck(make_scaled("undefined_nonzero"), (_z(),))
    # torch's engine casts a float32 gradient to the float64 input's dtype: what is left is
    # its rounding, which the check of the gradient itself catches
    for flag in (False, True):
        with pytest.raises(GradcheckError, match="MISMATCH"):
            gradcheck(make_scaled("dtype"), (_z(),), check_grad_dtypes=flag)
    # nondet_tol: two passes that differ by less than it are accepted (each check of the
    # gradient itself builds a fresh graph, where this backward is right)
    assert gradcheck(make_scaled("reentrant"), (_z(),), nondet_tol=1e3) is True


class NumpyTanh(torch.autograd.Function):
    """A backward through NumPy (a common third-party shortcut): right for one cotangent, and
    unable to run over a batch of them (torch's vmap cannot see into NumPy)."""

    @staticmethod
    def forward(ctx, x):
        y = torch.tanh(x)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, g):
        (y,) = ctx.saved_tensors
        return torch.from_numpy(g.numpy() * (1.0 - y.numpy() ** 2))


class SquareNumpyTwice(torch.autograd.Function):
    """y = x²: a backward of torch operations through a Function whose own backward goes
    through NumPy, so the first backward batches and the double backward does not."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return _TwiceNumpy.apply(g, x)


class _TwiceNumpy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, g, x):
        ctx.save_for_backward(g, x)
        return 2 * g * x

    @staticmethod
    def backward(ctx, h):
        g, x = ctx.saved_tensors
        return (torch.from_numpy(2 * h.numpy() * x.numpy()),
                torch.from_numpy(2 * h.numpy() * g.numpy()))


def test_check_batched_grad_catches_a_backward_that_cannot_batch():
    """check_batched_grad: the backward over a batch of cotangents (torch's vmap) must give
    each cotangent's own gradient.  A backward through NumPy passes the gradient check and
    fails this one, in refnet as in torch; torch's own functions pass; gradgradcheck applies it
    to the double backward.  The report lists which of the checks ran and how they ended."""
    z = _z()
    assert gradcheck(NumpyTanh.apply, (z,)) is True  # the gradient itself is right
    assert not torch.autograd.gradcheck(NumpyTanh.apply, (z,), check_batched_grad=True,
                                        raise_exception=False)
    with pytest.raises(GradcheckError, match="over a batch of cotangents") as exc:
        gradcheck(NumpyTanh.apply, (z,), check_batched_grad=True)
    assert exc.value.report.options["contract"][-1] == ("batched gradient", "failed")
    assert "batched gradient failed" in str(exc.value)
    assert gradcheck(torch.tanh, (z,), check_batched_grad=True) is True
    assert gradcheck(make_scaled(), (_z(),), check_batched_grad=True) is True
    x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[1.5, -0.5], [0.75, 2.0]], dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a, b: torch.tanh(a @ b), (x, w), check_batched_grad=True)
    # gradgradcheck: the batch goes through the double backward
    assert gradgradcheck(SquareNumpyTwice.apply, (z,)) is True
    with pytest.raises(GradcheckError, match="over a batch of cotangents"):
        gradgradcheck(SquareNumpyTwice.apply, (z,), check_batched_grad=True)
    assert gradgradcheck(torch.tanh, (z,), check_batched_grad=True) is True


def test_the_report_lists_the_checks_that_ran():
    """Every drop-in report says which of torch's checks ran and how each ended."""
    with pytest.raises(GradcheckError) as exc:
        gradcheck(make_scaled("reentrant"), (_z(),), check_grad_dtypes=True)
    assert exc.value.report.options["contract"] == (
        ("re-entrancy", "failed"), ("gradient dtypes", "not run"),
        ("undefined output gradient", "not run"), ("batched gradient", "not asked"))
    with pytest.raises(GradcheckError) as exc:
        gradcheck(make_scaled("dtype"), (_z(),), check_batched_grad=True)
    assert dict(exc.value.report.options["contract"]) == {
        "re-entrancy": "passed", "gradient dtypes": "not asked",
        "undefined output gradient": "passed", "batched gradient": "passed",
        "backward mode gradient": "MISMATCH", "forward mode gradient": "not asked",
        # a Function without a vmap rule: said, not silent
        "points": "one call each (func does not run under torch.func.vmap)"}
    assert "checks: re-entrancy passed; " in str(exc.value)


    class VmappableBadTanh(torch.autograd.Function):
        generate_vmap_rule = True  # runs under torch.func.vmap

        @staticmethod
        def forward(z):
            return torch.tanh(z)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.save_for_backward(output)

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (1 - y)  # planted bug: 1 - y**2

    with pytest.raises(GradcheckError) as exc:
        gradcheck(VmappableBadTanh.apply, (_z(),))
    assert dict(exc.value.report.options["contract"])["points"] == \
        "batched by torch.func.vmap"
    with pytest.raises(GradcheckError) as exc:
        gradgradcheck(make_scaled("dtype"), (_z(),))
    assert exc.value.report.options["contract"][-1][0].startswith("second-order gradient")
    import json

    json.dumps(exc.value.report.to_dict(), allow_nan=False)  # strict JSON still


def test_torch_keywords_never_vanish():
    f, z = make_scaled(), (_z(),)
    with pytest.raises(TypeError, match="raise_exceptoin"):
        gradcheck(f, z, raise_exceptoin=False)
    with pytest.raises(TypeError):
        gradgradcheck(f, z, atoll=1)
    for kw in ("check_batched_forward_grad", "masked"):
        with pytest.raises(NotImplementedError, match=kw):
            gradcheck(f, z, **{kw: True})
    for kw in ("check_fwd_over_rev", "gen_non_contig_grad_outputs"):
        with pytest.raises(NotImplementedError, match=kw):
            gradgradcheck(f, z, **{kw: True})
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(f, z, check_backward_ad=False)
    # torch's own defaults pass through unchanged
    assert gradcheck(f, z, eps=1e-6, atol=None, rtol=None, nondet_tol=0.0, fast_mode=True)


def test_headlines_name_the_function_called():
    with pytest.raises(GradcheckError) as info:
        gradcheck(make_tanh_linear("one_element"), inputs())
    assert str(info.value).startswith("refnet gradcheck: MISMATCH"), str(info.value)[:80]


def make_softplus(rel=0.0, only_float32=False):
    """softplus with a hand-written backward sigmoid(x)·(1 + rel); ``only_float32``: the
    forward refuses any other dtype."""

    class Softplus(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            if only_float32:
                assert x.dtype == torch.float32, x.dtype
            ctx.save_for_backward(x)
            return torch.nn.functional.softplus(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * torch.sigmoid(x) * (1 + rel)

    return Softplus.apply


def test_a_float32_backward_is_judged_against_the_float64_forward():
    # held to its own rounding (measured against the same backward in float64), not to
    # 16384 eps32 of the gradient's scale: 1e-4 relative off was lossy, and passed
    x = torch.linspace(-3.0, 3.0, 7, dtype=torch.float32).requires_grad_(True)
    assert gradcheck(make_softplus(), (x,)) is True
    with pytest.raises(GradcheckError, match="MISMATCH"):
        gradcheck(make_softplus(1e-4), (x,))
    # a forward that refuses float64 is judged by float32 differences: 1e-4 is lossy there,
    # and the check says how much it could not see (a warning, and a line of the report)
    with pytest.warns(UserWarning, match=r"an error below \de-0\d of the gradient's scale"):
        assert gradcheck(make_softplus(only_float32=True), (x,)) is True
    with pytest.warns(UserWarning, match="refuses float64"):
        assert gradcheck(make_softplus(1e-4, only_float32=True), (x,)) is True
    with pytest.warns(UserWarning), pytest.raises(GradcheckError) as exc:
        gradcheck(make_softplus(1e-1, only_float32=True), (x,))
    assert "float64 oracle not available" in str(exc.value)
    with pytest.raises(GradcheckError) as exc:
        gradcheck(make_softplus(1e-4), (x,))
    assert dict(exc.value.report.options["contract"])["float64 oracle"].startswith("used")


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_precision_backwards_are_judged_against_float64(dtype):
    # bfloat16 (which NumPy lacks: carried in float32, exactly) and float16: a correct
    # backward passes; one 1e-2 relative off (2.5 of bfloat16's unit roundoffs, below what its
    # own rounding lets the half-precision run show) is a mismatch of the same backward run on
    # the float64 inputs
    x = torch.linspace(-3.0, 3.0, 7, dtype=dtype).requires_grad_(True)
    assert gradcheck(make_softplus(), (x,)) is True
    assert gradcheck(torch.tanh, (x,)) is True
    with pytest.raises(GradcheckError, match="MISMATCH") as exc:
        gradcheck(make_softplus(1e-2), (x,))
    assert "(float64 run)" in str(exc.value)
    assert dict(exc.value.report.options["contract"])["the backward run in float64"] == \
        "MISMATCH"

    class MixedSoftplus(torch.autograd.Function):  # computes in float32 whatever its input
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return torch.nn.functional.softplus(v)

        @staticmethod
        def backward(ctx, g):
            (v,) = ctx.saved_tensors
            return (g.float() * torch.sigmoid(v.float())).to(v.dtype)

    assert gradcheck(MixedSoftplus.apply, (x,)) is True
    W = torch.ones(3, 7, dtype=dtype)  # a weight of the function's own dtype: no float64 run
    with pytest.raises(NotImplementedError, match="refuses float64"):
        gradcheck(lambda v: torch.tanh(W @ v), (x,))


def test_f_is_evaluated_in_batches_where_it_runs_under_vmap():
    """A function of torch operations runs over a batch of points (torch.func.vmap, checked
    point for point against single calls); an autograd.Function without a vmap rule does not,
    and is called once per point instead: both are checked the same way."""
    from refnet.torch import _Wrapped

    z = _z()
    assert _Wrapped(torch.tanh, (z,)).batched() is not None
    assert _Wrapped(NumpyTanh.apply, (z,)).batched() is None
    x = torch.tensor([[0.5, -1.0], [2.0, 0.25]], dtype=torch.float64, requires_grad=True)
    w = torch.tensor([[1.5, -0.5], [0.75, 2.0]], dtype=torch.float64, requires_grad=True)
    mlp = lambda a, b: torch.log_softmax(torch.tanh(a @ b), dim=1)
    assert _Wrapped(mlp, (x, w)).batched() is not None
    assert gradcheck(mlp, (x, w)) is True
    assert gradcheck(NumpyTanh.apply, (z,)) is True


def test_fast_mode_judges_one_projection_and_names_the_wrong_element():
    W, x = inputs()
    ok = gradcheck(make_tanh_linear(), (W, x), fast_mode=True, raise_exception=False)
    assert ok is True
    with pytest.raises(GradcheckError) as info:
        gradcheck(make_tanh_linear("one_element"), (W, x), fast_mode=True)
    report = info.value.report
    assert report.guarantee.startswith("fast:")
    # the projection failed and the halving named the element, as the full check names it
    assert [e["name"] for e in report.mismatches] == ["inputs[0][1,2]·u0"]
    assert report.probes[0]["probe"] == "u0" and report.probes[0]["verdict"] == "MISMATCH"
    # the full check says the same of it
    with pytest.raises(GradcheckError) as full:
        gradcheck(make_tanh_linear("one_element"), (W, x), cotangents=1)
    assert [e["name"] for e in full.value.report.mismatches] == ["inputs[0][1,2]·u0"]


def test_fast_mode_of_a_large_elementwise_function_calls_it_a_few_times():
    calls = []

    class Tanh(torch.autograd.Function):
        @staticmethod
        def forward(ctx, z):
            calls.append(1)
            y = torch.tanh(z)
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, g):
            (y,) = ctx.saved_tensors
            return g * (1 - y * y)

    z = torch.linspace(-3, 3, 100_000, dtype=torch.float64, requires_grad=True)
    assert gradcheck(Tanh.apply, (z,), fast_mode=True)
    # f at x, the contract's graphs, the vjp's, two differences: no call per element
    assert len(calls) <= 12, len(calls)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_are_checked_on_their_device():
    seen = set()

    def f(W, x):
        seen.update({W.device.type, x.device.type})
        return torch.tanh(W @ x)

    W, x = (t.detach().cuda().requires_grad_(True) for t in inputs())
    assert gradcheck(f, (W, x))
    assert gradcheck(f, (W, x), fast_mode=True, check_batched_grad=True)
    assert seen == {"cuda"}
    with pytest.raises(GradcheckError):
        gradcheck(make_tanh_linear("one_element"), (W, x), fast_mode=True)
