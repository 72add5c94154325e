"""Torch-side helpers for entries whose call is more than one expression (importable in repros)."""
import torch


def seed_indexed(x):
    """The seed tutorial's output, built by indexed assignment: y = [x0**2, x1**3, x1**4]."""
    y = torch.empty([3, 1], dtype=x.dtype, device=x.device)
    y[0] = x[0] ** 2
    y[1] = x[1] ** 3
    y[2] = x[1] ** 4
    return y


def indexed_mix(x, w):
    """Several outputs written into one buffer by indexed assignment, mixing two inputs."""
    y = torch.zeros([2, 3], dtype=x.dtype, device=x.device)
    y[0, :] = x * w
    y[1, 0] = x[0] ** 2
    y[1, 1:] = torch.sin(w[1:]) + x[2]
    return y
