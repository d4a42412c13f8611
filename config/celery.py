"""The Celery application.

Embedded mode (no ``CELERY_BROKER_URL``) runs tasks eagerly in-process; scaled
mode talks to RabbitMQ or Redis. Tasks are thin: they poke idempotent services,
and the beat schedule makes up for any message that got lost.
"""

import os

from celery import Celery

from chain.blocks.cluster.clock import ClusterClock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("riik")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["chain", "registries.common"])
app.steps["worker"].add(ClusterClock)
