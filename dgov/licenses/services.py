"""Writes of electronic licences, each audited in its transaction: licence types, e-seals (create, renew,
revoke), issuing (directly, as a case's result, or imported), re-issuing, revoking and expiring licences,
the holders' grants, and the record of every use and verification.

`issue(...)` is also what a case system calls for a case's result (issue 8):

    issue(actor=official, license_type=t, issuer=department, holder_kind="person", holder_code="3606…",
          holder_name="李娜", fields={"address": "…"}, case_reference="YT-2026-000123")
"""

import calendar
import datetime as dt
import io
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.context import current
from dgov.core.errors import Conflict, NotFound, ValidationError
from dgov.core.permissions import require_in_scope, require_permission
from dgov.core.services import save_object
from dgov.core.validators import validate_credit_code, validate_id_number
from dgov.crypto.fields import blind_index
from dgov.crypto.primitives import DEFAULT_SIGNER_ID, sm3
from dgov.licenses import maker, metadata, x509
from dgov.licenses.identifier import IdentifierError, build
from dgov.licenses.models import (
    HOLDER_INDEX,
    Counter,
    EventKind,
    HolderKind,
    License,
    LicenseEvent,
    LicenseGrant,
    LicenseStatus,
    LicenseType,
    LicenseUse,
    Seal,
    SealStatus,
    Source,
    TypeStatus,
)

SEAL_KEY_PREFIX = "dgov.licenses.seal."
MAX_PNG_BYTES = 512 * 1024


def identifier_message(exc: IdentifierError) -> str:
    """An identifier error in the reader's language."""
    return _(exc.template) % exc.params


