"""The key service end to end through the API: rotation, minimum versions, rewrap, batches, data keys,
signatures and HMACs, export, application policies, and the errors of bad input."""

import pytest
from django.test import Client

from dgov.accounts.testing import api_client
from dgov.core.models import AuditEntry
from dgov.core.testing import assert_error
from dgov.crypto.primitives import SM2PrivateKey, SM2PublicKey
from dgov.kms.models import KeyVersion
from dgov.kms.tests.support import allow, b64, make_app, make_key, patch, post, unb64

pytestmark = pytest.mark.django_db

SECRET = "身份证号 360602199001011234".encode()


@pytest.fixture
def admin(world):
    return api_client(world.admin)


def _encrypt(client, name, plaintext=SECRET, **extra):
    response = post(client, f"/api/v1/crypto/keys/{name}/encrypt", {"plaintext": b64(plaintext), **extra})
    assert response.status_code == 200, response.content
    return response.json()["ciphertext"]


def _decrypt(client, name, ciphertext, **extra):
    return post(client, f"/api/v1/crypto/keys/{name}/decrypt", {"ciphertext": ciphertext, **extra})


@pytest.mark.parametrize("key_type", ["sm4-gcm", "sm4-cbc", "sm2"])
def test_rotation_rewrap_and_minimum_decryption_version(world, admin, key_type):
    make_key(world.admin, "k", key_type)
    v1 = _encrypt(admin, "k")
    assert v1.startswith("dgov:v1:")
    assert SECRET not in unb64(v1.split(":")[2])

    rotated = post(admin, "/api/v1/crypto/keys/k/rotate").json()
    assert rotated["latest_version"] == 2 and [v["version"] for v in rotated["versions"]] == [1, 2]
    v2 = _encrypt(admin, "k")
    assert v2.startswith("dgov:v2:")
    # v1 still decrypts after rotation.
    assert unb64(_decrypt(admin, "k", v1).json()["plaintext"]) == SECRET

    rewrapped = post(admin, "/api/v1/crypto/keys/k/rewrap", {"ciphertext": v1}).json()
    assert rewrapped["ciphertext"].startswith("dgov:v2:") and rewrapped["key_version"] == 2
    assert "plaintext" not in rewrapped
    assert unb64(_decrypt(admin, "k", rewrapped["ciphertext"]).json()["plaintext"]) == SECRET

    assert patch(admin, "/api/v1/crypto/keys/k", {"min_decryption_version": 2}).status_code == 200
    assert_error(_decrypt(admin, "k", v1), 400, "key_version_retired")
    assert_error(post(admin, "/api/v1/crypto/keys/k/rewrap", {"ciphertext": v1}), 400, "key_version_retired")
    assert unb64(_decrypt(admin, "k", v2).json()["plaintext"]) == SECRET


def test_minimum_encryption_version_pins_new_ciphertexts(world, admin):
    make_key(world.admin, "k")
    post(admin, "/api/v1/crypto/keys/k/rotate")
    post(admin, "/api/v1/crypto/keys/k/rotate")
    assert patch(admin, "/api/v1/crypto/keys/k", {"min_encryption_version": 2}).status_code == 200
    assert _encrypt(admin, "k").startswith("dgov:v2:")
    assert _encrypt(admin, "k", key_version=3).startswith("dgov:v3:")
    assert_error(post(admin, "/api/v1/crypto/keys/k/encrypt", {"plaintext": b64("x"), "key_version": 1}),
                 400, "key_version_retired")
    assert_error(post(admin, "/api/v1/crypto/keys/k/encrypt", {"plaintext": b64("x"), "key_version": 9}),
                 400, "unknown_key_version")
    body = assert_error(patch(admin, "/api/v1/crypto/keys/k", {"min_decryption_version": 4}), 422, "invalid")
    assert "min_decryption_version" in body["details"]
    assert_error(patch(admin, "/api/v1/crypto/keys/k", {"min_decryption_version": 3}), 422)  # above min_enc 2


