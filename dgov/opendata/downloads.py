"""Downloads of an open dataset's rows (`/open/datasets/<name>/download.<csv|xlsx|json>`): every public row
(opened columns, masked), read from the data store in batches (`services.public_stream`) and streamed.

- CSV: UTF-8 with a byte-order mark (Excel opens it as UTF-8), the header the data items' names.
- XLSX: one sheet, the header the data items' names (openpyxl's write-only workbook, in a temporary file).
- JSON: `{"name", "title", "fields": [{"id", "type", "info": {"label"}}], "records": [{column: value}]}` — the
  shape of CKAN's `datastore_search` result, so one reader serves both.

A 有条件开放 dataset downloads only under an approved, unexpired application of the signed-in user (or of the
holder of a developer key sent as the API does). Every download is logged (`AccessLog`) and counted.
"""

import csv
import json
import tempfile
from urllib.parse import quote

from django.db.models import F
from django.http import FileResponse, Http404, HttpResponseForbidden, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dgov.aggregation import datastore
from dgov.core.errors import NotFound
from dgov.opendata import ckan, selectors, services
from dgov.opendata.models import AccessKind, AccessLog, OpenDataset

BATCH = 5000


class _Echo:
    def write(self, value):
        return value


def csv_stream(entry, columns):
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([c.item_name for c in columns])
    for row in services.public_stream(entry, columns, batch=BATCH):
        yield writer.writerow(["" if row[c.name] is None else row[c.name] for c in columns])


def json_stream(dataset: OpenDataset, columns):
    head = {"name": dataset.name, "title": dataset.title,
            "fields": [{"id": c.name, "type": ckan.CKAN_TYPES.get(c.data_type, "text"), "info": {"label": c.item_name}}
                       for c in columns]}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "records": ['
    first = True
    for row in services.public_stream(dataset.entry, columns, batch=BATCH):
        yield ("" if first else ",\n") + json.dumps(row, ensure_ascii=False)
        first = False
    yield "]}\n"


def xlsx_file(dataset: OpenDataset, columns):
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=dataset.name[:31])
    sheet.append([c.item_name for c in columns])
    for row in services.public_stream(dataset.entry, columns, batch=BATCH):
        sheet.append([row[c.name] for c in columns])
    handle = tempfile.TemporaryFile()
    workbook.save(handle)
    handle.seek(0)
    return handle


def disposition(title: str, name: str, fmt: str) -> str:
    """`attachment` with an ASCII file name (the dataset's name) and the title (RFC 5987 `filename*`)."""
    return f"attachment; filename=\"{name}.{fmt}\"; filename*=UTF-8''{quote(f'{title}.{fmt}', safe='')}"


def _grant(request, dataset: OpenDataset):
    """(allowed, application, key): a conditional dataset under the session user's approved application, or
    that of a developer key's holder."""
    allowed, application = ckan.rows_grant(dataset, request.user)
    if allowed or not dataset.is_conditional or not ckan.key_text(request):
        return allowed, application, None
    key = ckan.caller_key(request)
    return (*ckan.rows_grant(dataset, key.user), key)


@require_GET
def download(request, name: str, fmt: str):
    if fmt not in ckan.FORMATS:
        raise Http404()
    try:
        dataset = selectors.published_dataset(name)
    except NotFound:
        raise Http404() from None
    try:
        allowed, application, key = _grant(request, dataset)
    except ckan.CkanError as exc:
        return HttpResponseForbidden(exc.message)
    if not allowed:
        return HttpResponseForbidden(_("The data of this dataset is opened on conditions: apply for it, and "
                                       "download it once the application is approved."))
    columns = services.opened_columns(dataset.entry)
    rows = datastore.count(services.store_of(dataset.entry), cached=True) if columns else 0
    user = request.user if request.user.is_authenticated else (key.user if key else None)
    AccessLog.objects.create(dataset=dataset, kind=AccessKind.DOWNLOAD, format=fmt, rows=rows, user=user, key=key,
                             application=application)
    OpenDataset.objects.filter(pk=dataset.pk).update(download_count=F("download_count") + 1)
    if fmt == "xlsx":
        response = FileResponse(xlsx_file(dataset, columns), content_type=ckan.FORMATS["xlsx"][1])
    elif fmt == "csv":
        response = StreamingHttpResponse(csv_stream(dataset.entry, columns), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(json_stream(dataset, columns),
                                         content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = disposition(dataset.title, dataset.name, fmt)
    response["Cache-Control"] = "private, no-store" if dataset.is_conditional else "public, max-age=300"
    return response