# --- numbers handed out under a lock --------------------------------------------------------------
def next_value(key: str) -> int:
    """The next number under `key`, inside the caller's transaction. The UPDATE holds the counter's row
    lock (PostgreSQL) or the database's write lock (SQLite's IMMEDIATE transactions) until the caller
    commits, so two transactions never get the same number; a first use creates the row, and a creator
    that loses the race updates the winner's row instead."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value must run inside the transaction that uses the number")
    if not Counter.objects.filter(key=key).update(value=F("value") + 1):
        try:
            with transaction.atomic():
                Counter.objects.create(key=key, value=1)
            return 1
        except IntegrityError:
            Counter.objects.filter(key=key).update(value=F("value") + 1)
    return Counter.objects.get(key=key).value


# --- licence types --------------------------------------------------------------------------------
def type_save(*, actor, license_type: LicenseType, issuing_departments=None) -> LicenseType:
    """Create or change a licence type. Its code is given once, on creation: the defining department's
    credit code and the next of its 3-digit sequence; neither the defining department nor the holder
    kind change once the type exists (the code and the licences depend on them)."""
    with transaction.atomic():
        errors = metadata.check_definition(license_type.fields, license_type.face)
        if errors:
            raise ValidationError(details=errors)
        license_type.fields, license_type.face = metadata.normalise_definition(license_type.fields,
                                                                               license_type.face)
        issuing = list(issuing_departments) if issuing_departments is not None else None
        if issuing is not None and not issuing:
            raise ValidationError(details={"issuing_departments": [_("Name at least one issuing department.")]})
        if license_type._state.adding:
            defining = license_type.defining_department
            if not defining.credit_code:
                raise ValidationError(details={"defining_department": [_(
                    "%(department)s has no unified social credit code yet: a type code starts with it. Enter it "
                    "on the department's page first.") % {"department": defining.name}]})
            sequence = next_value(f"type:{defining.credit_code}")
            if sequence > 999:
                raise ValidationError(details={"defining_department": [_("The department has defined 999 licence "
                                                                        "types: no type code is left.")]})
            license_type.code = f"{defining.credit_code}{sequence:03d}"
        else:
            stored = LicenseType.objects.get(pk=license_type.pk)
            if stored.defining_department_id != license_type.defining_department_id:
                raise ValidationError(details={"defining_department": [_("This cannot change once the type "
                                                                         "exists.")]})
            if stored.holder_kind != license_type.holder_kind and stored.licenses.exists():
                raise ValidationError(details={"holder_kind": [_("This cannot change once licences of the type "
                                                                 "were issued.")]})
        m2m = {"issuing_departments": issuing} if issuing is not None else None
        return save_object(actor=actor, instance=license_type, m2m=m2m)


# --- e-seals --------------------------------------------------------------------------------------
def check_png(data: bytes) -> bytes:
    """An uploaded seal picture: a PNG Pillow can read, at most 512 KB, 64 to 2048 pixels a side."""
    from PIL import Image, UnidentifiedImageError

    problem = None
    if len(data) > MAX_PNG_BYTES:
        problem = _("The picture is larger than 512 KB.")
    else:
        try:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
                kind, size = image.format, image.size
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            kind, size = None, (0, 0)
        if kind != "PNG":
            problem = _("Upload the seal's picture as a PNG file.")
        elif not all(64 <= side <= 2048 for side in size):
            problem = _("The picture must be 64 to 2048 pixels wide and high.")
    if problem:
        raise ValidationError(details={"image": [problem]})
    return data


def default_image(seal: Seal) -> bytes:
    """A round red seal with the department's name along the top and the seal's own name below."""
    from dgov.licenses.sealimage import seal_png

    department = seal.department.name
    bottom = seal.name[len(department):] if seal.name.startswith(department) else seal.name
    return seal_png(department, bottom=bottom[:12])


def _signer_certificate(seal: Seal, key_state, now: dt.datetime) -> tuple[bytes, int, object]:
    from dgov.crypto.primitives import SM2PublicKey

    maker_cert = maker.certificate()
    serial = secrets.randbits(63) + 1
    subject = {"C": "CN", "O": seal.department.name, "CN": f"{seal.name}（{seal.es_id}）"}
    if seal.department.credit_code:
        subject["organizationIdentifier"] = seal.department.credit_code
    der = x509.make_certificate(
        subject=subject, public_key=SM2PublicKey.from_pem(key_state.public_pems[seal.key_version]),
        issuer=maker.subject(), sign=lambda tbs: maker.sign(tbs, maker_cert.key_version), serial=serial,
        not_before=min(seal.valid_from, now), not_after=seal.valid_until, ca=False,
        issuer_public_key=maker.public_key(maker_cert.key_version))
    return der, serial, maker_cert


def _make_seal(seal: Seal, now: dt.datetime) -> None:
    """The seal's signer certificate and SES_Seal for its current key version, signed by the maker."""
    from dgov.kms.services import key_state
    from dgov.licenses import ses

    state = key_state(seal.key_name)
    seal.key_version = state.key.latest_version
    certificate, serial, maker_cert = _signer_certificate(seal, state, now)
    info = ses.SealInfo(
        es_id=seal.es_id, vid=str(seal.version), seal_type=ses.SEAL_TYPE_ORGANISATION, name=seal.name,
        cert_list=[certificate], created=now, valid_start=seal.valid_from, valid_end=seal.valid_until,
        picture_type="PNG", picture=bytes(seal.image), width_mm=seal.width_mm, height_mm=seal.height_mm)
    seal.seal_der = ses.build_seal(info, bytes(maker_cert.certificate),
                                   lambda data: maker.sign(data, maker_cert.key_version))
    seal.certificate, seal.certificate_serial, seal.maker = certificate, str(serial), maker_cert


def _check_validity(valid_from, valid_until) -> None:
    if valid_until <= valid_from:
        raise ValidationError(details={"valid_until": [_("The end of the validity is before its start.")]})
    if valid_until <= timezone.now():
        raise ValidationError(details={"valid_until": [_("The validity must end in the future.")]})
    if (valid_until - valid_from).days > 366 * 10:
        raise ValidationError(details={"valid_until": [_("A seal is valid for at most ten years.")]})


