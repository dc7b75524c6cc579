"""A torchvision-compatible subset: ``import nnengine.vision as torchvision`` or
``from nnengine.vision import datasets, models, transforms, utils``.

- ``models``: ResNet-18/34/50/101/152, VGG-11/13/16/19 (and ``_bn``), AlexNet with torchvision's module names and
  state_dict keys, so ``model.load_state_dict(nnengine.load("resnet18-f37072fd.pth"))`` loads torchvision's file.
- ``transforms``: Compose, ToTensor, PILToTensor, Normalize, Resize, CenterCrop, RandomCrop, RandomHorizontalFlip,
  RandomResizedCrop, Pad, Grayscale, Lambda, ToPILImage on PIL images, numpy arrays and tensors.
- ``datasets``: MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageFolder, DatasetFolder, FakeData read from local
  files in torchvision's layouts (nothing is ever downloaded).
- ``utils``: make_grid, save_image.

Pillow is imported lazily, only by what reads, writes or builds PIL images.

Example:
    >>> import nnengine.vision as torchvision
    >>> torchvision.models.resnet18(num_classes=2).fc.out_features
    2
"""

from . import datasets, models, transforms, utils

__version__ = "0.0.0+nnengine"

__all__ = ["datasets", "models", "transforms", "utils"]
