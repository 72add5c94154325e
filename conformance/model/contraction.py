"""The einsum signature a bilinear entry declares (``contraction="ij,jk->ik"``): the entry checks it at
declaration, and the GEMM-sized property samples its gradient by it (``conformance.space.contraction``)."""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Signature:
    """A two-input einsum signature without repeated letters in one operand."""

    inputs: tuple[str, str]
    output: str

    @classmethod
    def parse(cls, text: str) -> "Signature":
        m = re.fullmatch(r"([a-z]*),([a-z]*)->([a-z]*)", text.replace(" ", ""))
        if not m:
            raise ValueError(f"contraction {text!r} is not a two-input einsum signature like 'ij,jk->ik'")
        a, b, out = m.groups()
        for part in (a, b, out):
            if len(set(part)) != len(part):
                raise ValueError(f"contraction {text!r}: a letter repeats within one operand")
        if set(out) - set(a) - set(b):
            raise ValueError(f"contraction {text!r}: output letters {sorted(set(out) - set(a) - set(b))} "
                             "are in no input")
        return cls((a, b), out)

    @property
    def letters(self) -> str:
        seen = dict.fromkeys(self.inputs[0] + self.inputs[1] + self.output)
        return "".join(seen)

    def contracted(self, k: int) -> str:
        """The letters summed over in the gradient of input ``k``: those of the weight and the other input
        that input ``k`` lacks."""
        mine = self.inputs[k]
        return "".join(c for c in dict.fromkeys(self.output + self.inputs[1 - k]) if c not in mine)
