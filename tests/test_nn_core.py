"""Module machinery, Linear, init and the MLP/LogisticRegression models."""

import math

import numpy as np
import pytest

import nnengine as ne
import nnengine.functional as F
from nnengine import nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.act = nn.ReLU()
        self.head = nn.Sequential(nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))

    def forward(self, x):
        return self.head(self.act(self.fc1(x)))


def test_names_follow_attribute_paths():
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["fc1.weight", "fc1.bias", "head.0.weight", "head.0.bias", "head.2.weight", "head.2.bias"]
    assert list(net.state_dict()) == names
    assert len(list(net.children())) == 3 and len(list(net.modules())) == 7
    assert net.fc1.weight.shape == (8, 4)


def test_linear_matches_torch_with_its_weights(torch, rng):
    tl = torch.nn.Linear(13, 7)
    ours = nn.Linear(13, 7)
    ours.load_state_dict(tl.state_dict())
    x = rng.standard_normal((5, 13)).astype(np.float32)
    a = ne.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya, yb = ours(a), tl(b)
    np.testing.assert_allclose(ya.data, yb.detach().numpy(), rtol=1e-5, atol=1e-6)
    (ya * ya).sum().backward()
    (yb * yb).sum().backward()
    np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad, tl.weight.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.bias.grad, tl.bias.grad.numpy(), rtol=1e-4, atol=1e-5)
    # and back: torch loads ours
    tl2 = torch.nn.Linear(13, 7)
    tl2.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})


def test_linear_fd_and_higher_rank_input(rng):
    from conftest import numeric_grad

    lin = nn.Linear(3, 2)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32).astype(np.float64)  # what the engine sees
    w = lin.weight.data.astype(np.float64)
    b = lin.bias.data.astype(np.float64)
    a = ne.tensor(x.astype(np.float32), requires_grad=True)
    y = lin(a)
    assert y.shape == (2, 4, 2)
    (y * y).sum().backward()
    num = numeric_grad(lambda v: float(((v @ w.T + b) ** 2).sum()), x)
    np.testing.assert_allclose(a.grad, num, rtol=1e-5, atol=1e-6)  # float32 GEMMs of 3 terms
    numw = numeric_grad(lambda v: float(((x @ v.T + b) ** 2).sum()), w)
    np.testing.assert_allclose(lin.weight.grad, numw, rtol=1e-5, atol=1e-6)


def test_linear_default_init_bounds():
    ne.manual_seed(0)
    lin = nn.Linear(100, 50)
    bound = 1 / math.sqrt(100)
    assert np.abs(lin.weight.data).max() <= bound + 1e-6
    assert np.abs(lin.bias.data).max() <= bound + 1e-6
    assert lin.weight.data.std() > 0.5 * bound / math.sqrt(3)
    assert nn.Linear(3, 2, bias=False).bias is None


