from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Field, FilterLookup, FilterSchema, Schema

from dgov.core.schemas import MAX_ID


class FilePackageIn(Schema):
    grant_id: int = Field(..., ge=1, le=MAX_ID, description="The sharing grant (`/api/v1/exchange/grants`).")
    format: Literal["csv", "xlsx", "parquet"] = Field("csv", description="The data file's format; parquet "
                                                                          "needs the optional pyarrow.")


class FilePackageDownloadOut(Schema):
    downloaded_at: datetime
    channel: str
    username: str
    application_code: str | None = Field(None, alias="application.code")
    key_id: str
    ip: str | None
    request_id: str


class FilePackageOut(Schema):
    id: int
    package_id: str
    grant_id: int
    application_code: str = Field(..., alias="application.code")
    service_code: str = Field(..., alias="entry.code")
    service_name: str = Field(..., alias="entry.name")
    format: str
    rows: int
    size: int
    data_sm3: str
    ciphertext_sm3: str
    package_sm3: str
    recipient_key_id: str
    signing_key_version: int
    status: str
    expired: bool = Field(..., alias="is_expired")
    expires_at: datetime
    created_at: datetime
    download_url: str

    @staticmethod
    def resolve_download_url(obj) -> str:
        return f"/api/v1/exchange/packages/{obj.pk}/download"


class FilePackageDetailOut(FilePackageOut):
    manifest: dict[str, Any] = Field(..., alias="manifest_data", description="manifest.json as signed.")
    downloads: list[FilePackageDownloadOut] = Field(..., alias="download_list")


class FilePackageSigningKeyOut(Schema):
    key: str
    version: int
    public_key_pem: str
    fingerprint: str
    signer_id: str


class FilePackageFilter(FilterSchema):
    application: Annotated[str | None, FilterLookup("application__code")] = Field(
        None, max_length=50, description="The recipient application's code.")
    service_code: Annotated[str | None, FilterLookup("entry__code")] = Field(None, max_length=20)
    format: Literal["csv", "xlsx", "parquet"] | None = None
    status: Literal["ready", "expired"] | None = None
