"""Processes joined in one torch.distributed group on this machine, for the DDP properties."""
