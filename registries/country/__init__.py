"""The synthetic country: ``manage.py demo`` seeds every registry (the top of the registries)."""
