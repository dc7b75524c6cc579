"""PyTorch interop: convert a torch ``nn.Sequential`` (nested too) to nnengine and back.

nnengine layers share PyTorch's parameter names, shapes and gate orders, so weights move with
``layer.load_state_dict(torch_layer.state_dict())`` (Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d, BatchNorm1d/2d/3d, RNN, LSTM, GRU,
RNNCell, LSTMCell, GRUCell, Embedding, and any nesting of them). ``from_torch`` builds the nnengine twin of a torch module tree made of
Sequential, Linear, Conv1d/2d/3d, ConvTranspose1d/2d/3d, MaxPool2d/3d, AvgPool2d/3d, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softplus, Softmax,
LogSoftmax, Flatten, Unflatten, Dropout, BatchNorm1d/2d/3d, Identity, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell,
Embedding, MultiheadAttention, LayerNorm, GroupNorm, InstanceNorm1d/2d/3d, GELU, SiLU, Mish, Softplus(beta, threshold),
Hardtanh, ReLU6, Hardswish, Hardsigmoid, Softsign and PReLU (and MaxPool1d, AvgPool1d, AdaptiveAvg/MaxPool1d/2d/3d,
Upsample, the padding layers, Dropout1d/2d, PixelShuffle/PixelUnshuffle, CosineSimilarity, PairwiseDistance) and the Transformer family (encoder/decoder layers, stacks,
nn.Transformer; relu or gelu), with the
same weights, state_dict keys and train/eval mode; ``to_torch`` goes the other way. torch is imported only
inside these two functions, never when nnengine is imported.

One table drives both directions: a layer class name (the same in ``torch.nn`` and ``nnengine.nn``) maps to
one function ``fn(m, ns, path)`` registered with ``@_register(name, ...)`` that builds the twin of ``m`` from
the namespace ``ns`` (the attribute names are the same on both sides); adding a layer is one registered
function.

Example:
    >>> import torch
    >>> tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> model = ne.interop.from_torch(tm)  # same weights, same outputs
    >>> type(ne.interop.to_torch(model)[2]).__name__
    'Linear'
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Dict, NamedTuple, Tuple

import numpy as np

from . import nn
from .nn.module import Module

__all__ = ["from_torch", "to_torch"]


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("nnengine.interop needs PyTorch (torch) installed") from e
    return torch


def _pair(v: Any) -> Tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _unsupported(m: Any, path: str, why: str = "") -> TypeError:
    where = f" at '{path}'" if path else ""
    return TypeError(f"layer {type(m).__name__}{where} is not supported{': ' + why if why else ''}")


# ----------------------------------------------------------------------------- the converter registry
class _Converter(NamedTuple):
    fn: Callable[[Any, Any, str], Any]
    subclasses: bool  # from torch, a subclass of the torch layer converts too (isinstance)


# layer class name (the same in torch.nn and nnengine.nn) -> fn(m, ns, path): the twin of ``m`` built from the
# namespace ``ns`` (nnengine.nn from torch, torch.nn to torch), without weights; the attribute names are the same
# on both sides, so one function serves both directions (``ns is nn`` tells them apart where they differ).
_CONVERTERS: Dict[str, _Converter] = {}


def _register(*names: str, subclasses: bool = False) -> Callable:
    """Decorator: ``fn(m, ns, path)`` converts the layers ``names`` in both directions."""

    def deco(fn: Callable[[Any, Any, str], Any]) -> Callable[[Any, Any, str], Any]:
        for name in names:
            _CONVERTERS[name] = _Converter(fn, subclasses)
        return fn

    return deco


def _twin(m: Any, src: Any, dst: Any, path: str) -> Any:
    """The twin in ``dst`` of ``m``, an instance of a registered layer of the namespace ``src``."""
    for klass in type(m).__mro__:
        conv = _CONVERTERS.get(klass.__name__)
        if conv is not None and klass is getattr(src, klass.__name__, None):
            if klass is type(m) or (conv.subclasses and dst is nn):
                return conv.fn(m, dst, path)
    raise _unsupported(m, path)


def _kind(m: Any) -> str:
    """The registered class name ``m`` converts as (its own, or a torch base class's for ``subclasses``)."""
    return next(k.__name__ for k in type(m).__mro__ if k.__name__ in _CONVERTERS)


def _pool_args(m: Any, path: str) -> Tuple[Any, Any, Any]:
    if getattr(m, "dilation", 1) not in (1, (1, 1)) or getattr(m, "return_indices", False):
        raise _unsupported(m, path, "dilation/return_indices")
    return m.kernel_size, m.stride, m.padding


def _zeros_padding(m: Any, path: str) -> None:
    if getattr(m, "padding_mode", "zeros") != "zeros":
        raise _unsupported(m, path, f"padding_mode={m.padding_mode!r}")


@_register("ReLU", "Sigmoid", "Tanh", "Identity")
def _no_args(m: Any, ns: Any, path: str) -> Any:
    return getattr(ns, _kind(m))()


@_register("Linear", subclasses=True)
def _linear(m: Any, ns: Any, path: str) -> Any:
    return ns.Linear(m.in_features, m.out_features, bias=m.bias is not None)


@_register("Conv2d", subclasses=True)
def _conv2d(m: Any, ns: Any, path: str) -> Any:
    pad = m.padding if isinstance(m.padding, str) else _pair(m.padding)
    return ns.Conv2d(m.in_channels, m.out_channels, _pair(m.kernel_size), _pair(m.stride), pad, _pair(m.dilation),
                     m.groups, bias=m.bias is not None, padding_mode=m.padding_mode)


@_register("Conv1d", subclasses=True)
def _conv1d(m: Any, ns: Any, path: str) -> Any:
    return ns.Conv1d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                     bias=m.bias is not None, padding_mode=m.padding_mode)


