"""``python -m riik_client``: sign in with an e-ID key file and use the citizen e-services.

    python -m riik_client keygen mari.key
    python -m riik_client keys pin supernodes.txt
    python -m riik_client --code 48501010003 --key mari.key me person --verify \\
        --trusted-keys supernodes.txt
    python -m riik_client --code ... --key mari.key register-company --name "Mesi OÜ" \\
        --legal-form OÜ --capital-cents 250000 --address "Tartu, Rüütli 1" \\
        --founder 48501010003 --founder 38001010009 --board 48501010003 \\
        --signer 38001010009=jaan.key
    python -m riik_client --code ... --key mari.key health consent close --provider 90000015
    python -m riik_client --code ... --key mari.key health representative appoint 38001010009 \\
        --signer 38001010009=jaan.key
    python -m riik_client --code ... --key mari.key me health
    python -m riik_client --code NOTARY --key notary.key --role property/notary \\
        notary endorse 78401:101:0010 --seller 48501010003 --buyer 38001010009=1/1 \\
        --price-cents 12000000 --yes
    python -m riik_client --code NOTARY --key notary.key --role property/notary \\
        notary endorse 78401:101:0010 --seller 48501010003 --buyer 38001010009=1/1 \\
        --price-cents 12000000 --sign-only     # the signature, for the buyer
    python -m riik_client --code 38001010009 --key jaan.key property buy 78401:101:0010 \\
        --seller 48501010003 --price-cents 12000000 --unit-version 3 --notary NOTARY \\
        --notary-signature HEX --payment-id house-2026
    python -m riik_client --code ... --key peeter.key --for-organisation 70000148 me court-cases
    python -m riik_client --lang et --code ... --key mari.key me person  # problems in Estonian
    python -m riik_client --code ... --key mari.key pay 38001010009 1250 --payment-id rent-2026-05
    python -m riik_client --code ... --key mari.key pay 38001010009 1250 --payer 16000001
    python -m riik_client --code ... --key mari.key me wallet --verify --trusted-keys supernodes.txt

See docs/citizen-api.md for the walkthrough.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from riik_client.client import Client, ClientError, load_key, new_key
from riik_client.proving import PinnedKeys, prove, read_pinned_keys, write_pinned_keys


def _signer(text: str) -> tuple[str, Path]:
    code, sep, path = text.partition("=")
    if not sep or not code or not path:
        raise argparse.ArgumentTypeError("expected PERSONAL_CODE=KEYFILE")
    return code, Path(path)


def _holding(text: str) -> dict[str, str]:
    code, sep, share = text.partition("=")
    if not sep or not code or not share:
        raise argparse.ArgumentTypeError("expected CODE=SHARE, such as 38001010009=1/2")
    return {"owner": code, "share": share}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m riik_client", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--server", default=os.environ.get("RIIK_SERVER", "http://127.0.0.1:8000"))
    parser.add_argument("--chain-id", default=os.environ.get("RIIK_CHAIN_ID", "riik-dev"))
    parser.add_argument(
        "--lang",
        choices=["en", "et"],
        default="",
        help="the language of the server's answers, such as why a command was refused "
        "(et: Estonian; default: English)",
    )
    parser.add_argument("--code", help="your personal code (isikukood)")
    parser.add_argument("--key", type=Path, help="your e-ID key file (from keygen)")
    parser.add_argument("--role", default="", help="sign in as an official: registry/role")
    parser.add_argument(
        "--for-organisation",
        default="",
        metavar="CODE",
        help="sign in for an organisation you represent (a company whose board you sit on, "
        "or a court, hospital, ... whose representative you are): its registry code",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    keygen = commands.add_parser("keygen", help="make a new e-ID key file; print its public key")
    keygen.add_argument("file", type=Path)

    keys = commands.add_parser("keys", help="pin the supernodes' keys that --verify trusts")
    keys_commands = keys.add_subparsers(dest="keys_command", required=True)
    pin = keys_commands.add_parser(
        "pin", help="fetch the supernodes' keys, print their fingerprints, write them to FILE"
    )
    pin.add_argument("file", type=Path)
    pin.add_argument("--replace", action="store_true", help="replace a file pinned before")

    commands.add_parser("sign-in", help="sign in and print the token's expiry")
    commands.add_parser("sign-out", help="sign in and out again: check the key, leave no token")

    me = commands.add_parser(
        "me",
        help="my data: person, companies, properties, court-cases, health, data-tracker, wallet",
    )
    me.add_argument("view", nargs="?", default="")
    me.add_argument(
        "--verify",
        action="store_true",
        help="prove each record against a block certified by the pinned supernode keys",
    )
    me.add_argument(
        "--trusted-keys",
        type=Path,
        default=os.environ.get("RIIK_TRUSTED_KEYS") or None,
        help="the supernode keys pinned with `keys pin` (default: $RIIK_TRUSTED_KEYS)",
    )

    pay = commands.add_parser(
        "pay", help="pay from my wallet, or my company's (signed with my e-ID key)"
    )
    pay.add_argument("payee", help="personal code or registry code of the payee")
    pay.add_argument("amount_cents", type=int, help="the amount in euro cents")
    pay.add_argument(
        "--payment-id",
        default="",
        help="my id of the payment (default: a new random one); "
        "sending the same id again answers the same payment, so a retry never pays twice",
    )
    pay.add_argument(
        "--payer",
        default="",
        metavar="REGISTRY_CODE",
        help="pay from the wallet of this company (or other organisation) that I represent "
        "(a management board member, or a representative the identity registry records); "
        "my signature covers it",
    )

    register = commands.add_parser("register-company", help="register a company online")
    register.add_argument("--name", required=True)
    register.add_argument("--legal-form", required=True)
    register.add_argument("--capital-cents", type=int, required=True)
    register.add_argument("--address", required=True)
    register.add_argument("--founder", action="append", required=True, default=[])
    register.add_argument("--board", action="append", required=True, default=[])
    register.add_argument(
        "--signer", action="append", type=_signer, default=[], help="CODE=KEYFILE of a co-signer"
    )

    board = commands.add_parser("change-board", help="change my company's board")
    board.add_argument("company")
    board.add_argument("--member", action="append", required=True, default=[])
    board.add_argument("--signer", action="append", type=_signer, default=[])

    notary = commands.add_parser("notary", help="a notary's endorsements (sign in as notary)")
    notary_acts = notary.add_subparsers(dest="notary_command", required=True)
    endorse = notary_acts.add_parser(
        "endorse", help="show what you sign for a title transfer, then sign and file it"
    )
    endorse.add_argument("land_unit", help="cadastral code, such as 78401:101:0010")
    endorse.add_argument("--seller", action="append", required=True, default=[])
    endorse.add_argument(
        "--buyer", action="append", type=_holding, required=True, default=[], help="CODE=SHARE"
    )
    endorse.add_argument("--price-cents", type=int, required=True)
    endorse.add_argument(
        "--unit-version", type=int, help="the unit's version you sign (default: its current one)"
    )
    endorse.add_argument(
        "--yes", action="store_true", help="sign and file; without it, only show what you sign"
    )
    endorse.add_argument(
        "--sign-only",
        action="store_true",
        help="sign but do not file: print the signature for the buyer to buy with",
    )

    land = commands.add_parser("property", help="my land register e-services (signed)")
    land_acts = land.add_subparsers(dest="property_command", required=True)
    buy = land_acts.add_parser(
        "buy", help="buy a land unit delivery versus payment: my payment moves with the title"
    )
    buy.add_argument("land_unit", help="cadastral code, such as 78401:101:0010")
    buy.add_argument("--seller", required=True, help="personal or registry code of the seller")
    buy.add_argument("--price-cents", type=int, required=True, help="the price the notary signed")
    buy.add_argument("--unit-version", type=int, required=True, help="the version signed")
    buy.add_argument("--notary", required=True, help="personal code of the endorsing notary")
    buy.add_argument("--notary-signature", required=True, help="the notary's signature (hex)")
    buy.add_argument(
        "--payment-id",
        default="",
        help="my id of the payment of the price (default: a new random one)",
    )

    health = commands.add_parser("health", help="my health e-services (signed)")
    acts = health.add_subparsers(dest="health_command", required=True)
    consent = acts.add_parser("consent", help="close or open my record to a hospital or to all")
    consent.add_argument("action", choices=["close", "open"])
    consent.add_argument("--provider", default="", help="hospital registry code (default: all)")
    representative = acts.add_parser("representative", help="appoint or remove a representative")
    representative.add_argument("action", choices=["appoint", "remove"])
    representative.add_argument("representative", help="their personal code")
    representative.add_argument(
        "--signer", action="append", type=_signer, default=[], help="CODE=KEYFILE (appoint)"
    )
    return parser


def _chains(value: Any) -> list[dict[str, Any]]:
    """Every ``chain`` object in an answer."""
    if isinstance(value, dict):
        found = [value["chain"]] if isinstance(value.get("chain"), dict) else []
        for item in value.values():
            found.extend(_chains(item))
        return found
    if isinstance(value, list):
        return [chain for item in value for chain in _chains(item)]
    return []


def main(argv: list[str] | None = None) -> int:
    """Run one command: 0 on success, 1 when refused or not proved, 2 on bad usage."""
    args = _parser().parse_args(argv)
    if args.command == "keygen":
        try:
            print(new_key(args.file))
        except FileExistsError:
            print(
                f"{args.file} exists: it may hold your e-ID key; choose another file",
                file=sys.stderr,
            )
            return 2
        except OSError as error:
            print(f"cannot write it: {error}", file=sys.stderr)
            return 2
        return 0
    if args.command == "keys":
        return _pin_keys(
            Client(args.server, args.chain_id, language=args.lang), args.file, args.replace
        )
    if not args.code or not args.key:
        print("--code and --key are needed to sign in", file=sys.stderr)
        return 2
    try:
        key = load_key(args.key)
        signers = [(args.code, key)] + [
            (code, load_key(path)) for code, path in getattr(args, "signer", [])
        ]
        trusted = getattr(args, "trusted_keys", None)
        pinned = read_pinned_keys(trusted) if trusted else {}
    except (OSError, ValueError) as error:
        print(f"cannot read it: {error}", file=sys.stderr)
        return 2
    client = Client(args.server, args.chain_id, language=args.lang)
    try:
        signed_in = client.sign_in(args.code, key, args.role, args.for_organisation)
        result = _run(args, client, signers)
        if args.command == "sign-in":
            result = {k: v for k, v in signed_in.items() if k != "token"}
        if args.command == "sign-out":
            client.sign_out()
            result = {"personal_code": args.code, "signed_out": True}
        print(json.dumps(result, indent=2, ensure_ascii=False))
        if args.command == "me" and args.verify:
            return _verify(client, result, pinned)
    except ClientError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    return 0


def _pin_keys(client: Client, file: Path, replace: bool) -> int:
    """``keys pin``: trust on first use, said plainly, with fingerprints to compare."""
    if file.exists() and not replace:
        print(f"{file} exists: pass --replace to pin the server's keys anew", file=sys.stderr)
        return 2
    try:
        keys = client.request("GET", "/api/v1/chain/keys/")["supernodes"]
    except ClientError as error:
        print(f"refused: {error}", file=sys.stderr)
        return 1
    before = set(read_pinned_keys(file)) if file.exists() else set()
    write_pinned_keys(file, keys, client.server)
    print(f"pinned {len(keys)} supernode keys from {client.server} in {file}:")
    for name, key_id in sorted(read_pinned_keys(file)):
        change = "" if not before or (name, key_id) in before else "  (new)"
        print(f"  {name}  key id {key_id.hex()}{change}")
    print(
        "Compare these with the supernode keys the state publishes: pinning trusts this "
        "server once, so that later answers can be checked against these keys."
    )
    return 0


def _verify(client: Client, result: Any, pinned: PinnedKeys) -> int:
    """Prove each record of a /me answer; 0 only when every one is proved."""
    positions = _chains(result)
    blocks: dict[int, Any] = {}

    def block_at(height: int) -> Any:
        if height not in blocks:
            blocks[height] = client.request("GET", f"/api/v1/chain/blocks/{height}/")
        return blocks[height]

    findings = [prove(position, block_at, pinned, client.chain_id) for position in positions]
    for finding in findings:
        print(finding.line(), file=sys.stderr)
    proved = sum(finding.proved for finding in findings)
    if not findings:
        print("nothing to verify: the answer has no records on the chain", file=sys.stderr)
    else:
        print(
            f"proved {proved} of {len(findings)} records against pinned supernode keys",
            file=sys.stderr,
        )
    return 0 if findings and proved == len(findings) else 1


def _run(
    args: argparse.Namespace, client: Client, signers: list[tuple[str, Ed25519PrivateKey]]
) -> Any:
    if args.command == "me":
        return client.me(args.view)
    if args.command == "pay":
        payment_id = args.payment_id or f"pay-{secrets.token_urlsafe(12)}"
        return client.pay(args.payee, args.amount_cents, payment_id, signers[0], args.payer)
    if args.command == "register-company":
        payload = {
            "name": args.name,
            "legal_form": args.legal_form,
            "share_capital_cents": args.capital_cents,
            "founders": args.founder,
            "board": args.board,
            "address": args.address,
        }
        return client.register_company(payload, signers)
    if args.command == "change-board":
        return client.change_board(args.company, args.member, signers)
    if args.command == "notary":
        return _endorse(args, client, signers[0])
    if args.command == "property":
        code = signers[0][0]
        terms = {
            "sellers": [args.seller],
            "buyers": [{"owner": code, "share": "1/1"}],
            "price_cents": args.price_cents,
            "unit_version": args.unit_version,
            "notary": args.notary,
            "signature": args.notary_signature,
            "payment_id": args.payment_id or f"buy-{secrets.token_urlsafe(12)}",
        }
        return client.buy(args.land_unit, terms, signers[0])
    if args.command == "health" and args.health_command == "consent":
        return client.change_consent(args.action, args.provider, signers)
    if args.command == "health" and args.action == "appoint":
        return client.appoint_representative(args.representative, signers)
    if args.command == "health":
        return client.remove_representative(args.representative, signers)
    return None


def _endorse(
    args: argparse.Namespace, client: Client, notary: tuple[str, Ed25519PrivateKey]
) -> Any:
    """``notary endorse``: the exact bytes are shown first; filed only with ``--yes``."""
    code, key = notary
    terms: dict[str, Any] = {
        "sellers": args.seller,
        "buyers": args.buyer,
        "price_cents": args.price_cents,
    }
    if args.unit_version is not None:
        terms["unit_version"] = args.unit_version
    base = f"/api/v1/property/land-units/{args.land_unit}"
    signed = client.request("POST", f"{base}/transfer-message/", terms)
    print(f"You sign, for land unit {args.land_unit}:", file=sys.stderr)
    print(f"  {signed['message']}", file=sys.stderr)
    if not args.yes and not args.sign_only:
        return {"filed": False, "message": signed["message"], "hint": "add --yes to sign and file"}
    signature = key.sign(bytes.fromhex(signed["message_hex"])).hex()
    if args.sign_only:
        # A purchase settled against payment: the buyer files it with this signature.
        return {
            "filed": False,
            "unit_version": signed["unit_version"],
            "notary": code,
            "signature": signature,
        }
    body = {**terms, "unit_version": signed["unit_version"], "notary": code, "signature": signature}
    return client.request("POST", f"{base}/transfers/", body)


if __name__ == "__main__":
    sys.exit(main())
