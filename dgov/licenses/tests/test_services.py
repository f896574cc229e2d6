"""The rules of the licence library: type codes, seals and their keys and certificates, issuing (numbers,
identifiers with their check character, dates), re-issuing, revoking, expiring, serials under
concurrency, and the maker."""

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from dgov.core.errors import Conflict, PermissionDenied, ValidationError
from dgov.core.testing import audited, zh
from dgov.licenses import identifier, maker, services, ses, x509
from dgov.licenses.models import License, LicenseEvent, LicenseGrant, LicenseType, Seal

from .conftest import DEFINING, FIELDS, GUIXI, VALUES, YUJIANG, issue

pytestmark = pytest.mark.django_db


def test_type_codes_follow_the_defining_departments_credit_code(world, license_type, departments):
    assert license_type.code == departments[DEFINING].credit_code + "001"
    identifier.validate_type_code(license_type.code)
    second = services.type_save(actor=world.admin, license_type=LicenseType(
        name="临时居住证", defining_department=departments[DEFINING], holder_kind="person"),
        issuing_departments=[departments[YUJIANG]])
    assert second.code.endswith("002")
    license_type.defining_department = departments[YUJIANG]
    with pytest.raises(ValidationError) as exc:
        services.type_save(actor=world.admin, license_type=license_type)
    assert "defining_department" in exc.value.details


def test_a_type_needs_a_credit_code_and_good_fields(world, departments):
    from dgov.orgs.models import Department

    city = Department.objects.get(code="360600001")
    with pytest.raises(ValidationError) as exc:
        services.type_save(actor=world.admin, license_type=LicenseType(
            name="x", defining_department=city, holder_kind="person"), issuing_departments=[city])
    assert "defining_department" in exc.value.details
    bad = [{"key": "Bad Key", "label": "", "kind": "colour"}, {"key": "holder", "label": "a", "kind": "text"},
           {"key": "c", "label": "c", "kind": "choice", "choices": []}]
    with pytest.raises(ValidationError) as exc:
        services.type_save(actor=world.admin, license_type=LicenseType(
            name="x", defining_department=departments[DEFINING], holder_kind="person", fields=bad,
            face={"field_order": ["nope"], "layout": "a3"}), issuing_departments=[departments[YUJIANG]])
    assert len(exc.value.details["fields"]) == 5 and len(exc.value.details["face"]) == 2
    with pytest.raises(PermissionDenied):  # 余江区's administrator does not define the city's types
        services.type_save(actor=world.yujiang_admin, license_type=LicenseType(
            name="x", defining_department=departments[DEFINING], holder_kind="person"),
            issuing_departments=[departments[YUJIANG]])


def test_a_seal_has_its_own_key_a_certificate_from_the_maker_and_a_signed_seal(world, seals, departments):
    from dgov.kms.models import Key

    seal = seals[YUJIANG]
    key = Key.objects.get(name=seal.key_name)
    assert key.is_system and key.department == departments[YUJIANG] and key.type == "sm2"
    current = maker.certificate()
    assert x509.issued_by(bytes(seal.certificate), bytes(current.certificate))
    info = x509.certificate_info(bytes(seal.certificate))
    assert info.subject["organizationIdentifier"] == departments[YUJIANG].credit_code and not info.ca
    parsed = ses.parse_seal(bytes(seal.seal_der))
    assert parsed.info.es_id == seal.es_id and parsed.info.cert_list == [bytes(seal.certificate)]
    assert ses.verify_seal(parsed, maker.public_key()) and parsed.info.picture == bytes(seal.image)
    assert audited("licenses.seal.create", object_id=str(seal.pk))


def test_an_uploaded_seal_picture_must_be_a_png(world, departments):
    with pytest.raises(ValidationError) as exc:
        services.seal_create(actor=world.admin, seal=Seal(
            name="章", department=departments[YUJIANG], valid_from=timezone.now(),
            valid_until=timezone.now() + dt.timedelta(days=10)), image=b"GIF89a not a png")
    assert exc.value.details["image"] == [zh("Upload the seal's picture as a PNG file.")]
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGBA", (200, 200), (255, 0, 0, 128)).save(out, "PNG")
    seal = services.seal_create(actor=world.admin, seal=Seal(
        name="章", department=departments[YUJIANG], valid_from=timezone.now(),
        valid_until=timezone.now() + dt.timedelta(days=10)), image=out.getvalue())
    assert seal.image_uploaded and bytes(seal.image) == out.getvalue()