@_register("Conv3d", subclasses=True)
def _conv3d(m: Any, ns: Any, path: str) -> Any:
    return ns.Conv3d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                     bias=m.bias is not None, padding_mode=m.padding_mode)


@_register("MaxPool3d", "AvgPool3d")
def _pool3d(m: Any, ns: Any, path: str) -> Any:
    if _kind(m) == "AvgPool3d":
        return ns.AvgPool3d(m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode,
                            count_include_pad=m.count_include_pad, divisor_override=m.divisor_override)
    return ns.MaxPool3d(m.kernel_size, m.stride, m.padding, m.dilation, m.return_indices, m.ceil_mode)


@_register("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d", subclasses=True)
def _conv_transpose(m: Any, ns: Any, path: str) -> Any:
    _zeros_padding(m, path)
    return getattr(ns, _kind(m))(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                                 m.output_padding, m.groups, bias=m.bias is not None, dilation=m.dilation)


@_register("MaxPool2d", subclasses=True)
def _maxpool2d(m: Any, ns: Any, path: str) -> Any:
    if ns is nn:
        return nn.MaxPool2d(*_pool_args(m, path), ceil_mode=m.ceil_mode)
    return ns.MaxPool2d(m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode)


@_register("AvgPool2d", subclasses=True)
def _avgpool2d(m: Any, ns: Any, path: str) -> Any:
    args = _pool_args(m, path) if ns is nn else (m.kernel_size, m.stride, m.padding)
    return ns.AvgPool2d(*args, ceil_mode=m.ceil_mode, count_include_pad=m.count_include_pad,
                        divisor_override=m.divisor_override)


@_register("MaxPool1d", "AvgPool1d")
def _pool1d(m: Any, ns: Any, path: str) -> Any:
    args = _pool_args(m, path) if ns is nn else (m.kernel_size, m.stride, m.padding)
    if _kind(m) == "AvgPool1d":
        return ns.AvgPool1d(*args, ceil_mode=m.ceil_mode, count_include_pad=m.count_include_pad)
    return ns.MaxPool1d(*args, ceil_mode=m.ceil_mode)


@_register("AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d")
def _adaptive_avg(m: Any, ns: Any, path: str) -> Any:
    return getattr(ns, _kind(m))(m.output_size)


@_register("AdaptiveMaxPool1d", "AdaptiveMaxPool2d", "AdaptiveMaxPool3d")
def _adaptive_max(m: Any, ns: Any, path: str) -> Any:
    return getattr(ns, _kind(m))(m.output_size, m.return_indices)


@_register("Upsample")
def _upsample(m: Any, ns: Any, path: str) -> Any:
    return ns.Upsample(m.size, m.scale_factor, m.mode, m.align_corners, m.recompute_scale_factor)


@_register("UpsamplingNearest2d", "UpsamplingBilinear2d")
def _upsampling(m: Any, ns: Any, path: str) -> Any:
    if ns is nn:  # nnengine reads torch's as the Upsample they are
        return _upsample(m, ns, path)
    return getattr(ns, _kind(m))(m.size, m.scale_factor)


