"""conv_transpose2d / ConvTranspose1d/2d: float64 oracle (proven by finite differences), the kernels on every
ISA, the scalar twin, 1 vs 2 threads, PyTorch side by side (forward, input/weight/bias gradients, modules
loaded from torch weights), the tape's gradcheck and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad
from conv_testing import check_against_torch
from conv_testing import close as _close
from reference import conv_transpose as ref

import nnengine as ne
import nnengine.functional as F
from nnengine import _core
from nnengine.autograd import gradcheck

# (N, C, H, W, K, R, S, stride, padding, output_padding, dilation, groups): SIMD-awkward sizes, every
# hyper-parameter, the DCGAN layer kinds (k4 s2 p1 doubling, k4 s1 p0 from 1x1).
GRID = [
    (2, 3, 5, 4, 4, 3, 3, (1, 1), (1, 1), (0, 0), (1, 1), 1),  # stride 1: direct kernels
    (2, 8, 4, 4, 7, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # DCGAN doubling
    (3, 17, 1, 1, 9, 4, 4, (1, 1), (0, 0), (0, 0), (1, 1), 1),  # DCGAN first layer (1x1 -> 4x4)
    (2, 6, 7, 9, 4, 3, 2, (2, 3), (1, 0), (1, 2), (1, 1), 2),  # output_padding, groups
    (1, 4, 6, 5, 6, 3, 3, (1, 2), (2, 1), (1, 1), (2, 1), 2),  # output_padding >= stride (< dilation)
    (2, 9, 8, 16, 15, 1, 1, (1, 1), (0, 0), (0, 0), (1, 1), 1),  # pointwise
    (2, 16, 3, 17, 33, 2, 2, (2, 2), (0, 0), (0, 0), (1, 1), 1),  # kernel = stride (no overlap)
    (1, 6, 9, 8, 6, 3, 3, (1, 1), (1, 1), (0, 0), (2, 2), 6),  # depthwise, dilated
    (2, 1, 7, 33, 1, 5, 5, (3, 1), (2, 2), (2, 0), (1, 1), 1),  # one channel in and out
    (2, 7, 1, 20, 8, 1, 5, (1, 2), (0, 2), (0, 1), (1, 1), 1),  # a 1-D signal (H = 1)
    (2, 6, 1, 1, 10, 3, 5, (2, 1), (0, 0), (0, 0), (1, 1), 2),  # from 1x1 with groups (stride has no effect)
    (2, 5, 5, 6, 7, 1, 3, (2, 3), (0, 0), (1, 2), (1, 1), 1),  # kernel < stride: phases without taps
    (3, 9, 7, 8, 17, 5, 4, (2, 2), (3, 2), (0, 1), (1, 1), 1),  # padding > stride, odd kernel
    (2, 3, 5, 6, 4, 3, 3, (1, 1), (1, 1), (1, 1), (2, 2), 1),  # stride 1, output_padding: zero border
    (2, 4, 7, 9, 6, 3, 5, (2, 3), (1, 2), (0, 1), (2, 3), 2),  # strided and dilated, groups
    (1, 3, 33, 40, 5, 4, 3, (2, 2), (1, 1), (1, 0), (1, 1), 1),  # > 1024 positions: row slices, sub-pixel
    # strided, a group's channels >= the positions of a column block: the packed backward
    (2, 64, 4, 4, 8, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # DCGAN doubling, many channels
    (2, 96, 3, 5, 10, 3, 5, (2, 3), (1, 2), (1, 2), (1, 1), 2),  # odd strides, output_padding, groups
    (1, 40, 5, 4, 6, 3, 3, (2, 2), (2, 1), (1, 0), (2, 2), 1),  # dilated, padding > stride
    (3, 70, 3, 3, 5, 5, 4, (3, 2), (1, 3), (2, 0), (1, 1), 1),  # kernel < / > stride, ragged panels
]


def _data(cfg, seed=0):
    N, C, H, W, K, R, S, st, pd, op, dl, g = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W)).astype(np.float32)
    w = rng.standard_normal((C, K // g, R, S)).astype(np.float32)
    b = rng.standard_normal(K).astype(np.float32)
    y = ref.conv_transpose2d(x, w, b, st, pd, op, dl, g)
    dy = rng.standard_normal(y.shape).astype(np.float32)
    return x, w, b, dy


def _ids(c):
    return "x".join(map(str, c[:7])) + f"-s{c[7]}p{c[8]}o{c[9]}d{c[10]}g{c[11]}"


@pytest.mark.parametrize("cfg", [GRID[3], GRID[4]], ids=_ids)
def test_oracle_matches_finite_differences(cfg):
    x, w, b, dy = _data(cfg)
    hp = cfg[7:]
    dyd = dy.astype(np.float64)
    dx, dw, db = ref.conv_transpose2d_backward(dyd, x, w, *hp)
    for got, arg in ((dx, 0), (dw, 1), (db, 2)):
        def f(v, arg=arg):
            args = [x, w, b]
            args[arg] = v
            return (ref.conv_transpose2d(*args, *hp) * dyd).sum()

        # central differences of a sum of ~10^3 terms: cancellation error ~|f| * 1e-16 / 1e-6 ~ 1e-8
        np.testing.assert_allclose(got, numeric_grad(f, [x, w, b][arg]), rtol=1e-6, atol=1e-7)


def test_oracle_is_the_adjoint_of_conv2d():
    """<conv_transpose(x, w), y> == <x, conv2d(y, w)>: the definition, checked against the conv2d oracle."""
    from reference import conv2d as conv2d_ref

    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 4, 5))
    w = rng.standard_normal((6, 2, 3, 4))
    args = ((2, 1), (1, 2), (1, 0), (1, 1), 3)
    y = ref.conv_transpose2d(x, w, None, *args)
    v = rng.standard_normal(y.shape)
    st, pd, _, dl, g = args
    assert np.isclose((y * v).sum(), (x * conv2d_ref.conv2d(v, w, None, st, pd, dl, g)).sum())


@pytest.mark.parametrize("cfg", GRID, ids=_ids)
def test_kernels_match_oracle(cfg, isa):
    x, w, b, dy = _data(cfg)
    H, W, R, S = cfg[2], cfg[3], cfg[5], cfg[6]
    hp = cfg[7:]
    _close(_core.conv_transpose2d_forward(x, w, b, *hp), ref.conv_transpose2d(x, w, b, *hp))
    dxr, dwr, dbr = ref.conv_transpose2d_backward(dy, x, w, *hp)
    dx = _core.conv_transpose2d_backward_data(dy, w, (H, W), *hp)
    dw, db = _core.conv_transpose2d_backward_weights(dy, x, (R, S), *hp)
    _close(dx, dxr)
    _close(dw, dwr)
    _close(db, dbr)
    assert dx.dtype == dw.dtype == db.dtype == np.float32
    dw2, db2 = _core.conv_transpose2d_backward_weights(dy, x, (R, S), *hp, need_weight=False)
    assert dw2 is None and np.array_equal(db2, db)


@pytest.mark.parametrize("cfg", GRID[::2], ids=_ids)
def test_scalar_twin_matches_kernel(cfg):
    x, w, b, dy = _data(cfg, seed=3)
    H, W, R, S = cfg[2], cfg[3], cfg[5], cfg[6]
    hp = cfg[7:]
    _close(_core.conv_transpose2d_forward(x, w, b, *hp, reference=True), _core.conv_transpose2d_forward(x, w, b, *hp))
    _close(
        _core.conv_transpose2d_backward_data(dy, w, (H, W), *hp, reference=True),
        _core.conv_transpose2d_backward_data(dy, w, (H, W), *hp),
    )
    for a, k in zip(
        _core.conv_transpose2d_backward_weights(dy, x, (R, S), *hp, reference=True),
        _core.conv_transpose2d_backward_weights(dy, x, (R, S), *hp),
    ):
        _close(a, k)


@pytest.mark.parametrize(
    "cfg",
    [
        (5, 32, 4, 4, 16, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # strided, one block: threads in the GEMM
        (70, 17, 4, 4, 9, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # strided, several blocks summed in order
        (1, 24, 9, 9, 16, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # one image: threads in the GEMM
        (2, 9, 40, 33, 8, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # row slices, sub-pixel forward
        (9, 20, 1, 1, 32, 4, 4, (1, 1), (0, 0), (0, 0), (1, 1), 1),  # from 1x1
        (3, 8, 12, 12, 8, 3, 3, (1, 1), (1, 1), (0, 0), (1, 1), 2),  # direct kernels
        (2, 4, 6, 5, 6, 3, 3, (1, 2), (2, 1), (1, 1), (2, 1), 2),  # embedded in a zero border
        (3, 80, 4, 5, 12, 4, 4, (2, 2), (1, 1), (0, 0), (1, 1), 1),  # packed backward: threads in the GEMMs
    ],
    ids=_ids,
)
def test_one_and_two_threads_identical(isa, cfg, threads):
    x, w, b, dy = _data(cfg, seed=5)
    H, W, R, S = cfg[2], cfg[3], cfg[5], cfg[6]
    hp = cfg[7:]
    outs = []
    for n in (1, 2):
        with threads(n):
            outs.append(
                [
                    _core.conv_transpose2d_forward(x, w, b, *hp),
                    _core.conv_transpose2d_backward_data(dy, w, (H, W), *hp),
                    *_core.conv_transpose2d_backward_weights(dy, x, (R, S), *hp),
                    *_core.conv_transpose2d_backward(dy, x, w, *hp),
                ]
            )
    for a, c in zip(*outs):
        assert np.array_equal(a, c)


def test_packed_backward_blocks():
    """The packed backward over several blocks of images (the last one ragged), dw summed block by block in order:
    against the oracle, 1 vs 2 threads bit-identical, the fused kernel bit for bit the separate ones. A faked small
    L2 makes the column blocks narrow, so 256 channels take the packed path."""
    cfg = (17, 256, 16, 16, 2, 2, 2, (2, 2), (0, 0), (0, 0), (1, 1), 1)
    x, w, b, dy = _data(cfg, seed=13)
    hp = cfg[7:]
    ne.backend.set_cache_sizes(l2=8 << 10)
    try:
        outs = []
        for n in (1, 2):
            with ne.backend.num_threads(n):
                outs.append(_core.conv_transpose2d_backward(dy, x, w, *hp))
        sep = (_core.conv_transpose2d_backward_data(dy, w, (16, 16), *hp),
               _core.conv_transpose2d_backward_weights(dy, x, (2, 2), *hp)[0])
    finally:
        ne.backend.set_cache_sizes()
    for g, r in zip(outs[0], ref.conv_transpose2d_backward(dy, x, w, *hp)):
        _close(g, r)
    for a, c in zip(*outs):
        assert np.array_equal(a, c)
    assert np.array_equal(sep[0], outs[0][0]) and np.array_equal(sep[1], outs[0][1])


@pytest.mark.parametrize("cfg", GRID, ids=_ids)
def test_fused_backward_matches_the_separate_kernels(cfg, isa):
    """conv_transpose2d_backward (one column matrix of dy for dx and dw) gives bit for bit what the two separate
    kernels give, whichever gradients are requested; its scalar twin matches the oracle."""
    x, w, b, dy = _data(cfg, seed=9)
    H, W, R, S = cfg[2], cfg[3], cfg[5], cfg[6]
    hp = cfg[7:]
    want = (_core.conv_transpose2d_backward_data(dy, w, (H, W), *hp),
            *_core.conv_transpose2d_backward_weights(dy, x, (R, S), *hp))
    for need in [(True, True, True), (True, True, False), (True, False, False), (False, True, True),
                 (False, False, True), (False, False, False)]:
        got = _core.conv_transpose2d_backward(dy, x, w, *hp, need_input=need[0], need_weight=need[1],
                                              need_bias=need[2])
        for g, wnt, n in zip(got, want, need):
            assert (g is None) if not n else (g.dtype == np.float32 and np.array_equal(g, wnt))
    refs = ref.conv_transpose2d_backward(dy, x, w, *hp)
    for g, r in zip(_core.conv_transpose2d_backward(dy, x, w, *hp, reference=True), refs):
        _close(g, r)


@pytest.mark.parametrize("sizes", [(1 << 10, 4 << 10, 8 << 10), (33_333, 77_777, 333_333)])
def test_strided_paths_with_faked_caches(sizes):
    """The forward's slices of output channels (an eighth of L3, at least L2) at odd sizes: several slices and
    a ragged last one, against the oracle, 1 vs 2 threads bit-identical."""
    cfg = (3, 10, 7, 6, 13, 4, 3, (2, 2), (1, 1), (1, 0), (1, 1), 1)
    x, w, b, dy = _data(cfg, seed=11)
    hp = cfg[7:]
    ne.backend.set_cache_sizes(*sizes)
    try:
        outs = []
        for n in (1, 2):
            with ne.backend.num_threads(n):
                outs.append([_core.conv_transpose2d_forward(x, w, b, *hp), *_core.conv_transpose2d_backward(dy, x, w, *hp)])
    finally:
        ne.backend.set_cache_sizes()
    _close(outs[0][0], ref.conv_transpose2d(x, w, b, *hp))
    for g, r in zip(outs[0][1:], ref.conv_transpose2d_backward(dy, x, w, *hp)):
        _close(g, r)
    for a, c in zip(*outs):
        assert np.array_equal(a, c)


@pytest.mark.parametrize("cfg", GRID[1:5], ids=_ids)
def test_autograd_matches_torch(cfg, torch):
    x, w, b, dy = _data(cfg, seed=7)
    st, pd, op, dl, g = cfg[7:]
    check_against_torch(torch, F.conv_transpose2d, torch.nn.functional.conv_transpose2d, x, w, b, dy,
                        stride=st, padding=pd, output_padding=op, groups=g, dilation=dl)


@pytest.mark.parametrize(
    "args", [dict(stride=2, padding=1), dict(stride=3, padding=2, output_padding=1, dilation=2, groups=2)]
)
def test_conv_transpose1d_matches_torch(args, torch):
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4, 9)).astype(np.float32)
    w = rng.standard_normal((4, 3, 4)).astype(np.float32)
    b = rng.standard_normal(3 * args.get("groups", 1)).astype(np.float32)
    check_against_torch(torch, F.conv_transpose1d, torch.nn.functional.conv_transpose1d, x, w, b, unbatched=1,
                        rng=rng, **args)


def test_gradcheck():
    rng = np.random.default_rng(9)
    x = ne.Tensor(rng.standard_normal((2, 4, 3, 3)).astype(np.float32), requires_grad=True)
    w = ne.Tensor(rng.standard_normal((4, 3, 3, 2)).astype(np.float32), requires_grad=True)
    b = ne.Tensor(rng.standard_normal(6).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1, groups=2),
                     [x, w, b])
    x1 = ne.Tensor(rng.standard_normal((2, 3, 5)).astype(np.float32), requires_grad=True)
    w1 = ne.Tensor(rng.standard_normal((3, 2, 3)).astype(np.float32), requires_grad=True)
    assert gradcheck(lambda x, w: F.conv_transpose1d(x, w, stride=2, dilation=2), [x1, w1])


@pytest.mark.parametrize("spatial", [1, 2])
def test_module_matches_torch_and_roundtrips(spatial, torch, tmp_path):
    tcls = torch.nn.ConvTranspose1d if spatial == 1 else torch.nn.ConvTranspose2d
    ncls = ne.nn.ConvTranspose1d if spatial == 1 else ne.nn.ConvTranspose2d
    kw = dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)
    torch.manual_seed(0)
    tm = tcls(4, 6, 3, **kw)
    nm = ncls(4, 6, 3, **kw)
    assert nm.weight.shape == tuple(tm.weight.shape) and list(nm.state_dict()) == list(tm.state_dict())
    nm.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(1).standard_normal((2, 4) + (5,) * spatial).astype(np.float32)
    _close(nm(ne.Tensor(x)).numpy(), tm(torch.tensor(x)).detach().numpy())
    # output_size picks output_padding as torch does
    size = (9,) * spatial
    kw0 = dict(kw, output_padding=0)
    tm0, nm0 = tcls(4, 6, 3, **kw0), ncls(4, 6, 3, **kw0)
    nm0.load_state_dict({k: v.detach().numpy() for k, v in tm0.state_dict().items()})
    _close(nm0(ne.Tensor(x), output_size=size).numpy(), tm0(torch.tensor(x), output_size=size).detach().numpy())
    with pytest.raises(ValueError, match="output_size"):
        nm0(ne.Tensor(x), output_size=(20,) * spatial)
    # io round trip
    path = tmp_path / "m.nne"
    ne.save(nm.state_dict(), path)
    nm2 = ncls(4, 6, 3, **kw)
    nm2.load_state_dict(ne.load(path))
    assert np.array_equal(nm2(ne.Tensor(x)).numpy(), nm(ne.Tensor(x)).numpy())


def test_module_init_and_repr():
    ne.manual_seed(0)
    m = ne.nn.ConvTranspose2d(8, 6, (3, 5), stride=2, groups=2, bias=True)
    assert m.weight.shape == (8, 3, 3, 5) and m.bias.shape == (6,)
    bound = 1 / np.sqrt(3 * 3 * 5)  # torch: fan_in = weight.size(1) * kernel area
    assert np.abs(m.weight.numpy()).max() <= bound + 1e-6 and np.abs(m.bias.numpy()).max() <= bound + 1e-6
    assert np.abs(m.weight.numpy()).max() > 0.8 * bound
    assert "output_padding" not in repr(m) and "groups=2" in repr(m)
    m1 = ne.nn.ConvTranspose1d(3, 4, 3, bias=False)
    assert m1.bias is None and list(m1.state_dict()) == ["weight"] and m1.kernel_size == (3,)
    assert m1(ne.randn(2, 3, 7)).shape == (2, 4, 9)


def test_bad_input():
    x, w = ne.randn(2, 4, 5, 5), ne.randn(4, 3, 3, 3)
    with pytest.raises(ValueError, match=r"weight: expected 3 input channels \(the input's\), got 4"):
        F.conv_transpose2d(ne.randn(2, 3, 5, 5), w)
    with pytest.raises(ValueError, match="output_padding: expected values smaller than stride or dilation"):
        F.conv_transpose2d(x, w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="groups"):
        F.conv_transpose2d(x, w, groups=3)
    with pytest.raises(ValueError, match="groups"):
        F.conv_transpose2d(x, w, groups=0)
    with pytest.raises(ValueError, match="bias: expected shape"):
        F.conv_transpose2d(x, w, ne.randn(4))
    with pytest.raises(ValueError, match="stride"):
        F.conv_transpose2d(x, w, stride=0)
    with pytest.raises(TypeError, match="padding"):
        F.conv_transpose2d(x, w, padding="same")
    with pytest.raises(ValueError, match="output size"):
        F.conv_transpose2d(ne.randn(1, 4, 1, 1), w, padding=2)
    with pytest.raises(ValueError, match="input: expected 3 or 4 dimensions"):
        F.conv_transpose2d(ne.randn(4, 5), w)
    with pytest.raises(ValueError, match="input: expected 2 or 3 dimensions"):
        F.conv_transpose1d(x, ne.randn(4, 3, 3))
    with pytest.raises(TypeError, match="stride"):
        F.conv_transpose1d(ne.randn(2, 4, 5), ne.randn(4, 3, 3), stride=(1, 2))
    with pytest.raises(ValueError, match="padding"):
        ne.nn.ConvTranspose2d(3, 4, 3, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        ne.nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect")
    f32 = np.float32
    with pytest.raises(ValueError, match="output_padding"):
        _core.conv_transpose2d_forward(np.zeros((1, 1, 3, 3), f32), np.zeros((1, 1, 3, 3), f32), None, (1, 1),
                                       (0, 0), (1, 1))
    with pytest.raises(ValueError, match="weight: expected 2 input channels"):
        _core.conv_transpose2d_forward(np.zeros((1, 2, 3, 3), f32), np.zeros((3, 1, 3, 3), f32))
    with pytest.raises(ValueError, match="dy: expected shape"):
        _core.conv_transpose2d_backward_data(np.zeros((1, 2, 3, 3), f32), np.zeros((2, 2, 3, 3), f32), (3, 3))
    with pytest.raises(ValueError, match="dy: 3 channels are not divisible by groups=2"):
        _core.conv_transpose2d_backward_weights(np.zeros((1, 3, 5, 5), f32), np.zeros((1, 2, 3, 3), f32), (3, 3),
                                                groups=2)
    with pytest.raises(ValueError, match="dy: expected shape"):
        _core.conv_transpose2d_backward(np.zeros((1, 2, 4, 3), f32), np.zeros((1, 2, 3, 3), f32),
                                        np.zeros((2, 2, 3, 3), f32))
    with pytest.raises(ValueError, match="weight: expected 2 input channels"):
        _core.conv_transpose2d_backward(np.zeros((1, 2, 5, 5), f32), np.zeros((1, 2, 3, 3), f32),
                                        np.zeros((3, 2, 3, 3), f32))
    with pytest.raises(TypeError, match="w: expected dtype float32"):
        _core.conv_transpose2d_backward(np.zeros((1, 2, 5, 5), f32), np.zeros((1, 2, 3, 3), f32),
                                        np.zeros((2, 2, 3, 3)))
    with pytest.raises(TypeError, match="x: expected dtype float32"):
        _core.conv_transpose2d_forward(np.zeros((1, 1, 3, 3)), np.zeros((1, 1, 3, 3), f32))
    with pytest.raises(ValueError, match="expected at most 2\\^31 elements"):
        _core.conv_transpose2d_forward(np.zeros((1, 1, 3, 3), f32), np.zeros((1, 1, 3, 3), f32), None,
                                       (2**30, 2**30))
