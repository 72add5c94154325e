"""Calls that raise for a non-contiguous input where the contiguous one works: layout contracts."""


# Calls that raise for a non-contiguous input (a transposed leaf) where the contiguous one works, on
# torch 2.13.0 and 2.15.0; the values of the contiguous call agree with numpy.
VIEW_SIZE = "view size is not compatible with input tensor's size and stride"  # the layout contracts' error
KRON_LAYOUT = ("torch.kron raises for a non-contiguous (transposed) input: a = torch.randn(3, 2).t(); "
               "torch.kron(a, torch.randn(2, 2)) raises RuntimeError 'view size is not compatible with input "
               "tensor's size and stride'; torch.kron(a.contiguous(), b) works and equals numpy.kron")
TAKE_ALONG_LAYOUT = ("torch.take_along_dim(x, index) without dim raises for a non-contiguous (transposed) x: "
                     "torch.take_along_dim(torch.randn(3, 2).t(), torch.tensor([4, 1, 4])) raises RuntimeError "
                     "'view size is not compatible with input tensor's size and stride'; the contiguous x works")
