"""PyTorch interop: convert a torch ``nn.Sequential`` (nested too) to nnengine and back.

nnengine layers share PyTorch's parameter names, shapes and gate orders, so weights move with
``layer.load_state_dict(torch_layer.state_dict())`` (Linear, Conv1d/2d, ConvTranspose1d/2d, BatchNorm1d/2d, RNN, LSTM, GRU,
RNNCell, LSTMCell, GRUCell, Embedding, and any nesting of them). ``from_torch`` builds the nnengine twin of a torch module tree made of
Sequential, Linear, Conv1d, Conv2d, ConvTranspose1d/2d, MaxPool2d, AvgPool2d, ReLU, LeakyReLU, ELU, Sigmoid, Tanh, Softplus, Softmax,
LogSoftmax, Flatten, Unflatten, Dropout, BatchNorm1d/2d, Identity, RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell,
Embedding, MultiheadAttention, LayerNorm, GroupNorm, InstanceNorm1d/2d/3d, GELU, SiLU, Mish, Softplus(beta, threshold),
Hardtanh, ReLU6, Hardswish, Hardsigmoid, Softsign and PReLU (and MaxPool1d, AvgPool1d, AdaptiveAvg/MaxPool1d/2d,
Upsample, the padding layers, Dropout1d/2d) and the Transformer family (encoder/decoder layers, stacks,
nn.Transformer; relu or gelu), with the
same weights, state_dict keys and train/eval mode; ``to_torch`` goes the other way. torch is imported only
inside these two functions, never when nnengine is imported.

Example:
    >>> import torch
    >>> tm = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    >>> model = ne.interop.from_torch(tm)  # same weights, same outputs
    >>> type(ne.interop.to_torch(model)[2]).__name__
    'Linear'
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Dict, Tuple

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


def _pool_args(m: Any, path: str) -> Tuple[Any, Any, Any]:
    if getattr(m, "ceil_mode", False):
        raise _unsupported(m, path, "ceil_mode=True")
    if getattr(m, "dilation", 1) not in (1, (1, 1)) or getattr(m, "return_indices", False):
        raise _unsupported(m, path, "dilation/return_indices")
    return m.kernel_size, m.stride, m.padding


_PADS = ("ConstantPad1d", "ConstantPad2d", "ZeroPad1d", "ZeroPad2d", "ReflectionPad1d", "ReflectionPad2d",
         "ReplicationPad1d", "ReplicationPad2d")


def _from_resample_layer(m: Any, tnn: Any, path: str) -> Any:
    """1-D and adaptive pooling, upsampling, padding and channel-dropout layers (None for any other layer)."""
    t, name = type(m), type(m).__name__
    if t in (tnn.MaxPool1d, tnn.AvgPool1d):
        if t is tnn.AvgPool1d and not m.count_include_pad:
            raise _unsupported(m, path, "count_include_pad=False")
        return getattr(nn, name)(*_pool_args(m, path))
    if t in (tnn.AdaptiveAvgPool1d, tnn.AdaptiveAvgPool2d):
        return getattr(nn, name)(m.output_size)
    if t in (tnn.AdaptiveMaxPool1d, tnn.AdaptiveMaxPool2d):
        return getattr(nn, name)(m.output_size, m.return_indices)
    if t in (tnn.Upsample, tnn.UpsamplingNearest2d, tnn.UpsamplingBilinear2d):
        return nn.Upsample(m.size, m.scale_factor, m.mode, m.align_corners, m.recompute_scale_factor)
    if name in _PADS and t is getattr(tnn, name):
        return getattr(nn, name)(m.padding, *((m.value,) if name.startswith("Constant") else ()))
    if t in (tnn.Dropout1d, tnn.Dropout2d):
        return getattr(nn, name)(m.p)
    return None


def _to_resample_layer(m: Module, tnn: Any) -> Any:
    """The torch twin of the layers _from_resample_layer maps (None for any other layer)."""
    t, name = type(m), type(m).__name__
    if t in (nn.MaxPool1d, nn.AvgPool1d):
        return getattr(tnn, name)(m.kernel_size, m.stride, m.padding)
    if t in (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d):
        return getattr(tnn, name)(m.output_size)
    if t in (nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d):
        return getattr(tnn, name)(m.output_size, m.return_indices)
    if t is nn.Upsample:
        return tnn.Upsample(m.size, m.scale_factor, m.mode, m.align_corners, m.recompute_scale_factor)
    if t in (nn.UpsamplingNearest2d, nn.UpsamplingBilinear2d):
        return getattr(tnn, name)(m.size, m.scale_factor)
    if name in _PADS and t is getattr(nn, name):
        return getattr(tnn, name)(m.padding, *((m.value,) if name.startswith("Constant") else ()))
    if t in (nn.Dropout1d, nn.Dropout2d):
        return getattr(tnn, name)(m.p)
    return None


def _rnn_args(m: Any) -> Dict[str, Any]:
    kw = dict(num_layers=m.num_layers, bias=m.bias, batch_first=m.batch_first, dropout=float(m.dropout),
              bidirectional=m.bidirectional)
    if getattr(m, "proj_size", 0):
        raise _unsupported(m, "", "proj_size > 0")
    return kw


def _embedding_args(m: Any, path: str) -> Dict[str, Any]:
    """Embedding's constructor arguments, read from a torch or an nnengine instance (same attributes)."""
    if m.sparse:
        raise _unsupported(m, path, "sparse=True")
    return dict(num_embeddings=m.num_embeddings, embedding_dim=m.embedding_dim, padding_idx=m.padding_idx,
                max_norm=m.max_norm, norm_type=m.norm_type, scale_grad_by_freq=m.scale_grad_by_freq)


