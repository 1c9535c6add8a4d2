#!/usr/bin/env python3
"""Checks an amilint ASFF report against the Security Hub API model that
botocore ships (the `AwsSecurityFinding` shape of `BatchImportFindings`):
every required member, no unknown member, types, enums, patterns and
lengths, plus the limits the API documents but the model does not carry
(Title ≤ 256, Description ≤ 1024 characters, ≤ 100 findings per call).

    python validate_asff.py REPORT.json     # exit 0: valid; 1: errors listed
"""

import json
import re
import sys

import botocore.session


def check(shapes, value, name, path, errors):
    shape = shapes[name]
    kind = shape["type"]
    if kind == "structure":
        if not isinstance(value, dict):
            return errors.append(f"{path}: expected an object")
        for member in shape.get("required", []):
            if member not in value:
                errors.append(f"{path}: missing required {member}")
        for key, item in value.items():
            if key not in shape["members"]:
                errors.append(f"{path}: unknown member {key}")
            else:
                check(shapes, item, shape["members"][key]["shape"], f"{path}.{key}", errors)
    elif kind == "list":
        if not isinstance(value, list):
            return errors.append(f"{path}: expected an array")
        for i, item in enumerate(value):
            check(shapes, item, shape["member"]["shape"], f"{path}[{i}]", errors)
    elif kind == "map":
        if not isinstance(value, dict):
            return errors.append(f"{path}: expected an object")
        for key, item in value.items():
            check(shapes, key, shape["key"]["shape"], f"{path} key", errors)
            check(shapes, item, shape["value"]["shape"], f"{path}.{key}", errors)
    elif kind == "string":
        if not isinstance(value, str):
            return errors.append(f"{path}: expected a string")
        if "enum" in shape and value not in shape["enum"]:
            errors.append(f"{path}: {value!r} is not one of {shape['enum']}")
        if "pattern" in shape and not re.fullmatch(shape["pattern"], value, re.S):
            errors.append(f"{path}: {value!r} does not match {shape['pattern']}")
        if len(value) < shape.get("min", 0) or len(value) > shape.get("max", 1 << 30):
            errors.append(f"{path}: length {len(value)} out of range")
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{path}: expected an integer")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{path}: expected a number")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{path}: expected a boolean")
    else:
        errors.append(f"{path}: shape type {kind} not handled by this checker")


def main():
    report = json.load(open(sys.argv[1]))
    model = botocore.session.get_session().get_service_model("securityhub")
    shapes = model._shape_resolver._shape_map  # the model as published
    request = model.operation_model("BatchImportFindings").input_shape
    finding_shape = request.members["Findings"].member.name
    errors = []
    if set(report) != {"Findings"}:
        errors.append(f"top level: expected only Findings, got {sorted(report)}")
    for i, finding in enumerate(report.get("Findings", [])):
        path = f"Findings[{i}]"
        check(shapes, finding, finding_shape, path, errors)
        if len(finding.get("Title", "")) > 256:
            errors.append(f"{path}.Title: longer than 256")
        if len(finding.get("Description", "")) > 1024:
            errors.append(f"{path}.Description: longer than 1024")
        for stamp in ("CreatedAt", "UpdatedAt"):
            if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", finding.get(stamp, "")):
                errors.append(f"{path}.{stamp}: not an ISO 8601 UTC time")
    ids = [f.get("Id") for f in report.get("Findings", [])]
    if len(ids) != len(set(ids)):
        errors.append("finding Ids are not unique")
    for e in errors:
        print(e)
    print(f"{len(report.get('Findings', []))} findings, {len(errors)} errors")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
