"""yunjey/pytorch-tutorial programs (github.com/yunjey/pytorch-tutorial, tutorials/01-03) run with only their torch
imports rewritten (``swap`` of test_torch_scripts.py), next to the same source under real torch.

Each program keeps its model classes, hyper-parameter names and loop idioms as written. What changes, said in a
comment at each spot: torchvision (not installed) is replaced by the inline stand-in ``TORCHVISION`` below
(test_torch_examples_more's ``transforms`` and ``save_image``; ``datasets.MNIST`` = the bundled 8x8 digits
upscaled 3x and padded to 28x28, ``datasets.CIFAR10`` = seeded synthetic 3x32x32 images), a seed
is set, and the sizes/epochs shrink so that each program runs in seconds. Results are compared loosely (the engines
draw different random numbers), plus same-seed determinism within nnengine where a rerun is cheap."""

from __future__ import annotations

import random
import re

import numpy as np
import pytest
from test_torch_examples_more import _TRANSFORMS
from test_torch_scripts import result, run, swap

# Inserted where the programs import torchvision (after ``import torch``): test_torch_examples_more's stand-in
# (transforms, save_image) plus the datasets and transforms these programs use.
TORCHVISION = _TRANSFORMS + r'''
torch.manual_seed(0)  # the originals are unseeded; seeded here so that a rerun is comparable


class _MNIST(torch.utils.data.Dataset):
    """Stands in for torchvision.datasets.MNIST (a download): the bundled 8x8 digits (0..16) scaled to uint8,
    upscaled 3x (nearest) and padded by 2 to 28x28; the first 1400 are "train", the other 397 "test"."""
    def __init__(self, root, train=True, transform=None, download=False):
        d = _np.load(_os.environ["DIGITS"])
        part = slice(0, 1400) if train else slice(1400, None)
        imgs = (d["images"][part].reshape(-1, 8, 8) * (255 / 16)).round().astype(_np.uint8)
        self.data = _np.pad(imgs.repeat(3, 1).repeat(3, 2), ((0, 0), (2, 2), (2, 2)))
        self.targets = d["labels"][part]
        self.transform = transform

    def __len__(self):
        return len(self.targets)

    def __getitem__(self, index):
        img = self.data[index]
        if self.transform is not None:
            img = self.transform(img)
        return img, int(self.targets[index])


class _CIFAR10(_MNIST):
    """Stands in for torchvision.datasets.CIFAR10 (a download): seeded synthetic 32x32 RGB uint8 images, one smooth
    colour pattern per class (4x4 blocks of 8x8) plus noise and a random shift; 300 "train", 100 "test"."""
    def __init__(self, root, train=True, transform=None, download=False):
        rs = _np.random.RandomState(0)
        protos = rs.uniform(40, 215, size=(10, 4, 4, 3)).repeat(8, 1).repeat(8, 2)
        rs = _np.random.RandomState(1 if train else 2)
        n = 300 if train else 100
        self.targets = rs.randint(0, 10, size=n)
        imgs = protos[self.targets] + rs.normal(0, 30, size=(n, 32, 32, 3))
        for k in range(n):
            imgs[k] = _np.roll(imgs[k], tuple(rs.randint(-3, 4, size=2)), axis=(0, 1))
        self.data = imgs.clip(0, 255).astype(_np.uint8)
        self.transform = transform


class _Pad:  # transforms.Pad(p): zero border on an HxWxC image
    def __init__(self, padding):
        self.padding = padding

    def __call__(self, img):
        p = self.padding
        return _np.pad(_np.asarray(img), ((p, p), (p, p), (0, 0)))


class _RandomCrop:  # transforms.RandomCrop(size): top-left corner drawn with torch.randint, as torchvision's
    def __init__(self, size):
        self.size = size

    def __call__(self, img):
        h, w = img.shape[:2]
        i = torch.randint(0, h - self.size + 1, size=(1,)).item()
        j = torch.randint(0, w - self.size + 1, size=(1,)).item()
        return img[i:i + self.size, j:j + self.size]


transforms.Pad, transforms.RandomCrop = _Pad, _RandomCrop
torchvision = _types.SimpleNamespace(datasets=_types.SimpleNamespace(MNIST=_MNIST, CIFAR10=_CIFAR10),
                                     transforms=transforms, utils=_types.SimpleNamespace(save_image=save_image))
# ---- end of the torchvision stand-in
'''

