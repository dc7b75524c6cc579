"""Ready-made models (plain Modules)."""

# --- logistic regression, MLP
from .mlp import MLP, LogisticRegression

# --- LeNet-5
# isort: split
from .lenet import LeNet5

# --- autoencoders, VAE, GAN, RBM, DBN, ladder
# isort: split
from .autoencoder import Autoencoder, ConvAutoencoder, DenoisingAutoencoder
from .dbn import DBN
from .gan import GAN
from .ladder import Ladder
from .rbm import RBM
from .vae import VAE

# --- character LSTM and the pretrained model zoo
# isort: split
from .char_lstm import CharLSTM
from .zoo import list_pretrained, pretrained

__all__ = [name for name in dir() if not name.startswith("_")]
