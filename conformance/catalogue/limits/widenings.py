"""Where the kit's running-error model undercounts torch's rounding in a mode: measured widenings
(``Widening``), and the exact-zero gaps that stay ``unmodelled``."""

from conformance.model.case import Widening

# Widenings (``Widening``): an (entry, mode) whose results agree across torch's own modes to rounding but
# exceed the running-error bound because torch's formula cancels terms the exact expression never forms.
# Each factor is about 2.5 x the largest error seen, in plain bounds, by
#   python benchmarks/widenings.py --seeds 3 --examples 40 -n 2      (torch 2.13.0 CPU, 2026-12-03)
# (nightly profile: 3 seeds x 40 examples of every property the widening covers).
MEASURED = "benchmarks/widenings.py, 3 seeds x 40 nightly examples, torch 2.13.0 CPU"


def widened(feature: str, why: str, measured: float, factor: float) -> dict:
    """``feature`` (or "feature:dtype") of an entry runs with its bounds times ``factor``: ``why`` the model
    undercounts torch's rounding there, ``measured`` the largest error seen in plain bounds."""
    if factor < measured:
        raise ValueError(f"a widening of {factor:g} is below its measurement {measured:g}")
    return {feature: Widening(f"{why}; measured up to {measured:.3g} x the plain bound ({MEASURED})", factor)}


def seen(feature: str, why: str, ratio: float, factor: float) -> dict:
    """A widening from one observation: ``ratio``, the error in plain bounds at one ``ci`` draw (torch 2.13.0 CPU),
    the factor about 2.5 times it; to be measured with ``benchmarks/widenings.py`` like the others."""
    if factor < ratio:
        raise ValueError(f"a widening of {factor:g} is below its observation {ratio:g}")
    return {feature: Widening(f"{why}; seen at {ratio:.3g} x the plain bound at one ci draw (torch 2.13.0 CPU), not "
                              f"yet measured over seeds", factor)}


LU_CREATE_GRAPH = ("torch's first-order LU backward under create_graph=True (its differentiable formula) rounds beyond "
                   "the Doolittle expression's bound where that bound is far below one ulp (torch 2.13.0 CPU, ci "
                   "profile: 1 ulp of a[1, 1], 28 x the plain bound in float32; the plain backward is within it)")
ORMQR_FUNC = ("torch.func differentiates ormqr through a batched Householder backward whose rounding the reflector "
              "expression's bound does not model (eager backward: within it)")
STFT_CENTER = ("torch's centered stft backward (the FFT of reflect-padded, windowed frames) rounds beyond the bound "
               "of the kit's model at some inputs; not classified")


PROD_SECOND_ORDER = ("torch differentiates prod's backward, grad * prod / x, whose second derivative cancels terms "
                     "sympy never forms (P/x_i² - P/x_i² on the diagonal): the entry is normwise (each element "
                     "allowed the largest bound of its vector or matrix), which closes the gap for prod and leaves "
                     "this much over it; rounding-level (double backward, torch.func and forward mode agree to "
                     "2e-16), not a deviation")
LOGSIGMOID_SECOND_ORDER = ("torch differentiates log_sigmoid's backward (1 - z/(1+z) below 0, z/(1+z) above, "
                           "z = exp(-|x|)); in y·logσ(x) + (1-y)·logσ(-x) the mixed second derivatives of the two "
                           "halves sum to exactly 1, a cancellation whose rounding in torch the spec's model does "
                           "not charge (the result 135 times below its terms)")
UNCLASSIFIED_SECOND_ORDER = ("double backward, forward-over-reverse and torch.func agree to rounding, so torch's "
                             "formula order, not its value, is what the bound does not model yet; not classified")
DET_FUNC = ("torch.func differentiates det through a batched LU solve whose rounding the cofactor expression's bound "
            "does not model (eager backward: within it)")
LOGCUMSUMEXP_FORWARD = ("torch's forward-mode formula for logcumsumexp in float64 (float32: within the plain "
                        "bound); its forward-over-reverse and double-backward values differ by 3.8e-11 relative; "
                        "not classified")

# Where the exact value is 0 (a structural zero sympy cancels) and torch leaves rounding noise, no factor
# on a bound of 0 helps: these (entry, mode) stay ``unmodelled`` (skipped), with the measurement.
EXACT_ZERO = "measured up to {} x the plain bound at elements whose exact value is 0 (" + MEASURED + ")"
COPYSIGN_SECOND_ORDER = ("torch's backward is grad * result / x, whose derivative (sign / x - result / x**2) is "
                         "exactly 0 but cancels numerically: measured -0.03125 where the exact HVP is 0 at "
                         "|v u| = 8.7e5 in float32, i.e. at rounding level; the bound of an exact zero is 0")
DET_STRUCTURAL_ZEROS = ("where a direction's entries are 0 the exact HVP entry is 0, while torch's LU-based second "
                        "derivative leaves rounding noise there; the bound of an exact zero is 0")
CUMPROD_SECOND_ORDER = ("torch differentiates cumprod's backward through prod / x: at inputs with zeros the exact "
                        "HVP is 0 in whole blocks (each input enters a product once) and torch leaves rounding noise "
                        "there, beyond the normwise rule; " + EXACT_ZERO.format("2e31 (float32)"))
PROD_THIRD_ORDER = ("torch's third derivative of a product (through its grad * prod / x backward) leaves rounding "
                    "noise where the exact value is 0 (each input enters a product once, so every third derivative "
                    "with a repeated index vanishes): " + EXACT_ZERO.format("2e294 (float64; -0.046 at exact 0 in "
                    "float32 cumprod, -1.1e-10 in float64: the ratio of the dtypes' roundoff)"))
CUMPROD_SECOND_TANGENT = ("forward mode of cumprod's forward-mode formula leaves rounding noise where the exact "
                          "second tangent is 0 (an input entering a product once): " + EXACT_ZERO.format(
                              "1.95e28 (float32), 2.4e3 (float64)"))
VANDER_SECOND_TANGENT = ("nested jvp of vander (x**2, x, 1) leaves rounding noise (7.3e-12 in float32) where the exact "
                         "second tangent of the x and 1 columns is 0: " + EXACT_ZERO.format("6.2e25 (float32)"))
PROD_ZEROS_FORWARD_OVER_REVERSE = ("forward mode through prod's backward at inputs with zeros leaves rounding noise "
                                   "where the exact HVP is 0; " + EXACT_ZERO.format("3e14"))
