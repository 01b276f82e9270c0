"""The contacts domain's declaration (`server.domain`)."""

from __future__ import annotations

from server.contacts import controllers, models, mutations, report_controllers, statistics, timeline
from server.contacts.models import Contact
from server.domain import Domain
from server.sync.authorisation import client_column

DOMAIN = Domain(
    name="contacts",
    summary="Contacts (yhteydenotto): every contact a counsellor handles, anonymous or linked to a client",
    uses=("clients", "events"),
    models=(models,),
    mutations=(mutations,),
    routes=(controllers.ContactsController, report_controllers.GuidanceStatisticsController),
    snapshot_reports=statistics.SNAPSHOT_REPORTS,
    timeline=(timeline.CONTACTS,),
    client_of={"contact": client_column(Contact)},
)
