"""nnengine.distributions vs torch.distributions 2.13 (float64): log_prob, entropy, probs/logits, kl_divergence,
cdf and their gradients; sampling frequencies, shapes, reproducibility under ne.manual_seed without numpy's
global RNG; rsample's reparameterized gradient; errors; and a REINFORCE loop run with only the imports swapped."""

from __future__ import annotations

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne
from nnengine.distributions import Bernoulli, Categorical, Normal, kl_divergence


def _close(a, b, tol=1e-12):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64), rtol=tol, atol=tol)


def _pair(torch, arr):
    return ne.tensor(arr, dtype=ne.float64, requires_grad=True), torch.tensor(arr, requires_grad=True)


@pytest.mark.parametrize("mode", ["probs", "logits"])
def test_categorical_vs_torch(torch, mode):
    rng = np.random.default_rng(0)
    p = rng.random((3, 4))
    p[1, 2] = 0.0  # a zero probability: clamped logits, inf KL, as torch
    x, xt = _pair(torch, p)
    d, dt = Categorical(**{mode: x}), torch.distributions.Categorical(**{mode: xt})
    assert d.batch_shape == tuple(dt.batch_shape) and d.event_shape == () and d.param_shape == (3, 4)
    v = np.array([0, 2, 3])
    lp, lpt = d.log_prob(ne.tensor(v)), dt.log_prob(torch.tensor(v))
    out = lp.sum() + d.entropy().sum() + d.log_prob(ne.tensor([[1], [2]])).sum()
    ref = lpt.sum() + dt.entropy().sum() + dt.log_prob(torch.tensor([[1], [2]])).sum()
    out.backward()
    ref.backward()
    _close(out.item(), ref.item())
    _close(x.grad, xt.grad.numpy())
    _close(d.probs.numpy(), dt.probs.detach().numpy())
    _close(d.logits.numpy(), dt.logits.detach().numpy())
    q = rng.random((3, 4))
    qd, qt = Categorical(probs=ne.tensor(q, dtype=ne.float64)), torch.distributions.Categorical(probs=torch.tensor(q))
    _close(kl_divergence(d, qd).numpy(), torch.distributions.kl_divergence(dt, qt).detach().numpy())
    _close(kl_divergence(qd, d).numpy(), torch.distributions.kl_divergence(qt, dt).detach().numpy())
    assert d.enumerate_support().shape == tuple(dt.enumerate_support().shape)


def test_normal_vs_torch(torch):
    rng = np.random.default_rng(1)
    (loc, loct), (scale, scalet) = _pair(torch, rng.standard_normal((2, 3))), _pair(torch, rng.random((2, 3)) + 0.5)
    d, dt = Normal(loc, scale), torch.distributions.Normal(loct, scalet)
    val = rng.standard_normal((5, 2, 3))
    v, vt = ne.tensor(val, dtype=ne.float64), torch.tensor(val)
    out = (d.log_prob(v).sum() + d.entropy().sum() + d.cdf(v).sum()
           + kl_divergence(d, Normal(0.5, 2.0)).sum() + kl_divergence(Normal(0.5, 2.0), d).sum())
    ref = (dt.log_prob(vt).sum() + dt.entropy().sum() + dt.cdf(vt).sum()
           + torch.distributions.kl_divergence(dt, torch.distributions.Normal(0.5, 2.0)).sum()
           + torch.distributions.kl_divergence(torch.distributions.Normal(0.5, 2.0), dt).sum())
    out.backward()
    ref.backward()
    _close(out.item(), ref.item(), 1e-11)
    _close(loc.grad, loct.grad.numpy(), 1e-11)
    _close(scale.grad, scalet.grad.numpy(), 1e-11)
    for name in ("mean", "stddev", "variance"):
        _close(getattr(d, name).numpy(), getattr(dt, name).detach().numpy())


@pytest.mark.parametrize("mode", ["probs", "logits"])
def test_bernoulli_vs_torch(torch, mode):
    rng = np.random.default_rng(2)
    p = rng.random((2, 3)) if mode == "probs" else rng.standard_normal((2, 3))
    p[0, 0] = 0.5 if mode == "probs" else 0.0
    x, xt = _pair(torch, p)
    d, dt = Bernoulli(**{mode: x}), torch.distributions.Bernoulli(**{mode: xt})
    v = (rng.random((4, 2, 3)) < 0.5).astype(np.float64)
    out = d.log_prob(ne.tensor(v, dtype=ne.float64)).sum() + d.entropy().sum() + d.variance.sum()
    ref = dt.log_prob(torch.tensor(v)).sum() + dt.entropy().sum() + dt.variance.sum()
    out.backward()
    ref.backward()
    _close(out.item(), ref.item())
    _close(x.grad, xt.grad.numpy())
    _close(d.logits.numpy(), dt.logits.detach().numpy())


def test_sampling_frequencies_shapes_and_seed():
    state = np.random.get_state()[1].copy()
    ne.manual_seed(3)
    c = Categorical(probs=ne.tensor([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]]))
    s = c.sample((20000,))
    assert s.shape == (20000, 2) and s.dtype == np.int64
    np.testing.assert_allclose(np.bincount(s.numpy()[:, 0], minlength=3) / 20000, [0.1, 0.2, 0.7], atol=0.015)
    assert not np.any(s.numpy()[:, 1] == 1)  # a zero-probability category is never drawn
    b = Bernoulli(probs=ne.tensor([0.25, 1.0])).sample((20000,))
    assert abs(b.numpy()[:, 0].mean() - 0.25) < 0.015 and np.all(b.numpy()[:, 1] == 1)
    n = Normal(ne.tensor([1.0, -2.0]), ne.tensor([0.5, 3.0])).sample((20000,))
    np.testing.assert_allclose(n.numpy().mean(0), [1.0, -2.0], atol=0.1)
    np.testing.assert_allclose(n.numpy().std(0), [0.5, 3.0], rtol=0.05)
    assert Normal(0.0, 1.0).sample().shape == () and Categorical(logits=ne.zeros(4)).sample(5).shape == (5,)
    ne.manual_seed(3)
    again = Categorical(probs=ne.tensor([[0.1, 0.2, 0.7], [0.5, 0.0, 0.5]])).sample((20000,))
    assert np.array_equal(again.numpy(), s.numpy())
    assert np.array_equal(np.random.get_state()[1], state)  # numpy's global RNG untouched


