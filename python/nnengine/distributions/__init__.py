"""``nnengine.distributions`` (torch.distributions' names): ``Normal``, ``Categorical``, ``Bernoulli``,
``Binomial``, ``Multinomial``, ``Uniform``, ``Laplace``, ``Exponential``, ``Gamma``, ``Beta``, ``Dirichlet``,
``Poisson``, ``LogNormal``, ``MultivariateNormal``, ``LowRankMultivariateNormal``, ``OneHotCategorical``, ``Independent``, ``Cauchy``,
``HalfCauchy``, ``StudentT``, ``Gumbel``, ``Geometric``, ``MixtureSameFamily``, ``HalfNormal``, ``Chi2``, ``Pareto``,
``Weibull``, ``NegativeBinomial``, ``InverseGamma``, ``FisherSnedecor``, ``Kumaraswamy``,
``OneHotCategoricalStraightThrough``, ``ContinuousBernoulli``, ``RelaxedBernoulli``,
``RelaxedOneHotCategorical`` (and their log-space bases), ``TransformedDistribution``
(with ``distributions.transforms``) and ``kl_divergence``. Samples come from nnengine's generator
(``ne.manual_seed``); log-probabilities, entropies and ``rsample`` (where ``has_rsample``)
are differentiable through the tape.

Example:
    >>> from nnengine.distributions import Categorical
    >>> _ = ne.manual_seed(0); a = Categorical(probs=ne.tensor([0.1, 0.9])).sample((3,))
    >>> _ = ne.manual_seed(0); bool((Categorical(probs=ne.tensor([0.1, 0.9])).sample((3,)) == a).all())
    True
"""

from . import kl, transforms
from .bernoulli import Bernoulli
from .binomial import Binomial
from .categorical import Categorical
from .continuous_bernoulli import ContinuousBernoulli
from .dirichlet import Beta, Dirichlet
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Gamma
from .gamma_ratio import FisherSnedecor, InverseGamma
from .generalized_pareto import GeneralizedPareto
from .geometric import Geometric
from .heavy_tailed import Cauchy, Gumbel, HalfCauchy, StudentT
from .independent import Independent
from .kl import kl_divergence
from .kumaraswamy import Kumaraswamy
from .laplace import Laplace
from .low_rank_mvn import LowRankMultivariateNormal
from .mixture_same_family import MixtureSameFamily
from .multinomial import Multinomial
from .multivariate_normal import MultivariateNormal
from .negative_binomial import NegativeBinomial
from .normal import Normal
from .one_hot_categorical import OneHotCategorical, OneHotCategoricalStraightThrough
from .poisson import Poisson
from .positive import Chi2, HalfNormal, Pareto, Weibull
from .relaxed import ExpRelaxedCategorical, LogitRelaxedBernoulli, RelaxedBernoulli, RelaxedOneHotCategorical
from .transformed_distribution import LogNormal, TransformedDistribution
from .uniform import Uniform
from .von_mises import VonMises

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Cauchy", "Chi2", "ContinuousBernoulli", "Dirichlet", "Distribution",
           "ExpRelaxedCategorical", "Exponential", "FisherSnedecor", "Gamma", "Geometric", "Gumbel", "HalfCauchy",
           "HalfNormal", "Independent", "InverseGamma", "Kumaraswamy", "Laplace", "LogNormal", "LogitRelaxedBernoulli",
           "GeneralizedPareto", "LowRankMultivariateNormal", "VonMises", "MixtureSameFamily", "Multinomial", "MultivariateNormal", "NegativeBinomial", "Normal", "OneHotCategorical",
           "OneHotCategoricalStraightThrough", "Pareto", "Poisson", "RelaxedBernoulli", "RelaxedOneHotCategorical",
           "StudentT", "TransformedDistribution", "Uniform", "Weibull", "kl", "kl_divergence", "transforms"]