# tutorials/01-basics/pytorch_basics/main.py, sections 1-7
PYTORCH_BASICS = r'''
import torch
# import torchvision -> the stand-in inserted below
import torch.nn as nn
import numpy as np
# import torchvision.transforms as transforms -> the stand-in
{TORCHVISION}

# ================================================================== #
#                     1. Basic autograd example 1                    #
# ================================================================== #

# Create tensors.
x = torch.tensor(1., requires_grad=True)
w = torch.tensor(2., requires_grad=True)
b = torch.tensor(3., requires_grad=True)

# Build a computational graph.
y = w * x + b    # y = 2 * x + 3

# Compute gradients.
y.backward()

# Print out the gradients.
print(x.grad)    # x.grad = 2
print(w.grad)    # w.grad = 1
print(b.grad)    # b.grad = 1
grads = (x.grad.item(), w.grad.item(), b.grad.item())  # (test: kept for the RESULT line)


# ================================================================== #
#                    2. Basic autograd example 2                     #
# ================================================================== #

# Create tensors of shape (10, 3) and (10, 2).
x = torch.randn(10, 3)
y = torch.randn(10, 2)

# Build a fully connected layer.
linear = nn.Linear(3, 2)
print ('w: ', linear.weight)
print ('b: ', linear.bias)

# Build loss function and optimizer.
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(linear.parameters(), lr=0.01)

# Forward pass.
pred = linear(x)

# Compute loss.
loss = criterion(pred, y)
print('loss: ', loss.item())
loss_before = loss.item()  # (test)

# Backward pass.
loss.backward()

# Print out the gradients.
print ('dL/dw: ', linear.weight.grad)
print ('dL/db: ', linear.bias.grad)
# (test: the gradient of the mean squared error, by hand)
expected_gw = (2 * (pred - y).t() @ x / pred.numel()).detach()
grad_err = (linear.weight.grad - expected_gw).abs().max().item()

# 1-step gradient descent.
optimizer.step()

# You can also perform gradient descent at the low level.
# linear.weight.data.sub_(0.01 * linear.weight.grad.data)
# linear.bias.data.sub_(0.01 * linear.bias.grad.data)

# Print out the loss after 1-step gradient descent.
pred = linear(x)
loss = criterion(pred, y)
print('loss after 1 step optimization: ', loss.item())
loss_after = loss.item()  # (test)


# ================================================================== #
#                     3. Loading data from numpy                     #
# ================================================================== #

# Create a numpy array.
x = np.array([[1, 2], [3, 4]])

# Convert the numpy array to a torch tensor.
y = torch.from_numpy(x)

# Convert the torch tensor to a numpy array.
z = y.numpy()
numpy_ok = float(z.dtype == x.dtype and (z == x).all() and y.dtype == torch.int64)  # (test)


# ================================================================== #
#                         4. Input pipeline                           #
# ================================================================== #

# Download and construct CIFAR-10 dataset.
train_dataset = torchvision.datasets.CIFAR10(root='../../data/',
                                             train=True,
                                             transform=transforms.ToTensor(),
                                             download=True)

# Fetch one data pair (read data from disk).
image, label = train_dataset[0]
print (image.size())
print (label)

# Data loader (this provides queues and threads in a very simple way).
train_loader = torch.utils.data.DataLoader(dataset=train_dataset,
                                           batch_size=64,
                                           shuffle=True)

# When iteration starts, queue and thread start to load data from files.
data_iter = iter(train_loader)

# Mini-batch images and labels.
images, labels = next(data_iter)  # data_iter.next() in the original: Python 2 only (torch 2.13 has no .next())
batch_shape = tuple(images.shape) + tuple(labels.shape)  # (test)

# Actual usage of the data loader is as below.
batches = 0  # (test)
for images, labels in train_loader:
    # Training code should be written here.
    batches += 1  # (test: `pass` in the original)


# ================================================================== #
#                5. Input pipeline for custom dataset                 #
# ================================================================== #

# You should build your custom dataset as below.
class CustomDataset(torch.utils.data.Dataset):
    def __init__(self):
        # TODO
        # 1. Initialize file paths or a list of file names.
        # (test: the TODOs filled in with the digits; the original's empty dataset makes DataLoader(shuffle=True)
        # raise "num_samples should be a positive integer value" under torch too)
        self.data = np.load(_os.environ["DIGITS"])["images"][:100]
    def __getitem__(self, index):
        # TODO
        # 1. Read one data from file (e.g. using numpy.fromfile, PIL.Image.open).
        # 2. Preprocess the data (e.g. torchvision.Transform).
        # 3. Return a data pair (e.g. image and label).
        return torch.from_numpy(self.data[index].astype(np.float32) / 16), index % 2
    def __len__(self):
        # You should change 0 to the total size of your dataset.
        return len(self.data)

# You can then use the prebuilt data loader.
custom_dataset = CustomDataset()
train_loader = torch.utils.data.DataLoader(dataset=custom_dataset,
                                           batch_size=64,
                                           shuffle=True)
custom_sizes = [len(b) for b, _ in train_loader]  # (test)


# ================================================================== #
#                        6. Pretrained model                         #
# ================================================================== #

class TinyResNet(nn.Module):
    """(test) Stands in for torchvision.models.resnet18(pretrained=True), a download: conv-bn-relu, global
    average pool and an `fc` head, so that the fine-tuning idiom below runs as written."""
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 1000)

    def forward(self, x):
        x = self.avgpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(x, 1))


# Download and load the pretrained ResNet-18.
resnet = TinyResNet()  # torchvision.models.resnet18(pretrained=True) in the original

# If you want to finetune only the top layer of the model, set as below.
for param in resnet.parameters():
    param.requires_grad = False

# Replace the top layer for finetuning.
resnet.fc = nn.Linear(resnet.fc.in_features, 100)  # 100 is an example.

# Forward pass.
images = torch.randn(4, 3, 32, 32)  # (64, 3, 224, 224) in the original
outputs = resnet(images)
print (outputs.size())     # (64, 100)
trainable = sum(p.numel() for p in resnet.parameters() if p.requires_grad)  # (test)


# ================================================================== #
#                      7. Save and load the model                    #
# ================================================================== #

# Save and load the entire model.
torch.save(resnet, 'model.ckpt')
model = torch.load('model.ckpt', weights_only=False)  # torch >= 2.6 needs weights_only=False for a whole model

# Save and load only the model parameters (recommended).
torch.save(resnet.state_dict(), 'params.ckpt')
resnet.load_state_dict(torch.load('params.ckpt'))

same = float(torch.equal(model(images), outputs) and torch.equal(resnet(images), outputs))  # (test)
print("RESULT gx={} gw={} gb={} loss_before={} loss_after={} grad_err={} numpy_ok={} image={} label_ok={} "
      "batch={} batches={} custom={} out={} trainable={} same={}".format(
          *grads, loss_before, loss_after, grad_err, numpy_ok, image.numel(), float(0 <= label < 10),
          np.prod(batch_shape), batches, sum(custom_sizes) * 1000 + len(custom_sizes), outputs.numel(),
          trainable, same))
'''

# tutorials/01-basics/linear_regression/main.py (unchanged but for the RESULT line; matplotlib on the Agg backend)
LINEAR_REGRESSION = r'''
import torch
import torch.nn as nn
import numpy as np
import matplotlib
matplotlib.use("Agg")  # (test: no display)
import matplotlib.pyplot as plt
torch.manual_seed(0)  # (test)


# Hyper-parameters
input_size = 1
output_size = 1
num_epochs = 60
learning_rate = 0.001

# Toy dataset
x_train = np.array([[3.3], [4.4], [5.5], [6.71], [6.93], [4.168],
                    [9.779], [6.182], [7.59], [2.167], [7.042],
                    [10.791], [5.313], [7.997], [3.1]], dtype=np.float32)

y_train = np.array([[1.7], [2.76], [2.09], [3.19], [1.694], [1.573],
                    [3.366], [2.596], [2.53], [1.221], [2.827],
                    [3.465], [1.65], [2.904], [1.3]], dtype=np.float32)

# Linear regression model
model = nn.Linear(input_size, output_size)

# Loss and optimizer
criterion = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

# Train the model
for epoch in range(num_epochs):
    # Convert numpy arrays to torch tensors
    inputs = torch.from_numpy(x_train)
    targets = torch.from_numpy(y_train)

    # Forward pass
    outputs = model(inputs)
    loss = criterion(outputs, targets)

    # Backward and optimize
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

    if (epoch+1) % 5 == 0:
        print ('Epoch [{}/{}], Loss: {:.4f}'.format(epoch+1, num_epochs, loss.item()))

# Plot the graph
predicted = model(torch.from_numpy(x_train)).detach().numpy()
plt.plot(x_train, y_train, 'ro', label='Original data')
plt.plot(x_train, predicted, label='Fitted line')
plt.legend()
plt.show()

# Save the model checkpoint
torch.save(model.state_dict(), 'model.ckpt')
print("RESULT loss={} fit_mse={}".format(loss.item(), float(((predicted - y_train) ** 2).mean())))
'''

# tutorials/01-basics/logistic_regression/main.py
LOGISTIC_REGRESSION = r'''
import torch
import torch.nn as nn
# import torchvision, torchvision.transforms as transforms -> the stand-in
{TORCHVISION}

# Hyper-parameters
input_size = 28 * 28    # 784
num_classes = 10
num_epochs = 10  # 5 in the original (60000 MNIST images; 1400 digits here)
batch_size = 100
learning_rate = 0.01  # 0.001 in the original: its 3000 steps are 140 here

# MNIST dataset (images and labels)
train_dataset = torchvision.datasets.MNIST(root='../../data',
                                           train=True,
                                           transform=transforms.ToTensor(),
                                           download=True)

test_dataset = torchvision.datasets.MNIST(root='../../data',
                                          train=False,
                                          transform=transforms.ToTensor())

# Data loader (input pipeline)
train_loader = torch.utils.data.DataLoader(dataset=train_dataset,
                                           batch_size=batch_size,
                                           shuffle=True)

test_loader = torch.utils.data.DataLoader(dataset=test_dataset,
                                          batch_size=batch_size,
                                          shuffle=False)

# Logistic regression model
model = nn.Linear(input_size, num_classes)

# Loss and optimizer
# nn.CrossEntropyLoss() computes softmax internally
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)

# Train the model
total_step = len(train_loader)
for epoch in range(num_epochs):
    for i, (images, labels) in enumerate(train_loader):
        # Reshape images to (batch_size, input_size)
        images = images.reshape(-1, input_size)

        # Forward pass
        outputs = model(images)
        loss = criterion(outputs, labels)

        # Backward and optimize
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i+1) % 100 == 0:
            print ('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                   .format(epoch+1, num_epochs, i+1, total_step, loss.item()))

# Test the model
# In test phase, we don't need to compute gradients (for memory efficiency)
with torch.no_grad():
    correct = 0
    total = 0
    for images, labels in test_loader:
        images = images.reshape(-1, input_size)
        outputs = model(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum()

    print('Accuracy of the model on the 10000 test images: {} %'.format(100 * correct / total))

# Save the model checkpoint
torch.save(model.state_dict(), 'model.ckpt')
print("RESULT loss={} acc={}".format(loss.item(), float(correct / total)))
'''

