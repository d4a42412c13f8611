"""Load generator of the citizen API benchmark (a child process: locust patches the stdlib).

    python -m bench.citizen_locust --host URL --seed seed.json --users 10,25,50 \
        --seconds 20 --out steps.json

Each simulated citizen signs in with their e-ID key once, then, with a think
time of 0.5-1.5 s between requests, reads their own data (9 in 10 requests:
``/me/person/``, ``/me/companies/``, a company's public card) or registers a
company online as a signed command (1 in 10). The user count steps up; per
step it records p50/p95/p99 and the error rate of reads and of writes, with the
most frequent error messages.
"""

from __future__ import annotations

import argparse
import itertools
import json
import secrets
from collections import Counter
from pathlib import Path
from typing import Any

import gevent  # type: ignore[import-untyped]
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from locust import HttpUser, between, events, task
from locust.env import Environment

from bench.stats import latency_summary
from chain.encoding import canonical

CITIZENS: list[dict[str, str]] = []
_next_citizen = itertools.count()
_names = itertools.count()
_samples: dict[str, list[float]] = {"read": [], "write": []}
_errors: dict[str, int] = {"read": 0, "write": 0}
_error_kinds: dict[str, Counter[str]] = {"read": Counter(), "write": Counter()}


@events.request.add_listener  # type: ignore[untyped-decorator]
def _record(name: str, response_time: float, exception: Any, **kwargs: Any) -> None:
    kind = name.split(":", 1)[0]
    if kind not in _samples:
        return  # sign-in is set-up, not part of the mix
    if exception is not None:
        _errors[kind] += 1
        _error_kinds[kind][f"{name.split(': ', 1)[-1]}: {str(exception)[:120]}"] += 1
    else:
        _samples[kind].append(response_time / 1000)


class Citizen(HttpUser):
    """A signed-in citizen using the e-services."""

    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        """Sign in with the e-ID key (challenge-response)."""
        citizen = CITIZENS[next(_next_citizen) % len(CITIZENS)]
        self.code = citizen["code"]
        self.key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(citizen["key"]))
        challenge = self.client.post(
            "/api/v1/identity/sign-in/challenge/",
            json={"personal_code": self.code},
            name="sign-in: challenge",
        ).json()
        token = self.client.post(
            "/api/v1/identity/sign-in/",
            json={
                "personal_code": self.code,
                "nonce": challenge["nonce"],
                "signature": self.key.sign(challenge["message"].encode()).hex(),
            },
            name="sign-in: token",
        ).json()["token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        companies = self.client.get("/api/v1/me/companies/", name="sign-in: my companies")
        self.company = companies.json()["results"][0]["registry_code"]

    @task(4)
    def my_person(self) -> None:
        self.client.get("/api/v1/me/person/", name="read: me/person")

    @task(3)
    def my_companies(self) -> None:
        self.client.get("/api/v1/me/companies/", name="read: me/companies")

    @task(2)
    def company_card(self) -> None:
        self.client.get(f"/api/v1/business/companies/{self.company}/", name="read: company card")

    @task(1)
    def register_company(self) -> None:
        payload = {
            "name": f"Koormus {self.code} {next(_names)} OÜ",
            "legal_form": "OÜ",
            "share_capital_cents": 250_000,
            "founders": [self.code],
            "board": [self.code],
            "address": "Tallinn, Lossi plats 1a",
        }
        nonce = secrets.token_urlsafe(16)
        message = canonical(
            {
                "purpose": "riik-command",
                "chain_id": "riik-dev",
                "registry": "business",
                "command": "register-company",
                "target": {"name": "business:e-service-register-company", "kwargs": {}},
                "payload": payload,
                "signer": self.code,
                "nonce": nonce,
            }
        )
        signature = {
            "personal_code": self.code,
            "nonce": nonce,
            "signature": self.key.sign(message).hex(),
        }
        self.client.post(
            "/api/v1/business/e-services/companies/",
            json={**payload, "signatures": [signature]},
            headers={"Idempotency-Key": secrets.token_urlsafe(16)},
            name="write: register company online",
        )


def main() -> None:
    """Run the steps; write their figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--seed", type=Path, required=True)
    parser.add_argument("--users", required=True, help="comma-separated user counts")
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    CITIZENS.extend(json.loads(args.seed.read_text()))

    steps = []
    for users in (int(n) for n in args.users.split(",")):
        environment = Environment(user_classes=[Citizen], host=args.host, events=events)
        runner = environment.create_local_runner()
        runner.start(users, spawn_rate=max(10, users))
        gevent.sleep(min(5.0, args.seconds / 4))  # ramp-up and sign-in, not measured
        for kind in _samples:
            _samples[kind].clear()
            _errors[kind] = 0
            _error_kinds[kind].clear()
        gevent.sleep(args.seconds)
        runner.quit()
        step: dict[str, Any] = {"users": users, "seconds": args.seconds}
        for kind, samples in _samples.items():
            count = len(samples) + _errors[kind]
            step[kind] = {
                **(latency_summary(samples) if samples else {}),
                "requests": count,
                "errors": _errors[kind],
                "error_rate": _errors[kind] / count if count else 0.0,
                "error_kinds": dict(_error_kinds[kind].most_common(5)),
                "per_s": count / args.seconds,
            }
        steps.append(step)
        print(json.dumps(step), flush=True)
    args.out.write_text(json.dumps(steps))


if __name__ == "__main__":
    main()