def test_associated_data_binds_the_ciphertext_to_its_context(world, admin):
    make_key(world.admin, "k")
    ct = _encrypt(admin, "k", associated_data=b64("case:42"))
    assert unb64(_decrypt(admin, "k", ct, associated_data=b64("case:42")).json()["plaintext"]) == SECRET
    assert_error(_decrypt(admin, "k", ct, associated_data=b64("case:43")), 400, "decryption_failed")
    assert_error(_decrypt(admin, "k", ct), 400, "decryption_failed")


def test_tampered_ciphertext_is_refused_and_the_failure_audited(world, admin):
    make_key(world.admin, "k")
    ct = _encrypt(admin, "k")
    raw = bytearray(unb64(ct.split(":")[2]))
    raw[15] ^= 1
    body = assert_error(_decrypt(admin, "k", f"dgov:v1:{b64(bytes(raw))}"), 400, "decryption_failed")
    assert body["details"] == {"index": 0}
    failure = AuditEntry.objects.filter(action="kms.decrypt", outcome="failed").get()
    assert failure.changes == {"reason": "decryption_failed"}
    for bad in ("vault:v1:AAAA", "dgov:v1:***", "dgov:v0:AAAA", "dgov:1:AAAA", ""):
        assert_error(_decrypt(admin, "k", bad), (400, 422))


def test_batch_is_all_or_nothing(world, admin):
    make_key(world.admin, "k")
    items = [{"plaintext": b64(f"item {i}")} for i in range(5)]
    results = post(admin, "/api/v1/crypto/keys/k/encrypt", {"batch_input": items}).json()["batch_results"]
    assert len(results) == 5 and all(r["ciphertext"].startswith("dgov:v1:") for r in results)
    back = post(admin, "/api/v1/crypto/keys/k/decrypt",
                {"batch_input": [{"ciphertext": r["ciphertext"]} for r in results]}).json()["batch_results"]
    assert [unb64(r["plaintext"]) for r in back] == [f"item {i}".encode() for i in range(5)]

    broken = [{"ciphertext": r["ciphertext"]} for r in results]
    broken[3]["ciphertext"] = "dgov:v1:" + b64(b"x" * 40)
    body = assert_error(post(admin, "/api/v1/crypto/keys/k/decrypt", {"batch_input": broken}), 400,
                        "decryption_failed")
    assert body["details"]["index"] == 3
    bad_b64 = assert_error(post(admin, "/api/v1/crypto/keys/k/encrypt",
                                {"batch_input": [{"plaintext": "ok=="}, {"plaintext": "%%%"}]}), 422)
    assert "batch_input[1].plaintext" in bad_b64["details"]
    # One audit entry per call, with counts and versions only.
    entry = AuditEntry.objects.filter(action="kms.encrypt").order_by("-seq").first()
    assert entry.changes == {"items": 5, "versions": [1]}


def test_sm2_signature_round_trip_signer_id_and_versions(world, admin):
    make_key(world.admin, "seal", "sm2")
    key = admin.get("/api/v1/crypto/keys/seal").json()
    public = SM2PublicKey.from_pem(key["public_key_pem"])
    signed = post(admin, "/api/v1/crypto/keys/seal/sign", {"input": b64("licence 001")}).json()
    assert signed["key_version"] == 1
    der = unb64(signed["signature"])
    assert public.verify(b"licence 001", der)  # a bare DER signature, checkable outside the service

    def verify(**payload):
        return post(admin, "/api/v1/crypto/keys/seal/verify", payload).json()["valid"]

    assert verify(input=b64("licence 001"), signature=signed["signature"]) is True
    assert verify(input=b64("licence 002"), signature=signed["signature"]) is False
    assert verify(input=b64("licence 001"), signature=signed["signature"], signer_id="ALICE123@YAHOO.COM") is False
    custom = post(admin, "/api/v1/crypto/keys/seal/sign", {"input": b64("m"), "signer_id": "yt-seal"}).json()
    assert verify(input=b64("m"), signature=custom["signature"], signer_id="yt-seal") is True

    post(admin, "/api/v1/crypto/keys/seal/rotate")
    assert verify(input=b64("licence 001"), signature=f"dgov:v1:{signed['signature']}") is True
    assert verify(input=b64("licence 001"), signature=signed["signature"], key_version=1) is True
    assert verify(input=b64("licence 001"), signature=signed["signature"]) is False  # checked against v2
    patch(admin, "/api/v1/crypto/keys/seal", {"min_decryption_version": 2})
    assert_error(post(admin, "/api/v1/crypto/keys/seal/verify",
                      {"input": b64("licence 001"), "signature": signed["signature"], "key_version": 1}),
                 400, "key_version_retired")


