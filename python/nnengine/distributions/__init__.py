"""``nnengine.distributions`` (torch.distributions' names): ``Categorical``, ``Normal``, ``Bernoulli`` and
``kl_divergence``; samples come from nnengine's generator (``ne.manual_seed``), log-probabilities,
entropies and ``Normal.rsample`` are differentiable through the tape.

Example:
    >>> from nnengine.distributions import Categorical
    >>> _ = ne.manual_seed(0); a = Categorical(probs=ne.tensor([0.1, 0.9])).sample((3,))
    >>> _ = ne.manual_seed(0); bool((Categorical(probs=ne.tensor([0.1, 0.9])).sample((3,)) == a).all())
    True
"""

from . import kl
from .bernoulli import Bernoulli
from .categorical import Categorical
from .distribution import Distribution
from .kl import kl_divergence
from .normal import Normal

__all__ = ["Bernoulli", "Categorical", "Distribution", "Normal", "kl", "kl_divergence"]
