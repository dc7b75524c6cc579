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

# --- character LSTM and the pretrained model zoo (issue 9)
# isort: split
from .char_lstm import CharLSTM
from .zoo import list_pretrained, pretrained

__all__ = [name for name in dir() if not name.startswith("_")]
