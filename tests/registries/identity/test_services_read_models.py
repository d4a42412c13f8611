"""The services answer from the read models alone, also in a plain (rolled back) db test.

Other registries' tests may set up an official by writing the identity read
models directly, without the event store fixture.
"""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest

from registries.common.codes import personal_code
from registries.identity import services
from registries.identity.models import AppointmentRecord, PersonRecord

CODE = personal_code(date(1980, 5, 17), "M", 12)


@pytest.mark.django_db
def test_an_official_written_into_the_read_models_has_the_role() -> None:
    record = PersonRecord.objects.create(
        personal_code=CODE,
        aggregate_id=uuid4(),
        first_name="Jaan",
        last_name="Kask",
        born=date(1980, 5, 17),
        sex="M",
        version=1,
    )
    AppointmentRecord.objects.create(person=record, registry="court", role="judge", appointed_seq=1)
    assert services.person_exists(CODE)
    assert services.has_role(CODE, "court", "judge")
    assert not services.has_role(CODE, "court", "registrar")
    assert services.current_public_key(CODE) is None
