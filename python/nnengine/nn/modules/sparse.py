"""Embedding tables: ``nn.Embedding`` with PyTorch's signature, defaults, parameter name and init."""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..._coerce import as_array
from ...functional import _embedding as E
from ...tensor import Tensor
from .. import init
from ..module import Module, check_factory_kwargs
from ..parameter import Parameter
from .linear import _check_size


class Embedding(Module):
    """A lookup table of ``num_embeddings`` vectors of size ``embedding_dim``: ``weight`` (V, D), initialised
    N(0, 1) with the ``padding_idx`` row zeroed, as PyTorch. Input: int64/int32 indices of any shape;
    output input.shape + (D,). ``padding_idx``'s row receives no gradient; ``max_norm`` renormalises the
    looked-up rows in place; ``scale_grad_by_freq`` scales gradients by the inverse batch frequency.
    ``sparse=True`` is accepted with dense gradients (``optim.SparseAdam`` updates only the touched rows).

    Example:
        >>> emb = Embedding(1000, 64, padding_idx=0)
        >>> emb(ne.tensor([[1, 5, 0], [7, 7, 2]])).shape
        (2, 3, 64)
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: Optional[int] = None,
        max_norm: Optional[float] = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Any = None,
        _freeze: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        check_factory_kwargs(device, dtype, "Embedding")
        self.num_embeddings = _check_size(num_embeddings, "num_embeddings")
        self.embedding_dim = _check_size(embedding_dim, "embedding_dim")
        if padding_idx is not None:
            padding_idx = E._padding_idx(padding_idx, self.num_embeddings)
        self.padding_idx = padding_idx
        if max_norm is not None and not isinstance(max_norm, (int, float, np.floating, np.integer)):
            raise TypeError(f"max_norm: expected a float or None, got {type(max_norm).__name__}")
        self.max_norm = None if max_norm is None else float(max_norm)
        self.norm_type = float(norm_type)
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        self.sparse = bool(sparse)  # accepted: the gradient stays dense (SparseAdam reads the touched rows off it)
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter.new(*shape)
            self.reset_parameters()
        else:
            w = as_array(_weight)
            if w.shape != shape:
                raise ValueError(f"_weight: expected shape {shape} (num_embeddings, embedding_dim), got {w.shape}")
            self.weight = Parameter(w)
        self.weight.requires_grad_(not _freeze)

    def reset_parameters(self) -> None:
        """N(0, 1), then the padding row set to zero (PyTorch's init).

        Example:
            >>> emb = Embedding(5, 2, padding_idx=0)
            >>> emb.reset_parameters(); emb.weight[0]
            tensor([0., 0.], requires_grad=True)
        """
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight._data[self.padding_idx] = 0.0

    def forward(self, input: Any) -> Tensor:
        return E.embedding(
            input, self.weight, self.padding_idx, self.max_norm, self.norm_type, self.scale_grad_by_freq, self.sparse
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Any,
        freeze: bool = True,
        padding_idx: Optional[int] = None,
        max_norm: Optional[float] = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding holding a copy of the 2-D ``embeddings`` (frozen unless ``freeze=False``).

        Example:
            >>> emb = Embedding.from_pretrained(np.eye(3, dtype=np.float32))
            >>> emb(ne.tensor([2])).numpy()
            array([[0., 0., 1.]], dtype=float32)
        """
        w = as_array(embeddings)
        if w.ndim != 2:
            raise ValueError(f"embeddings: expected a 2-D array (num_embeddings, embedding_dim), got shape {w.shape}")
        return cls(
            w.shape[0], w.shape[1], padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, _weight=w,
            _freeze=freeze,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2.0:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        if self.sparse:
            s += ", sparse=True"
        return s
