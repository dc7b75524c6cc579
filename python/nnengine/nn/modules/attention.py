"""``MultiheadAttention`` (PyTorch's signature, parameter names, init and masks) on the fused attention kernel."""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ... import functional as F
from ..._coerce import data_or_self
from ...functional._attention import (
    attention,
    attention_composite,
    default_scale,
    float_mask,
    mask_needs_grad,
)
from ...functional._util import check_tensor, probability
from ...tensor import Tensor, cat
from .. import init
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter
from .linear import Linear, _check_size


class NonDynamicallyQuantizableLinear(Linear):
    """``Linear`` under the name torch gives MultiheadAttention's ``out_proj``.

    Example:
        >>> MultiheadAttention(8, 2).out_proj
        NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)
    """


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), PyTorch's ``nn.MultiheadAttention``.

    Parameters as torch: ``in_proj_weight`` (3E, E) and ``in_proj_bias`` (3E) (or ``q_proj_weight``,
    ``k_proj_weight``, ``v_proj_weight`` when ``kdim``/``vdim`` differ from ``embed_dim``), ``out_proj.weight``,
    ``out_proj.bias``, ``bias_k``/``bias_v`` with ``add_bias_kv``, so a torch state_dict loads as is. Inputs are
    ``(L, N, E)`` (``(N, L, E)`` with ``batch_first``) or unbatched ``(L, E)``; ``key_padding_mask`` ``(N, S)`` and
    ``attn_mask`` ``(L, S)`` / ``(N*num_heads, L, S)`` are boolean (True = not allowed) or additive float.
    Self-attention (``query is key is value``) runs one packed in-projection GEMM; scores, masked softmax,
    dropout and the weighted sum of every head are one C++ kernel call, and so is their backward.

    Returns ``(attn_output, attn_weights)``; the weights ``(N, L, S)`` are averaged over heads unless
    ``average_attn_weights=False`` (then ``(N, num_heads, L, S)``), ``None`` when ``need_weights=False``.
    A fully masked query row gives NaN with ``need_weights=True`` and 0 without (what torch 2.13 returns on its
    explicit-softmax and its scaled_dot_product_attention paths).

    Example:
        >>> mha = MultiheadAttention(16, 4, batch_first=True)
        >>> x = ne.randn(2, 5, 16)
        >>> out, w = mha(x, x, x)
        >>> out.shape, w.shape
        ((2, 5, 16), (2, 5, 5))
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: Optional[int] = None,
                 vdim: Optional[int] = None, batch_first: bool = False, device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "MultiheadAttention")
        self.embed_dim = E = _check_size(embed_dim, "embed_dim")
        self.kdim = E if kdim is None else _check_size(kdim, "kdim")
        self.vdim = E if vdim is None else _check_size(vdim, "vdim")
        self._qkv_same_embed_dim = self.kdim == E and self.vdim == E
        self.num_heads = _check_size(num_heads, "num_heads")
        if E < 1 or self.num_heads < 1:
            raise ValueError(f"embed_dim, num_heads: expected positive ints, got {embed_dim} and {num_heads}")
        self.dropout = probability(dropout, "dropout")
        self.batch_first = bool(batch_first)
        self.head_dim = E // self.num_heads
        if self.head_dim * self.num_heads != E:
            raise ValueError(f"embed_dim: expected a multiple of num_heads ({self.num_heads}), got {E}")
        if not self._qkv_same_embed_dim:
            self.q_proj_weight = Parameter.new(E, E)
            self.k_proj_weight = Parameter.new(E, self.kdim)
            self.v_proj_weight = Parameter.new(E, self.vdim)
            self.register_parameter("in_proj_weight", None)
        else:
            self.in_proj_weight = Parameter.new(3 * E, E)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        if bias:
            self.in_proj_bias = Parameter.new(3 * E)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias)
        if add_bias_kv:
            self.bias_k = Parameter.new(1, 1, E)
            self.bias_v = Parameter.new(1, 1, E)
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = bool(add_zero_attn)
        self._reset_parameters()

    def _reset_parameters(self) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _projections(self, query: Tensor, key: Tensor, value: Tensor) -> Tuple[Tensor, ...]:
        E = self.embed_dim
        b = self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E : 2 * E], b[2 * E :])
        if self._qkv_same_embed_dim:
            w = self.in_proj_weight
            wq, wk, wv = w[:E], w[E : 2 * E], w[2 * E :]
        else:
            wq, wk, wv = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        return F.linear(query, wq, bq), F.linear(key, wk, bk), F.linear(value, wv, bv)

    def forward(self, query: Tensor, key: Tensor, value: Tensor, key_padding_mask: Optional[Any] = None,
                need_weights: bool = True, attn_mask: Optional[Any] = None, average_attn_weights: bool = True,
                is_causal: bool = False) -> Tuple[Tensor, Optional[Tensor]]:
        """(output, attention weights averaged over heads, or None with ``need_weights=False``), torch's
        signature and masks (``key_padding_mask`` True = ignore, ``attn_mask`` bool or additive).

        Example:
            >>> mha = MultiheadAttention(16, 4)
            >>> q = ne.randn(5, 2, 16)
            >>> out, w = mha(q, q, q, need_weights=False)
            >>> out.shape, w
            ((5, 2, 16), None)
        """
        if is_causal and attn_mask is None:
            raise ValueError("attn_mask: is_causal=True is a hint and needs the causal attn_mask itself (torch's rule)")
        q_in = check_tensor(query, "query", ndim=(2, 3))
        k_in = q_in if key is query else check_tensor(key, "key", ndim=(2, 3))
        v_in = k_in if value is key else check_tensor(value, "value", ndim=(2, 3))
        unbatched = q_in.ndim == 2
        if k_in.ndim != q_in.ndim or v_in.ndim != q_in.ndim:
            raise ValueError(f"key, value: expected {q_in.ndim} dimensions like query, got shapes {k_in.shape}, "
                             f"{v_in.shape}")
        if unbatched:
            q_in, k_in, v_in = (t.unsqueeze(0 if self.batch_first else 1) for t in (q_in, k_in, v_in))
            if key_padding_mask is not None:
                key_padding_mask = np.asarray(data_or_self(key_padding_mask))[None]
        E, H, bf = self.embed_dim, self.num_heads, self.batch_first
        if q_in.shape[-1] != E:
            raise ValueError(f"query: expected last dimension {E} (embed_dim), got shape {tuple(query.shape)}")
        if k_in.shape[-1] != self.kdim or v_in.shape[-1] != self.vdim:
            raise ValueError(f"key, value: expected last dimensions {self.kdim} (kdim) and {self.vdim} (vdim), got "
                             f"shapes {tuple(key.shape)}, {tuple(value.shape)}")
        N = q_in.shape[0 if bf else 1]
        L = q_in.shape[1 if bf else 0]
        kpm = float_mask(key_padding_mask, "key_padding_mask", true_means_masked=True)
        # a float attn_mask that requires grad gets it, as in torch: that call runs on tensor ops
        grad_mask = mask_needs_grad(attn_mask) and not (is_causal and key_padding_mask is None and not need_weights)
        mask = attn_mask._cast(np.float32) if grad_mask else float_mask(attn_mask, "attn_mask", true_means_masked=True)
        p = self.dropout if self.training else 0.0
        packed = q_in is k_in and k_in is v_in and self._qkv_same_embed_dim and self.bias_k is None
        packed = packed and not self.add_zero_attn and not grad_mask
        if packed:
            qkv = F.linear(q_in, self.in_proj_weight, self.in_proj_bias)
            q, k, v = qkv, None, None
        else:
            q, k, v = self._projections(q_in, k_in, v_in)
            k, v, mask, kpm = self._extend_kv(k, v, mask, kpm, N)
        S = L if packed else k.shape[1 if bf else 0]
        if mask is not None and mask.ndim == 3 and mask.shape[0] != N * H:
            raise ValueError(f"attn_mask: expected shape ({N * H}, {L}, {S}) (N*num_heads, L, S), got {mask.shape}")
        # torch's rule: without a key padding mask and weights, is_causal replaces attn_mask by the causal flag
        causal = bool(is_causal) and kpm is None and not need_weights
        if causal:
            mask = None
        if grad_mask:
            out, w = self._attend_on_tensors(q, k, v, mask, kpm, N, L, S, p, need_weights)
        else:
            res = attention(q, k, v, H, "nle" if bf else "lne", default_scale(self.head_dim), mask, kpm, causal,
                            not need_weights, p, packed, need_weights)
            out, w = res if need_weights else (res, None)
        out = self.out_proj(out)
        if w is not None:
            w = w.reshape(N, H, L, S)
            if average_attn_weights:
                w = w.mean(1)
            if unbatched:
                w = w.squeeze(0)
        if unbatched:
            out = out.squeeze(0 if bf else 1)
        return out, w

    def _attend_on_tensors(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor, kpm: Optional[np.ndarray], N: int,
                           L: int, S: int, p: float, need_weights: bool) -> Tuple[Tensor, Optional[Tensor]]:
        """The attention of ``forward`` on differentiable tensor ops, for a float ``mask`` that requires grad:
        ``(L, N, E)``/``(N, L, E)`` projections -> ``(N, H, L, D)`` heads -> attention_composite -> back."""
        H, bf = self.num_heads, self.batch_first

        def heads(t: Tensor, n: int) -> Tensor:
            return (t if bf else t.transpose(0, 1)).reshape(N, n, H, -1).transpose(1, 2)

        m = mask.reshape(N, H, L, S) if mask.ndim == 3 else mask
        if kpm is not None:
            m = m + kpm.reshape(N, 1, 1, S)
        o, w = attention_composite(heads(q, L), heads(k, S), heads(v, S), m, default_scale(self.head_dim),
                                   p if p < 1.0 else 0.0, zero_rows=not need_weights)
        if p >= 1.0:  # every weight dropped: torch's result is zeros
            o, w = o * 0.0, w * 0.0
        o = o.transpose(1, 2).reshape(N, L, -1)
        return (o if bf else o.transpose(0, 1)), (w.reshape(N * H, L, S) if need_weights else None)

    def _extend_kv(self, k: Tensor, v: Tensor, mask: Optional[Any], kpm: Optional[np.ndarray],
                   N: int) -> Tuple[Any, ...]:
        """add_bias_kv / add_zero_attn: one more key/value position each (masks padded with a 0 column)."""
        bf = self.batch_first
        seq = 1 if bf else 0
        extra = []
        if self.bias_k is not None:
            shape = (N, 1, self.embed_dim) if bf else (1, N, self.embed_dim)
            extra.append((self.bias_k.reshape(1, 1, -1).expand(shape), self.bias_v.reshape(1, 1, -1).expand(shape)))
        if self.add_zero_attn:
            z = Tensor(np.zeros((N, 1, self.embed_dim) if bf else (1, N, self.embed_dim), np.float32))
            extra.append((z, z))
        for ek, ev in extra:
            k, v = cat([k, ek], seq), cat([v, ev], seq)
            if isinstance(mask, Tensor):  # a float mask that requires grad
                mask = cat([mask, Tensor(np.zeros(mask.shape[:-1] + (1,), np.float32))], -1)
            elif mask is not None:
                mask = np.concatenate([mask, np.zeros(mask.shape[:-1] + (1,), np.float32)], -1)
            if kpm is not None:
                kpm = np.concatenate([kpm, np.zeros(kpm.shape[:-1] + (1,), np.float32)], -1)
        return k, v, mask, kpm

