from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema


class CredentialOut(Schema):
    key_id: str
    application_code: str = Field(..., alias="application.code")
    algorithm: str
    public_key: str
    enabled: bool
    expires_at: datetime | None
    created_at: datetime


class CredentialCreatedOut(CredentialOut):
    secret: str = Field("", description="The HMAC-SM3 secret: returned this once, never again. Empty for SM2.")


class CredentialIn(Schema):
    application_code: str = Field(..., min_length=1, max_length=50)
    algorithm: Literal["SM2", "HMAC-SM3"]
    public_key: str = Field("", max_length=4000, description="SM2 only: the application's public key (PEM).")
    expires_at: datetime | None = None


class CredentialPatch(Schema):
    enabled: bool | None = None
    expires_at: datetime | None = None


class CredentialFilter(FilterSchema):
    application: Annotated[str | None, FilterLookup("application__code")] = Field(
        None, max_length=50, description="The consumer application's code.")
    enabled: bool | None = None
