"""F.ctc_loss / nn.CTCLoss: losses and gradients equal torch's for every reduction (padded 2-D and concatenated
1-D targets, ragged input lengths, repeated labels, a non-zero blank, unbatched input), through log_softmax from
logits too; zero_infinity for impossible alignments; float64."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn

R = np.random.default_rng(0)
T, N, C = 12, 3, 5
LOGITS = R.standard_normal((T, N, C))
TG = np.array([[1, 2, 2, 3], [4, 1, 0, 0], [2, 2, 2, 0]])
TL, IL = [4, 2, 3], [12, 9, 7]


def _lp(torch, dtype):
    return torch.tensor(LOGITS.astype(dtype)).log_softmax(2).numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("flat", [False, True])
def test_matches_torch(torch, reduction, flat, dtype):
    lp = _lp(torch, dtype)
    tg = np.concatenate([TG[i, :TL[i]] for i in range(N)]) if flat else TG
    a, t = ne.tensor(lp, requires_grad=True), torch.tensor(lp, requires_grad=True)
    y = F.ctc_loss(a, ne.tensor(tg), IL, TL, reduction=reduction)
    ty = torch.nn.functional.ctc_loss(t, torch.tensor(tg), IL, TL, reduction=reduction)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)
    assert y.dtype == dtype
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), **tol)
    w = R.standard_normal(tuple(ty.shape)).astype(dtype)
    (y * ne.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad, t.grad.numpy(), **tol)


def test_through_log_softmax_blank_and_unbatched(torch):
    x = LOGITS.astype(np.float32)
    a, t = ne.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    tg = np.array([[1, 0, 0, 3], [4, 1, 0, 0], [0, 0, 0, 0]])  # blank=2: 0 is a label here
    loss = nn.CTCLoss(blank=2)(a.log_softmax(2), ne.tensor(tg), IL, [4, 2, 4])
    tloss = torch.nn.CTCLoss(blank=2)(t.log_softmax(2), torch.tensor(tg), IL, [4, 2, 4])
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-5)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-4, atol=1e-6)
    lp = _lp(torch, np.float32)[:, 0]
    y = F.ctc_loss(ne.tensor(lp), ne.tensor([1, 2]), ne.tensor(12), ne.tensor(2), reduction="none")
    ty = torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor([1, 2]), torch.tensor(12), torch.tensor(2),
                                      reduction="none")
    assert tuple(y.shape) == tuple(ty.shape)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-5)


def test_zero_infinity(torch):
    lp = _lp(torch, np.float32)
    tg = np.array([[1, 1, 1, 1, 1, 1, 1]] * N)  # 7 repeated labels need 13 frames: impossible in <= 12
    for zi in (False, True):
        a, t = ne.tensor(lp, requires_grad=True), torch.tensor(lp, requires_grad=True)
        y = F.ctc_loss(a, ne.tensor(tg), IL, [7, 7, 7], reduction="sum", zero_infinity=zi)
        ty = torch.nn.functional.ctc_loss(t, torch.tensor(tg), IL, [7, 7, 7], reduction="sum", zero_infinity=zi)
        np.testing.assert_allclose(y.item(), ty.item())
        if zi:
            y.backward()
            ty.backward()
            np.testing.assert_allclose(a.grad, t.grad.numpy(), atol=1e-6)
    assert repr(nn.CTCLoss()) == repr(torch.nn.CTCLoss())


@pytest.mark.parametrize("call,exc,match", [
    (lambda lp: F.ctc_loss(lp, ne.tensor(TG), IL[:2], TL), ValueError, "input_lengths"),
    (lambda lp: F.ctc_loss(lp, ne.tensor(TG), [13, 1, 1], TL), ValueError, "input_lengths"),
    (lambda lp: F.ctc_loss(lp, ne.tensor(TG), IL, TL, blank=5), ValueError, "blank"),
    (lambda lp: F.ctc_loss(lp, ne.tensor(TG), IL, [4, 5, 1]), ValueError, "targets"),
    (lambda lp: F.ctc_loss(lp, ne.tensor([1, 2]), IL, TL), ValueError, "targets"),
    (lambda lp: F.ctc_loss(lp, ne.tensor(TG * 0.5), IL, TL), TypeError, "targets"),
    (lambda lp: F.ctc_loss(lp, ne.tensor(TG), IL, TL, reduction="avg"), ValueError, "reduction"),
])
def test_bad_arguments(torch, call, exc, match):
    with pytest.raises(exc, match=match):
        call(ne.tensor(_lp(torch, np.float32)))
