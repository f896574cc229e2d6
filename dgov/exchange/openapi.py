"""The OpenAPI 3.1 description of one data service as one consumer sees it: only its granted
columns, each described by its data item's Chinese name, with the filters it takes and the signed
headers every call needs."""

from dgov.exchange import signing

TYPES = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "decimal": {"type": "string", "format": "decimal"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "boolean": {"type": "boolean"},
    "binary": {"type": "string", "contentEncoding": "base64"},
}
IN_NOTE = "（逗号分隔，comma-separated）"
ERROR = {"$ref": "#/components/schemas/Error"}
ERROR_STATUSES = {
    "401": "Unsigned, wrongly signed, stale or replayed request; unknown, disabled or expired credential",
    "403": "No usable grant for this service",
    "422": "A filter, limit or offset that is not valid",
    "429": "Rate limit or daily quota of the grant reached",
    "503": "The data service has no data loaded",
}


def _filter_params(column, masked: bool) -> list[dict]:
    # A masked column is matched exactly only (dgov.exchange.gateway.MASKED_OPS).
    ops = ["eq"] if masked else ["eq", "ne", "lt", "lte", "gt", "gte", "in"] + (
        ["startswith"] if column.data_type == "string" else [])
    params = [{"name": column.name, "in": "query", "required": False, "schema": {"type": "string"},
               "description": f"{column.item_name}：等于 (equals)"}]
    for op in ops[1:]:
        params.append({"name": f"{column.name}__{op}", "in": "query", "required": False,
                       "schema": {"type": "string"},
                       "description": f"{column.item_name}：{op}" + (IN_NOTE if op == "in" else "")})
    return params


def service_document(entry, columns, *, unmasked: set[str] | frozenset = frozenset(), server: str = "") -> dict:
    """The document for `entry` with `columns` (the DatasetColumns the reader may receive)."""
    properties = {}
    params = []
    for column in columns:
        schema = dict(TYPES.get(column.data_type, {"type": "string"}))
        masked = column.item_name not in unmasked and column.mask not in ("", "none")
        if masked:
            schema = {"type": ["string", "null"]}  # a masked value is text whatever the column's type
        else:
            schema["type"] = [schema["type"], "null"]
        schema["description"] = column.item_name + (f"（脱敏：{column.mask}）" if masked else "")
        properties[column.name] = schema
        params += _filter_params(column, masked)
    path = f"/exchange/v1/services/{entry.code}"
    headers = [{"name": name, "in": "header", "required": True, "schema": {"type": "string"}}
               for name in signing.SIGNED_HEADERS]
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{entry.name}（{entry.code}）", "version": str(getattr(entry, "version", 1)),
                 "description": "dgov 数据共享交换网关的数据服务。每个请求须按 docs/exchange.md 签名。"
                                "Every call is signed as docs/exchange.md describes."},
        "servers": [{"url": server}] if server else [],
        "paths": {path: {"get": {
            "operationId": "query_rows",
            "summary": entry.name,
            "parameters": headers + [
                {"name": "limit", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}},
                {"name": "offset", "in": "query", "required": False,
                 "schema": {"type": "integer", "minimum": 0, "default": 0}},
                *params,
            ],
            "responses": {
                "200": {"description": "Rows ordered by key",
                        "headers": {"X-Request-Id": {"schema": {"type": "string"}},
                                    "X-Body-SM3": {"schema": {"type": "string"},
                                                   "description": "SM3 of the response body, hex"}},
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}}},
                **{status: {"description": text, "content": {"application/json": {"schema": ERROR}}}
                   for status, text in ERROR_STATUSES.items()},
            },
        }}},
        "components": {"schemas": {
            "Row": {"type": "object", "properties": properties, "additionalProperties": False},
            "Page": {"type": "object", "required": ["service", "limit", "offset", "has_more", "items"],
                     "properties": {"service": {"type": "string"}, "name": {"type": "string"},
                                    "limit": {"type": "integer"}, "offset": {"type": "integer"},
                                    "has_more": {"type": "boolean"},
                                    "items": {"type": "array", "items": {"$ref": "#/components/schemas/Row"}}}},
            "Error": {"type": "object", "required": ["code", "message", "details"],
                      "properties": {"code": {"type": "string"}, "message": {"type": "string"},
                                     "details": {}}},
        }},
    }
