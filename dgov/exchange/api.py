"""`/api/v1/exchange/credentials`: the consumer applications' gateway credentials. List, read,
create (an HMAC-SM3 secret is returned once), and PATCH to enable, disable or change the expiry.
Credentials are never deleted: the exchange log names them."""

import re

from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.pagination import paginate

from dgov.core.api import READ_ERRORS, WRITE_ERRORS, Pagination, actor_of
from dgov.core.errors import ValidationError
from dgov.core.permissions import require_permission
from dgov.exchange import selectors, services, statistics
from dgov.exchange.models import ConsumerCredential
from dgov.exchange.schemas import CredentialCreatedOut, CredentialFilter, CredentialIn, CredentialOut, CredentialPatch
from dgov.exchange.statistics_schemas import ExchangeStatisticsOut, ExchangeStatisticsQuery

router = Router(tags=["exchange"])
KEY = "/{key_id}"
KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,20}\.[0-9a-f]{16}")  # an application code is a slug


def _credential(request, key_id: str, action: str = "view"):
    if not KEY_ID.fullmatch(key_id):
        raise ValidationError(details={"key_id": [_("A key id is the application's code, a dot and 16 hex "
                                                    "digits.")]})
    return selectors.credential_for(actor_of(request), key_id, action)


@router.get("", response={200: list[CredentialOut], **READ_ERRORS}, operation_id="list_exchange_credentials")
@paginate(Pagination)
def list_credentials(request, filters: CredentialFilter = Query(...)):
    """The credentials of the applications in your scope."""
    return filters.filter(selectors.visible_credentials(actor_of(request)))


@router.post("", response={201: CredentialCreatedOut, **WRITE_ERRORS}, operation_id="create_exchange_credential")
def create_credential(request, payload: CredentialIn):
    """A new credential for an application of your scope. HMAC-SM3: the secret is in the answer, and
    only there. SM2: send the application's public key; it keeps the private key."""
    actor = actor_of(request)
    require_permission(actor, ConsumerCredential, "add")
    application = selectors.applications_for(actor, "add").filter(code=payload.application_code.strip()).first()
    if application is None:
        raise ValidationError(details={"application_code": [_("No application of your scope has this code.")]})
    credential, secret = services.credential_create(actor=actor, application=application,
                                                    algorithm=payload.algorithm, public_key=payload.public_key,
                                                    expires_at=payload.expires_at)
    return Status(201, CredentialCreatedOut.model_validate(credential).model_copy(update={"secret": secret}))


@router.get(KEY, response={200: CredentialOut, **READ_ERRORS}, operation_id="get_exchange_credential")
def get_credential(request, key_id: str):
    return _credential(request, key_id)


@router.patch(KEY, response={200: CredentialOut, **WRITE_ERRORS}, operation_id="update_exchange_credential")
def update_credential(request, key_id: str, payload: CredentialPatch):
    """Enable or disable the credential (`enabled`), or change `expires_at` (null: never)."""
    actor = actor_of(request)
    credential = _credential(request, key_id, "change")
    changes = payload.dict(exclude_unset=True)
    return services.credential_update(actor=actor, credential=credential, enabled=changes.get("enabled"),
                                      expires_at=changes.get("expires_at", ...))



# --- /api/v1/exchange/statistics (mounted on its own in dgov/api.py) ------------------------------
statistics_router = Router(tags=["exchange"])


@statistics_router.get("", response={200: ExchangeStatisticsOut, **READ_ERRORS}, operation_id="exchange_statistics")
def get_statistics(request, query: ExchangeStatisticsQuery = Query(...)):
    """Calls per day, data service and consumer application, unsuccessful calls and latency, and the
    sharing requests' approval times in working days against the deadlines, over `since`–`until`
    (default the last 30 days, at most 366) and what you may see: your department's applications and
    requests (either side), or everything for the big-data centre and the auditors. `department`
    outside your scope answers 404; an end before the start or a longer range 422."""
    actor = actor_of(request)
    filters = statistics.parse_filters(actor, since=query.since, until=query.until, department=query.department)
    return statistics.statistics(actor, filters)
