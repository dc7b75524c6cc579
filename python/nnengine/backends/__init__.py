"""``torch.backends`` flags accepted as documented no-ops: ``cudnn.benchmark = True``,
``cudnn.deterministic = True`` change nothing (there is no cuDNN); ``mps.is_available()`` is False.
nnengine's own kernel/ISA controls are in ``nnengine.backend`` (singular).

Example:
    >>> import nnengine.backends.cudnn as cudnn
    >>> cudnn.benchmark = True      # accepted, no effect
"""

from . import cuda, cudnn, mps, openmp

__all__ = ["cuda", "cudnn", "mps", "openmp"]