# tutorials/01-basics/feedforward_neural_network/main.py
FEEDFORWARD = r'''
import torch
import torch.nn as nn
# import torchvision, torchvision.transforms as transforms -> the stand-in
{TORCHVISION}

# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Hyper-parameters
input_size = 784
hidden_size = 500
num_classes = 10
num_epochs = 3  # 5 in the original
batch_size = 100
learning_rate = 0.001

# MNIST dataset
train_dataset = torchvision.datasets.MNIST(root='../../data',
                                           train=True,
                                           transform=transforms.ToTensor(),
                                           download=True)

test_dataset = torchvision.datasets.MNIST(root='../../data',
                                          train=False,
                                          transform=transforms.ToTensor())

# Data loader
train_loader = torch.utils.data.DataLoader(dataset=train_dataset,
                                           batch_size=batch_size,
                                           shuffle=True)

test_loader = torch.utils.data.DataLoader(dataset=test_dataset,
                                          batch_size=batch_size,
                                          shuffle=False)

# Fully connected neural network with one hidden layer
class NeuralNet(nn.Module):
    def __init__(self, input_size, hidden_size, num_classes):
        super(NeuralNet, self).__init__()
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        out = self.fc1(x)
        out = self.relu(out)
        out = self.fc2(out)
        return out

model = NeuralNet(input_size, hidden_size, num_classes).to(device)

# Loss and optimizer
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

# Train the model
total_step = len(train_loader)
for epoch in range(num_epochs):
    for i, (images, labels) in enumerate(train_loader):
        # Move tensors to the configured device
        images = images.reshape(-1, 28*28).to(device)
        labels = labels.to(device)

        # Forward pass
        outputs = model(images)
        loss = criterion(outputs, labels)

        # Backward and optimize
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i+1) % 100 == 0:
            print ('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                   .format(epoch+1, num_epochs, i+1, total_step, loss.item()))

# Test the model
# In test phase, we don't need to compute gradients (for memory efficiency)
with torch.no_grad():
    correct = 0
    total = 0
    for images, labels in test_loader:
        images = images.reshape(-1, 28*28).to(device)
        labels = labels.to(device)
        outputs = model(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

    print('Accuracy of the network on the 10000 test images: {} %'.format(100 * correct / total))

# Save the model checkpoint
torch.save(model.state_dict(), 'model.ckpt')
print("RESULT loss={} acc={}".format(loss.item(), correct / total))
'''

# tutorials/02-intermediate/convolutional_neural_network/main.py
CNN = r'''
import torch
import torch.nn as nn
# import torchvision, torchvision.transforms as transforms -> the stand-in
{TORCHVISION}

# Device configuration
device = torch.device('cuda:0' if torch.cuda.is_available() else 'cpu')

# Hyper parameters
num_epochs = 2  # 5 in the original
num_classes = 10
batch_size = 100
learning_rate = 0.001

# MNIST dataset
train_dataset = torchvision.datasets.MNIST(root='../../data/',
                                           train=True,
                                           transform=transforms.ToTensor(),
                                           download=True)

test_dataset = torchvision.datasets.MNIST(root='../../data/',
                                          train=False,
                                          transform=transforms.ToTensor())

# Data loader
train_loader = torch.utils.data.DataLoader(dataset=train_dataset,
                                           batch_size=batch_size,
                                           shuffle=True)

test_loader = torch.utils.data.DataLoader(dataset=test_dataset,
                                          batch_size=batch_size,
                                          shuffle=False)

# Convolutional neural network (two convolutional layers)
class ConvNet(nn.Module):
    def __init__(self, num_classes=10):
        super(ConvNet, self).__init__()
        self.layer1 = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.layer2 = nn.Sequential(
            nn.Conv2d(16, 32, kernel_size=5, stride=1, padding=2),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(kernel_size=2, stride=2))
        self.fc = nn.Linear(7*7*32, num_classes)

    def forward(self, x):
        out = self.layer1(x)
        out = self.layer2(out)
        out = out.reshape(out.size(0), -1)
        out = self.fc(out)
        return out

model = ConvNet(num_classes).to(device)

# Loss and optimizer
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

# Train the model
total_step = len(train_loader)
for epoch in range(num_epochs):
    for i, (images, labels) in enumerate(train_loader):
        images = images.to(device)
        labels = labels.to(device)

        # Forward pass
        outputs = model(images)
        loss = criterion(outputs, labels)

        # Backward and optimize
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i+1) % 100 == 0:
            print ('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                   .format(epoch+1, num_epochs, i+1, total_step, loss.item()))

# Test the model
model.eval()  # eval mode (batchnorm uses moving mean/variance instead of mini-batch mean/variance)
with torch.no_grad():
    correct = 0
    total = 0
    for images, labels in test_loader:
        images = images.to(device)
        labels = labels.to(device)
        outputs = model(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

    print('Test Accuracy of the model on the 10000 test images: {} %'.format(100 * correct / total))

# Save the model checkpoint
torch.save(model.state_dict(), 'model.ckpt')
print("RESULT loss={} acc={}".format(loss.item(), correct / total))
'''

