"""The key and key-policy pages with the Django test client: login, 403 without the permission,
404 out of scope, the forms (errors shown, nothing written), every write through the services and
audited, and no key material in any page."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import translation

from dgov.accounts.models import Role
from dgov.accounts.testing import make_user
from dgov.core.models import AuditEntry
from dgov.core.testing import audited, signed_in, zh_html
from dgov.crypto.primitives import SM2PrivateKey
from dgov.kms.models import Key, KeyPolicy, KeyVersion
from dgov.kms.tests.support import GUIXI_DEPT, YUJIANG_DEPT, allow, make_app, make_key
from dgov.orgs.models import Department

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def dept(code: str) -> int:
    return Department.objects.get(code=code).pk


@pytest.fixture
def keys(world):
    """An SM2 key in 余江区 and an SM4 key in 贵溪市, with an application of each county."""
    yj = make_key(world.admin, "yj-sign", "sm2", YUJIANG_DEPT)
    gx = make_key(world.admin, "gx-data", "sm4-gcm", GUIXI_DEPT)
    return yj, gx


def key_form(**overrides) -> dict:
    data = {"name": "new-key", "type": "sm2", "department": dept(YUJIANG_DEPT), "application": "",
            "description": "", "private_key_pem": ""}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- access ---------------------------------------------------------------------------------------

def test_anonymous_users_are_sent_to_login(keys):
    yj, _gx = keys
    for url in ("/system/keys/", f"/system/keys/{yj.pk}/", "/system/keys/add/", "/system/key-policies/",
                "/system/key-policies/add/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url


def test_without_the_permission_every_page_is_403_and_nothing_changes(world, keys):
    yj, _gx = keys
    app = make_app(world.admin, "yj-app")
    policy = allow(world.admin, app, yj, "sign")
    for user in (world.official, world.citizen, world.auditor):
        client = signed_in(user)
        for url in ("/system/keys/", f"/system/keys/{yj.pk}/", "/system/keys/add/", f"/system/keys/{yj.pk}/edit/",
                    "/system/key-policies/", f"/system/key-policies/{policy.pk}/", "/system/key-policies/add/",
                    f"/system/key-policies/{policy.pk}/edit/", f"/system/key-policies/{policy.pk}/delete/"):
            assert client.get(url).status_code == 403, (user.username, url)
        assert client.post(f"/system/keys/{yj.pk}/", {"action": "rotate"}).status_code == 403
        assert client.post("/system/keys/add/", key_form()).status_code == 403
        assert client.post(f"/system/key-policies/{policy.pk}/delete/").status_code == 403
    assert Key.objects.get(pk=yj.pk).latest_version == 1
    assert not Key.objects.filter(name="new-key").exists()
    assert KeyPolicy.objects.filter(pk=policy.pk).exists()
    # Refused writes are audited.
    assert audited("web:POST /system/keys/add/", outcome="denied", actor_id=world.official.pk)


def test_the_county_admin_sees_only_its_county(world, keys):
    yj, gx = keys
    client = signed_in(world.yujiang_admin)
    page = client.get("/system/keys/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "yj-sign" in text and "gx-data" not in text
    assert client.get(f"/system/keys/{yj.pk}/").status_code == 200
    assert client.get(f"/system/keys/{gx.pk}/").status_code == 404
    assert client.get(f"/system/keys/{gx.pk}/edit/").status_code == 404
    assert client.post(f"/system/keys/{gx.pk}/", {"action": "rotate"}).status_code == 404
    assert client.post(f"/system/keys/{gx.pk}/", {"action": "disable"}).status_code == 404
    assert client.post(f"/system/keys/{gx.pk}/edit/", {"description": "x", "enabled": "on",
                                                       "min_decryption_version": 1,
                                                       "min_encryption_version": 0}).status_code == 404
    gx.refresh_from_db()
    assert (gx.latest_version, gx.enabled, gx.description) == (1, True, "")
    assert audited(f"web:POST /system/keys/{gx.pk}/", outcome="denied")
    # Export is scoped too.
    export = client.get("/system/keys/?export=csv")
    body = b"".join(export.streaming_content) if export.streaming else export.content
    assert b"yj-sign" in body and b"gx-data" not in body


def test_list_filters(world, keys):
    client = signed_in(world.admin)
    by_name = client.get("/system/keys/?name=yj").content.decode()
    assert "yj-sign" in by_name and "gx-data" not in by_name
    by_type = client.get("/system/keys/?type=sm4-gcm").content.decode()
    assert "gx-data" in by_type and "yj-sign" not in by_type
    by_dept = client.get(f"/system/keys/?department={dept(GUIXI_DEPT)}").content.decode()
    assert "gx-data" in by_dept and "yj-sign" not in by_dept
    Key.objects.filter(name="gx-data").update(enabled=False)
    disabled = client.get("/system/keys/?enabled=false").content.decode()
    assert "gx-data" in disabled and "yj-sign" not in disabled
    # htmx asks for the table alone.
    fragment = client.get("/system/keys/?name=yj", headers={"HX-Request": "true", "HX-Target": "object-table"})
    assert fragment.status_code == 200 and b"<html" not in fragment.content and b"yj-sign" in fragment.content


def test_the_department_filter_offers_only_departments_with_visible_keys(world, keys):
    page = signed_in(world.yujiang_admin).get("/system/keys/").content.decode()
    assert Department.objects.get(code=YUJIANG_DEPT).name in page
    assert Department.objects.get(code=GUIXI_DEPT).name not in page


# --- the key page -----------------------------------------------------------------------------------

def test_key_page_shows_settings_versions_and_public_keys_but_no_key_material(world, keys):
    yj, _gx = keys
    app = make_app(world.admin, "yj-app")
    allow(world.admin, app, yj, "sign", "verify")
    response = signed_in(world.admin).get(f"/system/keys/{yj.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    version = KeyVersion.objects.get(key=yj, version=1)
    assert version.public_key_pem.strip() in text
    assert '<pre class="pem' in text
    assert version.wrapped_material not in text
    assert "yj-app" in text  # the policy
    assert 'name="action" value="rotate"' in text and "data-confirm" in text
    assert f"/system/key-policies/add/?key={yj.pk}" in text


def test_rotate_through_the_page_adds_a_version_and_is_audited(world, keys):
    yj, _gx = keys
    client = signed_in(world.yujiang_admin)
    response = client.post(f"/system/keys/{yj.pk}/", {"action": "rotate"})
    assert response.status_code == 302 and response["Location"] == f"/system/keys/{yj.pk}/"
    yj.refresh_from_db()
    assert yj.latest_version == 2
    assert list(KeyVersion.objects.filter(key=yj).values_list("version", flat=True)) == [1, 2]
    entry = audited("kms.key.rotate")
    assert entry.actor_id == world.yujiang_admin.pk and entry.object_id == str(yj.pk)
    page = client.get(f"/system/keys/{yj.pk}/").content.decode()
    assert "v2" in page and KeyVersion.objects.get(key=yj, version=2).public_key_pem.strip() in page


def test_rotation_needs_the_change_permission(world, keys):
    yj, _gx = keys
    role = Role.objects.create(code="key_viewer", name="key viewer")
    role.permissions.add(Permission.objects.get(content_type__app_label="kms", codename="view_key"))
    viewer = make_user("key_viewer", department_code="360600036", roles=[("key_viewer", "all", None)])
    client = signed_in(viewer)
    page = client.get(f"/system/keys/{yj.pk}/")
    assert page.status_code == 200 and b'value="rotate"' not in page.content
    assert client.post(f"/system/keys/{yj.pk}/", {"action": "rotate"}).status_code == 403
    assert Key.objects.get(pk=yj.pk).latest_version == 1


def test_disable_and_enable(world, keys):
    yj, _gx = keys
    client = signed_in(world.admin)
    assert client.post(f"/system/keys/{yj.pk}/", {"action": "disable"}).status_code == 302
    assert Key.objects.get(pk=yj.pk).enabled is False
    assert audited("kms.key.change").changes == {"enabled": [True, False]}
    assert b'value="enable"' in client.get(f"/system/keys/{yj.pk}/").content
    assert client.post(f"/system/keys/{yj.pk}/", {"action": "enable"}).status_code == 302
    assert Key.objects.get(pk=yj.pk).enabled is True


def test_a_platform_key_cannot_be_disabled_and_the_page_says_why(world):
    key = Key.objects.filter(is_system=True).first()
    if key is None:
        key = make_key(world.admin, "sys-key")
        Key.objects.filter(pk=key.pk).update(is_system=True)
    client = signed_in(world.admin)
    response = client.post(f"/system/keys/{key.pk}/", {"action": "disable"}, follow=True)
    assert Key.objects.get(pk=key.pk).enabled is True
    assert zh_html("A platform key cannot be disabled: the platform's own data depends on it.") in \
        response.content.decode()
    assert audited(f"web:POST /system/keys/{key.pk}/", outcome="failed")


# --- create -----------------------------------------------------------------------------------------

def test_create_form_offers_only_departments_in_scope(world):
    page = signed_in(world.yujiang_admin).get("/system/keys/add/").content.decode()
    assert f'value="{dept(YUJIANG_DEPT)}"' in page
    assert f'value="{dept(GUIXI_DEPT)}"' not in page


def test_create_an_sm2_key_through_the_form(world):
    client = signed_in(world.yujiang_admin)
    response = client.post("/system/keys/add/", key_form(description="签章"))
    assert response.status_code == 302, response.content.decode()[:2000]
    key = Key.objects.get(name="new-key")
    assert response["Location"] == f"/system/keys/{key.pk}/"
    assert (key.type, key.department.code, key.description, key.latest_version) == ("sm2", YUJIANG_DEPT, "签章", 1)
    assert KeyVersion.objects.get(key=key).public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    entry = audited("kms.key.create")
    assert entry.actor_id == world.yujiang_admin.pk and entry.object_id == str(key.pk)


def test_create_with_an_owning_application(world):
    app = make_app(world.admin, "yj-app")
    client = signed_in(world.admin)
    response = client.post("/system/keys/add/", key_form(type="sm4-gcm", application=app.pk))
    assert response.status_code == 302
    assert Key.objects.get(name="new-key").application == app
    # An application of another department is the service's field error.
    response = client.post("/system/keys/add/", key_form(name="other", type="sm4-gcm", application=app.pk,
                                                         department=dept(GUIXI_DEPT)))
    assert response.status_code == 422
    assert zh_html("The application belongs to another department.") in response.content.decode()
    assert not Key.objects.filter(name="other").exists()


def test_import_an_sm2_private_key(world):
    private = SM2PrivateKey.generate()
    client = signed_in(world.admin)
    response = client.post("/system/keys/add/", key_form(private_key_pem=private.to_pem()))
    assert response.status_code == 302
    key = Key.objects.get(name="new-key")
    assert KeyVersion.objects.get(key=key).public_key_pem.strip() == private.public_key().to_pem().strip()
    assert audited("kms.key.import").object_id == str(key.pk)
    page = client.get(f"/system/keys/{key.pk}/").content.decode()
    assert "PRIVATE KEY" not in page


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": "Bad Name!"}, "name"),
    ({"name": ""}, "name"),
    ({"type": "rsa"}, "type"),
    ({"department": "999999"}, "department"),
    ({"private_key_pem": "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----"}, "private_key_pem"),
])
def test_bad_create_input_shows_form_errors_and_writes_nothing(world, overrides, field):
    before = AuditEntry.objects.filter(action__startswith="kms.").count()
    response = signed_in(world.admin).post("/system/keys/add/", key_form(**overrides))
    assert response.status_code == 422
    text = response.content.decode()
    assert 'class="error-summary' in text and f'id="id_{field}_error"' in text
    assert Key.objects.filter(is_system=False).count() == 0
    assert AuditEntry.objects.filter(action__startswith="kms.").count() == before


def test_a_private_key_is_not_echoed_back_on_a_form_with_errors(world):
    private = SM2PrivateKey.generate().to_pem()
    response = signed_in(world.admin).post("/system/keys/add/", key_form(name="Bad Name!", private_key_pem=private))
    assert response.status_code == 422
    assert "PRIVATE KEY" not in response.content.decode()


def test_only_sm2_keys_can_be_imported(world):
    response = signed_in(world.admin).post("/system/keys/add/", key_form(
        type="sm4-gcm", private_key_pem=SM2PrivateKey.generate().to_pem()))
    assert response.status_code == 422
    assert zh_html("Only SM2 keys can be imported.") in response.content.decode()
    assert not Key.objects.filter(name="new-key").exists()
    assert audited("web:POST /system/keys/add/", outcome="failed")


def test_the_county_admin_cannot_create_a_key_in_another_county(world):
    response = signed_in(world.yujiang_admin).post("/system/keys/add/", key_form(department=dept(GUIXI_DEPT)))
    assert response.status_code == 422
    assert not Key.objects.filter(name="new-key").exists()


def test_a_duplicate_name_is_a_form_error(world, keys):
    response = signed_in(world.admin).post("/system/keys/add/", key_form(name="yj-sign"))
    assert response.status_code == 422
    assert 'id="id_name_error"' in response.content.decode()
    assert Key.objects.filter(name="yj-sign").count() == 1


# --- edit -------------------------------------------------------------------------------------------

def edit_form(**overrides) -> dict:
    data = {"description": "", "enabled": "on", "min_decryption_version": 1, "min_encryption_version": 0}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_edit_through_key_update_is_audited(world, keys):
    yj, _gx = keys
    client = signed_in(world.yujiang_admin)
    client.post(f"/system/keys/{yj.pk}/", {"action": "rotate"})
    response = client.post(f"/system/keys/{yj.pk}/edit/", edit_form(description="电子签章", min_decryption_version=2,
                                                                    min_encryption_version=2, exportable="on"))
    # exportable is not on the edit form: it is decided when the key is created
    assert response.status_code == 302
    yj.refresh_from_db()
    assert (yj.description, yj.min_decryption_version, yj.min_encryption_version, yj.exportable) == \
        ("电子签章", 2, 2, False)
    entry = audited("kms.key.change")
    assert entry.actor_id == world.yujiang_admin.pk
    assert entry.changes["min_decryption_version"] == [1, 2] and "exportable" not in entry.changes
    assert 'name="exportable"' not in client.get(f"/system/keys/{yj.pk}/edit/").content.decode()


def test_the_services_field_errors_show_on_the_edit_form(world, keys):
    yj, _gx = keys
    client = signed_in(world.admin)
    response = client.post(f"/system/keys/{yj.pk}/edit/", edit_form(min_decryption_version=5))
    assert response.status_code == 422
    text = response.content.decode()
    assert 'id="id_min_decryption_version_error"' in text
    with translation.override("zh-hans"):
        expected = translation.gettext("Must be between 1 and the latest version (%(v)d).") % {"v": 1}
    assert expected in text
    assert Key.objects.get(pk=yj.pk).min_decryption_version == 1
    assert not audited("kms.key.change")
    assert audited(f"web:POST /system/keys/{yj.pk}/edit/", outcome="failed")
    bad = client.post(f"/system/keys/{yj.pk}/edit/", edit_form(min_encryption_version=-1))
    assert bad.status_code == 422


def test_keys_cannot_be_deleted(world, keys):
    yj, _gx = keys
    assert signed_in(world.admin).get(f"/system/keys/{yj.pk}/delete/").status_code == 404


# --- policies ---------------------------------------------------------------------------------------

def policy_form(key, app, *ops) -> dict:
    return {"key": key.pk, "application": app.pk, "operations": list(ops)}


def test_the_policy_form_offers_the_operations_of_the_keys_type(world, keys):
    yj, gx = keys
    client = signed_in(world.admin)
    sm2 = client.get(f"/system/key-policies/add/?key={yj.pk}").content.decode()
    assert 'value="sign"' in sm2 and 'value="hmac"' not in sm2
    sm4 = client.get(f"/system/key-policies/add/?key={gx.pk}").content.decode()
    assert 'value="encrypt"' in sm4 and 'value="sign"' not in sm4
    # Choosing the key with htmx returns the operations alone.
    fragment = client.get(f"/system/key-policies/add/?key={gx.pk}",
                          headers={"HX-Request": "true", "HX-Target": "operations-field"})
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "<html" not in body and 'id="operations-field"' in body and 'value="sign"' not in body
    assert "HX-Target" in fragment["Vary"]


def test_create_edit_and_delete_a_policy(world, keys):
    yj, _gx = keys
    app = make_app(world.admin, "yj-app")
    client = signed_in(world.yujiang_admin)
    response = client.post("/system/key-policies/add/", policy_form(yj, app, "sign", "verify"))
    assert response.status_code == 302
    policy = KeyPolicy.objects.get(key=yj, application=app)
    assert policy.operations == ["sign", "verify"]
    assert audited("kms.keypolicy.create").actor_id == world.yujiang_admin.pk

    response = client.post(f"/system/key-policies/{policy.pk}/edit/",
                           {"operations": ["sign", "verify", "read"]})
    assert response.status_code == 302
    assert KeyPolicy.objects.get(pk=policy.pk).operations == ["read", "sign", "verify"]
    assert audited("kms.keypolicy.change").changes["operations"] == [["sign", "verify"], ["read", "sign", "verify"]]

    assert client.get(f"/system/key-policies/{policy.pk}/delete/").status_code == 200
    assert client.post(f"/system/key-policies/{policy.pk}/delete/").status_code == 302
    assert not KeyPolicy.objects.filter(pk=policy.pk).exists()
    assert audited("kms.keypolicy.delete").actor_id == world.yujiang_admin.pk


@pytest.mark.parametrize("case", ["unsupported", "none", "duplicate", "out_of_scope_key"])
def test_bad_policy_input_shows_form_errors_and_writes_nothing(world, keys, case):
    yj, gx = keys
    app = make_app(world.admin, "yj-app")
    existing = allow(world.admin, app, yj, "verify")
    data = {
        "unsupported": policy_form(gx, app, "sign"),
        "none": policy_form(yj, app),
        "duplicate": policy_form(yj, app, "sign"),
        "out_of_scope_key": policy_form(gx, app, "encrypt"),
    }[case]
    actor = world.yujiang_admin if case == "out_of_scope_key" else world.admin
    count = KeyPolicy.objects.count()
    created = AuditEntry.objects.filter(action="kms.keypolicy.create").count()
    response = signed_in(actor).post("/system/key-policies/add/", data)
    assert response.status_code == 422
    assert 'class="error-summary' in response.content.decode()
    assert KeyPolicy.objects.count() == count
    assert KeyPolicy.objects.get(pk=existing.pk).operations == ["verify"]
    assert AuditEntry.objects.filter(action="kms.keypolicy.create").count() == created


def test_policies_out_of_scope_are_404(world, keys):
    _yj, gx = keys
    app = make_app(world.admin, "gx-app", GUIXI_DEPT)
    policy = allow(world.admin, app, gx, "encrypt")
    client = signed_in(world.yujiang_admin)
    listing = client.get("/system/key-policies/").content.decode()
    assert "gx-app" not in listing
    assert client.get(f"/system/key-policies/{policy.pk}/").status_code == 404
    assert client.get(f"/system/key-policies/{policy.pk}/edit/").status_code == 404
    assert client.post(f"/system/key-policies/{policy.pk}/edit/", {"operations": ["decrypt"]}).status_code == 404
    assert client.post(f"/system/key-policies/{policy.pk}/delete/").status_code == 404
    assert KeyPolicy.objects.get(pk=policy.pk).operations == ["encrypt"]
    assert audited(f"web:POST /system/key-policies/{policy.pk}/delete/", outcome="denied")
    # The add form offers neither the other county's keys nor its applications.
    page = client.get("/system/key-policies/add/").content.decode()
    assert "gx-data" not in page and "gx-app" not in page


def test_navigation_entries(world):
    page = signed_in(world.admin).get("/workbench/system/").content.decode()
    assert "/system/keys/" in page and "/system/key-policies/" in page
    assert "/system/keys/" not in signed_in(world.official).get("/workbench/system/").content.decode()
