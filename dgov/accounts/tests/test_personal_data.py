"""Personal data at rest: the 身份证号 and phone are encrypted, found by blind index, and shown
masked; unmasked reads are permission-checked and audited (web pages here, API in test_api_users)."""

import pytest
from django.db import connection
from django.test import Client

from dgov.accounts.models import NaturalPerson, User
from dgov.accounts.testing import api_client, valid_id_number
from dgov.accounts.tests.support import (
    database_cells_containing,
    last_audit,
    make_county_citizen,
    make_identity_officer,
    post_json,
)
from dgov.core.models import AuditEntry
from dgov.crypto.fields import PREFIX, blind_index

ID_NUMBER = valid_id_number("360603", "19880808", 123)
PHONE = "13787654321"


@pytest.fixture
def registered(world):
    response = post_json(Client(), "/api/v1/auth/register", {
        "kind": "citizen", "username": "private_person", "password": "Register-me-2024", "phone": PHONE,
        "real_name": "赵六", "id_number": ID_NUMBER, "region_code": "360603"})
    assert response.status_code == 201, response.content
    return User.objects.get(username="private_person")


def test_id_number_and_phone_are_nowhere_in_the_database(registered):
    # Use the number and phone in every way the platform does: /me, the person's own unmasked
    # read, an officer's read, a password reset (the phone is the SMS recipient).
    api_client(registered).get("/api/v1/me")
    api_client(registered).get(f"/api/v1/users/{registered.pk}/personal-data")
    api_client(make_identity_officer()).get(f"/api/v1/users/{registered.pk}/personal-data")
    Client().post("/accounts/password-reset/", {"username": "private_person"})
    assert database_cells_containing(ID_NUMBER) == []
    assert database_cells_containing(ID_NUMBER[6:14] + ID_NUMBER[14:]) == []
    assert database_cells_containing(PHONE) == []


def test_the_scan_finds_plaintext_when_it_is_there(registered):
    """The scanner itself works: a plaintext number written by hand is found."""
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {connection.ops.quote_name(User._meta.db_table)} SET post = %s WHERE id = %s",
                       [f"note {ID_NUMBER}", registered.pk])
    assert database_cells_containing(ID_NUMBER) == [(User._meta.db_table, "post")]


def test_ciphertext_is_stored_and_bound_to_its_column(registered):
    table = connection.ops.quote_name(NaturalPerson._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id_number, id_number_index FROM {table} WHERE user_id = %s", [registered.pk])
        stored, index = cursor.fetchone()
    assert stored.startswith(PREFIX) and ID_NUMBER not in stored
    assert index == blind_index(ID_NUMBER, "id_number")
    assert NaturalPerson.objects.get(user=registered).id_number == ID_NUMBER


def test_blind_index_finds_the_person(registered):
    person = NaturalPerson.objects.get(id_number_index=blind_index(ID_NUMBER, "id_number"))
    assert person.user == registered
    assert User.objects.get(phone_index=blind_index(PHONE, "phone")) == registered
    stranger = blind_index(valid_id_number(), "id_number")
    assert not NaturalPerson.objects.filter(id_number_index=stranger).exists()


def test_encrypted_fields_cannot_be_searched_in_plaintext(registered):
    with pytest.raises(TypeError):
        NaturalPerson.objects.filter(id_number=ID_NUMBER).exists()
    with pytest.raises(TypeError):
        User.objects.filter(phone__contains="1378").exists()


def test_me_shows_the_id_number_masked(registered):
    response = api_client(registered).get("/api/v1/me")
    body = response.json()
    assert body["id_number_masked"] == ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]
    assert body["phone_masked"] == PHONE[:3] + "****" + PHONE[-4:]
    assert ID_NUMBER.encode() not in response.content and PHONE.encode() not in response.content


def test_audit_entries_mask_personal_data(registered):
    entries = AuditEntry.objects.filter(object_type="accounts.user", object_id=str(registered.pk))
    assert entries.exists()
    for entry in entries:
        assert ID_NUMBER not in str(entry.changes) and PHONE not in str(entry.changes)


# --- web pages ----------------------------------------------------------------------------------

def test_profile_page_masks_and_own_personal_data_page_shows_and_audits(registered):
    client = Client()
    client.force_login(registered)
    profile = client.get("/accounts/profile/")
    assert profile.status_code == 200
    assert ID_NUMBER.encode() not in profile.content
    assert (ID_NUMBER[:3] + "*" * 11 + ID_NUMBER[-4:]).encode() in profile.content
    page = client.get("/accounts/profile/personal-data/")
    assert page.status_code == 200 and ID_NUMBER.encode() in page.content
    entry = last_audit("personal_data.read")
    assert (entry.actor_id, entry.object_id) == (registered.pk, str(registered.pk))


def test_officer_personal_data_page_in_scope_is_audited(registered):
    officer = make_identity_officer()
    client = Client()
    client.force_login(officer)
    page = client.get(f"/system/users/{registered.pk}/personal-data/")
    assert page.status_code == 200 and ID_NUMBER.encode() in page.content
    assert last_audit("personal_data.read").actor_id == officer.pk
    # The user page offers the audited link, and itself shows no plaintext.
    detail = client.get(f"/system/users/{registered.pk}/")
    assert detail.status_code == 200
    assert f"/system/users/{registered.pk}/personal-data/".encode() in detail.content
    assert ID_NUMBER.encode() not in detail.content and PHONE.encode() not in detail.content


def test_officer_personal_data_page_out_of_scope_is_404(world):
    outside = make_county_citizen("gx_citizen", "360681")
    client = Client()
    client.force_login(make_identity_officer())
    assert client.get(f"/system/users/{outside.pk}/personal-data/").status_code == 404
    assert not AuditEntry.objects.filter(action="personal_data.read").exists()


def test_admin_without_permission_gets_403_on_the_personal_data_page(registered, world):
    client = Client()
    client.force_login(world.admin)
    assert client.get(f"/system/users/{registered.pk}/personal-data/").status_code == 403
    assert not AuditEntry.objects.filter(action="personal_data.read").exists()
    detail = client.get(f"/system/users/{registered.pk}/")
    assert detail.status_code == 200
    assert f"/system/users/{registered.pk}/personal-data/".encode() not in detail.content
