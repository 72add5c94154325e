"""autograd-conformance: exact checks of torch's gradients and of autograd's accumulation contract.

The public API (imported on first use, so that ``import conformance`` and the pytest plugin stay light):
``check_grads``, ``check_vjp``, ``check_jvp``, ``check_hvp`` (``conformance.api``), the domains ``Real`` and
``Index``, the spec vocabulary ``spec``, the failure type ``ConformanceFailure``, ``check_grads``'s result type
``Verdicts`` and its warning ``UnsupportedMode`` (a mode torch lacks for the function).

PYTEST_DONT_REWRITE: ``python -m conformance run`` imports this package before pytest starts, so pytest,
which marks every module of a plugin's distribution for assertion rewriting, could not rewrite it (it holds
no assert); the marker says so.  Its submodules load later and are rewritten.
"""
__version__ = "0.2.0"

_LAZY = {"check_grads": "conformance.api", "check_vjp": "conformance.api", "check_jvp": "conformance.api",
         "check_hvp": "conformance.api", "Real": "conformance.model.domain", "Index": "conformance.model.domain",
         "ConformanceFailure": "conformance.run.failure", "UnsupportedMode": "conformance.api",
         "Verdicts": "conformance.api"}
__all__ = [*_LAZY, "spec"]


def __getattr__(name: str):
    import importlib
    if name == "spec":
        return importlib.import_module("conformance.exact.spec")
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'conformance' has no attribute {name!r}")