# tutorials/02-intermediate/deep_residual_network/main.py
RESNET = r'''
# ---------------------------------------------------------------------------- #
# An implementation of https://arxiv.org/pdf/1512.03385.pdf                    #
# See section 4.2 for the model architecture on CIFAR-10                       #
# Some part of the code was referenced from below                              #
# https://github.com/pytorch/vision/blob/master/torchvision/models/resnet.py   #
# ---------------------------------------------------------------------------- #

import torch
import torch.nn as nn
# import torchvision, torchvision.transforms as transforms -> the stand-in
{TORCHVISION}

# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Hyper-parameters
num_epochs = 3  # 80 in the original
batch_size = 25  # 100 in the original
learning_rate = 0.001

# Image preprocessing modules
transform = transforms.Compose([
    transforms.Pad(4),
    transforms.RandomHorizontalFlip(),
    transforms.RandomCrop(32),
    transforms.ToTensor()])

# CIFAR-10 dataset
train_dataset = torchvision.datasets.CIFAR10(root='../../data/',
                                             train=True,
                                             transform=transform,
                                             download=True)

test_dataset = torchvision.datasets.CIFAR10(root='../../data/',
                                            train=False,
                                            transform=transforms.ToTensor())

# Data loader
train_loader = torch.utils.data.DataLoader(dataset=train_dataset,
                                           batch_size=batch_size,
                                           shuffle=True)

test_loader = torch.utils.data.DataLoader(dataset=test_dataset,
                                          batch_size=batch_size,
                                          shuffle=False)

# 3x3 convolution
def conv3x3(in_channels, out_channels, stride=1):
    return nn.Conv2d(in_channels, out_channels, kernel_size=3,
                     stride=stride, padding=1, bias=False)

# Residual block
class ResidualBlock(nn.Module):
    def __init__(self, in_channels, out_channels, stride=1, downsample=None):
        super(ResidualBlock, self).__init__()
        self.conv1 = conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(out_channels, out_channels)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)
        out = self.conv2(out)
        out = self.bn2(out)
        if self.downsample:
            residual = self.downsample(x)
        out += residual
        out = self.relu(out)
        return out

# ResNet
class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=10):
        super(ResNet, self).__init__()
        self.in_channels = 16
        self.conv = conv3x3(3, 16)
        self.bn = nn.BatchNorm2d(16)
        self.relu = nn.ReLU(inplace=True)
        self.layer1 = self.make_layer(block, 16, layers[0])
        self.layer2 = self.make_layer(block, 32, layers[1], 2)
        self.layer3 = self.make_layer(block, 64, layers[2], 2)
        self.avg_pool = nn.AvgPool2d(8)
        self.fc = nn.Linear(64, num_classes)

    def make_layer(self, block, out_channels, blocks, stride=1):
        downsample = None
        if (stride != 1) or (self.in_channels != out_channels):
            downsample = nn.Sequential(
                conv3x3(self.in_channels, out_channels, stride=stride),
                nn.BatchNorm2d(out_channels))
        layers = []
        layers.append(block(self.in_channels, out_channels, stride, downsample))
        self.in_channels = out_channels
        for i in range(1, blocks):
            layers.append(block(out_channels, out_channels))
        return nn.Sequential(*layers)

    def forward(self, x):
        out = self.conv(x)
        out = self.bn(out)
        out = self.relu(out)
        out = self.layer1(out)
        out = self.layer2(out)
        out = self.layer3(out)
        out = self.avg_pool(out)
        out = out.view(out.size(0), -1)
        out = self.fc(out)
        return out

model = ResNet(ResidualBlock, [2, 2, 2]).to(device)


# Loss and optimizer
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

# For updating learning rate
def update_lr(optimizer, lr):
    for param_group in optimizer.param_groups:
        param_group['lr'] = lr

# Train the model
total_step = len(train_loader)
curr_lr = learning_rate
for epoch in range(num_epochs):
    for i, (images, labels) in enumerate(train_loader):
        images = images.to(device)
        labels = labels.to(device)

        # Forward pass
        outputs = model(images)
        loss = criterion(outputs, labels)

        # Backward and optimize
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i+1) % 100 == 0:
            print ("Epoch [{}/{}], Step [{}/{}] Loss: {:.4f}"
                   .format(epoch+1, num_epochs, i+1, total_step, loss.item()))

    # Decay learning rate
    if (epoch+1) % 2 == 0:  # every 20 epochs of 80 in the original
        curr_lr /= 3
        update_lr(optimizer, curr_lr)

# Test the model
model.eval()
with torch.no_grad():
    correct = 0
    total = 0
    for images, labels in test_loader:
        images = images.to(device)
        labels = labels.to(device)
        outputs = model(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

    print('Accuracy of the model on the test images: {} %'.format(100 * correct / total))

# Save the model checkpoint
torch.save(model.state_dict(), 'resnet.ckpt')
print("RESULT loss={} acc={} lr={}".format(loss.item(), correct / total, optimizer.param_groups[0]['lr']))
'''

# tutorials/02-intermediate/recurrent_neural_network/main.py
RNN = r'''
import torch
import torch.nn as nn
# import torchvision, torchvision.transforms as transforms -> the stand-in
{TORCHVISION}

# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Hyper-parameters
sequence_length = 28
input_size = 28
hidden_size = 64  # 128 in the original
num_layers = 2
num_classes = 10
batch_size = 100
num_epochs = 3  # 2 in the original (60000 MNIST images; 1400 digits here)
learning_rate = 0.01

# MNIST dataset
train_dataset = torchvision.datasets.MNIST(root='../../data/',
                                           train=True,
                                           transform=transforms.ToTensor(),
                                           download=True)

test_dataset = torchvision.datasets.MNIST(root='../../data/',
                                          train=False,
                                          transform=transforms.ToTensor())

# Data loader
train_loader = torch.utils.data.DataLoader(dataset=train_dataset,
                                           batch_size=batch_size,
                                           shuffle=True)

test_loader = torch.utils.data.DataLoader(dataset=test_dataset,
                                          batch_size=batch_size,
                                          shuffle=False)

# Recurrent neural network (many-to-one)
class RNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(RNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        # Set initial hidden and cell states
        h0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)
        c0 = torch.zeros(self.num_layers, x.size(0), self.hidden_size).to(device)

        # Forward propagate LSTM
        out, _ = self.lstm(x, (h0, c0))  # out: tensor of shape (batch_size, seq_length, hidden_size)

        # Decode the hidden state of the last time step
        out = self.fc(out[:, -1, :])
        return out

model = RNN(input_size, hidden_size, num_layers, num_classes).to(device)


# Loss and optimizer
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

# Train the model
total_step = len(train_loader)
for epoch in range(num_epochs):
    for i, (images, labels) in enumerate(train_loader):
        images = images.reshape(-1, sequence_length, input_size).to(device)
        labels = labels.to(device)

        # Forward pass
        outputs = model(images)
        loss = criterion(outputs, labels)

        # Backward and optimize
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i+1) % 100 == 0:
            print ('Epoch [{}/{}], Step [{}/{}], Loss: {:.4f}'
                   .format(epoch+1, num_epochs, i+1, total_step, loss.item()))

# Test the model
model.eval()
with torch.no_grad():
    correct = 0
    total = 0
    for images, labels in test_loader:
        images = images.reshape(-1, sequence_length, input_size).to(device)
        labels = labels.to(device)
        outputs = model(images)
        _, predicted = torch.max(outputs.data, 1)
        total += labels.size(0)
        correct += (predicted == labels).sum().item()

    print('Test Accuracy of the model on the 10000 test images: {} %'.format(100 * correct / total))

# Save the model checkpoint
torch.save(model.state_dict(), 'model.ckpt')
print("RESULT loss={} acc={}".format(loss.item(), correct / total))
'''

# tutorials/02-intermediate/bidirectional_recurrent_neural_network/main.py: the same program but for the BiRNN
# class below, lr 0.003 and no model.eval()
_BIRNN_CLASS = r'''# Bidirectional recurrent neural network (many-to-one)
class BiRNN(nn.Module):
    def __init__(self, input_size, hidden_size, num_layers, num_classes):
        super(BiRNN, self).__init__()
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.lstm = nn.LSTM(input_size, hidden_size, num_layers, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(hidden_size*2, num_classes)  # 2 for bidirection

    def forward(self, x):
        # Set initial states
        h0 = torch.zeros(self.num_layers*2, x.size(0), self.hidden_size).to(device) # 2 for bidirection
        c0 = torch.zeros(self.num_layers*2, x.size(0), self.hidden_size).to(device)

        # Forward propagate LSTM
        out, _ = self.lstm(x, (h0, c0))  # out: tensor of shape (batch_size, seq_length, hidden_size*2)

        # Decode the hidden state of the last time step
        out = self.fc(out[:, -1, :])
        return out

'''
BIRNN = RNN.replace(RNN[RNN.index("# Recurrent neural network"):RNN.index("model = RNN(")], _BIRNN_CLASS)
BIRNN = BIRNN.replace("model = RNN(", "model = BiRNN(").replace("learning_rate = 0.01\n", "learning_rate = 0.003\n")
BIRNN = BIRNN.replace("model.eval()\nwith torch.no_grad()", "with torch.no_grad()")  # it has no model.eval()