def seal_create(*, actor, seal: Seal, image: bytes | None = None) -> Seal:
    """Make an e-seal for its department: an SM2 signing key of its own in the key service (a platform
    key owned by the department: nobody can export it), a signer certificate for that key issued by the
    maker, and the SES_Seal the maker signs. Without `image`, the picture is drawn (sealimage)."""
    from dgov.kms.services import ensure_platform_sm2_key

    with transaction.atomic():
        require_permission(actor, Seal, "add")
        require_in_scope(actor, "add", seal)
        _check_validity(seal.valid_from, seal.valid_until)
        now = timezone.now()
        region6 = seal.department.region.code[:6]
        year = f"{timezone.localtime(now):%Y}"  # the year in Asia/Shanghai, as the seal's number reads
        seal.es_id = f"{region6}{year}{next_value(f'seal:{region6}:{year}'):06d}"
        seal.image = check_png(image) if image is not None else default_image(seal)
        seal.image_uploaded = image is not None
        seal.key_name = SEAL_KEY_PREFIX + seal.es_id
        ensure_platform_sm2_key(seal.key_name, f"e-seal {seal.es_id}", department=seal.department)
        _make_seal(seal, now)
        seal.full_clean()
        seal.save()
        audit.record("licenses.seal.create", seal, changes={
            "es_id": seal.es_id, "name": seal.name, "department": seal.department.code, "key": seal.key_name,
            "valid_from": seal.valid_from.isoformat(), "valid_until": seal.valid_until.isoformat(),
            "certificate_serial": seal.certificate_serial, "image_uploaded": seal.image_uploaded}, actor=actor)
    return seal


def seal_renew(*, actor, seal: Seal, valid_until: dt.datetime, image: bytes | None = None) -> Seal:
    """A new version of the seal: a new version of its key, a new certificate and SES_Seal, valid from
    now until `valid_until`. Licences sealed before keep verifying with the version they carry."""
    from dgov.kms.services import key_rotate

    with transaction.atomic():
        seal = Seal.objects.select_for_update().select_related("department__region").get(pk=seal.pk)
        require_in_scope(actor, "change", seal)
        if seal.status != SealStatus.ACTIVE:
            raise Conflict(_("A revoked seal cannot be renewed: make a new one."))
        now = timezone.now()
        _check_validity(now, valid_until)
        before = {"version": seal.version, "valid_until": seal.valid_until.isoformat()}
        if image is not None:
            seal.image, seal.image_uploaded = check_png(image), True
        key_rotate(actor=actor, key=_kms_key(seal), system=True)
        seal.version += 1
        seal.valid_from, seal.valid_until = now, valid_until
        _make_seal(seal, now)
        seal.save()
        audit.record("licenses.seal.renew", seal, changes={
            "version": [before["version"], seal.version], "valid_until": [before["valid_until"],
                                                                           valid_until.isoformat()],
            "certificate_serial": seal.certificate_serial}, actor=actor)
    return seal


def _kms_key(seal: Seal):
    from dgov.kms.models import Key

    return Key.objects.get(name=seal.key_name)


def seal_revoke(*, actor, seal: Seal, reason: str) -> Seal:
    """Withdraw a seal: nothing more is sealed with it, and licences it sealed no longer verify (re-issue
    them with another seal)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(details={"reason": [_("Give the reason.")]})
    with transaction.atomic():
        seal = Seal.objects.select_for_update().get(pk=seal.pk)
        require_in_scope(actor, "revoke", seal)
        if seal.status == SealStatus.REVOKED:
            raise Conflict(_("The seal is already revoked."))
        seal.status, seal.revoked_at, seal.revoke_reason = SealStatus.REVOKED, timezone.now(), reason[:200]
        seal.save(update_fields=["status", "revoked_at", "revoke_reason", "updated_at"])
        audit.record("licenses.seal.revoke", seal, changes={"status": ["active", "revoked"], "reason": reason},
                     actor=actor)
    return seal


def seal_for(issuer) -> Seal | None:
    """The issuer's seal to use now: its newest usable one."""
    now = timezone.now()
    usable = Seal.objects.filter(department=issuer, status=SealStatus.ACTIVE, valid_from__lte=now, valid_until__gt=now)
    return usable.select_related("department").order_by("-valid_from", "-pk").first()


# --- issuing --------------------------------------------------------------------------------------
@dataclass
class Draft:
    """A licence checked and ready to be written (everything but its number and file)."""

    license_type: LicenseType
    issuer: object
    holder_kind: str
    holder_code: str
    holder_name: str
    fields: dict
    physical_number: str
    issued_on: dt.date
    valid_from: dt.date
    valid_until: dt.date | None
    seal: Seal


