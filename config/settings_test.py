"""The test suite's settings: ``config.settings`` with what only tests may change.

pytest-django loads this module (``pyproject.toml``), and the processes the
tests start (Celery workers, cluster nodes) inherit it through
``DJANGO_SETTINGS_MODULE``. Nothing here changes what a test proves.
"""

import os
from pathlib import Path


def _separate_parallel_worker() -> None:
    """Give each of pytest-xdist's workers (``make test`` runs one per core) its own
    data folder, task queue and cluster names, through the environment.

    The environment is also what every process a test starts inherits (Celery
    workers, cluster nodes, the documents' demo instance, whatever their
    settings module), so they all land in the worker's folder and queues. Done
    once per worker: a child process sees ``RIIK_TEST_WORKER`` already set.
    The test databases themselves get pytest-django's ``_gw<N>`` suffix.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or os.environ.get("RIIK_TEST_WORKER") == worker:
        return
    os.environ["RIIK_TEST_WORKER"] = worker
    base = Path(os.environ.get("RIIK_DATA_DIR") or Path(__file__).resolve().parent.parent / "var")
    os.environ["RIIK_DATA_DIR"] = str(base / worker)
    if os.environ.get("RIIK_KEYS_DIR"):
        os.environ["RIIK_KEYS_DIR"] = str(Path(os.environ["RIIK_KEYS_DIR"]) / worker)
    for variable, default in (("RIIK_TASK_QUEUE", "riik"), ("RIIK_CLUSTER_PREFIX", "riik")):
        os.environ[variable] = f"{os.environ.get(variable) or default}-{worker}"


_separate_parallel_worker()

from config.settings import *  # noqa: E402, F403

# The test users' passwords are throwaway: hashing each with PBKDF2's million
# iterations cost seconds of CPU on the shared CI machine for every official a
# test (or the role fuzzer, once per operation) creates. Django's own test
# suite uses MD5 for the same reason; the password check itself is unchanged.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
