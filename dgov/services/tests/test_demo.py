"""The demo service items: real-world items across departments and all three districts (社保 and 婚姻 among
them), every implementation valid and published, online forms valid for formdef, the main end-to-end item with
a material the demo citizen's e-licence replaces; loading twice changes nothing; the themes load as reference."""

import re

import pytest

from dgov.services import demo, formdef, selectors
from dgov.services.models import Implementation, ImplementationVersion, PublishStatus, ServiceItem, Theme

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(settings, tmp_path):
    from dgov.accounts.demo import load_demo as load_accounts
    from dgov.licenses.demo import load_demo as load_licences

    settings.DATA_DIR = tmp_path
    load_accounts()
    load_licences()


def test_the_data_file_has_real_world_items_across_districts():
    data = demo.demo_data()
    assert "江西政务服务网" in data["source"] and len(data["implementations"]) >= 55
    base_codes = {i["base_code"] for i in data["items"]}
    assert len(base_codes) == len(data["items"]) >= 50  # at least 50 distinct base items
    assert {spec["item"] for spec in data["implementations"]} == base_codes  # each carried out somewhere
    names = {i["name"] for i in data["items"]}
    for wanted in ("城乡居民基本养老保险参保登记", "社会保障卡申领", "失业保险金申领", "职工参保登记",
                   "内地居民结婚登记", "内地居民离婚登记", "补领婚姻登记证", "出生登记", "《出生医学证明》首次签发",
                   "企业设立登记", "食品经营许可", "住房公积金提取", "国有建设用地使用权及房屋所有权转移登记",
                   "残疾人证核发", "老年人优待证办理", "建筑工程施工许可证核发"):
        assert wanted in names, wanted
    article = re.compile(r"》[^《]*第[一二三四五六七八九十百千零〇0-9]+[条章]")  # a law's name with its article
    assert all(i["legal_basis"] and article.search(i["legal_basis"]) for i in data["items"])
    assert all(fee.get("basis") for spec in data["implementations"] for fee in spec["fees"])
    # every district carries out items of several departments, 社保 and 婚姻 among them
    for district in ("360602", "360603", "360681"):
        here = [spec for spec in data["implementations"] if spec["department"].startswith(district)]
        assert len({spec["item"] for spec in here}) >= 15 and len({spec["department"] for spec in here}) >= 6
        assert {"person-social-security", "person-marriage"} <= {t for spec in here for t in spec["themes"]}
    for wanted in ("户口迁移登记（迁入）", "普通护照签发", "收养登记", "特困人员认定", "临时救助", "医师执业注册",
                   "职工基本养老保险待遇申领（退休）", "建设工程规划许可证核发", "排污许可证核发"):
        assert wanted in names, wanted
    for spec in data["implementations"]:
        if spec.get("form"):
            assert formdef.validate_definition(spec["form"]) == [], spec["item"]


def test_themes_are_reference_data():
    Theme.objects.filter(code="person-other").delete()
    Theme.objects.filter(code="person-marriage").update(name="婚姻")
    assert demo.load_themes() == (1, 0)  # the test database holds the reference data already
    assert demo.load_themes(update=True) == (0, 1)
    assert Theme.objects.count() >= 40 and demo.load_themes(update=True) == (0, 0)
    assert Theme.objects.filter(audience="person", name="婚姻登记").exists()
    assert Theme.objects.filter(audience="enterprise", name="准营准办").exists()


def test_the_demo_loads_once(demo_world):
    first = demo.load_demo()
    assert first["implementations"] >= 55 and first["published"] == first["implementations"]
    assert first["online"] >= 10
    assert ServiceItem.objects.filter(is_demo=True).count() == first["items"] >= 50
    published = selectors.published_implementations()
    assert published.count() == first["implementations"]
    regions = set(published.values_list("region__code", flat=True))
    assert {"360602000000", "360603000000", "360681000000"} <= regions
    assert published.values("item").distinct().count() == first["items"]  # no implementation left out
    for region in ("360602000000", "360603000000", "360681000000"):
        assert published.filter(region__code=region).values("item").distinct().count() >= 15
    assert published.values("department").distinct().count() >= 15
    assert all(impl.is_demo for impl in Implementation.objects.all())
    assert ImplementationVersion.objects.count() == 2 * first["implementations"]  # created, published
    # 社保 and 婚姻 answer two-character queries
    assert selectors.search("社保").filter(item__name="城乡居民基本养老保险参保登记").count() == 3
    assert selectors.search("结婚").first().item.name == "内地居民结婚登记"
    firsts = {q: selectors.search(q).first().item.name for q in ("养老", "出生", "营业", "公积金", "医保", "户口")}
    assert "养老" in firsts["养老"] and "出生" in firsts["出生"] and firsts["公积金"] == "住房公积金提取"
    assert selectors.search("营业").filter(item__name="企业设立登记").exists()
    assert selectors.search("医保").count() >= 3 and selectors.search("户口").count() >= 3
    # the end-to-end item: online, at 月湖区人社局, a material the demo citizen's 居住证 e-licence replaces
    main = Implementation.objects.get(item__name="城乡居民基本养老保险参保登记", department__code="360602905")
    assert main.online_apply and main.form
    material = main.materials.get(license_type__isnull=False)
    assert material.license_type.name == "居住证"
    from dgov.accounts.models import User
    from dgov.licenses.selectors import wallet

    held = [lic.license_type for lic in wallet(User.objects.get(username="citizen"))]
    if held:  # the licence demo needs a CJK font to issue licences
        assert material.license_type in held
    again = demo.load_demo()
    assert (again["items"], again["implementations"]) == (0, 0)
    assert Implementation.objects.count() == first["implementations"]
    assert all(i.status == PublishStatus.PUBLISHED for i in Implementation.objects.all())
