"""``torch.backends.cudnn``: flags accepted and ignored (nnengine has no cuDNN; CPU results are
deterministic for a fixed thread count anyway).

Example:
    >>> import nnengine.backends.cudnn as cudnn
    >>> cudnn.deterministic = True
"""

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """Always False: there is no cuDNN.

    Example:
        >>> ne.backends.cudnn.is_available()
        False
    """
    return False


def version() -> None:
    """None: there is no cuDNN.

    Example:
        >>> ne.backends.cudnn.version() is None
        True
    """
    return None
