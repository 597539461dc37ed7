"""Google's own Sheets v4 and Drive v3 discovery documents, as strict JSON Schema validators.

A fake that accepts what Google rejects proves nothing, so the fake Google (tests/fake_google.py)
checks every body against the vendored discovery documents (tests/schemas/google-*.json, see the
README there). Discovery schemas are converted to JSON Schema Draft 2020-12 and *closed*: a field
the document does not name fails (Google answers 400 "Unknown name" for those), an int32 out of
range fails, a Request sets exactly one kind, an ExtendedValue holds at most one value, and a
JSON `null` anywhere fails (sheetsync never sends one; a null usually means a bug upstream).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

SCHEMAS = Path(__file__).resolve().parent / "schemas"
DOCUMENTS = {"sheets": SCHEMAS / "google-sheets-v4.json", "drive": SCHEMAS / "google-drive-v3.json"}

INT32 = (-(2**31), 2**31 - 1)
UINT32 = (0, 2**32 - 1)
#: Schemas where the discovery document says "exactly one of" but cannot express it.
ONE_OF_FIELDS = {"Request": (1, 1), "ExtendedValue": (0, 1)}


@cache
def document(api: str) -> dict[str, Any]:
    """The discovery document of `api` ("sheets" or "drive"), parsed once."""
    loaded: dict[str, Any] = json.loads(DOCUMENTS[api].read_text(encoding="utf-8"))
    return loaded


def convert(schema: dict[str, Any]) -> dict[str, Any]:
    """One discovery schema as closed JSON Schema (refs point into `$defs`)."""
    if "$ref" in schema:
        return {"$ref": f"#/$defs/{schema['$ref']}"}
    kind = schema.get("type")
    out: dict[str, Any] = {}
    if kind == "any":
        return out  # anything but null; nulls are refused before the schema is consulted
    if kind is not None:
        out["type"] = kind
    fmt = schema.get("format")
    if kind == "integer" and fmt in ("int32", "uint32"):
        out["minimum"], out["maximum"] = INT32 if fmt == "int32" else UINT32
    if "enum" in schema:
        out["enum"] = list(schema["enum"])
    if "items" in schema:
        out["items"] = convert(schema["items"])
    if kind == "object":
        if "properties" in schema:
            out["properties"] = {k: convert(v) for k, v in schema["properties"].items()}
        if isinstance(schema.get("additionalProperties"), dict):
            out["additionalProperties"] = convert(schema["additionalProperties"])
        else:
            # A message with named fields, or an empty message: nothing else is allowed.
            out["additionalProperties"] = False
    return out


@cache
def json_schema(api: str) -> dict[str, Any]:
    """Every schema of the document under `$defs`, closed; the root accepts nothing by itself."""
    defs: dict[str, Any] = {}
    for name, schema in document(api)["schemas"].items():
        converted = convert(schema)
        if name in ONE_OF_FIELDS:
            converted["minProperties"], converted["maxProperties"] = ONE_OF_FIELDS[name]
        defs[name] = converted
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": defs}


def api_of(schema_name: str) -> str:
    """Which document defines `schema_name` (the two share no schema name)."""
    for api in DOCUMENTS:
        if schema_name in document(api)["schemas"]:
            return api
    raise KeyError(f"no Google discovery schema named {schema_name!r}")


@cache
def registry(api: str) -> Registry[Any]:
    """The converted document as one JSON Schema resource, checked against the metaschema
    once; every validator of the api resolves its `$ref`s in it."""
    root = json_schema(api)
    Draft202012Validator.check_schema(root)
    built: Registry[Any] = Registry().with_resource(f"urn:google:{api}",
                                                    DRAFT202012.create_resource(root))
    return built


@cache
def validator(schema_name: str, api: str | None = None) -> Draft202012Validator:
    """A validator for one named schema, built once per name."""
    api = api or api_of(schema_name)
    return Draft202012Validator({"$ref": f"urn:google:{api}#/$defs/{schema_name}"},
                                registry=registry(api))


def _where(path: Any) -> str:
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _nulls(body: object, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if body is None:
        return [path]
    if isinstance(body, dict):
        return [p for k, v in body.items() for p in _nulls(v, (*path, k))]
    if isinstance(body, list):
        return [p for i, v in enumerate(body) for p in _nulls(v, (*path, i))]
    return []


def _message(error: jsonschema.ValidationError) -> str:
    """jsonschema's message, made short where it would repeat a whole request."""
    instance = error.instance
    if error.validator == "maxProperties" and isinstance(instance, dict):
        return (f"at most {error.validator_value} of its fields may be set "
                f"(a oneof), got {sorted(instance)}")
    if error.validator == "minProperties" and isinstance(instance, dict):
        return "exactly one field must be set (a oneof), got none"
    if error.validator == "type" and not isinstance(instance, (str, int, float, bool)):
        shown = "an object" if isinstance(instance, dict) else "an array"
        return f"{shown} is not of type {error.validator_value!r}"
    return str(error.message)


