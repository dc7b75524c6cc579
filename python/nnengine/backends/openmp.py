"""``torch.backends.openmp``: nnengine's kernels use OpenMP (threads: ``ne.set_num_threads``).

Example:
    >>> import nnengine.backends.openmp
    >>> nnengine.backends.openmp.is_available()
    True
"""


def is_available() -> bool:
    """True: the kernels are OpenMP-parallel.

    Example:
        >>> ne.backends.openmp.is_available()
        True
    """
    return True
