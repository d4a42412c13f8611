"""``python -m chain.verify BUNDLE`` or ``RECEIPT`` (see :mod:`chain.verify.cli`)."""

from chain.verify.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
