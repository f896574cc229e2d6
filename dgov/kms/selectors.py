"""Reads of the cryptography service."""

from dgov.core.permissions import require_permission
from dgov.kms.models import TYPE_OPERATIONS, Key, KeyPolicy, KeyType, KeyVersion
from dgov.kms.services import is_application


def keys_visible_to(actor):
    """Keys an official may view within scope; for an application, the keys whose policy grants it
    "read" (as for GET /keys/{name})."""
    qs = Key.objects.select_related("department", "application")
    if is_application(actor):
        ids = [key_id for key_id, ops in KeyPolicy.objects.filter(application__account=actor)
               .values_list("key_id", "operations") if "read" in ops]
        return qs.filter(pk__in=ids)
    require_permission(actor, Key, "view")
    return qs.restrict(actor, "view")


def key_detail(key: Key) -> dict:
    versions = list(KeyVersion.objects.filter(key=key).order_by("version"))
    is_sm2 = key.type == KeyType.SM2
    latest = next((v for v in versions if v.version == key.latest_version), None)
    return {
        "name": key.name, "type": key.type, "description": key.description,
        "department": key.department.code, "application": key.application.code if key.application else None,
        "enabled": key.enabled, "exportable": key.exportable, "is_system": key.is_system,
        "latest_version": key.latest_version, "min_decryption_version": key.min_decryption_version,
        "min_encryption_version": key.min_encryption_version,
        "public_key_pem": latest.public_key_pem if is_sm2 and latest else None,
        "versions": [{"version": v.version, "created_at": v.created_at,
                      "public_key_pem": v.public_key_pem if is_sm2 else None} for v in versions],
        "supported_operations": sorted(TYPE_OPERATIONS[key.type]),
    }
