"""The test suite's settings: ``config.settings`` with what only tests may change.

pytest-django loads this module (``pyproject.toml``), and the processes the
tests start (Celery workers, cluster nodes) inherit it through
``DJANGO_SETTINGS_MODULE``. Nothing here changes what a test proves.
"""

from config.settings import *  # noqa: F403

# The test users' passwords are throwaway: hashing each with PBKDF2's million
# iterations cost seconds of CPU on the shared CI machine for every official a
# test (or the role fuzzer, once per operation) creates. Django's own test
# suite uses MD5 for the same reason; the password check itself is unchanged.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
