"""Every model of the project is named in Estonian, in the singular and the plural
(no database: the names are the models' own)."""

from __future__ import annotations

from django.apps import apps
from django.utils import translation

PROJECT_APPS = frozenset(
    {"chain", "common", "identity", "business", "property", "court", "health", "money", "tracker"}
)


def test_every_model_of_the_project_has_an_estonian_name_and_plural() -> None:
    models = [model for model in apps.get_models() if model._meta.app_label in PROJECT_APPS]
    assert len(models) > 60  # every model of every registry, not none
    english: list[str] = []
    for model in models:
        with translation.override("en"):
            names = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
        with translation.override("et"):
            estonian = str(model._meta.verbose_name), str(model._meta.verbose_name_plural)
        english += [
            f"{model.__name__}: {name}"
            for name, et in zip(names, estonian, strict=True)
            if name == et
        ]
    assert not english