def test_renewing_a_seal_rotates_its_key_and_keeps_old_licences_verifying(world, yujiang_license):
    from dgov.licenses.verification import verify_identifier

    seal = yujiang_license.seal
    old_cert = bytes(seal.certificate)
    renewed = services.seal_renew(actor=world.yujiang_admin, seal=seal,
                                  valid_until=timezone.now() + dt.timedelta(days=900))
    assert renewed.version == 2 and renewed.key_version == 2 and bytes(renewed.certificate) != old_cert
    assert verify_identifier(yujiang_license.identifier).valid
    lic = issue(world.yujiang_admin, yujiang_license.license_type, yujiang_license.issuer, world.citizen)
    assert lic.serial == 2 and verify_identifier(lic.identifier).valid
    services.seal_revoke(actor=world.yujiang_admin, seal=renewed, reason="遗失")
    with pytest.raises(Conflict):
        services.seal_renew(actor=world.yujiang_admin, seal=renewed, valid_until=timezone.now() + dt.timedelta(days=9))
    with pytest.raises(ValidationError) as exc:  # no seal in use: nothing is issued
        issue(world.yujiang_admin, yujiang_license.license_type, yujiang_license.issuer, world.citizen)
    assert "issuer" in exc.value.details


def test_identifiers_carry_type_issuer_serial_version_and_a_good_check_character(world, yujiang_license, seals,
                                                                                 departments):
    parsed = identifier.parse(yujiang_license.identifier)
    assert (parsed.type_code, parsed.issuer_code, parsed.serial, parsed.version) == (
        yujiang_license.license_type.code, departments[YUJIANG].credit_code, 1, 1)
    assert identifier.is_valid_check(yujiang_license.identifier)
    second = issue(world.yujiang_admin, yujiang_license.license_type, departments[YUJIANG], world.citizen)
    other = issue(world.guixi_admin, yujiang_license.license_type, departments[GUIXI], world.citizen)
    assert (second.serial, other.serial) == (2, 1)  # serials count per type and issuer
    assert yujiang_license.valid_until == yujiang_license.valid_from.replace(year=yujiang_license.valid_from.year + 1) \
        - dt.timedelta(days=1) or yujiang_license.valid_from.month == 2


def test_issuing_checks_everything_and_says_it_in_chinese(world, license_type, seals, departments):
    with pytest.raises(ValidationError) as exc:
        issue(world.yujiang_admin, license_type, departments[YUJIANG], world.citizen, holder_kind="enterprise",
              holder_code="91360603MA35XXXXX0", fields={"category": "其他", "area": "lots"})
    details = exc.value.details
    assert {"holder_kind", "holder_code", "fields.address", "fields.area"} <= set(details)
    assert details["fields.address"] == [zh("%(label)s is required.") % {"label": "居住地址"}]
    with pytest.raises(PermissionDenied):
        issue(world.official, license_type, departments[YUJIANG], world.citizen)
    with pytest.raises(PermissionDenied):
        issue(world.yujiang_admin, license_type, departments[GUIXI], world.citizen)
    with pytest.raises(ValidationError) as exc:
        issue(world.yujiang_admin, license_type, departments[YUJIANG], world.citizen,
              valid_until=timezone.localdate() - dt.timedelta(days=1), valid_from=dt.date(2020, 1, 1))
    assert "valid_until" in exc.value.details


def test_a_case_result_is_recorded_as_such(world, license_type, seals, departments):
    lic = services.issue(actor=world.yujiang_admin, license_type=license_type, issuer=departments[YUJIANG],
                         holder_kind="person", holder_code=world.citizen.person.id_number, holder_name="李娜",
                         fields=VALUES, case_reference="YJ-2026-000123")
    assert (lic.source, lic.case_reference) == ("case", "YJ-2026-000123")
    assert LicenseEvent.objects.get(license=lic).kind == "issue"


def test_reissue_keeps_the_serial_and_moves_running_grants(world, yujiang_license, departments):
    grant = services.grant_create(actor=world.citizen, license=yujiang_license, department=departments[GUIXI],
                                  expires_at=timezone.now() + dt.timedelta(days=2))
    new = services.reissue(actor=world.yujiang_admin, license=yujiang_license, reason="变更",
                           fields={**VALUES, "category": "就学"})
    yujiang_license.refresh_from_db()
    assert yujiang_license.status == "changed" and new.previous == yujiang_license
    assert (new.serial, new.version, new.metadata["category"]) == (yujiang_license.serial, 2, "就学")
    assert LicenseGrant.objects.get(pk=grant.pk).license == new
    assert [e.kind for e in yujiang_license.events.all()] == ["issue", "change"]
    with pytest.raises(Conflict):
        services.reissue(actor=world.yujiang_admin, license=yujiang_license, reason="again")
    with pytest.raises(ValidationError):
        services.revoke(actor=world.yujiang_admin, license=new, reason=" ")


