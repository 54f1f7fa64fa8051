"""The Amove contract spec held to its sources, before any emulator serves it.

`specs/amove.yaml` transcribes Amove's public "Transfer Endpoints" page (cited as "Doc, <heading>") and
the rest of the Web API, the error model and the SignalR negotiate document from the project's
research notes on the service (cited as "Reference, <section>"). These tests need no server: every
schema is valid JSON Schema 2020-12 and every `$ref` resolves; every JSON example of the sources,
copied below as data with its citation, validates against the schema the spec declares for it, and
documents the sources rule out do not; enums and parameter defaults equal the documented lists; every
operation cites its source; the error model (499 with `error-code`, 401, 500 without a body) is the
only one declared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from contract import METHODS, Contract, pointer
from jsonschema import Draft202012Validator

CONTRACT = Contract("amove")
SPEC = CONTRACT.spec
SPEC_TEXT = CONTRACT.text
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
RESPONSES: dict[str, Any] = SPEC["components"]["responses"]
schema_errors = CONTRACT.schema_errors
operation = CONTRACT.operation
JSON = "application/json"

# Doc, "Endpoints" (transfers); Reference, B1 and B3 (the others), C1 (negotiate).
AUTH_OPERATIONS = [
    ("post", "/api/authentication/request_token"),
    ("post", "/api/authentication/login"),
    ("post", "/api/authentication/mfa_respond"),
    ("post", "/api/authentication/logout"),
    ("post", "/api/authentication/forgot_password"),
    ("post", "/api/authentication/reset_password"),
]
MAIN_OPERATIONS = [
    ("post", "/api/v1/apitoken/insert"),
    ("get", "/api/v1/apitoken/get_all"),
    ("delete", "/api/v1/apitoken/delete"),
    ("get", "/api/v1/cloudaccount/get_all"),
    ("post", "/api/v1/cloudaccount/insert"),
    ("put", "/api/v1/cloudaccount/manage_share"),
    ("delete", "/api/v1/cloudaccount/delete"),
    ("post", "/api/v1/cloudaccount/list_buckets"),
    ("post", "/api/v1/cloudaccount/list_objects"),
]
TRANSFER_OPERATIONS = [
    ("get", "/api/v1/transfer/get_all"),
    ("post", "/api/v1/transfer/transfer"),
    ("post", "/api/v1/transfer/calculate_cost"),
    ("post", "/api/v1/transfer/cancel_transfer"),
    ("post", "/api/v1/transfer/retry_transfer"),
    ("post", "/api/v1/transfer/download_failed_files"),
]
NEGOTIATE = ("post", "/api/rm/negotiate")
OPERATIONS = [*AUTH_OPERATIONS, *MAIN_OPERATIONS, *TRANSFER_OPERATIONS, NEGOTIATE]

# The headings a citation may name: the Transfer Endpoints page's, and the reference's Part B and C.
DOC_SECTIONS = {
    "Transfer Endpoints",
    "Get All Transfers",
    "Transfer",
    "Calculate Cost",
    "Cancel Transfer",
    "Retry Transfer",
    "Download Failed Files",
}
REFERENCE_SECTIONS = {
    "B1. Hosts, auth, routes, pagination (`index.md`, `authentication.md`)",
    "B2. Error Model (`errors.md`, https://developer.amove.io/web/errors)",
    "B3. Cloud accounts (`cloudaccount.md`)",
    "B4. Transfers (`transfer.md`, newest) and the Transfer record",
    "B5. The `/api/rm` SignalR hub — what is public",
    "C1. Negotiate",
    "C2. WebSocket connect",
    "C6. What each client actually does (verified against a Starlette fake hub on 127.0.0.1)",
}


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in SPEC["paths"].items():
        for method, op in item.items():
            if method in METHODS:
                yield method, path, op


def request_schema(method: str, path: str) -> str:
    return pointer("paths", path, method, "requestBody", "content", JSON, "schema")


def response_schema(method: str, path: str, status: str = "200") -> str:
    return CONTRACT.response_pointer(method, path, status, JSON)


def nodes(node: Any, at: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (location, value) in the spec, depth first."""
    yield at, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from nodes(value, (*at, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nodes(value, (*at, str(index)))


def schema_locations() -> Iterator[tuple[str, ...]]:
    """Where the spec holds a schema: components, parameters, headers, request and response bodies."""
    for name in SCHEMAS:
        yield ("components", "schemas", name)
    for where, value in nodes(SPEC):
        if isinstance(value, dict) and "schema" in value and where[:2] != ("components", "schemas"):
            yield (*where, "schema")


def lookup(location: tuple[str, ...]) -> Any:
    """The spec's node at a location."""
    node: Any = SPEC
    for part in location:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


# --- the spec's shape ----------------------------------------------------------------------------


def test_spec_is_openapi_3_1_with_a_bearer_jwt() -> None:
    """Reference, B1: "JWT bearer on the Main API (`Authorization: Bearer <jwt>`)"; the Authentication
    API's calls carry a request token in the body instead, so they need no bearer."""
    assert SPEC["openapi"].startswith("3.1")
    assert SPEC["jsonSchemaDialect"] == "https://json-schema.org/draft/2020-12/schema"
    assert SPEC["components"]["securitySchemes"] == {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    }
    assert SPEC["security"] == [{"bearer": []}]
    for method, path, op in operations():
        assert ("security" in op) == ((method, path) in AUTH_OPERATIONS), (method, path)
        if (method, path) in AUTH_OPERATIONS:
            assert op["security"] == []


def test_operations_are_the_documented_ones() -> None:
    """Doc, "Endpoints" (six transfer operations); Reference, B1 (Auth API, API tokens), B3 (the
    cloud-account operations the emulator serves), C1 (negotiate on the `/api/rm` hub)."""
    assert [(m, p) for m, p, _ in operations()] == OPERATIONS
    ids = [op["operationId"] for _, _, op in operations()]
    assert len(set(ids)) == len(ids)


def test_every_schema_is_valid_json_schema_2020_12_and_every_ref_resolves() -> None:
    """Each schema passes the 2020-12 metaschema; each `$ref` points at something in the spec."""
    locations = list(schema_locations())
    assert len(locations) > len(SCHEMAS)  # inline schemas were found too
    for location in locations:
        Draft202012Validator.check_schema(lookup(location))
    refs = [value for where, value in nodes(SPEC) if where and where[-1] == "$ref"]
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), ref
        lookup(tuple(part.replace("~1", "/").replace("~0", "~") for part in ref[2:].split("/")))


def test_every_operation_cites_its_source() -> None:
    """The transfer operations quote the doc (`x-doc`); the others cite the reference (`x-reference`);
    every citation in the spec names a real heading and quotes at least one phrase."""
    for method, path, op in operations():
        key = "x-doc" if (method, path) in TRANSFER_OPERATIONS else "x-reference"
        assert key in op, (method, path)
    citations = [
        (where[-1], value)
        for where, value in nodes(SPEC)
        if where and where[-1] in ("x-doc", "x-reference", "x-roles", "x-doc-transitions", "x-doc-cancel")
    ]
    assert len(citations) > len(OPERATIONS)
    for key, citation in citations:
        sections = REFERENCE_SECTIONS if key == "x-reference" else DOC_SECTIONS
        assert citation["section"] in sections, citation
        assert citation["says"], citation
        assert all(isinstance(phrase, str) and phrase for phrase in citation["says"]), citation


def test_response_documents_are_closed_and_requests_open() -> None:
    """Every object a response can carry lists its fields and refuses others; the request documents
    stay open, as no source says unknown fields are refused."""
    closed = {
        "ValidationProblem",
        "GlobalNotFound",
        "LoginResponse",
        "ApiToken",
        "CloudAccount",
        "Bucket",
        "ObjectListing",
        "StorageObject",
        "Transfer",
        "DTOCollection",
        "Transport",
        "NegotiateV0",
        "NegotiateV1",
        "NegotiateError",
    }
    requests = {name for name in SCHEMAS if name.endswith("Request")}
    assert requests == {
        "LoginRequest",
        "MfaRespondRequest",
        "LogoutRequest",
        "ForgotPasswordRequest",
        "ResetPasswordRequest",
        "ApiTokenInsertRequest",
        "CloudAccountInsertRequest",
        "ManageShareRequest",
        "ListBucketsRequest",
        "ListObjectsRequest",
        "TransferRequest",
        "TransferIdRequest",
    }
    for name, schema in SCHEMAS.items():
        if schema.get("type") == "object":
            assert (name in closed) != (name in requests), name
            assert ("additionalProperties" in schema) == (name in closed), name
    for name in closed:
        schema = SCHEMAS[name]
        assert schema["additionalProperties"] is False, name
        assert set(schema["required"]) <= set(schema["properties"]), name


# --- the error model -----------------------------------------------------------------------------


def test_the_error_model_supersedes_the_per_controller_codes() -> None:
    """Reference, B2: 200, 401, 499 and 500 only ("The API does not use the standard 400 / 403 / 404
    codes"; the older per-controller pages that list them are superseded). 401 and 500 carry no body;
    every bearer operation can answer 401; the Authentication API answers 401 on login and, as a
    reading of "auth missing/failed" marked `x-reading`, on logout (a jwtToken that does not
    authenticate)."""
    model = SPEC["x-error-model"]
    assert model["superseded"] == ["400", "403", "404"]
    assert model["x-reference"]["section"].startswith("B2.")
    ref = "#/components/responses/"
    for method, path, op in operations():
        responses = op["responses"]
        assert not set(responses) & {"400", "403", "404"}, (method, path)
        assert set(responses) <= {"200", "401", "499", "500"}, (method, path)
        if (method, path) == NEGOTIATE:  # the SignalR hub speaks ASP.NET Core's negotiate, not the model
            assert set(responses) == {"200", "401"}
            continue
        assert responses["500"] == {"$ref": ref + "InternalServerError"}, (method, path)
        wants_401 = (method, path) not in AUTH_OPERATIONS or path.endswith(("/login", "/logout"))
        assert ("401" in responses) == wants_401, (method, path)
        assert ("499" in responses) == (not path.endswith("/request_token")), (method, path)
        if path.endswith("/logout"):
            assert "x-reading" in responses["401"] and "content" not in responses["401"]
        elif "401" in responses:
            assert responses["401"] == {"$ref": ref + "Unauthorized"}
        if "499" in responses and path != "/api/v1/cloudaccount/delete":
            assert responses["499"] == {"$ref": ref + "ValidationError"}, (method, path)
    for name in ("Unauthorized", "InternalServerError"):
        assert "content" not in RESPONSES[name]
    assert "content" not in operation(*NEGOTIATE)["responses"]["401"]


def test_a_499_carries_the_error_code_header_and_one_error_per_code() -> None:
    """Reference, B2: the `error-code` header duplicates `type`; `errors` has exactly one key, equal
    to `type`; no `title` or `traceId`; `status` is 499."""
    header = SPEC["components"]["headers"]["error-code"]
    assert header["required"] is True
    assert header["schema"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert RESPONSES["ValidationError"]["headers"] == {
        "error-code": {"$ref": "#/components/headers/error-code"}
    }
    problem = CONTRACT.component("ValidationProblem")
    good = {"type": "ACCESS", "status": 499, "errors": {"ACCESS": ["Access denied."]}}
    assert not schema_errors(problem, good)
    bad = [
        {**good, "errors": {"DEFAULT": ["Access denied."]}},  # the key is not `type`
        {**good, "errors": {"ACCESS": ["a"], "DEFAULT": ["b"]}},  # two keys
        {**good, "errors": {}},
        {**good, "errors": {"ACCESS": []}},
        {**good, "errors": {"ACCESS": "Access denied."}},
        {**good, "status": 400},
        {**good, "title": "One or more validation errors occurred.", "traceId": "00-abc-01"},
        {"type": "FORBIDDEN", "status": 499, "errors": {"FORBIDDEN": ["no"]}},  # not a documented code
        {"status": 499, "errors": {"ACCESS": ["no"]}},
    ]
    for document in bad:
        assert schema_errors(problem, document), document
    # One anyOf branch per documented code, in the table's order.
    branches = [b["properties"]["type"]["const"] for b in SCHEMAS["ValidationProblem"]["anyOf"]]
    assert branches == ERROR_CODES
    for branch, code in zip(SCHEMAS["ValidationProblem"]["anyOf"], ERROR_CODES, strict=True):
        assert branch["properties"]["errors"] == {"required": [code]}


def test_the_global_code_of_the_cloud_account_page_is_recorded_not_adopted() -> None:
    """Reference, B2: "`cloudaccount.md` says delete of a missing account returns "499 validation error
    with code `Global` and message "Object not found."" — `Global` is not in the table." The code list
    stays the table's; only that operation also accepts the page's `Global` body."""
    assert "Global" not in SCHEMAS["ErrorCode"]["enum"]
    assert "DOC INCONSISTENCY" in SPEC_TEXT
    delete = ("delete", "/api/v1/cloudaccount/delete")
    assert operation(*delete)["x-error-codes"] == ["Global"]
    body = response_schema(*delete, "499")
    assert not schema_errors(body, GLOBAL_NOT_FOUND)
    assert not schema_errors(body, {"type": "NOT_FOUND", "status": 499, "errors": {"NOT_FOUND": ["x"]}})
    assert schema_errors(body, {**GLOBAL_NOT_FOUND, "errors": {"Global": ["Gone."]}})
    for method, path in OPERATIONS:
        if (method, path) != delete and "499" in operation(method, path)["responses"]:
            assert schema_errors(response_schema(method, path, "499"), GLOBAL_NOT_FOUND), path
    header = operation(*delete)["responses"]["499"]["headers"]["error-code"]
    header_at = pointer("paths", delete[1], "delete", "responses", "499", "headers", "error-code", "schema")
    assert header["required"] is True
    assert not schema_errors(header_at, "Global")
    assert not schema_errors(header_at, "NOT_FOUND")


def test_named_error_codes_are_in_the_table() -> None:
    """Reference, B1: login and mfa_respond fail with 499 TOKEN, TOTP or AUTH; every Authentication
    API body carries a one-shot request token (TOKEN when spent or expired). Each code an operation
    names is in the spec's code table, except the cloud-account page's `Global`."""
    named = {(m, p): op.get("x-error-codes") for m, p, op in operations() if "x-error-codes" in op}
    assert named == {
        ("post", "/api/authentication/login"): ["TOKEN", "AUTH"],
        ("post", "/api/authentication/mfa_respond"): ["TOKEN", "TOTP", "AUTH"],
        ("post", "/api/authentication/logout"): ["TOKEN"],
        ("post", "/api/authentication/forgot_password"): ["TOKEN"],
        ("post", "/api/authentication/reset_password"): ["TOKEN"],
        ("delete", "/api/v1/cloudaccount/delete"): ["Global"],
    }
    for (_, path), codes in named.items():
        if path != "/api/v1/cloudaccount/delete":
            assert set(codes) <= set(SCHEMAS["ErrorCode"]["enum"]), path


# --- enums and parameters ------------------------------------------------------------------------

# Reference, B2, "Codes", in the table's order.
ERROR_CODES = [
    "DEFAULT", "AUTH", "INACTIVE_USER", "TOKEN", "SESSION", "SESSION_MAXOUT", "SECURITY", "ACCESS",
    "NOT_FOUND", "COGNITO", "TOTP", "TRANSFER", "TRANSFER_C2C", "SYNC", "COST", "DUPLICATE", "PENDING",
    "DB_DELETE", "DB_INSERT", "DB_UPDATE", "DOWNLOAD_OBJECT", "INVALID_EMAIL", "INTERNAL_ERROR",
    "CHECKSUM_MISMATCH", "FILESYSTEM_ACCESS", "BUCKET_LOGGING_SET", "BUCKET_LOGGING_DISABLED", "DISPOSED",
]  # fmt: skip

# (schema, {value: name}, where the list comes from), each in its source's order.
ENUMS = [
    (
        "TransferStatus",
        {0: "None", 1: "Created", 2: "Running", 4: "Completed", 8: "Canceled", 16: "Error",
         32: "Canceling", 64: "Pausing", 128: "Paused"},
        'Doc, "Get All Transfers": "transferStatus — one of None(0), Created(1), ... Paused(128)"',
    ),
    (
        "TransferType",
        {1: "Transfer", 2: "Sync", 4: "SyncInitTransfer", 8: "ManualTransfer"},
        'Doc, "Get All Transfers": the table under "type is the bitwise OR of TransferType"',
    ),
    (
        "UserType",
        {1: "ProviderAdmin", 2: "ResellerAdmin", 4: "AccountAdmin", 8: "AccountUser", 16: "DesktopAdmin",
         32: "DesktopCreativeUser", 64: "DesktopStandardUser"},
        "Reference, B1: `UserType`",
    ),
    ("ChallengeType", {0: "None", 1: "TOTP"}, "Reference, B1: `challenge==0` (None), `challenge==1` (TOTP)"),
    (
        "CloudProvider",
        {1: "AWS", 2: "Wasabi", 4: "Azure", 8: "S3Generic", 16: "Google", 32: "Frame", 64: "Cloudflare",
         128: "Dropbox", 256: "Box", 512: "OneDrive", 1024: "GoogleDrive", 2048: "LocalHttp",
         4096: "FastrServer", 8192: "Atomosphere"},
        "Reference, B3: `CloudProvider` (bit flags), 8192 as spelled in transferhistory.md",
    ),
    (
        "StorageTier",
        {0: "All", 1: "Perform", 2: "Global", 4: "Scale", 8: "Archive"},
        "Reference, B3: `StorageTier`",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("name", "documented", "source"), ENUMS, ids=[e[0] for e in ENUMS])
def test_integer_enums_equal_the_documented_lists(name: str, documented: dict[int, str], source: str) -> None:
    """Each documented enum: the same values, in the same order, with the same names."""
    schema = SCHEMAS[name]
    assert schema["type"] == "integer", source
    assert schema["enum"] == list(documented), source
    assert schema["x-enum-varnames"] == list(documented.values()), source
    assert schema_errors(CONTRACT.component(name), max(documented) + 1), source


def test_error_code_enum_equals_the_documented_list() -> None:
    """Reference, B2, "Codes": the 28 codes, in order."""
    assert SCHEMAS["ErrorCode"]["enum"] == ERROR_CODES
    assert len(ERROR_CODES) == len(set(ERROR_CODES)) == 28


def test_transfer_list_parameters_and_defaults() -> None:
    """Doc, "Get All Transfers > Query Parameters": page 1, pagesize 50, sortfield "RequestDate",
    descending true, type 15; `type` is the OR of TransferType 1/2/4/8, 15 "All of the above"."""
    parameters = {}
    for parameter in operation("get", "/api/v1/transfer/get_all")["parameters"]:
        if "$ref" in parameter:
            parameter = SPEC["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        parameters[parameter["name"]] = parameter
    assert list(parameters) == ["page", "pagesize", "sortfield", "descending", "type"]
    defaults = {name: p["schema"]["default"] for name, p in parameters.items()}
    assert defaults == {"page": 1, "pagesize": 50, "sortfield": "RequestDate", "descending": True, "type": 15}
    types = {name: p["schema"]["type"] for name, p in parameters.items()}
    assert types == {
        "page": "integer",
        "pagesize": "integer",
        "sortfield": "string",
        "descending": "boolean",
        "type": "integer",
    }
    assert all(p["in"] == "query" and p["required"] is False for p in parameters.values())
    assert all(p["x-doc"]["section"] == "Get All Transfers" for p in parameters.values())
    bitmask = parameters["type"]
    assert bitmask["x-doc-values"] == [1, 2, 4, 8, 15]
    assert bitmask["x-doc-names"][:4] == SCHEMAS["TransferType"]["x-enum-varnames"]
    flags = SCHEMAS["TransferType"]["enum"]
    every_or = {a | b | c | d for a in (0, 1) for b in (0, 2) for c in (0, 4) for d in (0, 8)}
    assert sum(flags) == 15 == bitmask["schema"]["default"]
    assert (bitmask["schema"]["minimum"], bitmask["schema"]["maximum"]) == (min(every_or), max(every_or))


def test_list_parameters_of_the_other_operations() -> None:
    """Reference, B1: lists take `page` (1-based, default 1), `pagesize` (50), `sortfield`,
    `descending`; an API token or a cloud account is deleted by `?id=`."""
    shared = SPEC["components"]["parameters"]
    assert (shared["page"]["schema"]["default"], shared["page"]["schema"]["minimum"]) == (1, 1)
    assert shared["pagesize"]["schema"]["default"] == 50
    assert shared["id"] == {
        "name": "id",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }
    for path in ("/api/v1/apitoken/get_all", "/api/v1/cloudaccount/get_all"):
        names = [p.get("name") or p["$ref"].rsplit("/", 1)[1] for p in operation("get", path)["parameters"]]
        assert names == ["page", "pagesize", "sortfield", "descending"], path
    for path in ("/api/v1/apitoken/delete", "/api/v1/cloudaccount/delete"):
        assert operation("delete", path)["parameters"] == [{"$ref": "#/components/parameters/id"}]


def test_transfer_roles_partition_the_user_types() -> None:
    """Doc, "Transfer": four roles may queue a transfer, AccountUser and DesktopStandardUser may not;
    the doc names ResellerAdmin in neither list."""
    roles = operation("post", "/api/v1/transfer/transfer")["x-roles"]
    names = SCHEMAS["UserType"]["x-enum-varnames"]
    assert roles["allowed"] == ["ProviderAdmin", "AccountAdmin", "DesktopAdmin", "DesktopCreativeUser"]
    assert roles["refused"] == ["AccountUser", "DesktopStandardUser"]
    assert set(names) - set(roles["allowed"]) - set(roles["refused"]) == {"ResellerAdmin"}
    assert not set(roles["allowed"]) & set(roles["refused"])


# --- the sources' examples -----------------------------------------------------------------------

UUID_0 = "00000000-0000-0000-0000-000000000000"
UUID_1 = "11111111-1111-1111-1111-111111111111"
# Reference, B2 ("Inconsistency"): the cloud-account page's answer to deleting a missing account.
GLOBAL_NOT_FOUND = {"type": "Global", "status": 499, "errors": {"Global": ["Object not found."]}}
# Reference, B3: the CloudAccount item example; its three ids are elided there and filled in here.
CLOUD_ACCOUNT = {
    "id": UUID_0,
    "accountId": UUID_0,
    "userId": UUID_0,
    "cloudType": 1,
    "name": "My AWS",
    "serviceUrl": None,
    "active": True,
    "shared": False,
    "internalStorage": False,
    "storageTier": 2,
}
# Doc, "Sample Code > Calculate cost, then run a transfer": the Python payload.
SAMPLE_PAYLOAD = {
    "sourceCloudAccountId": "00000000-0000-0000-0000-000000000000",
    "sourceBucket": "source-bucket",
    "sourcePath": "/photos/",
    "destinationCloudAccountId": "11111111-1111-1111-1111-111111111111",
    "destinationBucket": "dest-bucket",
    "destinationPath": "/backup/photos/",
    "allowSkip": True,
    "keepSourceTree": True,
}
# Reference, B4: the Transfer record's field list, in its order; the values are filled in here (a
# Completed ad-hoc transfer that is neither a sync's nor a retry).
TRANSFER_FIELDS = [
    "id", "userId", "syncCycleId", "sourceCloudAccountId", "sourceBucket", "sourceRegion", "sourcePath",
    "destinationCloudAccountId", "destinationBucket", "destinationRegion", "destinationPath", "requestDate",
    "startDate", "endDate", "transferStatus", "transferType", "allowSkip", "allowDelete", "total", "failed",
    "deleted", "skipped", "skippedSize", "transferred", "totalSize", "totalSizeString", "transferredSize",
    "transferredSizeString", "percent", "averageSpeed", "transferredCost", "retryBatchTransferID",
    "syncCycle", "sourceCloudAccount", "destinationCloudAccount",
]  # fmt: skip
TRANSFER = {
    "id": "5f0c6a52-2b1e-4c53-9a57-0d3f7f5a9b10",
    "userId": UUID_0,
    "syncCycleId": None,
    "sourceCloudAccountId": UUID_0,
    "sourceBucket": "source-bucket",
    "sourceRegion": "us-east-1",
    "sourcePath": "/photos/",
    "destinationCloudAccountId": UUID_1,
    "destinationBucket": "dest-bucket",
    "destinationRegion": "us-east-1",
    "destinationPath": "/backup/photos/",
    "requestDate": "2026-01-01T00:00:00Z",
    "startDate": "2026-01-01T00:00:05Z",
    "endDate": "2026-01-01T00:10:00Z",
    "transferStatus": 4,
    "transferType": 1,
    "allowSkip": True,
    "allowDelete": False,
    "total": 10,
    "failed": 1,
    "deleted": 0,
    "skipped": 2,
    "skippedSize": 2048,
    "transferred": 7,
    "totalSize": 10240,
    "totalSizeString": "10 KB",
    "transferredSize": 7168,
    "transferredSizeString": "7 KB",
    "percent": 100.0,
    "averageSpeed": 12.5,
    "transferredCost": 0.0,
    "retryBatchTransferID": None,
    "syncCycle": None,
    "sourceCloudAccount": CLOUD_ACCOUNT,
    "destinationCloudAccount": {**CLOUD_ACCOUNT, "id": UUID_1, "cloudType": 2, "name": "My Wasabi"},
}
# Reference, C1: the negotiate documents (ids elided there with "...", kept as they are).
NEGOTIATE_V0 = {
    "connectionId": "807809a5-...",
    "negotiateVersion": 0,
    "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Text", "Binary"]}],
}
NEGOTIATE_V1 = {**NEGOTIATE_V0, "negotiateVersion": 1, "connectionToken": "05265228-..."}
ID_BODY = {"id": UUID_0}  # Doc, "Sample Code": cancel, retry and download take {"id": transfer_id}

AUTH = "/api/authentication/"
CLOUD = "/api/v1/cloudaccount/"
XFER = "/api/v1/transfer/"
# (JSON pointer of the schema, the example, where it comes from)
EXAMPLES: list[tuple[str, Any, str]] = [
    (pointer("components", "responses", "ValidationError", "content", JSON, "schema"),
     {"type": "DUPLICATE", "status": 499,
      "errors": {"DUPLICATE": ["A resource with the same name already exists."]}},
     "Reference, B2: the 499 body"),
    (pointer("components", "headers", "error-code", "schema"), "DUPLICATE",
     "Reference, B2: the 499's `error-code: DUPLICATE` header"),
    (response_schema("delete", "/api/v1/cloudaccount/delete", "499"), GLOBAL_NOT_FOUND,
     "Reference, B2: the cloud-account page's `Global` answer"),
    (response_schema("post", AUTH + "request_token"), "d3c7b8e5-...",
     'Reference, B1: request_token answers a JSON string (e.g. "d3c7b8e5-...")'),
    (request_schema("post", AUTH + "login"),
     {"requestToken": "d3c7b8e5-...", "username": "user@example.com", "password": "secret", "type": 8},
     "Reference, B1: the login body (values filled in; 8 = AccountUser)"),
    (response_schema("post", AUTH + "login"), {"challenge": 0, "jwtToken": "eyJhbGciOi...", "session": None},
     "Reference, B1: challenge 0 → jwtToken set"),
    (response_schema("post", AUTH + "login"), {"challenge": 1, "jwtToken": None, "session": "encrypted"},
     "Reference, B1: challenge 1 → session set"),
    (request_schema("post", AUTH + "mfa_respond"),
     {"requestToken": "9a1f...", "userCode": "123456", "session": "encrypted"},
     'Reference, B1: the mfa_respond body ("userCode": "123456")'),
    (response_schema("post", AUTH + "mfa_respond"), {"challenge": 0, "jwtToken": "eyJhbGciOi..."},
     'Reference, B1: mfa_respond → {"challenge":0,"jwtToken":...}'),
    (request_schema("post", AUTH + "logout"), {"requestToken": "r", "jwtToken": "eyJhbGciOi..."},
     "Reference, B1: logout {requestToken, jwtToken}"),
    (request_schema("post", AUTH + "forgot_password"), {"requestToken": "r", "username": "user@example.com"},
     "Reference, B1: forgot_password {requestToken, username}"),
    (request_schema("post", AUTH + "reset_password"),
     {"requestToken": "r", "resetToken": "t", "password": "p"},
     "Reference, B1: reset_password {requestToken, resetToken, password}"),
    (request_schema("post", "/api/v1/apitoken/insert"),
     {"title": "ci-pipeline", "isEncrypted": False, "encryptionKey": "",
      "expirationDate": "2027-01-01T00:00:00Z"},
     "Reference, B1: apitoken/insert {title, isEncrypted, encryptionKey, expirationDate}"),
    (response_schema("post", "/api/v1/apitoken/insert"),
     {"id": UUID_0, "userId": UUID_0, "sessionId": UUID_0, "title": "ci-pipeline", "token": "eyJhbGciOi...",
      "encryptionKey": "", "isEncrypted": False, "expirationDate": "2027-01-01T00:00:00Z",
      "createDate": "2026-01-01T00:00:00Z"},
     "Reference, B1: the ApiToken fields (values filled in)"),
    (response_schema("get", CLOUD + "get_all"),
     {"data": [CLOUD_ACCOUNT], "total": 1,
      "options": {"pageSize": 50, "page": 1, "sort": [{"field": "CreateDate", "descending": True}]}},
     "Reference, B3: the CloudAccount item in a DTOCollection (B1)"),
    (request_schema("post", CLOUD + "insert"),
     {"cloudType": 8, "name": "My MinIO", "accessKey": "AK", "secretKey": "SK", "credentialsData": None,
      "serviceUrl": "https://minio.example.com", "shared": False},
     "Reference, B3: cloudaccount/insert (S3Generic with its serviceUrl)"),
    (response_schema("post", CLOUD + "insert"), CLOUD_ACCOUNT, "Reference, B3: → created CloudAccount"),
    (request_schema("put", CLOUD + "manage_share"), {"id": UUID_0, "shared": True},
     'Reference, B3: manage_share {"id","shared"}'),
    (response_schema("delete", CLOUD + "delete"), True, "Reference, B3: delete → `true`"),
    (request_schema("post", CLOUD + "list_buckets"), {"cloudAccountId": UUID_0, "includeRegion": True},
     'Reference, B3: list_buckets {"cloudAccountId","includeRegion":true}'),
    (response_schema("post", CLOUD + "list_buckets"),
     [{"id": "source-bucket", "name": "source-bucket", "region": "us-east-1", "size": 10240,
       "creationDate": "2026-01-01T00:00:00Z"}],
     'Reference, B3: (older doc: [{"id","name","region","size","creationDate"}])'),
    (request_schema("post", CLOUD + "list_objects"),
     {"cloudAccountId": UUID_0, "id": "", "bucketName": "source-bucket", "path": "/", "continuationToken": "",
      "count": 1000},
     'Reference, B3: list_objects {..., "path":"/", "continuationToken":"", "count":1000}'),
    (response_schema("post", CLOUD + "list_objects"),
     {"data": [{"id": "photos/a.jpg", "name": "a.jpg", "path": "/photos/", "size": 1024,
                "lastModifiedUtc": "2026-01-01T00:00:00Z", "type": 1}],
      "continuationToken": "photos/a.jpg", "bucketName": "source-bucket", "path": "/photos/"},
     "Reference, B3: the list_objects answer (values filled in)"),
    (response_schema("get", XFER + "get_all"),
     {"data": [TRANSFER], "total": 1,
      "options": {"pageSize": 50, "page": 1, "sort": [{"field": "RequestDate", "descending": True}]}},
     'Doc, "Get All Transfers": a DTOCollection<Transfer> with the defaults'),
    (request_schema("post", XFER + "transfer"), SAMPLE_PAYLOAD, 'Doc, "Sample Code": the transfer payload'),
    (request_schema("post", XFER + "calculate_cost"), SAMPLE_PAYLOAD,
     'Doc, "Calculate Cost": "Same shape as the Transfer request body."'),
    (response_schema("post", XFER + "calculate_cost"), 0.42, 'Doc, "Calculate Cost": 0.42'),
    (request_schema("post", XFER + "cancel_transfer"), ID_BODY, 'Doc, "Cancel Transfer"'),
    (request_schema("post", XFER + "retry_transfer"), ID_BODY, 'Doc, "Retry Transfer"'),
    (request_schema("post", XFER + "download_failed_files"), ID_BODY, 'Doc, "Download Failed Files"'),
    (response_schema("post", XFER + "download_failed_files"), "https://...", 'Doc, "Download Failed Files"'),
    (response_schema(*NEGOTIATE), NEGOTIATE_V0, "Reference, C1: the version 0 document"),
    (response_schema(*NEGOTIATE), {"error": "..."}, "Reference, C1: the error alternative"),
    (response_schema(*NEGOTIATE), NEGOTIATE_V1, "Reference, C1: v1 adds connectionToken"),
    (response_schema(*NEGOTIATE),
     {**NEGOTIATE_V1, "availableTransports": [
         {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]},
         {"transport": "ServerSentEvents", "transferFormats": ["Text"]},
         {"transport": "LongPolling", "transferFormats": ["Text", "Binary"]}]},
     "Reference, C1: ServerSentEvents [Text] and LongPolling [Text, Binary] may be listed"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "example", "source"), EXAMPLES, ids=[e[2] for e in EXAMPLES])