def test_an_imported_sm2_key_signs_for_its_owner(world, admin):
    private = SM2PrivateKey.generate()
    response = post(admin, "/api/v1/crypto/keys", {"name": "imported", "type": "sm2", "department": "360603902",
                                                   "private_key_pem": private.to_pem()})
    assert response.status_code == 201, response.content
    assert SM2PublicKey.from_pem(response.json()["public_key_pem"]) == private.public_key()
    signed = post(admin, "/api/v1/crypto/keys/imported/sign", {"input": b64("x")}).json()
    assert private.public_key().verify(b"x", unb64(signed["signature"]))
    body = assert_error(post(admin, "/api/v1/crypto/keys", {"name": "bad", "type": "sm2", "department": "360603902",
                                                            "private_key_pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n"
                                                                               "-----END PRIVATE KEY-----"}),
                        422, "invalid_key")
    assert "private_key_pem" in body["details"]


def test_hmac_and_verify(world, admin):
    make_key(world.admin, "mac", "hmac-sm3")
    mac = post(admin, "/api/v1/crypto/keys/mac/hmac", {"input": b64("data")}).json()["hmac"]
    assert mac.startswith("dgov:v1:") and len(unb64(mac.split(":")[2])) == 32
    verify = "/api/v1/crypto/keys/mac/verify"
    assert post(admin, verify, {"input": b64("data"), "hmac": mac}).json()["valid"] is True
    assert post(admin, verify, {"input": b64("datA"), "hmac": mac}).json()["valid"] is False
    assert_error(post(admin, "/api/v1/crypto/keys/mac/encrypt", {"plaintext": b64("x")}), 400, "wrong_key_type")
    assert_error(post(admin, "/api/v1/crypto/keys/mac/sign", {"input": b64("x")}), 400, "wrong_key_type")


def test_wrong_key_type_for_each_operation(world, admin):
    make_key(world.admin, "sym")
    assert_error(post(admin, "/api/v1/crypto/keys/sym/sign", {"input": b64("x")}), 400, "wrong_key_type")
    assert_error(post(admin, "/api/v1/crypto/keys/sym/hmac", {"input": b64("x")}), 400, "wrong_key_type")
    make_key(world.admin, "cbc", "sm4-cbc")
    assert_error(post(admin, "/api/v1/crypto/keys/cbc/encrypt", {"plaintext": b64("x"), "associated_data": b64("a")}),
                 422, "invalid")


def test_empty_plaintexts(world, admin):
    make_key(world.admin, "gcm")
    assert unb64(_decrypt(admin, "gcm", _encrypt(admin, "gcm", b"")).json()["plaintext"]) == b""
    make_key(world.admin, "pk", "sm2")
    body = assert_error(post(admin, "/api/v1/crypto/keys/pk/encrypt", {"plaintext": ""}), 422)
    assert "plaintext" in body["details"]["fields"]


