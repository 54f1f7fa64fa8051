"""The Onedata spec (`specs/onedata.yaml`) held to its two pages before any emulator exists.

Each request and response example the "Create transfer" and "Get transfer status" pages print is
copied below as data, with the page section it comes from, and must validate against the schema the
spec declares for it; so must the error examples of the project's research notes on the service
("Reference, 3.1"). Around each example, a document that breaks one documented rule must be refused,
so the schemas are shown to hold something. The pages' run-together enum lists ("Enum:
replicationevictionmigration") are copied verbatim and must be the spec's enums, in the pages' order.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest
from contract import METHODS, Contract, pointer
from jsonschema import Draft202012Validator

CONTRACT = Contract("onedata")
SPEC = CONTRACT.spec
SCHEMAS: dict[str, Any] = SPEC["components"]["schemas"]
schema_errors = CONTRACT.schema_errors
component = CONTRACT.component

CREATE = "/transfers"
TRANSFER = "/transfers/{tid}"
RERUN = "/transfers/{tid}/rerun"
LIST = "/spaces/{sid}/transfers"
LOOKUP = "/lookup-file-id/{path}"
SCOPE = "/tokens/infer_access_token_scope"
OPERATIONS = {
    ("post", CREATE): "create_transfer",
    ("get", TRANSFER): "get_transfer_status",
    ("delete", TRANSFER): "cancel_transfer",
    ("post", RERUN): "rerun_transfer",
    ("get", LIST): "get_all_transfers",
    ("post", LOOKUP): "lookup_file_id",
    ("get", "/data/{id}"): "get_attrs",
    ("get", "/data/{id}/children"): "list_children",
    ("get", "/data/{id}/distribution"): "get_file_distribution",
    ("get", "/spaces/{sid}"): "get_space",
    ("get", "/configuration"): "get_configuration",
    ("post", SCOPE): "infer_access_token_scope",
}

# --- the pages' examples, as data -------------------------------------------------------------------

# Both status examples use this file id; it is the reference's worked example (5.1).
FILE_ID = (
    "00000000005CF4706775696423745F772D67686431633765446F4D76546D6F2D67575F3361737A7670486B477A79365877"
    "34507265584A7723394A4F355F5F396E4C31623031594576776E667431723230677767776C6B497031394E445F6E38686778"
    "73"
)
PROVIDER_ID = "HICATChd8wzbFmB6qfGby9VN7MfdXgI1qC4pULGVm8Q"
TRANSFER_ID = "c4798eb2dbd2486fae940e6fa0a5071d"

# "Create transfer", Example cURL requests, "Create file replication". The page's shell fills
# $PROVIDER_ID and $FILE_ID; here they are the provider and file ids of the status page's example.
CREATE_FILE_REPLICATION = {
    "type": "replication",
    "replicatingProviderId": PROVIDER_ID,
    "dataSourceType": "file",
    "fileId": FILE_ID,
}
# "Create transfer", Request Examples, Shell: `oneprovider-rest-cli createTransfer type==replication
# replicatingProviderId==$PROVIDER_ID dataSourceType==file fileId==$FILE_ID` (`==` sends a JSON field).
CREATE_REST_CLI = {
    "type": "replication",
    "replicatingProviderId": PROVIDER_ID,
    "dataSourceType": "file",
    "fileId": FILE_ID,
}
# Reference, 1.1, the swagger's second example: an eviction of a view's results.
CREATE_VIEW_EVICTION = {
    "type": "eviction",
    "evictingProviderId": PROVIDER_ID,
    "dataSourceType": "view",
    "spaceId": "6ec1a5413b6f4e2b01a5c85a8fd797e2",
    "viewName": "MyImages",
}

# "Get transfer status", Responses, 200, Example: every value as printed. Its histograms are one
# provider's: minHist as listed, the others 10485760000 followed by zeros.
MIN_HIST = [419430400, 1153433600, 1258291200, 1468006400, 1048576000, 1048576000, 1048576000]
MIN_HIST += [1153433600, 629145600, 1258291200] + [0] * 9
STATUS_EXAMPLE: dict[str, Any] = {
    "type": "replication",
    "userId": "admin",
    "rerunId": None,
    "effectiveJobTransferId": TRANSFER_ID,
    "spaceId": "6ec1a5413b6f4e2b01a5c85a8fd797e2",
    "dataSourceType": "file",
    "fileId": FILE_ID,
    "path": "/My Space 1/Dir2/file3.txt",
    "filePath": "/My Space 1/Dir2/file3.txt",
    "transferStatus": "completed",
    "effectiveJobStatus": "completed",
    "replicationStatus": "completed",
    "replicaEvictionStatus": "skipped",
    "evictionStatus": "skipped",
    "replicatingProviderId": PROVIDER_ID,
    "evictingProviderId": None,
    "callback": None,
    "filesToProcess": 1,
    "filesProcessed": 1,
    "filesReplicated": 1,
    "fileReplicasEvicted": 0,
    "filesEvicted": 0,
    "failedFiles": 0,
    "filesFailed": 0,
    "bytesReplicated": 10485760000,
    "scheduleTime": 1504688800,
    "startTime": 15046888765,
    "finishTime": 1504688814,
    "lastUpdate": 1504988814,
    "minHist": {"ASDxicvuisodr78w979879wer": MIN_HIST},
    "hrHist": {"ASDxicvuisodr78w979879wer": [10485760000] + [0] * 61},
    "dyHist": {"ASDxicvuisodr78w979879wer": [10485760000] + [0] * 25},
    "mthHist": {"ASDxicvuisodr78w979879wer": [10485760000] + [0] * 31},
}
# "Get transfer status", Example cURL requests: the same document, except `"path"` and `"filePath"`
# are "/space/tmp" and `"effectiveJobTransferId": $TRANSFER_ID` is printed unquoted (not JSON); it
# is read as the transfer's id, a string.
STATUS_CURL_EXAMPLE = STATUS_EXAMPLE | {"path": "/space/tmp", "filePath": "/space/tmp"}

# "Create transfer", Responses, 400, 403, 404 and 500: the same Example under each.
CREATE_ERROR_EXAMPLE = {
    "error": {
        "id": "example",
        "description": "This is an example error.",
        "ctx": {
            "timestamp": 1750762637248,
            "serviceReleaseVersion": "25.0",
            "serviceId": "a7ee2722915b8bf7fb064eb65087cc61ch9357",
            "serviceDomain": "dev-oneprovider-krakow.default.svc.cluster.local",
            "serviceBuildVersion": "231-g8d26f953c3",
            "service": "opw",
            "onedataErrorsRevision": "ca3af8cb",
            "module": "metadata_req",
            "line": 45,
        },
    }
}
# "Get transfer status", Responses, 400, 403, 404 and 500: the same legacy Example under each.
STATUS_LEGACY_ERROR_EXAMPLE = {
    "error": "invalid_token",
    "error_description": "Provided token could not be validated.",
}


def _error(id_: str, description: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": id_, "description": description}
    if details is not None:
        body["details"] = details
    return {"error": body}


# Reference, 3.1, the verbatim ctool examples, each with an operation and status that answers it.
REFERENCE_ERRORS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "get",
        TRANSFER,
        "401",
        _error("unauthorized", "You must authenticate yourself to perform this operation."),
    ),
    (
        "get",
        TRANSFER,
        "401",
        _error(
            "unauthorized",
            "Provided authentication is not valid (see details).",
            {
                "authError": {
                    "id": "badToken",
                    "description": "Provided token could not be understood by the server.",
                }
            },
        ),
    ),
    ("post", CREATE, "403", _error("forbidden", "You are not authorized to perform this operation.")),
    ("get", TRANSFER, "404", _error("notFound", "The resource could not be found.")),
    (
        "post",
        LOOKUP,
        "400",
        _error("posix", "Operation failed with POSIX error: enoent.", {"errno": "enoent"}),
    ),
    (
        "post",
        CREATE,
        "400",
        _error("missingRequiredValue", "Missing required value: fileId.", {"key": "fileId"}),
    ),
    (
        "post",
        CREATE,
        "400",
        _error(
            "badValueIdentifier",
            'Bad value: provided "fileId" is not a valid identifier.',
            {"key": "fileId"},
        ),
    ),
    (
        "get",
        LIST,
        "400",
        _error(
            "badValueNotAllowed",
            'Bad value: provided "state" must be one of: waiting, ongoing, ended.',
            {"key": "state", "allowed": ["waiting", "ongoing", "ended"]},
        ),
    ),
    (
        "get",
        LIST,
        "400",
        _error(
            "badValueNotInRange",
            'Bad value: provided "limit" must be between <1, 1000>.',
            {"key": "limit", "low": 1, "high": 1000},
        ),
    ),
    (
        "post",
        CREATE,
        "400",
        _error(
            "spaceNotSupportedBy",
            "Specified space: S is not supported by provider P.",
            {"spaceId": "S", "providerId": "P"},
        ),
    ),
    ("delete", TRANSFER, "400", _error("transferAlreadyEnded", "Specified transfer has already ended.")),
    ("post", RERUN, "400", _error("transferNotEnded", "Specified transfer has not ended yet.")),
]

# The pages' enum lists exactly as printed (values run together), with the schema they type.
DOC_ENUMS: list[tuple[str, str, str]] = [
    # ("Create transfer" / Request body, type)
    ("replicationevictionmigration", "TransferCreateCommon", "type"),
    # ("Create transfer" / Request body, dataSourceType)
    ("fileview", "TransferCreateCommon", "dataSourceType"),
    # ("Create transfer" / Responses, ErrorJsonCtx service)
    ("ozwopwozpopp", "ErrorJsonCtx", "service"),
    # ("Get transfer status" / Responses, 200): type, dataSourceType, the four statuses, stale
    ("replicationevictionmigration", "TransferStatus", "type"),
    ("fileview", "TransferStatus", "dataSourceType"),
    (
        "scheduledenqueuedskippedreplicatingevictingcompletedabortingcancelledfailed",
        "TransferStatus",
        "transferStatus",
    ),
    (
        "scheduledenqueuedskippedreplicatingevictingcompletedabortingcancelledfailed",
        "TransferStatus",
        "effectiveJobStatus",
    ),
    ("scheduledenqueuedskippedactivecompletedabortingcancelledfailed", "TransferStatus", "replicationStatus"),
    (
        "scheduledenqueuedskippedactivecompletedabortingcancelledfailed",
        "TransferStatus",
        "replicaEvictionStatus",
    ),
    ("scheduledenqueuedskippedactivecompletedabortingcancelledfailed", "TransferStatus", "evictionStatus"),
    ("okupdate_afterfalse", "QueryViewParams", "stale"),
]

# "Get transfer status", Responses, 200: the table's keys in the page's order.
STATUS_KEYS = [
    "type", "userId", "rerunId", "effectiveJobTransferId", "spaceId", "dataSourceType", "fileId", "path",
    "filePath", "viewName", "queryViewParams", "transferStatus", "effectiveJobStatus", "replicationStatus",
    "replicaEvictionStatus", "evictionStatus", "replicatingProviderId", "evictingProviderId", "callback",
    "filesToProcess", "filesProcessed", "filesReplicated", "fileReplicasEvicted", "filesEvicted",
    "failedFiles", "filesFailed", "bytesReplicated", "scheduleTime", "startTime", "finishTime", "lastUpdate",
    "minHist", "hrHist", "dyHist", "mthHist",
]  # fmt: skip
DEPRECATED_KEYS = {"path", "replicaEvictionStatus", "fileReplicasEvicted", "failedFiles"}
# "Get transfer status", Responses, 200, QueryViewParams: the table's keys.
QUERY_VIEW_PARAMS_KEYS = {
    "descending", "key", "limit", "skip", "startkey", "startkey_docid", "endkey", "endkey_docid",
    "inclusive_end", "stale", "bbox", "spatial", "start_range", "end_range",
}  # fmt: skip
# "Create transfer", Request body: the table's properties.
CREATE_BODY_KEYS = {"type", "replicatingProviderId", "evictingProviderId", "callback", "dataSourceType"}

# Response documents whose full field list the pages or the reference give.
CLOSED = {
    "Error",
    "ErrorJson",
    "ErrorJsonCtx",
    "TransferCreated",
    "TransferStatus",
    "QueryViewParams",
    "TransferList",
    "FileAttributes",
    "ChildrenList",
    "FileDistribution",
    "ProviderDistribution",
    "Space",
    "Configuration",
    "InferAccessTokenScopeResponse",
}

# --- helpers --------------------------------------------------------------------------------------


def request_errors(method: str, path: str, body: Any) -> list[str]:
    at = pointer("paths", path, method, "requestBody", "content", "application/json", "schema")
    return schema_errors(at, body)


def response_errors(method: str, path: str, status: str, body: Any) -> list[str]:
    return schema_errors(CONTRACT.response_pointer(method, path, status, "application/json"), body)


def walk(node: Any, at: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every (location, node) in the spec, depth first."""
    yield at, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*at, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*at, str(index)))


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` to the schema it names."""
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def enum_of(schema_name: str, prop: str) -> list[str]:
    enum: list[str] = resolve(SCHEMAS[schema_name]["properties"][prop])["enum"]
    return enum


def declared_ids(method: str, path: str, status: str) -> list[str]:
    """The error ids the spec allows for an operation's status."""
    response = CONTRACT.declared(method, path, status)
    schema = response["content"]["application/json"]["schema"]
    for part in resolve(schema).get("allOf", []):
        part = resolve(part)
        id_ = part.get("properties", {}).get("error", {}).get("properties", {}).get("id", {})
        if "enum" in id_:
            ids: list[str] = id_["enum"]
            return ids
    raise AssertionError(f"{method} {path} {status} declares no id enum")


# --- the spec itself ------------------------------------------------------------------------------


def test_spec_is_openapi_3_1_under_the_documented_prefixes_with_the_three_token_headers() -> None:
    """Both pages' cURL examples ("https://$PROVIDER_HOST/api/v3/oneprovider/transfers"); reference, 4
    (X-Auth-Token, then Authorization: Bearer, then Macaroon) and 5.2 (Onezone's call on its own
    prefix, without an auth header; /configuration needs none)."""
    assert SPEC["openapi"].startswith("3.1")
    assert CONTRACT.base == "/api/v3/oneprovider"
    assert SPEC["paths"][SCOPE]["servers"] == [{"url": "/api/v3/onezone"}]
    assert SPEC["components"]["securitySchemes"] == {
        "X-Auth-Token": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
        "Bearer": {"type": "http", "scheme": "bearer"},
        "Macaroon": {"type": "apiKey", "in": "header", "name": "Macaroon", "description": "Deprecated."},
    }
    assert SPEC["security"] == [{"X-Auth-Token": []}, {"Bearer": []}, {"Macaroon": []}]
    unauthenticated = {
        (method, path)
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in METHODS and op.get("security") == []
    }
    assert unauthenticated == {("get", "/configuration"), ("post", SCOPE)}


def test_operations_are_the_transfer_and_file_surface() -> None:
    """Pages: create and status; reference, 1.3-1.5 (cancel, rerun, list) and 5.2 (the file surface a
    client needs, Onezone's token scope). Every authenticated operation answers 401 (reference, 4)."""
    found = {
        (method, path): op["operationId"]
        for path, item in SPEC["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }
    assert found == OPERATIONS
    for method, path in OPERATIONS:
        op = CONTRACT.operation(method, path)
        if op.get("security") != []:
            assert declared_ids(method, path, "401") == ["unauthorized"], (method, path)


def test_every_schema_is_valid_json_schema_2020_12_and_every_ref_resolves() -> None:
    """Every schema in the spec (components, bodies, parameters, headers) passes the 2020-12
    metaschema, and every `$ref` names something that exists."""
    schemas = [node for at, node in walk(SPEC) if at and at[-1] == "schema" and isinstance(node, dict)]
    schemas += list(SCHEMAS.values())
    assert len(schemas) > 60
    for schema in schemas:
        Draft202012Validator.check_schema(schema)
    resolver = CONTRACT.registry.resolver(base_uri=CONTRACT.uri)
    refs = [node["$ref"] for _, node in walk(SPEC) if isinstance(node, dict) and "$ref" in node]
    assert refs
    for ref in refs:
        assert resolver.lookup(ref).contents is not None, ref


def test_every_operation_cites_the_pages_or_the_reference() -> None:
    """Each operation carries `x-doc` (a page's section and quoted phrases) or `x-reference` (a section
    of the research notes, numbered); the two documented operations cite their page."""
    for method, path in OPERATIONS:
        op = CONTRACT.operation(method, path)
        assert "x-doc" in op or "x-reference" in op, (method, path)
    assert CONTRACT.operation("post", CREATE)["x-doc"]["section"] == "Create transfer"
    assert CONTRACT.operation("get", TRANSFER)["x-doc"]["section"] == "Get transfer status"
    citations = [(at, node) for at, node in walk(SPEC) if at and at[-1] in ("x-doc", "x-reference")]
    assert len(citations) > 100
    for at, node in citations:
        assert set(node) == {"section", "says"}, at
        assert node["says"] and all(isinstance(s, str) and s for s in node["says"]), at
        if at[-1] == "x-doc":
            assert re.match(r"(Create transfer|Get transfer status)( / [A-Z][a-z ]+)?$", node["section"]), at
        else:
            assert re.match(r"\d+(\.\d+)*\.? \S", node["section"]), at


def test_response_documents_are_closed() -> None:
    """Response documents list every field and refuse others; each required field is declared."""
    for name in CLOSED:
        schema = SCHEMAS[name]
        assert schema["additionalProperties"] is False, name
        assert set(schema.get("required", [])) <= set(schema["properties"]), name
    assert response_errors("post", CREATE, "201", {"transferId": TRANSFER_ID, "extra": 1})


def test_enums_are_the_pages_lists_in_the_pages_order() -> None:
    """Each enum the pages print run together ("Enum: replicationevictionmigration") is the spec's
    enum, value by value and in order."""
    for printed, schema, prop in DOC_ENUMS:
        assert "".join(enum_of(schema, prop)) == printed, (schema, prop)
    assert enum_of("TransferCreateCommon", "type") == ["replication", "eviction", "migration"]
    assert enum_of("QueryViewParams", "stale") == ["ok", "update_after", "false"]


def test_status_document_has_every_key_of_the_page() -> None:
    """ "Get transfer status", 200: every key of the table; reference, 1.2: the four deprecated keys
    (removed in 21.02) are optional, and so are the file-only and view-only pairs."""
    status = SCHEMAS["TransferStatus"]
    assert list(status["properties"]) == STATUS_KEYS
    optional = set(STATUS_KEYS) - set(status["required"])
    assert optional == DEPRECATED_KEYS | {"fileId", "filePath", "viewName", "queryViewParams"}
    for key in DEPRECATED_KEYS:
        assert status["properties"][key]["deprecated"] is True, key
    assert set(SCHEMAS["QueryViewParams"]["properties"]) == QUERY_VIEW_PARAMS_KEYS | {"keys"}
    assert set(SCHEMAS["TransferCreateCommon"]["properties"]) == CREATE_BODY_KEYS


# --- the pages' examples --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [CREATE_FILE_REPLICATION, CREATE_REST_CLI, CREATE_VIEW_EVICTION],
    ids=["curl-file-replication", "rest-cli", "reference-view-eviction"],
)
def test_create_examples_are_valid_requests(body: dict[str, Any]) -> None:
    """ "Create transfer", Example cURL requests and Request Examples; reference, 1.1 (the view
    example)."""
    assert request_errors("post", CREATE, body) == []


@pytest.mark.parametrize(
    ("change", "broken_rule"),
    [
        ({"type": "copy"}, "type is one of replication, eviction, migration"),
        ({"dataSourceType": "path"}, "dataSourceType is one of file, view"),
        ({"type": "migration"}, "a migration names an evicting provider too"),
        ({"type": "eviction"}, "an eviction names its evicting provider"),
        ({"fileId": "not-an-objectid"}, "fileId is a CDMI objectid"),
        ({"fileId": None}, "fileId is a string"),
        ({"callback": ""}, "callback is a non-empty string"),
        ({"replicatingProviderId": ""}, "provider ids are non-empty"),
    ],
)
def test_create_refuses_a_body_that_breaks_a_documented_rule(
    change: dict[str, Any], broken_rule: str
) -> None:
    """Reference, 1.1, the data spec: each broken rule is refused by the request schema."""
    body = CREATE_FILE_REPLICATION | change
    assert request_errors("post", CREATE, body), broken_rule


def test_create_needs_each_source_s_own_fields() -> None:
    """Reference, 1.1: fileId for a file source; spaceId and viewName for a view source; an id the
    type does not use is ignored, not refused."""
    for missing in ("type", "dataSourceType", "fileId", "replicatingProviderId"):
        body = {k: v for k, v in CREATE_FILE_REPLICATION.items() if k != missing}
        assert request_errors("post", CREATE, body), missing
    for missing in ("spaceId", "viewName", "evictingProviderId"):
        body = {k: v for k, v in CREATE_VIEW_EVICTION.items() if k != missing}
        assert request_errors("post", CREATE, body), missing
    assert request_errors("post", CREATE, CREATE_VIEW_EVICTION | {"queryViewParams": []})
    assert request_errors("post", CREATE, CREATE_VIEW_EVICTION | {"queryViewParams": {"stale": "yes"}})
    with_view_query = CREATE_VIEW_EVICTION | {
        "queryViewParams": {"key": ["a", 1], "limit": 10, "stale": "ok"}
    }
    assert request_errors("post", CREATE, with_view_query) == []
    unused_id = CREATE_VIEW_EVICTION | {"replicatingProviderId": PROVIDER_ID, "unknownKey": 1}
    assert request_errors("post", CREATE, unused_id) == []
    lower_case_id = CREATE_FILE_REPLICATION | {"fileId": FILE_ID.lower()}
    assert request_errors("post", CREATE, lower_case_id) == []


@pytest.mark.parametrize("example", [STATUS_EXAMPLE, STATUS_CURL_EXAMPLE], ids=["example", "curl"])
def test_status_examples_are_valid_status_documents(example: dict[str, Any]) -> None:
    """ "Get transfer status", Responses 200 Example and Example cURL requests (with the deprecated
    keys); without them too, as 21.02 answers (reference, 1.2)."""
    assert response_errors("get", TRANSFER, "200", example) == []
    current = {k: v for k, v in example.items() if k not in DEPRECATED_KEYS}
    assert response_errors("get", TRANSFER, "200", current) == []


def test_histograms_have_their_fixed_lengths() -> None:
    """Reference, 2.6: minHist 19 slots, hrHist 62, dyHist 26, mthHist 32, per source provider; the
    page's example has exactly those lengths."""
    lengths = {"minHist": 19, "hrHist": 62, "dyHist": 26, "mthHist": 32}
    for key, length in lengths.items():
        assert [len(v) for v in STATUS_EXAMPLE[key].values()] == [length], key
        for wrong in (length - 1, length + 1):
            broken = STATUS_EXAMPLE | {key: {PROVIDER_ID: [0] * wrong}}
            assert response_errors("get", TRANSFER, "200", broken), (key, wrong)
        negative = STATUS_EXAMPLE | {key: {PROVIDER_ID: [-1] + [0] * (length - 1)}}
        assert response_errors("get", TRANSFER, "200", negative), key
        assert response_errors("get", TRANSFER, "200", STATUS_EXAMPLE | {key: {}}) == []


def test_status_document_refuses_what_the_page_and_the_reference_rule_out() -> None:
    """ "Get transfer status", 200: types and enums; reference, 1.2: the key set, and a view transfer
    has no fileId or filePath."""
    for key in set(STATUS_EXAMPLE) - DEPRECATED_KEYS:
        broken = {k: v for k, v in STATUS_EXAMPLE.items() if k != key}
        assert response_errors("get", TRANSFER, "200", broken), f"{key} is required"
    for key, value in [
        ("transferStatus", "active"),  # a phase status, not a transfer status
        ("replicationStatus", "replicating"),  # a transfer status, not a phase status
        ("filesFailed", "0"),
        ("scheduleTime", 1504688800.5),
        ("fileId", FILE_ID.lower()),  # responses are upper-case hex
        ("userId", None),
        ("unknownKey", 1),
    ]:
        assert response_errors("get", TRANSFER, "200", STATUS_EXAMPLE | {key: value}), key
    view = {k: v for k, v in STATUS_EXAMPLE.items() if k not in ("fileId", "filePath", "path")}
    view |= {"dataSourceType": "view", "viewName": "MyImages", "queryViewParams": {}}
    assert response_errors("get", TRANSFER, "200", view) == []
    assert response_errors("get", TRANSFER, "200", view | {"fileId": FILE_ID})
    assert response_errors("get", TRANSFER, "200", {k: v for k, v in view.items() if k != "queryViewParams"})


@pytest.mark.parametrize("status", ["400", "403", "404", "500"])
def test_create_error_example_is_the_declared_error_document(status: str) -> None:
    """ "Create transfer", Responses 400/403/404/500: the page's Example is the declared envelope; its
    placeholder id "example" is not an id the service sends, so each status's documented ids stand
    in for it; a ctx missing a field, or an unknown service, is refused."""
    assert schema_errors(component("Error"), CREATE_ERROR_EXAMPLE) == []
    assert response_errors("post", CREATE, status, CREATE_ERROR_EXAMPLE)
    for id_ in declared_ids("post", CREATE, status):
        example = copy.deepcopy(CREATE_ERROR_EXAMPLE)
        example["error"]["id"] = id_
        assert response_errors("post", CREATE, status, example) == [], id_
        del example["error"]["ctx"]["line"]
        assert response_errors("post", CREATE, status, example), id_
        example = copy.deepcopy(CREATE_ERROR_EXAMPLE)
        example["error"] |= {"id": id_, "details": {"key": "fileId"}}
        example["error"]["ctx"]["service"] = "op"
        assert response_errors("post", CREATE, status, example), id_


@pytest.mark.parametrize("status", ["400", "403", "404", "500"])
def test_status_page_legacy_error_example_is_not_the_chosen_format(status: str) -> None:
    """ "Get transfer status", Responses 400/403/404/500 print `{error: "invalid_token",
    error_description}`, which contradicts "Create transfer"; the spec follows "Create transfer"
    (reference, 3.3: the legacy shape is ≤18.02's), so the legacy example is refused."""
    assert response_errors("get", TRANSFER, status, STATUS_LEGACY_ERROR_EXAMPLE)


@pytest.mark.parametrize(("method", "path", "status", "body"), REFERENCE_ERRORS)
def test_reference_error_examples_are_valid_for_their_status(
    method: str, path: str, status: str, body: dict[str, Any]
) -> None:
    """Reference, 3.1: each verbatim error document validates where the service sends it (without
    ctx, as 21.02 answers), and its id is refused under any other status of that operation."""
    assert response_errors(method, path, status, body) == []
    for other in CONTRACT.operation(method, path)["responses"]:
        if other != status and "content" in CONTRACT.declared(method, path, other):
            assert response_errors(method, path, other, body), other


def test_each_operation_s_400_ids_are_its_own() -> None:
    """Reference, 1.1 and 1.3-1.5: each transfer operation's 400 names only its causes, all among the
    service's 400 ids (reference, 3.1)."""
    every_400 = set(declared_ids("get", TRANSFER, "400"))
    assert declared_ids("delete", TRANSFER, "400") == ["transferAlreadyEnded"]
    assert declared_ids("post", RERUN, "400")[0] == "transferNotEnded"
    assert "transferAlreadyEnded" not in declared_ids("post", RERUN, "400")
    assert set(declared_ids("post", CREATE, "400")) >= {
        "malformedData",
        "missingRequiredValue",
        "badValueNotAllowed",
        "badValueString",
        "badValueIdentifier",
        "spaceNotSupportedBy",
        "viewNotExistsOn",
        "posix",
    }
    assert set(declared_ids("get", LIST, "400")) == {
        "badValueNotAllowed",
        "badValueInteger",
        "badValueNotInRange",
        "badValueEmpty",
        "spaceNotSupportedBy",
    }
    for method, path in [("post", CREATE), ("post", RERUN), ("get", LIST), ("delete", TRANSFER)]:
        assert set(declared_ids(method, path, "400")) <= every_400, (method, path)
    assert declared_ids("post", CREATE, "404") == ["notFound"]
    assert declared_ids("post", CREATE, "403") == ["forbidden", "userNotSupported"]


def test_created_transfer_and_its_location() -> None:
    """ "Create transfer", 201: `{transferId}` and the Location
    "https://$PROVIDER_HOST/api/v3/oneprovider/transfers/{id}"; reference, 1.1: 21.02.x drops a slash
    ("oneprovidertransfers"), which this spec does not take for the page's form."""
    assert response_errors("post", CREATE, "201", {"transferId": TRANSFER_ID}) == []
    assert (
        response_errors("post", CREATE, "201", {"transferId": "2727a9fe5f5df6b43a8033386d2990e8ch5df6"}) == []
    )
    assert response_errors("post", CREATE, "201", {"transferId": 1})
    assert response_errors("post", CREATE, "201", {})
    header = pointer("components", "headers", "TransferLocation", "schema")
    assert schema_errors(header, f"https://op.example.org/api/v3/oneprovider/transfers/{TRANSFER_ID}") == []
    assert schema_errors(header, f"https://op.example.org:443/api/v3/oneprovidertransfers/{TRANSFER_ID}")
    for path in (CREATE, RERUN):
        location = CONTRACT.operation("post", path)["responses"]["201"]["headers"]["Location"]
        assert location == {"$ref": "#/components/headers/TransferLocation"}


def test_transfer_list_pages_with_link_key_tokens() -> None:
    """Reference, 1.5: `{transfers, nextPageToken}`, the token a link key ("schedule time 1504688800
    and tid `2727a9…` give `84953111992727a9`") or null on the last page; state and limit rules."""
    page = {"transfers": ["2727a9fe5f5df6b43a8033386d2990e8ch5df6"], "nextPageToken": "84953111992727a9"}
    assert response_errors("get", LIST, "200", page) == []
    assert response_errors("get", LIST, "200", page | {"nextPageToken": None}) == []
    assert response_errors("get", LIST, "200", page | {"nextPageToken": "abc"})
    assert response_errors("get", LIST, "200", page | {"isLast": True})
    assert response_errors("get", LIST, "200", {"transfers": []})
    params = {p["name"]: p["schema"] for p in CONTRACT.operation("get", LIST)["parameters"]}
    assert params["state"] == {"enum": ["waiting", "ongoing", "ended"], "default": "ongoing"}
    assert (params["limit"]["minimum"], params["limit"]["maximum"], params["limit"]["default"]) == (
        1,
        1000,
        1000,
    )
