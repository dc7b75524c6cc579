"""ONNX export of inference graphs, built with the ``onnx`` package's helper API (optional extra).

``export(model, example_input, path)`` walks the module tree with one converter per layer type, runs the
model on ``example_input`` alongside (so every converter knows its input and output shapes) and writes an
ONNX model (opset 17) atomically. Supported: Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d, MaxPool1d, AvgPool1d,
AdaptiveAvg/MaxPool1d/2d/3d (any output size), Upsample (Resize; every mode but area), the padding layers 1-D to 3-D
(Pad), MaxPool2d/3d, AvgPool2d/3d (ceil_mode, count_include_pad; not divisor_override), MinPool2d (as -MaxPool(-x)), ReLU, LeakyReLU, ELU, Sigmoid, Tanh,
Softplus(beta, threshold), Softmax, LogSoftmax, Maxout, GELU (erf and tanh forms), SiLU, Mish, Hardtanh/ReLU6 (Clip),
Hardswish, Hardsigmoid, Softsign, PReLU, BatchNorm1d/2d/3d (eval, running statistics), LayerNorm (LayerNormalization),
GroupNorm (InstanceNormalization on the grouped view + affine), InstanceNorm1d/2d/3d (batched or unbatched input), Dropout and
Identity (identity), Flatten, Unflatten, PixelShuffle/PixelUnshuffle (Reshape + Transpose), RNN, LSTM and GRU (stacked, bidirectional, batch_first; zero initial
state; GRU with linear_before_reset=1, PyTorch's b_hn placement), RNNCell/LSTMCell/GRUCell, Embedding (Gather on
int64 ids), MultiheadAttention (self-attention m(x, x, x), or (query, key, value[, key_padding_mask, None,
attn_mask]); outputs attn_output and the head-averaged weights), TransformerEncoderLayer, TransformerDecoderLayer,
TransformerEncoder, TransformerDecoder and Transformer (relu or gelu, post- or pre-norm; masks bool or additive float,
as graph inputs or constants), the losses MSELoss, L1Loss, SmoothL1Loss, HuberLoss, BCELoss, BCEWithLogitsLoss,
KLDivLoss, CosineEmbeddingLoss, MarginRankingLoss, NLLLoss and CrossEntropyLoss (a graph (input, target[, ...]) ->
loss for every reduction), Sequential, and the
models LogisticRegression, MLP, LeNet5 and CharLSTM. Anything else raises ``NotImplementedError`` naming the
layer. ``register(cls)`` adds a converter for your own Module.

The ``onnx`` package is imported only when ``export`` runs (``pip install nnengine[onnx]``).

Example:
    >>> from nnengine import onnx as ne_onnx
    >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU()).eval()
    >>> ne_onnx.export(model, ne.randn(1, 4), "mlp.onnx")
    >>> import onnxruntime as ort
    >>> x = np.ones((1, 4), np.float32)
    >>> np.allclose(ort.InferenceSession("mlp.onnx").run(None, {"input": x})[0], model(ne.tensor(x)).numpy(), atol=1e-6)
    True
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import _core, nn
from . import functional as F
from . import models as _models
from ._coerce import as_array, wrap_tensor
from .autograd import no_grad
from .functional._attention import default_scale
from .functional._softmax import legacy_softmax_dim
from .functional._util import as_tuple, single
from .nn.module import Module
from .tensor import Tensor

__all__ = ["export", "register", "supported", "OPSET"]

OPSET = 17
_CONVERTERS: Dict[type, Callable[..., Any]] = {}


def register(*classes: type) -> Callable:
    """Decorator: ``fn(g, module, x_name, x, path) -> (out_names, out_values)`` converts ``classes``.

    ``g`` is the graph builder (``g.node(op, inputs, **attrs)``, ``g.const(array)``); ``x`` is the
    module's input value (a Tensor or array), ``out_values`` the module's own output on it.

    Example:
        >>> class Twice(nn.Module):
        ...     def forward(self, x):
        ...         return 2 * x
        >>> @register(Twice)
        ... def _twice(g, m, x_name, x, path):
        ...     return g.node("Mul", [x_name, g.const(np.float32(2))]), m(x)
        >>> "Twice" in supported()
        True
    """

    def deco(fn: Callable) -> Callable:
        for c in classes:
            _CONVERTERS[c] = fn
        return fn

    return deco


def supported() -> List[str]:
    """Names of the Module classes ``export`` can convert.

    Example:
        >>> "Linear" in supported(), "Conv2d" in supported()
        (True, True)
    """
    return sorted(c.__name__ for c in _CONVERTERS)


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("nnengine.onnx.export needs the 'onnx' package: pip install 'nnengine[onnx]'") from e
    return onnx


class _Graph:
    """Collects nodes and initializers with unique names."""

    def __init__(self, onnx: Any) -> None:
        self.onnx, self.helper = onnx, onnx.helper
        self.nodes: List[Any] = []
        self.inits: List[Any] = []
        self._n = 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value: Any, hint: str = "const", dtype: Any = np.float32) -> str:
        name = self.name(hint)
        self.inits.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(value, dtype=dtype), name))
        return name

    def ints(self, values: Sequence[int], hint: str = "shape") -> str:
        return self.const(np.asarray(values, np.int64), hint, np.int64)

    def node(self, op: str, inputs: Sequence[str], hint: Optional[str] = None, outputs: int = 1, **attrs: Any):
        outs = [self.name(hint or op.lower()) for _ in range(outputs)]
        self.nodes.append(self.helper.make_node(op, list(inputs), outs, **attrs))
        return outs[0] if outputs == 1 else outs


def _run(module: Module, x: Any) -> Any:
    return module(x if isinstance(x, (Tensor, np.ndarray)) else Tensor(x))


def _convert(g: _Graph, module: Module, x_name: str, x: Any, path: str) -> Tuple[Any, Any]:
    fn = _CONVERTERS.get(type(module))
    if fn is None:
        where = f" at '{path}'" if path else ""
        raise NotImplementedError(
            f"onnx.export: layer {type(module).__name__}{where} has no ONNX conversion; supported: "
            + ", ".join(supported())
        )
    return fn(g, module, x_name, x, path)


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ============================================================================= layers
@register(nn.Linear)
def _linear(g: _Graph, m: nn.Linear, x_name: str, x: Any, path: str):
    y = _run(m, x)
    w = m.weight._data
    if x.ndim == 2:
        ins = [x_name, g.const(w, "weight")] + ([g.const(m.bias._data, "bias")] if m.bias is not None else [])
        return g.node("Gemm", ins, "linear", transB=1), y
    return _dense(g, x_name, w, None if m.bias is None else m.bias._data), y


def _dense(g: _Graph, x_name: str, w: np.ndarray, b: Optional[np.ndarray]) -> str:
    """x @ w.T (+ b) over the last dimension of an input of any rank (MatMul, then Add)."""
    out = g.node("MatMul", [x_name, g.const(w.T, "weight_t")], "matmul")
    return out if b is None else g.node("Add", [out, g.const(b, "bias")], "linear")


@register(nn.Conv1d, nn.Conv2d, nn.Conv3d)
def _conv(g: _Graph, m: Any, x_name: str, x: Any, path: str):
    n = len(m.kernel_size)
    if x.ndim != n + 2:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs batched input with {n + 2} dimensions, "
                         f"got shape {x.shape}")
    if m.padding_mode != "zeros":  # a Pad node (reflect / edge) before an unpadded Conv, as the layer runs
        if m.padding_mode == "circular":
            raise ValueError(f"onnx.export: {type(m).__name__} at '{path}': padding_mode='circular' has no ONNX Pad "
                             "mode in opset 17")
        p = m._reversed_padding_repeated_twice  # last dimension first, (begin, end) pairs
        pads = [0, 0] + [p[2 * (n - 1 - i)] for i in range(n)] + [0, 0] + [p[2 * (n - 1 - i) + 1] for i in range(n)]
        x_name = g.node("Pad", [x_name, g.ints(pads, "pads")], "pad",
                        mode={"reflect": "reflect", "replicate": "edge"}[m.padding_mode])
        begin = end = [0] * n
    elif m.padding == "valid":
        begin = end = [0] * n
    elif m.padding == "same":  # torch's 'same': an odd total puts the extra zero at the end
        total = [m.dilation[i] * (m.kernel_size[i] - 1) for i in range(n)]
        begin, end = [t // 2 for t in total], [t - t // 2 for t in total]
    else:
        begin = end = list(m.padding)
    ins = [x_name, g.const(m.weight._data, "weight")] + ([g.const(m.bias._data, "bias")] if m.bias is not None else [])
    out = g.node("Conv", ins, "conv", kernel_shape=list(m.kernel_size), strides=list(m.stride), pads=begin + end,
                 dilations=list(m.dilation), group=m.groups)
    return out, _run(m, x)


@register(nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
def _conv_transpose(g: _Graph, m: Any, x_name: str, x: Any, path: str):
    n = len(m.kernel_size)
    if x.ndim != n + 2:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs batched input with {n + 2} dimensions, "
                         f"got shape {x.shape}")
    ins = [x_name, g.const(m.weight._data, "weight")] + ([g.const(m.bias._data, "bias")] if m.bias is not None else [])
    out = g.node("ConvTranspose", ins, "conv_transpose", kernel_shape=list(m.kernel_size), strides=list(m.stride),
                 pads=list(m.padding) * 2, output_padding=list(m.output_padding), dilations=list(m.dilation),
                 group=m.groups)
    return out, _run(m, x)


def _pool_attrs(m: Module, n: int = 2) -> Dict[str, Any]:
    """A 2-D (n = 2) or 3-D pooling layer's kernel, strides (the kernel when None), pads and ceil_mode."""
    k = as_tuple(m.kernel_size, n, "kernel_size", int)
    s = k if m.stride is None else as_tuple(m.stride, n, "stride", int)
    p = as_tuple(m.padding, n, "padding", int)
    return {"kernel_shape": list(k), "strides": list(s), "pads": list(p) * 2,
            "ceil_mode": int(bool(getattr(m, "ceil_mode", False)))}


