"""Which database holds each registry: the one definition (ADR 0069).

A registry's events, ledger log, read models and its projections' tracking
positions live in the database named by ``DATABASE_URL_<REGISTRY>``
(``DATABASE_URL_HEALTH``), or in the default database when that is unset.
The chain itself (blocks, signatures, membership, the consensus log) and
everything that is not a registry (users, sessions, tokens, idempotency)
stay in the default database.

:func:`place_registries` reads the environment once, in ``config.settings``;
:class:`RegistryRouter` routes Django's models and migrations by its answer
(``settings.RIIK_LOG_DATABASES``); the chain finds each log's database with
:func:`chain.ledger.databases.log_database`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    # Not at run time: config.settings imports this module before Django is set up.
    from django.db.models import Model

DEFAULT = "default"

ATOMIC_GROUPS: tuple[frozenset[str], ...] = (frozenset({"business", "money", "property"}),)
"""Registries whose commands commit in one transaction and so must share one database.

Money with property: delivery versus payment (a title moves only with its
price). Money with business and property: state fees paid with the filing
they pay for. A group may move to a database of its own, but only whole.
"""

LOG_MODELS = frozenset({"ledgerentry", "ledgersubtree", "ledgerhead"})
"""The chain's ledger tables (app ``chain``): one set in every database that holds a log."""

TRACKING_MODELS = frozenset({"projectionposition"})
"""Tables of app ``common`` that every registry database holds: projections record
what they consumed next to the read models they update."""


def _identity(config: Mapping[str, Any]) -> tuple[str, str, str, str]:
    # Two spellings of one URL (with and without the default port) are one
    # database: they must get one alias, one pool and one group check.
    return (
        str(config.get("ENGINE", "")),
        str(config.get("HOST") or "127.0.0.1"),
        str(config.get("PORT") or "5432"),
        str(config.get("NAME", "")),
    )


def place_registries(
    configs: Mapping[str, Mapping[str, Any] | None], default: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """Decide each registry's database from its ``DATABASE_URL_<REGISTRY>`` settings.

    ``configs`` maps each registry to its parsed database settings, None when
    its variable is unset. Returns ``(placement, databases)``: the alias of
    every registry's database, and the settings of each database besides
    ``default``, named after the first registry (alphabetically) it holds.
    Registries naming one database share one alias. Raises
    ImproperlyConfigured when the placement splits an :data:`ATOMIC_GROUPS` group.
    """
    by_identity: dict[tuple[str, str, str, str], str] = {_identity(default): DEFAULT}
    placement: dict[str, str] = {}
    databases: dict[str, dict[str, Any]] = {}
    for registry in sorted(configs):
        config = configs[registry]
        if config is None:
            placement[registry] = DEFAULT
            continue
        alias = by_identity.setdefault(_identity(config), registry)
        if alias == registry:
            databases[alias] = dict(config)
        placement[registry] = alias
    check_groups(placement)
    return placement, databases


def check_groups(placement: Mapping[str, str]) -> None:
    """Refuse a placement that puts the registries of one atomic group in different databases."""
    for group in ATOMIC_GROUPS:
        aliases = {placement.get(registry, DEFAULT) for registry in group}
        if len(aliases) > 1:
            members = ", ".join(sorted(group))
            variables = ", ".join(f"DATABASE_URL_{registry.upper()}" for registry in sorted(group))
            msg = (
                f"the {members} registries commit together (delivery versus payment, "
                f"state fees) and must share one database: set {variables} to the same "
                f"URL, or leave all of them unset (now: "
                + ", ".join(f"{r} -> {placement.get(r, DEFAULT)}" for r in sorted(group))
                + ")"
            )
            raise ImproperlyConfigured(msg)


class RegistryRouter:
    """Django's database router: each registry app in its registry's database.

    A registry's own models (app label = registry name) are read and written in
    its database. A ledger row saved as an instance goes to its log's database;
    queries of the ledger name their registry and are routed by
    :class:`chain.ledger.models.LogQuerySet`. Tracking positions are used with
    an explicit database (:mod:`registries.common.projections`). Everything
    else is the default database's.
    """

    def _placement(self) -> Mapping[str, str]:
        placement: Mapping[str, str] = settings.RIIK_LOG_DATABASES
        return placement

    def _route(self, model: type[Model], **hints: Any) -> str | None:
        label = model._meta.app_label
        placement = self._placement()
        if label in placement:
            return placement[label]
        instance = hints.get("instance")
        if label == "chain" and model._meta.model_name in LOG_MODELS and instance is not None:
            return placement.get(str(instance.registry), DEFAULT)
        return None

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        """The registry's database for its models; None (the default) otherwise."""
        return self._route(model, **hints)

    def db_for_write(self, model: type[Model], **hints: Any) -> str | None:
        """The registry's database for its models; None (the default) otherwise."""
        return self._route(model, **hints)

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        """Relations only inside one database (registries hold none across)."""
        return bool(obj1._state.db == obj2._state.db)

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool:
        """A registry's tables in its database only; the ledger tables and tracking
        positions in every database that holds a log; the rest in the default."""
        placement = self._placement()
        if app_label in placement:
            return db == placement[app_label]
        if db == DEFAULT:
            return True
        if app_label == "chain":
            # model_name None: the migrations' functions (ledger_append(),
            # the partitioning), which the log tables need wherever they are.
            return model_name is None or model_name in LOG_MODELS
        if app_label == "common":
            return model_name in TRACKING_MODELS
        return False