def add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def clean_holder_code(kind: str, code: str) -> str:
    """A 身份证号 (GB 11643) for a person, a 统一社会信用代码 (GB 32100) for an enterprise, normalised."""
    try:
        return validate_id_number(code or "") if kind == HolderKind.PERSON else validate_credit_code(code or "")
    except DjangoValidationError as exc:
        raise ValidationError(details={"holder_code": exc.messages}) from None


def issuing_problems(license_type: LicenseType, issuer) -> dict[str, list[str]]:
    """Why `issuer` cannot issue `license_type` now, by input name ({} when it can)."""
    errors: dict[str, list[str]] = {}
    if license_type.status != TypeStatus.ACTIVE:
        errors["license_type"] = [_("The licence type is retired: no new licences of it are issued.")]
    if not license_type.issuing_departments.filter(pk=issuer.pk).exists():
        errors["issuer"] = [_("%(department)s does not issue %(type)s.") % {"department": issuer.name,
                                                                            "type": license_type.name}]
    elif not issuer.credit_code:
        errors["issuer"] = [_("%(department)s has no unified social credit code yet: the licence identifier "
                              "contains it.") % {"department": issuer.name}]
    elif seal_for(issuer) is None:
        errors["issuer"] = [_("%(department)s has no e-seal in use: make one in the seal registry first.")
                            % {"department": issuer.name}]
    return errors


def prepare(*, actor, license_type: LicenseType, issuer, holder_kind: str, holder_code: str, holder_name: str,
            fields: dict, physical_number: str = "", issued_on: dt.date | None = None,
            valid_from: dt.date | None = None, valid_until: dt.date | None = None, check_scope: bool = True) -> Draft:
    """Check everything about a licence to issue; a ValidationError names every field that is wrong."""
    if check_scope:
        require_permission(actor, License, "add")
        require_in_scope(actor, "add", License(issuer=issuer))
    errors = issuing_problems(license_type, issuer)
    if holder_kind != license_type.holder_kind:
        errors["holder_kind"] = [_("%(type)s is held by a %(kind)s.") % {
            "type": license_type.name, "kind": HolderKind(license_type.holder_kind).label}]
    try:
        holder_code = clean_holder_code(holder_kind, holder_code)
    except ValidationError as exc:
        errors.update(exc.details)
    holder_name = (holder_name or "").strip()
    if not holder_name or len(holder_name) > 200:
        errors["holder_name"] = [_("Enter the holder's name (at most 200 characters).")]
    values, field_errors = metadata.clean_values(license_type, fields or {})
    errors.update({f"fields.{key}": messages for key, messages in field_errors.items()})
    physical_number = (physical_number or "").strip()
    if len(physical_number) > 64:
        errors["physical_number"] = [_("At most 64 characters.")]
    issued_on = issued_on or timezone.localdate()
    valid_from = valid_from or issued_on
    if license_type.validity_months and valid_until is None:
        valid_until = add_months(valid_from, license_type.validity_months) - dt.timedelta(days=1)
    if issued_on > timezone.localdate():
        errors["issued_on"] = [_("The issue date is in the future.")]
    if valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = [_("The end of the validity is before its start.")]
    elif valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = [_("The licence has already expired: only licences still valid are issued.")]
    seal = seal_for(issuer)
    if errors:
        raise ValidationError(details=errors)
    return Draft(license_type, issuer, holder_kind, holder_code, holder_name, values, physical_number, issued_on,
                 valid_from, valid_until, seal)


def verify_url(identifier: str) -> str:
    """The public verification page of a licence: what its QR code holds."""
    from urllib.parse import quote

    return f"{settings.DGOV_PUBLIC_URL}/licenses/verify/?id={quote(identifier, safe='')}"


#: the fixed words of the face: Chinese whatever the reader's language (the face is a Chinese legal document)
FACE_WORDS = {"person_code": "公民身份号码", "enterprise_code": "统一社会信用代码", "number": "证照编号",
              "person": "持证人", "enterprise": "名称"}


