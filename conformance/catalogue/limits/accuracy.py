"""torch's documented accuracy losses (``Accuracy``): where torch computes a function less accurately than
its dtype allows, at some draws, with no condition over the draw known to hold exactly there."""

from conformance.model.status import Accuracy

# An accuracy loss of torch that shows at some draws only, where no condition over the draw is known that holds
# exactly there (torch's trigamma is off 5e-11 to 4.9e-10 relative at every x of the domain, yet most ci draws
# pass within the bound; matrix_exp's loss needs a weight past 128 but shows at only 40-100% of such draws): an
# ``Accuracy`` (each term of an element's bound may carry torch's measured accuracy; a larger error still fails).

# torch.polygamma(1, x) in float64 is off by up to 4.86e-10 relative over x in [0.1, 6] (40,000 points against
# mpmath; benchmarks/envelopes.py measured 4.27e-10 in the double-backward properties)
TRIGAMMA_SECOND_ORDER = dict.fromkeys(("double_backward:float64", "forward_over_forward:float64"), Accuracy(
    "lgamma's second derivative is torch's trigamma, accurate to only ~5e-10 relative in float64: "
    "x = torch.tensor(1.0, dtype=torch.float64, requires_grad=True); g, = torch.autograd.grad(torch.lgamma(x), "
    "x, create_graph=True); torch.autograd.grad(g, x) gives 1.6449340676383375, exact pi**2/6 = "
    "1.6449340668482264", relative=1e-9))