def test_datakeys_for_envelope_encryption(world, admin):
    make_key(world.admin, "k")
    full = post(admin, "/api/v1/crypto/keys/k/datakey/plaintext", {"bits": 256}).json()
    assert len(unb64(full["plaintext"])) == 32
    assert unb64(_decrypt(admin, "k", full["ciphertext"]).json()["plaintext"]) == unb64(full["plaintext"])
    wrapped = post(admin, "/api/v1/crypto/keys/k/datakey/wrapped", {}).json()
    assert "plaintext" not in wrapped
    assert len(unb64(_decrypt(admin, "k", wrapped["ciphertext"]).json()["plaintext"])) == 16
    assert_error(post(admin, "/api/v1/crypto/keys/k/datakey/other", {}), 422)
    assert_error(post(admin, "/api/v1/crypto/keys/k/datakey/plaintext", {"bits": 100}), 422)


def test_disabled_key_refuses_operations(world, admin):
    make_key(world.admin, "k")
    ct = _encrypt(admin, "k")
    patch(admin, "/api/v1/crypto/keys/k", {"enabled": False})
    assert_error(_decrypt(admin, "k", ct), 409, "key_disabled")
    assert admin.get("/api/v1/crypto/keys/k").json()["enabled"] is False  # still readable
    patch(admin, "/api/v1/crypto/keys/k", {"enabled": True})
    assert unb64(_decrypt(admin, "k", ct).json()["plaintext"]) == SECRET


def test_export_only_for_exportable_keys(world, admin):
    make_key(world.admin, "k")
    assert_error(admin.get("/api/v1/crypto/keys/k/export"), 403, "export_disabled")
    body = assert_error(patch(admin, "/api/v1/crypto/keys/k", {"exportable": True}), 422)
    assert "exportable" in body["details"]  # decided at creation only
    make_key(world.admin, "e", exportable=True)
    post(admin, "/api/v1/crypto/keys/e/rotate")
    exported = admin.get("/api/v1/crypto/keys/e/export").json()
    assert set(exported["keys"]) == {"1", "2"} and len(unb64(exported["keys"]["1"])) == 16
    assert AuditEntry.objects.filter(action="kms.export").get().changes == {"versions": [1, 2]}
    make_key(world.admin, "s", "sm2", exportable=True)
    pem = admin.get("/api/v1/crypto/keys/s/export?version=1").json()["keys"]["1"]
    assert SM2PrivateKey.from_pem(pem).public_key() == SM2PublicKey.from_pem(
        admin.get("/api/v1/crypto/keys/s").json()["public_key_pem"])


def test_applications_use_only_what_their_policy_allows(world, admin):
    key = make_key(world.admin, "app-key")
    make_key(world.admin, "other-key")
    app = make_app(world.admin, "yt-cases")
    allow(world.admin, app, key, "encrypt")
    token = post(admin, "/api/v1/applications/yt-cases/tokens", {"name": "prod"}).json()["token"]
    client = Client(headers={"Authorization": f"Bearer {token}"})
    ct = _encrypt(client, "app-key")
    assert_error(_decrypt(client, "app-key", ct), 403, "permission_denied")  # operation not in the policy
    assert_error(post(client, "/api/v1/crypto/keys/other-key/encrypt", {"plaintext": b64("x")}), 404)
    assert client.get("/api/v1/crypto/keys").json()["items"] == []  # listing needs "read", like GET
    assert_error(client.get("/api/v1/crypto/keys/app-key"), 403)  # "read" not granted
    assert_error(client.get("/api/v1/crypto/keys/app-key/export"), 403)
    policy_id = admin.get("/api/v1/crypto/policies").json()["items"][0]["id"]
    assert patch(admin, f"/api/v1/crypto/policies/{policy_id}",
                 {"operations": ["encrypt", "decrypt", "read"]}).status_code == 200
    assert unb64(_decrypt(client, "app-key", ct).json()["plaintext"]) == SECRET  # seen at once
    assert client.get("/api/v1/crypto/keys/app-key").status_code == 200
    assert [k["name"] for k in client.get("/api/v1/crypto/keys").json()["items"]] == ["app-key"]
    entry = AuditEntry.objects.filter(action="kms.decrypt").order_by("-seq").first()
    assert entry.actor_username == "app.yt-cases"
    # An application cannot manage keys.
    assert_error(post(client, "/api/v1/crypto/keys/app-key/rotate"), 403)
    # Deactivating the application revokes its tokens.
    assert admin.delete("/api/v1/applications/yt-cases").status_code == 204
    assert_error(_decrypt(client, "app-key", ct), 401)