# tutorials/02-intermediate/language_model/data_utils.py, as written
DATA_UTILS = r'''import torch
import os


class Dictionary(object):
    def __init__(self):
        self.word2idx = {}
        self.idx2word = {}
        self.idx = 0

    def add_word(self, word):
        if not word in self.word2idx:
            self.word2idx[word] = self.idx
            self.idx2word[self.idx] = word
            self.idx += 1

    def __len__(self):
        return len(self.word2idx)


class Corpus(object):
    def __init__(self):
        self.dictionary = Dictionary()

    def get_data(self, path, batch_size=20):
        # Add words to the dictionary
        with open(path, 'r') as f:
            tokens = 0
            for line in f:
                words = line.split() + ['<eos>']
                tokens += len(words)
                for word in words:
                    self.dictionary.add_word(word)

        # Tokenize the file content
        ids = torch.LongTensor(tokens)
        token = 0
        with open(path, 'r') as f:
            for line in f:
                words = line.split() + ['<eos>']
                for word in words:
                    ids[token] = self.dictionary.word2idx[word]
                    token += 1
        num_batches = ids.size(0) // batch_size
        ids = ids[:num_batches*batch_size]
        return ids.view(batch_size, -1)
'''


def train_txt() -> str:
    """Stands in for the Penn Treebank data/train.txt: 900 sentences of a tiny seeded grammar (30 words)."""
    rng = random.Random(0)
    subj = ["the cat", "a dog", "the old man", "my friend", "the bird", "a child"]
    verb = ["sees", "likes", "finds", "follows", "hears"]
    obj = ["the ball", "a red box", "the small house", "a tree", "the river", "some bread"]
    tail = ["today", "again", "in the morning", "near the house", ""]
    lines = [" ".join(w for w in (rng.choice(subj), rng.choice(verb), rng.choice(obj), rng.choice(tail)) if w)
             for _ in range(900)]
    return "\n".join(lines) + "\n"


# tutorials/02-intermediate/language_model/main.py
LANGUAGE_MODEL = r'''
# Some part of the code was referenced from below.
# https://github.com/pytorch/examples/tree/master/word_language_model
import torch
import torch.nn as nn
import numpy as np
from torch.nn.utils import clip_grad_norm_
from data_utils import Dictionary, Corpus
torch.manual_seed(0)  # (test)


# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Hyper-parameters
embed_size = 32  # 128 in the original
hidden_size = 128  # 1024 in the original
num_layers = 1
num_epochs = 5
num_samples = 200     # number of words to be sampled (1000 in the original)
batch_size = 20
seq_length = 30
learning_rate = 0.002

# Load "Penn Treebank" dataset
corpus = Corpus()
ids = corpus.get_data('data/train.txt', batch_size)
vocab_size = len(corpus.dictionary)
num_batches = ids.size(1) // seq_length


# RNN based language model
class RNNLM(nn.Module):
    def __init__(self, vocab_size, embed_size, hidden_size, num_layers):
        super(RNNLM, self).__init__()
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.lstm = nn.LSTM(embed_size, hidden_size, num_layers, batch_first=True)
        self.linear = nn.Linear(hidden_size, vocab_size)

    def forward(self, x, h):
        # Embed word ids to vectors
        x = self.embed(x)

        # Forward propagate LSTM
        out, (h, c) = self.lstm(x, h)

        # Reshape output to (batch_size*sequence_length, hidden_size)
        out = out.reshape(out.size(0)*out.size(1), out.size(2))

        # Decode hidden states of all time steps
        out = self.linear(out)
        return out, (h, c)

model = RNNLM(vocab_size, embed_size, hidden_size, num_layers).to(device)

# Loss and optimizer
criterion = nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

# Truncated backpropagation
def detach(states):
    return [state.detach() for state in states]

# Train the model
for epoch in range(num_epochs):
    # Set initial hidden and cell states
    states = (torch.zeros(num_layers, batch_size, hidden_size).to(device),
              torch.zeros(num_layers, batch_size, hidden_size).to(device))

    for i in range(0, ids.size(1) - seq_length, seq_length):
        # Get mini-batch inputs and targets
        inputs = ids[:, i:i+seq_length].to(device)
        targets = ids[:, (i+1):(i+1)+seq_length].to(device)

        # Forward pass
        states = detach(states)
        outputs, states = model(inputs, states)
        loss = criterion(outputs, targets.reshape(-1))

        # Backward and optimize
        optimizer.zero_grad()
        loss.backward()
        clip_grad_norm_(model.parameters(), 0.5)
        optimizer.step()

        step = (i+1) // seq_length
        if step % 100 == 0:
            print ('Epoch [{}/{}], Step[{}/{}], Loss: {:.4f}, Perplexity: {:5.2f}'
                   .format(epoch+1, num_epochs, step, num_batches, loss.item(), np.exp(loss.item())))

# Test the model
with torch.no_grad():
    with open('sample.txt', 'w') as f:
        # Set intial hidden ane cell states
        state = (torch.zeros(num_layers, 1, hidden_size).to(device),
                 torch.zeros(num_layers, 1, hidden_size).to(device))

        # Select one word id randomly
        prob = torch.ones(vocab_size)
        input = torch.multinomial(prob, num_samples=1).unsqueeze(1).to(device)

        for i in range(num_samples):
            # Forward propagate RNN
            output, state = model(input, state)

            # Sample a word id
            prob = output.exp()
            word_id = torch.multinomial(prob, num_samples=1).item()

            # Fill input with sampled word id for the next time step
            input.fill_(word_id)

            # File write
            word = corpus.dictionary.idx2word[word_id]
            word = '\n' if word == '<eos>' else word + ' '
            f.write(word)

            if (i+1) % 100 == 0:
                print('Sampled [{}/{}] words and save to {}'.format(i+1, num_samples, 'sample.txt'))

# Save the model checkpoints
torch.save(model.state_dict(), 'model.ckpt')

# (test) the share of sampled word pairs that occur in the training text: the grammar was learned
def pairs(text):
    return {(a, b) for line in text.splitlines() for a, b in zip(line.split(), line.split()[1:])}
seen, sampled = pairs(open('data/train.txt').read()), pairs(open('sample.txt').read())
print("RESULT loss={} vocab={} tokens={} valid_pairs={}".format(
    loss.item(), vocab_size, ids.numel(), len(sampled & seen) / max(1, len(sampled))))
'''

