"""What torch lacks for some entries (``unsupported``), where the kit has no error model yet (``unmodelled``),
and the classes of properties a deviation names (queries over the declared properties)."""

from conformance.model import properties

NO_DOUBLE = "the derivative of its backward is not implemented in torch ({})"
NO_FORWARD = "torch has no forward-AD formula for {} (under torch.func at least)"
NO_FORWARD_OF_BACKWARD = "torch has no forward-AD formula for its backward, {}"
NO_FORWARD_OF_FORWARD = ("torch has no forward-AD formula for {}, which its forward-mode formula calls ('Trying to use "
                         "forward AD with {} that does not support it')")


# The value properties that run a backward of a catalogue entry (queries over the declared properties: one declared
# later belongs to them by its declaration): a deviation of the backward itself applies to these and not to the
# forward-mode ones (test_jvp, test_func_jvp, test_jacfwd).
FIRST_ORDER_REVERSE = properties.select(checks="values", direction="reverse", order=1)
REVERSE = properties.select(checks="values", direction="reverse")


def in_properties(names, status) -> dict:
    """A deviation keyed by each of ``names`` (properties: test function names)."""
    return dict.fromkeys(names, status)


def unsupported(double=None, forward=None, forward_of_backward=None, func=None, forward_of_forward=None) -> dict:
    out = {}
    if forward_of_forward:
        out["forward_over_forward"] = NO_FORWARD_OF_FORWARD.format(forward_of_forward, forward_of_forward)
    if double:
        out["double_backward"] = NO_DOUBLE.format(double)
    if forward:
        out["forward_ad"] = NO_FORWARD.format(forward)
    if forward_of_backward:
        out["forward_over_reverse"] = NO_FORWARD_OF_BACKWARD.format(forward_of_backward)
    if func:
        out["func"] = func
    return out

def unmodelled(feature: str, why: str) -> dict:
    return {feature: why}
