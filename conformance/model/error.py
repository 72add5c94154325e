"""The error a malformed catalogue entry raises, where it is declared (the model's own checks, ``declare``)."""


class CatalogueError(ValueError):
    """A malformed catalogue entry."""
