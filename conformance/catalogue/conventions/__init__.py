"""Gradient conventions at non-differentiable and undefined points: one row per (function, point).

PyTorch's autograd notes ("Gradients for non-differentiable functions") define the gradient of an
elementary operation by the first rule that applies at the point:

1. the function is differentiable there: its gradient;
2. it is convex (at least locally): the sub-gradient of minimum norm;
3. it is concave (at least locally): the super-gradient of minimum norm;
4. it is defined: the gradient by continuity (``inf`` possible, e.g. ``sqrt(0)``); if several values
   are possible, any one of them;
5. it is not defined (``sqrt(-1)``, ``log(-1)``, NaN input): arbitrary (usually NaN).

"Locally convex" is read strictly: convex on a neighbourhood of the point.  Where a kink's slopes fall
but one side is curved upward (``elu`` with alpha > 1, ``selu``, ``hardswish`` at ±3), the function is
neither, and rule 4 applies: the one-sided limits of the derivative are the acceptable values.  A
function defined only through its limit (``log(0) = -inf``, ``1/+0``) takes rule 4 with that limit.

A row gives the torch call (source over named inputs, as catalogue entries do), the exact point, the
backward's weight (ones unless given) and the rule.  Rules 2-4 type the prescribed gradient (``grad``;
``accept`` lists the alternatives of a rule-4 point with several values); rule 1 rows give a sympy
``spec`` instead, and the gradient is derived: each partial derivative's one-sided limits at the exact
point, which must agree (so the row is differentiable there).  ``deviation`` ("reason. Repro: `code`",
or ``Contract(reason, symptom)`` for a raising or missing gradient) marks where torch 2.13 departs, and
``torch_gives`` pins the value torch gives there (one gradient, or the alternatives an index choice
allows), so that another wrong value still fails; ``documented`` quotes torch's documentation where it
states the departure.  A rule 5 row's gradient must be NaN (the notes' default) unless ``finite`` says
why torch gives a finite value there.  ``roundoff`` allows that many units of roundoff
(of the gradient's largest entry) where the call holds a non-dyadic constant (selu's scale) or computes
through a factorization (an SVD); every other row compares exactly.
"""
from conformance.catalogue.conventions.model import RULES, Row, derived, exact, exact_array
from conformance.catalogue.conventions.render import (
    departures_markdown,
    document,
    gives_text,
    markdown,
    point_text,
    value_text,
)
from conformance.catalogue.conventions.table import (
    INF,
    NAN,
    TABLE,
    D,
    departs,
    one_hots,
    one_hots_in,
    permutations,
    row,
)

__all__ = ["D", "INF", "NAN", "RULES", "TABLE", "Row", "departs", "departures_markdown", "derived", "document", "exact",
           "exact_array", "gives_text", "markdown", "one_hots", "one_hots_in", "permutations", "point_text", "row",
           "value_text"]
