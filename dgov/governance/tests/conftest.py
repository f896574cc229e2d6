"""The governance tests' world: a published entry of 余江区民政局 (城乡低保对象信息) with a dataset, a load job from
a source database table, a harvested data-store table and source table with a quality run each, an active
grant of an application of 余江区人社局 with gateway calls, and the officials around it."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from dgov.accounts.testing import make_user
from dgov.aggregation.models import Dataset, SourceDatabase, SourceMapping
from dgov.aggregation.testing import datastore, datastore_session, make_dataset  # noqa: F401
from dgov.catalog.testing import GUIXI_CIVIL_AFFAIRS, YUJIANG_CIVIL_AFFAIRS, make_editor, make_reviewer
from dgov.exchange.models import ExchangeLogEntry
from dgov.metadata.models import DATASTORE, MetaColumn, MetaTable
from dgov.orgs.models import Department
from dgov.quality.models import QualityRule, QualityRun
from dgov.sharing.models import Status
from dgov.sharing.testing import YUJIANG_HRSS, make_app, make_request, population_entry

COLUMNS = [{"name": "xm", "item_name": "姓名"}, {"name": "sfzh", "item_name": "公民身份号码", "is_key": True},
           {"name": "jzlb", "item_name": "救助类别"}, {"name": "je", "item_name": "保障金额"}]


def log_calls(app, code: str, n: int, *, status: int = 200, at: dt.datetime | None = None) -> None:
    at = at or timezone.now() - dt.timedelta(hours=1)
    ExchangeLogEntry.objects.bulk_create(
        ExchangeLogEntry(occurred_at=at, request_id=f"r-{app.code}-{code}-{i}-{status}", application=app,
                         app_code=app.code, service_code=code, method="GET", path=f"/exchange/v1/services/{code}",
                         status=status, body_sm3="0" * 64) for i in range(n))


def harvested(dataset_or_none, *, department, name, location=DATASTORE, source=None, schema="", columns=()):
    table = MetaTable.objects.create(location=location, source=source, dataset=dataset_or_none, department=department,
                                     schema=schema, name=name, harvested_at=timezone.now())
    for pos, col in enumerate(columns, start=1):
        MetaColumn.objects.create(table=table, name=col, position=pos, data_type="text", type_family="string",
                                  nullable=col != "sfzh")
    return table


def quality_run(table, score, *, minutes_ago=10, status=QualityRun.Status.SUCCEEDED):
    started = timezone.now() - dt.timedelta(minutes=minutes_ago)
    return QualityRun.objects.create(table=table, department=table.department, status=status, started_at=started,
                                     finished_at=started + dt.timedelta(seconds=1), score=score)


@pytest.fixture
def provider(db):
    return make_editor(YUJIANG_CIVIL_AFFAIRS, "gov_ca")


@pytest.fixture
def consumer(db):
    return make_editor(YUJIANG_HRSS, "gov_hrss")


@pytest.fixture
def outsider(db):
    return make_editor(GUIXI_CIVIL_AFFAIRS, "gov_gx")


@pytest.fixture
def governor(db):
    return make_user("gov_centre", department_code="360600036",
                     roles=[("data_governor", "all", None), ("staff", "all", None)])


@pytest.fixture
def reviewer(db):
    return make_reviewer("gov_reviewer")


@pytest.fixture
def plain(db):
    """An official without any governance permission."""
    return make_user("gov_plain", department_code=YUJIANG_CIVIL_AFFAIRS, roles=[("staff", "all", None)])


@pytest.fixture
def scene(db, datastore):  # noqa: F811
    entry = population_entry()
    dataset: Dataset = make_dataset(entry=entry, columns=COLUMNS)
    ca = Department.objects.get(code=YUJIANG_CIVIL_AFFAIRS)
    source = SourceDatabase.objects.create(department=ca, name="民政业务库", kind="postgresql",
                                           url="postgresql://reader:secret@db.example/ca")
    mapping = SourceMapping.objects.create(name="低保对象全量", dataset=dataset, source=source,
                                           source_table="public.dibao",
                                           column_map={"xm": "name", "sfzh": "id_no", "jzlb": "aid_kind", "je": ""})
    ds_table = harvested(dataset, department=ca, name=dataset.table_name, columns=["xm", "sfzh", "jzlb", "je"])
    src_table = harvested(None, department=ca, name="dibao", schema="public", location=f"source-{source.pk}",
                          source=source, columns=["name", "id_no", "aid_kind"])
    quality_run(ds_table, 60, minutes_ago=60)
    quality_run(ds_table, 80)  # the latest finished run counts
    quality_run(ds_table, 10, minutes_ago=1, status=QualityRun.Status.FAILED)
    rule = QualityRule.objects.create(table=ds_table, name="身份证号校验", kind="id_number", columns=["sfzh"])
    app = make_app(YUJIANG_HRSS, code="gov-hrss-app")
    request = make_request(application=app, entry=entry, items=("姓名", "救助类别"), status=Status.GRANTED)
    grant = request.grants.get()
    log_calls(app, entry.code, 3)
    log_calls(app, entry.code, 2, status=429)
    return SimpleNamespace(entry=entry, dataset=dataset, source=source, mapping=mapping, ds_table=ds_table,
                           src_table=src_table, app=app, grant=grant, rule=rule)
