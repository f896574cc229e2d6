"""The API contract of /api/v1/governance/metadata and what the endpoints answer."""

import pytest
import sqlalchemy as sa

from dgov.accounts.testing import api_client, make_user
from dgov.core.testing import ApiContract, Case, assert_error, call
from dgov.metadata import services
from dgov.metadata.models import Harvest, MetaTable

BASE = "/api/v1/governance/metadata"
pytestmark = pytest.mark.django_db


@pytest.fixture
def harvested(sqlite_source, editor, outsider, settings):
    """A harvested SQLite source of 余江区民政局 and one of 贵溪市民政局 (out of the editor's scope)."""
    from dgov.aggregation.tests.helpers import make_source
    from dgov.catalog.testing import make_superuser
    from dgov.metadata.tests.conftest import create_tables
    from dgov.orgs.models import Department

    source, engine = sqlite_source
    own = services.run_harvest(actor=editor, source=source)
    other_url = f"sqlite:///{settings.DGOV_SOURCE_SQLITE_DIR / 'other.sqlite3'}"
    create_tables(other_url).dispose()
    other = make_source(make_superuser(), other_url, "sqlite", name="贵溪源库")
    other.department = Department.objects.get(code="360681909")
    other.save()
    theirs = services.run_harvest(actor=outsider, source=other)
    return {"source": source, "other": other, "own": own, "theirs": theirs, "engine": engine,
            "table": MetaTable.objects.get(source=source, name="people"),
            "their_table": MetaTable.objects.get(source=other, name="people")}


@pytest.fixture
def nobody(db):
    return make_user("plain", department_code="360603909", roles=[("staff", "all", None)])


@pytest.fixture
def element(db, governor):
    from dgov.standards.models import DataElement, ElementStatus

    common = {"name": "姓名", "definition": "人的姓名", "data_type": "string", "max_length": 50, "personal": True}
    DataElement.objects.create(identifier="MDT0001", version=1, status=ElementStatus.RELEASED, **common)
    DataElement.objects.create(identifier="MDT0001", version=2, status=ElementStatus.RELEASED, **common)
    DataElement.objects.create(identifier="MDT0002", version=1, status=ElementStatus.DRAFT, **common)


class TestListTables(ApiContract):
    @pytest.fixture
    def case(self, harvested, editor, nobody):
        return Case(method="get", url=f"{BASE}/tables", authorised=editor, unauthorised=nobody,
                    bad_url=f"{BASE}/tables?limit=0")

    test_out_of_scope = None  # a list: out-of-scope tables are left out (tested below)

    def test_lists_tables_in_scope_with_columns(self, harvested, editor):
        body = api_client(editor).get(f"{BASE}/tables?q=peo").json()
        assert body["count"] == 1
        [table] = body["items"]
        assert table["id"] == harvested["table"].pk and table["department"] == "360603909"
        assert [c["name"] for c in table["columns"]][:3] == ["id", "full_name", "phone"]
        assert table["columns"][0]["is_primary_key"] and table["columns"][1]["max_length"] == 50
        assert set(table["columns"][0]) >= {"name", "position", "data_type", "type_family", "max_length",
                                            "nullable", "comment", "is_primary_key", "personal", "element"}
        assert api_client(editor).get(f"{BASE}/tables?source={harvested['other'].pk}").json()["count"] == 0

    def test_dropped_only_when_asked(self, harvested, editor):
        with harvested["engine"].begin() as conn:
            conn.execute(sa.text("DROP TABLE visits"))
        services.run_harvest(actor=editor, source=harvested["source"])
        assert api_client(editor).get(f"{BASE}/tables").json()["count"] == 1
        body = api_client(editor).get(f"{BASE}/tables?include_dropped=true").json()
        assert body["count"] == 2 and any(t["dropped_at"] for t in body["items"])


class TestGetTable(ApiContract):
    @pytest.fixture
    def case(self, harvested, editor, nobody):
        return Case(method="get", url=f"{BASE}/tables/{harvested['table'].pk}", authorised=editor,
                    unauthorised=nobody, out_of_scope_url=f"{BASE}/tables/{harvested['their_table'].pk}",
                    bad_url=f"{BASE}/tables/x")


