"""nn.utils.fusion (conv/linear + BatchNorm folding) against torch's, nn.utils.stateless.functional_call, and
nn.attention's sdpa_kernel/SDPBackend (accepted; the same attention)."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.nn as nn
import nnengine.nn.functional as F
from nnengine.nn.attention import SDPBackend, sdpa_kernel
from nnengine.nn.utils import fusion

RNG = np.random.default_rng(3)


def _bn_stats(tbn, bn, c):
    stats = {"running_mean": RNG.standard_normal(c).astype(np.float32),
             "running_var": RNG.uniform(0.5, 2, c).astype(np.float32),
             "weight": RNG.standard_normal(c).astype(np.float32), "bias": RNG.standard_normal(c).astype(np.float32)}
    for k, v in stats.items():
        getattr(tbn, k).data.copy_(__import__("torch").tensor(v))
    bn.load_state_dict({**stats, "num_batches_tracked": np.array(3)})


@pytest.mark.parametrize("bias", [True, False])
def test_fuse_conv_and_linear_match_torch(torch, bias):
    tconv, tbn = torch.nn.Conv2d(3, 4, 3, bias=bias).eval(), torch.nn.BatchNorm2d(4).eval()
    conv, bn = nn.Conv2d(3, 4, 3, bias=bias).eval(), nn.BatchNorm2d(4).eval()
    conv.load_state_dict({k: v.detach().numpy() for k, v in tconv.state_dict().items()})
    _bn_stats(tbn, bn, 4)
    tf, nf = torch.nn.utils.fusion.fuse_conv_bn_eval(tconv, tbn), fusion.fuse_conv_bn_eval(conv, bn)
    np.testing.assert_allclose(nf.weight.detach().numpy(), tf.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(nf.bias.detach().numpy(), tf.bias.detach().numpy(), rtol=1e-6, atol=1e-7)
    x = RNG.standard_normal((2, 3, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(nf(ne.tensor(x)).numpy(), bn(conv(ne.tensor(x))).numpy(), rtol=1e-4, atol=1e-5)
    assert conv.bias is None or conv.bias is not nf.bias  # the original is left alone
    tl, tb1 = torch.nn.Linear(5, 4, bias=bias).eval(), torch.nn.BatchNorm1d(4).eval()
    lin, b1 = nn.Linear(5, 4, bias=bias).eval(), nn.BatchNorm1d(4).eval()
    lin.load_state_dict({k: v.detach().numpy() for k, v in tl.state_dict().items()})
    _bn_stats(tb1, b1, 4)
    tf, nf = torch.nn.utils.fusion.fuse_linear_bn_eval(tl, tb1), fusion.fuse_linear_bn_eval(lin, b1)
    np.testing.assert_allclose(nf.weight.detach().numpy(), tf.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(nf.bias.detach().numpy(), tf.bias.detach().numpy(), rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="eval"):
        fusion.fuse_conv_bn_eval(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1))
    with pytest.raises(ValueError, match="out_features"):
        fusion.fuse_linear_bn_eval(nn.Linear(2, 3).eval(), nn.BatchNorm1d(2).eval())


def test_stateless_functional_call():
    m = nn.Linear(2, 1)
    w = ne.tensor([[1.0, 2.0]], requires_grad=True)
    out = nn.utils.stateless.functional_call(m, {"weight": w, "bias": ne.zeros(1)}, (ne.ones(1, 2),))
    out.sum().backward()
    assert out.item() == 3.0 and w.grad.tolist() == [[1.0, 1.0]] and m.weight.grad is None


def test_sdpa_kernel_is_accepted_and_changes_nothing():
    q, k, v = (ne.tensor(RNG.standard_normal((2, 3, 5, 4)).astype(np.float32)) for _ in range(3))
    ref = F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy()
    for backends in (SDPBackend.MATH, [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        with sdpa_kernel(backends):
            np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy(), ref)
    with pytest.raises(TypeError, match="SDPBackend"):
        with sdpa_kernel("math"):
            pass
    assert [b.name for b in SDPBackend] == ["ERROR", "MATH", "FLASH_ATTENTION", "EFFICIENT_ATTENTION",
                                            "CUDNN_ATTENTION", "OVERRIDEABLE"]
