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
