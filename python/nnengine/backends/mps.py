"""``torch.backends.mps``: no Apple GPU support; ``is_available()`` is False.

Example:
    >>> import nnengine as ne
    >>> ne.backends.mps.is_available()
    False
"""


def is_available() -> bool:
    """Always False.

    Example:
        >>> ne.backends.mps.is_available()
        False
    """
    return False


def is_built() -> bool:
    """Always False.

    Example:
        >>> ne.backends.mps.is_built()
        False
    """
    return False
