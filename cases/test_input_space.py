"""The input space real kernels see.  Elementwise entries: drawn sizes where code paths switch
(``small``, ``vector``, ``grain`` bands), broadcast shapes, strided and offset layouts, constant operands
and values in the tails of each domain; every element of every gradient checked against the exact value
(``conformance.space``).  NaN and ±inf lanes: the gradient elsewhere stays exact and at the lane is
torch's for that element alone.  Resizable entries (reductions, matmul, convolutions, normalizations,
linear algebra, losses): redrawn sizes of every dimension, input layouts and constant operands, against
the fixed-shape exact oracle at the drawn shape; and one dimension grown large, against the tape oracle.
Bilinear entries (a declared contraction): GEMM sizes, checked at a documented sample."""
from hypothesis import assume, settings
from hypothesis import strategies as st

from conformance.exact.tape import TapeOracle
from conformance.plugin.profiles import NIGHTLY
from conformance.run import properties
from conformance.run.trial import Trial
from conformance.space.draw import lanes, points
from conformance.space.gemm import GemmTrial, gemm_points
from conformance.space.large import growths
from conformance.space.resize import layouts_for, resized, resizings
from conformance.space.trial import SizedTrial

from ._steps import drawn


def sized_vjp(case, dtype, device, band, status, data):
    """``y.backward(gradient=v)`` leaves ``x.grad == vᵀJ`` at every element, at every drawn size and layout."""
    __tracebackhide__ = True
    nightly = settings.get_current_profile_name() == NIGHTLY
    point = data.draw(points(case, dtype, band, nightly), label="point")
    assume(point is not None)
    t = SizedTrial(case, dtype, device, point, f"sized_vjp[{band}]", status=status)
    t.forward_backward()
    t.check()


@drawn()
def test_sized_vjp_small(case, dtype, device, status, data):
    """Sizes 0 to 65: the scalar tail after a vector, and no vector at all."""
    sized_vjp(case, dtype, device, "small", status, data)


@drawn()
def test_sized_vjp_vector(case, dtype, device, status, data):
    """Sizes 2**k - 1, 2**k, 2**k + 1 for k = 7..12: vectorized and unrolled loops."""
    sized_vjp(case, dtype, device, "vector", status, data)


@drawn()
def test_sized_vjp_grain(case, dtype, device, status, data):
    """32767 to 100,003 elements (more in nightly): across the CPU's parallel grain and several chunks."""
    sized_vjp(case, dtype, device, "grain", status, data)


@drawn()
def test_special_lanes(case, dtype, device, status, data):
    """NaN and ±inf at chosen lanes of a long tensor: every other element stays exact, and each special
    lane's gradient is torch's for that element alone (independent of position and length)."""
    drawn_lanes = data.draw(lanes(case, dtype), label="point")
    assume(drawn_lanes is not None)
    point, special = drawn_lanes
    t = SizedTrial(case, dtype, device, point, "special_lanes", exclude=special, status=status)
    t.forward_backward()
    t.check()
    t.check_lanes(special)


@drawn()
def test_resized_vjp(case, dtype, device, status, data):
    """``y.backward(gradient=v)`` leaves ``x.grad == vᵀJ`` at redrawn sizes of every dimension, with permuted
    or strided input leaves and some inputs constant (their gradients unchecked, the others' exact)."""
    sized = resized(case, data.draw(resizings(case), label="sizes"))
    layouts = {a.name: data.draw(st.sampled_from(layouts_for(a.shape)), label=f"{a.name} layout")
               for a in sized.args if a.differentiable}
    properties.vjp(Trial(sized, dtype, device, data, "resized_vjp", layouts=layouts,
                         constant=constants(sized, data), status=status))


@drawn()
def test_large_vjp(case, dtype, device, status, data):
    """``y.backward(gradient=v)`` leaves ``x.grad == vᵀJ`` with one dimension grown to 17..32769 (vector tails,
    blocks, the parallel grain) and some inputs constant; every element exact (the tape oracle)."""
    growth = data.draw(growths(case, settings.get_current_profile_name()), label="sizes")
    sized = resized(case, growth)
    properties.vjp(Trial(sized, dtype, device, data, "large_vjp", constant=constants(sized, data),
                         oracle=TapeOracle, status=status))


@drawn()
def test_gemm_vjp(case, dtype, device, status, data):
    """Bilinear entries at GEMM sizes (each letter of the contraction 1..513 at block and vector edges, up to
    512 × 512 × 512): ``.grad`` exact at a documented sample along every dimension (the sampled exact rule)."""
    point = data.draw(gemm_points(case, settings.get_current_profile_name()), label="point")
    t = GemmTrial(case, dtype, device, point, status=status)
    t.forward_backward()
    t.check()


def constants(case, data) -> tuple[str, ...]:
    """Some differentiable inputs after the first drawn constant (built without requires_grad)."""
    names = [a.name for a in case.args if a.differentiable]
    return tuple(n for n in names[1:] if data.draw(st.booleans(), label=f"{n} constant"))