def seal_file(license_obj: License) -> bytes:
    """The licence's face rendered as a PDF (its metadata embedded) and sealed with its seal: an
    SES_Signature over the SM3 of the file, signed with the seal's key in the key service."""
    from dgov.kms.services import key_state
    from dgov.licenses import pdfseal, render, ses

    t, seal, kind = license_obj.license_type, license_obj.seal, license_obj.holder_kind
    fields = [(FACE_WORDS[f"{kind}_code"], license_obj.holder_code)]
    values = license_obj.metadata
    fields += [(f["label"], values[f["key"]]) for f in metadata.ordered(t) if f["key"] in values]
    if license_obj.physical_number:
        fields.append((FACE_WORDS["number"], license_obj.physical_number))
    face = render.Face(
        title=t.title, subtitle=(t.face or {}).get("subtitle", ""), fields=fields, holder_label=FACE_WORDS[kind],
        holder_name=license_obj.holder_name, issuer_name=license_obj.issuer.name, issued_on=license_obj.issued_on,
        valid_text=valid_text(license_obj), identifier=license_obj.identifier,
        verify_url=verify_url(license_obj.identifier), seal_png=bytes(seal.image), seal_mm=seal.width_mm,
        metadata=metadata.embedded(license_obj), demo=bool(license_obj.is_demo),
        layout=(t.face or {}).get("layout") or "a4")
    pdf = render.render(face)
    private = key_state(seal.key_name).sm2(seal.key_version)

    def make_signature(digest: bytes) -> bytes:
        return ses.build_signature(seal_der=bytes(seal.seal_der), signed_at=license_obj.signed_at, data_hash=digest,
                                   property_info=license_obj.identifier, signer_cert=bytes(seal.certificate),
                                   sign=lambda tbs: private.sign(tbs, DEFAULT_SIGNER_ID))

    return pdfseal.seal_pdf(pdf, make_signature)


def valid_text(license_obj: License) -> str:
    """The validity as the face prints it (Chinese)."""
    start = f"{license_obj.valid_from:%Y年%m月%d日}"
    return f"{start}至长期" if license_obj.valid_until is None else f"{start}至{license_obj.valid_until:%Y年%m月%d日}"


def holder_index(code: str) -> str:
    return blind_index(code, HOLDER_INDEX)


def write(draft: Draft, *, actor, source: str, case_reference: str = "", is_demo: bool = False,
          previous: License | None = None, reason: str = "") -> License:
    """Number, render, seal and store a prepared licence (inside the caller's transaction)."""
    t, issuer = draft.license_type, draft.issuer
    serial = previous.serial if previous else next_value(f"serial:{t.pk}:{issuer.pk}")
    version = previous.version + 1 if previous else 1
    try:
        identifier = build(t.code, issuer.credit_code, serial, version)
    except IdentifierError as exc:
        raise ValidationError(identifier_message(exc), code="identifier") from None
    lic = License(
        identifier=identifier, license_type=t, issuer=issuer, serial=serial, version=version,
        holder_kind=draft.holder_kind, holder_code=draft.holder_code, holder_code_index=holder_index(draft.holder_code),
        holder_name=draft.holder_name, metadata=draft.fields, physical_number=draft.physical_number,
        issued_on=draft.issued_on, valid_from=draft.valid_from, valid_until=draft.valid_until, seal=draft.seal,
        signed_at=timezone.now().replace(microsecond=0), source=source, case_reference=(case_reference or "")[:64],
        previous=previous, issued_by=actor if getattr(actor, "pk", None) else None, is_demo=is_demo,
        pdf=b"", file_sm3="")
    lic.save()
    # The status-list index is the record's own number; the sealed file carries it (license.json's
    # "credential_status"), so that whoever holds only the file finds its bit in the status list.
    lic.status_index = lic.pk
    lic.pdf = seal_file(lic)
    lic.file_sm3 = sm3(lic.pdf).hex()
    License.objects.filter(pk=lic.pk).update(status_index=lic.status_index, pdf=lic.pdf, file_sm3=lic.file_sm3)
    kind = {Source.IMPORT: EventKind.IMPORT}.get(source, EventKind.REISSUE if previous else EventKind.ISSUE)
    LicenseEvent.objects.create(license=lic, kind=kind, reason=reason or case_reference or "",
                                actor=lic.issued_by)
    audit.record(f"licenses.license.{kind}", lic, changes={
        "identifier": identifier, "type": t.code, "issuer": issuer.code, "holder_kind": draft.holder_kind,
        "source": source, "case_reference": lic.case_reference, "seal": draft.seal.es_id, "file_sm3": lic.file_sm3,
        **({"previous": previous.identifier, "reason": reason} if previous else {})}, actor=actor)
    return lic


