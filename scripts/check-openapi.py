#!/usr/bin/env python3
"""Validates the OpenAPI document of the server.

Usage: scripts/check-openapi.py [path/to/openapi.json]

Checks the document against the OpenAPI 3.1 specification (openapi-spec-validator, from PyPI),
then a few conventions of this project: every operation has a unique operationId, tags and a
summary; every operation protected by the bearer scheme documents 401; every operation with a
request body documents 400 and 413; every $ref resolves. Exits non-zero on any problem.
"""
import json
import pathlib
import sys

try:
    from openapi_spec_validator import validate
except ImportError:  # pragma: no cover
    sys.exit("openapi-spec-validator is not installed: pip install openapi-spec-validator")

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def conventions(doc):
    problems = []
    seen = {}
    global_security = doc.get("security", [])

    def resolve(ref):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
        return node

    def walk(node, where):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and (not ref.startswith("#/") or resolve(ref) is None):
                problems.append(f"{where}: unresolved $ref {ref}")
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(doc, "#")

    for path, item in doc.get("paths", {}).items():
        for method, op in item.items():
            if method not in METHODS:
                continue
            name = f"{method.upper()} {path}"
            op_id = op.get("operationId")
            if not op_id:
                problems.append(f"{name}: no operationId")
            elif op_id in seen:
                problems.append(f"{name}: operationId {op_id} also used by {seen[op_id]}")
            else:
                seen[op_id] = name
            if not op.get("tags"):
                problems.append(f"{name}: no tags")
            if not op.get("summary"):
                problems.append(f"{name}: no summary")
            responses = op.get("responses", {})
            if not any(code.startswith("2") or code == "101" for code in responses):
                problems.append(f"{name}: no success response")
            security = op.get("security", global_security)
            if any("bearer" in requirement for requirement in security) and "401" not in responses:
                problems.append(f"{name}: authenticated but 401 is not documented")
            if "requestBody" in op:
                for code in ("400", "413"):
                    if code not in responses:
                        problems.append(f"{name}: has a body but {code} is not documented")
    return problems


def main():
    default = pathlib.Path(__file__).resolve().parent.parent / "Sources/App/Resources/openapi.json"
    path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else default
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        print(f"{path}: cannot read JSON: {error}", file=sys.stderr)
        return 1
    try:
        validate(doc)
    except Exception as error:  # the validator raises several exception types
        print(f"{path}: invalid OpenAPI document:\n{error}", file=sys.stderr)
        return 1
    problems = conventions(doc)
    for problem in problems:
        print(f"{path}: {problem}", file=sys.stderr)
    if problems:
        return 1
    operations = sum(1 for item in doc["paths"].values() for method in item if method in METHODS)
    print(f"{path}: OK ({len(doc['paths'])} paths, {operations} operations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