class TestMapColumn(ApiContract):
    @pytest.fixture
    def case(self, harvested, editor, nobody, element):
        return Case(method="patch", url=f"{BASE}/tables/{harvested['table'].pk}/columns/full_name",
                    authorised=editor, unauthorised=nobody, payload={"element": "MDT0001"},
                    out_of_scope_url=f"{BASE}/tables/{harvested['their_table'].pk}/columns/full_name",
                    bad_payload={"element": "MDT0002"})

    def test_maps_latest_released_version_and_unmaps(self, harvested, editor, element):
        url = f"{BASE}/tables/{harvested['table'].pk}/columns/full_name"
        body = call(api_client(editor), "patch", url, {"element": "MDT0001"}).json()
        assert body["element"] == "MDT0001" and body["personal"] is True
        column = harvested["table"].columns.get(name="full_name")
        assert column.element.version == 2
        details = assert_error(call(api_client(editor), "patch", url, {"element": "MDT9999"}), 422)["details"]
        assert "element" in details
        assert call(api_client(editor), "patch", url, {"element": None}).json()["element"] is None
        assert_error(call(api_client(editor), "patch", url.replace("full_name", "nope"), {"element": None}), 404)

    def test_reviewer_may_not_map(self, harvested, centre, element):
        url = f"{BASE}/tables/{harvested['table'].pk}/columns/full_name"
        assert_error(call(api_client(centre), "patch", url, {"element": "MDT0001"}), 403)


class TestListHarvests(ApiContract):
    @pytest.fixture
    def case(self, harvested, editor, nobody):
        return Case(method="get", url=f"{BASE}/harvests", authorised=editor, unauthorised=nobody,
                    bad_url=f"{BASE}/harvests?offset=-1")

    test_out_of_scope = None  # a list

    def test_only_in_scope(self, harvested, editor):
        body = api_client(editor).get(f"{BASE}/harvests").json()
        assert [h["id"] for h in body["items"]] == [harvested["own"].pk]


class TestGetHarvest(ApiContract):
    @pytest.fixture
    def case(self, harvested, editor, nobody):
        return Case(method="get", url=f"{BASE}/harvests/{harvested['own'].pk}", authorised=editor,
                    unauthorised=nobody, out_of_scope_url=f"{BASE}/harvests/{harvested['theirs'].pk}",
                    bad_url=f"{BASE}/harvests/x")

    def test_shows_the_diff(self, harvested, editor):
        with harvested["engine"].begin() as conn:
            conn.execute(sa.text("ALTER TABLE people ADD COLUMN email VARCHAR(80)"))
            conn.execute(sa.text("ALTER TABLE people DROP COLUMN phone"))
        second = services.run_harvest(actor=editor, source=harvested["source"])
        body = api_client(editor).get(f"{BASE}/harvests/{second.pk}").json()
        assert {(c["kind"], c["column"]) for c in body["change_set"]} == {("column_added", "email"),
                                                                          ("column_dropped", "phone")}


class TestRunHarvest(ApiContract):
    @pytest.fixture
    def case(self, harvested, editor, nobody):
        return Case(method="post", url=f"{BASE}/harvests", authorised=editor, unauthorised=nobody,
                    payload={"source": harvested["source"].pk}, ok_status=201, bad_payload={"source": "x"})

    def test_out_of_scope(self, case, harvested):
        # another department's source: refused as out of scope (403, as the aggregation app's writes)
        assert_error(call(api_client(case.authorised), "post", case.url, {"source": harvested["other"].pk}), 403,
                     "out_of_scope")

    def test_datastore_only_for_the_centre(self, harvested, editor, governor, datastore):
        assert_error(call(api_client(editor), "post", f"{BASE}/harvests", {"source": None}), 403)
        body = call(api_client(governor), "post", f"{BASE}/harvests", {"source": None}).json()
        assert body["status"] == "succeeded" and body["location"] == "datastore"

    def test_unknown_source_and_failure(self, harvested, editor, settings):
        details = assert_error(call(api_client(editor), "post", f"{BASE}/harvests", {"source": 999999}), 422)
        assert "source" in details["details"]
        (settings.DGOV_SOURCE_SQLITE_DIR / "src.sqlite3").unlink()
        body = call(api_client(editor), "post", f"{BASE}/harvests", {"source": harvested["source"].pk}).json()
        assert body["status"] == Harvest.Status.FAILED and body["error"]