@_register("ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d")
def _pad(m: Any, ns: Any, path: str) -> Any:
    name = _kind(m)
    return getattr(ns, name)(m.padding, *((m.value,) if name.startswith("Constant") else ()))


@_register("PixelShuffle")
def _pixel_shuffle(m: Any, ns: Any, path: str) -> Any:
    return ns.PixelShuffle(m.upscale_factor)


@_register("PixelUnshuffle")
def _pixel_unshuffle(m: Any, ns: Any, path: str) -> Any:
    return ns.PixelUnshuffle(m.downscale_factor)


@_register("CosineSimilarity")
def _cosine_similarity(m: Any, ns: Any, path: str) -> Any:
    return ns.CosineSimilarity(m.dim, m.eps)


@_register("PairwiseDistance")
def _pairwise_distance(m: Any, ns: Any, path: str) -> Any:
    return ns.PairwiseDistance(m.norm, m.eps, m.keepdim)


@_register("Dropout", subclasses=True)
def _dropout(m: Any, ns: Any, path: str) -> Any:
    return ns.Dropout(m.p)


@_register("Dropout1d", "Dropout2d")
def _channel_dropout(m: Any, ns: Any, path: str) -> Any:
    return getattr(ns, _kind(m))(m.p)


@_register("BatchNorm1d", "BatchNorm2d", "BatchNorm3d", subclasses=True)
def _batchnorm(m: Any, ns: Any, path: str) -> Any:
    return getattr(ns, _kind(m))(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)


@_register("LeakyReLU", subclasses=True)
def _leaky_relu(m: Any, ns: Any, path: str) -> Any:
    return ns.LeakyReLU(m.negative_slope)


@_register("ELU", subclasses=True)
def _elu(m: Any, ns: Any, path: str) -> Any:
    return ns.ELU(m.alpha)


@_register("Softmax", "LogSoftmax", subclasses=True)
def _softmax(m: Any, ns: Any, path: str) -> Any:
    return getattr(ns, _kind(m))(dim=m.dim)  # (dim=None: torch's implicit dim, in both engines)


@_register("Flatten", subclasses=True)
def _flatten(m: Any, ns: Any, path: str) -> Any:
    return ns.Flatten(m.start_dim, m.end_dim)


@_register("Unflatten", subclasses=True)
def _unflatten(m: Any, ns: Any, path: str) -> Any:
    return ns.Unflatten(m.dim, m.unflattened_size)


def _rnn_args(m: Any) -> Dict[str, Any]:
    kw = dict(num_layers=m.num_layers, bias=m.bias, batch_first=m.batch_first, dropout=float(m.dropout),
              bidirectional=m.bidirectional)
    if getattr(m, "proj_size", 0):
        kw["proj_size"] = m.proj_size
    return kw


@_register("RNN", "LSTM", "GRU")
def _rnn(m: Any, ns: Any, path: str) -> Any:
    name = _kind(m)
    if name == "RNN":
        return ns.RNN(m.input_size, m.hidden_size, nonlinearity=m.nonlinearity, **_rnn_args(m))
    return getattr(ns, name)(m.input_size, m.hidden_size, **_rnn_args(m))


@_register("RNNCell")
def _rnn_cell(m: Any, ns: Any, path: str) -> Any:
    return ns.RNNCell(m.input_size, m.hidden_size, m.bias, m.nonlinearity)


@_register("LSTMCell", "GRUCell")
def _gated_cell(m: Any, ns: Any, path: str) -> Any:
    return getattr(ns, _kind(m))(m.input_size, m.hidden_size, m.bias)


def _embedding_args(m: Any, path: str) -> Dict[str, Any]:
    """Embedding's constructor arguments, read from a torch or an nnengine instance (same attributes)."""
    if m.sparse:
        raise _unsupported(m, path, "sparse=True")
    return dict(num_embeddings=m.num_embeddings, embedding_dim=m.embedding_dim, padding_idx=m.padding_idx,
                max_norm=m.max_norm, norm_type=m.norm_type, scale_grad_by_freq=m.scale_grad_by_freq)


@_register("Embedding")
def _embedding(m: Any, ns: Any, path: str) -> Any:
    if ns is nn:
        return nn.Embedding(**_embedding_args(m, path), _freeze=not m.weight.requires_grad)
    out = ns.Embedding(**_embedding_args(m, path))
    out.weight.requires_grad_(m.weight.requires_grad)
    return out


