"""``python -m conformance.catalogue.conventions > docs/conventions.md``: print the conventions document."""
from conformance.catalogue.conventions.render import document

print(document(), end="")