def test_rsample_is_reparameterized():
    loc, scale = ne.tensor([1.0, 2.0], requires_grad=True), ne.tensor([0.5, 2.0], requires_grad=True)
    ne.manual_seed(4)
    x = Normal(loc, scale).rsample((3,))
    x.sum().backward()
    ne.manual_seed(4)
    eps = (Normal(loc, scale).sample((3,)).numpy() - loc.numpy()) / scale.numpy()
    _close(loc.grad, [3.0, 3.0])
    np.testing.assert_allclose(scale.grad, eps.sum(0), rtol=1e-5)
    assert not Normal(loc, scale).sample().requires_grad
    with pytest.raises(NotImplementedError, match="Categorical has no reparameterized sampler"):
        Categorical(logits=ne.zeros(2)).rsample()


def test_errors():
    with pytest.raises(ValueError, match="exactly one of probs or logits, got both"):
        Categorical(probs=ne.ones(2), logits=ne.ones(2))
    with pytest.raises(ValueError, match="neither"):
        Bernoulli()
    with pytest.raises(ValueError, match="scale: expected every value > 0"):
        Normal(0.0, ne.tensor([1.0, 0.0]))
    with pytest.raises(ValueError, match="probs: expected non-negative"):
        Categorical(probs=ne.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match="probs: expected values in"):
        Bernoulli(probs=ne.tensor([1.5]))
    with pytest.raises(ValueError, match=r"value: expected indices in \[0, 2\]"):
        Categorical(logits=ne.zeros(3)).log_prob(ne.tensor([3]))
    with pytest.raises(TypeError, match="loc: expected a Tensor or a number, got str"):
        Normal("0", 1.0)
    with pytest.raises(ValueError, match="sample_shape"):
        Normal(0.0, 1.0).sample((-1,))
    with pytest.raises(NotImplementedError, match="no formula for p=Normal, q=Categorical"):
        kl_divergence(Normal(0.0, 1.0), Categorical(logits=ne.zeros(2)))


REINFORCE = """
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.distributions import Categorical


class Policy(nn.Module):
    def __init__(self):
        super(Policy, self).__init__()
        self.affine1 = nn.Linear(4, 64)
        self.affine2 = nn.Linear(64, 2)
        self.saved_log_probs = []
        self.rewards = []

    def forward(self, x):
        x = F.relu(self.affine1(x))
        return F.softmax(self.affine2(x), dim=1)


class Corridor:
    # a toy stand-in for CartPole: the state says which action pays off
    def __init__(self, rng):
        self.rng = rng

    def reset(self):
        self.t = 0
        self.s = self.rng.standard_normal(4).astype(np.float32)
        return self.s

    def step(self, action):
        reward = 1.0 if (self.s[0] > 0) == (action == 1) else 0.0
        self.t += 1
        self.s = self.rng.standard_normal(4).astype(np.float32)
        return self.s, reward, self.t >= 20


torch.manual_seed(543)
policy = Policy()
optimizer = optim.Adam(policy.parameters(), lr=1e-2)
eps = np.finfo(np.float32).eps.item()
env = Corridor(np.random.default_rng(0))


def select_action(state):
    state = torch.from_numpy(state).float().unsqueeze(0)
    probs = policy(state)
    m = Categorical(probs)
    action = m.sample()
    policy.saved_log_probs.append(m.log_prob(action))
    return action.item()


def finish_episode(gamma=0.99):
    R = 0
    policy_loss = []
    returns = []
    for r in policy.rewards[::-1]:
        R = r + gamma * R
        returns.insert(0, R)
    returns = torch.tensor(returns)
    returns = (returns - returns.mean()) / (returns.std() + eps)
    for log_prob, R in zip(policy.saved_log_probs, returns):
        policy_loss.append(-log_prob * R)
    optimizer.zero_grad()
    policy_loss = torch.cat(policy_loss).sum()
    policy_loss.backward()
    optimizer.step()
    del policy.rewards[:]
    del policy.saved_log_probs[:]


scores = []
for i_episode in range(200):
    state, ep_reward = env.reset(), 0
    done = False
    while not done:
        action = select_action(state)
        state, reward, done = env.step(action)
        policy.rewards.append(reward)
        ep_reward += reward
    scores.append(ep_reward)
    finish_episode(gamma=0.0)  # a contextual bandit: each reward belongs to its own action
test_states = np.random.default_rng(1).standard_normal((1000, 4)).astype(np.float32)
with torch.no_grad():
    greedy = policy(torch.from_numpy(test_states)).argmax(dim=1).numpy()
acc = float(np.mean(greedy == (test_states[:, 0] > 0)))
print(f"RESULT first={np.mean(scores[:20])} last={np.mean(scores[-20:])} acc={acc}")
"""


def test_reinforce_loop_with_swapped_imports(torch, tmp_path):
    ours = result(run(REINFORCE, "nnengine", tmp_path))
    ref = result(run(REINFORCE, "torch", tmp_path))
    for r in (ours, ref):
        assert r["acc"] > 0.93 and r["last"] > r["first"] + 3, r  # the greedy policy learned which action pays