@_register("MultiheadAttention")
def _mha(m: Any, ns: Any, path: str) -> Any:
    return ns.MultiheadAttention(embed_dim=m.embed_dim, num_heads=m.num_heads, dropout=float(m.dropout),
                                 bias=m.in_proj_bias is not None, add_bias_kv=m.bias_k is not None,
                                 add_zero_attn=m.add_zero_attn, kdim=m.kdim, vdim=m.vdim, batch_first=m.batch_first)


def _norm_kw(m: Any) -> Dict[str, Any]:
    return dict(eps=m.eps, bias=m.bias is not None or not getattr(m, "affine", getattr(m, "elementwise_affine", 1)))


def _mirrored(name: str, args: Callable[[Any], Dict[str, Any]]) -> None:
    """Register ``name``, a layer whose constructor arguments ``args(m)`` are attributes of the same names in
    torch and nnengine (array arguments, e.g. loss weights, move as torch tensors / numpy arrays)."""

    def convert(m: Any, ns: Any, path: str) -> Any:
        kw = args(m)
        if ns is not nn:
            kw = {k: _torch().from_numpy(np.array(v, copy=True)) if isinstance(v, np.ndarray) else v
                  for k, v in kw.items()}
        else:
            kw = {k: v.detach().cpu().numpy() if hasattr(v, "detach") else v for k, v in kw.items()}
        return getattr(ns, name)(**kw)

    _register(name)(convert)


def _layer_norm_args(m: Any) -> Dict[str, Any]:
    return dict(normalized_shape=tuple(m.normalized_shape), elementwise_affine=m.elementwise_affine, **_norm_kw(m))


for _name, _args in {
    "LayerNorm": _layer_norm_args,
    "GroupNorm": lambda m: dict(num_groups=m.num_groups, num_channels=m.num_channels, affine=m.affine, **_norm_kw(m)),
    **{f"InstanceNorm{d}d": (lambda m: dict(num_features=m.num_features, momentum=m.momentum, affine=m.affine,
                                            track_running_stats=m.track_running_stats, **_norm_kw(m)))
       for d in (1, 2, 3)},
    "GELU": lambda m: dict(approximate=m.approximate),
    "Softplus": lambda m: dict(beta=m.beta, threshold=m.threshold),
    "Hardtanh": lambda m: dict(min_val=m.min_val, max_val=m.max_val, inplace=m.inplace),
    "PReLU": lambda m: dict(num_parameters=m.num_parameters, init=m.init),
    **{n: (lambda m: dict(inplace=m.inplace)) for n in ("SiLU", "Mish", "Hardswish", "Hardsigmoid", "ReLU6")},
    "Softsign": lambda m: {},
    # losses: weight / pos_weight are buffers (arrays or torch tensors)
    "MSELoss": lambda m: dict(reduction=m.reduction),
    "L1Loss": lambda m: dict(reduction=m.reduction),
    "SmoothL1Loss": lambda m: dict(reduction=m.reduction, beta=m.beta),
    "HuberLoss": lambda m: dict(reduction=m.reduction, delta=m.delta),
    "KLDivLoss": lambda m: dict(reduction=m.reduction, log_target=m.log_target),
    "CosineEmbeddingLoss": lambda m: dict(margin=m.margin, reduction=m.reduction),
    "MarginRankingLoss": lambda m: dict(margin=m.margin, reduction=m.reduction),
    "BCELoss": lambda m: dict(weight=m.weight, reduction=m.reduction),
    "BCEWithLogitsLoss": lambda m: dict(weight=m.weight, reduction=m.reduction, pos_weight=m.pos_weight),
    "CrossEntropyLoss": lambda m: dict(weight=m.weight, ignore_index=m.ignore_index, reduction=m.reduction,
                                       label_smoothing=m.label_smoothing),
    "NLLLoss": lambda m: dict(weight=m.weight, ignore_index=m.ignore_index, reduction=m.reduction),
}.items():
    _mirrored(_name, _args)


def _relu_or_gelu(layer: Any) -> int:
    """An encoder/decoder layer's activation as torch's flag (1 relu, 2 exact gelu, 0 other); torch's
    TransformerDecoderLayer keeps only the callable, so it is read from ``layer.activation`` there."""
    flag = getattr(layer, "activation_relu_or_gelu", None)
    if flag is not None:
        return int(flag)
    act, tf = layer.activation, _torch().nn.functional
    if act is tf.relu or type(act).__name__ == "ReLU":
        return 1
    if act is tf.gelu or (type(act).__name__ == "GELU" and getattr(act, "approximate", "none") == "none"):
        return 2
    return 0


