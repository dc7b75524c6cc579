"""Optimizers with fused C++ steps and learning-rate schedules, PyTorch's API (``nnengine.optim``).

Example:
    >>> from nnengine import optim
    >>> model = nn.Linear(4, 2)
    >>> opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> sched = optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.5)
    >>> for epoch in range(20):
    ...     opt.zero_grad(); model(ne.randn(8, 4)).pow(2).mean().backward(); opt.step(); sched.step()
    >>> sched.get_last_lr()
    [0.025]
"""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .lbfgs import LBFGS
from .nadam import NAdam, RAdam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .rprop import ASGD, Rprop
from .sgd import SGD
from .sparse_adam import SparseAdam

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam",
           "LBFGS", "Rprop", "ASGD", "SparseAdam", "lr_scheduler", "swa_utils"]
