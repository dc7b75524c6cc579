"""torch.nn parity, the Module/utils side: gradient clipping, parameters<->vector, forward/backward hooks,
get_submodule / named_buffers / apply, Module.to / double / cuda, constructor device=/dtype=, re-assigned
children keeping their place."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import nnengine as ne
from nnengine import nn


def _pair(torch, seed=0):
    """The same small MLP in both engines, with gradients from one backward pass."""
    ne.manual_seed(seed)
    m = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 3))
    t = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3))
    t.load_state_dict({k: torch.tensor(v) for k, v in m.state_dict().items()})
    x = np.random.default_rng(seed).standard_normal((4, 5)).astype(np.float32) * 3
    (m(ne.tensor(x)) ** 2).sum().backward()
    (t(torch.tensor(x)) ** 2).sum().backward()
    return m, t


@pytest.mark.parametrize("max_norm,norm_type", [(1.0, 2.0), (0.5, 1.0), (0.1, float("inf")), (1e6, 2.0),
                                                (2.0, 3.0), (0.3, "inf")])
def test_clip_grad_norm_matches_torch(torch, max_norm, norm_type):
    m, t = _pair(torch)
    nt = float(norm_type)
    total = nn.utils.clip_grad_norm_(m.parameters(), max_norm, norm_type=nt)
    ref = torch.nn.utils.clip_grad_norm_(t.parameters(), max_norm, norm_type=nt)
    assert isinstance(total, ne.Tensor) and total.shape == ()
    np.testing.assert_allclose(total.item(), ref.item(), rtol=1e-5)
    for p, q in zip(m.parameters(), t.parameters()):  # the engines' own gradients differ by GEMM rounding
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_clip_grad_norm_edge_cases(torch):
    p = nn.Parameter(np.ones(3, np.float32))
    assert nn.utils.clip_grad_norm_([p], 1.0).item() == 0.0  # no gradients: a zero norm
    p.grad = np.array([3.0, 4.0, 0.0], np.float32)
    np.testing.assert_allclose(nn.utils.clip_grad_norm_(p, 1.0, foreach=True).item(), 5.0)  # a single tensor
    np.testing.assert_allclose(np.linalg.norm(p.grad), 1.0, rtol=1e-5)
    p.grad = np.array([np.nan, 1.0, 0.0], np.float32)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    assert np.isnan(nn.utils.clip_grad_norm_([p], 1.0).item())


def test_clip_grad_value_matches_torch(torch):
    m, t = _pair(torch)
    assert nn.utils.clip_grad_value_(m.parameters(), 0.2) is None
    torch.nn.utils.clip_grad_value_(t.parameters(), 0.2)
    for p, q in zip(m.parameters(), t.parameters()):
        assert np.abs(p.grad).max() <= np.float32(0.2)
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_parameters_to_vector_round_trip(torch):
    m, t = _pair(torch)
    v = nn.utils.parameters_to_vector(m.parameters())
    np.testing.assert_array_equal(v.numpy(), torch.nn.utils.parameters_to_vector(t.parameters()).detach().numpy())
    nn.utils.vector_to_parameters(v * 2, m.parameters())
    np.testing.assert_array_equal(m[0].weight.data, 2 * t[0].weight.detach().numpy())
    with pytest.raises(TypeError, match="expected torch.Tensor"):
        nn.utils.vector_to_parameters(np.zeros(3), m.parameters())


def test_forward_hooks_match_torch(torch):
    m, t = _pair(torch)
    seen = {}
    for lib, model in (("ne", m), ("torch", t)):
        calls = []
        h1 = model[0].register_forward_pre_hook(lambda mod, args: (args[0] * 2,))
        h2 = model[2].register_forward_hook(lambda mod, args, out: out + 1)
        h3 = model[2].register_forward_hook(lambda mod, args, out, c=calls: c.append(tuple(out.shape)), prepend=True)
        x = np.ones((2, 5), np.float32)
        y = model(ne.tensor(x) if lib == "ne" else torch.tensor(x))
        seen[lib] = (y.detach().numpy(), calls)
        for h in (h1, h2, h3):
            h.remove()
        y2 = model(ne.tensor(x) if lib == "ne" else torch.tensor(x))
        assert not np.allclose(y2.detach().numpy(), seen[lib][0])
    np.testing.assert_allclose(seen["ne"][0], seen["torch"][0], rtol=1e-5, atol=1e-6)
    assert seen["ne"][1] == seen["torch"][1] == [(2, 3)]


def test_full_backward_hook_matches_torch(torch):
    m, t = _pair(torch)
    got = {}
    x = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    for lib, model in (("ne", m), ("torch", t)):
        rec = []

        def hook(mod, gin, gout, rec=rec):
            rec.append(([None if g is None else g.detach().numpy().copy() for g in gin],
                        [g.detach().numpy().copy() for g in gout]))
            return (gin[0] * 0.5,) if gin[0] is not None else None
        handles = [model[2].register_full_backward_hook(hook), model[0].register_full_backward_hook(hook)]
        model.zero_grad()
        xin = ne.tensor(x) if lib == "ne" else torch.tensor(x)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch: "firing when ... no inputs require gradients", as intended
            (model(xin) ** 2).sum().backward()
        got[lib] = (rec, model[0].weight.grad if lib == "ne" else model[0].weight.grad.numpy())
        for h in handles:
            h.remove()
    (mine, gw), (ref, tgw) = got["ne"], got["torch"]
    assert len(mine) == len(ref) == 2
    for (mi, mo), (ri, ro) in zip(mine, ref):
        assert len(mi) == len(ri) and len(mo) == len(ro)
        for a, b in zip(mi + mo, ri + ro):
            assert (a is None) == (b is None)
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(gw, tgw, rtol=1e-4, atol=1e-5)  # the halved grad_input reached layer 0


def test_submodules_buffers_apply(torch):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
            self.fc = nn.Linear(2, 2)

    n = Net()
    assert n.get_submodule("features.1") is n.features[1] and n.get_submodule("") is n
    with pytest.raises(AttributeError, match="has no attribute `nope`"):
        n.get_submodule("features.nope")
    with pytest.raises(AttributeError, match="is not an nn.Module"):
        n.get_submodule("fc.weight")
    assert n.get_parameter("fc.bias") is n.fc.bias
    assert [k for k, _ in n.named_buffers()] == ["features.1.running_mean", "features.1.running_var",
                                                  "features.1.num_batches_tracked"]
    assert list(n.named_buffers(recurse=False)) == [] and len(list(n.buffers())) == 3
    names = []
    assert n.apply(lambda mod: names.append(type(mod).__name__)) is n
    assert names == ["Conv2d", "BatchNorm2d", "Sequential", "Linear", "Net"]  # torch's order: children first
    n.requires_grad_(False)
    assert not any(p.requires_grad for p in n.parameters())


def test_reassigned_child_keeps_its_position(torch):
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 3)
            self.conv2 = nn.Conv2d(4, 4, 3)
            self.fc = nn.Linear(4, 2)

    n = Net()
    n.conv1 = nn.Conv2d(3, 4, 3)
    n.fc.weight = nn.Parameter(np.zeros((2, 4), np.float32))
    assert [k for k, _ in n.named_children()] == ["conv1", "conv2", "fc"]
    assert list(n.state_dict()) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc.weight",
                                    "fc.bias"]
    assert n.conv1.in_channels == 3


def test_to_device_and_dtype():
    from nnengine._device import DeviceError

    m = nn.Linear(3, 2)
    for args in [("cpu",), (), ("cpu", np.float32), (np.float32,)]:
        assert m.to(*args) is m
    assert m.to(device="cpu", dtype=np.float32, non_blocking=True) is m
    assert m.cpu() is m and m.float() is m
    with pytest.raises(DeviceError, match="CPU only"):
        m.to("cuda")
    with pytest.raises(DeviceError, match="CPU only"):
        m.cuda()
    with pytest.raises(DeviceError, match="CPU only"):
        nn.Linear(2, 2, device="cuda:0")
    with pytest.raises(TypeError, match="floating point"):
        nn.Linear(2, 2, dtype=np.int64)
    m.double()
    assert m.weight.data.dtype == np.float64  # real float64 parameters, as in torch


@pytest.mark.parametrize("make", [
    lambda **kw: nn.Linear(3, 2, **kw), lambda **kw: nn.Conv2d(1, 2, 3, **kw), lambda **kw: nn.BatchNorm1d(3, **kw),
    lambda **kw: nn.BatchNorm2d(3, **kw), lambda **kw: nn.RNN(3, 4, **kw), lambda **kw: nn.LSTM(3, 4, **kw),
    lambda **kw: nn.RNNCell(3, 4, **kw), lambda **kw: nn.LSTMCell(3, 4, **kw)])
def test_constructors_take_device_and_dtype(make):
    m = make(device="cpu", dtype=np.float32)
    assert all(p.data.dtype == np.float32 for p in m.parameters())
    from nnengine.nn import module as M

    m = make(dtype=np.float64)  # float64 parameters, as in torch
    assert all(p.data.dtype == np.float64 for p in m.parameters())
    M._warned_dtypes.discard(np.dtype(np.float16))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        m = make(dtype=np.float16)  # half precision is computed in float32, with a warning
    assert any("computes half precision in float32" in str(x.message) for x in w)
    assert all(p.data.dtype == np.float32 for p in m.parameters())


def test_constructor_signatures_match_torch(torch):
    import inspect

    for name in ["Linear", "Conv2d", "BatchNorm1d", "RNNCell", "LSTMCell"]:
        ours = inspect.signature(getattr(nn, name)).parameters
        ref = inspect.signature(getattr(torch.nn, name)).parameters
        for arg in ("device", "dtype"):
            assert arg in ours and ours[arg].default is None, (name, arg)
        common = [a for a in ref if a in ours]
        assert common == [a for a in ours if a in ref], name  # same relative order


def test_rnn_flatten_parameters_is_a_no_op():
    lstm = nn.LSTM(3, 4)
    before = {k: v.copy() for k, v in lstm.state_dict().items()}
    assert lstm.flatten_parameters() is None
    assert all(np.array_equal(before[k], v) for k, v in lstm.state_dict().items())


def test_module_zero_grad_sets_to_none():
    m = nn.Linear(2, 2)
    m(ne.randn(3, 2)).sum().backward()
    m.zero_grad(set_to_none=False)
    assert np.all(m.weight.grad == 0)
    m.zero_grad()
    assert m.weight.grad is None


# ------------------------------------------------------------------ Keras-side conveniences (nnengine.train)
def test_summary_table_and_data(capsys):
    m = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 24 * 24, 10))
    m.train()
    info = ne.summary(m, (1, 28, 28))
    out = capsys.readouterr().out
    assert "Conv2d" in out and "(1, 6, 24, 24)" in out and "Total params: 34,726" in out
    assert [r["output_shape"] for r in info.layers] == [(1, 6, 24, 24), (1, 6, 24, 24), (1, 3456), (1, 10)]
    assert [r["params"] for r in info.layers] == [156, 0, 0, 34570]
    assert info.total_params == sum(p.data.size for p in m.parameters()) == info.trainable_params
    assert m.training and not m[0]._forward_hooks  # mode restored, hooks removed
    m[0].requires_grad_(False)
    info = ne.summary(m, print_fn=None)
    assert info.non_trainable_params == 156 and info.layers[0]["output_shape"] is None


def test_fit_validation_split_csv_logger_and_verbose(tmp_path, capsys):
    from nnengine.train import CSVLogger, fit

    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    ne.manual_seed(0)
    model = nn.Linear(4, 2)
    opt = ne.optim.SGD(model.parameters(), lr=0.1)
    csv = tmp_path / "log.csv"
    hist = fit(model, "cross_entropy", opt, (x, y), epochs=3, validation_split=0.2, verbose=1,
               callbacks=[CSVLogger(str(csv))])
    out = capsys.readouterr().out
    assert out.count("epoch ") == 3 and "val_loss" in out  # no terminal: one line per epoch
    assert "val_loss" in hist.history and hist.params["steps"] == 3  # 80 training samples, batches of 32
    lines = csv.read_text().splitlines()
    assert lines[0].split(",")[:3] == ["epoch", "loss", "accuracy"] and len(lines) == 4
    # Keras semantics: the last 20% are the validation set
    from nnengine.train import evaluate

    ev = evaluate(model, "cross_entropy", (x[80:], y[80:]))
    np.testing.assert_allclose(hist.history["val_loss"][-1], ev["loss"], rtol=1e-5)
    fit(model, "cross_entropy", opt, (x, y), epochs=1, verbose=0, callbacks=[CSVLogger(str(csv), append=True)])
    assert len(csv.read_text().splitlines()) == 5
    with pytest.raises(ValueError, match="validation_split"):
        fit(model, "cross_entropy", opt, (x, y), epochs=1, validation_split=1.5, verbose=0)


@pytest.mark.parametrize("name", ["ReLU", "LeakyReLU", "ELU", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
                                  "AlphaDropout"])
@pytest.mark.parametrize("inplace", [False, True])
def test_inplace_layers_print_like_torch(torch, name, inplace):
    """print(model) of a program shows the same layer lines as under torch (inplace included)."""
    assert repr(getattr(nn, name)(inplace=inplace)) == repr(getattr(torch.nn, name)(inplace=inplace))


def test_module_held_twice_and_container_methods_match_torch(torch):
    """A module registered under two names (``self.tied = self.fc``) appears under both in state_dict() and
    load_state_dict() as in torch (nnengine listed it once, so a torch checkpoint of such a model failed to load
    strictly), but once in named_children(); ModuleList's insert / pop / del / += / + and ModuleDict's update /
    pop / clear / del / iteration behave as torch's."""
    def build(L):
        class Net(L.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = L.nn.Linear(3, 4)
                self.tied = self.fc
                self.head = L.nn.Linear(4, 2)

        return Net()

    t, m = build(torch), build(ne)
    assert list(m.state_dict()) == list(t.state_dict()) == ["fc.weight", "fc.bias", "tied.weight", "tied.bias",
                                                            "head.weight", "head.bias"]
    assert [n for n, _ in m.named_children()] == [n for n, _ in t.named_children()] == ["fc", "head"]
    m.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})  # strict: every key matched
    np.testing.assert_array_equal(m.fc.weight.numpy(), t.fc.weight.detach().numpy())
    t.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in m.state_dict().items()})
    missing = m.load_state_dict({"fc.weight": np.zeros((4, 3), np.float32)}, strict=False).missing_keys
    assert sorted(missing) == sorted(t.load_state_dict({"fc.weight": torch.zeros(4, 3)}, strict=False).missing_keys)

    def lists(L):
        ml = L.nn.ModuleList([L.nn.ReLU(), L.nn.Tanh()])
        ml.insert(1, L.nn.Identity())
        ml += [L.nn.Sigmoid()]
        popped = type(ml.pop(0)).__name__
        del ml[-1]
        both = ml + L.nn.ModuleList([L.nn.ELU()])
        md = L.nn.ModuleDict({"b": L.nn.ReLU(), "a": L.nn.Tanh()})
        md.update([("c", L.nn.Identity()), ("b", L.nn.ELU())])
        md.update({"d": L.nn.Sigmoid()})
        gone = type(md.pop("a")).__name__
        del md["d"]
        keys = list(md)
        names = [n for n, _ in ml.named_children()]
        md.clear()
        return ([type(x).__name__ for x in ml], names, popped, [type(x).__name__ for x in both],
                [n for n, _ in both.named_children()], keys, gone, len(md))

    assert lists(ne) == lists(torch)


