#!/usr/bin/env python3
"""Checks an amilint OCSF report: every event must validate against the OCSF
1.5.0 Compliance Finding schema with every object closed (no property the
schema lacks; compiled by compile_ocsf.py from the OCSF schema's 1.5.0 tag
into ocsf-1.5.0-compliance_finding.schema.json), use a profile's attributes
only when it lists the profile in `metadata.profiles`, validate as the
published `py-ocsf-models` Compliance Finding, and keep the class, type,
severity and status ids consistent.

    python validate_ocsf.py REPORT.json     # exit 0: valid; 1: errors listed
"""

import json
import os
import sys

from jsonschema import Draft202012Validator
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from pydantic import ValidationError

SCHEMA = os.path.join(os.path.dirname(__file__), "ocsf-1.5.0-compliance_finding.schema.json")


def main():
    events = json.load(open(sys.argv[1]))
    schema = json.load(open(SCHEMA))
    strict = Draft202012Validator(schema)
    errors = []
    if not isinstance(events, list):
        errors.append("top level: expected an array of events")
        events = []
    for i, event in enumerate(events):
        for e in strict.iter_errors(event):
            errors.append(f"[{i}] {e.json_path}: {e.message}")
        profiles = set((event.get("metadata") or {}).get("profiles") or [])
        for key in event:
            profile = schema["properties"].get(key, {}).get("x-ocsf-profile")
            if profile and profile not in profiles:
                errors.append(f"[{i}] {key} belongs to the {profile} profile, not in metadata.profiles")
        try:
            ComplianceFinding.model_validate(event)
        except ValidationError as e:
            errors.append(f"[{i}]: {e}")
        if event.get("class_uid") != 2003 or event.get("type_uid") != 200301:
            errors.append(f"[{i}]: class_uid/type_uid are not a Compliance Finding: Create")
        if event.get("severity_id") not in (1, 2, 3, 4, 5):
            errors.append(f"[{i}]: severity_id {event.get('severity_id')} not in 1..5")
    uids = [e.get("metadata", {}).get("uid") for e in events]
    if len(set(uids)) != len(uids):
        errors.append("metadata.uid is not unique per event")
    for e in errors:
        print(e)
    print(f"{len(events)} events, {len(errors)} errors")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
