"""conv2d / conv_transpose2d: a direct-loop reference, the adjoint identity, gradchecks, PyTorch parity."""

import numpy as np
import pytest
from conftest import t64, to_np
from hypothesis import given
from hypothesis import strategies as st
from tiers import kernel_tier  # noqa: F401  (runs this module on both kernel tiers)

import minigan as mg
import minigan.nn.functional as F

pytestmark = pytest.mark.usefixtures("kernel_tier")


def conv2d_loops(x, w, b, stride, padding):
    """The definition, one output element at a time."""
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    (sh, sw), (ph, pw) = stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + (0 if b is None else b[None, :, None, None])


def conv_transpose2d_loops(x, w, b, stride, padding, output_padding):
    """Scatter every input pixel times the kernel into the output, then crop the padding."""
    n, cin, h, wd = x.shape
    _, cout, kh, kw = w.shape
    (sh, sw), (ph, pw), (oh, ow) = stride, padding, output_padding
    full = np.zeros((n, cout, (h - 1) * sh + kh + oh, (wd - 1) * sw + kw + ow))
    for i in range(h):
        for j in range(wd):
            full[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += np.tensordot(x[:, :, i, j], w, axes=([1], [0]))
    out = full[:, :, ph:full.shape[2] - ph, pw:full.shape[3] - pw]
    return out + (0 if b is None else b[None, :, None, None])


@st.composite
def conv_case(draw):
    kh, kw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, kh - 1)), draw(st.integers(0, kw - 1)))
    h = draw(st.integers(max(1, kh - 2 * padding[0]), 8))
    w = draw(st.integers(max(1, kw - 2 * padding[1]), 8))
    n, c, f = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    output_padding = (draw(st.integers(0, stride[0] - 1)), draw(st.integers(0, stride[1] - 1)))
    return dict(n=n, c=c, f=f, h=h, w=w, kernel=(kh, kw), stride=stride, padding=padding,
                output_padding=output_padding, bias=draw(st.booleans()), seed=draw(st.integers(0, 2**16)))


@given(case=conv_case())
def test_conv2d_matches_loops_and_gradchecks(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], case["h"], case["w"]))
    w = rng.standard_normal((case["f"], case["c"], *case["kernel"]))
    b = rng.standard_normal(case["f"]) if case["bias"] else None
    s, p = case["stride"], case["padding"]
    y = F.conv2d(t64(x), t64(w), None if b is None else t64(b), stride=s, padding=p)
    np.testing.assert_allclose(to_np(y), conv2d_loops(x, w, b, s, p), rtol=1e-10, atol=1e-12)
    args = (t64(x), t64(w)) + (() if b is None else (t64(b),))
    assert mg.gradcheck(lambda *a: F.conv2d(*a, stride=s, padding=p), args)


@given(case=conv_case())
def test_conv_transpose2d_matches_loops_and_gradchecks(case):
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], case["h"], case["w"]))
    w = rng.standard_normal((case["c"], case["f"], *case["kernel"]))
    b = rng.standard_normal(case["f"]) if case["bias"] else None
    s, p, op = case["stride"], case["padding"], case["output_padding"]
    expected = conv_transpose2d_loops(x, w, b, s, p, op)
    if min(expected.shape[2:]) < 1:
        return
    y = F.conv_transpose2d(t64(x), t64(w), None if b is None else t64(b), stride=s, padding=p, output_padding=op)
    np.testing.assert_allclose(to_np(y), expected, rtol=1e-10, atol=1e-12)
    args = (t64(x), t64(w)) + (() if b is None else (t64(b),))
    assert mg.gradcheck(lambda *a: F.conv_transpose2d(*a, stride=s, padding=p, output_padding=op), args)


@given(case=conv_case())
def test_conv_and_transposed_conv_are_adjoint(case):
    """⟨conv2d(x, w), y⟩ = ⟨x, conv_transpose2d(y, w)⟩ for the input size x actually has."""
    rng = np.random.default_rng(case["seed"])
    x = rng.standard_normal((case["n"], case["c"], case["h"], case["w"]))
    w = rng.standard_normal((case["f"], case["c"], *case["kernel"]))
    s, p = case["stride"], case["padding"]
    cx = F.conv2d(t64(x), t64(w), stride=s, padding=p)
    y = rng.standard_normal(cx.shape)
    from minigan.ops.conv import ConvTranspose2d, as_pair

    ty = ConvTranspose2d.apply(t64(y), t64(w), stride=as_pair(s, "stride"), padding=as_pair(p, "padding"),
                               out_hw=x.shape[2:])
    np.testing.assert_allclose(np.sum(to_np(cx) * y), np.sum(x * to_np(ty)), rtol=1e-10)


