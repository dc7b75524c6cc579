"""Higher-order gradients (``create_graph=True``, nnengine._higher_order) against torch's: gradient penalties
(WGAN-GP on MLP and conv critics, R1), a PINN's second derivatives, Hessian-vector products, a MAML inner step,
the recording sweep's rules (retain, hooks, pruning, backward(create_graph=True)) and the ops without a
differentiable backward (a clear NotImplementedError, never a gradient silently treated as constant)."""

from __future__ import annotations

import numpy as np
import pytest

import nnengine as ne
from nnengine.nn import functional as F

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(7)


def arr(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def grads_of(ts):
    return [None if t.grad is None else np.asarray(t.grad, np.float64) for t in ts]


def close(a, b, tol=2e-4):
    assert len(a) == len(b)
    for i, (p, q) in enumerate(zip(a, b)):
        if p is None or q is None:
            # torch gives zeros where the second-order path carries no dependence (piecewise-linear activations)
            other = q if p is None else p
            assert other is None or np.abs(other).max() < 1e-6, f"entry {i}: one engine has no gradient"
            continue
        q = np.asarray(q, np.float64)
        scale = max(1.0, np.abs(q).max())
        assert p.shape == q.shape, f"entry {i}: shapes {p.shape} vs {q.shape}"
        err = np.abs(p - q).max() / scale
        assert err < tol, f"entry {i}: max rel diff {err}"


def gp_mlp(lib, act, x0, params):
    x = lib.tensor(x0, requires_grad=True)
    w1, b1, w2, b2 = [lib.tensor(p, requires_grad=True) for p in params]
    h = act(lib, lib.nn.functional.linear(x, w1, b1))
    out = lib.nn.functional.linear(h, w2, b2)
    (gx,) = lib.autograd.grad(out, x, grad_outputs=lib.ones_like(out), create_graph=True)
    gp = ((gx.norm(2, dim=1) - 1) ** 2).mean()
    gp.backward()
    return [np.asarray(gp.detach().numpy(), np.float64)] + grads_of([w1, b1, w2, b2])


ACTS = {
    "tanh": lambda lib, z: lib.tanh(z),
    "sigmoid": lambda lib, z: lib.sigmoid(z),
    "relu": lambda lib, z: lib.nn.functional.relu(z),
    "leaky_relu": lambda lib, z: lib.nn.functional.leaky_relu(z, 0.2),
    "elu": lambda lib, z: lib.nn.functional.elu(z),
    "softplus": lambda lib, z: lib.nn.functional.softplus(z, beta=2.0),
    "gelu": lambda lib, z: lib.nn.functional.gelu(z),
    "gelu_tanh": lambda lib, z: lib.nn.functional.gelu(z, approximate="tanh"),
    "silu": lambda lib, z: lib.nn.functional.silu(z),
    "mish": lambda lib, z: lib.nn.functional.mish(z),
    "softsign": lambda lib, z: lib.nn.functional.softsign(z),
    "hardswish": lambda lib, z: lib.nn.functional.hardswish(z),
    "hardtanh": lambda lib, z: lib.nn.functional.hardtanh(z, -0.5, 0.5),
}


@pytest.mark.parametrize("name", sorted(ACTS))
def test_gradient_penalty_mlp_matches_torch(name):
    x0 = arr(6, 5)
    params = [arr(9, 5, scale=0.5), arr(9), arr(1, 9, scale=0.5), arr(1)]
    close(gp_mlp(ne, ACTS[name], x0, params), gp_mlp(torch, ACTS[name], x0, params))


def conv_critic(lib, x0, params, groups, stride, padding, dilation):
    F_ = lib.nn.functional
    x = lib.tensor(x0, requires_grad=True)
    w1, b1, w2, wl = [lib.tensor(p, requires_grad=True) for p in params]
    h = F_.leaky_relu(F_.conv2d(x, w1, b1, stride=stride, padding=padding, dilation=dilation), 0.2)
    h = lib.tanh(F_.conv2d(h, w2, None, stride=1, padding=1, groups=groups))
    out = F_.linear(h.reshape(h.shape[0], -1), wl)
    (gx,) = lib.autograd.grad(out.sum(), x, create_graph=True)
    gp = ((gx.reshape(gx.shape[0], -1).norm(2, dim=1) - 1) ** 2).mean()
    gp.backward()
    return [np.asarray(gp.detach().numpy(), np.float64)] + grads_of([x, w1, b1, w2, wl])


@pytest.mark.parametrize("groups,stride,padding,dilation", [(1, 2, 1, 1), (2, 1, 0, 1), (1, 2, 2, 2), (4, 3, 1, 1)])
def test_gradient_penalty_conv_critic_matches_torch(groups, stride, padding, dilation):
    x0 = arr(3, 4, 11, 10)
    w1 = arr(8, 4, 3, 3, scale=0.3)
    ne_shape = F.conv2d(ne.tensor(x0), ne.tensor(w1), stride=stride, padding=padding, dilation=dilation).shape
    params = [w1, arr(8), arr(8, 8 // groups, 3, 3, scale=0.3), arr(1, 8 * ne_shape[2] * ne_shape[3], scale=0.1)]
    args = (groups, stride, padding, dilation)
    close(conv_critic(ne, x0, params, *args), conv_critic(torch, x0, params, *args))


def test_gradient_penalty_conv1d_and_norms_match_torch():
    x0, w, lw, lb = arr(4, 3, 16), arr(5, 3, 3, scale=0.4), arr(5 * 16) + 1, arr(5 * 16)

    def run(lib):
        F_ = lib.nn.functional
        x = lib.tensor(x0, requires_grad=True)
        tw, tlw, tlb = [lib.tensor(p, requires_grad=True) for p in (w, lw, lb)]
        h = F_.conv1d(x, tw, padding=1).reshape(4, -1)
        h = F_.layer_norm(h, (80,), tlw, tlb)
        h = F_.instance_norm(h.reshape(4, 5, 16))
        h = F_.batch_norm(h, None, None, training=True)
        out = (F_.silu(h) ** 2).sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        pen = (gx ** 2).sum()
        pen.backward()
        return [np.asarray(pen.detach().numpy(), np.float64)] + grads_of([x, tw, tlw, tlb])

    close(run(ne), run(torch), tol=5e-4)


def test_pinn_second_derivatives_match_torch():
    """A physics-informed network: u(x, t) by an MLP, u_t, u_x and u_xx by autograd.grad(create_graph=True), the
    Burgers residual's loss backpropagated into the weights (third derivatives of tanh)."""
    xt0 = arr(16, 2)
    ps = [arr(12, 2, scale=0.8), arr(12), arr(12, 12, scale=0.4), arr(12), arr(1, 12, scale=0.4), arr(1)]

    def run(lib):
        xt = lib.tensor(xt0, requires_grad=True)
        w = [lib.tensor(p, requires_grad=True) for p in ps]
        h = lib.tanh(lib.nn.functional.linear(xt, w[0], w[1]))
        h = lib.tanh(lib.nn.functional.linear(h, w[2], w[3]))
        u = lib.nn.functional.linear(h, w[4], w[5])
        du = lib.autograd.grad(u, xt, grad_outputs=lib.ones_like(u), create_graph=True)[0]
        u_x, u_t = du[:, 0:1], du[:, 1:2]
        u_xx = lib.autograd.grad(u_x, xt, grad_outputs=lib.ones_like(u_x), create_graph=True)[0][:, 0:1]
        f = u_t + u * u_x - (0.01 / np.pi) * u_xx
        loss = lib.mean(f ** 2) + lib.nn.functional.mse_loss(u, lib.zeros_like(u))
        loss.backward()
        return [np.asarray(loss.detach().numpy(), np.float64)] + grads_of(w)

    close(run(ne), run(torch))


def test_hessian_vector_product_matches_torch_and_numpy():
    a0, x0, v0 = arr(5, 5), arr(5), arr(5)

    def run(lib):
        a = lib.tensor(a0)
        x = lib.tensor(x0, requires_grad=True)
        v = lib.tensor(v0)
        f = (x @ a @ x) + (x ** 4).sum() + lib.exp(x).sum() + lib.sin(x).sum()
        (g,) = lib.autograd.grad(f, x, create_graph=True)
        (hv,) = lib.autograd.grad((g * v).sum(), x)
        return [np.asarray(hv.numpy(), np.float64)]

    x = x0.astype(np.float64)
    hess = a0 + a0.T + np.diag(12 * x ** 2 + np.exp(x) - np.sin(x))
    ours = run(ne)
    close(ours, run(torch))
    np.testing.assert_allclose(ours[0], hess @ v0, rtol=1e-4, atol=1e-4)


def test_maml_inner_step_matches_torch():
    """MAML: one inner SGD step with create_graph=True, the query loss backpropagated through it."""
    xs, xq = arr(10, 6), arr(10, 6)
    ys, yq = RNG.integers(0, 3, 10), RNG.integers(0, 3, 10)
    ps = [arr(8, 6, scale=0.5), arr(8), arr(3, 8, scale=0.5), arr(3)]

    def run(lib):
        F_ = lib.nn.functional
        w = [lib.tensor(p, requires_grad=True) for p in ps]

        def net(x, p):
            return F_.linear(F_.relu(F_.linear(x, p[0], p[1])), p[2], p[3])

        inner = F_.cross_entropy(net(lib.tensor(xs), w), lib.tensor(ys))
        gs = lib.autograd.grad(inner, w, create_graph=True)
        fast = [p - 0.4 * g for p, g in zip(w, gs)]
        outer = F_.cross_entropy(net(lib.tensor(xq), fast), lib.tensor(yq))
        outer.backward()
        return [np.asarray(outer.detach().numpy(), np.float64)] + grads_of(w)

    close(run(ne), run(torch))


def test_ops_second_order_match_torch():
    x0, y0 = np.abs(arr(4, 3)) + 0.5, arr(4, 3)
    m0 = arr(3, 2)

    def run(lib):
        x = lib.tensor(x0, requires_grad=True)
        y = lib.tensor(y0, requires_grad=True)
        m = lib.tensor(m0, requires_grad=True)
        F_ = lib.nn.functional
        z = (x.sqrt() * y / (x + 1)).log1p()
        z = z + x.log() * y.exp() - x.pow(2.5) + y.abs() * 0.1 + lib.clamp(y, -0.5, 0.5)
        z = lib.cat([z, z[:2] * 2], 0)
        z = lib.stack([z, z.flip(0)], 1).reshape(12, 3).permute(1, 0).t()
        z = lib.where(z > 0, z, z * 0.3) @ m
        z = z.transpose(0, 1).unsqueeze(0).expand(2, 2, 12).sum(0)
        s = F_.softmax(z, dim=1).sum() + F_.log_softmax(z, dim=0).mean() + lib.logsumexp(z, dim=1).sum()
        s = s + z.norm(2, dim=1).sum() + z.var(dim=1).sum() + z.max(dim=1)[0].sum() + z.cumsum(1).mean()
        s = s + lib.sin(z).sum() + lib.cos(z).sum() + (z ** 2).mean() + lib.tanh(z).sum() * lib.sigmoid(z).mean()
        s = s + F_.mse_loss(z, lib.zeros_like(z)) + F_.binary_cross_entropy_with_logits(
            z, (lib.zeros_like(z) + 0.3)) + F_.smooth_l1_loss(z, lib.zeros_like(z) + 0.2)
        s = s + lib.gather(z, 1, lib.tensor([[0, 3], [1, 1]])).sum() + z[:, [1, 1, 4]].sum()
        gx, gy, gm = lib.autograd.grad(s, [x, y, m], create_graph=True)
        pen = (gx ** 2).sum() + (gy * gy.detach()).sum() + gm.abs().sum()
        pen.backward()
        return [np.asarray(pen.detach().numpy(), np.float64)] + grads_of([x, y, m])

    close(run(ne), run(torch), tol=1e-3)


def test_backward_create_graph_fills_grad_values_and_keeps_graph():
    x0 = arr(3)
    x = ne.tensor(x0, requires_grad=True)
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    np.testing.assert_allclose(np.asarray(x.grad), 3 * x0 ** 2, rtol=1e-6)
    y.backward()  # torch: retain_graph defaults to create_graph, so a second backward works
    np.testing.assert_allclose(np.asarray(x.grad), 6 * x0 ** 2, rtol=1e-6)
    z = (x * 2).sum()
    ne.autograd.grad(z, x, create_graph=True, retain_graph=False)
    with pytest.raises(RuntimeError, match="second time"):
        z.backward()


def test_grad_outputs_requiring_grad_and_hooks():
    x0, v0 = arr(4), arr(4)

    def run(lib):
        x = lib.tensor(x0, requires_grad=True)
        v = lib.tensor(v0, requires_grad=True)
        y = x * x
        y.register_hook(lambda g: g * 3)
        (g,) = lib.autograd.grad(y, x, grad_outputs=v, create_graph=True)
        (g * g).sum().backward()
        return grads_of([x, v])

    close(run(ne), run(torch))


def test_only_needed_nodes_run():
    """autograd.grad runs only the nodes leading to its inputs: an op without a differentiable backward before
    them (here a median) does not matter."""
    a = ne.tensor(arr(5), requires_grad=True)
    x = (a.median() + ne.zeros(3)).detach().requires_grad_()
    y = (x ** 2 + a.median()).sum()
    (g,) = ne.autograd.grad(y, x, create_graph=True)
    np.testing.assert_allclose(np.asarray(g.detach()), 2 * np.asarray(x.detach()))


def test_unsupported_op_raises_naming_it():
    x = ne.tensor(arr(3, 3), requires_grad=True)
    y = ne.linalg.det(x) if hasattr(ne, "linalg") else x.prod()
    with pytest.raises(NotImplementedError, match="create_graph=True through"):
        ne.autograd.grad(y, x, create_graph=True)
    y = x.prod()
    with pytest.raises(NotImplementedError, match="ProdFn"):
        ne.autograd.grad(y, x, create_graph=True)
    with pytest.raises(ValueError):  # also a ValueError, for callers that catch the engine's argument errors
        ne.autograd.grad(x.prod(), x, create_graph=True)
    # the first-order backward of the same op still works
    (g,) = ne.autograd.grad(x.prod(), x)
    assert g.shape == (3, 3)


def test_float64_second_derivative_by_finite_differences():
    x0 = np.linspace(-1.5, 1.5, 7)

    def d1(v):
        x = ne.tensor(v, requires_grad=True)
        (g,) = ne.autograd.grad(F.softplus(ne.tanh(x) * 2.0).sum() + (x ** 3).sum(), x, create_graph=True)
        return g

    assert d1(x0).requires_grad  # a recorded gradient
    xt = ne.tensor(x0, requires_grad=True)
    (g,) = ne.autograd.grad(F.softplus(ne.tanh(xt) * 2.0).sum() + (xt ** 3).sum(), xt, create_graph=True)
    (h,) = ne.autograd.grad(g.sum(), xt)
    eps = 1e-6
    num = (np.asarray(d1(x0 + eps).detach()) - np.asarray(d1(x0 - eps).detach())) / (2 * eps)
    np.testing.assert_allclose(np.asarray(h.detach()), num, rtol=1e-6, atol=1e-7)


def test_wgan_gp_module_training_step():
    """The usual WGAN-GP critic step with nn modules (PyTorch-GAN's compute_gradient_penalty), both engines."""
    real0, fake0, alpha0 = arr(8, 12), arr(8, 12), RNG.random((8, 1)).astype(np.float32)
    sd = None
    outs = []
    for lib in (ne, torch):
        lib.manual_seed(0)
        D = lib.nn.Sequential(lib.nn.Linear(12, 16), lib.nn.LeakyReLU(0.2, inplace=True), lib.nn.Linear(16, 1))
        if sd is None:
            sd = {k: np.asarray(v.detach().numpy() if hasattr(v, "detach") else v).copy()
                  for k, v in D.state_dict().items()}
        D.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})
        opt = lib.optim.Adam(D.parameters(), lr=1e-3, betas=(0.5, 0.999))
        real, fake, alpha = lib.tensor(real0), lib.tensor(fake0), lib.tensor(alpha0)
        interpolates = (alpha * real + ((1 - alpha) * fake)).requires_grad_(True)
        d_interpolates = D(interpolates)
        gradients = lib.autograd.grad(outputs=d_interpolates, inputs=interpolates,
                                      grad_outputs=lib.ones(real.shape[0], 1), create_graph=True,
                                      retain_graph=True, only_inputs=True)[0]
        gradients = gradients.view(gradients.size(0), -1)
        gp = ((gradients.norm(2, dim=1) - 1) ** 2).mean()
        d_loss = -lib.mean(D(real)) + lib.mean(D(fake)) + 10 * gp
        opt.zero_grad()
        d_loss.backward()
        grads = grads_of(list(D.parameters()))
        opt.step()
        outs.append([np.asarray(d_loss.detach().numpy(), np.float64)] + grads)
    close(outs[0], outs[1])


def test_custom_function_backward_is_differentiable_again():
    """A user autograd.Function whose backward uses Tensor ops: under create_graph=True its gradient is recorded
    (the saved input is the input Tensor itself), as torch's."""
    x0 = arr(5)
    out = []
    for lib in (ne, torch):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x ** 3

            @staticmethod
            def backward(ctx, g):
                (x,) = ctx.saved_tensors
                return 3 * x * x * g

        x = lib.tensor(x0, requires_grad=True)
        (g,) = lib.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
        (g * g).sum().backward()
        out.append(grads_of([x]))
    close(out[0], out[1])
    np.testing.assert_allclose(out[0][0], 36 * x0.astype(np.float64) ** 3, rtol=1e-5)


def test_prelu_and_pointwise_coverage():
    x0, w0 = arr(3, 4, 5), np.abs(arr(4)) * 0.3

    def run(lib):
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        y = lib.nn.functional.prelu(x, w) + lib.nn.functional.softshrink(x, 0.3) * lib.nn.functional.selu(x)
        (gx,) = lib.autograd.grad((y * y * x).sum(), x, create_graph=True)
        (gx ** 2).sum().backward()
        return grads_of([x, w])

    close(run(ne), run(torch))


@pytest.mark.parametrize("kind", ["max", "avg", "relu_max", "max_ceil", "avg_ceil_pad", "max1d"])
def test_pooling_second_order_matches_torch(kind):
    x0 = arr(2, 3, 9, 7)
    w0 = arr(4, 3, 3, 3, scale=0.4)

    def run(lib):
        F_ = lib.nn.functional
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        h = lib.tanh(F_.conv2d(x, w, padding=1))
        if kind == "max":
            h = F_.max_pool2d(h, 2)
        elif kind == "avg":
            h = F_.avg_pool2d(h, 3, 2, 1)
        elif kind == "relu_max":
            h = lib.nn.Sequential(lib.nn.ReLU(), lib.nn.MaxPool2d(2))(h)
        elif kind == "max_ceil":
            h = F_.max_pool2d(h, 2, ceil_mode=True)
        elif kind == "avg_ceil_pad":
            h = F_.avg_pool2d(h, 3, 2, 1, ceil_mode=True, count_include_pad=False)
        else:
            h = F_.max_pool1d(h.reshape(2, 4, -1), 3, 2)
        out = (h * h).sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        (gx ** 2).sum().backward()
        return grads_of([x, w])

    close(run(ne), run(torch), tol=5e-4)


@pytest.mark.parametrize("kind", ["pad_reflect", "pad_constant", "upsample_nearest", "bilinear", "bilinear_ac",
                                  "adaptive_avg", "adaptive_max", "embedding"])
def test_linear_ops_second_order_match_torch(kind):
    x0 = arr(2, 3, 6, 5)
    w0 = arr(4, 3, 3, 3, scale=0.4)
    e0 = arr(7, 5)
    ids = np.array([[1, 2, 2, 0], [6, 1, 0, 3]])

    def run(lib):
        F_ = lib.nn.functional
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        e = lib.tensor(e0, requires_grad=True)
        if kind == "embedding":
            h = F_.embedding(lib.tensor(ids), e, padding_idx=0) * x[:, 0, :4, :5]
        else:
            h = lib.tanh(F_.conv2d(x, w, padding=1))
            if kind == "pad_reflect":
                h = F_.pad(h, (1, 2, 2, 1), mode="reflect")
            elif kind == "pad_constant":
                h = F_.pad(h, (1, 0, 2, 1), value=0.5)
            elif kind == "upsample_nearest":
                h = F_.interpolate(h, scale_factor=2, mode="nearest")
            elif kind == "bilinear":
                h = F_.interpolate(h, size=(9, 7), mode="bilinear")
            elif kind == "bilinear_ac":
                h = F_.interpolate(h, scale_factor=1.5, mode="bilinear", align_corners=True)
            elif kind == "adaptive_avg":
                h = F_.adaptive_avg_pool2d(h, (4, 3))
            else:
                h = F_.adaptive_max_pool2d(h, (2, 3))
        out = (lib.sin(h) * h).sum()
        if kind == "embedding":  # the weight's gradient (EmbeddingFn's backward) recorded too
            gx, ge = lib.autograd.grad(out, [x, e], create_graph=True)
            ((gx ** 2).sum() + (ge ** 3).sum()).backward()
        else:
            (gx,) = lib.autograd.grad(out, x, create_graph=True)
            (gx ** 2).sum().backward()
        return grads_of([x, w, e])

    close(run(ne), run(torch), tol=5e-4)


@pytest.mark.parametrize("groups,stride,padding,output_padding,dilation",
                         [(1, 2, 1, 1, 1), (2, 1, 0, 0, 1), (1, 3, 1, 2, 1), (1, 2, 2, 0, 2)])
def test_conv_transpose_second_order_matches_torch(groups, stride, padding, output_padding, dilation):
    x0 = arr(2, 4, 5, 4)
    w0 = arr(4, 6 // groups, 3, 3, scale=0.4)
    b0 = arr(6)

    def run(lib):
        F_ = lib.nn.functional
        x = lib.tensor(x0, requires_grad=True)
        w = lib.tensor(w0, requires_grad=True)
        b = lib.tensor(b0, requires_grad=True)
        h = F_.conv_transpose2d(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                                groups=groups, dilation=dilation)
        out = (lib.tanh(h) * h).sum()
        gx, gw = lib.autograd.grad(out, [x, w], create_graph=True)
        ((gx ** 2).sum() + (gw ** 2).sum()).backward()
        return grads_of([x, w, b])

    close(run(ne), run(torch), tol=5e-4)


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_second_order_match_torch(mode):
    """nn.RNN / LSTM / GRU (2 layers, bidirectional, initial state given): their fused node's backward is
    recomputed in recorded ops under create_graph=True."""
    x0, h0 = arr(5, 3, 4), arr(4, 3, 6, scale=0.5)
    sd = None
    outs = []
    for lib in (ne, torch):
        lib.manual_seed(0)
        m = getattr(lib.nn, mode)(4, 6, num_layers=2, bidirectional=True)
        if sd is None:
            sd = {k: np.asarray(v.detach().numpy()).copy() for k, v in m.state_dict().items()}
        m.load_state_dict({k: lib.tensor(v) for k, v in sd.items()})
        x = lib.tensor(x0, requires_grad=True)
        h = lib.tensor(h0, requires_grad=True)
        state = (h, lib.tanh(h)) if mode == "LSTM" else h
        y, _ = m(x, state)
        gx, gh = lib.autograd.grad((y ** 2).sum(), [x, h], create_graph=True)
        ((gx ** 2).sum() + (gh * gh).sum()).backward()
        outs.append(grads_of([x, h] + list(m.parameters())))
    close(outs[0], outs[1], tol=5e-4)


def test_dropout2d_second_order_matches_its_mask():
    # DRAGAN's critic: Conv2d -> LeakyReLU -> Dropout2d inside a gradient penalty (channel dropout is linear
    # with a fixed mask: the penalty's gradient is torch's formula with nnengine's mask)
    ne.manual_seed(3)
    x0, w0 = arr(2, 3, 5, 5), arr(4, 3, 3, 3, scale=0.5)
    x = ne.tensor(x0, requires_grad=True)
    w = ne.tensor(w0, requires_grad=True)
    y = F.dropout2d(F.leaky_relu(F.conv2d(x, w, padding=1), 0.2), 0.5, training=True)
    scale = (np.asarray(y.detach().numpy()) != 0).any(axis=(2, 3), keepdims=True) * 2.0  # the kept channels
    (g,) = ne.autograd.grad(y.sum() * 0 + (y ** 2).sum(), x, create_graph=True)
    gp = (g ** 2).sum()
    gp.backward()
    tx = torch.tensor(x0, requires_grad=True)
    tw = torch.tensor(w0, requires_grad=True)
    ty = torch.nn.functional.leaky_relu(torch.nn.functional.conv2d(tx, tw, padding=1), 0.2) * torch.tensor(
        scale, dtype=torch.float32)
    (tg,) = torch.autograd.grad((ty ** 2).sum(), tx, create_graph=True)
    tgp = (tg ** 2).sum()
    tgp.backward()
    close([np.float64(gp.item())] + grads_of([x, w]),
          [np.float64(tgp.item()), tx.grad.numpy(), tw.grad.numpy()])


def hessian_by_grad_attr(lib, x0, y0, params, v0):
    # PyHessian's get_params_grad / hessian_vector_product and AdaHessian's autograd.grad(p.grad ...): the
    # .grad that backward(create_graph=True) leaves is differentiated again
    model = lib.nn.Sequential(lib.nn.Linear(5, 7), lib.nn.Tanh(), lib.nn.Linear(7, 3))
    with lib.no_grad():
        for p, v in zip(model.parameters(), params):
            p.copy_(lib.tensor(v))
    loss = lib.nn.functional.cross_entropy(model(lib.tensor(x0)), lib.tensor(y0))
    loss.backward(create_graph=True)
    ps = list(model.parameters())
    grads_h = [0. if p.grad is None else p.grad + 0. for p in ps]
    vs = [lib.tensor(v) for v in v0]
    hv = lib.autograd.grad(grads_h, ps, grad_outputs=vs, only_inputs=True, retain_graph=True)
    direct = lib.autograd.grad([p.grad for p in ps], ps, grad_outputs=vs, retain_graph=True)
    penalty = sum((p.grad ** 2).sum() for p in ps) + sum(p.grad.pow(2).sum() * 0.5 for p in ps)
    flat = lib.cat([p.grad.view(-1) for p in ps])
    model.zero_grad()
    penalty.backward()
    return ([np.asarray(h, np.float64) for h in hv] + [np.asarray(h, np.float64) for h in direct]
            + grads_of(ps) + [np.asarray(flat.detach().numpy(), np.float64)])


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_grad_attribute_after_create_graph_is_differentiable():
    x0, y0 = arr(6, 5), np.array([0, 2, 1, 1, 0, 2])
    params = [arr(7, 5, scale=0.5), arr(7), arr(3, 7, scale=0.5), arr(3)]
    v0 = [arr(*p.shape) for p in params]
    close(hessian_by_grad_attr(ne, x0, y0, params, v0), hessian_by_grad_attr(torch, x0, y0, params, v0))


def test_grad_attribute_history_rules():
    w = ne.tensor([1.0, 2.0], requires_grad=True)
    (w ** 3).sum().backward(create_graph=True)
    assert w.grad.requires_grad and isinstance(w.grad + 0.0, ne.Tensor)
    with ne.no_grad():  # no recording: the values (optimizer steps read it so)
        assert not isinstance(w.grad + 0.0, ne.Tensor)
    assert not isinstance(w.grad.data + 0.0, ne.Tensor)  # .data: detached values
    (w ** 3).sum().backward(create_graph=True)  # accumulates: 6 w^2, its derivative 12 w
    (h,) = ne.autograd.grad(w.grad.sum(), w)
    np.testing.assert_allclose(h.numpy(), [12.0, 24.0])
    w.grad.zero_()  # an in-place write detaches it (the values are what is left)
    assert not w.grad.requires_grad
    with pytest.raises(TypeError, match="outputs"):
        ne.autograd.grad(w.grad, w)


def test_grad_accepts_iterables_and_clone_module():
    # learn2learn's MAML: clone_module builds a module with __new__ and assigns __dict__ before __init__, and
    # adapt() calls grad(loss, module.parameters(), create_graph=True) with a generator
    def clone_module(lib, module):
        clone = module.__new__(type(module))
        clone.__dict__ = module.__dict__.copy()
        clone._parameters = clone._parameters.copy()
        clone._modules = clone._modules.copy()
        for k, p in module._parameters.items():
            if p is not None:
                clone._parameters[k] = p.clone()
        for k in clone._modules:
            clone._modules[k] = clone_module(lib, module._modules[k])
        return clone

    def step(lib, x0, params):
        net = lib.nn.Sequential(lib.nn.Linear(4, 6), lib.nn.Tanh(), lib.nn.Linear(6, 1))
        with lib.no_grad():
            for p, v in zip(net.parameters(), params):
                p.copy_(lib.tensor(v))
        fast = clone_module(lib, net)
        loss = (fast(lib.tensor(x0)) ** 2).mean()
        grads = lib.autograd.grad(loss, fast.parameters(), create_graph=True)
        for (mod, key), g in zip([(fast._modules["0"], "weight"), (fast._modules["0"], "bias"),
                                  (fast._modules["2"], "weight"), (fast._modules["2"], "bias")], grads):
            mod._parameters[key] = mod._parameters[key] - 0.1 * g
        (fast(lib.tensor(x0)) ** 2).mean().backward()
        return grads_of(list(net.parameters()))

    x0 = arr(5, 4)
    params = [arr(6, 4), arr(6), arr(1, 6), arr(1)]
    close(step(ne, x0, params), step(torch, x0, params))
    m = ne.nn.Linear(2, 2)
    blank = m.__new__(ne.nn.Linear)
    with pytest.raises(AttributeError, match="cannot assign parameters before Module.__init__"):
        blank.weight = ne.nn.Parameter(ne.ones(2))
    with pytest.raises(TypeError, match="inputs"):
        ne.autograd.grad((m.weight ** 2).sum(), "weight")


@pytest.mark.parametrize("case", ["einsum", "kl_div", "kl_div_log_target", "roll", "diagonal", "index_add",
                                  "index_copy"])
def test_more_ops_second_order_match_torch(case):
    a0, b0, c0 = arr(2, 3, 4), arr(2, 4, 5), arr(4)
    t0 = np.abs(arr(2, 3, 4)) + 0.1

    def run(lib):
        a = lib.tensor(a0, requires_grad=True)
        b = lib.tensor(b0, requires_grad=True)
        c = lib.tensor(c0, requires_grad=True)
        t = lib.tensor(t0, requires_grad=True)
        F_ = lib.nn.functional
        if case == "einsum":
            h = lib.einsum("bij,bjk->bik", lib.tanh(a), b).sum(-1) + lib.einsum("bij,j->bi", a, c)
        elif case == "kl_div":
            h = F_.kl_div(F_.log_softmax(a, -1), t / t.sum(-1, keepdim=True), reduction="batchmean") * a
        elif case == "kl_div_log_target":
            h = F_.kl_div(F_.log_softmax(a, -1), lib.log(t), reduction="sum", log_target=True) * a
        elif case == "roll":
            h = lib.roll(lib.tanh(a), (1, -2), (1, 2)) * a
        elif case == "diagonal":
            h = lib.diagonal(lib.tanh(a) @ b, 0, 1, 2) * c[:3]
        elif case == "index_add":
            h = lib.tanh(a).index_add(2, lib.tensor([0, 2, 0]), a[:, :, :3] * c[:3])
        else:
            h = lib.tanh(a).index_copy(1, lib.tensor([2, 0]), a[:, :2] ** 2)
        out = (lib.sin(h) * h).sum()
        ga, gb, gc, gt = lib.autograd.grad(out, [a, b, c, t], create_graph=True, allow_unused=True)
        pen = sum((q ** 2).sum() for q in (ga, gb, gc, gt) if q is not None)
        pen.backward()
        return grads_of([a, b, c, t])

    close(run(ne), run(torch), tol=5e-4)


def test_tensor_operator_with_a_recorded_grad_on_the_right():
    """``v * p.grad`` (a Tensor on the left) takes the recorded gradient's history, as ``p.grad * v`` does."""
    out = []
    for lib in (ne, torch):
        w = lib.tensor([1.0, 2.0, -0.5], requires_grad=True)
        (lib.sin(w) * w ** 3).sum().backward(create_graph=True)
        v = lib.tensor([1.0, 0.5, 2.0])
        hv = lib.autograd.grad((v * w.grad).sum() + (v - w.grad / 2).sum(), w)[0]
        out.append([np.asarray(hv.detach().numpy(), np.float64)])
    close(out[0], out[1])
