"""autograd-conformance: exact checks of torch's gradients and of autograd's accumulation contract."""
__version__ = "0.1.0"
