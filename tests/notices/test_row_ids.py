"""Every row a notice writes gets a time-ordered id (`app/ids.py: new_id`, version 7), by either path.

The ids' order is what keeps index inserts at each index's end; a row id made another way (say
`uuid.uuid4()` again, or an ORM default that was not `new_id`) would scatter that table's entries."""

from __future__ import annotations

from sqlalchemy import select

from app.cases.models import Case
from app.deadlines.models import Deadline, DeadlineAlert
from app.households.models import JointAssessmentPart
from app.notices.models import Notice, Tenant
from app.security.models import Landlord, User
from notifications.models import OutboxMessage
from tests.notices.conftest import notice_body

TABLES = (Notice, Tenant, Case, Deadline, DeadlineAlert, JointAssessmentPart, OutboxMessage, Landlord, User)


def test_the_rows_of_a_notice_sent_alone_and_of_a_batch_have_version_7_ids(client, landlord, make_user, db):
    make_user("handler-one", "handler", district="enskede-arsta-vantor", email="h@stad.example")  # a digest
    alone = notice_body(external_id="IDS-ALONE")  # children: a joint assessment and its messages
    assert client.post("/api/v1/notices", json=alone, headers=landlord.headers).status_code == 201
    batch = [notice_body(external_id=f"IDS-BATCH-{i}", tenants=[{"name": f"Person {i}"}]) for i in range(3)]
    answer = client.post("/api/v1/notices/batch", json={"notices": batch}, headers=landlord.headers)
    assert [r["status"] for r in answer.json()["results"]] == [201, 201, 201]

    with db() as session:
        ids = {model.__tablename__: session.scalars(select(model.id)).all() for model in TABLES}
    assert all(ids.values()), {table: len(found) for table, found in ids.items()}  # each table written
    assert {table: sorted({found.version for found in found_ids}) for table, found_ids in ids.items()} == {
        model.__tablename__: [7] for model in TABLES}