def test_documented_examples_validate(at: str, example: Any, source: str) -> None:
    """Every JSON example of the doc and the reference validates against the schema declared for it."""
    assert not schema_errors(at, example), source


# (JSON pointer of the schema, a document the sources rule out, the rule)
REFUSED: list[tuple[str, Any, str]] = [
    (response_schema("post", AUTH + "login"), {"challenge": 0, "session": "encrypted"},
     "Reference, B1: challenge 0 → jwtToken set"),
    (response_schema("post", AUTH + "login"), {"challenge": 1, "jwtToken": "eyJ"},
     "Reference, B1: challenge 1 → session set"),
    (response_schema("post", AUTH + "login"), {"challenge": 2, "jwtToken": "eyJ"}, "ChallengeType is 0 or 1"),
    (response_schema("post", AUTH + "mfa_respond"), {"challenge": 1, "session": "s"},
     'Reference, B1: mfa_respond → {"challenge":0,...}'),
    (request_schema("post", AUTH + "login"),
     {"requestToken": "r", "username": "u", "password": "p", "type": 3},
     "Reference, B1: `type` is a UserType"),
    (request_schema("post", AUTH + "mfa_respond"), {"requestToken": "r", "userCode": "12345", "session": "s"},
     "a TOTP code has six digits"),
    (request_schema("post", CLOUD + "insert"), {"cloudType": 8, "name": "My MinIO"},
     "Reference, B3: serviceUrl required for S3Generic"),
    (request_schema("post", CLOUD + "insert"), {"cloudType": 1, "name": "x" * 51},
     "Reference, B3: name ≤ 50 chars"),
    (response_schema("get", CLOUD + "get_all"),
     {"data": [{**CLOUD_ACCOUNT, "storageTier": 0}], "total": 1,
      "options": {"pageSize": 50, "page": 1, "sort": []}},
     "Reference, B3: StorageTier 0 All is for queries only"),
    (response_schema("get", CLOUD + "get_all"), {"data": [CLOUD_ACCOUNT], "total": 1},
     "Reference, B1: a DTOCollection carries its options"),
    (response_schema("get", XFER + "get_all"),
     {"data": [{**TRANSFER, "transferStatus": 3}], "total": 1,
      "options": {"pageSize": 50, "page": 1, "sort": []}},
     'Doc, "Get All Transfers": transferStatus is one of the nine flags'),
    (response_schema("get", XFER + "get_all"),
     {"data": [{**TRANSFER, "keepSourceTree": True}], "total": 1,
      "options": {"pageSize": 50, "page": 1, "sort": []}},
     "Reference, B4: the record's fields are listed (keepSourceTree is not one)"),
    (response_schema("get", XFER + "get_all"),
     {"data": [{k: v for k, v in TRANSFER.items() if k != "transferredCost"}], "total": 1,
      "options": {"pageSize": 50, "page": 1, "sort": []}},
     "Reference, B4: every listed field is present"),
    (request_schema("post", XFER + "transfer"), {**SAMPLE_PAYLOAD, "sourceCloudAccountId": "string (uuid)"},
     'Doc, "Transfer": the account ids are uuids'),
    (request_schema("post", XFER + "cancel_transfer"), {}, 'Doc, "Cancel Transfer": id of the Transfer'),
    (response_schema("post", XFER + "calculate_cost"), "0.42", 'Doc, "Calculate Cost": a decimal value'),
    (response_schema("post", XFER + "download_failed_files"), {"url": "https://..."},
     'Doc, "Download Failed Files": a single string'),
    (response_schema(*NEGOTIATE), {**NEGOTIATE_V1, "negotiateVersion": 0},
     "Reference, C1: only v1 carries connectionToken"),
    (response_schema(*NEGOTIATE), {k: v for k, v in NEGOTIATE_V1.items() if k != "connectionToken"},
     "Reference, C1: v1 adds connectionToken"),
    (response_schema(*NEGOTIATE), {**NEGOTIATE_V0, "connectionId": ""},
     "Reference, C6: signalrcore needs a non-empty connectionId"),
    (response_schema(*NEGOTIATE),
     {**NEGOTIATE_V0,
      "availableTransports": [{"transport": "WebSockets", "transferFormats": ["Binary", "Text"]}]},
     'Reference, C6: WebSockets with ["Text","Binary"] in that order'),
    (response_schema(*NEGOTIATE),
     {**NEGOTIATE_V0, "availableTransports": [
         {"transport": "WebSockets", "transferFormats": ["Text", "Binary"]},
         {"transport": "ServerSentEvents", "transferFormats": ["Text", "Binary"]}]},
     "Reference, C1: ServerSentEvents carries Text only"),
    (response_schema(*NEGOTIATE), {**NEGOTIATE_V0, "error": "..."},
     "Reference, C1: the error document is an alternative to the negotiate document, not part of it"),
    (response_schema(*NEGOTIATE), {"url": "https://hub.example.com", "accessToken": "t"},
     "Reference, C1: an Amove hub answers no redirect document"),
]  # fmt: skip


