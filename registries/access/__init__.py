"""Who may act: tokens, roles, e-ID sign-in, signed commands and the /me plumbing.

Above the identity registry (whose people, keys and appointments it reads) and
below every other registry (which uses it); it imports no registry above
identity: what those know (who sits on a company's board) they register here
(:mod:`registries.access.representation`).
"""