@pytest.mark.parametrize("stride, padding", [(1, 0), (2, 1), ((2, 1), (0, 1))])
def test_double_backward_through_conv_layers(stride, padding):
    rng = np.random.default_rng(0)
    x, w = t64(rng.standard_normal((2, 2, 5, 6))), t64(rng.standard_normal((3, 2, 3, 2)))
    assert mg.gradgradcheck(lambda a, b: F.conv2d(a, b, stride=stride, padding=padding), (x, w))
    wt = t64(rng.standard_normal((2, 3, 3, 2)))
    assert mg.gradgradcheck(lambda a, b: F.conv_transpose2d(a, b, stride=stride, padding=padding), (x, wt))
    bias = t64(rng.standard_normal(3))  # the bias is fused into both ops
    assert mg.gradgradcheck(lambda a, b, c: F.conv2d(a, b, c, stride=stride, padding=padding), (x, w, bias))
    assert mg.gradgradcheck(lambda a, b, c: F.conv_transpose2d(a, b, c, stride=stride, padding=padding),
                            (x, wt, bias))


def test_bias_of_the_wrong_shape_is_named():
    x, w = mg.zeros(1, 2, 4, 4), mg.zeros(3, 2, 3, 3)
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(3,\)"):
        F.conv2d(x, w, mg.zeros(2))
    with pytest.raises(ValueError, match=r"conv_transpose2d: bias must have shape \(2,\)"):
        F.conv_transpose2d(mg.zeros(1, 3, 4, 4), w, mg.zeros(3, 1))


def test_conv2d_backward_gives_exact_input_size_with_stride():
    """With stride 2 a 6×6 and a 7×7 input both give a 3×3 output; the gradient must have the input's size."""
    for size in (6, 7):
        x = mg.tensor(np.ones((1, 1, size, size)), requires_grad=True)
        w = mg.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
        F.conv2d(x, w, stride=2, padding=1).sum().backward()
        assert x.grad.shape == (1, 1, size, size)


def test_clear_errors():
    x = mg.tensor(np.ones((16, 1, 28, 28)))
    with pytest.raises(ValueError, match="expects 3 input channels"):
        F.conv2d(x, mg.tensor(np.ones((64, 3, 4, 4))))
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv2d(mg.tensor(np.ones((1, 1, 3, 3))), mg.tensor(np.ones((1, 1, 5, 5))))
    with pytest.raises(ValueError, match="4-D"):
        F.conv2d(mg.tensor(np.ones((1, 3, 3))), mg.tensor(np.ones((1, 1, 2, 2))))
    with pytest.raises(ValueError, match="stride must be positive"):
        F.conv2d(x, mg.tensor(np.ones((1, 1, 2, 2))), stride=-1)
    with pytest.raises(ValueError, match="non-negative"):
        F.conv2d(x, mg.tensor(np.ones((1, 1, 2, 2))), padding=-1)
    with pytest.raises(ValueError, match="output_padding"):
        F.conv_transpose2d(x, mg.tensor(np.ones((1, 1, 2, 2))), stride=2, output_padding=2)



@pytest.mark.parametrize("transposed", [False, True])
def test_matches_pytorch_first_and_second_order(transposed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    w = rng.standard_normal((3, 4, 4, 3)) if transposed else rng.standard_normal((4, 3, 4, 3))
    b = rng.standard_normal(4)
    kw = dict(stride=2, padding=1)
    ours = F.conv_transpose2d if transposed else F.conv2d
    theirs = torch.nn.functional.conv_transpose2d if transposed else torch.nn.functional.conv2d
    tx, tw, tb = t64(x), t64(w), t64(b)
    px, pw, pb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    y, py = ours(tx, tw, tb, **kw), theirs(px, pw, pb, **kw)
    np.testing.assert_allclose(to_np(y), py.detach().numpy(), rtol=1e-8)
    v = rng.standard_normal(y.shape)
    g = mg.grad(y, [tx, tw, tb], grad_outputs=mg.tensor(v, dtype="float64"), create_graph=True)
    pg = torch.autograd.grad(py, [px, pw, pb], grad_outputs=torch.tensor(v), create_graph=True)
    for a, p in zip(g, pg):
        np.testing.assert_allclose(to_np(a), p.detach().numpy(), rtol=1e-8, atol=1e-10)
    second = mg.grad(sum(((a * a).sum() for a in g), mg.tensor(0.0, dtype="float64")), [tx, tw])
    psecond = torch.autograd.grad(sum((a * a).sum() for a in pg), [px, pw])
    for a, p in zip(second, psecond):
        np.testing.assert_allclose(to_np(a), p.numpy(), rtol=1e-8, atol=1e-10)
