"""The kit's properties, each declared once, by its name: its test function in ``cases/``.

A property's name (``test_hvp``) is its test function and the key a catalogue deviation names it by; its
``group`` is its file (``cases/test_higher_order.py``: group ``higher_order``), the summary's row and the report's
``property``.  Everything else the kit says of a property derives from its declaration here: the features it
requires of an entry (the ``conformance`` marker's ``requires=``, which the plugin reads from here for the kit's
own cases), its share of the profile's examples (``cases/_steps.drawn``), the profiles that run it, the deviation
keys it answers to, the table in docs/properties.md (``python -m conformance.tools.properties_doc``), and the
catalogue's classes of properties, which are queries (``select(checks="values", direction="reverse", order=1)``):
a property declared later belongs to them by its declaration.

The registry lives in the library, not in ``cases/``: the catalogue needs its queries at import time, in runs
that never collect ``cases/``, and nothing in the library imports ``cases/``.  A new property is its test
function in ``cases/`` and one ``Property`` line here; ``tests/test_properties.py`` checks that the two agree.
Imports nothing heavy (the plugin reads it before torch loads).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from conformance.model.dtypes import LOW

# what a property checks: the kind of subject its items are
CHECKS = {"values": "the gradients of every catalogue entry against the exact value",
          "engine": "a contract of the autograd engine, on a few named entries",
          "autocast": "gradients under torch.autocast, on the entries of its op lists",
          "distributed": "DistributedDataParallel's averaged gradients, on a few named entries",
          "convention": "the gradient at non-differentiable and undefined points (the conventions table)",
          "seed": "the originating tutorial's examples, against the oracle and the printed values"}
DIRECTIONS = {"reverse": "runs a backward of the function (possibly under forward mode: forward over reverse)",
              "forward": "forward mode only"}
# the input space it draws (conformance.space): the entries' declared shapes, or the kernels' size bands...
SPACES = ("declared", "sized", "lanes", "resized", "large", "gemm")


@dataclass(frozen=True)
class Property:
    name: str  # its test function in cases/, the key a deviation names it by
    group: str  # its file, cases/test_<group>.py: the summary's row and the report's "property"
    checks: str = "values"  # CHECKS
    direction: str = "reverse"  # DIRECTIONS
    order: int = 1  # the order of the derivative it checks
    features: tuple[str, ...] = ()  # what it requires of an entry (conformance.model.case.FEATURES)
    share: float | None = 1.0  # of the profile's examples (at least one); None: no Hypothesis draws
    exact: bool = True  # compares with the exact value (False: torch with itself: accuracy deviations do not apply)
    space: str = "declared"  # SPACES
    complex: bool = False  # runs the complex dtypes, over the entries that declare them
    family: str | None = None  # runs the entries of this shape family only
    declares: str | None = None  # runs the entries that declare this optional field only
    dtypes: tuple[str, ...] | None = None  # runs these dtypes only (of the selected ones)
    quick: bool = False  # the quick profile runs it (and collects its file)
    low_ci: bool = False  # the ci profile runs it in reduced precision (profiles.LOW_CI_EXAMPLES examples)
    low_verified: bool = True  # verified free of false alarms in bfloat16 and float16 (else only where --dtype asks)

    def __post_init__(self):
        if not self.name.startswith("test_") or not self.name.isidentifier():
            raise ValueError(f"Property name: a test function's name, test_..., not {self.name!r}")
        for what, value, known in (("checks", self.checks, CHECKS), ("direction", self.direction, DIRECTIONS),
                                   ("space", self.space, SPACES)):
            if value not in known:
                raise ValueError(f"Property {self.name} {what}: {value!r} is none of {', '.join(known)}")
        if self.order not in (1, 2, 3):
            raise ValueError(f"Property {self.name} order: 1, 2 or 3, not {self.order!r}")
        if self.share is not None and not 0 < self.share <= 1:
            raise ValueError(f"Property {self.name} share: a fraction in (0, 1], not {self.share!r}")

    @property
    def marker(self) -> dict:
        """The ``conformance`` marker's keywords its declaration implies (those that differ from the default)."""
        out = {"requires": self.features, "exact": self.exact, "complex": self.complex, "family": self.family,
               "declares": self.declares, "dtypes": self.dtypes}
        return {k: v for k, v in out.items() if v != MARKER_DEFAULTS[k]}

    @property
    def keys(self) -> tuple[str, ...]:
        """The deviation keys it answers to (each also with ``:dtype``; a feature also through those it implies)."""
        return (self.name, *self.features)