def issue(*, actor, license_type: LicenseType, issuer, holder_kind: str, holder_code: str, holder_name: str,
          fields: dict, case_reference: str | None = None, physical_number: str = "", issued_on: dt.date | None = None,
          valid_from: dt.date | None = None, valid_until: dt.date | None = None, source: str | None = None,
          is_demo: bool = False) -> License:
    """Issue a licence: checked (`prepare`), numbered under the (type, issuer) counter, rendered, sealed
    with the issuer's e-seal and recorded. With `case_reference` it is a case's result (source "case")."""
    with transaction.atomic():
        draft = prepare(actor=actor, license_type=license_type, issuer=issuer, holder_kind=holder_kind,
                        holder_code=holder_code, holder_name=holder_name, fields=fields,
                        physical_number=physical_number, issued_on=issued_on, valid_from=valid_from,
                        valid_until=valid_until)
        return write(draft, actor=actor, source=source or (Source.CASE if case_reference else Source.DIRECT),
                     case_reference=case_reference or "", is_demo=is_demo)


def _locked(license_obj: License, actor, action: str = "change") -> License:
    lic = License.objects.select_for_update().select_related("license_type", "issuer").get(pk=license_obj.pk)
    require_in_scope(actor, action, lic)
    return lic


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(details={"reason": [_("Give the reason.")]})
    if len(reason) > 500:
        raise ValidationError(details={"reason": [_("At most 500 characters.")]})
    return reason


def reissue(*, actor, license: License, reason: str, fields: dict | None = None, holder_name: str | None = None,
            physical_number: str | None = None) -> License:
    """A new version of a licence (same serial, version + 1, sealed anew, valid from today by the type's
    rule); the old one becomes "changed". The holder's active grants move to the new version."""
    reason = _reason(reason)
    with transaction.atomic():
        old = _locked(license, actor)
        if old.status not in (LicenseStatus.VALID, LicenseStatus.EXPIRED):
            raise Conflict(_("Only a valid or expired licence can be re-issued; this one is %(status)s.")
                           % {"status": old.get_status_display()})
        draft = prepare(actor=actor, license_type=old.license_type, issuer=old.issuer, holder_kind=old.holder_kind,
                        holder_code=old.holder_code,
                        holder_name=old.holder_name if holder_name is None else holder_name,
                        fields=old.metadata if fields is None else fields,
                        physical_number=old.physical_number if physical_number is None else physical_number,
                        check_scope=False)
        now = timezone.now()
        old.status, old.status_changed_at = LicenseStatus.CHANGED, now
        old.save(update_fields=["status", "status_changed_at", "updated_at"])
        LicenseEvent.objects.create(license=old, kind=EventKind.CHANGE, reason=reason, actor=_user(actor))
        new = write(draft, actor=actor, source=old.source, case_reference=old.case_reference, is_demo=old.is_demo,
                    previous=old, reason=reason)
        LicenseGrant.objects.filter(license=old, revoked_at__isnull=True, expires_at__gt=now).update(
            license=new, updated_at=now)
    return new


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def revoke(*, actor, license: License, reason: str) -> License:
    """Revoke a valid licence (it appears on the status list from now on)."""
    reason = _reason(reason)
    with transaction.atomic():
        lic = _locked(license, actor)
        if lic.status != LicenseStatus.VALID:
            raise Conflict(_("Only a valid licence can be revoked; this one is %(status)s.")
                           % {"status": lic.get_status_display()})
        lic.status, lic.status_changed_at = LicenseStatus.REVOKED, timezone.now()
        lic.save(update_fields=["status", "status_changed_at", "updated_at"])
        LicenseEvent.objects.create(license=lic, kind=EventKind.REVOKE, reason=reason, actor=_user(actor))
        audit.record("licenses.license.revoke", lic, changes={"status": ["valid", "revoked"], "reason": reason},
                     actor=actor)
    return lic