# tutorials/03-advanced/generative_adversarial_network/main.py
GAN = r'''
import os
import torch
# import torchvision, from torchvision import transforms, from torchvision.utils import save_image -> the stand-in
import torch.nn as nn
{TORCHVISION}

# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Hyper-parameters
latent_size = 64
hidden_size = 256
image_size = 784
num_epochs = 6  # 200 in the original
batch_size = 100
sample_dir = 'samples'

# Create a directory if not exists
if not os.path.exists(sample_dir):
    os.makedirs(sample_dir)

# Image processing
# transform = transforms.Compose([
#                 transforms.ToTensor(),
#                 transforms.Normalize(mean=(0.5, 0.5, 0.5),   # 3 for RGB channels
#                                      std=(0.5, 0.5, 0.5))])
transform = transforms.Compose([
                transforms.ToTensor(),
                transforms.Normalize(mean=[0.5],   # 1 for greyscale channels
                                     std=[0.5])])

# MNIST dataset
mnist = torchvision.datasets.MNIST(root='../../data/',
                                   train=True,
                                   transform=transform,
                                   download=True)

# Data loader
data_loader = torch.utils.data.DataLoader(dataset=mnist,
                                          batch_size=batch_size,
                                          shuffle=True)

# Discriminator
D = nn.Sequential(
    nn.Linear(image_size, hidden_size),
    nn.LeakyReLU(0.2),
    nn.Linear(hidden_size, hidden_size),
    nn.LeakyReLU(0.2),
    nn.Linear(hidden_size, 1),
    nn.Sigmoid())

# Generator
G = nn.Sequential(
    nn.Linear(latent_size, hidden_size),
    nn.ReLU(),
    nn.Linear(hidden_size, hidden_size),
    nn.ReLU(),
    nn.Linear(hidden_size, image_size),
    nn.Tanh())

# Device setting
D = D.to(device)
G = G.to(device)

# Binary cross entropy loss and optimizer
criterion = nn.BCELoss()
d_optimizer = torch.optim.Adam(D.parameters(), lr=0.0002)
g_optimizer = torch.optim.Adam(G.parameters(), lr=0.0002)

def denorm(x):
    out = (x + 1) / 2
    return out.clamp(0, 1)

def reset_grad():
    d_optimizer.zero_grad()
    g_optimizer.zero_grad()

# Start training
total_step = len(data_loader)
for epoch in range(num_epochs):
    for i, (images, _) in enumerate(data_loader):
        images = images.reshape(batch_size, -1).to(device)

        # Create the labels which are later used as input for the BCE loss
        real_labels = torch.ones(batch_size, 1).to(device)
        fake_labels = torch.zeros(batch_size, 1).to(device)

        # ================================================================== #
        #                      Train the discriminator                       #
        # ================================================================== #

        # Compute BCE_Loss using real images where BCE_Loss(x, y): - y * log(D(x)) - (1-y) * log(1 - D(x))
        # Second term of the loss is always zero since real_labels == 1
        outputs = D(images)
        d_loss_real = criterion(outputs, real_labels)
        real_score = outputs

        # Compute BCELoss using fake images
        # First term of the loss is always zero since fake_labels == 0
        z = torch.randn(batch_size, latent_size).to(device)
        fake_images = G(z)
        outputs = D(fake_images)
        d_loss_fake = criterion(outputs, fake_labels)
        fake_score = outputs

        # Backprop and optimize
        d_loss = d_loss_real + d_loss_fake
        reset_grad()
        d_loss.backward()
        d_optimizer.step()

        # ================================================================== #
        #                        Train the generator                         #
        # ================================================================== #

        # Compute loss with fake images
        z = torch.randn(batch_size, latent_size).to(device)
        fake_images = G(z)
        outputs = D(fake_images)

        # We train G to maximize log(D(G(z)) instead of minimizing log(1-D(G(z)))
        # For the reason, see the last paragraph of section 3. https://arxiv.org/pdf/1406.2661.pdf
        g_loss = criterion(outputs, real_labels)

        # Backprop and optimize
        reset_grad()
        g_loss.backward()
        g_optimizer.step()

        if (i+1) % 7 == 0:  # 200 in the original (600 steps per epoch there, 14 here)
            print('Epoch [{}/{}], Step [{}/{}], d_loss: {:.4f}, g_loss: {:.4f}, D(x): {:.2f}, D(G(z)): {:.2f}'
                  .format(epoch, num_epochs, i+1, total_step, d_loss.item(), g_loss.item(),
                          real_score.mean().item(), fake_score.mean().item()))

    # Save real images
    if (epoch+1) == 1:
        images = images.reshape(images.size(0), 1, 28, 28)
        save_image(denorm(images), os.path.join(sample_dir, 'real_images.png'))

    # Save sampled images
    fake_images = fake_images.reshape(fake_images.size(0), 1, 28, 28)
    save_image(denorm(fake_images), os.path.join(sample_dir, 'fake_images-{}.png'.format(epoch+1)))

# Save the model checkpoints
torch.save(G.state_dict(), 'G.ckpt')
torch.save(D.state_dict(), 'D.ckpt')
png = _np.asarray(_Image.open(os.path.join(sample_dir, 'fake_images-{}.png'.format(num_epochs))))  # (test)
print("RESULT d_loss={} g_loss={} real_score={} fake_score={} png_h={} png_w={}".format(
    d_loss.item(), g_loss.item(), real_score.mean().item(), fake_score.mean().item(), *png.shape[:2]))
'''

# tutorials/03-advanced/variational_autoencoder/main.py
VAE = r'''
import os
import torch
import torch.nn as nn
import torch.nn.functional as F
# import torchvision, from torchvision import transforms, from torchvision.utils import save_image -> the stand-in
{TORCHVISION}

# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

# Create a directory if not exists
sample_dir = 'samples'
if not os.path.exists(sample_dir):
    os.makedirs(sample_dir)

# Hyper-parameters
image_size = 784
h_dim = 400
z_dim = 20
num_epochs = 3  # 15 in the original
batch_size = 128
learning_rate = 1e-3

# MNIST dataset
dataset = torchvision.datasets.MNIST(root='../../data',
                                     train=True,
                                     transform=transforms.ToTensor(),
                                     download=True)

# Data loader
data_loader = torch.utils.data.DataLoader(dataset=dataset,
                                          batch_size=batch_size,
                                          shuffle=True)


# VAE model
class VAE(nn.Module):
    def __init__(self, image_size=784, h_dim=400, z_dim=20):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(image_size, h_dim)
        self.fc2 = nn.Linear(h_dim, z_dim)
        self.fc3 = nn.Linear(h_dim, z_dim)
        self.fc4 = nn.Linear(z_dim, h_dim)
        self.fc5 = nn.Linear(h_dim, image_size)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc2(h), self.fc3(h)

    def reparameterize(self, mu, log_var):
        std = torch.exp(log_var/2)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h = F.relu(self.fc4(z))
        return F.sigmoid(self.fc5(h))

    def forward(self, x):
        mu, log_var = self.encode(x)
        z = self.reparameterize(mu, log_var)
        x_reconst = self.decode(z)
        return x_reconst, mu, log_var

model = VAE().to(device)
optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate)

# Start training
for epoch in range(num_epochs):
    for i, (x, _) in enumerate(data_loader):
        # Forward pass
        x = x.to(device).view(-1, image_size)
        x_reconst, mu, log_var = model(x)

        # Compute reconstruction loss and kl divergence
        # For KL divergence, see Appendix B in VAE paper or http://yunjey47.tistory.com/43
        reconst_loss = F.binary_cross_entropy(x_reconst, x, size_average=False)
        kl_div = - 0.5 * torch.sum(1 + log_var - mu.pow(2) - log_var.exp())

        # Backprop and optimize
        loss = reconst_loss + kl_div
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (i+1) % 10 == 0:
            print ("Epoch[{}/{}], Step [{}/{}], Reconst Loss: {:.4f}, KL Div: {:.4f}"
                   .format(epoch+1, num_epochs, i+1, len(data_loader), reconst_loss.item(), kl_div.item()))

    with torch.no_grad():
        # Save the sampled images
        z = torch.randn(batch_size, z_dim).to(device)
        out = model.decode(z).view(-1, 1, 28, 28)
        save_image(out, os.path.join(sample_dir, 'sampled-{}.png'.format(epoch+1)))

        # Save the reconstructed images
        out, _, _ = model(x)
        x_concat = torch.cat([x.view(-1, 1, 28, 28), out.view(-1, 1, 28, 28)], dim=3)
        save_image(x_concat, os.path.join(sample_dir, 'reconst-{}.png'.format(epoch+1)))

png = _np.asarray(_Image.open(os.path.join(sample_dir, 'reconst-{}.png'.format(num_epochs))))  # (test)
print("RESULT reconst={} kl={} png_h={} png_w={}".format(
    reconst_loss.item() / x.size(0), kl_div.item() / x.size(0), *png.shape[:2]))
'''

