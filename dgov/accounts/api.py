from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate
from ninja.security import HttpBearer

from dgov.accounts import selectors, services
from dgov.accounts.models import Application
from dgov.accounts.schemas import (
    ApplicationIn,
    ApplicationOut,
    ApplicationPatch,
    ApplicationTokenIn,
    ApplicationTokenOut,
    IdentityVerificationOut,
    MeOut,
    PersonalDataOut,
    RegisteredOut,
    RegisterIn,
    TokenIn,
    TokenOut,
    UnverifyIdentityIn,
    UserFilter,
    UserOut,
    VerifyIdentityIn,
)
from dgov.core.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    LoginRateThrottle,
    Pagination,
    actor_of,
    by_natural_key,
    cached_json,
    crud_router,
    errors,
)
from dgov.core.cache import IDENTITY, REFERENCE, ProcessCache
from dgov.core.context import current
from dgov.core.errors import Conflict, DgovError, ValidationError
from dgov.core.permissions import get_scoped
from dgov.orgs.models import Department
from dgov.orgs.selectors import region_get


class BearerTokenAuth(HttpBearer):
    """`Authorization: Bearer dgov_…`."""

    def authenticate(self, request, token):
        user = services.token_authenticate(token)
        if user is not None:
            request.user = user
            ctx = current()
            if ctx is not None:
                ctx.user = user
        return user


auth_router = Router(tags=["auth"])


@auth_router.post("/token", auth=None, response={200: TokenOut, **errors(401, 403, 422, 429)},
                  operation_id="create_token", throttle=[LoginRateThrottle()])
def create_token(request, payload: TokenIn):
    """Log in with username, password and (for accounts with a second factor) a one-time code.
    Errors: `invalid_credentials`, `account_locked`, `otp_required`, `otp_invalid`."""
    result = services.login(username=payload.username, password=payload.password, otp=payload.otp, channel="api")
    token, plaintext = services.token_create(
        user=result.user, name="login", lifetime=timedelta(hours=settings.DGOV_LOGIN_TOKEN_HOURS))
    return {"token": plaintext, "expires_at": token.expires_at}


@auth_router.post("/register", auth=None, response={201: RegisteredOut, **errors(422, 429)},
                  operation_id="register", throttle=[LoginRateThrottle()])
def register(request, payload: RegisterIn):
    """Register a natural person (身份证号, GB 11643) or an enterprise (统一社会信用代码, GB 32100).
    Field errors come back in `details`, in Chinese by default."""
    region = None
    if payload.region_code:
        try:
            region = region_get(payload.region_code)
        except DgovError as exc:  # not found, or malformed: report it against the field
            raise ValidationError(details={"region_code": [str(exc.message)]}) from None
    common = {"username": payload.username, "password": payload.password, "phone": payload.phone,
              "region": region}
    if payload.kind == "citizen":
        user = services.register_citizen(real_name=payload.real_name or "", id_number=payload.id_number or "",
                                         **common)
    else:
        user = services.register_enterprise(
            enterprise_name=payload.enterprise_name or "", credit_code=payload.credit_code or "",
            legal_representative=payload.legal_representative or "", **common)
    return Status(201, user)


router = Router(tags=["users"])


_profiles = ProcessCache("me", maxsize=20000, ttl=300)


def _me_payload(user) -> dict:
    data = selectors.me(user)
    return {**UserOut.from_orm(data.pop("user")).dict(), **data}


@router.get("/me", response={200: MeOut, **errors(401)}, operation_id="me")
def me(request):
    """The caller: profile, roles with their data scope, masked identity. Cached per process until
    the caller's identity data or the reference data it names changes."""
    user = actor_of(request)
    return cached_json(_profiles, user.pk, (IDENTITY.current(), REFERENCE.current()), MeOut,
                       lambda: _me_payload(user))


