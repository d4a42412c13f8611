"""The data tracker's one command, declared in the catalog like every registry's.

A judge discloses a covert read once a final judgment of its case releases
it: the read then appears in its persons' own lists. The tracker has no admin
forms; its other writes are the registries' tracked reads, not commands.
"""

from __future__ import annotations

from registries.access.catalog import Catalog, Command, Reply, Target
from registries.access.roles import registry_role
from registries.tracker.api.serializers import CommitmentSerializer, DisclosureSerializer
from registries.tracker.api.views import TAGS
from registries.tracker.application import TrackerRegistry
from registries.tracker.models import CovertCommitmentRecord
from registries.tracker.projections import PROJECTIONS

COVERT_READ = Target(route="covert-reads/<str:commitment>/", tags=TAGS)

COMMANDS = Catalog(
    TrackerRegistry,
    PROJECTIONS,
    [
        Command(
            name="disclosure",
            title="Disclose covert read",
            target=COVERT_READ,
            permission=registry_role("court", "judge"),
            reply=Reply(
                CommitmentSerializer,
                lambda request, data, result: (
                    CommitmentSerializer(
                        CovertCommitmentRecord.objects.get(commitment=data["commitment"])
                    ).data
                ),
            ),
            input=DisclosureSerializer,
            route="disclosure/",
            url_name="covert-read-disclosure",
            summary="Disclose a covert read to its persons",
            description=(
                "Disclose a covert read, released by a final judgment of its case (judges)."
            ),
            run=lambda app, data, who: app.disclose_covert_read(
                data["commitment"], data["case_number"], data["judgment"], who
            ),
        ),
    ],
)
