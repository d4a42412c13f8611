"""The identity registry's desks: its API, admin and command catalog.

They check roles and read ``/me`` like every registry's desks, so they sit
above :mod:`registries.access`; the registry's core (domain, application, read
models, services) is :mod:`registries.identity`, below access, which builds
tokens, roles and sign-in on it.
"""
