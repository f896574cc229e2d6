"""The cryptography API endpoint by endpoint: anonymous, without permission, outside the data
scope, in scope and bad input (dgov.core.testing.ApiContract). The flows behind them (rotation,
minimum versions, batches, policies at work…) are in test_operations.py.

Keys owned by a 余江区 department are in the 余江区 county administrator's scope, those of a 贵溪市
department outside it. Officials need `kms.use_key` in scope for operations, `view_key` to read,
`change_key` to rotate or configure, `export_key` to export; applications only what a key policy
grants them, and a key without a policy for them does not exist for them (404)."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from dgov.accounts.models import Role
from dgov.accounts.testing import api_client, grant, make_user
from dgov.core.models import AuditEntry
from dgov.core.testing import ApiContract, Case, assert_error
from dgov.kms import services
from dgov.kms.models import Key, KeyPolicy, KeyVersion
from dgov.kms.services import Item
from dgov.kms.tests.support import GUIXI_DEPT, YUJIANG_DEPT, allow, b64, make_app, make_key, patch, post

pytestmark = pytest.mark.django_db

KEYS = "/api/v1/crypto/keys"
POLICIES = "/api/v1/crypto/policies"
TYPES = {"gcm": "sm4-gcm", "sm2": "sm2", "mac": "hmac-sm3"}


@pytest.fixture
def keys(world):
    """One key of each type per county: yj-<t> (余江区, in the county admin's scope), gx-<t> (贵溪市)."""
    made = {}
    for short, key_type in TYPES.items():
        made[f"yj-{short}"] = make_key(world.admin, f"yj-{short}", key_type, YUJIANG_DEPT)
        made[f"gx-{short}"] = make_key(world.admin, f"gx-{short}", key_type, GUIXI_DEPT)
    return made


def _one(op, world, name, **fields):
    return getattr(services, op)(actor=world.admin, name=name, items=[Item(**fields)])[0]


def _operation_case(world, op: str, short: str, payload: dict, bad_payload: dict | None = None,
                    bad_url: str | None = None) -> Case:
    return Case(method="post", url=f"{KEYS}/yj-{short}/{op}", authorised=world.yujiang_admin,
                unauthorised=world.official, out_of_scope_url=f"{KEYS}/gx-{short}/{op}", payload=payload,
                bad_payload=bad_payload, bad_url=bad_url)


# --- keys ---------------------------------------------------------------------------------------

class TestListKeys(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return Case(method="get", url=KEYS, authorised=world.yujiang_admin, unauthorised=world.official,
                    bad_url=f"{KEYS}?limit=0")

    # A list has no single object to be out of scope; test_county_admin_lists_only_own_county_keys checks it.
    test_out_of_scope = None


class TestCreateKey(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url=KEYS, authorised=world.yujiang_admin, unauthorised=world.official,
                    payload={"name": "yj-new", "type": "sm4-gcm", "department": YUJIANG_DEPT}, ok_status=201,
                    bad_payload={"name": "Bad Name", "type": "aes-256", "department": YUJIANG_DEPT})

    # Creating has no existing object to be outside the scope of; a key for a department outside the
    # scope is refused with 403 out_of_scope (test_county_admin_cannot_create_a_key_in_another_county).
    test_out_of_scope = None


class TestGetKey(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return Case(method="get", url=f"{KEYS}/yj-sm2", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{KEYS}/gx-sm2")

    # The only input is the name: a name no key has (well-formed or not) is 404 like one out of
    # scope (test_unknown_key_names_are_404).
    test_bad_input = None


class TestUpdateKey(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return Case(method="patch", url=f"{KEYS}/yj-gcm", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{KEYS}/gx-gcm",
                    payload={"description": "案件材料加密"},
                    bad_payload={"min_decryption_version": 0, "enabled": "sometimes"})


class TestRotateKey(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return Case(method="post", url=f"{KEYS}/yj-gcm/rotate", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{KEYS}/gx-gcm/rotate")

    # Rotation takes no input but the key's name (see TestGetKey).
    test_bad_input = None


@pytest.fixture
def yujiang_exporter(world):
    """Export is in no county role: a user holding view + export on keys, scoped to 余江区."""
    role = Role.objects.create(code="t_key_exporter", name="密钥导出（测试）")
    role.permissions.add(*Permission.objects.filter(content_type__app_label="kms",
                                                    codename__in=["view_key", "export_key"]))
    user = make_user("t_yj_exporter", department_code="360603000")
    grant(user, "t_key_exporter", "region", "360603")
    return user


class TestExportKey(ApiContract):
    @pytest.fixture
    def case(self, world, yujiang_exporter):
        make_key(world.admin, "yj-exp", exportable=True)
        make_key(world.admin, "gx-exp", dept=GUIXI_DEPT, exportable=True)
        # The county administrator manages and uses keys but may not read their material.
        return Case(method="get", url=f"{KEYS}/yj-exp/export", authorised=yujiang_exporter,
                    unauthorised=world.yujiang_admin, out_of_scope_url=f"{KEYS}/gx-exp/export",
                    bad_url=f"{KEYS}/yj-exp/export?version=0")


# --- operations ---------------------------------------------------------------------------------

class TestEncrypt(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return _operation_case(world, "encrypt", "gcm", {"plaintext": b64("身份证号")},
                               bad_payload={"plaintext": "%%% not base64 %%%"})


class TestDecrypt(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        ciphertext = _one("encrypt", world, "yj-gcm", plaintext=b"x")["ciphertext"]
        return _operation_case(world, "decrypt", "gcm", {"ciphertext": ciphertext},
                               bad_payload={"ciphertext": 12345})


class TestRewrap(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        ciphertext = _one("encrypt", world, "yj-gcm", plaintext=b"x")["ciphertext"]
        return _operation_case(world, "rewrap", "gcm", {"ciphertext": ciphertext},
                               bad_payload={"ciphertext": "vault:v1:AAAA"})


class TestSign(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return _operation_case(world, "sign", "sm2", {"input": b64("许可证 001")},
                               bad_payload={"input": b64("许可证 001"), "key_version": "latest"})


class TestVerify(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        signature = _one("sign", world, "yj-sm2", input=b"m")["signature"]
        return _operation_case(world, "verify", "sm2", {"input": b64("m"), "signature": signature},
                               bad_payload={"input": b64("m"), "signature": "not base64!"})


class TestHmac(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return _operation_case(world, "hmac", "mac", {"input": b64("data")}, bad_payload={"input": "abc"})


class TestDataKey(ApiContract):
    @pytest.fixture
    def case(self, world, keys):
        return _operation_case(world, "datakey/plaintext", "gcm", {"bits": 256},
                               bad_url=f"{KEYS}/yj-gcm/datakey/both")


class TestHash(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url="/api/v1/crypto/hash", authorised=world.yujiang_admin,
                    unauthorised=world.official, payload={"input": b64("abc")},
                    bad_payload={"input": b64("abc"), "format": "binary"})

    # Hashing uses no key and no data of anyone's: there is nothing to be outside a scope
    # (the permission to use keys, in any scope, is all it needs).
    test_out_of_scope = None


class TestRandom(ApiContract):
    @pytest.fixture
    def case(self, world):
        return Case(method="post", url="/api/v1/crypto/random", authorised=world.yujiang_admin,
                    unauthorised=world.official, payload={"bytes": 16}, bad_payload={"bytes": "lots"})

    # Random bytes come from no key and no one's data: nothing can be outside a scope.
    test_out_of_scope = None


# --- policies -----------------------------------------------------------------------------------

@pytest.fixture
def policies(world, keys):
    """An application per county, each allowed to encrypt with its county's sm4-gcm key."""
    yj_app, gx_app = make_app(world.admin, "yj-app"), make_app(world.admin, "gx-app", GUIXI_DEPT)
    return {"yj": allow(world.admin, yj_app, keys["yj-gcm"], "encrypt"),
            "gx": allow(world.admin, gx_app, keys["gx-gcm"], "encrypt")}


class TestListPolicies(ApiContract):
    @pytest.fixture
    def case(self, world, policies):
        return Case(method="get", url=POLICIES, authorised=world.yujiang_admin, unauthorised=world.official,
                    bad_url=f"{POLICIES}?offset=-1")

    # A list has no single object to be out of scope; test_county_admin_lists_only_own_county_policies checks it.
    test_out_of_scope = None


class TestCreatePolicy(ApiContract):
    @pytest.fixture
    def case(self, world, policies):
        return Case(method="post", url=POLICIES, authorised=world.yujiang_admin, unauthorised=world.official,
                    payload={"key": "yj-sm2", "application": "yj-app", "operations": ["sign", "verify"]},
                    ok_status=201,
                    bad_payload={"key": "yj-sm2", "application": "yj-app", "operations": ["launch"]})

    # Creating has no existing object to be outside the scope of; a policy on a key outside the
    # scope is refused with 403 out_of_scope (test_county_admin_cannot_grant_another_countys_key).
    test_out_of_scope = None


class TestGetPolicy(ApiContract):
    @pytest.fixture
    def case(self, world, policies):
        return Case(method="get", url=f"{POLICIES}/{policies['yj'].pk}", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{POLICIES}/{policies['gx'].pk}",
                    bad_url=f"{POLICIES}/first")


class TestUpdatePolicy(ApiContract):
    @pytest.fixture
    def case(self, world, policies):
        return Case(method="patch", url=f"{POLICIES}/{policies['yj'].pk}", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{POLICIES}/{policies['gx'].pk}",
                    payload={"operations": ["encrypt", "decrypt"]}, bad_payload={"operations": []})


class TestDeletePolicy(ApiContract):
    @pytest.fixture
    def case(self, world, policies):
        return Case(method="delete", url=f"{POLICIES}/{policies['yj'].pk}", authorised=world.yujiang_admin,
                    unauthorised=world.official, out_of_scope_url=f"{POLICIES}/{policies['gx'].pk}",
                    ok_status=204, bad_url=f"{POLICIES}/first")


# --- what the contract cases do not show by themselves -----------------------------------------

def test_county_admin_lists_only_own_county_keys(world, keys):
    body = api_client(world.yujiang_admin).get(KEYS).json()
    assert [k["name"] for k in body["items"]] == ["yj-gcm", "yj-mac", "yj-sm2"] and body["count"] == 3
    assert {k["department"] for k in body["items"]} == {YUJIANG_DEPT}
    everything = api_client(world.admin).get(f"{KEYS}?limit=500").json()
    assert set(keys) <= {k["name"] for k in everything["items"]}


def test_county_admin_cannot_create_a_key_in_another_county(world):
    response = post(api_client(world.yujiang_admin), KEYS,
                    {"name": "gx-new", "type": "sm4-gcm", "department": GUIXI_DEPT})
    assert_error(response, 403, "out_of_scope")
    assert not Key.objects.filter(name="gx-new").exists()
    assert not KeyVersion.objects.filter(key__name="gx-new").exists()


@pytest.mark.parametrize(("payload", "fields"), [
    ({"name": "Bad Name", "type": "sm4-gcm", "department": YUJIANG_DEPT}, {"name"}),
    ({"name": "-starts-with-dash", "type": "sm4-gcm", "department": YUJIANG_DEPT}, {"name"}),
    ({"name": "k" * 64, "type": "sm4-gcm", "department": YUJIANG_DEPT}, {"name"}),
    ({"name": "ok", "type": "aes-256", "department": YUJIANG_DEPT}, {"type"}),
    ({"name": "ok", "type": "sm4-gcm", "department": 360603902}, {"department"}),
    ({"name": "ok", "type": "sm4-gcm", "department": YUJIANG_DEPT, "exportable": "maybe"}, {"exportable"}),
    ({"name": "ok", "type": "sm4-gcm", "department": "no-such-unit"}, {"department"}),
    ({"name": "ok", "type": "sm4-gcm", "department": YUJIANG_DEPT, "private_key_pem": "x"}, {"private_key_pem"}),
])
def test_create_key_bad_input_names_the_field(world, payload, fields):
    body = assert_error(post(api_client(world.yujiang_admin), KEYS, payload), 422, "invalid")
    assert set(body["details"]) == fields, body
    assert not Key.objects.filter(name="ok").exists()


@pytest.mark.parametrize("url", [f"{KEYS}/no-such-key", f"{KEYS}/Not%20A%20Name", f"{KEYS}/no-such-key/encrypt"])
def test_unknown_key_names_are_404(world, url):
    client = api_client(world.yujiang_admin)
    response = client.get(url) if not url.endswith("encrypt") else post(client, url, {"plaintext": b64("x")})
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize("url", [f"{KEYS}/no-such-key", f"{KEYS}/no-such-key/rotate"])
def test_managing_an_unknown_key_without_permission_is_403_like_a_known_one(world, keys, url):
    """Without the permission the answer must not depend on whether the key exists (as with
    GET and the operations, and get_scoped everywhere else): otherwise anyone signed in learns
    which key names exist."""
    client = api_client(world.official)

    def call(u):
        return post(client, u) if u.endswith("/rotate") else patch(client, u, {"description": "x"})

    assert_error(call(url.replace("no-such-key", "yj-gcm")), 403, "permission_denied")
    assert_error(call(url), 403, "permission_denied")  # today: 404 not_found


@pytest.mark.parametrize(("url", "payload"), [
    (f"{KEYS}/yj-gcm/encrypt", {"plaintext": b64("x")}),
    (f"{KEYS}/yj-gcm/decrypt", {"ciphertext": "dgov:v1:AAAA"}),
    (f"{KEYS}/yj-gcm/rewrap", {"ciphertext": "dgov:v1:AAAA"}),
    (f"{KEYS}/yj-gcm/datakey/wrapped", {}),
    (f"{KEYS}/yj-sm2/sign", {"input": b64("x")}),
    (f"{KEYS}/yj-sm2/verify", {"input": b64("x"), "signature": b64("sig")}),
    (f"{KEYS}/yj-mac/hmac", {"input": b64("x")}),
    (f"{KEYS}/yj-gcm", None),
])
def test_an_application_without_a_policy_on_a_key_gets_404(world, keys, url, payload):
    """The application may encrypt with another key; the keys without a policy for it are not there."""
    app = make_app(world.admin, "yj-cases")
    allow(world.admin, app, make_key(world.admin, "yj-cases-key"), "encrypt", "read")
    token = post(api_client(world.admin), "/api/v1/applications/yj-cases/tokens", {"name": "t"}).json()["token"]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert post(client, f"{KEYS}/yj-cases-key/encrypt", {"plaintext": b64("x")}).status_code == 200
    response = client.get(url) if payload is None else post(client, url, payload)
    assert_error(response, 404, "not_found")
    # The same answer as for a key that does not exist at all.
    assert_error(client.get(f"{KEYS}/no-such-key"), 404, "not_found")


def test_an_application_may_hash_and_draw_random_bytes_without_any_policy(world):
    make_app(world.admin, "yj-hasher")
    token = post(api_client(world.admin), "/api/v1/applications/yj-hasher/tokens", {}).json()["token"]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    assert post(client, "/api/v1/crypto/hash", {"input": b64("abc")}).status_code == 200
    assert post(client, "/api/v1/crypto/random", {"bytes": 4}).status_code == 200


def test_county_admin_lists_only_own_county_policies(world, policies):
    body = api_client(world.yujiang_admin).get(POLICIES).json()
    assert body["count"] == 1
    assert body["items"] == [{"id": policies["yj"].pk, "key": "yj-gcm", "application": "yj-app",
                              "operations": ["encrypt"]}]


def test_county_admin_cannot_grant_another_countys_key(world, policies):
    response = post(api_client(world.yujiang_admin), POLICIES,
                    {"key": "gx-sm2", "application": "yj-app", "operations": ["sign"]})
    assert_error(response, 403, "out_of_scope")
    assert not KeyPolicy.objects.filter(key__name="gx-sm2").exists()


@pytest.mark.parametrize(("payload", "field"), [
    ({"key": "no-such-key", "application": "yj-app", "operations": ["encrypt"]}, "key"),
    ({"key": "yj-gcm", "application": "no-such-app", "operations": ["encrypt"]}, "application"),
    ({"key": "yj-gcm", "application": "yj-app", "operations": "encrypt"}, "operations"),
    ({"key": "yj-mac", "application": "yj-app", "operations": ["encrypt"]}, "operations"),
])
def test_create_policy_bad_input_names_the_field(world, policies, payload, field):
    body = assert_error(post(api_client(world.yujiang_admin), POLICIES, payload), 422, "invalid")
    assert set(body["details"]) == {field}, body


def test_write_calls_in_scope_are_audited_with_the_actor(world, keys, policies):
    client = api_client(world.yujiang_admin)
    assert patch(client, f"{KEYS}/yj-gcm", {"description": "案件材料"}).status_code == 200
    assert post(client, f"{KEYS}/yj-gcm/rotate").status_code == 200
    assert client.delete(f"{POLICIES}/{policies['yj'].pk}").status_code == 204
    for action in ("kms.key.change", "kms.key.rotate", "kms.keypolicy.delete"):
        entry = AuditEntry.objects.filter(action=action).order_by("-seq").first()
        assert entry is not None and entry.actor_username == "t_yujiang_admin", action


@pytest.mark.parametrize(("url", "payload", "status", "code", "field"), [
    (f"{KEYS}/yj-gcm/encrypt", {"plaintext": "%%% not base64 %%%"}, 422, "invalid", "plaintext"),
    (f"{KEYS}/yj-gcm/encrypt", {"plaintext": b64("x"), "associated_data": "@@"}, 422, "invalid", "associated_data"),
    (f"{KEYS}/yj-gcm/decrypt", {"ciphertext": 12345}, 422, "invalid", "ciphertext"),
    (f"{KEYS}/yj-gcm/rewrap", {"ciphertext": "vault:v1:AAAA"}, 400, "invalid_ciphertext", "ciphertext"),
    (f"{KEYS}/yj-gcm/encrypt", {"batch_input": {"plaintext": b64("x")}}, 422, "invalid", "batch_input"),
    (f"{KEYS}/yj-sm2/sign", {"input": b64("x"), "key_version": "latest"}, 422, "invalid", "key_version"),
    (f"{KEYS}/yj-sm2/sign", {"input": b64("x"), "signer_id": ""}, 422, "invalid", "signer_id"),
    (f"{KEYS}/yj-sm2/verify", {"input": b64("x"), "signature": "not base64!"}, 422, "invalid", "signature"),
    (f"{KEYS}/yj-mac/hmac", {"input": "abc"}, 422, "invalid", "input"),
    (f"{KEYS}/yj-gcm/datakey/both", {}, 422, "invalid", "kind"),
    (f"{KEYS}/yj-gcm/datakey/wrapped", {"bits": 512}, 422, "invalid", "bits"),
    ("/api/v1/crypto/hash", {"input": b64("abc"), "format": "binary"}, 422, "invalid", "format"),
    ("/api/v1/crypto/random", {"bytes": "lots"}, 422, "invalid", "bytes"),
    ("/api/v1/crypto/random", {"bytes": 0}, 422, "invalid", "bytes"),
])
def test_operation_bad_input_names_the_field(world, keys, url, payload, status, code, field):
    body = assert_error(post(api_client(world.yujiang_admin), url, payload), status, code)
    # Single calls name the field; errors found per item of the (one-item) batch carry the index too.
    fields = body["details"].get("fields", body["details"])
    assert field in fields, body
    assert not AuditEntry.objects.filter(action__in=["kms.encrypt", "kms.sign", "kms.hmac", "kms.datakey",
                                                     "kms.hash", "kms.random"]).exists()
