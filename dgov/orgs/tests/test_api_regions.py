"""GET /api/v1/regions/{code}, GET /api/v1/regions?within=&level=, the management areas, and the
region tree as loaded from the NBS 2023 data file."""

import csv

import pytest

from dgov.accounts.testing import api_client
from dgov.core.testing import ApiContract, Case, assert_error
from dgov.orgs.models import LEVEL_DEPTH, Region
from dgov.orgs.services import REGIONS_FILE

pytestmark = pytest.mark.django_db

ROWS = list(csv.DictReader(REGIONS_FILE.open(encoding="utf-8")))
A_VILLAGE = next(r for r in ROWS if r["level"] == "village")


def _get(user, url):
    return api_client(user).get(url)


# --- the contract: reference data, readable by every signed-in user ---------------------------

class TestGetRegion(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/regions/360603", authorised=world.citizen,
                    bad_url="/api/v1/regions/36060")

    # Regions are reference data: any signed-in user may read any region, so there is neither a
    # permission to lack nor a scope to be outside of. test_citizen_and_officials_read_regions
    # checks the readers instead.
    test_unauthorised = None
    test_out_of_scope = None


class TestListRegions(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="get", url="/api/v1/regions?within=360600&level=county", authorised=world.citizen,
                    bad_url="/api/v1/regions?within=360600&level=district")

    # Reference data, as above.
    test_unauthorised = None
    test_out_of_scope = None


def test_citizen_and_officials_read_regions(world):
    for user in (world.citizen, world.official, world.guixi_admin, world.auditor):
        response = _get(user, "/api/v1/regions/360603")
        assert response.status_code == 200, user
        assert response.json()["name"] == "余江区"


# --- one region ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("code", "name", "level", "parent"), [
    ("360000", "江西省", "province", None),
    ("360600", "鹰潭市", "city", "360000000000"),
    ("360603", "余江区", "county", "360600000000"),
    ("360603000000", "余江区", "county", "360600000000"),
    ("360603101", "锦江镇", "township", "360603000000"),
    ("360603101000", "锦江镇", "township", "360603000000"),
    (A_VILLAGE["code"], A_VILLAGE["name"], "village", A_VILLAGE["parent_code"]),
])
def test_get_region_by_6_9_or_12_digit_code(world, code, name, level, parent):
    body = _get(world.citizen, f"/api/v1/regions/{code}").json()
    assert body == {"code": code.ljust(12, "0"), "name": name, "level": level, "parent_code": parent}


@pytest.mark.parametrize("code", ["3606", "36060", "3606000", "36060000000", "3606030000000", "abcdef",
                                  "36060a"])
def test_malformed_region_codes_are_422(world, code):
    body = assert_error(_get(world.citizen, f"/api/v1/regions/{code}"), 422, "invalid")
    assert "code" in body["details"]


@pytest.mark.parametrize("code", ["999999", "360699", "360603999", "360603101999"])
def test_unknown_region_codes_are_404(world, code):
    assert_error(_get(world.citizen, f"/api/v1/regions/{code}"), 404, "not_found")


# --- lists ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "count"), [("county", 3), ("township", 59), ("village", 528), ("city", 1),
                                              ("province", 0)])
def test_counts_under_yingtan_2023_edition(world, level, count):
    body = _get(world.citizen, f"/api/v1/regions?within=360600&level={level}").json()
    assert body["count"] == count
    assert all(item["level"] == level for item in body["items"])


def test_within_includes_the_region_itself_and_everything_below(world):
    body = _get(world.citizen, "/api/v1/regions?within=360600&limit=1").json()
    assert body["count"] == 1 + 3 + 59 + 528
    assert body["items"][0]["code"] == "360600000000"


def test_within_a_county_stays_in_that_county(world):
    body = _get(world.citizen, "/api/v1/regions?within=360603&level=township&limit=500").json()
    assert body["count"] == sum(1 for r in ROWS if r["level"] == "township" and r["parent_code"] == "360603000000")
    assert all(item["code"].startswith("360603") for item in body["items"])


def test_within_a_township_by_its_9_digit_code(world):
    body = _get(world.citizen, "/api/v1/regions?within=360603101&level=village&limit=500").json()
    expected = sorted(r["code"] for r in ROWS if r["parent_code"] == "360603101000")
    assert [item["code"] for item in body["items"]] == expected


def test_list_without_filters_returns_every_region(world):
    assert _get(world.citizen, "/api/v1/regions").json()["count"] == len(ROWS) == 602