def validate(schema_name: str, body: object, api: str | None = None) -> None:
    """Raise jsonschema.ValidationError, naming the JSON path, if `body` is not a valid
    `schema_name` (e.g. "BatchUpdateSpreadsheetRequest", "Spreadsheet", "File")."""
    nulls = _nulls(body)
    if nulls:
        raise jsonschema.ValidationError(
            f"{schema_name} at {_where(nulls[0])}: null is not allowed (Google's JSON omits "
            f"an unset field; {len(nulls)} null(s) in all)", path=nulls[0])
    errors = sorted(validator(schema_name, api).iter_errors(body),
                    key=lambda e: ([(0, p, "") if isinstance(p, int) else (1, 0, str(p))
                                    for p in e.path], str(e.validator)))
    if errors:
        lines = [f"{_where(e.path)}: {_message(e)}" for e in errors[:8]]
        more = f" (and {len(errors) - 8} more)" if len(errors) > 8 else ""
        raise jsonschema.ValidationError(
            f"{schema_name} is invalid per Google's discovery document "
            f"(revision {document(api or api_of(schema_name))['revision']}){more}:\n  "
            + "\n  ".join(lines), path=errors[0].path)


# --- methods and their query parameters --------------------------------------------------


@cache
def methods(api: str) -> dict[str, dict[str, Any]]:
    """Every method of the document by its id, e.g. "sheets.spreadsheets.values.batchGet"."""
    found: dict[str, dict[str, Any]] = {}

    def walk(resource: dict[str, Any]) -> None:
        for method in resource.get("methods", {}).values():
            found[method["id"]] = method
        for sub in resource.get("resources", {}).values():
            walk(sub)

    walk(document(api))
    return found


def parameters(api: str, method_id: str) -> dict[str, dict[str, Any]]:
    """The query parameters of a method, the document's global ones (fields, alt, key,
    prettyPrint, quotaUser, $.xgafv, ...) included, each with its discovery description."""
    if method_id not in methods(api):
        raise KeyError(f"{api} has no method {method_id!r}")
    own = methods(api)[method_id].get("parameters", {})
    merged = {**document(api)["parameters"], **own}
    return {name: p for name, p in merged.items() if p.get("location") == "query"}


def query_parameters(api: str, method_id: str) -> set[str]:
    """The names of the query parameters a method accepts."""
    return set(parameters(api, method_id))


def enum_values(api: str, method_id: str, param: str) -> list[str]:
    """The values an enum query parameter may hold (e.g. valueRenderOption)."""
    spec = parameters(api, method_id)[param]
    if "enum" not in spec:
        raise KeyError(f"{method_id}: {param} is not an enum parameter")
    return list(spec["enum"])


def request_schema(api: str, method_id: str) -> str | None:
    """The schema name of a method's request body, if it takes one."""
    ref = methods(api)[method_id].get("request", {}).get("$ref")
    return str(ref) if ref else None


def response_schema(api: str, method_id: str) -> str | None:
    """The schema name of a method's response body."""
    ref = methods(api)[method_id].get("response", {}).get("$ref")
    return str(ref) if ref else None


def field_schema(api: str, schema_name: str, path: list[str]) -> dict[str, Any] | None:
    """The discovery schema at a dotted field path below `schema_name` (arrays and maps are
    stepped through), or None if some part of the path is no field; for field masks."""
    schemas = document(api)["schemas"]
    current: dict[str, Any] = schemas[schema_name]
    for part in path:
        while True:
            if "$ref" in current:
                current = schemas[current["$ref"]]
            elif current.get("type") == "array":
                current = current["items"]
            else:
                break
        if part in current.get("properties", {}):
            current = current["properties"][part]
        elif isinstance(current.get("additionalProperties"), dict):
            current = current["additionalProperties"]
        else:
            return None
    return current