@pytest.mark.parametrize("fn,expect_std", [
    (lambda w: nn.init.xavier_normal_(w), math.sqrt(2 / (400 + 300))),
    (lambda w: nn.init.xavier_uniform_(w), math.sqrt(2 / (400 + 300))),
    (lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"), math.sqrt(2 / 400)),
    (lambda w: nn.init.kaiming_uniform_(w, nonlinearity="relu"), math.sqrt(2 / 400)),
    (lambda w: nn.init.normal_(w, 0.0, 0.02), 0.02),
])
def test_init_statistics(fn, expect_std):
    ne.manual_seed(1)
    w = nn.Parameter(np.zeros((300, 400), np.float32))
    fn(w)
    assert abs(w.data.std() / expect_std - 1) < 0.03
    assert abs(w.data.mean()) < 0.01 * expect_std * 10


def test_init_constant_and_errors():
    w = nn.Parameter(np.zeros((2, 3), np.float32))
    nn.init.ones_(w)
    assert (w.data == 1).all()
    nn.init.constant_(w, 0.5)
    assert (w.data == 0.5).all()
    nn.init.zeros_(w)
    assert (w.data == 0).all()
    with pytest.raises(ValueError, match="fan in/out"):
        nn.init.xavier_uniform_(nn.Parameter(np.zeros(3, np.float32)))
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.kaiming_normal_(w, nonlinearity="swish")
    with pytest.raises(TypeError, match="tensor"):
        nn.init.zeros_(np.zeros(3))


def test_state_dict_roundtrip_and_errors():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = ne.randn(2, 4)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    sd = a.state_dict()
    sd["fc1.weight"] = np.zeros((3, 3), np.float32)
    before = b.fc1.bias.data.copy()
    with pytest.raises(ValueError, match="fc1.weight"):
        b.load_state_dict(sd)
    np.testing.assert_array_equal(b.fc1.bias.data, before)  # all or nothing
    with pytest.raises(KeyError, match="Missing key"):
        b.load_state_dict({"fc1.weight": np.zeros((8, 4))})
    missing, unexpected = b.load_state_dict({"fc1.weight": np.zeros((8, 4)), "zzz": np.zeros(1)}, strict=False)
    assert "fc1.bias" in missing and unexpected == ["zzz"]
    with pytest.raises(TypeError):
        b.load_state_dict([1, 2])


def test_train_eval_zero_grad_requires_grad():
    net = Net()
    net.eval()
    assert not net.training and not net.head.training
    net.train()
    assert net.head[1].training
    F.cross_entropy(net(ne.randn(3, 4)), np.array([0, 1, 2])).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.fc1.requires_grad_(False)
    F.cross_entropy(net(ne.randn(3, 4)), np.array([0, 1, 2])).backward()
    assert net.fc1.weight.grad is None and net.head[0].weight.grad is not None


def test_sequential_indexing_and_repr():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[0], nn.Linear) and len(s[1:]) == 2
    assert "Linear(in_features=2" in repr(s)
    with pytest.raises(TypeError, match="Sequential"):
        nn.Sequential(nn.ReLU(), 3)


def test_module_reprs_follow_torchs_layout(torch):
    """torch's Module.__repr__: a one-line extra_repr alone inline, extra lines and children one per indented line;
    Upsample's scale factors as floats; ParameterList / ParameterDict lines; MultiheadAttention only its child.
    (Parameter dtypes print as nnengine's names, ``float32`` for ``torch.float32``.)"""

    def both(lib):  # an extra_repr of two lines and a child
        class Both(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(2, 2)

            def extra_repr(self):
                return "a=1\nb=2"

        return Both()

    for build in (lambda lib: lib.nn.Upsample(scale_factor=2), lambda lib: lib.nn.Upsample(scale_factor=(2, 3)),
                  lambda lib: lib.nn.Upsample(size=(4, 5), mode="bilinear"), lambda lib: lib.nn.MultiheadAttention(8, 2),
                  lambda lib: lib.nn.ParameterList([lib.nn.Parameter(lib.zeros(2, 3)), lib.nn.Parameter(lib.zeros(4))]),
                  lambda lib: lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.zeros(2))}),
                  lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16)):
        want = repr(build(torch)).replace("torch.float32", "float32").replace("torch.FloatTensor", "float32")
        assert repr(build(ne)) == want
    assert repr(both(ne)) == repr(both(torch))
    assert nn.Upsample(scale_factor=2).scale_factor == 2.0 and isinstance(nn.Upsample(scale_factor=2).scale_factor,
                                                                          float)


def test_flatten_and_activation_modules(torch, rng):
    x = rng.standard_normal((2, 3, 4)).astype(np.float32)
    assert nn.Flatten()(ne.tensor(x)).shape == (2, 12)
    assert nn.Flatten(0)(ne.tensor(x)).shape == (24,)
    for ours, theirs in [(nn.ReLU(), torch.nn.ReLU()), (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)),
                         (nn.ELU(0.7), torch.nn.ELU(0.7)), (nn.Sigmoid(), torch.nn.Sigmoid()),
                         (nn.Tanh(), torch.nn.Tanh()), (nn.Softmax(1), torch.nn.Softmax(1)),
                         (nn.LogSoftmax(-1), torch.nn.LogSoftmax(-1))]:
        np.testing.assert_allclose(ours(ne.tensor(x)).data, theirs(torch.tensor(x)).numpy(), rtol=1e-5, atol=1e-6)


