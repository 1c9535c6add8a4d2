#!/usr/bin/env python3
"""Compiles the JSON Schema of one OCSF event class from a checkout of the
OCSF schema (https://github.com/ocsf/ocsf-schema), every object closed
(`additionalProperties: false`), as the OCSF server's JSON Schema export does.

    python3 compile_ocsf.py OCSF_SCHEMA_DIR compliance_finding 1.5.0 > ocsf-1.5.0-compliance_finding.schema.json

What it follows: a class's `extends` chain (compliance_finding → finding →
base_event) and an object's; `$include` of profile files (their attributes
marked with the profile, allowed only when the event lists the profile in
`metadata.profiles`: `x-ocsf-profile`, checked by validate_ocsf.py); each
attribute's type from `dictionary.json` (scalar types down to JSON's, object
types as `$defs` references, `is_array`), integer `enum`s (the `_id`
attributes), and the `datetime` profile's `NAME_dt` string for every
`timestamp_t` attribute. The committed schema was compiled from the tag
1.5.0 (commit 78bf68a24b38c0d6441ddd13b9028c1b1eb53f07, whose version.json
still says 1.6.0-dev: the version is given on the command line).
"""

import json
import os
import sys

ROOT = sys.argv[1]
CLASS = sys.argv[2]
VERSION = sys.argv[3]


def load(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return json.load(f)


DICT = load("dictionary.json")
ATTRS = DICT["attributes"]
TYPES = DICT["types"]["attributes"]


def by_name(folder):
    found = {}
    for dirpath, _, files in os.walk(os.path.join(ROOT, folder)):
        for name in files:
            if name.endswith(".json"):
                with open(os.path.join(dirpath, name)) as f:
                    doc = json.load(f)
                if "name" in doc:
                    found[doc["name"]] = doc
    return found


OBJECTS = by_name("objects")
EVENTS = by_name("events")


def attributes(doc):
    """A class's or object's own attributes, its `$include`s merged in."""
    out = {}
    own = dict(doc.get("attributes", {}))
    for rel in own.pop("$include", []):
        included = load(rel)
        profile = included.get("name") if included.get("meta") == "profile" else None
        for name, spec in attributes(included).items():
            spec = dict(spec)
            if profile and "profile" not in spec:
                spec["profile"] = profile
            out[name] = {**out.get(name, {}), **spec}
    for name, spec in own.items():
        out[name] = {**out.get(name, {}), **spec}
    return out


def resolved(doc, table):
    """Attributes along the `extends` chain, the most derived last."""
    chain = []
    while doc is not None:
        chain.append(doc)
        parent = doc.get("extends")
        doc = table.get(parent) if parent else None
    out = {}
    for d in reversed(chain):
        for name, spec in attributes(d).items():
            out[name] = {**out.get(name, {}), **spec}
    return out


def scalar(type_name):
    """JSON Schema of an OCSF scalar type (down its `type` chain)."""
    seen = type_name
    while seen in TYPES and "type" in TYPES[seen]:
        seen = TYPES[seen]["type"]
    return {
        "string_t": {"type": "string"},
        "integer_t": {"type": "integer"},
        "long_t": {"type": "integer"},
        "float_t": {"type": "number"},
        "boolean_t": {"type": "boolean"},
        "json_t": {},
    }.get(seen, {})


DEFS = {}


def schema_of(attrs, closed=True):
    props, required = {}, []
    for name, spec in attrs.items():
        merged = {**ATTRS.get(name, {}), **spec}
        type_name = merged.get("type")
        if type_name is None:
            continue
        if type_name.endswith("_t"):
            item = scalar(type_name)
            enum = merged.get("enum")
            if enum and item.get("type") == "integer":
                item = {**item, "enum": sorted(int(k) for k in enum)}
        else:
            define(type_name)
            item = {"$ref": f"#/$defs/{type_name}"}
        prop = {"type": "array", "items": item} if merged.get("is_array") else dict(item)
        if merged.get("profile"):
            prop["x-ocsf-profile"] = merged["profile"]
        props[name] = prop
        if type_name == "timestamp_t":
            props[name + "_dt"] = {"type": "string", "x-ocsf-profile": "datetime"}
        if merged.get("requirement") == "required" and not merged.get("profile"):
            required.append(name)
    out = {"type": "object", "properties": props, "additionalProperties": not closed}
    if required:
        out["required"] = sorted(required)
    return out


def define(name):
    if name in DEFS:
        return
    DEFS[name] = {}
    doc = OBJECTS.get(name)
    # `object` is OCSF's untyped object (`unmapped`, `data`): open.
    if doc is None or name == "object":
        DEFS[name] = {"type": "object"}
        return
    DEFS[name] = schema_of(resolved(doc, OBJECTS))


ATTRS_OF_CLASS = resolved(EVENTS[CLASS], EVENTS)
event = schema_of(ATTRS_OF_CLASS)
# The ids the server derives: category_uid from categories.json, class_uid =
# category × 1000 + the class's uid, type_uid = class_uid × 100 + activity_id.
category = None
doc = EVENTS[CLASS]
while doc is not None and category is None:
    category = doc.get("category")
    doc = EVENTS.get(doc.get("extends")) if doc.get("extends") else None
category_uid = load("categories.json")["attributes"][category]["uid"]
class_uid = category_uid * 1000 + EVENTS[CLASS]["uid"]
activities = sorted(int(k) for k in {**ATTRS["activity_id"], **ATTRS_OF_CLASS["activity_id"]}["enum"])
event["properties"]["category_uid"]["enum"] = [category_uid]
event["properties"]["class_uid"]["enum"] = [class_uid]
event["properties"]["type_uid"]["enum"] = [class_uid * 100 + a for a in activities]
event["$schema"] = "https://json-schema.org/draft/2020-12/schema"
event["title"] = f"OCSF {VERSION} {CLASS}"
event["$defs"] = dict(sorted(DEFS.items()))
json.dump(event, sys.stdout, indent=1, sort_keys=True)
print()
