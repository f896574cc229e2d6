"""`/api/v1/exchange/packages`: file packages (docs/file-exchange.md). List, prepare (POST: a grant
and a format), read one with its manifest and download history, download the zip, and the
platform's public key that signs the manifests.

Besides an API token or a browser session, the recipient application may authenticate with a
signed request exactly as at the gateway (`X-Dgov-App`, `X-Dgov-Key-Id`, `X-Dgov-Timestamp`,
`X-Dgov-Nonce`, `X-Dgov-Signature`; `dgov.exchange.gateway.authenticate`, docs/exchange.md)."""

import json

from django.http import HttpResponse
from ninja import Path, Query, Router, Status
from ninja.pagination import paginate
from ninja.security import APIKeyHeader, SessionAuth

from dgov.accounts.api import BearerTokenAuth
from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of, errors
from dgov.core.context import current
from dgov.core.errors import NotFound
from dgov.core.permissions import require_permission
from dgov.fileexchange import selectors, services, signing
from dgov.fileexchange.models import Channel, FilePackage
from dgov.fileexchange.schemas import (
    MAX_ID,
    FilePackageDetailOut,
    FilePackageFilter,
    FilePackageIn,
    FilePackageOut,
    FilePackageSigningKeyOut,
)


class SignedApplicationAuth(APIKeyHeader):
    """A gateway-style signed request of a consumer application (its SM2 or HMAC-SM3 credential)."""

    param_name = "X-Dgov-Signature"

    def authenticate(self, request, key):
        from dgov.exchange.gateway import authenticate

        if not key:
            return None  # not a signed request: the token or the session decides

        caller = authenticate(request)  # 401 in the platform's shape on any failure; uses up the nonce
        from dgov.accounts.models import Application

        account = Application.objects.select_related("account").get(pk=caller.application_id).account
        request.user = account
        request.dgov_key_id = caller.key_id
        ctx = current()
        if ctx is not None:
            ctx.user = account
        return account


AUTH = [SignedApplicationAuth(), BearerTokenAuth(), SessionAuth()]
router = Router(tags=["file exchange"], auth=AUTH)
PACKAGE = "/{package_id}"


@router.get("", response={200: list[FilePackageOut], **READ_ERRORS}, operation_id="list_file_packages")
@paginate(Pagination)
def list_packages(request, filters: FilePackageFilter = Query(...)):
    """Packages in your scope (an application: those addressed to it), newest first."""
    return filters.filter(selectors.visible_packages(actor_of(request)))


@router.post("", response={201: FilePackageDetailOut, **WRITE_ERRORS}, operation_id="create_file_package")
def create_package(request, payload: FilePackageIn):
    """Prepare a package of the grant's snapshot for the grant's application: only the grant's items,
    its row filter, masked as the gateway masks. 422 with `no_sm2_credential`, `sharing_method`,
    `grant_not_usable`, `format_unavailable`, `too_large`, `not_loaded` or `grant_misconfigured`."""
    actor = actor_of(request)
    grant = selectors.grant_for_package(actor, payload.grant_id)
    package = services.package_create(actor=actor, grant=grant, fmt=payload.format)
    return Status(201, _detail(actor, package.pk))


def _detail(actor, pk: int):
    package = selectors.package_for(actor, pk)
    package.manifest_data = json.loads(package.manifest)
    package.download_list = list(package.downloads.select_related("application"))
    return package


@router.get("/signing-key", response={200: FilePackageSigningKeyOut, **READ_ERRORS},
            operation_id="get_file_package_signing_key")
def signing_key(request, version: int | None = Query(None, ge=1, le=2**31 - 1)):
    """The platform's public key that signs package manifests (`version`: the manifest's
    `signature.key_version`; default the current one). Verify with
    `openssl pkeyutl -verify -pubin -inkey key.pem -rawin -digest sm3 -pkeyopt distid:1234567812345678 …`."""
    actor = actor_of(request)
    if not selectors.is_application(actor):
        require_permission(actor, FilePackage, "view")
    try:
        pem = signing.public_key_pem(version)
    except KeyError:
        raise NotFound() from None
    return {"key": signing.SIGNING_KEY, "version": version or signing.current_version(), "public_key_pem": pem,
            "fingerprint": signing.fingerprint(pem), "signer_id": signing.SIGNER_ID}


@router.get(PACKAGE, response={200: FilePackageDetailOut, **READ_ERRORS}, operation_id="get_file_package")
def get_package(request, package_id: int = Path(..., ge=1, le=MAX_ID)):
    """One package with its manifest and every download."""
    return _detail(actor_of(request), package_id)


@router.get(PACKAGE + "/download", response={**READ_ERRORS, **errors(410)}, operation_id="download_file_package",
            openapi_extra={"responses": {200: {"description": "The package (zip).", "content": {
                "application/zip": {"schema": {"type": "string", "format": "binary"}}}}}})
def download_package(request, package_id: int = Path(..., ge=1, le=MAX_ID)):
    """The package as a zip, recorded in its download history and the audit log. `X-Package-SM3` is
    the SM3 of the zip. 410 `expired` after its expiry; 403 `grant_ended` when its grant was revoked
    or has expired."""
    actor = actor_of(request)
    key_id = getattr(request, "dgov_key_id", "")
    package = selectors.package_for(actor, package_id, "download")
    data = services.download(actor=actor, package=package, channel=Channel.SIGNED if key_id else Channel.API,
                             key_id=key_id)
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{package.download_name}"'
    response["X-Package-SM3"] = package.package_sm3
    response["Cache-Control"] = "no-store"
    return response