def _avg_attrs(m: Module, path: str) -> Dict[str, Any]:
    """AveragePool's count_include_pad; torch's divisor_override has no ONNX form."""
    if getattr(m, "divisor_override", None) is not None:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' with divisor_override is not exportable")
    return {"count_include_pad": int(bool(getattr(m, "count_include_pad", True)))}


@register(nn.MaxPool2d)
def _maxpool(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    return g.node("MaxPool", [x_name], "maxpool", **_pool_attrs(m)), _run(m, x)


@register(nn.AvgPool2d)
def _avgpool(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    return g.node("AveragePool", [x_name], "avgpool", **_avg_attrs(m, path), **_pool_attrs(m)), _run(m, x)


@register(nn.MaxPool3d, nn.AvgPool3d)
def _pool3d(g: _Graph, m: Any, x_name: str, x: Any, path: str):
    if getattr(m, "return_indices", False):
        raise ValueError(f"onnx.export: MaxPool3d at '{path}' with return_indices=True is not exportable")
    if np.ndim(x) != 5:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs batched (N, C, D, H, W) input, "
                         f"got shape {np.shape(x)}")
    if isinstance(m, nn.MaxPool3d):
        return g.node("MaxPool", [x_name], "maxpool", **_pool_attrs(m, 3)), _run(m, x)
    return g.node("AveragePool", [x_name], "avgpool", **_avg_attrs(m, path), **_pool_attrs(m, 3)), _run(m, x)


@register(nn.MinPool2d)
def _minpool(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    neg = g.node("Neg", [x_name])
    pooled = g.node("MaxPool", [neg], "maxpool", **_pool_attrs(m))
    return g.node("Neg", [pooled], "minpool"), _run(m, x)



@register(nn.MaxPool1d, nn.AvgPool1d)
def _pool1d(g: _Graph, m: Any, x_name: str, x: Any, path: str):
    if getattr(m, "return_indices", False):
        raise ValueError(f"onnx.export: MaxPool1d at '{path}' with return_indices=True is not exportable")
    k, st, p = single(m.kernel_size, "kernel_size"), single(m.stride, "stride"), single(m.padding, "padding")
    attrs: Dict[str, Any] = {"kernel_shape": list(k), "strides": list(st), "pads": [p[0], p[0]],
                             "ceil_mode": int(bool(getattr(m, "ceil_mode", False)))}
    if isinstance(m, nn.MaxPool1d):
        return g.node("MaxPool", [x_name], "maxpool", **attrs), _run(m, x)
    return g.node("AveragePool", [x_name], "avgpool", **_avg_attrs(m, path), **attrs), _run(m, x)


@register(nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
          nn.AdaptiveMaxPool3d)
def _adaptive_pool(g: _Graph, m: Any, x_name: str, x: Any, path: str):
    """Global pooling for output size 1, a plain pool when the input divides evenly, else one Slice +
    ReduceMean/ReduceMax per output cell over torch's bins [floor(i L / O), ceil((i + 1) L / O)), concatenated
    (ONNX has no adaptive pooling operator; the spatial sizes are those of the example input)."""
    y = _run(m, x)
    if getattr(m, "return_indices", False):
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' with return_indices=True is not exportable")
    avg = "Avg" in type(m).__name__
    n = int(type(m).__name__[-2])  # 1d, 2d, 3d
    ins, outs = tuple(np.shape(x)[-n:]), tuple(y.shape[-n:])
    if all(o == 1 for o in outs):
        return g.node("GlobalAveragePool" if avg else "GlobalMaxPool", [x_name], "global_pool"), y
    if not any(i % o for i, o in zip(ins, outs)):
        k = [i // o for i, o in zip(ins, outs)]
        return g.node("AveragePool" if avg else "MaxPool", [x_name], "pool", kernel_shape=k, strides=k,
                      pads=[0] * (2 * n)), y
    rank = np.ndim(x)
    axes = list(range(rank - n, rank))

    def bins(i: int, o: int) -> List[Tuple[int, int]]:
        return [((j * i) // o, -((-(j + 1) * i) // o)) for j in range(o)]

    def cells(prefix: List[Tuple[int, int]], d: int) -> str:  # the pooled block of dims d.. for fixed bins before d
        parts = []
        for b in bins(ins[d], outs[d]):
            if d + 1 < n:
                parts.append(cells(prefix + [b], d + 1))
                continue
            lo, hi = zip(*(prefix + [b]))
            piece = g.node("Slice", [x_name, g.ints(lo, "starts"), g.ints(hi, "ends"), g.ints(axes, "axes")], "bin")
            parts.append(g.node("ReduceMean" if avg else "ReduceMax", [piece], "cell", axes=axes, keepdims=1))
        return g.node("Concat", parts, "cells", axis=axes[d])

    return cells([], 0), y


@register(nn.Upsample, nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d)
def _upsample(g: _Graph, m: Any, x_name: str, x: Any, path: str):
    y = _run(m, x)
    n = np.ndim(x) - 2
    if m.mode == "nearest":
        attrs = dict(mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    elif m.mode == "nearest-exact":  # torch's floor((i + 0.5) * scale): half-pixel source rounded half up
        attrs = dict(mode="nearest", coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_ceil")
    elif m.mode in ("linear", "bilinear", "trilinear", "bicubic"):
        attrs = dict(mode="cubic" if m.mode == "bicubic" else "linear",
                     coordinate_transformation_mode="align_corners" if m.align_corners else "pytorch_half_pixel")
        if m.mode == "bicubic":
            attrs["cubic_coeff_a"] = -0.75  # torch's A
    else:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' with mode {m.mode!r} is not exportable "
                         "(ONNX Resize has no area mode)")
    if m.scale_factor is not None and not m.recompute_scale_factor:
        sf = m.scale_factor if isinstance(m.scale_factor, (tuple, list)) else (m.scale_factor,) * n
        scales = g.const(np.asarray((1.0, 1.0) + tuple(float(v) for v in sf), np.float32), "scales")
        return g.node("Resize", [x_name, "", scales], "resize", **attrs), y
    # sizes: the input's (N, C) then the fixed spatial size, so the batch stays dynamic
    nc = g.node("Slice", [g.node("Shape", [x_name]), g.ints([0]), g.ints([2])], "nc")
    sizes = g.node("Concat", [nc, g.ints(y.shape[2:])], "sizes", axis=0)
    return g.node("Resize", [x_name, "", "", sizes], "resize", **attrs), y


@register(nn.ConstantPad1d, nn.ConstantPad2d, nn.ConstantPad3d, nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d,
          nn.ReflectionPad1d, nn.ReflectionPad2d, nn.ReflectionPad3d, nn.ReplicationPad1d, nn.ReplicationPad2d,
          nn.ReplicationPad3d)
def _pad(g: _Graph, m: Any, x_name: str, x: Any, path: str):
    rank, p = np.ndim(x), list(m.padding)
    nd = len(p) // 2
    begin, end = [0] * rank, [0] * rank
    for d in range(nd):  # torch lists the last dimension first
        begin[rank - 1 - d], end[rank - 1 - d] = p[2 * d], p[2 * d + 1]
    mode = {"constant": "constant", "reflect": "reflect", "replicate": "edge"}[m._mode]
    ins = [x_name, g.ints(begin + end, "pads")]
    if mode == "constant":
        ins.append(g.const(np.asarray(m.value or 0.0, np.float32), "value"))
    return g.node("Pad", ins, "pad", mode=mode), _run(m, x)

def _activation(g: _Graph, kind: str, x_name: str, **attrs: Any) -> str:
    op = {"relu": "Relu", "tanh": "Tanh", "sigmoid": "Sigmoid", "leaky_relu": "LeakyRelu", "elu": "Elu",
          "softplus": "Softplus"}[kind]
    return g.node(op, [x_name], kind, **attrs)


@register(nn.ReLU, nn.Tanh, nn.Sigmoid)
def _simple_act(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    kind = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid"}[type(m)]
    return _activation(g, kind, x_name), _run(m, x)


def _scalar(g: _Graph, v: float, hint: str = "c") -> str:
    return g.const(np.array(v, np.float32), hint)


@register(nn.Softplus)
def _softplus(g: _Graph, m: nn.Softplus, x_name: str, x: Any, path: str):
    if m.beta == 1.0:
        sp = _activation(g, "softplus", x_name)
        z = x_name
    else:  # softplus(beta x) / beta
        z = g.node("Mul", [x_name, _scalar(g, m.beta)], "softplus_bx")
        sp = g.node("Div", [_activation(g, "softplus", z), _scalar(g, m.beta)], "softplus")
    linear = g.node("Greater", [z, _scalar(g, m.threshold)], "softplus_linear")
    return g.node("Where", [linear, x_name, sp], "softplus"), _run(m, x)


@register(nn.GELU)
def _gelu(g: _Graph, m: nn.GELU, x_name: str, x: Any, path: str):
    if m.approximate == "none":  # 0.5 x (1 + erf(x / sqrt 2))
        inner = g.node("Erf", [g.node("Mul", [x_name, _scalar(g, 0.7071067811865476)], "gelu_s")], "gelu_erf")
    else:  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        cube = g.node("Mul", [g.node("Mul", [x_name, x_name], "gelu_x2"), x_name], "gelu_x3")
        u = g.node("Add", [x_name, g.node("Mul", [cube, _scalar(g, 0.044715)], "gelu_k")], "gelu_u")
        inner = g.node("Tanh", [g.node("Mul", [u, _scalar(g, 0.7978845608028654)], "gelu_v")], "gelu_tanh")
    half_x = g.node("Mul", [x_name, _scalar(g, 0.5)], "gelu_hx")
    return g.node("Mul", [half_x, g.node("Add", [inner, _scalar(g, 1.0)], "gelu_1p")], "gelu"), _run(m, x)


@register(nn.SiLU, nn.Mish)
def _silu_mish(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if isinstance(m, nn.SiLU):
        gate = g.node("Sigmoid", [x_name], "silu_gate")
    else:
        gate = g.node("Tanh", [g.node("Softplus", [x_name], "mish_sp")], "mish_gate")
    return g.node("Mul", [x_name, gate], type(m).__name__.lower()), _run(m, x)


@register(nn.Hardtanh, nn.ReLU6)
def _hardtanh(g: _Graph, m: nn.Hardtanh, x_name: str, x: Any, path: str):
    ins = [x_name, _scalar(g, m.min_val, "clip_min"), _scalar(g, m.max_val, "clip_max")]
    return g.node("Clip", ins, "hardtanh"), _run(m, x)


@register(nn.Hardswish, nn.Hardsigmoid, nn.Softsign)
def _hard_acts(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if isinstance(m, nn.Hardsigmoid):
        return g.node("HardSigmoid", [x_name], "hardsigmoid", alpha=1.0 / 6.0, beta=0.5), _run(m, x)
    op = "HardSwish" if isinstance(m, nn.Hardswish) else "Softsign"
    return g.node(op, [x_name], op.lower()), _run(m, x)


@register(nn.PReLU)
def _prelu(g: _Graph, m: nn.PReLU, x_name: str, x: Any, path: str):
    w = m.weight._data
    if w.shape[0] > 1:
        w = w.reshape((w.shape[0],) + (1,) * (x.ndim - 2))
    return g.node("PRelu", [x_name, g.const(w, "prelu_slope")], "prelu"), _run(m, x)


@register(nn.LeakyReLU)
def _leaky(g: _Graph, m: nn.LeakyReLU, x_name: str, x: Any, path: str):
    return _activation(g, "leaky_relu", x_name, alpha=float(m.negative_slope)), _run(m, x)


@register(nn.ELU)
def _elu(g: _Graph, m: nn.ELU, x_name: str, x: Any, path: str):
    return _activation(g, "elu", x_name, alpha=float(m.alpha)), _run(m, x)


@register(nn.Softmax, nn.LogSoftmax)
def _softmax(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    op = "Softmax" if isinstance(m, nn.Softmax) else "LogSoftmax"
    nd = len(np.shape(getattr(x, "data", x)))
    axis = int(m.dim) if m.dim is not None else legacy_softmax_dim(nd)  # torch's implicit dim (dim=None)
    return g.node(op, [x_name], op.lower(), axis=axis), _run(m, x)


@register(nn.Dropout, nn.Identity)
def _identity(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    return g.node("Identity", [x_name], "identity"), _run(m, x)


register(nn.Dropout1d, nn.Dropout2d)(_identity)


def _reshape(g: _Graph, x_name: str, shape: Sequence[int]) -> str:
    return g.node("Reshape", [x_name, g.ints(shape)], "reshape")


def _flatten(g: _Graph, x_name: str, shape: Tuple[int, ...], start: int, end: int) -> str:
    nd = len(shape)
    s, e = start % nd, end % nd
    if s == 1 and e == nd - 1:
        return g.node("Flatten", [x_name], "flatten", axis=1)
    # prefix dims keep their size (0 = copy, so the batch stays dynamic), the merged dim is -1
    return _reshape(g, x_name, [0] * s + [-1] + list(shape[e + 1 :]))


@register(nn.Flatten)
def _flatten_layer(g: _Graph, m: nn.Flatten, x_name: str, x: Any, path: str):
    return _flatten(g, x_name, tuple(x.shape), m.start_dim, m.end_dim), _run(m, x)


@register(nn.PixelShuffle, nn.PixelUnshuffle)
def _pixel_shuffle(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if x.ndim != 4:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' exports a 4-D (N, C, H, W) input only, "
                         f"got shape {tuple(x.shape)}")
    _, c, h, w = x.shape
    if isinstance(m, nn.PixelShuffle):  # torch's channel order (C, r, r): Reshape, Transpose, Reshape (not DCR)
        r = m.upscale_factor
        split, perm, merged = [0, c // (r * r), r, r, h, w], [0, 1, 4, 2, 5, 3], [0, c // (r * r), h * r, w * r]
    else:
        r = m.downscale_factor
        split, perm, merged = [0, c, h // r, r, w // r, r], [0, 1, 3, 5, 2, 4], [0, c * r * r, h // r, w // r]
    t = g.node("Transpose", [_reshape(g, x_name, split)], "transpose", perm=perm)
    return _reshape(g, t, merged), _run(m, x)


@register(nn.Unflatten)
def _unflatten(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    d = m.dim % x.ndim
    if d == 0:
        raise ValueError(f"onnx.export: Unflatten at '{path}' cannot split the batch dimension")
    shape = [0] * d + list(m.unflattened_size) + list(x.shape[d + 1 :])
    return _reshape(g, x_name, shape), _run(m, x)


@register(nn.Maxout)
def _maxout(g: _Graph, m: nn.Maxout, x_name: str, x: Any, path: str):
    d = m.dim % x.ndim
    if d == 0:
        raise ValueError(f"onnx.export: Maxout at '{path}' over the batch dimension is not exportable")
    k = x.shape[d] // m.pieces
    split = _reshape(g, x_name, [0] * d + [k, m.pieces] + list(x.shape[d + 1 :]))
    return g.node("ReduceMax", [split], "maxout", axes=[d + 1], keepdims=0), _run(m, x)


@register(nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)
def _batchnorm(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if m.running_mean is None:
        raise ValueError(f"onnx.export: BatchNorm at '{path}' has no running statistics (track_running_stats=False)")
    c = m.num_features
    scale = m.weight._data if m.weight is not None else np.ones(c, np.float32)
    bias = m.bias._data if m.bias is not None else np.zeros(c, np.float32)
    ins = [x_name, g.const(scale, "bn_scale"), g.const(bias, "bn_bias"), g.const(m.running_mean, "bn_mean"),
           g.const(m.running_var, "bn_var")]
    return g.node("BatchNormalization", ins, "batchnorm", epsilon=float(m.eps)), _run(m, x)


def _affine_vec(m: Module, c: int) -> Tuple[np.ndarray, np.ndarray]:
    w = m.weight._data.reshape(-1) if m.weight is not None else np.ones(c, np.float32)
    b = m.bias._data.reshape(-1) if m.bias is not None else np.zeros(c, np.float32)
    return w, b


@register(nn.LayerNorm)
def _layernorm(g: _Graph, m: nn.LayerNorm, x_name: str, x: Any, path: str):
    d = len(m.normalized_shape)
    w = m.weight._data if m.weight is not None else np.ones(m.normalized_shape, np.float32)
    ins = [x_name, g.const(w, "ln_scale")] + ([g.const(m.bias._data, "ln_bias")] if m.bias is not None else [])
    return g.node("LayerNormalization", ins, "layernorm", axis=-d, epsilon=float(m.eps)), _run(m, x)


def _batched(m: Module, x: Any, path: str) -> None:
    if x.ndim < 3:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs batched (N, C, *) input, got {x.shape}")


@register(nn.GroupNorm)
def _groupnorm(g: _Graph, m: nn.GroupNorm, x_name: str, x: Any, path: str):
    # (N, G, -1) instance-normalised with unit scale, back to x's shape, then the per-channel affine
    _batched(m, x, path)
    grouped = _reshape(g, x_name, [0, m.num_groups, -1])
    ones, zeros = np.ones(m.num_groups, np.float32), np.zeros(m.num_groups, np.float32)
    normed = g.node("InstanceNormalization", [grouped, g.const(ones, "gn_one"), g.const(zeros, "gn_zero")],
                    "groupnorm_stats", epsilon=float(m.eps))
    y = g.node("Reshape", [normed, g.node("Shape", [x_name], "gn_shape")], "groupnorm_shape")
    w, b = _affine_vec(m, m.num_channels)
    bshape = (m.num_channels,) + (1,) * (x.ndim - 2)
    y = g.node("Mul", [y, g.const(w.reshape(bshape), "gn_scale")], "groupnorm_scale")
    return g.node("Add", [y, g.const(b.reshape(bshape), "gn_bias")], "groupnorm"), _run(m, x)


@register(nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)
def _instancenorm(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if x.ndim not in m._dims:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs {' or '.join(map(str, m._dims))}-D "
                         f"input, got {x.shape}")
    unbatched = x.ndim == m._dims[0]  # (C, *): a batch of one around the op, as torch's forward does
    name = g.node("Unsqueeze", [x_name, g.ints([0], "axes")], "in_batch") if unbatched else x_name
    w, b = _affine_vec(m, m.num_features)
    ins = [name, g.const(w, "in_scale"), g.const(b, "in_bias")]
    if m.track_running_stats and not m.training:  # eval with running statistics: batch norm's inference
        ins += [g.const(m.running_mean, "in_mean"), g.const(m.running_var, "in_var")]
        y = g.node("BatchNormalization", ins, "instancenorm", epsilon=float(m.eps))
    else:
        y = g.node("InstanceNormalization", ins, "instancenorm", epsilon=float(m.eps))
    return (g.node("Squeeze", [y, g.ints([0], "axes")], "in_unbatch") if unbatched else y), _run(m, x)


@register(nn.Sequential)
def _sequential(g: _Graph, m: nn.Sequential, x_name: str, x: Any, path: str):
    for name, child in m._modules.items():
        x_name, x = _convert(g, child, x_name, x, _child(path, name))
    return x_name, x


# ============================================================================= recurrent layers
# PyTorch gate blocks -> ONNX order: LSTM (i, f, g, o) -> (i, o, f, c); GRU (r, z, n) -> (z, r, h)
_ONNX_GATES = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _kind(m: Module) -> str:
    """The ONNX operator of a recurrent layer or cell: LSTM, GRU or RNN."""
    if isinstance(m, (nn.LSTM, nn.LSTMCell)):
        return "LSTM"
    return "GRU" if isinstance(m, (nn.GRU, nn.GRUCell)) else "RNN"


def _gates(w: np.ndarray, kind: str, hidden: int) -> np.ndarray:
    order = _ONNX_GATES[kind]
    blocks = w.reshape((len(order), hidden) + w.shape[1:])
    return blocks[order].reshape(w.shape)


def _recurrent(g: _Graph, kind: str, x_name: str, params: List[Tuple[Any, ...]], hidden: int, num_layers: int,
               directions: int, nonlinearity: str) -> Tuple[str, List[str], List[str]]:
    """Stack ONNX RNN/LSTM/GRU nodes on (T, B, I) input; returns (output (T, B, D*H), [Y_h per layer], [Y_c])."""
    hs: List[str] = []
    cs: List[str] = []
    gates = len(_ONNX_GATES[kind])
    for layer in range(num_layers):
        ws, rs, bs = [], [], []
        for d in range(directions):
            w_ih, w_hh, b_ih, b_hh = params[layer * directions + d]
            ws.append(_gates(w_ih, kind, hidden))
            rs.append(_gates(w_hh, kind, hidden))
            if b_ih is None:
                bs.append(np.zeros(2 * gates * hidden, np.float32))
            else:
                bs.append(np.concatenate([_gates(b_ih, kind, hidden), _gates(b_hh, kind, hidden)]))
        attrs: Dict[str, Any] = {"hidden_size": hidden,
                                 "direction": "bidirectional" if directions == 2 else "forward"}
        if kind == "RNN":
            attrs["activations"] = ["Tanh" if nonlinearity == "tanh" else "Relu"] * directions
        if kind == "GRU":
            attrs["linear_before_reset"] = 1  # r * (h R_h^T + Rb_h): PyTorch's b_hn inside the reset product
        ins = [x_name, g.const(np.stack(ws), "W"), g.const(np.stack(rs), "R"), g.const(np.stack(bs), "B")]
        n_out = 3 if kind == "LSTM" else 2
        outs = g.node(kind, ins, kind.lower(), outputs=n_out, **attrs)
        # Y (T, D, B, H) -> (T, B, D, H) -> (T, B, D*H)
        y = g.node("Transpose", [outs[0]], "y_t", perm=[0, 2, 1, 3])
        x_name = _reshape(g, y, [0, 0, -1])
        hs.append(outs[1])
        if kind == "LSTM":
            cs.append(outs[2])
    return x_name, hs, cs


def _concat0(g: _Graph, names: List[str], hint: str) -> str:
    return names[0] if len(names) == 1 else g.node("Concat", names, hint, axis=0)


def _rnn_params(m: Module) -> List[Tuple[Any, ...]]:
    flat = m._params()
    return [tuple(None if p is None else p._data for p in flat[i : i + 4]) for i in range(0, len(flat), 4)]


@register(nn.RNN, nn.LSTM, nn.GRU)
def _rnn_layer(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if x.ndim != 3:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs batched 3-D input, got shape {x.shape}")
    kind = _kind(m)
    if getattr(m, "proj_size", 0):  # ONNX's LSTM operator has no projection
        raise NotImplementedError(f"onnx.export: {type(m).__name__} at '{path}' has proj_size={m.proj_size}, which "
                                  "ONNX's LSTM operator cannot express")
    if m.batch_first:
        x_name = g.node("Transpose", [x_name], "to_time_major", perm=[1, 0, 2])
    out, hs, cs = _recurrent(g, kind, x_name, _rnn_params(m), m.hidden_size, m.num_layers,
                             2 if m.bidirectional else 1, getattr(m, "nonlinearity", "tanh"))
    if m.batch_first:
        out = g.node("Transpose", [out], "to_batch_major", perm=[1, 0, 2])
    y = _run(m, x)
    if kind == "LSTM":
        return (out, (_concat0(g, hs, "h_n"), _concat0(g, cs, "c_n"))), y
    return (out, _concat0(g, hs, "h_n")), y


@register(nn.RNNCell, nn.LSTMCell, nn.GRUCell)
def _cell(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if x.ndim != 2:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs batched (B, I) input, got {x.shape}")
    kind = _kind(m)
    seq = g.node("Unsqueeze", [x_name, g.ints([0], "axes")], "as_sequence")
    b = (m.bias_ih._data, m.bias_hh._data) if m.bias else (None, None)
    _, hs, cs = _recurrent(g, kind, seq, [(m.weight_ih._data, m.weight_hh._data) + b], m.hidden_size, 1, 1,
                           getattr(m, "nonlinearity", "tanh"))
    axes = g.ints([0], "axes")
    h = g.node("Squeeze", [hs[0], axes], "h")
    if kind == "LSTM":
        return (h, g.node("Squeeze", [cs[0], axes], "c")), _run(m, x)
    return h, _run(m, x)


# ============================================================================= embedding
@register(nn.Embedding)
def _embedding(g: _Graph, m: nn.Embedding, x_name: str, x: Any, path: str):
    """Gather rows of the table by int64 ids. With max_norm, every row of the exported table is renormalised
    beforehand (a copy: the model is untouched), which equals renormalising the looked-up rows at run time."""
    w = np.array(m.weight._data, dtype=np.float32, copy=True)
    if m.max_norm is not None and w.shape[0]:
        _core.embedding_renorm(w, np.arange(w.shape[0]), m.max_norm, m.norm_type)
    return g.node("Gather", [g.const(w, "weight"), x_name], "embedding", axis=0), _run(m, x)


# ============================================================================= attention
def _additive_mask(g: _Graph, name: str, value: Any, heads: int) -> str:
    """An attention mask as the additive float term of the (N, H, L, S) scores: bool True -> -inf, float as is;
    a 3-D (N*H, L, S) mask is viewed as (N, H, L, S)."""
    arr = np.asarray(as_array(value))
    if arr.dtype == np.bool_:
        name = g.node("Where", [name, g.const(np.float32(-np.inf), "neg_inf"), g.const(np.float32(0.0), "zero")],
                      "mask_add")
    if arr.ndim == 3:
        name = _reshape(g, name, [-1, heads] + list(arr.shape[1:]))
    return name


def _mha_graph(g: _Graph, m: nn.MultiheadAttention, q_name: str, k_name: str, v_name: str, path: str,
               batch_first: bool, weights: bool, attn_mask: Optional[Tuple[str, Any]] = None,
               key_padding_mask: Optional[Tuple[str, Any]] = None) -> Tuple[str, Optional[str]]:
    """Attention of ``q_name`` over ``k_name`` / ``v_name`` (equal names share one projection), each (N, L, E)
    when ``batch_first`` else (L, N, E); masks are (graph name, example value) pairs with torch's meaning (bool
    True = not allowed, float = added). Returns the output in the input's layout and, with ``weights``, the
    head-averaged weights (N, L, S)."""
    if not m._qkv_same_embed_dim or m.bias_k is not None or m.add_zero_attn:
        raise ValueError(f"onnx.export: MultiheadAttention at '{path}' exports with torch's defaults "
                         "(kdim = vdim = embed_dim, add_bias_kv=False, add_zero_attn=False)")
    E, H, D = m.embed_dim, m.num_heads, m.head_dim
    w, b = m.in_proj_weight._data, None if m.in_proj_bias is None else m.in_proj_bias._data

    def proj(t: str, lo: int, hi: int) -> str:  # rows lo:hi of the packed in-projection, on batch-major input
        t = t if batch_first else g.node("Transpose", [t], "to_batch_major", perm=[1, 0, 2])
        return _dense(g, t, w[lo:hi], None if b is None else b[lo:hi])

    if q_name == k_name == v_name:
        q, k, v = g.node("Split", [proj(q_name, 0, 3 * E), g.ints([E, E, E], "split")], "qkv", outputs=3, axis=2)
    elif k_name == v_name:
        q = proj(q_name, 0, E)
        k, v = g.node("Split", [proj(k_name, E, 3 * E), g.ints([E, E], "split")], "kv", outputs=2, axis=2)
    else:
        q, k, v = proj(q_name, 0, E), proj(k_name, E, 2 * E), proj(v_name, 2 * E, 3 * E)

    def heads(t: str, perm: List[int]) -> str:  # (N, L, E) -> (N, L, H, D) -> perm
        return g.node("Transpose", [_reshape(g, t, [0, 0, H, D])], "heads", perm=perm)

    scores = g.node("MatMul", [heads(q, [0, 2, 1, 3]), heads(k, [0, 2, 3, 1])], "scores")
    scores = g.node("Mul", [scores, g.const(np.float32(default_scale(D)), "scale")], "scaled")
    if attn_mask is not None:
        scores = g.node("Add", [scores, _additive_mask(g, *attn_mask, H)], "masked")
    if key_padding_mask is not None:  # (N, S) -> (N, 1, 1, S)
        kpm = g.node("Unsqueeze", [_additive_mask(g, *key_padding_mask, H), g.ints([1, 2], "axes")], "kpm")
        scores = g.node("Add", [scores, kpm], "padded")
    attn = g.node("Softmax", [scores], "attn", axis=-1)
    out = g.node("MatMul", [attn, heads(v, [0, 2, 1, 3])], "weighted")
    out = _reshape(g, g.node("Transpose", [out], "merge_heads", perm=[0, 2, 1, 3]), [0, 0, E])
    out = _dense(g, out, m.out_proj.weight._data, None if m.out_proj.bias is None else m.out_proj.bias._data)
    if not batch_first:
        out = g.node("Transpose", [out], "to_time_major", perm=[1, 0, 2])
    wts = g.node("ReduceMean", [attn], "attn_weights", axes=[1], keepdims=0) if weights else None
    return out, wts


def _args(x_name: Any, x: Any, n: int) -> Tuple[List[Any], List[Any]]:
    """A converter's inputs as ``n`` (name, value) slots: one input, or a list from a multi-input export
    (None for an argument not given)."""
    names, values = (list(x_name), list(x)) if isinstance(x_name, (tuple, list)) else ([x_name], [x])
    if len(names) > n:
        raise ValueError(f"onnx.export: expected at most {n} inputs, got {len(names)}")
    return names + [None] * (n - len(names)), values + [None] * (n - len(values))


def _mask(names: List[Any], values: List[Any], i: int) -> Optional[Tuple[str, Any]]:
    return None if names[i] is None else (names[i], values[i])


@register(nn.MultiheadAttention)
def _multihead_attention(g: _Graph, m: nn.MultiheadAttention, x_name: Any, x: Any, path: str):
    """Self-attention ``m(x, x, x)`` for one input, else torch's positional ``(query, key, value[,
    key_padding_mask, None, attn_mask])`` (need_weights stays True). Outputs (attn_output, head-averaged
    attn_weights), as torch's export."""
    names, vals = _args(x_name, x, 6)
    if names[1] is None:
        names[1:3], vals[1:3] = [names[0]] * 2, [vals[0]] * 2
    if names[2] is None or names[4] is not None:
        raise ValueError(f"onnx.export: MultiheadAttention at '{path}' takes x or (query, key, value[, "
                         "key_padding_mask, None, attn_mask])")
    if np.ndim(vals[0]) != 3:
        raise ValueError(f"onnx.export: MultiheadAttention at '{path}' needs batched 3-D input, got shape "
                         f"{np.shape(vals[0])}")
    out, w = _mha_graph(g, m, names[0], names[1], names[2], path, m.batch_first, True, _mask(names, vals, 5),
                        _mask(names, vals, 3))
    return (out, w), m(wrap_tensor(vals[0]), wrap_tensor(vals[1]), wrap_tensor(vals[2]), key_padding_mask=vals[3],
                       attn_mask=vals[5])


_H = Tuple[str, Tensor]  # a (graph name, nnengine value) pair


def _block_graph(g: _Graph, m: Any, path: str, h: _H, blocks: List[Callable[[_H], _H]]) -> _H:
    """The residual blocks of an encoder/decoder layer: post-norm norm_i(h + block_i(h)), or pre-norm
    h + block_i(norm_i(h)) with ``norm_first``; the last block is the feed-forward network."""
    act = nn.ReLU() if m.activation_relu_or_gelu == 1 else nn.GELU()

    def ff(a: _H) -> _H:
        a = _convert(g, m.linear1, *a, _child(path, "linear1"))
        a = _convert(g, act, *a, _child(path, "activation"))
        return _convert(g, m.linear2, *a, _child(path, "linear2"))

    for i, block in enumerate(blocks + [ff], 1):
        norm = getattr(m, f"norm{i}")
        if m.norm_first:
            b = block(_convert(g, norm, *h, _child(path, f"norm{i}")))
            h = g.node("Add", [h[0], b[0]], "residual"), h[1] + b[1]
        else:
            b = block(h)
            h = _convert(g, norm, g.node("Add", [h[0], b[0]], "residual"), h[1] + b[1], _child(path, f"norm{i}"))
    return h


def _attn_block(g: _Graph, attn: nn.MultiheadAttention, path: str, mem: Optional[_H], mask: Optional[Tuple[str, Any]],
                kpm: Optional[Tuple[str, Any]]) -> Callable[[_H], _H]:
    def block(h: _H) -> _H:
        kv = h if mem is None else mem
        name = _mha_graph(g, attn, h[0], kv[0], kv[0], path, attn.batch_first, False, mask, kpm)[0]
        value = attn(h[1], kv[1], kv[1], attn_mask=None if mask is None else mask[1],
                     key_padding_mask=None if kpm is None else kpm[1], need_weights=False)[0]
        return name, value
    return block


def _check_layer(m: Any, x: Any, path: str) -> None:
    if np.ndim(x) != 3 or m.activation_relu_or_gelu == 0:
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' exports batched 3-D input with a relu or "
                         f"gelu activation, got shape {np.shape(x)}")


@register(nn.TransformerEncoderLayer)
def _encoder_layer(g: _Graph, m: nn.TransformerEncoderLayer, x_name: Any, x: Any, path: str):
    """Eval-mode TransformerEncoderLayer on ``src`` or ``(src, src_mask, src_key_padding_mask)`` (masks as graph
    inputs; bool or additive float), composed of the attention graph and the Linear, LayerNorm and ReLU / GELU
    converters."""
    names, vals = _args(x_name, x, 3)
    _check_layer(m, vals[0], path)
    sa = _attn_block(g, m.self_attn, _child(path, "self_attn"), None, _mask(names, vals, 1), _mask(names, vals, 2))
    return _block_graph(g, m, path, (names[0], wrap_tensor(vals[0])), [sa])


@register(nn.TransformerDecoderLayer)
def _decoder_layer(g: _Graph, m: nn.TransformerDecoderLayer, x_name: Any, x: Any, path: str):
    """Eval-mode TransformerDecoderLayer on ``(tgt, memory[, tgt_mask, memory_mask, tgt_key_padding_mask,
    memory_key_padding_mask])``: masked self-attention, attention over memory, feed-forward."""
    names, vals = _args(x_name, x, 6)
    if names[1] is None:
        raise ValueError(f"onnx.export: TransformerDecoderLayer at '{path}' needs (tgt, memory, ...) inputs")
    _check_layer(m, vals[0], path)
    sa = _attn_block(g, m.self_attn, _child(path, "self_attn"), None, _mask(names, vals, 2), _mask(names, vals, 4))
    ca = _attn_block(g, m.multihead_attn, _child(path, "multihead_attn"), (names[1], wrap_tensor(vals[1])),
                     _mask(names, vals, 3), _mask(names, vals, 5))
    return _block_graph(g, m, path, (names[0], wrap_tensor(vals[0])), [sa, ca])


def _stack(g: _Graph, m: Any, names: List[Any], vals: List[Any], path: str) -> _H:
    """TransformerEncoder / TransformerDecoder: every layer on the same extra inputs, then the optional norm."""
    h: _H = (names[0], wrap_tensor(vals[0]))
    for i, layer in enumerate(m.layers):
        h = _convert(g, layer, [h[0]] + names[1:], [h[1]] + vals[1:], _child(path, f"layers.{i}"))
    return h if m.norm is None else _convert(g, m.norm, *h, _child(path, "norm"))


@register(nn.TransformerEncoder)
def _encoder(g: _Graph, m: nn.TransformerEncoder, x_name: Any, x: Any, path: str):
    """``src`` or ``(src, mask, src_key_padding_mask)``."""
    return _stack(g, m, *_args(x_name, x, 3), path)


@register(nn.TransformerDecoder)
def _decoder(g: _Graph, m: nn.TransformerDecoder, x_name: Any, x: Any, path: str):
    """``(tgt, memory[, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask])``."""
    return _stack(g, m, *_args(x_name, x, 6), path)


@register(nn.Transformer)
def _transformer(g: _Graph, m: nn.Transformer, x_name: Any, x: Any, path: str):
    """``(src, tgt[, src_mask, tgt_mask, memory_mask, src_key_padding_mask, tgt_key_padding_mask,
    memory_key_padding_mask])``, torch's argument order; the encoder's output is the decoder's memory."""
    n, v = _args(x_name, x, 8)
    if n[1] is None:
        raise ValueError(f"onnx.export: Transformer at '{path}' needs (src, tgt, ...) inputs")
    mem = _convert(g, m.encoder, [n[0], n[2], n[5]], [v[0], v[2], v[5]], _child(path, "encoder"))
    return _convert(g, m.decoder, [n[1], mem[0], n[3], n[4], n[6], n[7]], [v[1], mem[1], v[3], v[4], v[6], v[7]],
                    _child(path, "decoder"))


# ============================================================================= losses
# A loss exports as the graph (input, target[, ...]) -> loss: a scalar for 'mean' / 'sum' (and KLDivLoss's
# 'batchmean'), the elementwise loss for 'none'.
def _loss_args(m: Module, x_name: Any, x: Any, n: int, path: str) -> Tuple[List[str], List[Any]]:
    names, vals = _args(x_name, x, n)
    if any(v is None for v in names):
        raise ValueError(f"onnx.export: {type(m).__name__} at '{path}' needs {n} inputs (input, target...), got "
                         f"{sum(v is not None for v in names)}")
    return names, vals


def _reduced(g: _Graph, per: str, reduction: str) -> str:
    if reduction == "none":
        return per
    return g.node("ReduceSum" if reduction == "sum" else "ReduceMean", [per], reduction, keepdims=0)


def _sub(g: _Graph, a: str, b: str) -> str:
    return g.node("Sub", [a, b], "diff")


def _mul(g: _Graph, a: str, b: str, hint: str = "mul") -> str:
    return g.node("Mul", [a, b], hint)


def _buffer(v: Any) -> Optional[np.ndarray]:
    return None if v is None else np.asarray(as_array(v), np.float32)


def _weighted(g: _Graph, per: str, weight: Any) -> str:
    w = _buffer(weight)
    return per if w is None else _mul(g, per, g.const(w, "loss_weight"), "weighted")


@register(nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss)
def _pointwise_loss(g: _Graph, m: Any, x_name: Any, x: Any, path: str):
    """(input - target)^2, |input - target|, smooth L1 (beta) and Huber (delta), then the reduction."""
    (a, t), vals = _loss_args(m, x_name, x, 2, path)
    d = _sub(g, a, t)
    if isinstance(m, nn.MSELoss):
        per = _mul(g, d, d, "mse")
    else:
        ad = g.node("Abs", [d], "abs_diff")
        k = m.beta if isinstance(m, nn.SmoothL1Loss) else getattr(m, "delta", None)
        if k is None or k == 0.0:  # L1Loss, and SmoothL1Loss with beta = 0
            per = ad
        else:
            square = _mul(g, _mul(g, d, d), _scalar(g, 0.5 / k if isinstance(m, nn.SmoothL1Loss) else 0.5))
            linear = _sub(g, ad, _scalar(g, 0.5 * k))
            if isinstance(m, nn.HuberLoss):
                linear = _mul(g, linear, _scalar(g, k))
            per = g.node("Where", [g.node("Less", [ad, _scalar(g, k)], "quadratic"), square, linear], "point_loss")
    return _reduced(g, per, m.reduction), m(wrap_tensor(vals[0]), wrap_tensor(vals[1]))


@register(nn.BCELoss)
def _bce(g: _Graph, m: nn.BCELoss, x_name: Any, x: Any, path: str):
    """-(t log p + (1 - t) log(1 - p)), each log clamped at -100 as torch's; times ``weight``."""
    (p, t), vals = _loss_args(m, x_name, x, 2, path)
    lo = _scalar(g, -100.0)
    lp = g.node("Max", [g.node("Log", [p], "log_p"), lo], "log_p_clamped")
    l1p = g.node("Max", [g.node("Log", [_sub(g, _scalar(g, 1.0), p)], "log_1mp"), lo], "log_1mp_clamped")
    s = g.node("Add", [_mul(g, t, lp), _mul(g, _sub(g, _scalar(g, 1.0), t), l1p)], "bce_sum")
    per = _weighted(g, g.node("Neg", [s], "bce"), m.weight)
    return _reduced(g, per, m.reduction), m(wrap_tensor(vals[0]), wrap_tensor(vals[1]))


@register(nn.BCEWithLogitsLoss)
def _bce_logits(g: _Graph, m: nn.BCEWithLogitsLoss, x_name: Any, x: Any, path: str):
    """(1 - t) z + (1 + (pos_weight - 1) t) softplus(-z), softplus(-z) = max(-z, 0) + log(1 + exp(-|z|));
    times ``weight``."""
    (z, t), vals = _loss_args(m, x_name, x, 2, path)
    neg_abs = g.node("Neg", [g.node("Abs", [z], "abs_z")], "neg_abs_z")
    sp = g.node("Add", [g.node("Relu", [g.node("Neg", [z], "neg_z")], "relu_neg_z"),
                        g.node("Log", [g.node("Add", [g.node("Exp", [neg_abs], "exp"), _scalar(g, 1.0)], "one_p")],
                               "log1p")], "softplus_neg_z")
    pw = _buffer(m.pos_weight)
    if pw is not None:  # 1 + (pos_weight - 1) t
        lw = g.node("Add", [_mul(g, g.const(pw - 1.0, "pos_weight_m1"), t), _scalar(g, 1.0)], "log_weight")
        sp = _mul(g, lw, sp)
    per = g.node("Add", [_mul(g, _sub(g, _scalar(g, 1.0), t), z), sp], "bce_logits")
    return _reduced(g, _weighted(g, per, m.weight), m.reduction), m(wrap_tensor(vals[0]), wrap_tensor(vals[1]))


@register(nn.KLDivLoss)
def _kl_div(g: _Graph, m: nn.KLDivLoss, x_name: Any, x: Any, path: str):
    """t (log t - x) with 0 log 0 = 0, or exp(t) (t - x) with ``log_target``; 'batchmean' divides the sum by
    the (dynamic) batch size."""
    (a, t), vals = _loss_args(m, x_name, x, 2, path)
    if m.log_target:
        per = _mul(g, g.node("Exp", [t], "exp_t"), _sub(g, t, a))
    else:
        tlogt = g.node("Where", [g.node("Equal", [t, _scalar(g, 0.0)], "t_zero"), _scalar(g, 0.0),
                                 _mul(g, t, g.node("Log", [t], "log_t"))], "xlogy")
        per = _sub(g, tlogt, _mul(g, t, a))
    if m.reduction == "batchmean":
        n = g.node("Gather", [g.node("Shape", [a], "shape"), g.ints([0], "batch_axis")], "batch", axis=0)
        n = g.node("Cast", [g.node("Squeeze", [n], "batch_scalar")], "batch_f", to=g.onnx.TensorProto.FLOAT)
        out = g.node("Div", [_reduced(g, per, "sum"), n], "batchmean")
    else:
        out = _reduced(g, per, m.reduction)
    return out, m(wrap_tensor(vals[0]), wrap_tensor(vals[1]))


def _eq(g: _Graph, t: str, v: float) -> str:
    return g.node("Cast", [g.node("Equal", [t, _scalar(g, v)], "eq")], "eq_f", to=g.onnx.TensorProto.FLOAT)


@register(nn.CosineEmbeddingLoss, nn.MarginRankingLoss)
def _margin_pair(g: _Graph, m: Any, x_name: Any, x: Any, path: str):
    """(input1, input2, target): 1 - cos where t = 1, max(0, cos - margin) where t = -1 (cosine over the last
    dimension, 1e-12 in each squared norm); or max(0, -t (x1 - x2) + margin)."""
    (a, b, t), vals = _loss_args(m, x_name, x, 3, path)
    margin = _scalar(g, float(m.margin), "margin")
    if isinstance(m, nn.MarginRankingLoss):
        per = g.node("Relu", [g.node("Add", [g.node("Neg", [_mul(g, t, _sub(g, a, b))], "neg"), margin], "m")],
                     "margin_ranking")
    else:
        def dot(u: str, v: str) -> str:
            return g.node("ReduceSum", [_mul(g, u, v), g.ints([-1], "axes")], "dot", keepdims=0)

        eps = _scalar(g, 1e-12, "eps")
        norms = _mul(g, g.node("Add", [dot(a, a), eps], "n1"), g.node("Add", [dot(b, b), eps], "n2"))
        cos = g.node("Div", [dot(a, b), g.node("Sqrt", [norms], "norm")], "cos")
        pos = _mul(g, _sub(g, _scalar(g, 1.0), cos), _eq(g, t, 1.0))
        neg = _mul(g, g.node("Relu", [_sub(g, cos, margin)], "hinge"), _eq(g, t, -1.0))
        per = g.node("Add", [pos, neg], "cosine_embedding")
    return _reduced(g, per, m.reduction), m(wrap_tensor(vals[0]), wrap_tensor(vals[1]), wrap_tensor(vals[2]))


@register(nn.NLLLoss, nn.CrossEntropyLoss)
def _nll_ce(g: _Graph, m: Any, x_name: Any, x: Any, path: str):
    """NegativeLogLikelihoodLoss (weight, ignore_index, reduction) on the input, or on LogSoftmax over the class
    axis for CrossEntropyLoss; label smoothing adds -(eps / C) sum_c w_c log p_c per non-ignored element, and
    float targets shaped like the input are class probabilities. Unbatched (C,) input gets a batch of one."""
    (a, t), vals = _loss_args(m, x_name, x, 2, path)
    xv, tv = vals
    tarr = np.asarray(as_array(tv))
    probs = isinstance(m, nn.CrossEntropyLoss) and tarr.dtype.kind == "f"
    C, nd = np.shape(xv)[1 if np.ndim(xv) > 1 else 0], np.ndim(xv)
    unbatched = nd == 1
    if unbatched:
        a = g.node("Unsqueeze", [a, g.ints([0], "axes")], "batch1")
        t = g.node("Unsqueeze", [t, g.ints([0], "axes")], "batch1")
        nd = 2
    logp = g.node("LogSoftmax", [a], "log_softmax", axis=1) if isinstance(m, nn.CrossEntropyLoss) else a
    w = _buffer(m.weight)
    eps = float(getattr(m, "label_smoothing", 0.0))
    wshape = (1, C) + (1,) * (nd - 2)

    def class_sum(v: str) -> str:  # sum over the class axis of v * weight
        v = v if w is None else _mul(g, v, g.const(w.reshape(wshape), "class_weight"))
        return g.node("ReduceSum", [v, g.ints([1], "axes")], "class_sum", keepdims=0)

    if probs:
        tp = t
        if eps > 0:
            tp = g.node("Add", [_mul(g, t, _scalar(g, 1.0 - eps)), _scalar(g, eps / C)], "smoothed")
        per = g.node("Neg", [class_sum(_mul(g, tp, logp))], "ce_probs")
        out = g.node("ReduceMean", [per], "mean", keepdims=0) if m.reduction == "mean" else _reduced(g, per,
                                                                                                   m.reduction)
    elif eps == 0.0:
        ins = [logp, t] + ([g.const(w, "class_weight")] if w is not None else [])
        out = g.node("NegativeLogLikelihoodLoss", ins, "nll", reduction=m.reduction, ignore_index=int(m.ignore_index))
    else:
        ins = [logp, t] + ([g.const(w, "class_weight")] if w is not None else [])
        nll = g.node("NegativeLogLikelihoodLoss", ins, "nll", reduction="none", ignore_index=int(m.ignore_index))
        valid = g.node("Not", [g.node("Equal", [t, g.const(np.int64(m.ignore_index), "ignore", np.int64)], "ign")],
                       "valid")
        valid_f = g.node("Cast", [valid], "valid_f", to=g.onnx.TensorProto.FLOAT)
        smooth = _mul(g, g.node("Neg", [class_sum(logp)], "smooth"), _mul(g, valid_f, _scalar(g, 1.0 / C)))
        per = g.node("Add", [_mul(g, nll, _scalar(g, 1.0 - eps)), _mul(g, smooth, _scalar(g, eps))], "ce_smooth")
        if m.reduction == "mean":  # sum / sum of the non-ignored elements' class weights
            if w is None:
                row_w = valid_f
            else:
                safe_t = g.node("Where", [valid, t, g.const(np.int64(0), "zero_id", np.int64)], "safe_target")
                row_w = _mul(g, g.node("Gather", [g.const(w, "class_weight"), safe_t], "row_weight", axis=0), valid_f)
            out = g.node("Div", [_reduced(g, per, "sum"), _reduced(g, row_w, "sum")], "mean")
        else:
            out = _reduced(g, per, m.reduction)
    if unbatched and m.reduction == "none":
        out = g.node("Squeeze", [out, g.ints([0], "axes")], "unbatch")
    return out, m(wrap_tensor(xv), tv if not probs else wrap_tensor(tv))


# ============================================================================= models
@register(_models.LogisticRegression)
def _logreg(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    return _convert(g, m.linear, x_name, x, _child(path, "linear"))


@register(_models.MLP)
def _mlp(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    if x.ndim > 2:
        x_name, x = _flatten(g, x_name, tuple(x.shape), 1, -1), x.flatten(1)
    return _convert(g, m.layers, x_name, x, _child(path, "layers"))


def _register_optional_models() -> None:
    lenet = getattr(_models, "LeNet5", None)
    if lenet is not None:
        register(lenet)(_lenet5)
    char_lstm = getattr(_models, "CharLSTM", None)
    if char_lstm is not None:
        register(char_lstm)(_char_lstm)


def _lenet5(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    def block(x_name: str, x: Any, layer: str, bn: str):
        x_name, x = _convert(g, getattr(m, layer), x_name, x, _child(path, layer))
        if m.batch_norm:
            x_name, x = _convert(g, getattr(m, bn), x_name, x, _child(path, bn))
        return _activation(g, m.activation, x_name), getattr(F, m.activation)(x)

    x_name, x = _convert(g, m.pool, *block(x_name, x, "conv1", "bn1"), _child(path, "pool"))
    x_name, x = _convert(g, m.pool, *block(x_name, x, "conv2", "bn2"), _child(path, "pool"))
    x_name, x = _convert(g, m.flatten, x_name, x, _child(path, "flatten"))
    x_name, x = block(x_name, x, "fc1", "bn3")  # dropout is the identity at inference
    x_name, x = block(x_name, x, "fc2", "bn4")
    return _convert(g, m.fc3, x_name, x, _child(path, "fc3"))


def _char_lstm(g: _Graph, m: Module, x_name: str, x: Any, path: str):
    """ids (B, T) int64 -> one-hot by Gather from an identity matrix -> LSTM -> logits; outputs h_n, c_n."""
    eye = g.const(np.eye(m.vocab_size, dtype=np.float32), "one_hot")
    onehot = g.node("Gather", [eye, x_name], "one_hot", axis=0)
    xo = Tensor(np.eye(m.vocab_size, dtype=np.float32)[np.asarray(x)])
    (out, (h, c)), (y, _) = _convert(g, m.lstm, onehot, xo, _child(path, "lstm"))
    logits, _ = _convert(g, m.head, out, y, _child(path, "head"))
    return (logits, (h, c)), _run(m, x)


_register_optional_models()


# ============================================================================= export
_SEQ_FIRST = (nn.RNNBase, nn.MultiheadAttention, nn.TransformerEncoderLayer, nn.TransformerDecoderLayer,
              nn.TransformerEncoder, nn.TransformerDecoder, nn.Transformer)  # (L, N, ...) unless batch_first
_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.BCELoss, nn.BCEWithLogitsLoss, nn.KLDivLoss,
           nn.CosineEmbeddingLoss, nn.MarginRankingLoss, nn.NLLLoss, nn.CrossEntropyLoss)
# the batch axis of each positional input of a sequence model: "seq" = a sequence (dim 1 when time-major),
# None = none (an (L, S) attention mask), 0 = a (N, S) key padding mask
_SEQ_INPUT_AXES: Dict[type, Tuple[Any, ...]] = {
    nn.MultiheadAttention: ("seq", "seq", "seq", 0, None, None),
    nn.TransformerEncoderLayer: ("seq", None, 0), nn.TransformerEncoder: ("seq", None, 0),
    nn.TransformerDecoderLayer: ("seq", "seq", None, None, 0, 0), nn.TransformerDecoder: ("seq", "seq", None, None, 0, 0),
    nn.Transformer: ("seq", "seq", None, None, None, 0, 0, 0),
}


def _batch_first(model: Module) -> bool:
    if isinstance(model, (nn.TransformerEncoderLayer, nn.TransformerDecoderLayer)):
        return model.self_attn.batch_first
    if isinstance(model, (nn.TransformerEncoder, nn.TransformerDecoder)):
        return _batch_first(model.layers[0]) if len(model.layers) else True
    return getattr(model, "batch_first", True)


def _batch_axes(model: Module, values: List[Any]) -> List[Optional[int]]:
    """The batch dimension of each input (None: none), for ``dynamic_batch``."""
    if isinstance(model, _LOSSES):
        return [0 if np.ndim(v) else None for v in values]
    seq = 1 if isinstance(model, _SEQ_FIRST) and not _batch_first(model) else 0
    kinds = _SEQ_INPUT_AXES.get(type(model), ())
    return [seq if i >= len(kinds) or kinds[i] == "seq" else kinds[i] for i in range(len(values))]


def _flat(names: Any, values: Any) -> List[Tuple[str, Any]]:
    if isinstance(names, (tuple, list)):
        return [pair for n, v in zip(names, values) for pair in _flat(n, v)]
    return [(names, values)]


def _elem_type(onnx: Any, arr: np.ndarray) -> int:
    if arr.dtype == np.bool_:
        return onnx.TensorProto.BOOL
    if arr.dtype.kind in "iu":
        return onnx.TensorProto.INT64
    return onnx.TensorProto.FLOAT


def _example(v: Any, where: str) -> Tuple[Any, np.ndarray]:
    """An example input as (value for the model, array for the graph): float -> float32 Tensor, integer ->
    int64 array, bool -> bool array."""
    arr = as_array(v)
    if arr.dtype.kind == "f":
        arr = np.asarray(arr, np.float32)
        return Tensor(arr), arr
    if arr.dtype.kind in "iu":
        arr = arr.astype(np.int64)
        return arr, arr
    if arr.dtype == np.bool_:
        return arr, arr
    raise TypeError(f"{where}: expected a float, integer or bool array, got dtype {arr.dtype}")


def _forward_names(model: Module, n: int) -> List[str]:
    import inspect

    try:
        params = [p.name for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        params = []
    return [params[i] if i < len(params) else f"input_{i}" for i in range(n)]


_TORCH_IGNORED = ("export_params", "verbose", "training", "do_constant_folding", "keep_initializers_as_inputs",
                  "dynamo", "external_data", "optimize", "verify", "report", "profile", "operator_export_type",
                  "custom_opsets", "export_modules_as_functions", "autograd_inlining", "dump_exported_program",
                  "artifacts_dir", "fallback", "dynamic_shapes", "custom_translation_table")


def export(model: Module, example_input: Any, path: str, input_names: Optional[Sequence[str]] = None,
           output_names: Optional[Sequence[str]] = None, dynamic_batch: bool = True, opset: int = OPSET,
           constant_inputs: Sequence[int] = (), *, opset_version: Optional[int] = None,
           dynamic_axes: Optional[Mapping[str, Any]] = None, **torch_options: Any) -> None:
    """Write ``model``'s inference graph (eval mode) for inputs like ``example_input`` to ``path`` (ONNX).

    ``example_input``: a Tensor or numpy array (float32; integer ids for Embedding / CharLSTM), or a tuple of
    them for a model with several inputs, in its ``forward``'s positional order: a loss's ``(input, target)``
    (class ids as integers), ``(src, tgt, src_mask, tgt_mask, ...)`` for a Transformer (None skips an
    argument; bool masks stay bool inputs). ``constant_inputs`` lists tuple positions baked into the graph as
    constants instead of inputs (e.g. a causal ``tgt_mask``). ``input_names`` name the graph inputs (default
    ``["input"]``, or the ``forward`` parameter names for a tuple); ``output_names`` default to
    ``["output"]`` (``output_0, output_1, ...`` for several outputs, e.g. an LSTM's output, h_n, c_n).
    ``dynamic_batch`` makes the batch dimension symbolic (dim 1 for time-major sequence models, none for
    an (L, S) attention mask). The model is put in eval mode for the export and restored after.
    Raises NotImplementedError naming the first layer without an ONNX conversion.

    ``torch.onnx.export``'s keywords are taken, so its calls run with the imports changed: ``dynamic_axes`` (any
    entry: the batch dimension is symbolic, as ``dynamic_batch``; an empty dict: fixed), ``opset_version`` (the graph
    is written with opset 17's operators whatever is asked; another value warns), and ``export_params``,
    ``do_constant_folding``, ``verbose``, ``dynamo``, ``training``... accepted and ignored (weights are always
    written, constants always folded).

    Example:
        >>> model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(1))
        >>> export(model, ne.randn(1, 4), "model.onnx", input_names=["features"], output_names=["probs"])
        >>> import onnx
        >>> [o.name for o in onnx.load("model.onnx").graph.output]
        ['probs']
        >>> export(nn.CrossEntropyLoss(label_smoothing=0.1), (ne.randn(4, 3), np.array([0, 2, 1, 1])), "ce.onnx")
        >>> [i.name for i in onnx.load("ce.onnx").graph.input]
        ['input', 'target']
    """
    from .io import atomic_write

    if not isinstance(model, Module):
        raise TypeError(f"model: expected an nnengine Module, got {type(model).__name__}")
    if torch_options.pop("kwargs", None):  # torch's keyword inputs of forward: not traced here, so not ignored
        raise ValueError("kwargs: keyword inputs of forward are not exportable; pass the inputs positionally")
    unknown = sorted(set(torch_options) - set(_TORCH_IGNORED))
    if unknown:
        raise TypeError(f"export() got an unexpected keyword argument {unknown[0]!r}")
    if opset_version is not None:
        if isinstance(opset_version, bool) or not isinstance(opset_version, int):
            raise TypeError(f"opset_version: expected an int, got {type(opset_version).__name__}")
        if opset_version != OPSET:
            import warnings

            warnings.warn(f"onnx.export: nnengine writes opset {OPSET} graphs; opset_version={opset_version} is not "
                          "used", UserWarning, stacklevel=2)
    if dynamic_axes is not None:
        if not isinstance(dynamic_axes, Mapping):
            raise TypeError(f"dynamic_axes: expected a dict, got {type(dynamic_axes).__name__}")
        dynamic_batch = bool(dynamic_axes)
    onnx = _onnx()
    multi = isinstance(example_input, (tuple, list))
    raw = list(example_input) if multi else [example_input]
    consts = set(int(i) for i in constant_inputs)
    if any(not 0 <= i < len(raw) or raw[i] is None for i in consts):
        raise ValueError(f"constant_inputs: expected positions of given example inputs in [0, {len(raw)}), "
                         f"got {sorted(consts)}")
    examples = [None if v is None else _example(v, f"example_input[{i}]" if multi else "example_input")
                for i, v in enumerate(raw)]
    default = _forward_names(model, len(raw)) if multi else ["input"]
    graph_pos = [i for i, e in enumerate(examples) if e is not None and i not in consts]
    given = list(input_names) if input_names else []
    if len(given) > len(graph_pos):
        raise ValueError(f"input_names: the export has {len(graph_pos)} graph inputs, got {len(given)} names")
    in_names = {i: (given[k] if k < len(given) else default[i]) for k, i in enumerate(graph_pos)}
    g = _Graph(onnx)
    names: List[Any] = []
    for i, e in enumerate(examples):
        if e is None:
            names.append(None)
        elif i in consts:
            names.append(g.const(e[1], "constant_input", e[1].dtype))
        else:
            names.append(g.node("Identity", [in_names[i]], "x"))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            values = [None if e is None else e[0] for e in examples]
            out_names, out_values = _convert(g, model, names if multi else names[0], values if multi else values[0],
                                             "")
    finally:
        model.train(was_training)
    outs = _flat(out_names, out_values)
    if output_names is None:
        output_names = ["output"] if len(outs) == 1 else [f"output_{i}" for i in range(len(outs))]
    if len(output_names) != len(outs):
        raise ValueError(f"output_names: the model has {len(outs)} outputs, got {len(output_names)} names")
    axes = _batch_axes(model, [None if e is None else e[1] for e in examples])

    def shape(a: np.ndarray, axis: Optional[int]) -> List[Any]:
        dims: List[Any] = list(a.shape)
        if dynamic_batch and axis is not None and a.ndim > axis:
            dims[axis] = "batch"
        return dims

    graph_inputs = [onnx.helper.make_tensor_value_info(in_names[i], _elem_type(onnx, examples[i][1]),
                                                       shape(examples[i][1], axes[i])) for i in graph_pos]
    graph_outputs = []
    for (n, v), out_name in zip(outs, output_names):
        g.nodes.append(onnx.helper.make_node("Identity", [n], [out_name]))
        v = np.asarray(as_array(v))
        dims = [None] * v.ndim if dynamic_batch else list(v.shape)
        graph_outputs.append(onnx.helper.make_tensor_value_info(out_name, _elem_type(onnx, v), dims))
    graph = onnx.helper.make_graph(g.nodes, type(model).__name__, graph_inputs, graph_outputs, initializer=g.inits)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", int(opset))],
                                   producer_name="nnengine")
    proto.ir_version = min(proto.ir_version, 8)  # readable by older onnxruntime releases too
    onnx.checker.check_model(proto)
    atomic_write(path, [proto.SerializeToString()])
