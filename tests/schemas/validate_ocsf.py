#!/usr/bin/env python3
"""Checks an amilint OCSF report: every event must validate as an OCSF
Compliance Finding (class 2003) of the published `py-ocsf-models` package,
and keep the class, type, severity and status ids consistent.

    python validate_ocsf.py REPORT.json     # exit 0: valid; 1: errors listed
"""

import json
import sys

from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from pydantic import ValidationError


def main():
    events = json.load(open(sys.argv[1]))
    errors = []
    if not isinstance(events, list):
        errors.append("top level: expected an array of events")
        events = []
    for i, event in enumerate(events):
        try:
            ComplianceFinding.model_validate(event)
        except ValidationError as e:
            errors.append(f"[{i}]: {e}")
        if event.get("class_uid") != 2003 or event.get("type_uid") != 200301:
            errors.append(f"[{i}]: class_uid/type_uid are not a Compliance Finding: Create")
        if event.get("category_uid") != 2:
            errors.append(f"[{i}]: category_uid is not Findings (2)")
        if event.get("severity_id") not in (1, 2, 3, 4, 5):
            errors.append(f"[{i}]: severity_id {event.get('severity_id')} not in 1..5")
    for e in errors:
        print(e)
    print(f"{len(events)} events, {len(errors)} errors")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