@router.get("/users", response={200: list[UserOut], **READ_ERRORS}, operation_id="list_users")
@paginate(Pagination)
def list_users(request, filters: UserFilter = Query(...)):
    """Users within the caller's data scope."""
    return filters.filter(selectors.users_visible(actor_of(request)))


@router.get("/users/{user_id}", response={200: UserOut, **READ_ERRORS}, operation_id="get_user")
def get_user(request, user_id: int):
    """One user; 404 when outside the caller's data scope."""
    return selectors.user_get(actor_of(request), user_id)


@router.get("/users/{user_id}/personal-data", response={200: PersonalDataOut, **READ_ERRORS},
            operation_id="get_user_personal_data")
def get_personal_data(request, user_id: int):
    """Unmasked personal data. Needs the personal-data permission in scope (or being the person);
    every call is audited."""
    return selectors.personal_data(actor_of(request), user_id)


def _verification_out(subject, record) -> dict:
    return {"user_id": subject.pk, "verified": record.verified, "verified_at": record.verified_at,
            "verified_by": record.verified_by.username if record.verified_by else None,
            "method": record.verification_method}


@router.post("/users/{user_id}/verify-identity", response={200: IdentityVerificationOut, **WRITE_ERRORS},
             operation_id="verify_user_identity")
def verify_identity(request, user_id: int, payload: VerifyIdentityIn):
    """Record the real-name verification (实名核验) of a citizen or enterprise account whose ID card or
    business licence was checked. Needs the identity officer's verify permission in scope; audited,
    and the person is told. 409 `already_verified`; 422 `no_identity` for officials and applications."""
    actor = actor_of(request)
    subject = selectors.user_get(actor, user_id)
    record = services.verify_identity(actor=actor, subject=subject, method=payload.method, note=payload.note)
    return _verification_out(subject, record)


@router.post("/users/{user_id}/unverify-identity", response={200: IdentityVerificationOut, **WRITE_ERRORS},
             operation_id="unverify_user_identity")
def unverify_identity(request, user_id: int, payload: UnverifyIdentityIn):
    """Withdraw a verification found to be wrong (`note`: why). The account then holds no licences
    until verified again. 409 `not_verified`."""
    actor = actor_of(request)
    subject = selectors.user_get(actor, user_id)
    record = services.unverify_identity(actor=actor, subject=subject, note=payload.note)
    return _verification_out(subject, record)


# --- applications: service accounts that call the API with tokens --------------------------------

def _resolve_application(data: dict) -> dict:
    values = dict(data)
    if "department" in values:
        values["department"] = by_natural_key(Department, "department", _("No department has this code."),
                                              code=values.pop("department"))
    return values


def _save_application(*, actor, instance):
    if instance._state.adding:
        return services.application_create(actor=actor, code=instance.code, name=instance.name,
                                           department=instance.department, description=instance.description)
    return services.application_update(actor=actor, application=instance)


applications_router = crud_router(
    model=Application, out_schema=ApplicationOut, in_schema=ApplicationIn, patch_schema=ApplicationPatch,
    lookup="code", lookup_type=str, resolve=_resolve_application, save=_save_application,
    delete=lambda *, actor, instance: services.application_deactivate(actor=actor, application=instance),
    queryset=lambda: Application.objects.select_related("department", "account"), tags=["applications"])


@applications_router.post("/{code}/tokens", response={201: ApplicationTokenOut, **WRITE_ERRORS},
                          operation_id="create_application_token")
def create_application_token(request, code: str, payload: ApplicationTokenIn):
    """Issue an API token for the application (shown once; revoke it under API tokens)."""
    actor = actor_of(request)
    app = get_scoped(actor, "change", Application.objects.select_related("account", "department"), code=code)
    if not app.account.is_active:
        raise Conflict(_("The application is deactivated: no tokens are issued for it."), code="application_inactive")
    token, plaintext = services.token_create(
        user=app.account, name=payload.name, actor=actor,
        lifetime=timedelta(days=payload.days) if payload.days else None)
    return Status(201, {"token": plaintext, "expires_at": token.expires_at})
