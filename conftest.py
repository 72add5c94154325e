"""Running from a source checkout: load the plugin even when the kit is not pip-installed.

When it is installed, its ``pytest11`` entry point (named ``conformance.plugin``) has registered the
plugin already and pytest skips this duplicate.
"""
pytest_plugins = ["conformance.plugin"]
