"""nn.utils.weight_norm / spectral_norm (torch's hook forms): parameter layout, values and gradients equal
torch's over training steps (the power iteration's random start copied from torch), removal, and errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn

RNG = np.random.default_rng(7)


def _copy_params(ours, ref):
    for (n, p), (m, q) in zip(ours.named_parameters(), ref.named_parameters()):
        assert n == m
        p.data[...] = q.detach().numpy()


def test_weight_norm_layout_and_formula():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        m = nn.utils.weight_norm(nn.Conv2d(3, 4, 3))
        whole = nn.utils.weight_norm(nn.Linear(3, 2), dim=None)
    assert [n for n, _ in m.named_parameters()] == ["bias", "weight_g", "weight_v"]
    assert m.weight_g.shape == (4, 1, 1, 1) and whole.weight_g.shape == ()
    v = m.weight_v.data.astype(np.float64)
    norms = np.sqrt((v ** 2).sum(axis=(1, 2, 3), keepdims=True))
    np.testing.assert_allclose(m.weight_g.data, norms, rtol=1e-6)
    m.weight_g.data[...] = 2.0
    m(ne.randn(1, 3, 5, 5))
    np.testing.assert_allclose(m.weight.data, 2.0 * v / norms, rtol=1e-5)


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_training_matches_torch(torch, dim):
    x = RNG.standard_normal((6, 5)).astype(np.float32)
    y = RNG.standard_normal((6, 3)).astype(np.float32)
    out = []
    for T in (ne, torch):
        T.manual_seed(0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            m = T.nn.utils.weight_norm(T.nn.Linear(5, 3), dim=dim)
        out.append((T, m))
    (_, ours), (_, ref) = out
    _copy_params(ours, ref)
    for T, m in out:
        opt = T.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
        for _ in range(4):
            opt.zero_grad()
            T.nn.functional.mse_loss(m(T.tensor(x)), T.tensor(y)).backward()
            opt.step()
    for (n, p), (_, q) in zip(ours.named_parameters(), ref.named_parameters()):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=2e-5, atol=1e-6, err_msg=n)


def test_remove_weight_norm_and_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        m = nn.utils.weight_norm(nn.Linear(3, 2))
        w = m(ne.ones(1, 3)).data.copy()
        with pytest.raises(RuntimeError, match="two weight_norm hooks"):
            nn.utils.weight_norm(m)
        nn.utils.remove_weight_norm(m)
        assert sorted(n for n, _ in m.named_parameters()) == ["bias", "weight"]
        np.testing.assert_allclose(m(ne.ones(1, 3)).data, w, rtol=1e-6)
        with pytest.raises(ValueError, match="not found"):
            nn.utils.remove_weight_norm(m)
        with pytest.raises(ValueError, match="no parameter 'kernel'"):
            nn.utils.weight_norm(nn.Linear(3, 2), name="kernel")
    with pytest.warns(FutureWarning, match="deprecated"):
        nn.utils.weight_norm(nn.Linear(3, 2))


def _train_then_eval(pairs, x, opt_name, lr):
    """Three steps of mean(y^2) on each (engine, module), then eval: [output, weight] per pair."""
    outs = []
    for T, m in pairs:
        opt = getattr(T.optim, opt_name)(m.parameters(), lr=lr)
        for _ in range(3):
            opt.zero_grad()
            y = m(T.tensor(x))
            (y * y).mean().backward()
            opt.step()
        m.eval()
        outs.append(np.asarray(m(T.tensor(x)).detach().numpy()))
        outs.append(np.asarray(m.weight.detach().numpy()))
    return outs


@pytest.mark.parametrize("make", ["linear", "conv", "convT"])
def test_spectral_norm_matches_torch(torch, make):
    def build(T):
        T.manual_seed(0)
        layer = {"linear": lambda: T.nn.Linear(6, 4), "conv": lambda: T.nn.Conv2d(3, 5, 3),
                 "convT": lambda: T.nn.ConvTranspose2d(4, 3, 3)}[make]()
        return T.nn.utils.spectral_norm(layer, n_power_iterations=2)

    ours, ref = build(ne), build(torch)
    assert sorted(ours.state_dict()) == sorted(ref.state_dict())
    _copy_params(ours, ref)
    for name in ("weight_u", "weight_v"):
        assert ours._buffers[name].shape == tuple(ref.state_dict()[name].shape)
        ours._buffers[name][...] = ref.state_dict()[name].numpy()
    shape = (2, 6) if make == "linear" else (2, 3, 7, 7) if make == "conv" else (2, 4, 5, 5)
    x = RNG.standard_normal(shape).astype(np.float32)
    outs = _train_then_eval(((ne, ours), (torch, ref)), x, "SGD", lr=0.05)
    np.testing.assert_allclose(outs[0], outs[2], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight_u, ref.weight_u.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(ours.weight_orig.data, ref.weight_orig.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_spectral_norm_bounds_the_singular_value_and_removes():
    ne.manual_seed(1)
    m = nn.utils.spectral_norm(nn.Linear(8, 8), n_power_iterations=1)
    for _ in range(30):  # power iteration converges over training-mode calls
        m(ne.ones(1, 8))
    assert abs(np.linalg.svd(m.weight.data.astype(np.float64), compute_uv=False)[0] - 1.0) < 1e-3
    m.eval()
    before = m.weight_u.copy()
    m(ne.ones(1, 8))
    np.testing.assert_array_equal(m.weight_u, before)  # no iteration in eval
    nn.utils.remove_spectral_norm(m)
    assert sorted(m.state_dict()) == ["bias", "weight"]
    with pytest.raises(ValueError, match="positive"):
        nn.utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=-1)
    with pytest.raises(RuntimeError, match="two spectral_norm hooks"):
        nn.utils.spectral_norm(nn.utils.spectral_norm(nn.Linear(2, 2)))


# --------------------------------------------------------------- nn.utils.parametrize / parametrizations
def _sync_state(ours, ref):
    sd = {k: v.detach().numpy().copy() for k, v in ref.state_dict().items()}
    assert sorted(ours.state_dict()) == sorted(sd)
    ours.load_state_dict(sd)


@pytest.mark.parametrize("kind", ["weight_norm", "spectral_norm"])
def test_parametrizations_train_like_torch(torch, kind):
    x = RNG.standard_normal((4, 3, 6, 6)).astype(np.float32)

    def build(T):
        T.manual_seed(0)
        conv = T.nn.Conv2d(3, 4, 3)
        return getattr(T.nn.utils.parametrizations, kind)(conv)

    ours, ref = build(ne), build(torch)
    assert type(ours).__name__ == type(ref).__name__ == "ParametrizedConv2d"
    _sync_state(ours, ref)
    outs = _train_then_eval(((ne, ours), (torch, ref)), x, "Adam", lr=0.01)
    np.testing.assert_allclose(outs[0], outs[2], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(outs[1], outs[3], rtol=1e-4, atol=1e-6)


def test_register_parametrization_custom_chain_cached_and_remove(torch):
    def prog(T):
        P = T.nn.utils.parametrize

        class Symmetric(T.nn.Module):
            def forward(self, X):
                return X.triu() + X.triu(1).transpose(0, 1)

            def right_inverse(self, A):
                return A.triu()

        class Scale(T.nn.Module):
            def forward(self, X):
                return X * 2

            def right_inverse(self, X):
                return X / 2

        T.manual_seed(0)
        m = T.nn.Linear(3, 3)
        with T.no_grad():
            m.weight.copy_(T.tensor(np.arange(9, dtype=np.float32).reshape(3, 3)))
        P.register_parametrization(m, "weight", Symmetric())
        P.register_parametrization(m, "weight", Scale())
        names = [n for n, _ in m.named_parameters()]
        w = m.weight.detach().numpy().copy()
        m(T.ones(2, 3)).sum().backward()
        g = m.parametrizations.weight.original.grad
        g = np.asarray(g.numpy() if hasattr(g, "numpy") else g).copy()
        with P.cached():
            same = m.weight is m.weight
        m.weight = T.tensor(np.eye(3, dtype=np.float32) * 4)  # through Scale.right_inverse
        orig = m.parametrizations.weight.original.detach().numpy().copy()
        flags = (P.is_parametrized(m), P.is_parametrized(m, "bias"), P.type_before_parametrizations(m).__name__)
        P.remove_parametrizations(m, "weight")
        return names, w, g, same, orig, flags, type(m).__name__, sorted(m.state_dict())

    ours, ref = prog(ne), prog(torch)
    assert ours[0] == ref[0] == ["bias", "parametrizations.weight.original"]
    for a, b in zip(ours[1:3], ref[1:3]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert ours[3] is True and ref[3] is True
    np.testing.assert_allclose(ours[4], ref[4])
    assert ours[5] == ref[5] == (True, False, "Linear")
    assert ours[6:] == ref[6:] == ("Linear", ["bias", "weight"])


def test_parametrize_errors():
    P = nn.utils.parametrize
    with pytest.raises(ValueError, match="does not have a parameter"):
        P.register_parametrization(nn.Linear(2, 2), "kernel", nn.Identity())
    with pytest.raises(TypeError, match="parametrization: expected a Module"):
        P.register_parametrization(nn.Linear(2, 2), "weight", lambda w: w)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        P.remove_parametrizations(nn.Linear(2, 2), "weight")

    class Shrink(nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="keep the shape"):
        P.register_parametrization(nn.Linear(2, 2), "weight", Shrink())
    m = P.register_parametrization(nn.Linear(2, 2), "weight", nn.Tanh())
    with pytest.raises(RuntimeError, match="Tanh does not implement right_inverse"):
        m.weight = ne.zeros(2, 2)
