"""``t.data`` of any tensor (an op's output, an input, a parameter) read the torch way, side by side with torch
2.13: older PyTorch programs' evaluation lines (``output.data.max(1, keepdim=True)[1]``,
``pred.eq(target.data.view_as(pred)).long().cpu().sum()``, ``loss.data.cpu().numpy()``), the methods whose names
numpy shares (``max(1)``, ``sort(0)``, ``repeat(2, 1)``...), and numpy's own functions on the same arrays, which
must keep numpy's meaning."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import require

import nnengine as ne
from nnengine import nn

torch = require("torch")


def _model_pair(seed=0):
    ne.manual_seed(seed)
    m = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    tm = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4))
    tm.load_state_dict({k: torch.tensor(np.asarray(v)) for k, v in m.state_dict().items()})
    r = np.random.default_rng(seed)
    x = r.standard_normal((32, 6)).astype(np.float32)
    y = r.integers(0, 4, 32)
    return m, tm, x, y


def _evaluate(lib, model, x, y):
    """The test loop of pytorch/examples' mnist before 2019 (as written there, on one batch)."""
    data, target = lib.tensor(x), lib.tensor(y)
    output = model(data)
    test_loss = lib.nn.functional.cross_entropy(output, target, reduction="sum").data.cpu().numpy()
    pred = output.data.max(1, keepdim=True)[1]
    correct = pred.eq(target.data.view_as(pred)).long().cpu().sum()
    _, predicted = lib.max(output.data, 1)
    total_right = (predicted == target).sum().item()
    return float(test_loss), int(correct), total_right, output.data.numpy().copy(), output.data.size(0)


def test_old_mnist_evaluation_lines_match_torch():
    m, tm, x, y = _model_pair()
    ours, theirs = _evaluate(ne, m, x, y), _evaluate(torch, tm, x, y)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-5)
    assert ours[1:3] == theirs[1:3] and ours[4] == theirs[4] == 32
    np.testing.assert_allclose(ours[3], theirs[3], rtol=1e-5, atol=1e-6)


CALLS = [
    ("max", (1,), {}), ("max", (), {"dim": 0, "keepdim": True}), ("min", (0,), {}), ("sum", (1,), {}),
    ("sum", (), {"dim": (0, 1)}), ("mean", (0,), {"keepdim": True}), ("prod", (1,), {}), ("argmax", (1,), {}),
    ("argmax", (1,), {"keepdim": True}), ("argmin", (0,), {}), ("cumsum", (1,), {}), ("sort", (1,), {}),
    ("sort", (0,), {"descending": True}), ("transpose", (0, 1), {}), ("cumsum", (), {"dim": 0}),
    ("flatten", (0,), {}), ("std", (1,), {}), ("var", (), {}), ("view", (-1,), {}), ("topk", (2,), {}),
    ("norm", (), {}), ("clone", (), {}), ("abs", (), {}), ("size", (1,), {}), ("numel", (), {}),
]


def _plain(r):
    if isinstance(r, tuple):
        return tuple(_plain(v) for v in r)
    if isinstance(r, (ne.Tensor, torch.Tensor)):
        return r.numpy()
    return np.asarray(r)


