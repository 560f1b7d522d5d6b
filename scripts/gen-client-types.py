#!/usr/bin/env python3
"""Writes clients/js/etrange.d.ts, the TypeScript declarations of the JavaScript client, from the
server's OpenAPI document: each schema becomes a type, and each method of the client's ROUTES table
(clients/js/etrange.js) is typed by its operation's path parameters, body, query and answer. The
client's own declarations (its class, options, errors, live channel) are written by hand in
clients/js/etrange.client.d.ts, which the generated file re-exports.

    python3 scripts/gen-client-types.py            # rewrites the declarations
    python3 scripts/gen-client-types.py --check    # exits 1, with a diff, when they are stale
    … --document PATH                              # from another copy of the document (e.g. git show HEAD:…)

Python 3 standard library only. A route of the table that the document lacks, or whose method is
not named after the operation's operationId, stops the generation."""

import difflib
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "Sources/App/Resources/openapi.json"
CLIENT = ROOT / "clients/js/etrange.js"
OUTPUT = ROOT / "clients/js/etrange.d.ts"
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
ROUTE_LINE = re.compile(r"^\s+(\w+): \['(GET|POST|PUT|PATCH|DELETE)', '([^']+)'\],$")
IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def fail(message):
    sys.exit(f"gen-client-types: {message}")


def routes():
    text = CLIENT.read_text(encoding="utf-8")
    try:
        table = text.split("// routes:begin\n", 1)[1].split("// routes:end", 1)[0]
    except IndexError:
        fail(f"{CLIENT} has no '// routes:begin' … '// routes:end' table")
    found = []
    for line in table.splitlines():
        match = ROUTE_LINE.match(line)
        if match:
            found.append(match.groups())
        elif line.strip() not in ("", "export const ROUTES = Object.freeze({", "});"):
            fail(f"unreadable line in ROUTES: {line.strip()!r}")
    return found


def ref_name(ref):
    prefix = "#/components/schemas/"
    if not ref.startswith(prefix):
        fail(f"unsupported $ref {ref}")
    return ref[len(prefix):]


def literal(value):
    return "null" if value is None else json.dumps(value, ensure_ascii=False)


