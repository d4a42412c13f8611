"""Child process of the citizen API benchmark: migrate a scratch database, seed citizens.

    python -m bench.citizen_seed --citizens 60 --out seed.json

Run with ``DATABASE_URL`` and ``RIIK_DATA_DIR`` of the scratch database set.
Writes each citizen's personal code and private key (hex) for the load
generator; every citizen founded one company, so the read mix has data.
"""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

import django

NAMES = ["Tamm", "Saar", "Sepp", "Mägi", "Kask", "Kukk", "Rebane", "Ilves", "Pärn", "Koppel"]


def main() -> None:
    """Migrate, register citizens with e-ID keys and a company each, write the seed file."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--citizens", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    django.setup()

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from django.core.management import call_command

    from bench.progress import progress_bar
    from registries.business.application import BusinessRegistry, Registration
    from registries.business.projections import PROJECTIONS as BUSINESS
    from registries.common.application import stop_all
    from registries.common.codes import personal_code
    from registries.common.commands import issue
    from registries.identity.application import IdentityRegistry
    from registries.identity.projections import PROJECTIONS as IDENTITY

    call_command("migrate", "--noinput", verbosity=0)
    citizens = []
    with progress_bar() as progress:
        task = progress.add_task("seeding citizens", total=args.citizens)
        for serial in range(args.citizens):
            code = personal_code(
                date(1970 + serial % 40, 1 + serial % 12, 1), "MF"[serial % 2], serial
            )
            key = Ed25519PrivateKey.generate()
            public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

            def register(
                app: IdentityRegistry, code: str = code, public: bytes = public, n: int = serial
            ) -> None:
                app.register_person(code, "Kodanik", NAMES[n % len(NAMES)], "bench")
                app.register_key(code, public, "bench")

            issue(IdentityRegistry, IDENTITY, register)
            registration = Registration(
                name=f"Koormus {serial} OÜ",
                legal_form="OÜ",
                share_capital_cents=250_000,
                founders=[code],
                board=[code],
                address="Tallinn, Lossi plats 1a",
            )

            def found(app: BusinessRegistry, r: Registration = registration) -> str:
                return app.register_company(r, "bench", date(2026, 1, 15))

            issue(BusinessRegistry, BUSINESS, found)
            citizens.append({"code": code, "key": key.private_bytes_raw().hex()})
            progress.advance(task)
    stop_all()
    args.out.write_text(json.dumps(citizens))


if __name__ == "__main__":
    main()
