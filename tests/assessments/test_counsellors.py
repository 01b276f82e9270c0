"""Who a process can be handed to: the counsellors of the caller's areas, for counsellors and supervisors."""

from __future__ import annotations

from server.demo import demo_id
from server.reference.models import reference_id
from tests.conftest import bearer, sign_in

PATH = "/api/assessments/counsellors"
OULU, KOILLISMAA = (str(reference_id("area", code)) for code in ("oulu", "koillismaa"))


def names(body: list[dict]) -> set[str]:
    return {c["display_name"] for c in body}


async def test_a_counsellor_sees_the_counsellors_of_their_area_only(client):
    olli = bearer((await sign_in(client, "ohjaaja"))["access_token"])
    body = (await client.get(PATH, headers=olli)).json()
    assert {"Olli Ohjaaja", "Outi Neuvonen"} <= names(body)
    assert "Kalle Kuusela" not in names(body)  # a counsellor of Koillismaa
    assert all(c["region_wide"] or OULU in c["area_ids"] for c in body)
    assert next(c for c in body if c["display_name"] == "Olli Ohjaaja")["id"] == str(
        demo_id("user", "ohjaaja")
    )
    refused = await client.get(PATH, headers=olli, params={"area_id": KOILLISMAA})
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"


async def test_the_region_supervisor_sees_every_area_and_filters_by_one(client):
    boss = bearer((await sign_in(client, "ohjaus-esihenkilo"))["access_token"])
    everyone = (await client.get(PATH, headers=boss)).json()
    assert {"Olli Ohjaaja", "Kalle Kuusela", "Leena Lakkala"} <= names(everyone)
    assert "Sanna Esikunta" not in names(everyone)  # a supervisor is never the responsible counsellor
    koillismaa = (await client.get(PATH, headers=boss, params={"area_id": KOILLISMAA})).json()
    assert "Kalle Kuusela" in names(koillismaa) and "Olli Ohjaaja" not in names(koillismaa)


async def test_others_do_not_see_the_counsellors(client):
    for username in ("kotas", "paiva", "admin"):
        user = bearer((await sign_in(client, username))["access_token"])
        assert (await client.get(PATH, headers=user)).status_code == 403, username
    assert (await client.get(PATH)).status_code == 401
