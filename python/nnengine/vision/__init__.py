"""A torchvision-compatible subset: ``import nnengine.vision as torchvision`` or
``from nnengine.vision import datasets, models, ops, transforms, utils``.

- ``models``: ResNet-18/34/50/101/152, VGG-11/13/16/19 (and ``_bn``), AlexNet, MobileNetV2 with torchvision's
  module names and state_dict keys, so ``model.load_state_dict(nnengine.load("resnet18-f37072fd.pth"))`` loads
  torchvision's file.
- ``transforms``: Compose, ToTensor, PILToTensor, Normalize, Resize, CenterCrop, RandomCrop, RandomHorizontalFlip,
  RandomResizedCrop, Pad, Grayscale, Lambda, ToPILImage, RandomApply / RandomChoice / RandomOrder, GaussianBlur,
  RandomAffine, RandomErasing, FiveCrop / TenCrop, AutoAugment / RandAugment / TrivialAugmentWide... on PIL
  images, numpy arrays and tensors (``transforms.functional`` too: rotate, affine, gaussian_blur, erase...).
- ``datasets``: MNIST, FashionMNIST, CIFAR10, CIFAR100, ImageFolder, DatasetFolder, FakeData read from local
  files in torchvision's layouts (nothing is ever downloaded).
- ``ops``: box_convert, box_area, box_iou (and generalized / distance / complete), nms, batched_nms,
  clip_boxes_to_image, remove_small_boxes, sigmoid_focal_loss, Conv2dNormActivation.
- ``utils``: make_grid, save_image.

Pillow is imported lazily, only by what reads, writes or builds PIL images.

Example:
    >>> import nnengine.vision as torchvision
    >>> torchvision.models.resnet18(num_classes=2).fc.out_features
    2
"""

from . import datasets, models, ops, transforms, utils

__version__ = "0.0.0+nnengine"

__all__ = ["datasets", "models", "ops", "transforms", "utils"]
