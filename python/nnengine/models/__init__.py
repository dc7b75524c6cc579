"""Ready-made models (plain Modules)."""

# --- logistic regression, MLP (issue 3)
from .mlp import MLP, LogisticRegression

# --- LeNet-5 (issue 4)
from .lenet import LeNet5

# --- autoencoders, VAE, GAN, RBM, DBN, ladder (issue 8)

__all__ = [name for name in dir() if not name.startswith("_")]