# tutorials/03-advanced/neural_style_transfer/main.py
NEURAL_STYLE = r'''
from __future__ import division
# from torchvision import models, from torchvision import transforms -> the stand-in below
from PIL import Image
import argparse
import torch
# import torchvision -> the stand-in
import torch.nn as nn
import numpy as np
{TORCHVISION}


class _VGG19Features:
    """(test) Stands in for torchvision.models.vgg19(pretrained=True) (a download): a seeded VGG19-shaped net with
    narrow channels whose `features` Sequential numbers its layers as vgg19's does (conv1_1 ... conv5_1 at
    '0', '5', '10', '19', '28', each conv followed by ReLU(inplace=True))."""
    def __init__(self):
        torch.manual_seed(0)
        cfg = [8, 8, 'M', 16, 16, 'M', 32, 32, 32, 32, 'M', 32, 32, 32, 32, 'M', 32, 32, 32, 32, 'M']
        layers, c = [], 3
        for v in cfg:
            if v == 'M':
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(c, v, kernel_size=3, padding=1), nn.ReLU(inplace=True)]
                c = v
        self.features = nn.Sequential(*layers)


models = _types.SimpleNamespace(vgg19=lambda pretrained=True: _VGG19Features())


# Device configuration
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')

def load_image(image_path, transform=None, max_size=None, shape=None):
    """Load an image and convert it to a torch tensor."""
    image = Image.open(image_path)

    if max_size:
        scale = max_size / max(image.size)
        size = np.array(image.size) * scale
        image = image.resize(size.astype(int), Image.ANTIALIAS)

    if shape:
        image = image.resize(shape, Image.LANCZOS)

    if transform:
        image = transform(image).unsqueeze(0)

    return image.to(device)


class VGGNet(nn.Module):
    def __init__(self):
        """Select conv1_1 ~ conv5_1 activation maps."""
        super(VGGNet, self).__init__()
        self.select = ['0', '5', '10', '19', '28']
        self.vgg = models.vgg19(pretrained=True).features

    def forward(self, x):
        """Extract multiple convolutional feature maps."""
        features = []
        for name, layer in self.vgg._modules.items():
            x = layer(x)
            if name in self.select:
                features.append(x)
        return features


def main(config):

    # Image preprocessing
    # VGGNet was trained on ImageNet where images are normalized by mean=[0.485, 0.456, 0.406] and std=[0.229, 0.224, 0.225].
    # We use the same normalization statistics here.
    transform = transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize(mean=(0.485, 0.456, 0.406),
                             std=(0.229, 0.224, 0.225))])

    # Load content and style images
    # Make the style image same size as the content image
    content = load_image(config.content, transform, max_size=config.max_size)
    style = load_image(config.style, transform, shape=[content.size(2), content.size(3)])

    # Initialize a target image with the content image
    target = content.clone().requires_grad_(True)

    optimizer = torch.optim.Adam([target], lr=config.lr, betas=[0.5, 0.999])
    vgg = VGGNet().to(device).eval()

    for step in range(config.total_step):

        # Extract multiple(5) conv feature vectors
        target_features = vgg(target)
        content_features = vgg(content)
        style_features = vgg(style)

        style_loss = 0
        content_loss = 0
        for f1, f2, f3 in zip(target_features, content_features, style_features):
            # Compute content loss with target and content images
            content_loss += torch.mean((f1 - f2)**2)

            # Reshape convolutional feature maps
            _, c, h, w = f1.size()
            f1 = f1.view(c, h * w)
            f3 = f3.view(c, h * w)

            # Compute gram matrix
            f1 = torch.mm(f1, f1.t())
            f3 = torch.mm(f3, f3.t())

            # Compute style loss with target and style images
            style_loss += torch.mean((f1 - f3)**2) / (c * h * w)

        # Compute total loss, backprop and optimize
        loss = content_loss + config.style_weight * style_loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

        if (step+1) % config.log_step == 0:
            print ('Step [{}/{}], Content Loss: {:.4f}, Style Loss: {:.4f}'
                   .format(step+1, config.total_step, content_loss.item(), style_loss.item()))

        if (step+1) % config.sample_step == 0:
            # Save the generated image
            denorm = transforms.Normalize((-2.12, -2.04, -1.80), (4.37, 4.46, 4.44))
            img = target.clone().squeeze()
            img = denorm(img).clamp_(0, 1)
            torchvision.utils.save_image(img, 'output-{}.png'.format(step+1))
    return vgg, target, content, style  # (test)


if __name__ == "__main__":
    # (test) stands in for the repository's png/content.png and png/style.png: seeded synthetic 32x32 images,
    # a smooth gradient with a bright square (content) and diagonal stripes (style)
    _os.makedirs('png', exist_ok=True)
    yy, xx = np.mgrid[0:32, 0:32]
    content_img = np.stack([xx * 6, yy * 6, 255 - xx * 4], -1)
    content_img[10:22, 10:22] = 230
    Image.fromarray(content_img.astype(np.uint8)).save('png/content.png')
    stripes = ((xx + yy) // 4 % 2)[..., None] * np.array([200, 60, 20]) + 30
    Image.fromarray(stripes.astype(np.uint8)).save('png/style.png')

    parser = argparse.ArgumentParser()
    parser.add_argument('--content', type=str, default='png/content.png')
    parser.add_argument('--style', type=str, default='png/style.png')
    parser.add_argument('--max_size', type=int, default=400)
    parser.add_argument('--total_step', type=int, default=2000)
    parser.add_argument('--log_step', type=int, default=10)
    parser.add_argument('--sample_step', type=int, default=500)
    parser.add_argument('--style_weight', type=float, default=100)
    parser.add_argument('--lr', type=float, default=0.003)
    # (test) sizes shrunk; --max_size 0 keeps the 32x32 content as is (its resize path calls Image.ANTIALIAS,
    # removed in Pillow 10, under either engine)
    config = parser.parse_args(['--max_size', '0', '--total_step', '60', '--sample_step', '30', '--lr', '0.03'])
    print(config)
    vgg, target, content, style = main(config)
    # (test) the features are the in-place ReLU'd conv outputs, as in torch; the loss at the start and the end
    f = vgg(content)[0]
    png = np.asarray(Image.open('output-60.png'))
    print("RESULT relu_min={} drift={} png_h={} png_w={}".format(
        f.min().item(), (target - content).abs().mean().item(), *png.shape[:2]))
'''


def program(src: str) -> str:
    return src.replace("{TORCHVISION}", TORCHVISION)


def both(src: str, tmp_path, files: dict | None = None) -> tuple:
    """Run ``src`` under nnengine and under torch, each in its own directory holding ``files`` (swapped for
    nnengine when they are Python); returns both RESULT dicts and nnengine's stdout."""
    res, outs = [], []
    for engine in ("nnengine", "torch"):
        d = tmp_path / engine
        d.mkdir()
        for name, text in (files or {}).items():
            (d / name).parent.mkdir(parents=True, exist_ok=True)
            (d / name).write_text(swap(text) if engine == "nnengine" and name.endswith(".py") else text)
        out = run(program(src), engine, d)
        outs.append(out)
        res.append(result(out))
    print("nnengine", res[0], "\ntorch", res[1])
    return res[0], res[1], outs


def test_pytorch_basics(torch, tmp_path):
    # 01-basics/pytorch_basics: autograd on scalars, nn.Linear + MSELoss + one SGD step, from_numpy/numpy,
    # dataset[0] and iter(DataLoader), a custom Dataset, freezing parameters and replacing the `fc` head,
    # torch.save/torch.load of a whole model and of a state_dict
    ours, ref, _ = both(PYTORCH_BASICS, tmp_path)
    for r in (ours, ref):
        assert (r["gx"], r["gw"], r["gb"]) == (2.0, 1.0, 1.0)
        assert r["loss_after"] < r["loss_before"] and r["grad_err"] < 1e-5 and r["numpy_ok"] == 1.0
        assert r["image"] == 3 * 32 * 32 and r["label_ok"] == 1.0 and r["batch"] == 64 * 3 * 32 * 32 * 64
        assert r["batches"] == 5 and r["custom"] == 100 * 1000 + 2 and r["out"] == 400
        assert r["trainable"] == 8 * 100 + 100 and r["same"] == 1.0