def expire_due(*, today: dt.date | None = None) -> int:
    """Mark valid licences whose validity ended before `today` expired (the daily `licenses_expire`)."""
    today = today or timezone.localdate()
    count = 0
    for pk in License.objects.filter(status=LicenseStatus.VALID, valid_until__lt=today).values_list("pk", flat=True):
        with transaction.atomic():
            lic = License.objects.select_for_update().filter(pk=pk, status=LicenseStatus.VALID).first()
            if lic is None:
                continue
            lic.status, lic.status_changed_at = LicenseStatus.EXPIRED, timezone.now()
            lic.save(update_fields=["status", "status_changed_at", "updated_at"])
            LicenseEvent.objects.create(license=lic, kind=EventKind.EXPIRE,
                                        reason=_("Valid until %(day)s.") % {"day": lic.valid_until.isoformat()})
            audit.record("licenses.license.expire", lic, changes={"status": ["valid", "expired"],
                                                                  "valid_until": lic.valid_until.isoformat()})
            count += 1
    return count


# --- the holder's grants and the uses made of them -----------------------------------------------------
def grant_create(*, actor, license: License, department, expires_at: dt.datetime, case_reference: str = "",
                 purpose: str = "") -> LicenseGrant:
    """The holder lets `department` (for one case, when `case_reference` is given) pull the licence until
    `expires_at` (at most DGOV_LICENSE_GRANT_MAX_DAYS days ahead)."""
    from dgov.licenses.selectors import is_holder
    from dgov.licenses.verification import current_status

    if not is_holder(actor, license):
        raise NotFound()
    errors = {}
    now = timezone.now()
    if current_status(license) != LicenseStatus.VALID:  # a licence past its end counts as expired already
        errors["license"] = [_("Only a valid licence can be shared.")]
    if expires_at <= now:
        errors["expires_at"] = [_("The access must end in the future.")]
    elif expires_at > now + dt.timedelta(days=settings.DGOV_LICENSE_GRANT_MAX_DAYS):
        errors["expires_at"] = [_("Access is given for at most %(days)d days.")
                                % {"days": settings.DGOV_LICENSE_GRANT_MAX_DAYS}]
    if not department.is_active:
        errors["department"] = [_("The department is no longer active.")]
    if len(case_reference or "") > 64 or len(purpose or "") > 200:
        errors["case_reference"] = [_("The case reference is at most 64 characters, the purpose 200.")]
    if errors:
        raise ValidationError(details=errors)
    with transaction.atomic():
        grant = LicenseGrant.objects.create(license=license, department=department, valid_from=now,
                                            expires_at=expires_at, case_reference=(case_reference or "").strip(),
                                            purpose=(purpose or "").strip(), created_by=actor)
        audit.record("licenses.licensegrant.create", grant, changes={
            "license": license.identifier, "department": department.code, "case_reference": grant.case_reference,
            "expires_at": expires_at.isoformat()}, actor=actor)
    return grant


def grant_revoke(*, actor, grant: LicenseGrant) -> LicenseGrant:
    """The holder withdraws a grant; pulls through it stop at once."""
    from dgov.licenses.selectors import is_holder

    if not is_holder(actor, grant.license):
        raise NotFound()
    with transaction.atomic():
        grant = LicenseGrant.objects.select_for_update().get(pk=grant.pk)
        if grant.revoked_at is not None:
            raise Conflict(_("The access was already withdrawn."))
        grant.revoked_at = timezone.now()
        grant.save(update_fields=["revoked_at", "updated_at"])
        audit.record("licenses.licensegrant.revoke", grant, changes={"department": grant.department.code,
                                                                     "license": grant.license.identifier},
                     actor=actor)
    return grant


def record_use(*, actor, license: License, grant: LicenseGrant, action: str, case_reference: str = "") -> LicenseUse:
    """A department's pull through a grant: shown to the holder, and audited as a read of personal data."""
    ctx = current()
    with transaction.atomic():
        use = LicenseUse.objects.create(
            license=license, grant=grant, department=grant.department, user=_user(actor),
            username=getattr(actor, "username", "")[:150], action=action, case_reference=(case_reference or "")[:64],
            ip=ctx.ip if ctx else None, request_id=(ctx.request_id if ctx else "")[:64])
        audit.record("licenses.license.pull", license, changes={
            "action": action, "grant": grant.pk, "department": grant.department.code,
            "case_reference": use.case_reference}, actor=actor)
    return use