@pytest.mark.parametrize(("at", "document", "rule"), REFUSED, ids=[r[2] for r in REFUSED])
def test_schemas_refuse_what_the_sources_rule_out(at: str, document: Any, rule: str) -> None:
    """The schemas are not so loose that a document breaking a documented rule passes."""
    assert schema_errors(at, document), rule


def test_record_field_lists_equal_the_sources() -> None:
    """Reference, B4 (Transfer), B3 (CloudAccount item), B1 (ApiToken, DTOCollection<T>), B3
    (list_objects), C1 (negotiate): the declared fields are exactly the listed ones."""
    assert list(SCHEMAS["Transfer"]["properties"]) == TRANSFER_FIELDS
    assert SCHEMAS["Transfer"]["required"] == TRANSFER_FIELDS
    assert set(TRANSFER) == set(TRANSFER_FIELDS)
    assert set(SCHEMAS["CloudAccount"]["required"]) == set(CLOUD_ACCOUNT)
    assert set(SCHEMAS["CloudAccount"]["properties"]) - set(CLOUD_ACCOUNT) == {
        "accessKey",
        "secretKey",
        "credentialsData",
        "deleted",
    }
    assert SCHEMAS["ApiToken"]["required"] == [
        "id", "userId", "sessionId", "title", "token", "encryptionKey", "isEncrypted", "expirationDate",
        "createDate",
    ]  # fmt: skip
    assert SCHEMAS["DTOCollection"]["required"] == ["data", "total", "options"]
    assert SCHEMAS["DTOCollection"]["properties"]["options"]["required"] == ["pageSize", "page", "sort"]
    assert SCHEMAS["ObjectListing"]["required"] == ["data", "continuationToken", "bucketName", "path"]
    assert SCHEMAS["StorageObject"]["required"] == ["id", "name", "path", "size", "lastModifiedUtc", "type"]
    assert set(SCHEMAS["NegotiateV1"]["required"]) - set(SCHEMAS["NegotiateV0"]["required"]) == {
        "connectionToken"
    }


