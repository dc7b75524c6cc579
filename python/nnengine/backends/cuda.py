"""``torch.backends.cuda``: flags accepted and ignored.

Example:
    >>> import nnengine.backends.cuda
    >>> nnengine.backends.cuda.matmul.allow_tf32 = False
"""

from types import SimpleNamespace

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True)


def is_built() -> bool:
    """Always False.

    Example:
        >>> ne.backends.cuda.is_built()
        False
    """
    return False
