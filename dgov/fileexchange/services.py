"""Writes of file exchange: preparing a package (read the grant's snapshot, write, encrypt, sign,
store, record) and recording each download, both audited; expiring old packages (their files are
removed, their records and download history kept)."""

import datetime as dt
import os
import uuid

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from dgov.core import audit
from dgov.core.context import current
from dgov.core.errors import DgovError, NotFound, ValidationError
from dgov.core.permissions import get_scoped
from dgov.fileexchange import build, selectors
from dgov.fileexchange.models import FilePackage, Format, PackageDownload, PackageStatus


class Gone(DgovError):
    status = 410
    code = "expired"


class GrantEnded(DgovError):
    status = 403
    code = "grant_ended"


def lifetime() -> dt.timedelta:
    return dt.timedelta(days=int(getattr(settings, "DGOV_FILEEXCHANGE_DAYS", 7)))


def recipient_credential(application):
    """The application's newest enabled, unexpired SM2 gateway credential, or None."""
    from dgov.exchange.models import Algorithm, ConsumerCredential

    return (ConsumerCredential.objects.filter(application=application, algorithm=Algorithm.SM2, enabled=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
            .order_by("-created_at", "-pk").first())


def refusal(grant, fmt: str) -> DgovError | None:
    """Why no package can be prepared under `grant` in `fmt` now, or None."""
    from dgov.sharing.selectors import active_grant

    if fmt not in Format.values:
        return ValidationError(details={"format": [_("Choose one of the allowed values.")]})
    if fmt == Format.PARQUET and not build.parquet_available():
        return ValidationError(_("Parquet packages need the optional component pyarrow, which this server does "
                                 "not have (pip install dgov[parquet]); choose csv or xlsx."),
                               code="format_unavailable", details={"format": [_("Parquet is not available on "
                                                                                "this server.")]})
    current_grant = active_grant(grant.application, grant.entry)
    if current_grant is None or current_grant.pk != grant.pk:
        return ValidationError(_("The grant is not usable now (revoked, replaced, expired or not yet valid)."),
                               code="grant_not_usable")
    if grant.entry.sharing_method not in selectors.FILE_METHODS:
        return ValidationError(_("The catalog shares this resource by %(method)s only: file packages are for "
                                 "resources shared by file or database.") % {
            "method": grant.entry.get_sharing_method_display() or "—"}, code="sharing_method")
    if recipient_credential(grant.application) is None:
        return ValidationError(_("The application %(app)s has no enabled SM2 credential: a package is encrypted "
                                 "for the recipient's SM2 public key. Its department adds one under 数据平台 → "
                                 "网关凭据 (HMAC-SM3 credentials cannot receive files).") % {
            "app": grant.application.code}, code="no_sm2_credential")
    return None


def _manifest_base(*, package_id: str, grant, credential, plan, rows: int, created_at, expires_at) -> dict:
    from dgov.fileexchange.signing import fingerprint

    entry, app = grant.entry, grant.application
    return {
        "format": build.FORMAT_VERSION,
        "package_id": package_id,
        "created_at": timezone.localtime(created_at).isoformat(timespec="seconds"),
        "expires_at": timezone.localtime(expires_at).isoformat(timespec="seconds"),
        "issuer": {"node": settings.DGOV_NODE_CODE, "name": settings.DGOV_NODE_NAME},
        "dataset": {"service_code": entry.code, "name": entry.name, "provider": entry.department.name,
                    "provider_code": entry.department.code, "catalog_version": entry.version},
        "grant": {"id": grant.pk, "sharing_request": grant.request.number if grant.request_id else None,
                  "items": list(grant.items or []), "row_filter": list(grant.row_filter or []),
                  "unmasked_items": list(grant.unmasked_items or []),
                  "expires_at": timezone.localtime(grant.expires_at).isoformat(timespec="seconds")},
        "recipient": {"application": app.code, "name": app.name, "department": app.department.code,
                      "key_id": credential.key_id, "key_fingerprint": fingerprint(credential.public_key)},
        "data": {"rows": rows, "columns": [
            {"name": c.name, "item": c.item_name, "data_type": c.data_type, "mask": c.mask,
             "masked": c.name in plan.masked} for c in plan.columns]},
    }


def _actor_fields(actor) -> dict:
    return {"created_by": actor if getattr(actor, "is_official", False) else None}


def package_create(*, actor, grant, fmt: str, is_demo: bool = False) -> FilePackage:
    """A package of `grant`'s snapshot in `fmt` for the grant's application. The actor is an official
    of either party or the application itself (its service account)."""
    if not selectors.may_add_for(actor, grant):
        raise NotFound()
    error = refusal(grant, fmt)
    if error is not None:
        raise error
    credential = recipient_credential(grant.application)
    plan = build.plan(grant)
    package_id = str(uuid.uuid4())
    created_at = timezone.now()
    expires_at = min(created_at + lifetime(), grant.expires_at)
    with build.snapshot(plan) as (rows, values):
        data = build.WRITERS[fmt](plan, values)
    manifest = _manifest_base(package_id=package_id, grant=grant, credential=credential, plan=plan, rows=rows,
                              created_at=created_at, expires_at=expires_at)
    sealed = build.seal(data=data, fmt=fmt, manifest=manifest, recipient_pem=credential.public_key)
    del data
    relative = f"{created_at:%Y}/{package_id}.zip"
    path = build.package_dir() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        out.write(sealed.zip_bytes)
    try:
        with transaction.atomic():
            package = FilePackage.objects.create(
                package_id=package_id, grant=grant, application=grant.application, entry=grant.entry, format=fmt,
                rows=rows, columns=manifest["data"]["columns"], size=len(sealed.zip_bytes),
                data_sm3=sealed.data_sm3, ciphertext_sm3=sealed.ciphertext_sm3,
                package_sm3=build.lib.sm3(sealed.zip_bytes).hex(), manifest=sealed.manifest.decode("utf-8"),
                signing_key_version=sealed.key_version, recipient_key_id=credential.key_id, file_name=relative,
                expires_at=expires_at, is_demo=is_demo, **_actor_fields(actor))
            # The package is a read of the grant's data (personal data among it): who, which items,
            # which unmasked, how many rows, for whom.
            audit.record("fileexchange.filepackage.create", package, changes={
                "grant": grant.pk, "application": grant.application.code, "service_code": grant.entry.code,
                "format": fmt, "rows": rows, "items": [c.item_name for c in plan.columns],
                "unmasked": [c.item_name for c in plan.columns if c.name not in plan.masked],
                "recipient_key_id": credential.key_id, "package_sm3": package.package_sm3}, actor=actor)
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        raise
    return package


def package_path(package: FilePackage):
    return build.package_dir() / package.file_name


def download(*, actor, package: FilePackage, channel: str, key_id: str = "") -> bytes:
    """The package's bytes for `actor`, after recording the download (who, which application, when,
    address, request id) and auditing it. Refused when the package has expired (410) or its grant is
    no longer usable (403): the file is the grant's data."""
    from dgov.sharing.selectors import active_grant

    if selectors.is_application(actor):
        if package.application.account_id != actor.pk:
            raise NotFound()
    else:  # officials: the download permission, on the consumer's side only
        get_scoped(actor, "download", FilePackage.objects.all(), pk=package.pk)
    if package.is_expired:
        raise Gone(_("The package has expired; prepare a new one."))
    if active_grant(package.application, package.entry) is None:
        raise GrantEnded(_("The grant this package was made under is no longer usable: the package cannot be "
                           "downloaded."))
    try:
        data = package_path(package).read_bytes()
    except FileNotFoundError:
        raise Gone(_("The package file is no longer stored; prepare a new one.")) from None
    ctx = current()
    application = package.application if selectors.is_application(actor) else None
    with transaction.atomic():
        PackageDownload.objects.create(
            package=package, user=actor if getattr(actor, "pk", None) else None,
            username=getattr(actor, "username", "")[:150], application=application, channel=channel,
            key_id=key_id[:40], ip=ctx.ip if ctx else None, request_id=(ctx.request_id if ctx else "")[:64])
        audit.record("fileexchange.filepackage.download", package, changes={
            "channel": channel, "application": package.application.code, "key_id": key_id,
            "package_sm3": package.package_sm3}, actor=actor)
    return data


def purge_expired(*, now=None) -> int:
    """Mark packages past their expiry expired and remove their files; returns how many."""
    now = now or timezone.now()
    count = 0
    for package in FilePackage.objects.filter(status=PackageStatus.READY, expires_at__lte=now).iterator():
        with transaction.atomic():
            FilePackage.objects.filter(pk=package.pk).update(status=PackageStatus.EXPIRED, updated_at=now)
            audit.record("fileexchange.filepackage.purge", package,
                         changes={"expired_at": package.expires_at.isoformat()})
        package_path(package).unlink(missing_ok=True)
        count += 1
    return count