# Doc, "Transfer > Request Body": the template, its values naming each field's type.
TRANSFER_TEMPLATE = {
    "sourceCloudAccountId": "string (uuid)",
    "sourceBucket": "string",
    "sourceBucketId": "string",
    "sourcePath": "string",
    "sourceId": "string",
    "destinationCloudAccountId": "string (uuid)",
    "destinationBucket": "string",
    "destinationBucketId": "string",
    "destinationPath": "string",
    "destinationId": "string",
    "allowSkip": True,
    "keepSourceTree": False,
}


def test_transfer_request_follows_the_doc_template() -> None:
    """Doc, "Transfer > Request Body": the twelve fields with their types; the *Id fields are "Empty
    for S3-compatible providers", and the sample payload leaves them out."""
    properties = SCHEMAS["TransferRequest"]["properties"]
    assert list(properties) == list(TRANSFER_TEMPLATE)
    for field, template in TRANSFER_TEMPLATE.items():
        schema = properties[field]
        if isinstance(template, bool):
            assert schema["type"] == "boolean", field
            continue
        assert "string" in ([schema["type"]] if isinstance(schema["type"], str) else schema["type"]), field
        assert (schema.get("format") == "uuid") == (template == "string (uuid)"), field
    required = set(SCHEMAS["TransferRequest"]["required"])
    assert required <= set(SAMPLE_PAYLOAD)
    assert not {f for f in TRANSFER_TEMPLATE if f.endswith("Id") and "CloudAccount" not in f} & required
    assert set(SCHEMAS["TransferIdRequest"]["properties"]) == {"id"}


def test_the_hub_push_example_names_transfer_fields() -> None:
    """Reference, C7: the pushed progress object `{"id":"t1","transferStatus":2,"percent":42.0}` is a
    part of the Transfer record (its id is illustrative, not a uuid)."""
    push = {"id": "t1", "transferStatus": 2, "percent": 42.0}
    transfer = SCHEMAS["Transfer"]["properties"]
    assert set(push) <= set(transfer)
    for field in ("transferStatus", "percent"):
        assert not schema_errors(
            pointer("components", "schemas", "Transfer", "properties", field), push[field]
        )
