"""``nnengine.nn.functional`` IS ``nnengine.functional`` (``import nnengine.nn.functional as F`` as in torch).

Example:
    >>> import nnengine.nn.functional as F
    >>> import nnengine.functional
    >>> F is nnengine.functional
    True
"""

import sys

from .. import functional as _functional

sys.modules[__name__] = _functional