def _mha_args(m: Any) -> Dict[str, Any]:
    """MultiheadAttention's constructor arguments, read from a torch or an nnengine instance (same attributes)."""
    return dict(embed_dim=m.embed_dim, num_heads=m.num_heads, dropout=float(m.dropout),
                bias=m.in_proj_bias is not None, add_bias_kv=m.bias_k is not None, add_zero_attn=m.add_zero_attn,
                kdim=m.kdim, vdim=m.vdim, batch_first=m.batch_first)


def _norm_kw(m: Any) -> Dict[str, Any]:
    return dict(eps=m.eps, bias=m.bias is not None or not getattr(m, "affine", getattr(m, "elementwise_affine", 1)))


# Layers whose constructor arguments are attributes of the same names in torch and nnengine.
_MIRRORED: Dict[str, Callable[[Any], Dict[str, Any]]] = {
    "LayerNorm": lambda m: dict(normalized_shape=tuple(m.normalized_shape), elementwise_affine=m.elementwise_affine,
                                **_norm_kw(m)),
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
    # losses: weight / pos_weight are buffers (arrays or torch tensors, converted by _mirror)
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
}


def _mirror(m: Any, src: Any, dst: Any) -> Any:
    """The twin in ``dst`` (a module namespace) of ``m``, an exact instance of a ``_MIRRORED`` class of ``src``,
    or None."""
    name = type(m).__name__
    if name in _MIRRORED and type(m) is getattr(src, name, None):
        kw = _MIRRORED[name](m)
        if dst is not nn:  # array arguments (loss weights) become torch tensors
            kw = {k: _torch().from_numpy(np.array(v, copy=True)) if isinstance(v, np.ndarray) else v
                  for k, v in kw.items()}
        else:
            kw = {k: v.detach().cpu().numpy() if hasattr(v, "detach") else v for k, v in kw.items()}
        return getattr(dst, name)(**kw)
    return None


_TRANSFORMERS = ("TransformerEncoderLayer", "TransformerDecoderLayer", "TransformerEncoder", "TransformerDecoder",
                 "Transformer")


def _transformer(m: Any, ns: Any, path: str) -> Any:
    """The twin of a Transformer module ``m`` (torch or nnengine: the attribute names are the same) built from
    the namespace ``ns`` (torch.nn or nnengine.nn), without weights."""
    name = type(m).__name__

    def layer_args(layer: Any) -> Dict[str, Any]:
        act = {1: "relu", 2: "gelu"}.get(int(layer.activation_relu_or_gelu))
        if act is None:
            raise _unsupported(m, path, "an activation other than relu or gelu")
        return dict(d_model=layer.self_attn.embed_dim, nhead=layer.self_attn.num_heads,
                    dim_feedforward=layer.linear1.out_features, dropout=float(layer.dropout.p), activation=act,
                    layer_norm_eps=float(layer.norm1.eps), batch_first=layer.self_attn.batch_first,
                    norm_first=bool(layer.norm_first), bias=layer.linear1.bias is not None)

    def norm(n: Any) -> Any:
        return None if n is None else ns.LayerNorm(**_MIRRORED["LayerNorm"](n))

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


