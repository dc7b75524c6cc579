"""Well-known VAE and RL programs run with only their torch imports rewritten (see ``swap`` in
test_torch_scripts.py), next to the same source under real torch: AntixK/PyTorch-VAE (BaseVAE, VanillaVAE and
VQVAE verbatim with the experiment's training_step / configure_optimizers idioms), nikhilbarhate99/PPO-PyTorch
(PPO.py verbatim, discrete and continuous action spaces, inline environments instead of gym) and
higgsfield/RL-Adventure-2's actor-critic notebook (code cells verbatim, an in-process SubprocVecEnv). The torch
run saves its initial weights, the nnengine run loads them, so the deterministic parts compare tightly; the
sampled parts compare loosely. Plus focused tests for what these programs needed: the softmax family's implicit
``dim`` (``F.softmax(x)``, ``nn.Softmax()``) and ``dtype``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from test_torch_scripts import result, run

import nnengine as ne
import nnengine.nn.functional as F
from nnengine import nn

VAE = r'''
import os

import numpy as np
import torch
from torch import nn, optim
from torch.nn import functional as F
from abc import abstractmethod
from typing import List, Callable, Union, Any, TypeVar, Tuple
# from torch import tensor as Tensor

Tensor = TypeVar('torch.tensor')



class BaseVAE(nn.Module):

    def __init__(self) -> None:
        super(BaseVAE, self).__init__()

    def encode(self, input: Tensor) -> List[Tensor]:
        raise NotImplementedError

    def decode(self, input: Tensor) -> Any:
        raise NotImplementedError

    def sample(self, batch_size:int, current_device: int, **kwargs) -> Tensor:
        raise NotImplementedError

    def generate(self, x: Tensor, **kwargs) -> Tensor:
        raise NotImplementedError

    @abstractmethod
    def forward(self, *inputs: Tensor) -> Tensor:
        pass

    @abstractmethod
    def loss_function(self, *inputs: Any, **kwargs) -> Tensor:
        pass







class VanillaVAE(BaseVAE):


    def __init__(self,
                 in_channels: int,
                 latent_dim: int,
                 hidden_dims: List = None,
                 **kwargs) -> None:
        super(VanillaVAE, self).__init__()

        self.latent_dim = latent_dim

        modules = []
        if hidden_dims is None:
            hidden_dims = [32, 64, 128, 256, 512]

        # Build Encoder
        for h_dim in hidden_dims:
            modules.append(
                nn.Sequential(
                    nn.Conv2d(in_channels, out_channels=h_dim,
                              kernel_size= 3, stride= 2, padding  = 1),
                    nn.BatchNorm2d(h_dim),
                    nn.LeakyReLU())
            )
            in_channels = h_dim

        self.encoder = nn.Sequential(*modules)
        self.fc_mu = nn.Linear(hidden_dims[-1]*4, latent_dim)
        self.fc_var = nn.Linear(hidden_dims[-1]*4, latent_dim)


        # Build Decoder
        modules = []

        self.decoder_input = nn.Linear(latent_dim, hidden_dims[-1] * 4)

        hidden_dims.reverse()

        for i in range(len(hidden_dims) - 1):
            modules.append(
                nn.Sequential(
                    nn.ConvTranspose2d(hidden_dims[i],
                                       hidden_dims[i + 1],
                                       kernel_size=3,
                                       stride = 2,
                                       padding=1,
                                       output_padding=1),
                    nn.BatchNorm2d(hidden_dims[i + 1]),
                    nn.LeakyReLU())
            )



        self.decoder = nn.Sequential(*modules)

        self.final_layer = nn.Sequential(
                            nn.ConvTranspose2d(hidden_dims[-1],
                                               hidden_dims[-1],
                                               kernel_size=3,
                                               stride=2,
                                               padding=1,
                                               output_padding=1),
                            nn.BatchNorm2d(hidden_dims[-1]),
                            nn.LeakyReLU(),
                            nn.Conv2d(hidden_dims[-1], out_channels= 3,
                                      kernel_size= 3, padding= 1),
                            nn.Tanh())

    def encode(self, input: Tensor) -> List[Tensor]:
        """
        Encodes the input by passing through the encoder network
        and returns the latent codes.
        :param input: (Tensor) Input tensor to encoder [N x C x H x W]
        :return: (Tensor) List of latent codes
        """
        result = self.encoder(input)
        result = torch.flatten(result, start_dim=1)

        # Split the result into mu and var components
        # of the latent Gaussian distribution
        mu = self.fc_mu(result)
        log_var = self.fc_var(result)

        return [mu, log_var]

    def decode(self, z: Tensor) -> Tensor:
        """
        Maps the given latent codes
        onto the image space.
        :param z: (Tensor) [B x D]
        :return: (Tensor) [B x C x H x W]
        """
        result = self.decoder_input(z)
        result = result.view(-1, 512, 2, 2)
        result = self.decoder(result)
        result = self.final_layer(result)
        return result

    def reparameterize(self, mu: Tensor, logvar: Tensor) -> Tensor:
        """
        Reparameterization trick to sample from N(mu, var) from
        N(0,1).
        :param mu: (Tensor) Mean of the latent Gaussian [B x D]
        :param logvar: (Tensor) Standard deviation of the latent Gaussian [B x D]
        :return: (Tensor) [B x D]
        """
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return eps * std + mu

    def forward(self, input: Tensor, **kwargs) -> List[Tensor]:
        mu, log_var = self.encode(input)
        z = self.reparameterize(mu, log_var)
        return  [self.decode(z), input, mu, log_var]

    def loss_function(self,
                      *args,
                      **kwargs) -> dict:
        """
        Computes the VAE loss function.
        KL(N(\mu, \sigma), N(0, 1)) = \log \frac{1}{\sigma} + \frac{\sigma^2 + \mu^2}{2} - \frac{1}{2}
        :param args:
        :param kwargs:
        :return:
        """
        recons = args[0]
        input = args[1]
        mu = args[2]
        log_var = args[3]

        kld_weight = kwargs['M_N'] # Account for the minibatch samples from the dataset
        recons_loss =F.mse_loss(recons, input)


        kld_loss = torch.mean(-0.5 * torch.sum(1 + log_var - mu ** 2 - log_var.exp(), dim = 1), dim = 0)

        loss = recons_loss + kld_weight * kld_loss
        return {'loss': loss, 'Reconstruction_Loss':recons_loss.detach(), 'KLD':-kld_loss.detach()}

    def sample(self,
               num_samples:int,
               current_device: int, **kwargs) -> Tensor:
        """
        Samples from the latent space and return the corresponding
        image space map.
        :param num_samples: (Int) Number of samples
        :param current_device: (Int) Device to run the model
        :return: (Tensor)
        """
        z = torch.randn(num_samples,
                        self.latent_dim)

        z = z.to(current_device)

        samples = self.decode(z)
        return samples

    def generate(self, x: Tensor, **kwargs) -> Tensor:
        """
        Given an input image x, returns the reconstructed image
        :param x: (Tensor) [B x C x H x W]
        :return: (Tensor) [B x C x H x W]
        """

        return self.forward(x)[0]


class VectorQuantizer(nn.Module):
    """
    Reference:
    [1] https://github.com/deepmind/sonnet/blob/v2/sonnet/src/nets/vqvae.py
    """
    def __init__(self,
                 num_embeddings: int,
                 embedding_dim: int,
                 beta: float = 0.25):
        super(VectorQuantizer, self).__init__()
        self.K = num_embeddings
        self.D = embedding_dim
        self.beta = beta

        self.embedding = nn.Embedding(self.K, self.D)
        self.embedding.weight.data.uniform_(-1 / self.K, 1 / self.K)

    def forward(self, latents: Tensor) -> Tensor:
        latents = latents.permute(0, 2, 3, 1).contiguous()  # [B x D x H x W] -> [B x H x W x D]
        latents_shape = latents.shape
        flat_latents = latents.view(-1, self.D)  # [BHW x D]

        # Compute L2 distance between latents and embedding weights
        dist = torch.sum(flat_latents ** 2, dim=1, keepdim=True) + \
               torch.sum(self.embedding.weight ** 2, dim=1) - \
               2 * torch.matmul(flat_latents, self.embedding.weight.t())  # [BHW x K]

        # Get the encoding that has the min distance
        encoding_inds = torch.argmin(dist, dim=1).unsqueeze(1)  # [BHW, 1]

        # Convert to one-hot encodings
        device = latents.device
        encoding_one_hot = torch.zeros(encoding_inds.size(0), self.K, device=device)
        encoding_one_hot.scatter_(1, encoding_inds, 1)  # [BHW x K]

        # Quantize the latents
        quantized_latents = torch.matmul(encoding_one_hot, self.embedding.weight)  # [BHW, D]
        quantized_latents = quantized_latents.view(latents_shape)  # [B x H x W x D]

        # Compute the VQ Losses
        commitment_loss = F.mse_loss(quantized_latents.detach(), latents)
        embedding_loss = F.mse_loss(quantized_latents, latents.detach())

        vq_loss = commitment_loss * self.beta + embedding_loss

        # Add the residue back to the latents
        quantized_latents = latents + (quantized_latents - latents).detach()

        return quantized_latents.permute(0, 3, 1, 2).contiguous(), vq_loss  # [B x D x H x W]

class ResidualLayer(nn.Module):

    def __init__(self,
                 in_channels: int,
                 out_channels: int):
        super(ResidualLayer, self).__init__()
        self.resblock = nn.Sequential(nn.Conv2d(in_channels, out_channels,
                                                kernel_size=3, padding=1, bias=False),
                                      nn.ReLU(True),
                                      nn.Conv2d(out_channels, out_channels,
                                                kernel_size=1, bias=False))

    def forward(self, input: Tensor) -> Tensor:
        return input + self.resblock(input)


class VQVAE(BaseVAE):

    def __init__(self,
                 in_channels: int,
                 embedding_dim: int,
                 num_embeddings: int,
                 hidden_dims: List = None,
                 beta: float = 0.25,
                 img_size: int = 64,
                 **kwargs) -> None:
        super(VQVAE, self).__init__()

        self.embedding_dim = embedding_dim
        self.num_embeddings = num_embeddings
        self.img_size = img_size
        self.beta = beta

        modules = []
        if hidden_dims is None:
            hidden_dims = [128, 256]

        # Build Encoder
        for h_dim in hidden_dims:
            modules.append(
                nn.Sequential(
                    nn.Conv2d(in_channels, out_channels=h_dim,
                              kernel_size=4, stride=2, padding=1),
                    nn.LeakyReLU())
            )
            in_channels = h_dim

        modules.append(
            nn.Sequential(
                nn.Conv2d(in_channels, in_channels,
                          kernel_size=3, stride=1, padding=1),
                nn.LeakyReLU())
        )

        for _ in range(6):
            modules.append(ResidualLayer(in_channels, in_channels))
        modules.append(nn.LeakyReLU())

        modules.append(
            nn.Sequential(
                nn.Conv2d(in_channels, embedding_dim,
                          kernel_size=1, stride=1),
                nn.LeakyReLU())
        )

        self.encoder = nn.Sequential(*modules)

        self.vq_layer = VectorQuantizer(num_embeddings,
                                        embedding_dim,
                                        self.beta)

        # Build Decoder
        modules = []
        modules.append(
            nn.Sequential(
                nn.Conv2d(embedding_dim,
                          hidden_dims[-1],
                          kernel_size=3,
                          stride=1,
                          padding=1),
                nn.LeakyReLU())
        )

        for _ in range(6):
            modules.append(ResidualLayer(hidden_dims[-1], hidden_dims[-1]))

        modules.append(nn.LeakyReLU())

        hidden_dims.reverse()

        for i in range(len(hidden_dims) - 1):
            modules.append(
                nn.Sequential(
                    nn.ConvTranspose2d(hidden_dims[i],
                                       hidden_dims[i + 1],
                                       kernel_size=4,
                                       stride=2,
                                       padding=1),
                    nn.LeakyReLU())
            )

        modules.append(
            nn.Sequential(
                nn.ConvTranspose2d(hidden_dims[-1],
                                   out_channels=3,
                                   kernel_size=4,
                                   stride=2, padding=1),
                nn.Tanh()))

        self.decoder = nn.Sequential(*modules)

    def encode(self, input: Tensor) -> List[Tensor]:
        """
        Encodes the input by passing through the encoder network
        and returns the latent codes.
        :param input: (Tensor) Input tensor to encoder [N x C x H x W]
        :return: (Tensor) List of latent codes
        """
        result = self.encoder(input)
        return [result]

    def decode(self, z: Tensor) -> Tensor:
        """
        Maps the given latent codes
        onto the image space.
        :param z: (Tensor) [B x D x H x W]
        :return: (Tensor) [B x C x H x W]
        """

        result = self.decoder(z)
        return result

    def forward(self, input: Tensor, **kwargs) -> List[Tensor]:
        encoding = self.encode(input)[0]
        quantized_inputs, vq_loss = self.vq_layer(encoding)
        return [self.decode(quantized_inputs), input, vq_loss]

    def loss_function(self,
                      *args,
                      **kwargs) -> dict:
        """
        :param args:
        :param kwargs:
        :return:
        """
        recons = args[0]
        input = args[1]
        vq_loss = args[2]

        recons_loss = F.mse_loss(recons, input)

        loss = recons_loss + vq_loss
        return {'loss': loss,
                'Reconstruction_Loss': recons_loss,
                'VQ_Loss':vq_loss}

    def sample(self,
               num_samples: int,
               current_device: Union[int, str], **kwargs) -> Tensor:
        raise Warning('VQVAE sampler is not implemented.')

    def generate(self, x: Tensor, **kwargs) -> Tensor:
        """
        Given an input image x, returns the reconstructed image
        :param x: (Tensor) [B x C x H x W]
        :return: (Tensor) [B x C x H x W]
        """

        return self.forward(x)[0]

# ---- driver: the experiment's training_step / configure_optimizers idioms on seeded data ----
ENGINE = "torch" if torch.__name__ == "torch" else "nnengine"
WEIGHTS = os.path.join(os.environ["OUT"], "vae_{}.npz")


def sync(name, model):
    """the torch run saves its initial weights, the nnengine run loads them: deterministic parts match."""
    path = WEIGHTS.format(name)
    if ENGINE == "torch":
        np.savez(path, **{k: v.detach().numpy() for k, v in model.state_dict().items()})
    elif os.path.exists(path):
        data = np.load(path)
        model.load_state_dict({k: torch.from_numpy(data[k]) for k in data.files})


rs = np.random.RandomState(0)
x64 = torch.from_numpy(rs.uniform(-1, 1, (4, 3, 64, 64)).astype(np.float32))
out = {}
for name in ("vae", "vq"):
    torch.manual_seed(0)
    if name == "vae":
        model, x = VanillaVAE(3, 8, hidden_dims=[8, 16, 32, 64, 512]), x64
    else:
        model, x = VQVAE(3, 8, 16, hidden_dims=[16, 32], img_size=32), x64[:, :, :32, :32].contiguous()
    sync(name, model)
    if name == "vae":  # the loss on the deterministic path (z = mu)
        mu, log_var = model.encode(x)
        args = [model.decode(mu), x, mu, log_var]
    else:
        args = model(x)
    det = model.loss_function(*args, M_N=0.005)
    det["loss"].backward()
    out[name + "_det"] = det["loss"].item()
    out[name + "_gsq"] = sum(float(p.grad.pow(2).sum()) for p in model.parameters() if p.grad is not None)
    model.zero_grad()
    optimizer = optim.Adam(model.parameters(), lr=0.005, weight_decay=0.0)
    scheduler = optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.95)
    for batch_idx in range(4):
        optimizer.zero_grad()
        results = model(x, labels=None)
        train_loss = model.loss_function(*results, M_N=0.005, optimizer_idx=0, batch_idx=batch_idx)
        logs = {key: val.item() for key, val in train_loss.items()}
        train_loss["loss"].backward()
        optimizer.step()
    scheduler.step()
    model.eval()
    with torch.no_grad():
        val_loss = model.loss_function(*model(x, labels=None), M_N=1.0, optimizer_idx=0, batch_idx=0)
        out[name + "_val"] = {f"val_{key}": val.item() for key, val in val_loss.items()}["val_Reconstruction_Loss"]
        recons = model.generate(x, labels=None)
        assert tuple(recons.shape) == tuple(x.shape)
        try:
            samples = model.sample(4, "cpu")
            assert tuple(samples.shape) == (4, 3, 64, 64)
        except Warning:
            assert name == "vq"
print("RESULT " + " ".join(f"{k}={v}" for k, v in out.items()))
'''

PPO = r'''
import math
import os
import random

import numpy as np
import torch
import torch.nn as nn
from torch.distributions import MultivariateNormal
from torch.distributions import Categorical

################################## set device ##################################
print("============================================================================================")
# set device to cpu or cuda
device = torch.device('cpu')
if(torch.cuda.is_available()):
    device = torch.device('cuda:0')
    torch.cuda.empty_cache()
    print("Device set to : " + str(torch.cuda.get_device_name(device)))
else:
    print("Device set to : cpu")
print("============================================================================================")


################################## PPO Policy ##################################
class RolloutBuffer:
    def __init__(self):
        self.actions = []
        self.states = []
        self.logprobs = []
        self.rewards = []
        self.state_values = []
        self.is_terminals = []

    def clear(self):
        del self.actions[:]
        del self.states[:]
        del self.logprobs[:]
        del self.rewards[:]
        del self.state_values[:]
        del self.is_terminals[:]


class ActorCritic(nn.Module):
    def __init__(self, state_dim, action_dim, has_continuous_action_space, action_std_init):
        super(ActorCritic, self).__init__()

        self.has_continuous_action_space = has_continuous_action_space

        if has_continuous_action_space:
            self.action_dim = action_dim
            self.action_var = torch.full((action_dim,), action_std_init * action_std_init).to(device)
        # actor
        if has_continuous_action_space :
            self.actor = nn.Sequential(
                            nn.Linear(state_dim, 64),
                            nn.Tanh(),
                            nn.Linear(64, 64),
                            nn.Tanh(),
                            nn.Linear(64, action_dim),
                            nn.Tanh()
                        )
        else:
            self.actor = nn.Sequential(
                            nn.Linear(state_dim, 64),
                            nn.Tanh(),
                            nn.Linear(64, 64),
                            nn.Tanh(),
                            nn.Linear(64, action_dim),
                            nn.Softmax(dim=-1)
                        )
        # critic
        self.critic = nn.Sequential(
                        nn.Linear(state_dim, 64),
                        nn.Tanh(),
                        nn.Linear(64, 64),
                        nn.Tanh(),
                        nn.Linear(64, 1)
                    )

    def set_action_std(self, new_action_std):
        if self.has_continuous_action_space:
            self.action_var = torch.full((self.action_dim,), new_action_std * new_action_std).to(device)
        else:
            print("--------------------------------------------------------------------------------------------")
            print("WARNING : Calling ActorCritic::set_action_std() on discrete action space policy")
            print("--------------------------------------------------------------------------------------------")

    def forward(self):
        raise NotImplementedError

    def act(self, state):

        if self.has_continuous_action_space:
            action_mean = self.actor(state)
            cov_mat = torch.diag(self.action_var).unsqueeze(dim=0)
            dist = MultivariateNormal(action_mean, cov_mat)
        else:
            action_probs = self.actor(state)
            dist = Categorical(action_probs)

        action = dist.sample()
        action_logprob = dist.log_prob(action)
        state_val = self.critic(state)

        return action.detach(), action_logprob.detach(), state_val.detach()

    def evaluate(self, state, action):

        if self.has_continuous_action_space:
            action_mean = self.actor(state)

            action_var = self.action_var.expand_as(action_mean)
            cov_mat = torch.diag_embed(action_var).to(device)
            dist = MultivariateNormal(action_mean, cov_mat)

            # For Single Action Environments.
            if self.action_dim == 1:
                action = action.reshape(-1, self.action_dim)
        else:
            action_probs = self.actor(state)
            dist = Categorical(action_probs)
        action_logprobs = dist.log_prob(action)
        dist_entropy = dist.entropy()
        state_values = self.critic(state)

        return action_logprobs, state_values, dist_entropy


class PPO:
    def __init__(self, state_dim, action_dim, lr_actor, lr_critic, gamma, K_epochs, eps_clip, has_continuous_action_space, action_std_init=0.6):

        self.has_continuous_action_space = has_continuous_action_space

        if has_continuous_action_space:
            self.action_std = action_std_init

        self.gamma = gamma
        self.eps_clip = eps_clip
        self.K_epochs = K_epochs

        self.buffer = RolloutBuffer()

        self.policy = ActorCritic(state_dim, action_dim, has_continuous_action_space, action_std_init).to(device)
        self.optimizer = torch.optim.Adam([
                        {'params': self.policy.actor.parameters(), 'lr': lr_actor},
                        {'params': self.policy.critic.parameters(), 'lr': lr_critic}
                    ])

        self.policy_old = ActorCritic(state_dim, action_dim, has_continuous_action_space, action_std_init).to(device)
        self.policy_old.load_state_dict(self.policy.state_dict())

        self.MseLoss = nn.MSELoss()

    def set_action_std(self, new_action_std):
        if self.has_continuous_action_space:
            self.action_std = new_action_std
            self.policy.set_action_std(new_action_std)
            self.policy_old.set_action_std(new_action_std)
        else:
            print("--------------------------------------------------------------------------------------------")
            print("WARNING : Calling PPO::set_action_std() on discrete action space policy")
            print("--------------------------------------------------------------------------------------------")

    def decay_action_std(self, action_std_decay_rate, min_action_std):
        print("--------------------------------------------------------------------------------------------")
        if self.has_continuous_action_space:
            self.action_std = self.action_std - action_std_decay_rate
            self.action_std = round(self.action_std, 4)
            if (self.action_std <= min_action_std):
                self.action_std = min_action_std
                print("setting actor output action_std to min_action_std : ", self.action_std)
            else:
                print("setting actor output action_std to : ", self.action_std)
            self.set_action_std(self.action_std)

        else:
            print("WARNING : Calling PPO::decay_action_std() on discrete action space policy")
        print("--------------------------------------------------------------------------------------------")

    def select_action(self, state):

        if self.has_continuous_action_space:
            with torch.no_grad():
                state = torch.FloatTensor(state).to(device)
                action, action_logprob, state_val = self.policy_old.act(state)

            self.buffer.states.append(state)
            self.buffer.actions.append(action)
            self.buffer.logprobs.append(action_logprob)
            self.buffer.state_values.append(state_val)

            return action.detach().cpu().numpy().flatten()
        else:
            with torch.no_grad():
                state = torch.FloatTensor(state).to(device)
                action, action_logprob, state_val = self.policy_old.act(state)

            self.buffer.states.append(state)
            self.buffer.actions.append(action)
            self.buffer.logprobs.append(action_logprob)
            self.buffer.state_values.append(state_val)

            return action.item()

    def update(self):
        # Monte Carlo estimate of returns
        rewards = []
        discounted_reward = 0
        for reward, is_terminal in zip(reversed(self.buffer.rewards), reversed(self.buffer.is_terminals)):
            if is_terminal:
                discounted_reward = 0
            discounted_reward = reward + (self.gamma * discounted_reward)
            rewards.insert(0, discounted_reward)

        # Normalizing the rewards
        rewards = torch.tensor(rewards, dtype=torch.float32).to(device)
        rewards = (rewards - rewards.mean()) / (rewards.std() + 1e-7)

        # convert list to tensor
        old_states = torch.squeeze(torch.stack(self.buffer.states, dim=0)).detach().to(device)
        old_actions = torch.squeeze(torch.stack(self.buffer.actions, dim=0)).detach().to(device)
        old_logprobs = torch.squeeze(torch.stack(self.buffer.logprobs, dim=0)).detach().to(device)
        old_state_values = torch.squeeze(torch.stack(self.buffer.state_values, dim=0)).detach().to(device)

        # calculate advantages
        advantages = rewards.detach() - old_state_values.detach()

        # Optimize policy for K epochs
        for _ in range(self.K_epochs):

            # Evaluating old actions and values
            logprobs, state_values, dist_entropy = self.policy.evaluate(old_states, old_actions)

            # match state_values tensor dimensions with rewards tensor
            state_values = torch.squeeze(state_values)

            # Finding the ratio (pi_theta / pi_theta__old)
            ratios = torch.exp(logprobs - old_logprobs.detach())

            # Finding Surrogate Loss
            surr1 = ratios * advantages
            surr2 = torch.clamp(ratios, 1-self.eps_clip, 1+self.eps_clip) * advantages

            # final loss of clipped objective PPO
            loss = -torch.min(surr1, surr2) + 0.5 * self.MseLoss(state_values, rewards) - 0.01 * dist_entropy

            # take gradient step
            self.optimizer.zero_grad()
            loss.mean().backward()
            self.optimizer.step()

        # Copy new weights into old policy
        self.policy_old.load_state_dict(self.policy.state_dict())

        # clear buffer
        self.buffer.clear()

    def save(self, checkpoint_path):
        torch.save(self.policy_old.state_dict(), checkpoint_path)

    def load(self, checkpoint_path):
        self.policy_old.load_state_dict(torch.load(checkpoint_path, map_location=lambda storage, loc: storage))
        self.policy.load_state_dict(torch.load(checkpoint_path, map_location=lambda storage, loc: storage))






class CartPole:
    def __init__(self, max_steps=200):
        self.max_steps = max_steps
        self.rng = random.Random(0)
    def reset(self):
        self.state = [self.rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.steps = 0
        return np.array(self.state, dtype=np.float32)
    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + 0.05 * theta_dot ** 2 * sintheta) / 1.1
        thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - 0.1 * costheta ** 2 / 1.1))
        xacc = temp - 0.05 * thetaacc * costheta / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        done = x < -2.4 or x > 2.4 or theta < -0.2095 or theta > 0.2095 or self.steps >= self.max_steps
        return np.array(self.state, dtype=np.float32), 1.0, done, {}

class Reacher:
    """continuous control: a point pushed by the action, rewarded for staying near the origin"""
    def __init__(self, action_dim=2):
        self.rng = np.random.RandomState(0); self.d = action_dim
    def reset(self):
        self.p = self.rng.uniform(-1, 1, self.d); self.steps = 0
        return np.concatenate([self.p, [0.0]]).astype(np.float32)
    def step(self, a):
        self.p = self.p + 0.1 * np.clip(a, -1, 1); self.steps += 1
        return np.concatenate([self.p, [self.steps / 50]]).astype(np.float32), -float(np.sum(self.p ** 2)), self.steps >= 50, {}

ENG = "torch" if torch.__name__ == "torch" else "nnengine"
def sync(agent, tag):
    p = os.path.join(os.environ["OUT"], f"ppo_{tag}.npz")
    if ENG == "torch":
        np.savez(p, **{k: v.numpy() for k, v in agent.policy.state_dict().items()})
    else:
        d = np.load(p)
        sd = {k: torch.from_numpy(d[k]) for k in d.files}
        agent.policy.load_state_dict(sd); agent.policy_old.load_state_dict(sd)

out = {}
for cont, env, sd, ad in [(False, CartPole(), 4, 2), (True, Reacher(2), 3, 2), (True, Reacher(1), 2, 1)]:
    torch.manual_seed(0)
    tag = f"{cont}{ad}"
    ppo_agent = PPO(sd, ad, 0.0003, 0.001, 0.99, 4, 0.2, cont, 0.6)
    sync(ppo_agent, tag)
    # deterministic update on a fixed buffer
    rs = np.random.RandomState(1)
    for t in range(20):
        s = torch.FloatTensor(rs.randn(sd).astype(np.float32))
        ppo_agent.buffer.states.append(s)
        if cont:
            a = torch.FloatTensor(rs.randn(ad).astype(np.float32))
            with torch.no_grad():
                ev = ppo_agent.policy_old.evaluate(s.unsqueeze(0), a.unsqueeze(0))
            lp = ev[0][0]
        else:
            a = torch.tensor(rs.randint(0, ad))
            with torch.no_grad():
                lp = ppo_agent.policy_old.evaluate(s, a)[0]
        ppo_agent.buffer.actions.append(a)
        ppo_agent.buffer.logprobs.append(lp)
        ppo_agent.buffer.state_values.append(ppo_agent.policy_old.critic(s).detach())
        ppo_agent.buffer.rewards.append(float(rs.rand()))
        ppo_agent.buffer.is_terminals.append(t % 7 == 6)
    ppo_agent.update()
    w = sum(float(p.abs().sum()) for p in ppo_agent.policy.parameters())
    out["w" + tag] = w  # after one update from identical weights on an identical buffer
    # real training loop (train.py idioms)
    time_step = 0; ep_rewards = []
    for ep in range(6):
        state = env.reset(); current_ep_reward = 0
        for t in range(1, 60):
            action = ppo_agent.select_action(state)
            state, reward, done, _ = env.step(action)
            ppo_agent.buffer.rewards.append(reward)
            ppo_agent.buffer.is_terminals.append(done)
            time_step += 1; current_ep_reward += reward
            if time_step % 80 == 0:
                ppo_agent.update()
            if cont and time_step % 100 == 0:
                ppo_agent.decay_action_std(0.05, 0.1)
            if done:
                break
        ep_rewards.append(current_ep_reward)
    ppo_agent.save(os.path.join(os.environ["OUT"], f"ck_{ENG}.pth"))
    ppo_agent.load(os.path.join(os.environ["OUT"], f"ck_{ENG}.pth"))
    out["r" + tag] = float(np.mean(ep_rewards))
print("RESULT " + " ".join(f"{k}={v}" for k, v in out.items()))
'''

A2C = r'''
import math
import random

import numpy as np

import torch
import torch.nn as nn
import torch.optim as optim
import torch.nn.functional as F
from torch.distributions import Categorical
random.seed(0); np.random.seed(0); torch.manual_seed(0)


class Box:
    def __init__(self, shape): self.shape = shape
class Discrete:
    def __init__(self, n): self.n = n

class CartPole:
    observation_space = Box((4,))
    action_space = Discrete(2)
    def __init__(self, max_steps=200):
        self.max_steps = max_steps
        self.rng = random.Random(random.random())
    def reset(self):
        self.state = [self.rng.uniform(-0.05, 0.05) for _ in range(4)]
        self.steps = 0
        return np.array(self.state, dtype=np.float32)
    def step(self, action):
        x, x_dot, theta, theta_dot = self.state
        force = 10.0 if action == 1 else -10.0
        costheta, sintheta = math.cos(theta), math.sin(theta)
        temp = (force + 0.05 * theta_dot ** 2 * sintheta) / 1.1
        thetaacc = (9.8 * sintheta - costheta * temp) / (0.5 * (4.0 / 3.0 - 0.1 * costheta ** 2 / 1.1))
        xacc = temp - 0.05 * thetaacc * costheta / 1.1
        x, x_dot = x + 0.02 * x_dot, x_dot + 0.02 * xacc
        theta, theta_dot = theta + 0.02 * theta_dot, theta_dot + 0.02 * thetaacc
        self.state = [x, x_dot, theta, theta_dot]
        self.steps += 1
        done = x < -2.4 or x > 2.4 or theta < -0.2095 or theta > 0.2095 or self.steps >= self.max_steps
        return np.array(self.state, dtype=np.float32), 1.0, done, {}




class SubprocVecEnv:
    """in-process stand-in for common.multiprocessing_env.SubprocVecEnv (auto-reset on done)"""
    def __init__(self, env_fns):
        self.envs = [fn() for fn in env_fns]
        self.observation_space, self.action_space = self.envs[0].observation_space, self.envs[0].action_space
    def reset(self):
        return np.stack([e.reset() for e in self.envs])
    def step(self, actions):
        out = []
        for e, a in zip(self.envs, actions):
            s, r, d, i = e.step(a)
            if d:
                s = e.reset()
            out.append((s, r, d, i))
        s, r, d, i = zip(*out)
        return np.stack(s), np.array(r, dtype=np.float32), np.array(d), i


use_cuda = torch.cuda.is_available()
device   = torch.device("cuda" if use_cuda else "cpu")


num_envs = 4
env_name = "CartPole-v0"

def make_env():
    def _thunk():
        env = CartPole()
        return env

    return _thunk

envs = [make_env() for i in range(num_envs)]
envs = SubprocVecEnv(envs)

env = CartPole()

class ActorCritic(nn.Module):
    def __init__(self, num_inputs, num_outputs, hidden_size, std=0.0):
        super(ActorCritic, self).__init__()

        self.critic = nn.Sequential(
            nn.Linear(num_inputs, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, 1)
        )

        self.actor = nn.Sequential(
            nn.Linear(num_inputs, hidden_size),
            nn.ReLU(),
            nn.Linear(hidden_size, num_outputs),
            nn.Softmax(dim=1),
        )

    def forward(self, x):
        value = self.critic(x)
        probs = self.actor(x)
        dist  = Categorical(probs)
        return dist, value

def test_env(vis=False):
    state = env.reset()
    if vis: env.render()
    done = False
    total_reward = 0
    while not done:
        state = torch.FloatTensor(state).unsqueeze(0).to(device)
        dist, _ = model(state)
        next_state, reward, done, _ = env.step(dist.sample().cpu().numpy()[0])
        state = next_state
        if vis: env.render()
        total_reward += reward
    return total_reward

def compute_returns(next_value, rewards, masks, gamma=0.99):
    R = next_value
    returns = []
    for step in reversed(range(len(rewards))):
        R = rewards[step] + gamma * R * masks[step]
        returns.insert(0, R)
    return returns

num_inputs  = envs.observation_space.shape[0]
num_outputs = envs.action_space.n

#Hyper params:
hidden_size = 32
lr          = 3e-4
num_steps   = 5

model = ActorCritic(num_inputs, num_outputs, hidden_size).to(device)
optimizer = optim.Adam(model.parameters())

max_frames   = 300
frame_idx    = 0
test_rewards = []

state = envs.reset()

while frame_idx < max_frames:

    log_probs = []
    values    = []
    rewards   = []
    masks     = []
    entropy = 0

    for _ in range(num_steps):
        state = torch.FloatTensor(state).to(device)
        dist, value = model(state)

        action = dist.sample()
        next_state, reward, done, _ = envs.step(action.cpu().numpy())

        log_prob = dist.log_prob(action)
        entropy += dist.entropy().mean()

        log_probs.append(log_prob)
        values.append(value)
        rewards.append(torch.FloatTensor(reward).unsqueeze(1).to(device))
        masks.append(torch.FloatTensor(1 - done).unsqueeze(1).to(device))

        state = next_state
        frame_idx += 1

        if frame_idx % 100 == 0:
            test_rewards.append(np.mean([test_env() for _ in range(10)]))

    next_state = torch.FloatTensor(next_state).to(device)
    _, next_value = model(next_state)
    returns = compute_returns(next_value, rewards, masks)

    log_probs = torch.cat(log_probs)
    returns   = torch.cat(returns).detach()
    values    = torch.cat(values)

    advantage = returns - values

    actor_loss  = -(log_probs * advantage.detach()).mean()
    critic_loss = advantage.pow(2).mean()

    loss = actor_loss + 0.5 * critic_loss - 0.001 * entropy

    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

print(f"RESULT tests={len(test_rewards)} reward={np.mean(test_rewards):.2f} loss={loss.item():.4f}")'''


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 3, 4), (2, 3, 2, 2)])
def test_softmax_implicit_dim_matches_torch(name, shape):
    torch = pytest.importorskip("torch")
    x = np.asarray(np.random.RandomState(0).randn(*shape), dtype=np.float32)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        got = getattr(F, name)(ne.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(torch.nn.functional, name)(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", ["Softmax", "LogSoftmax", "Softmin"])
def test_softmax_modules_default_dim_is_none_like_torch(cls):
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(1).randn(2, 3, 4).astype(np.float32)  # 3-d: torch's implicit dim is 0, not -1
    m = getattr(nn, cls)()
    assert m.dim is None and repr(m) == repr(getattr(torch.nn, cls)())
    with pytest.warns(UserWarning, match="Implicit dimension choice"):
        got = m(ne.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = getattr(torch.nn, cls)()(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-5, atol=1e-6)


def test_softmax_explicit_dim_does_not_warn_and_dtype_casts():
    torch = pytest.importorskip("torch")
    x = np.random.RandomState(2).randn(3, 4).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = F.softmax(ne.tensor(x), 1, dtype=ne.float64)
        lgot = F.log_softmax(ne.tensor(x), dim=0, dtype=ne.float64)
    assert got.dtype == ne.float64 and lgot.dtype == ne.float64
    np.testing.assert_allclose(got.numpy(), torch.softmax(torch.tensor(x), 1, dtype=torch.float64).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(lgot.numpy(), torch.log_softmax(torch.tensor(x), 0, dtype=torch.float64).numpy(),
                               rtol=1e-6)


def test_softmax_implicit_dim_gradient_and_bad_arguments():
    x = ne.tensor(np.random.RandomState(3).randn(2, 3, 4).astype(np.float32), requires_grad=True)
    with pytest.warns(UserWarning):
        y = F.softmax(x)  # dim 0
    (y * ne.arange(24.0).reshape(2, 3, 4)).sum().backward()
    xs = x.detach().numpy()
    p = np.exp(xs) / np.exp(xs).sum(0, keepdims=True)
    g = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_allclose(x.grad.numpy(), p * (g - (g * p).sum(0, keepdims=True)), rtol=1e-4, atol=1e-5)
    with pytest.raises(TypeError, match="input"):
        F.softmax("logits", 0)
    with pytest.raises(TypeError, match="_stacklevel"):
        F.log_softmax(ne.zeros(2), None, _stacklevel="3")


@pytest.mark.parametrize("torch", ["torch", "nnengine"])
def test_pytorch_vae(torch, tmp_path):
    pytest.importorskip("torch")
    ref = result(run(VAE, "torch", tmp_path))  # writes the initial weights the nnengine run loads
    if torch == "torch":
        return
    got = result(run(VAE, "nnengine", tmp_path))
    for k in ("vae_det", "vq_det"):
        assert abs(got[k] - ref[k]) < 1e-5 * max(1.0, abs(ref[k])), (k, got, ref)
    for k in ("vae_gsq", "vq_gsq"):
        assert abs(got[k] - ref[k]) < 1e-3 * abs(ref[k]), (k, got, ref)
    for k in ("vae_val", "vq_val"):  # after training steps with sampled noise: loosely
        assert 0.2 < got[k] < 0.45 and abs(got[k] - ref[k]) < 0.05, (k, got, ref)


def test_ppo_pytorch(tmp_path):
    pytest.importorskip("torch")
    ref = result(run(PPO, "torch", tmp_path))
    got = result(run(PPO, "nnengine", tmp_path))
    for tag in ("False2", "True2", "True1"):
        assert abs(got["w" + tag] - ref["w" + tag]) < 1e-4, (tag, got, ref)  # one identical PPO update
    assert got["rFalse2"] >= 8.0 and got["rTrue2"] < 0 and got["rTrue1"] < 0


def test_rl_adventure2_actor_critic(tmp_path):
    pytest.importorskip("torch")
    ref = result(run(A2C, "torch", tmp_path))
    got = result(run(A2C, "nnengine", tmp_path))
    assert got["tests"] == ref["tests"] == 3
    assert 8.0 <= got["reward"] <= 200.0 and np.isfinite(got["loss"])
