"""The access log: every client read is logged with its basis; the chain detects tampering; no log, no data."""

from __future__ import annotations

from sqlalchemy import select, text

from server.access_log.models import AccessLogEntry
from server.access_log.service import verify
from server.clients.models import ClientUnit
from server.demo import DEMO_DAY_UNIT
from server.reference.models import reference_id
from tests.conftest import bearer, sign_in


async def day_unit_client(db) -> str:
    unit_id = reference_id("unit", DEMO_DAY_UNIT)
    query = select(ClientUnit.client_id).where(ClientUnit.unit_id == unit_id).limit(1)
    client_id = str((await db.execute(query)).scalar_one())
    await db.commit()  # end the read snapshot so later checks see what the API wrote
    return client_id


async def test_reading_a_client_is_logged_with_who_what_and_basis(client, db):
    client_id = await day_unit_client(db)
    staff = await sign_in(client, "paiva")
    response = await client.get(f"/api/clients/{client_id}", headers=bearer(staff["access_token"]))
    assert response.status_code == 200 and response.json()["id"] == client_id

    admin = await sign_in(client, "admin")
    page = (
        await client.get(
            f"/api/admin/access-log?client_id={client_id}", headers=bearer(admin["access_token"])
        )
    ).json()
    reads = [e for e in page["entries"] if e["operation"] == "read"]
    assert len(reads) == 1
    entry = reads[0]
    assert entry["username"] == "paiva" and entry["role"] == "unit_staff"
    assert entry["record_type"] == "client" and entry["device_id"] == staff["device_id"]
    assert entry["basis"] == f"service_relationship:unit:{reference_id('unit', DEMO_DAY_UNIT)}"

    extract = (
        await client.get(f"/api/admin/access-log/extract/{client_id}", headers=bearer(admin["access_token"]))
    ).json()
    assert [e["username"] for e in extract if e["operation"] == "read"] == ["paiva"]


async def test_no_basis_no_data_and_the_refusal_logged(client, db):
    client_id = await day_unit_client(db)
    for username in ("hoiva", "kotas", "admin"):
        session = await sign_in(client, username)
        response = await client.get(f"/api/clients/{client_id}", headers=bearer(session["access_token"]))
        assert response.status_code == 403, username
    logged = (
        (await db.execute(select(AccessLogEntry).where(AccessLogEntry.record_type == "client")))
        .scalars()
        .all()
    )
    assert [(e.username, e.operation, e.basis, str(e.client_id)) for e in logged] == [
        (username, "read_refused", "none", str(client_id)) for username in ("hoiva", "kotas", "admin")
    ]


async def test_chain_verifies_and_catches_an_edited_entry(client, db, backend):
    client_id = await day_unit_client(db)
    staff = await sign_in(client, "paiva")
    for _ in range(3):
        assert (
            await client.get(f"/api/clients/{client_id}", headers=bearer(staff["access_token"]))
        ).status_code == 200
    report = await verify(db)
    assert report.ok and report.entries == 3
    await db.rollback()

    # The database itself refuses to change an entry...
    try:
        await db.execute(text("UPDATE access_log SET username = 'someone' WHERE id = 2"))
        await db.commit()
        raise AssertionError("the access log accepted an UPDATE")
    except AssertionError:
        raise
    except Exception as exc:
        assert "append-only" in str(exc)
        await db.rollback()

    # ...and someone who drops that protection is still caught by the chain.
    # (Inside one transaction that is rolled back, so the shared test database keeps its protection.)
    await _drop_protection(db, backend)
    await db.execute(text("UPDATE access_log SET username = 'someone' WHERE id = 2"))
    report = await verify(db)
    await db.rollback()
    assert not report.ok and report.first_bad_id == 2


async def test_chain_catches_a_removed_tail(client, db, backend):
    client_id = await day_unit_client(db)
    staff = await sign_in(client, "paiva")
    for _ in range(2):
        await client.get(f"/api/clients/{client_id}", headers=bearer(staff["access_token"]))
    await _drop_protection(db, backend)
    await db.execute(text("DELETE FROM access_log WHERE id = 2"))
    report = await verify(db)
    await db.rollback()
    assert not report.ok and "removed" in report.problem


async def test_failing_log_write_blocks_the_access(client, db, backend):
    client_id = await day_unit_client(db)
    if backend == "sqlite":
        await db.execute(
            text(
                "CREATE TRIGGER break_log BEFORE INSERT ON access_log BEGIN SELECT RAISE(ABORT, 'disk full'); END"
            )
        )
    else:
        await db.execute(
            text(
                "CREATE OR REPLACE FUNCTION break_log() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$"
            )
        )
        await db.execute(
            text(
                "CREATE TRIGGER break_log BEFORE INSERT ON access_log FOR EACH ROW EXECUTE FUNCTION break_log()"
            )
        )
    await db.commit()
    try:
        staff = await sign_in(client, "paiva")
        response = await client.get(f"/api/clients/{client_id}", headers=bearer(staff["access_token"]))
        assert response.status_code == 500
        assert client_id not in response.text and "first_name" not in response.text
    finally:
        await db.execute(text("DROP TRIGGER break_log" + ("" if backend == "sqlite" else " ON access_log")))
        await db.commit()


async def test_admin_verify_endpoint(client):
    admin = await sign_in(client, "admin")
    report = (await client.get("/api/admin/access-log/verify", headers=bearer(admin["access_token"]))).json()
    assert report["ok"] is True


async def _drop_protection(db, backend: str) -> None:
    if backend == "sqlite":
        await db.execute(text("DROP TRIGGER access_log_no_update"))
        await db.execute(text("DROP TRIGGER access_log_no_delete"))
    else:
        await db.execute(text("DROP TRIGGER access_log_append_only ON access_log"))