def test_linear_regression(torch, tmp_path):
    # 01-basics/linear_regression: nn.Linear(1, 1), MSELoss, SGD(lr=0.001) for 60 epochs, .detach().numpy()
    ours, ref, _ = both(LINEAR_REGRESSION, tmp_path)
    for r in (ours, ref):  # the fitted line explains most of the variance of y (var(y) ~ 0.5)
        assert r["loss"] < 0.5 and abs(r["fit_mse"] - r["loss"]) < 0.05


def test_logistic_regression(torch, tmp_path):
    # 01-basics/logistic_regression: nn.Linear(784, 10) + CrossEntropyLoss + SGD, torch.max(outputs.data, 1),
    # 100 * correct / total with correct a 0-d tensor
    ours, ref, _ = both(LOGISTIC_REGRESSION, tmp_path)
    assert ours["acc"] > 0.75 and ref["acc"] > 0.75
    assert abs(ours["acc"] - ref["acc"]) < 0.1
    assert result(run(program(LOGISTIC_REGRESSION), "nnengine", tmp_path)) == ours  # same seed, same run


def test_feedforward_neural_network(torch, tmp_path):
    # 01-basics/feedforward_neural_network: Linear-ReLU-Linear, Adam, images.reshape(-1, 28*28).to(device)
    ours, ref, _ = both(FEEDFORWARD, tmp_path)
    assert ours["acc"] > 0.85 and ref["acc"] > 0.85
    assert abs(ours["acc"] - ref["acc"]) < 0.08


def test_convolutional_neural_network(torch, tmp_path):
    # 02-intermediate/convolutional_neural_network: Sequential(Conv2d(5, padding=2), BatchNorm2d, ReLU,
    # MaxPool2d) x 2, reshape(out.size(0), -1), model.eval() for the test pass
    ours, ref, _ = both(CNN, tmp_path)
    assert ours["acc"] > 0.8 and ref["acc"] > 0.8
    assert abs(ours["acc"] - ref["acc"]) < 0.1


def test_deep_residual_network(torch, tmp_path):
    # 02-intermediate/deep_residual_network: ResNet of ResidualBlocks (ReLU(inplace=True), `out += residual`,
    # downsample Sequential), AvgPool2d(8), Pad/RandomHorizontalFlip/RandomCrop augmentation, lr decay by
    # writing param_group['lr']
    ours, ref, _ = both(RESNET, tmp_path)
    for r in (ours, ref):  # 36 steps: the training loss is low (2.3 at chance), but BatchNorm's running statistics
        # still lag the fast-moving weights, so the eval-mode accuracy is well above chance (0.1) but noisy
        assert r["loss"] < 1.0 and r["acc"] > 0.25 and abs(r["lr"] - 0.001 / 3) < 1e-9
    assert abs(ours["loss"] - ref["loss"]) < 0.5


@pytest.mark.parametrize("name", ["RNN", "BIRNN"])
def test_recurrent_neural_networks(torch, tmp_path, name):
    # 02-intermediate/recurrent_neural_network and bidirectional_recurrent_neural_network: 2-layer LSTM
    # (batch_first, bidirectional) from explicit (h0, c0), the last step's output out[:, -1, :] into a Linear
    ours, ref, _ = both(globals()[name], tmp_path)
    assert ours["acc"] > 0.6 and ref["acc"] > 0.6
    assert abs(ours["acc"] - ref["acc"]) < 0.2


def test_language_model(torch, tmp_path):
    # 02-intermediate/language_model with its data_utils (Dictionary, Corpus: torch.LongTensor(n), ids[token] = int,
    # ids.view(batch_size, -1)): Embedding + LSTM with carried, detached states, clip_grad_norm_, then sampling
    # with torch.multinomial(output.exp(), 1).item() and input.fill_(word_id)
    files = {"data_utils.py": DATA_UTILS, "data/train.txt": train_txt()}
    ours, ref, _ = both(LANGUAGE_MODEL, tmp_path, files)
    for r in (ours, ref):
        assert r["vocab"] == ref["vocab"] and r["tokens"] == ref["tokens"]
        # uniform over the vocabulary would be ln(30) = 3.4; the grammar's own entropy is about 1 nat per word
        assert r["loss"] < 1.3 and r["valid_pairs"] > 0.6
    assert abs(ours["loss"] - ref["loss"]) < 0.3
    again = tmp_path / "again"  # same seed, same run: the same losses and the same sampled text
    (again / "data").mkdir(parents=True)
    (again / "data_utils.py").write_text(swap(DATA_UTILS))
    (again / "data/train.txt").write_text(files["data/train.txt"])
    assert result(run(program(LANGUAGE_MODEL), "nnengine", again)) == ours
    assert (again / "sample.txt").read_text() == (tmp_path / "nnengine/sample.txt").read_text()


def test_generative_adversarial_network(torch, tmp_path):
    # 03-advanced/generative_adversarial_network: Sequential D and G, BCELoss with ones/zeros labels, two Adams and
    # reset_grad(), denorm(...).clamp(0, 1), save_image of real and fake batches
    ours, ref, outs = both(GAN, tmp_path)
    for r, out in zip((ours, ref), outs):
        assert 0.05 < r["d_loss"] < 2 and 0.3 < r["g_loss"] < 5
        # 84 steps, logged every 7: on average D still scores real images above G's
        scores = np.array(re.findall(r"D\(x\): (\S+), D\(G\(z\)\): (\S+)", out), float)
        assert len(scores) == 12 and scores[:, 0].mean() > scores[:, 1].mean() + 0.1, scores
        assert (r["png_h"], r["png_w"]) == (2 + 13 * 30, 2 + 8 * 30)


def test_variational_autoencoder(torch, tmp_path):
    # 03-advanced/variational_autoencoder: encode/reparameterize (torch.randn_like)/decode, F.sigmoid,
    # F.binary_cross_entropy(size_average=False), KL term from log_var.exp(), save_image of torch.cat(dim=3)
    ours, ref, _ = both(VAE, tmp_path)
    for r in (ours, ref):
        assert r["reconst"] < 300 and 2 < r["kl"] < 40  # per image: BCE summed over 784 pixels, KL over 20 dims
        assert (r["png_h"], r["png_w"]) == (2 + 15 * 30, 2 + 8 * 58)  # the last batch: 120 pairs, 8 per row
    assert abs(ours["reconst"] - ref["reconst"]) < 0.15 * ref["reconst"]


def test_neural_style_transfer(torch, tmp_path):
    # 03-advanced/neural_style_transfer: VGGNet iterating vgg.features._modules.items() and keeping the outputs of
    # '0', '5', '10', '19', '28' (turned non-negative by the next ReLU(inplace=True)), Gram matrices via
    # view + mm(f, f.t()), Adam(betas=[0.5, 0.999]) on the image itself, Normalize as a denorm, clamp_
    ours, ref, outs = both(NEURAL_STYLE, tmp_path)
    for r, out in zip((ours, ref), outs):
        losses = [(float(a), float(b)) for a, b in re.findall(r"Content Loss: (\S+), Style Loss: (\S+)\n", out)]
        assert len(losses) == 6 and losses[0][0] > 0
        first, last = losses[0][0] + 100 * losses[0][1], losses[-1][0] + 100 * losses[-1][1]
        assert last < 0.7 * first, losses
        assert r["relu_min"] == 0.0 and r["drift"] > 0.01 and (r["png_h"], r["png_w"]) == (36, 36)