def test_layer_bad_arguments():
    with pytest.raises(TypeError, match="in_features"):
        nn.Linear(2.5, 3)
    with pytest.raises(ValueError, match="out_features"):
        nn.Linear(2, -1)
    with pytest.raises(ValueError, match="input: expected last dimension 2"):
        nn.Linear(2, 3)(ne.zeros(4, 5))
    with pytest.raises(TypeError, match="regularizer"):
        nn.Linear(2, 3, weight_regularizer=5)


def test_models_mlp_and_logreg():
    m = ne.models.MLP([8, 16, 4], activation="tanh", dropout=0.0)
    assert m(ne.randn(5, 8)).shape == (5, 4)
    assert m(ne.randn(5, 2, 4)).shape == (5, 4)
    lr = ne.models.LogisticRegression(8, 3)
    p = lr.predict_proba(ne.randn(5, 8))
    np.testing.assert_allclose(p.data.sum(1), 1, rtol=1e-5)
    with pytest.raises(ValueError, match="activation"):
        ne.models.MLP([2, 3], activation="swish")
    with pytest.raises(ValueError, match="sizes"):
        ne.models.MLP([2])


def test_regularization_loss_collects_attached_regularizers():
    lin = nn.Linear(3, 2, weight_regularizer=lambda w: (w * w).sum() * 0.5)
    r = lin.regularization_loss()
    np.testing.assert_allclose(r.item(), 0.5 * (lin.weight.data ** 2).sum(), rtol=1e-6)
    assert nn.Linear(2, 2).regularization_loss().item() == 0.0


def test_load_state_dict_reports_like_torch(torch):
    """The saving-and-loading tutorial's warm start: ``strict=False`` returns torch's named tuple, a size mismatch
    is torch's RuntimeError (also ValueError) even then, missing keys with strict are a RuntimeError (also
    KeyError); all listed in one message, torch's wording."""
    a = Net()
    sd = a.state_dict()
    res = Net().load_state_dict(sd)
    assert repr(res) == repr(torch.nn.Linear(1, 1).load_state_dict(torch.nn.Linear(1, 1).state_dict()))
    res = Net().load_state_dict({"fc1.weight": sd["fc1.weight"], "zzz": np.zeros(1)}, strict=False)
    assert "fc1.bias" in res.missing_keys and res.unexpected_keys == ["zzz"] and res == (res[0], ["zzz"])
    bad = dict(sd, **{"fc1.weight": np.zeros((3, 3), np.float32), "zzz": np.zeros(1)})
    del bad["fc1.bias"]
    with pytest.raises(RuntimeError) as ei:
        Net().load_state_dict(bad)
    msg = str(ei.value)
    assert isinstance(ei.value, ValueError) and msg.startswith("Error(s) in loading state_dict for Net:")
    assert 'Missing key(s) in state_dict: "fc1.bias"' in msg and 'Unexpected key(s) in state_dict: "zzz"' in msg
    assert "size mismatch for fc1.weight: copying a param with shape (3, 3) from checkpoint" in msg
    with pytest.raises(RuntimeError, match="size mismatch"):
        Net().load_state_dict(bad, strict=False)
    with pytest.raises(KeyError, match="Missing key"):
        Net().load_state_dict({})


def test_skip_init_and_to_empty_as_torch():
    m = nn.utils.skip_init(nn.Linear, 4, 2, device="cpu")
    assert type(m) is nn.Linear and m.weight.shape == (2, 4)
    assert m.to_empty(device="cpu") is m
    with pytest.raises(ne.DeviceError, match="CPU only"):
        m.to_empty(device="cuda")
    with pytest.raises(TypeError, match="module_cls"):
        nn.utils.skip_init(int, 4)
