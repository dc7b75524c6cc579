"""rms_norm / RMSNorm, local_response_norm / LocalResponseNorm, bilinear / Bilinear, pdist, circular padding
(F.pad and CircularPad1d/2d), upsample_bilinear / upsample_nearest, Unfold / Fold modules, nn.Buffer and
nn.RNNCellBase: values and gradients equal torch's (float32 and float64 where the op has the path), reprs and
state_dict keys equal torch's, finite-difference checks."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn
from nnengine.autograd import gradcheck

R = np.random.default_rng(0)
X4 = R.standard_normal((2, 5, 3, 4))
X3 = R.standard_normal((2, 6, 7))
W = R.standard_normal((5, 3, 4))

# name -> (inputs, call(F, *inputs)) on the same arrays for both libraries
CASES = {
    "rms_norm": ([X4], lambda f, x: f.rms_norm(x, (3, 4))),
    "rms_norm_weight_eps": ([X4, X4[0, 0]], lambda f, x, w: f.rms_norm(x, (3, 4), w, eps=1e-3)),
    "local_response_norm": ([X4], lambda f, x: f.local_response_norm(x, 3)),
    "local_response_norm_3d": ([X3], lambda f, x: f.local_response_norm(x, 4, 0.1, 0.6, 2.0)),
    "bilinear": ([X4[0, 0, :, :3], X4[1, 0], W], lambda f, a, b, w: f.bilinear(a, b, w)),
    "bilinear_bias_nd": ([X4[:, :, :, :3], X4[:, :, :, :4], W, X4[0, :, 0, 0]],
                         lambda f, a, b, w, c: f.bilinear(a, b, w, c)),
    "pdist": ([X3[0]], lambda f, x: f.pdist(x)),
    "pdist_p1_5": ([X3[0]], lambda f, x: f.pdist(x, 1.5)),
    "pad_circular": ([X4], lambda f, x: f.pad(x, (2, 1, 0, 3), mode="circular")),
    "pad_circular_crop": ([X4[0]], lambda f, x: f.pad(x, (-1, 2, 1, -1), mode="circular")),
    "pad_circular_1d": ([X3], lambda f, x: f.pad(x, (3, 2), mode="circular")),
}
NO_F64 = {"pad_circular", "pad_circular_crop", "pad_circular_1d"}  # (F.pad's kernels are float32)


@pytest.mark.parametrize("case,dtype", [(c, d) for c in sorted(CASES) for d in (np.float32, np.float64)
                                        if not (d == np.float64 and c in NO_F64)])
def test_values_and_grads_match_torch(torch, case, dtype):
    arrs, call = CASES[case]
    mine_in = [ne.tensor(a.astype(dtype), requires_grad=True) for a in arrs]
    ref_in = [torch.tensor(a.astype(dtype), requires_grad=True) for a in arrs]
    mine, ref = call(F, *mine_in), call(torch.nn.functional, *ref_in)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)
    assert mine.dtype == dtype and tuple(mine.shape) == tuple(ref.shape)
    np.testing.assert_allclose(mine.detach().numpy(), ref.detach().numpy(), **tol)
    w = R.standard_normal(tuple(ref.shape)).astype(dtype)
    (mine * ne.tensor(w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for a, b in zip(mine_in, ref_in):
        np.testing.assert_allclose(a.grad, b.grad.numpy(), **tol)


@pytest.mark.parametrize("case", ["rms_norm_weight_eps", "local_response_norm_3d", "bilinear_bias_nd", "pdist"])
def test_gradcheck(case):
    arrs, call = CASES[case]
    xs = [ne.tensor(a[..., :3] if case == "pdist" else a, dtype=np.float64, requires_grad=True) for a in arrs]
    assert gradcheck(lambda *t: call(F, *t), xs, eps=1e-6, atol=1e-5)


@pytest.mark.filterwarnings("ignore:`nn.functional.upsample")  # torch's deprecation notes
def test_upsample_aliases_match_torch(torch):
    x = X4.astype(np.float32)
    for name, kw in (("upsample_bilinear", dict(size=(5, 7))), ("upsample_nearest", dict(scale_factor=2))):
        np.testing.assert_allclose(getattr(F, name)(ne.tensor(x), **kw).numpy(),
                                   getattr(torch.nn.functional, name)(torch.tensor(x), **kw).numpy(), rtol=1e-5,
                                   atol=1e-6)


MODULES = [
    ("RMSNorm", ((3, 4),), {}, [X4]), ("RMSNorm", (4,), {"eps": 1e-5, "elementwise_affine": False}, [X4]),
    ("LocalResponseNorm", (3,), {"alpha": 0.01}, [X4]), ("Bilinear", (3, 4, 5), {}, [X4[0, 0, :, :3], X4[1, 0]]),
    ("Bilinear", (3, 4, 5), {"bias": False}, [X4[0, 0, :, :3], X4[1, 0]]),
    ("Unfold", (2,), {"padding": 1, "stride": 2}, [X4]), ("Fold", ((4, 5), 2), {}, [R.standard_normal((2, 12, 12))]),
    ("CircularPad1d", ((1, 2),), {}, [X3]), ("CircularPad2d", (1,), {}, [X4]),
]


@pytest.mark.parametrize("name,args,kwargs,inputs", MODULES, ids=[f"{m[0]}-{i}" for i, m in enumerate(MODULES)])
def test_modules_match_torch(torch, name, args, kwargs, inputs):
    m, tm = getattr(nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(m) == repr(tm)
    tsd = tm.state_dict()
    assert list(m.state_dict()) == list(tsd) and all(m.state_dict()[k].shape == tuple(v.shape) for k, v in tsd.items())
    m.load_state_dict(tsd)
    xs = [a.astype(np.float32) for a in inputs]
    np.testing.assert_allclose(m(*[ne.tensor(x) for x in xs]).detach().numpy(),
                               tm(*[torch.tensor(x) for x in xs]).detach().numpy(), rtol=2e-5, atol=2e-5)


def test_bilinear_init_bounds_and_save_load(tmp_path):
    from nnengine import io

    ne.manual_seed(0)
    m = nn.Bilinear(16, 3, 2)
    assert np.abs(m.weight.numpy()).max() <= 0.25 and np.abs(m.bias.numpy()).max() <= 0.25
    io.save_model(m, str(tmp_path / "b.safetensors"))
    back = io.load_model(str(tmp_path / "b.safetensors"))
    a, b = ne.randn(4, 16), ne.randn(4, 3)
    np.testing.assert_array_equal(back(a, b).numpy(), m(a, b).numpy())


def test_buffer_and_rnn_cell_base(torch):
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(2, 2)
            self.count = nn.Buffer(ne.zeros(1))
            self.scratch = nn.Buffer(ne.ones(3), persistent=False)

    class TM(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = torch.nn.Linear(2, 2)
            self.count = torch.nn.Buffer(torch.zeros(1))
            self.scratch = torch.nn.Buffer(torch.ones(3), persistent=False)

    m = M()
    assert list(m.state_dict()) == list(TM().state_dict()) == ["count", "lin.weight", "lin.bias"]
    assert [n for n, _ in m.named_buffers()] == ["count", "scratch"]
    for cell in (nn.RNNCell(2, 3), nn.LSTMCell(2, 3), nn.GRUCell(2, 3)):
        assert isinstance(cell, nn.RNNCellBase)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.rms_norm(ne.ones(2, 3), (4,)), ValueError, "normalized_shape"),
    (lambda: F.rms_norm(ne.ones(2, 3), (3,), ne.ones(2)), ValueError, "weight"),
    (lambda: F.local_response_norm(ne.ones(2, 3), 2), ValueError, "3 or more"),
    (lambda: F.local_response_norm(ne.ones(1, 2, 3), 0), ValueError, "size"),
    (lambda: F.bilinear(ne.ones(2, 3), ne.ones(2, 4), ne.ones(5, 3, 3)), ValueError, "input1"),
    (lambda: F.bilinear(ne.ones(2, 3), ne.ones(2, 4), ne.ones(5, 3, 4), ne.ones(4)), ValueError, "bias"),
    (lambda: F.pdist(ne.ones(3)), ValueError, "input"),
    (lambda: F.pdist(ne.ones(3, 2), -1.0), ValueError, "p"),
    (lambda: F.pad(ne.ones(1, 1, 3), (4, 0), mode="circular"), ValueError, "circular"),
    (lambda: F.pad(ne.ones(1, 1, 3), (1, 0), mode="wrap"), ValueError, "mode"),
])
def test_bad_arguments(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_bilinear_rejects_a_0d_input():
    # scripts/fuzz.py nn.modules_more: a 0-d input2 raised IndexError from inside F.bilinear
    with pytest.raises(ValueError, match="input2"):
        nn.Bilinear(1, 1, 1)(ne.ones(3, 1), ne.tensor(1.0))
