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


def inplace_on_view(x, w):
    """In-place ops on views of a non-leaf: a slice scaled in place, then a row of a reshaped view shifted."""
    y = x * w
    y[1:].mul_(w[:-1])
    y.view(2, 3)[0].add_(torch.tanh(x[3:]))
    return y


def buffer_index_put_scatter(x, w):
    """A zero buffer filled in place: rows accumulated by ``index_put_``, then entries of a row view
    overwritten by ``scatter_`` (one of the accumulated rows partly)."""
    buf = torch.zeros([3, 3], dtype=x.dtype, device=x.device)
    buf.index_put_((torch.tensor([0, 2, 0], device=x.device),), x, accumulate=True)
    buf[1:3].scatter_(1, torch.tensor([[2, 0], [1, 2]], device=x.device), torch.exp(w))
    return buf


def view_after_base_inplace(x, w):
    """A view taken before its base (a non-leaf) is changed in place: the view sees the change, values and gradient."""
    y = x * w
    v = y[1:]
    y.mul_(torch.tanh(w))
    return v