def test_policy_operations_must_suit_the_key_type(world, admin):
    make_key(world.admin, "mac", "hmac-sm3")
    make_app(world.admin, "yt-x")
    body = assert_error(post(admin, "/api/v1/crypto/policies",
                             {"key": "mac", "application": "yt-x", "operations": ["encrypt"]}), 422)
    assert "operations" in body["details"]
    ok = post(admin, "/api/v1/crypto/policies", {"key": "mac", "application": "yt-x", "operations": ["hmac"]})
    assert ok.status_code == 201
    assert_error(post(admin, "/api/v1/crypto/policies", {"key": "mac", "application": "yt-x",
                                                         "operations": ["hmac"]}), 422)


def test_hash_and_random(world, admin):
    body = post(admin, "/api/v1/crypto/hash", {"input": b64("abc")}).json()
    assert body["sum"] == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    assert len(unb64(post(admin, "/api/v1/crypto/random", {"bytes": 48}).json()["random_bytes"])) == 48
    assert len(post(admin, "/api/v1/crypto/random", {"bytes": 8, "format": "hex"}).json()["random_bytes"]) == 16
    assert_error(post(admin, "/api/v1/crypto/random", {"bytes": 5000}), 422)
    assert_error(post(admin, "/api/v1/crypto/hash", {"input": "not base64!"}), 422)
    assert_error(post(api_client(world.citizen), "/api/v1/crypto/hash", {"input": b64("abc")}), 403)


def test_oversized_payload_is_refused(world, admin):
    make_key(world.admin, "k")
    big = b64(b"x" * ((1 << 20) + 1))
    assert_error(post(admin, "/api/v1/crypto/keys/k/encrypt", {"plaintext": big}), (413, 422))
    too_many = [{"plaintext": b64("x")}] * 1001
    assert_error(post(admin, "/api/v1/crypto/keys/k/encrypt", {"batch_input": too_many}), 413, "payload_too_large")


def test_key_material_is_stored_only_wrapped_and_audit_holds_no_data(world, admin):
    make_key(world.admin, "k", exportable=True)
    material = unb64(admin.get("/api/v1/crypto/keys/k/export").json()["keys"]["1"])
    stored = KeyVersion.objects.get(key__name="k", version=1).wrapped_material
    assert material not in unb64(stored) and material.hex() not in stored
    _encrypt(admin, "k")
    for entry in AuditEntry.objects.filter(action__startswith="kms."):
        text = str(entry.changes)
        assert SECRET.decode() not in text and b64(SECRET) not in text and material.hex() not in text


def test_a_key_created_with_name_and_type_only_belongs_to_the_callers_department(world, admin):
    response = post(admin, "/api/v1/crypto/keys", {"name": "minimal", "type": "sm4-gcm"})
    assert response.status_code == 201, response.content
    assert response.json()["department"] == world.admin.department.code


def test_key_names_and_types_are_validated(world, admin):
    for payload in ({"name": "Bad Name", "type": "sm4-gcm", "department": "360603902"},
                    {"name": "ok", "type": "aes", "department": "360603902"},
                    {"name": "ok", "type": "sm4-gcm", "department": "nope"}):
        assert_error(post(admin, "/api/v1/crypto/keys", payload), 422)
    dup = {"name": "dup", "type": "sm2", "department": "360603902"}
    assert post(admin, "/api/v1/crypto/keys", dup).status_code == 201
    body = assert_error(post(admin, "/api/v1/crypto/keys", dup), 422)
    assert "name" in body["details"]
