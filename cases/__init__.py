"""The conformance properties: one module per semantic area of autograd (``test_vjp``: weighted
backward; ``test_accumulation``: k backward calls into ``.grad``; ...).

Shipped in the kit's package as ``conformance.cases`` and collected from the checkout as ``cases``;
shared steps live in ``_steps`` (the weighted-backward preamble, the k-backward loop, decorator
bundles) and ``_engine`` (required errors and warnings, split entries).
"""
