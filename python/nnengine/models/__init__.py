"""Ready-made models (plain Modules)."""

# --- logistic regression, MLP (issue 3)
from .mlp import MLP, LogisticRegression

# --- LeNet-5 (issue 4)
# isort: split
from .lenet import LeNet5

# --- autoencoders, VAE, GAN, RBM, DBN, ladder (issue 8)
# isort: split
from .autoencoder import Autoencoder, ConvAutoencoder, DenoisingAutoencoder
from .dbn import DBN
from .gan import GAN
from .ladder import Ladder
from .rbm import RBM
from .vae import VAE

__all__ = [name for name in dir() if not name.startswith("_")]
