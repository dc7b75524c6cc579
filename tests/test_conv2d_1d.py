"""conv1d / Conv1d (the conv2d kernels over a height-1 image): the float64 oracle on every ISA, 1 vs 2
threads, PyTorch side by side (forward, input/weight/bias gradients, 'same'/'valid', the module from torch
weights), the tape's gradcheck and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conv_testing import check_against_torch
from conv_testing import close as _close
from reference import conv2d as ref

import nnengine as ne
import nnengine.functional as F
from nnengine.autograd import gradcheck

# (N, C, L, K, k, stride, padding, dilation, groups): SIMD-awkward lengths, every hyper-parameter.
GRID = [
    (2, 6, 100, 64, 5, 1, 2, 1, 1),  # the sensor shape (batch shortened)
    (3, 1, 7, 8, 3, 1, 1, 1, 1),
    (2, 9, 33, 17, 1, 1, 0, 1, 1),  # pointwise
    (2, 8, 16, 9, 3, 2, 1, 1, 1),  # strided: the GEMM path
    (1, 6, 15, 6, 3, 1, 2, 2, 3),  # dilated, groups
    (2, 4, 9, 4, 4, 3, 0, 1, 4),  # depthwise, stride 3
    (2, 16, 8, 33, 8, 1, 0, 1, 1),  # kernel = signal
]


def _data(cfg, seed=0):
    N, C, L, K, k, st, pd, dl, g = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, L)).astype(np.float32)
    w = rng.standard_normal((K, C // g, k)).astype(np.float32)
    b = rng.standard_normal(K).astype(np.float32)
    return x, w, b


def _oracle(x, w, b, st, pd, dl, g, dy=None):
    """conv1d through the float64 conv2d oracle on (N, C, 1, L)."""
    args = ((1, st), (0, pd), (1, dl), g)
    y = ref.conv2d(x[:, :, None], w[:, :, None], b, *args)[:, :, 0]
    if dy is None:
        return y
    dx, dw, db = ref.conv2d_backward(dy[:, :, None], x[:, :, None], w[:, :, None], *args)
    return y, dx[:, :, 0], dw[:, :, 0], db


def _ids(c):
    return "x".join(map(str, c[:5])) + f"-s{c[5]}p{c[6]}d{c[7]}g{c[8]}"


@pytest.mark.parametrize("cfg", GRID, ids=_ids)
def test_matches_oracle(cfg, isa):
    x, w, b = _data(cfg)
    st, pd, dl, g = cfg[5:]
    xn, wn, bn = (ne.Tensor(a, requires_grad=True) for a in (x, w, b))
    y = F.conv1d(xn, wn, bn, stride=st, padding=pd, dilation=dl, groups=g)
    dy = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(dy)
    yr, dxr, dwr, dbr = _oracle(x, w, b, st, pd, dl, g, dy)
    _close(y.numpy(), yr)
    _close(xn.grad, dxr)
    _close(wn.grad, dwr)
    _close(bn.grad, dbr)


@pytest.mark.parametrize("cfg", [GRID[0], GRID[3], (17, 8, 40, 16, 3, 1, 1, 1, 2)], ids=_ids)
def test_one_and_two_threads_identical(isa, cfg, threads):
    x, w, b = _data(cfg, seed=5)
    st, pd, dl, g = cfg[5:]
    outs = []
    for n in (1, 2):
        with threads(n):
            xn, wn, bn = (ne.Tensor(a, requires_grad=True) for a in (x, w, b))
            y = F.conv1d(xn, wn, bn, stride=st, padding=pd, dilation=dl, groups=g)
            (y * y).sum().backward()
            outs.append([y.numpy(), xn.grad, wn.grad, bn.grad])
    for a, c in zip(*outs):
        assert np.array_equal(a, c)


@pytest.mark.parametrize(
    "args",
    [dict(), dict(stride=2, padding=3, dilation=2, groups=2), dict(padding="same"), dict(padding="valid"),
     dict(padding="same", dilation=3)],
)
@pytest.mark.parametrize("k", [4, 5])
def test_matches_torch(args, k, torch):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 4, 17)).astype(np.float32)
    w = rng.standard_normal((6, 4 // args.get("groups", 1), k)).astype(np.float32)
    b = rng.standard_normal(6).astype(np.float32)
    check_against_torch(torch, F.conv1d, torch.nn.functional.conv1d, x, w, b, unbatched=2, rng=rng, **args)


def test_conv2d_same_with_even_kernel_matches_torch(torch):
    """'same' with an odd total padding puts the extra zero at the end, as torch does (conv2d shares it)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 7, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 2, 3)).astype(np.float32)
    xt = torch.tensor(x, requires_grad=True)
    yt = torch.nn.functional.conv2d(xt, torch.tensor(w), padding="same")
    yt.sum().backward()
    xn = ne.Tensor(x, requires_grad=True)
    yn = F.conv2d(xn, ne.Tensor(w), padding="same")
    yn.sum().backward()
    _close(yn.numpy(), yt.detach().numpy())
    _close(xn.grad, xt.grad.numpy())


