"""Transformer layers with PyTorch's signatures, defaults, submodule and parameter names (so a torch state_dict
loads as is): ``TransformerEncoderLayer``, ``TransformerEncoder``, ``TransformerDecoderLayer``,
``TransformerDecoder`` and ``Transformer`` (Vaswani et al. 2017), on MultiheadAttention's fused attention kernel,
the engine's GEMM (Linear) and LayerNorm kernels."""

from __future__ import annotations

import copy
from typing import Any, Callable, Optional, Union

import numpy as np

from ... import functional as F
from ...tensor import Tensor
from .. import init
from ..module import Module, check_factory_kwargs
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .normalization import LayerNorm

Activation = Union[str, Callable[[Tensor], Tensor]]


def _activation(activation: Activation) -> Callable[[Tensor], Tensor]:
    if isinstance(activation, str):
        if activation == "relu":
            return F.relu
        if activation == "gelu":
            return F.gelu
        raise ValueError(f"activation: expected 'relu', 'gelu' or a callable, got {activation!r}")
    if not callable(activation):
        raise TypeError(f"activation: expected 'relu', 'gelu' or a callable, got {type(activation).__name__}")
    return activation


def _relu_or_gelu(fn: Any) -> int:
    """torch's ``activation_relu_or_gelu`` flag: 1 relu, 2 gelu, 0 anything else."""
    name = type(fn).__name__
    if fn is F.relu or name == "ReLU":
        return 1
    if fn is getattr(F, "gelu", None) or name == "GELU":
        return 2
    return 0


def _check_dims(d_model: int, nhead: int, dim_feedforward: int) -> None:
    for v, name in ((d_model, "d_model"), (nhead, "nhead"), (dim_feedforward, "dim_feedforward")):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name}: expected an int, got {type(v).__name__}")
        if v < 1:
            raise ValueError(f"{name}: expected a positive int, got {v}")


def _clones(layer: Module, n: int) -> ModuleList:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"num_layers: expected a non-negative int, got {n!r}")
    return ModuleList([copy.deepcopy(layer) for _ in range(int(n))])


