"""The embedded backend: everything on one CPU box, with models shipped as PyPI packages."""