def test_level_without_within(world):
    assert _get(world.citizen, "/api/v1/regions?level=city").json()["count"] == 11


def test_pagination_with_limit_offset_and_count(world):
    client = api_client(world.citizen)
    url = "/api/v1/regions?within=360600&level=township"
    first = client.get(f"{url}&limit=20&offset=0").json()
    second = client.get(f"{url}&limit=20&offset=20").json()
    last = client.get(f"{url}&limit=20&offset=40").json()
    beyond = client.get(f"{url}&limit=20&offset=100").json()
    assert first["count"] == second["count"] == last["count"] == beyond["count"] == 59
    assert (len(first["items"]), len(second["items"]), len(last["items"]), beyond["items"]) == (20, 20, 19, [])
    codes = [i["code"] for page in (first, second, last) for i in page["items"]]
    assert codes == sorted(codes) and len(set(codes)) == 59


def test_default_page_size_and_maximum_limit(world):
    client = api_client(world.citizen)
    assert len(client.get("/api/v1/regions?within=360600&level=village").json()["items"]) == 50
    assert len(client.get("/api/v1/regions?within=360600&level=village&limit=500").json()["items"]) == 500
    assert_error(client.get("/api/v1/regions?within=360600&level=village&limit=501"), 422, "invalid")


@pytest.mark.parametrize("query", ["limit=abc", "limit=0", "offset=-1", "level=district", "within=3606",
                                   "within=" + "1" * 13])
def test_bad_list_queries_are_422(world, query):
    assert_error(_get(world.citizen, f"/api/v1/regions?{query}"), 422, "invalid")


def test_unknown_within_is_404(world):
    assert_error(_get(world.citizen, "/api/v1/regions?within=999999"), 404, "not_found")


def test_region_list_queries_do_not_grow_with_the_page(world, django_assert_max_num_queries):
    client = api_client(world.citizen)
    client.get("/api/v1/regions?limit=1")  # warm up: token lookup, grants
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/regions?limit=500").json()["items"]) == 500


# --- management areas ------------------------------------------------------------------------

def test_management_areas_list(world):
    body = _get(world.citizen, "/api/v1/management-areas").json()
    assert body["count"] == 3
    by_code = {a["code"]: a for a in body["items"]}
    assert {a["name"] for a in body["items"]} == {"龙虎山风景名胜区", "鹰潭高新技术产业开发区", "信江新区"}
    assert by_code["LHS"]["region_code"] == "360600000000"
    assert set(by_code["LHS"]["township_codes"]) == {"360681190000", "360681191000", "360681592000"}
    townships = Region.objects.filter(code__in=by_code["LHS"]["township_codes"])
    assert {r.level for r in townships} == {"township"}


def test_management_areas_need_a_signed_in_user():
    assert_error(api_client(None).get("/api/v1/management-areas"), 401, "not_authenticated")


def test_management_areas_bad_pagination(world):
    assert_error(_get(world.citizen, "/api/v1/management-areas?limit=x"), 422, "invalid")


# --- the tree as loaded ------------------------------------------------------------------------

def test_every_region_path_is_its_parents_path_plus_its_code():
    regions = {r.code: r for r in Region.objects.select_related("parent")}
    assert len(regions) == 602
    for region in regions.values():
        expected = (region.parent.path if region.parent else "") + region.code + "/"
        assert region.path == expected, region.code
        assert region.path.count("/") - 1 == LEVEL_DEPTH[region.level], region.code


def test_region_codes_nest_like_their_tree():
    prefix = {"province": 2, "city": 4, "county": 6, "township": 9}
    for region in Region.objects.select_related("parent").exclude(parent=None):
        assert region.code.startswith(region.parent.code[: prefix[region.parent.level]]), region.code


def test_ancestors_in_one_query(django_assert_num_queries):
    village = Region.objects.get(code=A_VILLAGE["code"])
    with django_assert_num_queries(1):
        names = [r.level for r in village.ancestors()]
    assert names == ["province", "city", "county", "township"]


def test_subtree_is_one_indexed_prefix_query(django_assert_num_queries):
    yujiang = Region.objects.get(code="360603000000")
    with django_assert_num_queries(1):
        count = Region.objects.filter(path__startswith=yujiang.path).count()
    assert count == 1 + sum(1 for r in ROWS if r["code"].startswith("360603") and r["code"] != "360603000000")