REGISTRY: dict[str, Property] = {}
MARKER_DEFAULTS = {"requires": (), "exact": True, "complex": False, "family": None, "declares": None, "dtypes": None}
_FIELDS = {f.name for f in fields(Property)}


def declare(*props: Property) -> None:
    for p in props:
        if p.name in REGISTRY:
            raise ValueError(f"property {p.name} is declared twice")
        REGISTRY[p.name] = p


def get(name: str) -> Property | None:
    """The property of that test function (None: not one of the kit's)."""
    return REGISTRY.get(name)


def select(**where) -> tuple[str, ...]:
    """The names of the properties whose fields equal ``where``'s values, in declaration order:
    ``select(checks="values", direction="reverse", order=1)``."""
    unknown = sorted(set(where) - _FIELDS)
    if unknown:
        raise TypeError(f"select: unknown Property fields {unknown}; known: {', '.join(sorted(_FIELDS))}")
    return tuple(n for n, p in REGISTRY.items() if all(getattr(p, k) == v for k, v in where.items()))


def groups(**where) -> tuple[str, ...]:
    """The groups (files) holding a property whose fields equal ``where``'s values."""
    return tuple(dict.fromkeys(REGISTRY[n].group for n in select(**where)))


def _engine(group: str, *names: str, share: float | None = 0.5, **kw) -> tuple[Property, ...]:
    """A file of engine contracts (half the profile's examples: their subject is the engine, not the op)."""
    return tuple(Property(n, group, checks="engine", share=share, **kw) for n in names)