def test_the_daily_command_expires_what_ended(world, license_type, seals, departments, capsys):
    lic = issue(world.yujiang_admin, license_type, departments[YUJIANG], world.citizen)
    License.objects.filter(pk=lic.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    from dgov.licenses.verification import verify_identifier

    assert verify_identifier(lic.identifier).status == "expired"  # before the job runs too
    call_command("licenses_expire")
    assert "licences expired: 1" in capsys.readouterr().out
    lic.refresh_from_db()
    assert lic.status == "expired" and lic.events.last().kind == "expire"
    assert audited("licenses.license.expire", object_id=str(lic.pk))
    call_command("licenses_expire")
    assert "licences expired: 0" in capsys.readouterr().out


def test_maker_is_created_by_init_and_trusted():
    current = maker.certificate()
    info = x509.certificate_info(bytes(current.certificate))
    assert info.ca and info.subject == info.issuer == maker.subject()
    assert x509.verify_certificate(bytes(current.certificate), maker.public_key())
    assert maker.trusted_certificates()[0] == bytes(current.certificate)
    assert not maker.ensure()


def test_the_holder_code_is_never_stored_in_clear(yujiang_license, world):
    with connection.cursor() as cursor:
        cursor.execute("SELECT holder_code, holder_code_index FROM licenses_license")
        stored, index = cursor.fetchone()
    assert world.citizen.person.id_number not in stored and stored.startswith("dgov:v")
    assert index == world.citizen.person.id_number_index


@pytest.mark.django_db(transaction=True)
def test_serials_are_unique_under_concurrent_issuing():
    """Two transactions ask for the next serial of the same type and issuer at once: one waits for the
    other's counter row (PostgreSQL) or write lock (SQLite), and they get 1 and 2."""
    if connection.vendor == "sqlite":
        pytest.skip("SQLite serialises writers with its IMMEDIATE transactions; the in-memory test database "
                    "cannot be opened from a second thread")
    from django.db import close_old_connections, transaction

    results, started = [], threading.Barrier(2)

    def take():
        try:
            started.wait(10)
            with transaction.atomic():
                number = services.next_value("serial:test:concurrency")
                threading.Event().wait(0.3)  # hold the lock a moment
            results.append(number)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [1, 2]
    from dgov.licenses.models import Counter

    Counter.objects.filter(key="serial:test:concurrency").delete()


def test_fields_of_every_kind_are_cleaned(license_type):
    from dgov.licenses.metadata import clean_values

    cleaned, errors = clean_values(license_type, {"address": " 地址 ", "since": dt.date(2024, 3, 1),
                                                  "category": "务工", "area": "1,200.50"})
    assert errors == {} and cleaned == {"address": "地址", "since": "2024-03-01", "category": "务工", "area": "1200.5"}
    assert FIELDS[0]["key"] == "address"


def test_only_a_licence_in_force_is_shared(world, yujiang_license, guixi_license, departments):
    """A licence past its end date (before the daily job marks it) or revoked cannot be shared."""
    def share(lic):
        return services.grant_create(actor=world.citizen, license=lic, department=departments[GUIXI],
                                     expires_at=timezone.now() + dt.timedelta(days=1))

    License.objects.filter(pk=yujiang_license.pk).update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    yujiang_license.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        share(yujiang_license)
    assert "license" in exc.value.details
    services.revoke(actor=world.guixi_admin, license=guixi_license, reason="吊销")
    guixi_license.refresh_from_db()
    with pytest.raises(ValidationError):
        share(guixi_license)
    assert not LicenseGrant.objects.exists()


def test_a_seals_number_carries_the_year_in_beijing_time(world, departments, monkeypatch):
    """17:00 UTC on 31 December is already 1 January in Asia/Shanghai: the seal code says the new year."""
    from .conftest import make_seal

    new_year_eve = dt.datetime(2026, 12, 31, 17, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: new_year_eve)
    seal = make_seal(world.admin, departments[YUJIANG])
    assert seal.es_id[6:10] == "2027" and seal.es_id.startswith(departments[YUJIANG].region.code[:6])
