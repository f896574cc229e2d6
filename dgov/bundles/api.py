"""The API of dgov.bundles, mounted at /api/v1/services/bundles."""

from ninja import Router

router = Router(tags=["bundles"])
