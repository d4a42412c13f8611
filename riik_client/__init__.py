"""Reference client of Riik's citizen e-services: e-ID sign-in, signed commands, my data.

``python -m riik_client --help`` for the command line; :class:`Client` for code.
It needs only the standard library and ``cryptography``; the inclusion proofs
are checked with :mod:`chain.merkle`, the same pure RFC 9162 code the auditors use.
"""

from riik_client.client import Client, ClientError, command_message, load_key, new_key

__all__ = ["Client", "ClientError", "command_message", "load_key", "new_key"]