class _FeedForward(Module):
    """Shared by the encoder and decoder layers: torch's attribute names and the feed-forward block."""

    def _setup(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float, activation: Activation,
               layer_norm_eps: float, norm_first: bool, bias: bool, norms: int) -> None:
        _check_dims(d_model, nhead, dim_feedforward)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias)
        self.norm_first = bool(norm_first)
        for i in range(1, norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        for i in range(1, norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        act = _activation(activation)
        self.activation_relu_or_gelu = _relu_or_gelu(act)
        self.activation = act

    def _ff_block(self, x: Tensor, drop: Dropout) -> Tensor:
        return drop(self.linear2(self.dropout(self.activation(self.linear1(x)))))


class TransformerEncoderLayer(_FeedForward):
    """Self-attention and a feed-forward network, each in a residual block with LayerNorm (post-norm, or
    pre-norm with ``norm_first=True``); torch's ``nn.TransformerEncoderLayer``: submodules ``self_attn``,
    ``linear1``, ``linear2``, ``norm1``, ``norm2``, ``dropout``, ``dropout1``, ``dropout2``.

    Example:
        >>> layer = TransformerEncoderLayer(d_model=512, nhead=8, batch_first=True)
        >>> y = layer(ne.randn(32, 10, 512))   # (32, 10, 512)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Activation = F.relu, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "TransformerEncoderLayer")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first)
        self._setup(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, 2)

    def forward(self, src: Tensor, src_mask: Optional[Any] = None, src_key_padding_mask: Optional[Any] = None,
                is_causal: bool = False) -> Tensor:
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            return x + self._ff_block(self.norm2(x), self.dropout2)
        x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._ff_block(x, self.dropout2))

    def _sa_block(self, x: Tensor, mask: Any, kpm: Any, is_causal: bool) -> Tensor:
        out = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=kpm, need_weights=False, is_causal=is_causal)
        return self.dropout1(out[0])


class TransformerDecoderLayer(_FeedForward):
    """Masked self-attention, attention over the encoder's ``memory`` and a feed-forward network, each in a
    residual block with LayerNorm; torch's ``nn.TransformerDecoderLayer`` (submodules ``self_attn``,
    ``multihead_attn``, ``linear1``, ``linear2``, ``norm1..3``, ``dropout``, ``dropout1..3``).

    Example:
        >>> layer = TransformerDecoderLayer(d_model=16, nhead=4, dim_feedforward=32)
        >>> tgt, memory = ne.randn(5, 2, 16), ne.randn(7, 2, 16)
        >>> layer(tgt, memory, tgt_mask=Transformer.generate_square_subsequent_mask(5)).shape
        (5, 2, 16)
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: Activation = F.relu, layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "TransformerDecoderLayer")
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias)
        self._setup(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, bias, 3)

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Optional[Any] = None, memory_mask: Optional[Any] = None,
                tgt_key_padding_mask: Optional[Any] = None, memory_key_padding_mask: Optional[Any] = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Tensor:
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            return x + self._ff_block(self.norm3(x), self.dropout3)
        x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
        x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._ff_block(x, self.dropout3))

    def _sa_block(self, x: Tensor, mask: Any, kpm: Any, is_causal: bool) -> Tensor:
        out = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=kpm, is_causal=is_causal, need_weights=False)
        return self.dropout1(out[0])

    def _mha_block(self, x: Tensor, mem: Tensor, mask: Any, kpm: Any, is_causal: bool) -> Tensor:
        out = self.multihead_attn(x, mem, mem, attn_mask=mask, key_padding_mask=kpm, is_causal=is_causal,
                                  need_weights=False)
        return self.dropout2(out[0])


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (``layers.0``, ``layers.1``...) and an optional final
    ``norm``; torch's ``nn.TransformerEncoder``. ``enable_nested_tensor`` and ``mask_check`` are accepted for
    torch compatibility (nnengine has no nested tensors: padded positions are computed like the others, as
    torch does outside its no-grad fast path).

    Example:
        >>> enc = TransformerEncoder(TransformerEncoderLayer(16, 4, dim_feedforward=32), num_layers=2)
        >>> src, pad = ne.randn(5, 2, 16), ne.tensor([[False] * 5, [False] * 3 + [True] * 2])
        >>> enc(src, src_key_padding_mask=pad).shape
        (5, 2, 16)
    """

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Optional[Module] = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src: Tensor, mask: Optional[Any] = None, src_key_padding_mask: Optional[Any] = None,
                is_causal: Optional[bool] = None) -> Tensor:
        out = src
        causal = bool(is_causal)
        for mod in self.layers:
            out = mod(out, src_mask=mask, is_causal=causal, src_key_padding_mask=src_key_padding_mask)
        return out if self.norm is None else self.norm(out)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer`` and an optional final ``norm``; torch's
    ``nn.TransformerDecoder``.

    Example:
        >>> dec = TransformerDecoder(TransformerDecoderLayer(16, 4, dim_feedforward=32), num_layers=2)
        >>> tgt, memory = ne.randn(5, 2, 16), ne.randn(7, 2, 16)
        >>> dec(tgt, memory, tgt_mask=Transformer.generate_square_subsequent_mask(5)).shape
        (5, 2, 16)
    """

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Optional[Module] = None) -> None:
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt: Tensor, memory: Tensor, tgt_mask: Optional[Any] = None, memory_mask: Optional[Any] = None,
                tgt_key_padding_mask: Optional[Any] = None, memory_key_padding_mask: Optional[Any] = None,
                tgt_is_causal: Optional[bool] = None, memory_is_causal: bool = False) -> Tensor:
        out = tgt
        for mod in self.layers:
            out = mod(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return out if self.norm is None else self.norm(out)


class Transformer(Module):
    """The encoder-decoder Transformer (Vaswani et al. 2017) with torch's ``nn.Transformer`` signature, defaults
    (d_model 512, 8 heads, 6 + 6 layers, feed-forward 2048, dropout 0.1, relu, post-norm), submodules
    (``encoder.layers.i...``, ``encoder.norm``, ``decoder.layers.i...``, ``decoder.norm``) and init (xavier_uniform_
    on every matrix). Inputs ``(S, N, E)`` / ``(T, N, E)`` (``(N, S, E)`` with ``batch_first``).

    Example:
        >>> model = Transformer(d_model=64, nhead=4, num_encoder_layers=2, num_decoder_layers=2)
        >>> tgt_mask = Transformer.generate_square_subsequent_mask(20)
        >>> out = model(ne.randn(10, 32, 64), ne.randn(20, 32, 64), tgt_mask=tgt_mask)   # (20, 32, 64)
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6, num_decoder_layers: int = 6,
                 dim_feedforward: int = 2048, dropout: float = 0.1, activation: Activation = F.relu,
                 custom_encoder: Optional[Module] = None, custom_decoder: Optional[Module] = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "Transformer")
        args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps, batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*args), num_encoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*args), num_decoder_layers,
                                              LayerNorm(d_model, eps=layer_norm_eps, bias=bias))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, bool(batch_first)

    def _reset_parameters(self) -> None:
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Optional[Any] = None, tgt_mask: Optional[Any] = None,
                memory_mask: Optional[Any] = None, src_key_padding_mask: Optional[Any] = None,
                tgt_key_padding_mask: Optional[Any] = None, memory_key_padding_mask: Optional[Any] = None,
                src_is_causal: Optional[bool] = None, tgt_is_causal: Optional[bool] = None,
                memory_is_causal: bool = False) -> Tensor:
        batched = src.ndim == 3
        if batched and src.shape[0 if self.batch_first else 1] != tgt.shape[0 if self.batch_first else 1]:
            raise ValueError(f"src, tgt: expected the same batch size, got shapes {tuple(src.shape)} and "
                             f"{tuple(tgt.shape)}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"src, tgt: expected last dimension {self.d_model} (d_model), got shapes "
                             f"{tuple(src.shape)} and {tuple(tgt.shape)}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask, memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None, dtype: Any = None) -> Tensor:
        """The ``(sz, sz)`` causal mask: 0 on and below the diagonal, -inf above (torch's float mask).

        Example:
            >>> Transformer.generate_square_subsequent_mask(3).numpy()[0]
            array([  0., -inf, -inf], dtype=float32)
        """
        check_factory_kwargs(device, dtype, "generate_square_subsequent_mask")
        if isinstance(sz, bool) or not isinstance(sz, (int, np.integer)) or sz < 0:
            raise ValueError(f"sz: expected a non-negative int, got {sz!r}")
        return Tensor(np.triu(np.full((int(sz), int(sz)), -np.inf, np.float32), 1))