_F, _FA, _FOR, _FOF = ("func",), ("forward_ad",), ("forward_over_reverse",), ("forward_over_forward",)
declare(
    Property("test_vjp", "vjp", quick=True, low_ci=True),
    Property("test_accumulation", "accumulation", features=("accumulation",), share=0.5, quick=True, low_ci=True),
    Property("test_zeroing", "zeroing", features=("accumulation",), share=0.5),
    Property("test_functional_grad", "functional", share=0.5),
    Property("test_hvp", "higher_order", order=2, features=("double_backward",), share=0.5),
    Property("test_hvp_backward", "higher_order", order=2, features=("double_backward",), share=0.25),
    Property("test_third_order", "higher_order", order=3, features=("third_order",)),
    Property("test_forward_over_hvp", "higher_order", order=3, features=("third_order", "forward_over_reverse")),
    Property("test_jvp", "forward_mode", direction="forward", features=_FA, share=0.5, low_ci=True),
    Property("test_forward_over_reverse", "forward_mode", order=2, features=_FOR, share=0.25, low_ci=True),
    Property("test_jvp_of_jvp", "forward_over_forward", direction="forward", order=2, features=_F + _FOF, share=0.25),
    Property("test_nested_dual", "forward_over_forward", direction="forward", order=2, features=_FOF, share=0.25),
    Property("test_jacfwd_jacfwd", "forward_over_forward", direction="forward", order=2, features=_F + _FOF,
             share=0.125),
    Property("test_func_vjp", "func", features=_F, share=0.25),
    Property("test_func_jvp", "func", direction="forward", features=_F + _FA, share=0.25),
    Property("test_func_grad", "func", features=_F, share=0.25),
    Property("test_jacrev", "func", features=_F, share=0.125),
    Property("test_jacfwd", "func", direction="forward", features=_F + _FA, share=0.125),
    Property("test_hessian", "func", order=2, features=_F + _FOR, share=0.125),
    Property("test_vmap_vjp", "func", features=_F, share=0.25),
    Property("test_is_grads_batched", "func", features=_F, share=0.25),
    Property("test_complex_vjp", "complex", complex=True),
    Property("test_complex_accumulation", "complex", complex=True, share=0.5),
    Property("test_cross_device_vjp", "cross_device", share=0.5),
    Property("test_device_accumulation_bitwise", "cross_device", features=("accumulation",), exact=False, share=0.25),
    Property("test_compile_vjp", "compile", share=0.5),
    Property("test_compile_accumulation", "compile", share=0.25),
    Property("test_sized_vjp_small", "input_space", space="sized", family="elementwise", share=0.5),
    Property("test_sized_vjp_vector", "input_space", space="sized", family="elementwise", share=0.25),
    Property("test_sized_vjp_grain", "input_space", space="sized", family="elementwise", share=0.125),
    Property("test_special_lanes", "input_space", space="lanes", family="elementwise", features=("special_lanes",),
             share=0.25),
    Property("test_resized_vjp", "input_space", space="resized", family="resizable", features=("layouts",),
             share=0.25),
    Property("test_large_vjp", "input_space", space="large", family="resizable", features=("large",), share=0.125),
    Property("test_gemm_vjp", "input_space", space="gemm", declares="contraction", share=0.25),
    Property("test_autocast", "autocast", checks="autocast", dtypes=LOW, low_ci=True),
    Property("test_convention", "conventions", checks="convention", share=None),
    *(Property(n, "seed", checks="seed", share=None) for n in (
        "test_seed_scalar", "test_seed_zeroing", "test_seed_weighted_vector", "test_seed_nonscalar_needs_gradient")),
    *_engine("zeroing", "test_zeroing_each_method", share=1.0),
    *_engine("compile", "test_compile_mutation", share=0.25),
    *(Property(n, "distributed", checks="distributed", share=0.25) for n in (
        "test_ddp_average", "test_ddp_no_sync_accumulation", "test_ddp_zeroing", "test_ddp_zeroing_each_method")),
    *_engine("retain_graph", "test_second_backward_through_freed_graph_raises",
             "test_retained_graph_accumulates_identical_backward_twice"),
    *_engine("engine_errors", "test_misused_backward_raises", "test_unused_input_to_grad_raises",
             "test_unused_input_allowed_is_none", "test_unused_input_materialized_is_zeros",
             "test_inplace_change_of_saved_tensor_raises_at_backward", "test_inplace_op_on_leaf_requiring_grad_raises"),
    *_engine("backward_inputs", "test_backward_inputs_accumulates_only_into_them",
             "test_backward_inputs_nonleaf_gets_vjp_at_node"),
    *_engine("nonleaf", "test_nonleaf_grad_is_none_and_warns", "test_retain_grad_holds_vjp_at_node",
             "test_retained_output_grad_is_the_weight"),
    *_engine("hooks", "test_tensor_hook_replaces_gradient", "test_tensor_hooks_run_in_registration_order",
             "test_post_accumulate_grad_hook_sees_accumulated_grad", "test_node_prehook_sees_and_replaces_grad_outputs",
             "test_node_hook_sees_and_replaces_grad_inputs"),
    *_engine("grad_mode", "test_untracked_contribution_adds_nothing",
             "test_backward_under_disabled_grad_still_computes"),
    *_engine("views_inplace", "test_inplace_writes_rebase_history_and_bump_versions",
             "test_view_shares_version_with_its_base", "test_inplace_op_on_view_of_leaf_raises"),
    *_engine("grad_layout", "test_new_grad_follows_parameter_layout"),
)
