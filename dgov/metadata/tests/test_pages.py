"""The pages (Django test client) and the daily command."""

import pytest
import sqlalchemy as sa
from django.core.management import call_command
from django.urls import reverse

from dgov.core.testing import audited, signed_in, zh
from dgov.metadata import services
from dgov.metadata.models import Harvest, MetaTable

pytestmark = pytest.mark.django_db


def test_table_list_and_detail(sqlite_source, editor, outsider):
    source, engine = sqlite_source
    services.run_harvest(actor=editor, source=source)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE visits"))
    services.run_harvest(actor=editor, source=source)
    client = signed_in(editor)
    page = client.get(reverse("metadata:metatable_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-table="source-{source.pk}/main.people"' in html and "visits" not in html
    html = client.get(reverse("metadata:metatable_list") + "?dropped=on").content.decode()
    assert 'data-dropped="yes"' in html and zh("dropped") in html
    people = MetaTable.objects.get(source=source, name="people")
    detail = client.get(reverse("metadata:metatable_detail", args=[people.pk]))
    assert detail.status_code == 200
    assert 'data-column="full_name"' in detail.content.decode()
    # another department's official: not found
    assert signed_in(outsider).get(reverse("metadata:metatable_detail", args=[people.pk])).status_code == 404


def test_map_column_on_the_page(sqlite_source, editor, governor):
    from dgov.standards.models import DataElement, ElementStatus

    DataElement.objects.create(identifier="MDTPAGE1", version=1, status=ElementStatus.RELEASED, name="姓名",
                               definition="人的姓名", data_type="string", max_length=50)
    source, _engine = sqlite_source
    services.run_harvest(actor=editor, source=source)
    people = MetaTable.objects.get(source=source, name="people")
    url = reverse("metadata:metatable_detail", args=[people.pk])
    response = signed_in(editor).post(url, {"column": "full_name", "element": "MDTPAGE1"})
    assert response.status_code == 302
    assert people.columns.get(name="full_name").element.identifier == "MDTPAGE1"
    assert audited("metadata.metacolumn.change")
    assert signed_in(editor).post(url, {"column": "full_name", "element": "NOPE"}).status_code == 422


def test_harvest_now_and_the_diff_page(sqlite_source, editor):
    source, engine = sqlite_source
    client = signed_in(editor)
    page = client.get(reverse("metadata:harvest_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'value="{source.pk}"' in html and 'value="datastore"' not in html  # the data store: centre only
    response = client.post(reverse("metadata:harvest_list"), {"source": str(source.pk)})
    assert response.status_code == 302
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE people ADD COLUMN email VARCHAR(80)"))
        conn.execute(sa.text("ALTER TABLE people DROP COLUMN phone"))
    client.post(reverse("metadata:harvest_list"), {"source": str(source.pk)})
    second = Harvest.objects.filter(source=source).order_by("-pk").first()
    html = client.get(reverse("metadata:harvest_detail", args=[second.pk])).content.decode()
    assert 'data-kind="column_added" data-column="email" class="table-success"' in html
    assert 'data-kind="column_dropped" data-column="phone" class="table-danger"' in html
    assert client.post(reverse("metadata:harvest_list"), {"source": "datastore"}).status_code == 422


def test_pages_refuse_without_permission(db):
    from dgov.accounts.testing import make_user

    plain = signed_in(make_user("plain2", department_code="360603909", roles=[("staff", "all", None)]))
    assert plain.get(reverse("metadata:metatable_list")).status_code == 403
    assert plain.get(reverse("metadata:harvest_list")).status_code == 403


def test_daily_command_harvests_datastore_and_sources(sqlite_source, capsys):
    source, _engine = sqlite_source
    call_command("metadata_harvest")
    out = capsys.readouterr().out
    assert "metadata: 2 harvests, 0 failed" in out
    assert Harvest.objects.filter(source=None, trigger=Harvest.Trigger.SCHEDULED,
                                  status=Harvest.Status.SUCCEEDED).exists()
    assert Harvest.objects.filter(source=source, trigger=Harvest.Trigger.SCHEDULED).exists()


def test_demo_harvests_once(db, settings):
    from dgov.aggregation.demo import DEMO_SOURCE_NAME
    from dgov.aggregation.demo import load_demo as aggregation_demo
    from dgov.metadata.demo import load_demo

    aggregation_demo()
    first = load_demo()
    assert first == {"harvested": 2, "failed": []}
    assert MetaTable.objects.filter(source__name=DEMO_SOURCE_NAME, name="dibao_person").exists()
    assert load_demo() == {"harvested": 0, "failed": []}
