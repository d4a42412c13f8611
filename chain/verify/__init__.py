"""Standalone chain verifier: ``python -m chain.verify BUNDLE`` or ``RECEIPT``.

Standard library and ``cryptography`` only; besides its own modules it imports
the pure ``chain.certificates``, ``chain.encoding``, ``chain.memberlog``, ``chain.merkle``,
``chain.notes`` and ``chain.protocol`` and never Django, so an auditor can run
it on an exported bundle without the application (:data:`STANDALONE_FILES`).

The checking itself is the streaming class :class:`ChainVerifier`
(:mod:`~chain.verify.verifier`), fed record by record. :mod:`~chain.verify.stream`
feeds it from a JSON Lines file; ``manage.py chain verify`` feeds it the same
records straight from the database. The roles of the other modules:
:mod:`~chain.verify.records` (formats, failures, typed fields),
:mod:`~chain.verify.header` (the chain and its member keys),
:mod:`~chain.verify.certificates` (block certificates and checkpoints),
:mod:`~chain.verify.chainlog` (evidence, key rotations, membership changes),
:mod:`~chain.verify.receipts`, :mod:`~chain.verify.report`,
:mod:`~chain.verify.parallel` (several processes, ``--jobs``) and
:mod:`~chain.verify.cli`.

It raises :class:`VerificationFailure` at the first bad item, naming it, e.g.
``registry business seq 1234: payload hash mismatch`` or
``block 57: missing supernode quorum (1 of 3 valid signatures)``.
The bundle format and every check are written down in docs/chain-format.md.
"""

from __future__ import annotations

from chain.verify.cli import main, read_trusted_keys
from chain.verify.parallel import verify_file
from chain.verify.receipts import verify_receipt
from chain.verify.records import (
    BUNDLE_FORMAT,
    PAYLOADS_OMITTED,
    RECEIPT_FORMAT,
    BundleFormatError,
    EntryRow,
    VerificationFailure,
)
from chain.verify.report import RegistryReport, Report
from chain.verify.stream import iter_bundle, verify_bundle, verify_stream
from chain.verify.verifier import ChainVerifier

__all__ = [
    "BUNDLE_FORMAT",
    "PAYLOADS_OMITTED",
    "RECEIPT_FORMAT",
    "STANDALONE_FILES",
    "BundleFormatError",
    "ChainVerifier",
    "EntryRow",
    "RegistryReport",
    "Report",
    "VerificationFailure",
    "iter_bundle",
    "main",
    "read_trusted_keys",
    "verify_bundle",
    "verify_file",
    "verify_receipt",
    "verify_stream",
]

STANDALONE_FILES = (
    "chain/__init__.py",
    "chain/certificates.py",
    "chain/encoding.py",
    "chain/memberlog.py",
    "chain/merkle.py",
    "chain/notes.py",
    "chain/protocol.py",
    "chain/verify/__init__.py",
    "chain/verify/__main__.py",
    "chain/verify/certificates.py",
    "chain/verify/chainlog.py",
    "chain/verify/cli.py",
    "chain/verify/header.py",
    "chain/verify/money.py",
    "chain/verify/parallel.py",
    "chain/verify/receipts.py",
    "chain/verify/records.py",
    "chain/verify/report.py",
    "chain/verify/stream.py",
    "chain/verify/verifier.py",
)
"""Every file ``python -m chain.verify`` needs, relative to the repository root
(besides Python 3.11 and the ``cryptography`` package); docs/guide-auditor.md
lists the same."""