def _from_layer(m: Any, path: str) -> Module:
    """The nnengine twin of one torch layer (without weights)."""
    tnn = _torch().nn
    name = type(m).__name__
    twin = _mirror(m, tnn, nn)
    if twin is not None:
        return twin
    if isinstance(m, tnn.Linear):
        return nn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, tnn.Conv2d):
        if m.padding_mode != "zeros":
            raise _unsupported(m, path, f"padding_mode={m.padding_mode!r}")
        pad = m.padding if isinstance(m.padding, str) else _pair(m.padding)
        return nn.Conv2d(m.in_channels, m.out_channels, _pair(m.kernel_size), _pair(m.stride), pad,
                         _pair(m.dilation), m.groups, bias=m.bias is not None)
    if isinstance(m, (tnn.Conv1d, tnn.ConvTranspose1d, tnn.ConvTranspose2d)):
        if m.padding_mode != "zeros":
            raise _unsupported(m, path, f"padding_mode={m.padding_mode!r}")
        cls = getattr(nn, type(m).__name__)
        if isinstance(m, tnn.Conv1d):
            return cls(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                       bias=m.bias is not None)
        return cls(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.output_padding, m.groups,
                   bias=m.bias is not None, dilation=m.dilation)
    if isinstance(m, tnn.MaxPool2d):
        return nn.MaxPool2d(*_pool_args(m, path))
    if isinstance(m, tnn.AvgPool2d):
        if not m.count_include_pad or m.divisor_override is not None:
            raise _unsupported(m, path, "count_include_pad=False / divisor_override")
        return nn.AvgPool2d(*_pool_args(m, path))
    if isinstance(m, (tnn.BatchNorm1d, tnn.BatchNorm2d)):
        cls = nn.BatchNorm1d if isinstance(m, tnn.BatchNorm1d) else nn.BatchNorm2d
        return cls(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
    if isinstance(m, tnn.LeakyReLU):
        return nn.LeakyReLU(m.negative_slope)
    if isinstance(m, tnn.ELU):
        return nn.ELU(m.alpha)
    if isinstance(m, (tnn.Softmax, tnn.LogSoftmax)):
        if m.dim is None:
            raise _unsupported(m, path, "dim=None (give the dimension explicitly)")
        return (nn.Softmax if isinstance(m, tnn.Softmax) else nn.LogSoftmax)(m.dim)
    if isinstance(m, tnn.Flatten):
        return nn.Flatten(m.start_dim, m.end_dim)
    if isinstance(m, tnn.Unflatten):
        return nn.Unflatten(m.dim, m.unflattened_size)
    if isinstance(m, tnn.Dropout):
        return nn.Dropout(m.p)
    got = _from_resample_layer(m, tnn, path)
    if got is not None:
        return got
    if type(m) is tnn.RNN:
        return nn.RNN(m.input_size, m.hidden_size, nonlinearity=m.nonlinearity, **_rnn_args(m))
    if type(m) is tnn.LSTM:
        return nn.LSTM(m.input_size, m.hidden_size, **_rnn_args(m))
    if type(m) is tnn.GRU:
        return nn.GRU(m.input_size, m.hidden_size, **_rnn_args(m))
    if type(m) is tnn.GRUCell:
        return nn.GRUCell(m.input_size, m.hidden_size, m.bias)
    if type(m) is tnn.Embedding:
        return nn.Embedding(**_embedding_args(m, path), _freeze=not m.weight.requires_grad)
    if type(m) is tnn.RNNCell:
        return nn.RNNCell(m.input_size, m.hidden_size, m.bias, m.nonlinearity)
    if type(m) is tnn.MultiheadAttention:
        return nn.MultiheadAttention(**_mha_args(m))
    if name in _TRANSFORMERS and type(m) is getattr(tnn, name):
        return _transformer(m, nn, path)
    if type(m) is tnn.LSTMCell:
        return nn.LSTMCell(m.input_size, m.hidden_size, m.bias)
    simple = {"ReLU": nn.ReLU, "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "Identity": nn.Identity}
    if name in simple and type(m) is getattr(tnn, name):
        return simple[name]()
    raise _unsupported(m, path)


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
        out = _from_layer(m, path)
        out.load_state_dict({k: v.detach().cpu().numpy() for k, v in m.state_dict().items()})
        return out

    out = convert(module, "")
    for ne_m, t_m in zip(out.modules(), module.modules()):
        object.__setattr__(ne_m, "training", bool(t_m.training))
    return out


def _to_layer(m: Module, tnn: Any, path: str) -> Any:
    simple: Dict[type, Callable[[], Any]] = {nn.ReLU: tnn.ReLU, nn.Sigmoid: tnn.Sigmoid, nn.Tanh: tnn.Tanh,
                                             nn.Identity: tnn.Identity}
    twin = _mirror(m, nn, tnn)
    if twin is not None:
        return twin
    t = type(m)
    if t in simple:
        return simple[t]()
    if t is nn.Linear:
        return tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if t is nn.Conv2d:
        return tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                          bias=m.bias is not None)
    if t is nn.Conv1d:
        return tnn.Conv1d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding, m.dilation, m.groups,
                          bias=m.bias is not None)
    if t in (nn.ConvTranspose1d, nn.ConvTranspose2d):
        return getattr(tnn, t.__name__)(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                                        m.output_padding, m.groups, bias=m.bias is not None, dilation=m.dilation)
    if t is nn.MaxPool2d:
        return tnn.MaxPool2d(m.kernel_size, m.stride, m.padding)
    if t is nn.AvgPool2d:
        return tnn.AvgPool2d(m.kernel_size, m.stride, m.padding)
    if t in (nn.BatchNorm1d, nn.BatchNorm2d):
        cls = tnn.BatchNorm1d if t is nn.BatchNorm1d else tnn.BatchNorm2d
        return cls(m.num_features, m.eps, m.momentum, m.affine, m.track_running_stats)
    if t is nn.LeakyReLU:
        return tnn.LeakyReLU(m.negative_slope)
    if t is nn.ELU:
        return tnn.ELU(m.alpha)
    if t in (nn.Softmax, nn.LogSoftmax):
        return (tnn.Softmax if t is nn.Softmax else tnn.LogSoftmax)(dim=m.dim)
    if t is nn.Flatten:
        return tnn.Flatten(m.start_dim, m.end_dim)
    if t is nn.Unflatten:
        return tnn.Unflatten(m.dim, m.unflattened_size)
    if t is nn.Dropout:
        return tnn.Dropout(m.p)
    got = _to_resample_layer(m, tnn)
    if got is not None:
        return got
    if t in (nn.RNN, nn.LSTM, nn.GRU):
        kw = dict(num_layers=m.num_layers, bias=m.bias, batch_first=m.batch_first, dropout=m.dropout,
                  bidirectional=m.bidirectional)
        if t is nn.RNN:
            return tnn.RNN(m.input_size, m.hidden_size, nonlinearity=m.nonlinearity, **kw)
        return (tnn.LSTM if t is nn.LSTM else tnn.GRU)(m.input_size, m.hidden_size, **kw)
    if t is nn.GRUCell:
        return tnn.GRUCell(m.input_size, m.hidden_size, m.bias)
    if t is nn.Embedding:
        out = tnn.Embedding(**_embedding_args(m, path))
        out.weight.requires_grad_(m.weight.requires_grad)
        return out
    if t is nn.RNNCell:
        return tnn.RNNCell(m.input_size, m.hidden_size, m.bias, m.nonlinearity)
    if t is nn.MultiheadAttention:
        return tnn.MultiheadAttention(**_mha_args(m))
    if t.__name__ in _TRANSFORMERS and t is getattr(nn, t.__name__):
        return _transformer(m, tnn, path)
    if t is nn.LSTMCell:
        return tnn.LSTMCell(m.input_size, m.hidden_size, m.bias)
    raise _unsupported(m, path)


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
        out = _to_layer(m, torch.nn, path)
        state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in m.state_dict().items()}
        out.load_state_dict(state)
        return out

    out = convert(module, "")
    out.train(module.training)
    return out