@_register("TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
           "Transformer")
def _transformer(m: Any, ns: Any, path: str) -> Any:
    """The twin of a Transformer module ``m`` (torch or nnengine: the attribute names are the same)."""
    name = _kind(m)

    def layer_args(layer: Any) -> Dict[str, Any]:
        act = {1: "relu", 2: "gelu"}.get(_relu_or_gelu(layer))
        if act is None:
            raise _unsupported(m, path, "an activation other than relu or gelu")
        return dict(d_model=layer.self_attn.embed_dim, nhead=layer.self_attn.num_heads,
                    dim_feedforward=layer.linear1.out_features, dropout=float(layer.dropout.p), activation=act,
                    layer_norm_eps=float(layer.norm1.eps), batch_first=layer.self_attn.batch_first,
                    norm_first=bool(layer.norm_first), bias=layer.linear1.bias is not None)

    def norm(n: Any) -> Any:
        return None if n is None else ns.LayerNorm(**_layer_norm_args(n))

    if name.endswith("Layer"):
        return getattr(ns, name)(**layer_args(m))
    if name in ("TransformerEncoder", "TransformerDecoder"):
        if len(m.layers) == 0:
            raise _unsupported(m, path, "no layers")
        kw = {"enable_nested_tensor": m.enable_nested_tensor} if name == "TransformerEncoder" else {}
        return getattr(ns, name)(_transformer(m.layers[0], ns, path), len(m.layers), norm(m.norm), **kw)
    if not (type(m.encoder).__name__ == "TransformerEncoder" and type(m.decoder).__name__ == "TransformerDecoder"):
        raise _unsupported(m, path, "custom_encoder / custom_decoder")
    args = layer_args(m.encoder.layers[0])
    return ns.Transformer(num_encoder_layers=len(m.encoder.layers), num_decoder_layers=len(m.decoder.layers), **args)


def from_torch(module: Any) -> Module:
    """An nnengine Module equal to the torch ``module`` (same weights, keys, mode, outputs).

    Raises TypeError naming the first layer (by its path) that has no nnengine counterpart.

    Example:
        >>> import torch
        >>> model = from_torch(torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten()))
        >>> model(ne.zeros(2, 1, 5, 5)).shape
        (2, 36)
    """
    torch = _torch()
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module: expected a torch.nn.Module, got {type(module).__name__}")

    def convert(m: Any, path: str) -> Module:
        if type(m) is torch.nn.Sequential:
            kids = [(name, convert(c, f"{path}.{name}" if path else name)) for name, c in m.named_children()]
            if [name for name, _ in kids] == [str(i) for i in range(len(kids))]:
                return nn.Sequential(*(c for _, c in kids))  # positional: save_model records it plainly
            return nn.Sequential(OrderedDict(kids))
        out = _twin(m, torch.nn, nn, path)
        out.load_state_dict({k: v.detach().cpu().numpy() for k, v in m.state_dict().items()})
        return out

    out = convert(module, "")
    for ne_m, t_m in zip(out.modules(), module.modules()):
        object.__setattr__(ne_m, "training", bool(t_m.training))
    return out



def to_torch(module: Module) -> Any:
    """A torch module tree equal to the nnengine ``module`` (Sequential nesting and the layers listed above).

    Example:
        >>> tm = to_torch(nn.Sequential(nn.Linear(4, 2), nn.Softmax(1)))
        >>> tm
        Sequential(
          (0): Linear(in_features=4, out_features=2, bias=True)
          (1): Softmax(dim=1)
        )
    """
    torch = _torch()
    if not isinstance(module, Module):
        raise TypeError(f"module: expected an nnengine Module, got {type(module).__name__}")

    def convert(m: Module, path: str) -> Any:
        if type(m) is nn.Sequential:
            seq = torch.nn.Sequential()
            for name, child in m.named_children():
                seq.add_module(name, convert(child, f"{path}.{name}" if path else name))
            return seq
        out = _twin(m, nn, torch.nn, path)
        state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in m.state_dict().items()}
        out.load_state_dict(state)
        return out

    out = convert(module, "")
    out.train(module.training)
    return out