@pytest.mark.parametrize("name,args,kwargs", CALLS, ids=[f"{n}{a}{k or ''}" for n, a, k in CALLS])
@pytest.mark.parametrize("whose", ["op output", "input", "parameter"])
def test_shared_method_names_follow_torch_when_called_the_torch_way(name, args, kwargs, whose):
    r = np.random.default_rng(1)
    a = r.standard_normal((3, 5)).astype(np.float32)
    if whose == "op output":
        t, tt = ne.tensor(a) * 1.0, torch.tensor(a) * 1.0
    elif whose == "input":
        t, tt = ne.tensor(a), torch.tensor(a)
    else:
        t, tt = nn.Parameter(ne.tensor(a)), torch.nn.Parameter(torch.tensor(a))
    if name in ("all", "any"):
        t, tt = t > 0, tt > 0
    ours, theirs = getattr(t.data, name)(*args, **kwargs), getattr(tt.data, name)(*args, **kwargs)
    if name == "sort" or name in ("max", "min", "topk") and (args or kwargs):
        assert hasattr(ours, "values") and hasattr(ours, "indices")
    o, th = _plain(ours), _plain(theirs)
    for ov, tv in zip(o, th) if isinstance(o, tuple) else [(o, th)]:
        np.testing.assert_allclose(np.asarray(ov, np.float64), np.asarray(tv, np.float64), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(t.data, a)  # nothing above wrote into the array (numpy's sort would have)


def test_all_any_with_a_dim_follow_torch():
    a = np.array([[1.0, 0.0], [2.0, 3.0]], np.float32)
    for name in ("all", "any"):
        ours = getattr((ne.tensor(a) > 0).data, name)(1)
        theirs = getattr((torch.tensor(a) > 0).data, name)(1)
        assert isinstance(ours, np.ndarray) and ours.tolist() == theirs.tolist() and ours.cpu().sum().item() == theirs.sum().item()


def test_numpy_functions_on_data_keep_numpy_meaning():
    """numpy calls these methods itself, with its keywords or without arguments: those stay numpy's (np.unique
    sorts with ``a.sort()``, which torch's semantics would turn into a no-op)."""
    a = np.array([[3.0, 1.0, 2.0], [1.0, 5.0, 3.0]], np.float32)
    for d in ((ne.tensor(a) * 1.0).data, ne.tensor(a).data, nn.Parameter(ne.tensor(a)).data):
        np.testing.assert_array_equal(np.unique(d), np.unique(a))
        np.testing.assert_array_equal(np.sort(d, axis=1), np.sort(a, axis=1))
        np.testing.assert_array_equal(np.sum(d, 1), a.sum(1))
        np.testing.assert_array_equal(np.max(d, axis=0), a.max(0))
        np.testing.assert_array_equal(np.transpose(d, (1, 0)), a.T)
        np.testing.assert_array_equal(np.repeat(d, 2), np.repeat(a, 2))
        np.testing.assert_array_equal(np.cumsum(d, 1), np.cumsum(a, 1))
        np.testing.assert_allclose(np.mean(d, axis=1), a.mean(1))
        np.testing.assert_array_equal(np.argmax(d, axis=1), a.argmax(1))
        np.testing.assert_array_equal(np.squeeze(d[None]), a)
        np.testing.assert_allclose(np.average(d, axis=0), np.average(a, axis=0))
        np.testing.assert_allclose(np.median(d), np.median(a))
        assert float(d.max()) == 5.0 and float(d.sum()) == a.sum() and d.std(ddof=0) == a.std()
        assert type(d + 1) is np.ndarray and type(np.exp(d)) is np.ndarray  # numpy math gives plain arrays
        assert d.repeat(2, axis=0).shape == (4, 3) and d.sum(axis=0).shape == (3,)
        d2 = d.copy()
        d2.sort()  # numpy's in-place sort, as written
        np.testing.assert_array_equal(d2, np.sort(a))


def test_data_is_the_same_memory_and_outside_autograd():
    x = ne.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    out = x * 2
    d = out.data
    assert isinstance(d, np.ndarray) and not d.requires_grad and d.grad is None
    d[0, 0] = 10.0  # writes through, like torch's .data
    assert out[0, 0].item() == 10.0
    out.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 2.0))
    assert np.shares_memory(out.data, out.data) and out.data is not out.data  # two views of one array
    v = ne.ones(3)
    v.data += 1  # in place through the view
    assert v.tolist() == [2.0, 2.0, 2.0]
    import copy
    import pickle

    assert type(pickle.loads(pickle.dumps(out.data))) is np.ndarray  # a file readable without nnengine
    c = copy.deepcopy(out.data)
    assert np.array_equal(c, out.data) and not np.shares_memory(c, out.data)


def test_assigning_data_replaces_the_array_like_torch():
    t, tt = ne.zeros(2, 3), torch.zeros(2, 3)
    src = np.arange(6, dtype=np.float32).reshape(3, 2)
    t.data, tt.data = ne.tensor(src), torch.tensor(src)
    assert tuple(t.shape) == tuple(tt.shape) == (3, 2)
    np.testing.assert_array_equal(t.numpy(), tt.numpy())
    u = ne.arange(6.0).reshape(3, 2) * 1.0
    t.data = u.data  # another tensor's .data: the same memory, a plain array inside
    u.data[0, 0] = -1.0
    assert t[0, 0].item() == -1.0
    assert (t * 2).data.max(0)[1].tolist() == [2, 2]
    p = nn.Parameter(ne.zeros(2))
    p.data = np.array([1.0, 2.0], np.float32)  # a parameter's .data keeps torch's in-place methods
    p.data.mul_(3.0)
    assert p.tolist() == [3.0, 6.0]
    with pytest.raises(TypeError, match="data: expected a Tensor or numpy array, got list"):
        t.data = [1.0, 2.0]


def test_parameter_data_methods_follow_torch_with_a_dim():
    m, tm, _, _ = _model_pair(2)
    for p, tp in zip(m.parameters(), tm.parameters()):
        if p.ndim == 2:
            ours, theirs = p.data.max(1), tp.data.max(1)
            np.testing.assert_allclose(ours.values.numpy(), theirs.values.numpy())
            np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        assert p.data is p.data  # a parameter's .data is its array itself