def ts_type(schema, indent):
    """The TypeScript type of a JSON Schema (the subset the document uses)."""
    if schema is True or schema == {}:
        return "unknown"
    if "$ref" in schema:
        return ref_name(schema["$ref"])
    if "const" in schema:
        return literal(schema["const"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return union(ts_type(part, indent) for part in schema[key])
    if "enum" in schema:
        return union(literal(value) for value in schema["enum"])
    kinds = schema.get("type")
    if kinds is None:
        return "object" if "properties" in schema else "unknown"
    if isinstance(kinds, list):
        return union(ts_type({**schema, "type": kind}, indent) for kind in kinds)
    if kinds == "string":
        return "Blob" if schema.get("format") == "binary" or "contentMediaType" in schema else "string"
    if kinds in ("integer", "number"):
        return "number"
    if kinds == "boolean":
        return "boolean"
    if kinds == "null":
        return "null"
    if kinds == "array":
        item = ts_type(schema.get("items", {}), indent)
        return f"Array<{item}>"
    if kinds == "object":
        return object_type(schema, indent)
    fail(f"unsupported type {kinds!r}")


def union(parts):
    seen = []
    for part in parts:
        if part not in seen:
            seen.append(part)
    return " | ".join(seen)


def comment(text, indent):
    if not text:
        return ""
    body = text.replace("*/", "*\\/").splitlines()
    pad = "  " * indent
    if len(body) == 1:
        return f"{pad}/** {body[0]} */\n"
    return f"{pad}/**\n" + "".join(f"{pad} * {line}".rstrip() + "\n" for line in body) + f"{pad} */\n"


def object_type(schema, indent):
    properties = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    if not properties:
        if isinstance(extra, dict):
            return f"Record<string, {ts_type(extra, indent)}>"
        return "Record<string, unknown>"
    required = set(schema.get("required", []))
    pad = "  " * (indent + 1)
    lines = ["{"]
    for name, prop in properties.items():
        key = name if IDENTIFIER.match(name) else json.dumps(name)
        optional = "" if name in required else "?"
        doc = comment(prop.get("description", "") if isinstance(prop, dict) else "", indent + 1)
        lines.append(f"{doc}{pad}{key}{optional}: {ts_type(prop, indent + 1)};")
    if isinstance(extra, dict):
        lines.append(f"{pad}[key: string]: {ts_type(extra, indent + 1)};")
    lines.append("  " * indent + "}")
    return "\n".join(lines)


def declare_schema(name, schema):
    doc = comment(schema.get("description", ""), 0)
    if schema.get("type") == "object" and schema.get("properties") and "anyOf" not in schema and "oneOf" not in schema:
        return f"{doc}export interface {name} {object_type(schema, 0)}\n"
    return f"{doc}export type {name} = {ts_type(schema, 0)};\n"


def pascal(name):
    return name[:1].upper() + name[1:]


def resolve_parameter(document, parameter):
    if "$ref" in parameter:
        prefix = "#/components/parameters/"
        if not parameter["$ref"].startswith(prefix):
            fail(f"unsupported parameter $ref {parameter['$ref']}")
        return document["components"]["parameters"][parameter["$ref"][len(prefix):]]
    return parameter


def answer_type(operation):
    for status, response in sorted(operation.get("responses", {}).items()):
        if not status.startswith("2"):
            continue
        schema = response.get("content", {}).get("application/json", {}).get("schema")
        if schema is not None:
            return ts_type(schema, 1)
    return "void"


def declare_operations(document):
    lines, queries = [], []
    for name, method, path in routes():
        operation = document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            fail(f"ROUTES.{name}: {method} {path} is not in {DOCUMENT.name}")
        if operation.get("operationId") != name:
            fail(f"ROUTES.{name}: {method} {path} is operationId {operation.get('operationId')!r}; name the method after it")
        parameters = [
            resolve_parameter(document, parameter)
            for parameter in document["paths"][path].get("parameters", []) + operation.get("parameters", [])
        ]
        by_name = {p["name"]: p for p in parameters if p["in"] == "path"}
        arguments = []
        for placeholder in re.findall(r"\{([^}]+)\}", path):
            parameter = by_name.get(placeholder)
            if parameter is None:
                fail(f"{method} {path}: path parameter {placeholder} is not documented")
            kind = ts_type(parameter.get("schema", {}), 1)
            arguments.append(f"{re.sub(r'[^A-Za-z0-9_]', '_', placeholder)}: {kind}")
        body = operation.get("requestBody")
        if body is not None:
            if method not in WRITES:
                fail(f"ROUTES.{name}: a {method} with a body cannot be called by the client")
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            if schema is None:
                fail(f"ROUTES.{name}: its body is not JSON")
            arguments.append(f"body{'' if body.get('required') else '?'}: {ts_type(schema, 1)}")
        query = [p for p in parameters if p["in"] == "query"]
        if query:
            if method in WRITES and body is None:
                fail(f"ROUTES.{name}: a {method} without a body but with a query cannot be called by the client")
            query_name = f"{pascal(name)}Query"
            fields = {p["name"]: {**p.get("schema", {}), "description": p.get("description", "")} for p in query}
            required = [p["name"] for p in query if p.get("required")]
            queries.append(declare_schema(query_name, {"type": "object", "properties": fields, "required": required}))
            arguments.append(f"query{'' if required else '?'}: {query_name}")
        summary = operation.get("summary") or ""
        doc = comment(f"{method} {path}" + (f": {summary}" if summary else ""), 1)
        lines.append(f"{doc}  {name}({', '.join(arguments)}): Promise<{answer_type(operation)}>;")
    return queries, lines


def generate(path):
    document = json.loads(path.read_text(encoding="utf-8"))
    out = [
        "// Generated by scripts/gen-client-types.py from Sources/App/Resources/openapi.json and the\n"
        "// ROUTES table of clients/js/etrange.js. Do not edit: run the script again.\n"
        f"// API: {document['info']['title']} {document['info']['version']}\n\n"
        "export * from './etrange.client.js';\n\n"
    ]
    for name, schema in document["components"]["schemas"].items():
        out.append(declare_schema(name, schema) + "\n")
    queries, operations = declare_operations(document)
    out.extend(query + "\n" for query in queries)
    out.append("/** The API's operations, one method of the client each. */\n")
    out.append("export interface EtrangeOperations {\n" + "\n".join(operations) + "\n}\n")
    return "".join(out)


def main():
    arguments = sys.argv[1:]
    path = DOCUMENT
    if "--document" in arguments:
        index = arguments.index("--document")
        if index + 1 >= len(arguments):
            fail("--document needs a path")
        path = Path(arguments[index + 1])
    text = generate(path)
    if "--check" in arguments:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), text.splitlines(True), str(OUTPUT), "generated"))
            print(f"\n{OUTPUT.relative_to(ROOT)} is stale: run python3 scripts/gen-client-types.py", file=sys.stderr)
            sys.exit(1)
        return
    if "--stdout" in arguments:
        sys.stdout.write(text)
        return
    OUTPUT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
