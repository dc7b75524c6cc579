"""``nn.EmbeddingBag`` (torch's signature, defaults, parameter and repr) over ``F.embedding_bag``."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ... import functional as F
from ..._coerce import as_array
from ...functional import _embedding as E
from ...tensor import Tensor
from .. import init
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter
from .linear import _check_size


class EmbeddingBag(Module):
    """Sums, means or maxima of bags of embeddings (e.g. a bag-of-words text classifier's first layer): ``weight``
    (V, D) initialised N(0, 1) with the ``padding_idx`` row zeroed; ``forward(input, offsets=None,
    per_sample_weights=None)`` as ``F.embedding_bag``. ``sparse=True`` is accepted with dense gradients.

    Example:
        >>> bag = nn.EmbeddingBag(10, 3, mode="mean")
        >>> bag(ne.tensor([1, 2, 4, 5, 4, 3, 2, 9]), ne.tensor([0, 4])).shape
        (2, 3)
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: Optional[float] = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                 _weight: Any = None, include_last_offset: bool = False, padding_idx: Optional[int] = None,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "EmbeddingBag")
        self.num_embeddings = _check_size(num_embeddings, "num_embeddings")
        self.embedding_dim = _check_size(embedding_dim, "embedding_dim")
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"mode: expected 'sum', 'mean' or 'max', got {mode!r}")
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type, self.scale_grad_by_freq, self.mode = float(norm_type), bool(scale_grad_by_freq), mode
        self.sparse, self.include_last_offset = bool(sparse), bool(include_last_offset)
        self.padding_idx = None if padding_idx is None else E._padding_idx(padding_idx, self.num_embeddings)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter.new(*shape)
            self.reset_parameters()
        else:
            w = np.asarray(as_array(_weight))
            if w.shape != shape:
                raise ValueError(f"_weight: expected shape {shape} (num_embeddings, embedding_dim), got {w.shape}")
            self.weight = Parameter(w)

    def reset_parameters(self) -> None:
        """N(0, 1), then the padding row set to zero (torch's init).

        Example:
            >>> bag = nn.EmbeddingBag(5, 2, padding_idx=0); bag.reset_parameters(); bag.weight[0].tolist()
            [0.0, 0.0]
        """
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0.0

    def forward(self, input: Any, offsets: Optional[Any] = None, per_sample_weights: Optional[Tensor] = None) -> Tensor:
        return F.embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                               self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, max_norm: Optional[float] = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: Optional[int] = None) -> EmbeddingBag:
        """An EmbeddingBag holding a copy of the 2-D ``embeddings`` (frozen unless ``freeze=False``).

        Example:
            >>> bag = nn.EmbeddingBag.from_pretrained(np.eye(3, dtype=np.float32), mode="sum")
            >>> bag(ne.tensor([[0, 2]])).numpy()
            array([[1., 0., 1.]], dtype=float32)
        """
        w = as_array(embeddings)
        if w.ndim != 2:
            raise ValueError(f"embeddings: expected a 2-D array (num_embeddings, embedding_dim), got shape {w.shape}")
        m = cls(w.shape[0], w.shape[1], max_norm, norm_type, scale_grad_by_freq, mode, sparse, w,
                include_last_offset, padding_idx)
        m.weight.requires_grad_(not freeze)
        return m

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        s += f", mode='{self.mode}'"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
