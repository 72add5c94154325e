"""The gradient at a NaN input that depends on the tensor's length on the CPU (the scalar loop against the
vectorized body): deviations with the condition that holds where they show."""
from dataclasses import replace

from conformance.catalogue import conditions
from conformance.model.status import Where

# The gradient at a NaN input depends on the tensor's length on CPU: the scalar loop (short tensors, the
# tail) and the vectorized loop disagree.  Verified by hand against each op's own 1-element result.  Each shows
# only where a drawn NaN lane falls in the vectorized body (elu, 33 float32 elements: NaN at lane 0, 1.0 at
# lane 32, the tail): each holds where a drawn NaN lane falls in the vectorized body (conditions.NAN_IN_*_BODY:
# measured at every size and lane the property draws, in each dtype; a strided input runs the scalar loop).
NAN_LANES_CLAMP = {"special_lanes": Where(
    "the backward at a NaN input depends on the tensor's length (CPU): grad passes through (1·grad) in the "
    "scalar loop, 0 inside the vectorized loop: x = torch.full((17,), 0.5); x[0] = float('nan'); "
    "x.requires_grad_(); F.hardtanh(x).backward(torch.ones(17)); x.grad[0] is 0.0, but 1.0 for a tensor of "
    "fewer than 16 elements", conditions.NAN_IN_CLAMP_BODY)}
NAN_LANES_ELU = {"special_lanes": Where(
    "the backward at a NaN input depends on the tensor's length (CPU): grad·slope (1.0; 1.0507 for selu) "
    "in the scalar loop, NaN inside the vectorized loop: x = torch.full((33,), 0.5); x[0] = float('nan'); "
    "x.requires_grad_(); F.elu(x).backward(torch.ones(33)); x.grad[0] is nan, but 1.0 for a tensor of fewer "
    "than 32 float32 elements", conditions.NAN_IN_ELU_BODY)}
NAN_LANES_LOGIT = {"special_lanes": Where(
    "torch.logit(x, eps)'s backward at a NaN input depends on the tensor's length (CPU): NaN in the scalar "
    "loop, 0 inside the vectorized loop: x = torch.full((17,), 0.5, dtype=torch.float64); x[0] = float('nan');"
    " x.requires_grad_(); torch.logit(x, eps=0.125).backward(torch.ones_like(x)); x.grad[0] is 0.0, nan for "
    "torch.tensor([nan])", conditions.NAN_IN_ELU_BODY)}
# the in-place variants of a clone: the clone is contiguous, so a strided input takes the vectorized loop too
NAN_LANES_CLAMP_COPIED = {"special_lanes": replace(NAN_LANES_CLAMP["special_lanes"],
                                                   when=conditions.NAN_IN_CLAMP_BODY_COPIED)}
NAN_LANES_ELU_COPIED = {"special_lanes": replace(NAN_LANES_ELU["special_lanes"],
                                                 when=conditions.NAN_IN_ELU_BODY_COPIED)}