def test_gradcheck():
    rng = np.random.default_rng(9)
    x = ne.Tensor(rng.standard_normal((2, 4, 9)).astype(np.float32), requires_grad=True)
    w = ne.Tensor(rng.standard_normal((6, 2, 3)).astype(np.float32), requires_grad=True)
    b = ne.Tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2), [x, w, b])
    assert gradcheck(lambda x, w: F.conv1d(x, w, padding="same", groups=2), [x, ne.Tensor(w.numpy()[:, :, :2],
                                                                                           requires_grad=True)])


def test_module_matches_torch_and_roundtrips(torch, tmp_path):
    torch.manual_seed(0)
    tm = torch.nn.Conv1d(6, 64, 5, padding="same")
    nm = ne.nn.Conv1d(6, 64, 5, padding="same")
    assert nm.kernel_size == tm.kernel_size and nm.stride == tm.stride and nm.padding == tm.padding
    assert nm.weight.shape == tuple(tm.weight.shape) and list(nm.state_dict()) == list(tm.state_dict())
    bound = 1 / np.sqrt(6 * 5)
    assert np.abs(nm.weight.numpy()).max() <= bound + 1e-6 and np.abs(nm.bias.numpy()).max() <= bound + 1e-6
    nm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((4, 6, 100)).astype(np.float32)
    _close(nm(ne.Tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy())
    path = tmp_path / "c.nne"
    ne.save(nm.state_dict(), path)
    nm2 = ne.nn.Conv1d(6, 64, 5, padding="same")
    nm2.load_state_dict(ne.load(path))
    assert np.array_equal(nm2(ne.Tensor(x)).numpy(), nm(ne.Tensor(x)).numpy())
    assert repr(nm) == "Conv1d(6, 64, kernel_size=(5,), stride=(1,), padding=same)"


def test_bad_input():
    x, w = ne.randn(2, 4, 10), ne.randn(6, 2, 3)
    with pytest.raises(ValueError, match="input: expected 2 channels"):
        F.conv1d(x, w)
    with pytest.raises(ValueError, match="groups"):
        F.conv1d(x, ne.randn(6, 1, 3), groups=4)
    with pytest.raises(ValueError, match="stride"):
        F.conv1d(x, w, groups=2, stride=0)
    with pytest.raises(TypeError, match="stride"):
        F.conv1d(x, w, groups=2, stride=(1, 1))
    with pytest.raises(ValueError, match="padding"):
        F.conv1d(x, w, groups=2, padding=-1)
    with pytest.raises(ValueError, match="padding: 'same' is not supported for strided"):
        F.conv1d(x, w, groups=2, padding="same", stride=2)
    with pytest.raises(ValueError, match="padding: expected an int"):
        F.conv1d(x, w, groups=2, padding="full")
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        F.conv1d(x, w, groups=2, dilation=6)
    with pytest.raises(ValueError, match="bias: expected shape"):
        F.conv1d(x, w, ne.randn(5), groups=2)
    with pytest.raises(ValueError, match="input: expected 2 or 3 dimensions"):
        F.conv1d(ne.randn(1, 1, 4, 10), w)
    with pytest.raises(ValueError, match="weight: expected 3 dimensions"):
        F.conv1d(x, ne.randn(6, 2, 3, 3), groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        ne.nn.Conv1d(3, 4, 3, padding_mode="wrap")
    with pytest.raises(ValueError, match="padding: 'same' is not supported for strided"):
        ne.nn.Conv1d(3, 4, 3, padding="same", stride=2)


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("spatial,padding,stride,dilation", [
    (2, 1, 1, 1), (2, (2, 1), 2, 1), (2, "same", 1, (1, 2)), (2, "valid", 1, 1), (1, 2, 1, 1), (1, "same", 1, 2),
])
def test_padding_modes_match_torch(torch, mode, spatial, padding, stride, dilation):
    """padding_mode reflect / replicate / circular (torch pads with F.pad, then convolves unpadded; 'same' puts the
    odd element on the right): outputs and input / weight / bias gradients equal torch's, batched and unbatched."""
    cls = "Conv2d" if spatial == 2 else "Conv1d"
    kernel = (3, 4) if spatial == 2 else 4
    kw = dict(padding=padding, stride=stride, dilation=dilation, padding_mode=mode)
    tm = getattr(torch.nn, cls)(3, 4, kernel, **kw)
    m = getattr(ne.nn, cls)(3, 4, kernel, **kw)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    assert repr(m) == repr(tm)
    shape = (2, 3, 7, 9) if spatial == 2 else (2, 3, 9)
    for x in (np.random.default_rng(0).standard_normal(shape).astype(np.float32),
              np.random.default_rng(1).standard_normal(shape[1:]).astype(np.float32)):
        xt, xn = torch.tensor(x, requires_grad=True), ne.tensor(x, requires_grad=True)
        yt, yn = tm(xt), m(xn)
        np.testing.assert_allclose(yn.numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
        g = np.random.default_rng(2).standard_normal(tuple(yt.shape)).astype(np.float32)
        yt.backward(torch.tensor(g))
        yn.backward(ne.tensor(g))
        np.testing.assert_allclose(xn.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(m.weight.grad.numpy(), tm.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(m.bias.grad.numpy(), tm.bias.grad.numpy(), rtol=1e-4, atol=1e-4)