def test_module_attribute_rules_match_torch(torch):
    """Assigning a plain tensor where a parameter is registered raises TypeError as in torch (nnengine silently
    dropped the parameter from parameters(), so the optimizer stopped training it); None keeps the name registered
    as None; add_module / register_module check the name like torch; Sequential * n repeats its modules."""
    for L in (torch, ne):
        m = L.nn.Linear(2, 2)
        with pytest.raises(TypeError, match="cannot assign .* as parameter 'weight'"):
            m.weight = L.ones(2, 2)
        m.bias = None
        assert [n for n, _ in m.named_parameters()] == ["weight"] and m.bias is None and "bias" in m._parameters
        m.bias = L.nn.Parameter(L.zeros(2))
        assert [n for n, _ in m.named_parameters()] == ["weight", "bias"]
        with pytest.raises(KeyError, match="module name can"):
            L.nn.Module().add_module("a.b", L.nn.ReLU())
        with pytest.raises(TypeError):
            L.nn.Module().add_module("a", 3)
        c = L.nn.Module()
        c.register_module("fc", L.nn.ReLU())
        assert [n for n, _ in c.named_children()] == ["fc"]
        s = L.nn.Sequential(L.nn.ReLU(), L.nn.Tanh())
        t = s * 2
        assert [type(x).__name__ for x in t] == ["ReLU", "Tanh", "ReLU", "Tanh"] and t[0] is t[2] and len(2 * s) == 4
        s *= 3
        assert len(s) == 6
        with pytest.raises(ValueError):
            s * 0
