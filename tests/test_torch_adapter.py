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


def test_torch_keywords_never_vanish():
    f, z = make_scaled(), (_z(),)
    with pytest.raises(TypeError, match="raise_exceptoin"):
        gradcheck(f, z, raise_exceptoin=False)
    with pytest.raises(TypeError):
        gradgradcheck(f, z, atoll=1)
    for kw in ("check_batched_grad", "check_batched_forward_grad", "masked"):
        with pytest.raises(NotImplementedError, match=kw):
            gradcheck(f, z, **{kw: True})
    for kw in ("check_batched_grad", "check_fwd_over_rev", "gen_non_contig_grad_outputs"):
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
    # a forward that refuses float64 is judged by float32 differences, as before: lossy there
    assert gradcheck(make_softplus(only_float32=True), (x,)) is True
    assert gradcheck(make_softplus(1e-4, only_float32=True), (x,)) is True


@pytest.mark.parametrize("dtype, bug", [(torch.bfloat16, 1e-1), (torch.float16, 1e-2)])
def test_half_precision_backwards_are_judged_against_float64(dtype, bug):
    # bfloat16 (which NumPy lacks: carried in float32, exactly) and float16: a correct
    # backward passes, one 1e-1 (bfloat16) or 1e-2 (float16) relative off is a mismatch
    x = torch.linspace(-3.0, 3.0, 7, dtype=dtype).requires_grad_(True)
    assert gradcheck(make_softplus(), (x,)) is True
    assert gradcheck(torch.tanh, (x,)) is True
    with pytest.raises(GradcheckError, match="MISMATCH"):
        gradcheck(make_softplus(bug), (x,))
    W = torch.ones(3, 7, dtype=dtype)  # a weight of the function's own dtype: no float64 run
    with pytest.raises(NotImplementedError, match="refuses float64"):
        gradcheck(lambda v: torch.tanh(W @ v), (x,))
