"""``F.channel_shuffle`` (ShuffleNet, Zhang et al. 2017): interleave the channels of ``groups`` groups, a
differentiable reshape / transpose."""

from __future__ import annotations

from ..tensor import Tensor
from ._util import check_tensor, positive_int


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """(N, g * k, *) -> channels reordered as (k, g): channel ``i * k + j`` moves to ``j * g + i``, torch's.

    Example:
        >>> F.channel_shuffle(ne.arange(4.0).reshape(1, 4, 1), 2).flatten()
        tensor([0., 2., 1., 3.])
    """
    x = check_tensor(input, "input", float64=True)
    g = positive_int(groups, "groups")
    if x.ndim < 3:
        raise ValueError(f"input: channel_shuffle expects (N, C, *) input with at least 3 dimensions, got {x.shape}")
    n, c = x.shape[:2]
    if c % g:
        raise ValueError(f"groups: the number of channels ({c}) must be divisible by groups={g}")
    rest = tuple(x.shape[2:])
    return x.reshape((n, g, c // g) + rest).transpose(1, 2).reshape((n, c) + rest)


native_channel_shuffle = channel_shuffle
