"""``torch.utils.model_zoo``: ``load_url`` is ``nnengine.hub.load_state_dict_from_url`` (the hub cache, no
download), as in torch.

Example:
    >>> from nnengine.utils import model_zoo
    >>> model_zoo.load_url is model_zoo.load_state_dict_from_url
    True
"""

from ..hub import load_state_dict_from_url

load_url = load_state_dict_from_url

__all__ = ["load_url", "load_state_dict_from_url"]
