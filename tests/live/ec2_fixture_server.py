#!/usr/bin/env python3
"""A small EC2 (and STS) endpoint speaking the real EC2 Query protocol, for
amilint's live-scan tests. It serves a describe-images JSON fixture with every
field (moto does not return ImdsSupport, DeprecationTime, Ebs.Encrypted, …),
paginates with NextToken, answers DescribeImageAttribute from the fixture,
answers DescribeSnapshots and DescribeSnapshotAttribute (createVolumePermission)
from a describe-snapshots file and describe-snapshot-attribute answers (or the
`AmilintSnapshot` data a saved scan carries), makes the changes `amilint fix`
sends (ModifyImageAttribute, EnableImageDeprecation,
EnableImageDeregistrationProtection, ModifySnapshotAttribute) with EC2's DryRun
and permission answers, and injects faults on request.

Every element it answers is one the EC2 API reference gives for that
operation's response: DescribeImages' `Image`, DescribeSnapshots' `Snapshot`
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Snapshot.html; XML
names as botocore's ec2 model has them: State is `status`),
DescribeSnapshotAttribute's `createVolumePermission` list of `group`/`userId`
(https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshotAttribute.html).

    python3 tests/live/ec2_fixture_server.py --images fixtures/examples/describe-images.json

It listens on 127.0.0.1 only, prints `PORT <n>` once ready, and serves until
killed. `GET /__stats` returns the requests counted per action and region;
`GET /__changes` the changes made, in order.

Region and account of a request come from its SigV4 signature: the region
from the credential scope, the account from the access key (`ASIA<account>`
keys are handed out by AssumeRole; any other key is the base account).
With `--upstream URL` (a loopback moto server), requests of other services
(AWS Organizations) pass through to it unchanged, but for Security Hub, where
this endpoint supplies what moto lacks or does otherwise than AWS:
BatchUpdateFindings (PATCH /findings/batchupdate, which moto 5.2.5 does not
serve: the workflow status and note are written into moto's findings, the
answer is `ProcessedFindings`/`UnprocessedFindings` of `{Id, ProductArn}`,
https://docs.aws.amazon.com/securityhub/1.0/APIReference/API_BatchUpdateFindings.html),
and BatchImportFindings of a finding that exists, whose `Note`,
`UserDefinedFields`, `VerificationState` and `Workflow` AWS ignores, and whose
`Severity`, `Types`, `Confidence`, `Criticality` and `RelatedFindings` it keeps
from the first import unless given through `FindingProviderFields`
(https://docs.aws.amazon.com/securityhub/latest/userguide/finding-update-batchimportfindings.html;
moto overwrites them all). Recycle Bin (which moto does not serve) is
answered here from the served settings: ListRules and GetRule
(https://docs.aws.amazon.com/recyclebin/latest/APIReference/API_ListRules.html,
https://docs.aws.amazon.com/recyclebin/latest/APIReference/API_GetRule.html),
and KMS DescribeKey for the keys of the served snapshots
(https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html).
"""

import argparse
import json
import re
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import http.client
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import escape

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"

# describe-images JSON keys whose XML element is not simply lowerCamelCase.
XML_NAMES = {
    "State": "imageState",
    "OwnerId": "imageOwnerId",
    "Public": "isPublic",
    "BlockDeviceMappings": "blockDeviceMapping",
    "Tags": "tagSet",
    "ProductCodeId": "productCode",
    "ProductCodeType": "type",
}
# Keys served only through DescribeImageAttribute, never in DescribeImages.
ATTRIBUTE_ONLY = {"LaunchPermissions"}
# Keys that are amilint's own, not AWS's: never served as they are.
NOT_AWS = {"AmilintScope", "AmilintSnapshot", "AmilintReferences", "AmilintAncestry"}


# describe-snapshots JSON keys whose XML element differs (botocore's ec2
# service model: Snapshot.State is `status`, StateMessage `statusMessage`).
SNAPSHOT_XML_NAMES = {"State": "status", "StateMessage": "statusMessage", "Tags": "tagSet"}


def xml_name(key, names=XML_NAMES):
    return names.get(key, key[:1].lower() + key[1:])


def to_xml(value, names=XML_NAMES):
    if isinstance(value, dict):
        return "".join(
            f"<{xml_name(k, names)}>{to_xml(v, names)}</{xml_name(k, names)}>"
            for k, v in value.items()
            if k not in ATTRIBUTE_ONLY and k not in NOT_AWS
        )
    if isinstance(value, list):
        return "".join(f"<item>{to_xml(v, names)}</item>" for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape(str(value))


def ec2_error(code, message):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    )


def grants(params, verb):
    """`LaunchPermission.Remove.1.Group=all` … as [{"Group": "all"}, …]."""
    found = {}
    for key, value in params.items():
        m = re.fullmatch(rf"LaunchPermission\.{verb}\.(\d+)\.(\w+)", key)
        if m:
            found.setdefault(int(m.group(1)), {})[m.group(2)] = value
    return [found[i] for i in sorted(found)]


def modify_image_attribute(image, params, dry_run):
    remove = grants(params, "Remove")
    imds = params.get("ImdsSupport.Value")
    if not remove and imds is None:
        return "ModifyImageAttribute: no attribute to modify"
    if imds is not None and imds != "v2.0":
        return f"ImdsSupport value {imds} is not valid"
    if dry_run:
        return None
    if imds is not None:
        image["ImdsSupport"] = imds
    for grant in remove:
        if grant == {"Group": "all"}:
            image["Public"] = False
        image["LaunchPermissions"] = [p for p in image.get("LaunchPermissions", []) if p != grant]
    return "true"


def modify_snapshot_attribute(snapshot, params, dry_run):
    """ModifySnapshotAttribute createVolumePermission: `CreateVolumePermission.Remove.N.Group`
    / `.UserId` (the SDK's form), or the flat `OperationType` with `UserId.N` / `UserGroup.N`."""
    if params.get("Attribute") != "createVolumePermission":
        return f"Attribute {params.get('Attribute')!r} is not valid"
    found = {}
    for key, value in params.items():
        m = re.fullmatch(r"CreateVolumePermission\.(Add|Remove)\.(\d+)\.(\w+)", key)
        if m:
            found.setdefault((m.group(1), int(m.group(2))), {})[m.group(3)] = value
    operation = params.get("OperationType")
    for key, value in params.items():
        m = re.fullmatch(r"(UserId|UserGroup)\.(\d+)", key)
        if m and operation in ("add", "remove"):
            member = "UserId" if m.group(1) == "UserId" else "Group"
            found.setdefault((operation.capitalize(), 1000 + int(m.group(2))), {})[member] = value
    if not found:
        return "ModifySnapshotAttribute: no permission to change"
    for (verb, _), grant in found.items():
        if grant.get("Group", "all") != "all":
            return f"group {grant['Group']!r} is not valid"
    if dry_run:
        return None
    permissions = snapshot.setdefault("CreateVolumePermissions", [])
    for (verb, _), grant in sorted(found.items()):
        if verb == "Remove":
            permissions[:] = [p for p in permissions if p != grant]
        elif grant not in permissions:
            permissions.append(grant)
    return "true"


def enable_image_deprecation(image, params, dry_run):
    at = params.get("DeprecateAt", "")
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", at):
        return f"DeprecateAt {at!r} is not a valid time"
    if dry_run:
        return None
    image["DeprecationTime"] = at
    return "true"


def enable_image_deregistration_protection(image, params, dry_run):
    if dry_run:
        return None
    cooldown = params.get("WithCooldown") == "true"
    image["DeregistrationProtection"] = "enabled-with-cooldown" if cooldown else "enabled-without-cooldown"
    return image["DeregistrationProtection"]


# The changes `amilint fix` makes: action -> function(image, params, dry_run).
# With dry_run it only checks the parameters and returns the problem (None: valid);
# otherwise it makes the change and returns the answer's <return>.
def disable_image(image, params, dry_run):
    """DisableImage (API_DisableImage): the state becomes `disabled` and every
    launch permission goes (the image is made private); only an available
    image of the caller's."""
    if image.get("State") != "available":
        return f"the image is {image.get('State')}, not available"
    if dry_run:
        return None
    image["State"] = "disabled"
    image["Public"] = False
    image["LaunchPermissions"] = []
    return "true"


def enable_image(image, params, dry_run):
    """EnableImage (API_EnableImage): a disabled image is available again
    (its launch permissions are not given back)."""
    if image.get("State") != "disabled":
        return f"the image is {image.get('State')}, not disabled"
    if dry_run:
        return None
    image["State"] = "available"
    return "true"


CHANGES = {
    "DisableImage": disable_image,
    "EnableImage": enable_image,
    "ModifyImageAttribute": modify_image_attribute,
    "EnableImageDeprecation": enable_image_deprecation,
    "EnableImageDeregistrationProtection": enable_image_deregistration_protection,
    "ModifySnapshotAttribute": modify_snapshot_attribute,
}


# The account's guardrails in a region (GET_SETTINGS: the Get… operations,
# SET_SETTINGS: the changes `amilint fix` makes), kept per (account, region)
# in amilint's settings-file form (`AccountSettings` keys). Response elements
# as the EC2 API reference names them:
#   API_GetImageBlockPublicAccessState: imageBlockPublicAccessState, managedBy
#   API_GetSnapshotBlockPublicAccessState: state, managedBy
#   API_GetEbsEncryptionByDefault: ebsEncryptionByDefault, sseType
#   API_GetEbsDefaultKmsKeyId: kmsKeyId
#   API_GetAllowedImagesSettings: state, imageCriterionSet, managedBy
#   API_GetInstanceMetadataDefaults: accountLevel (InstanceMetadataDefaultsResponse:
#     httpTokens, httpPutResponseHopLimit, httpEndpoint, instanceMetadataTags,
#     httpTokensEnforced, managedBy)
# Defaults where --settings says nothing: those of an account that never
# changed them (unblocked, encryption off with the AWS managed key, Allowed
# AMIs disabled, no IMDS default).
SETTINGS_DEFAULTS = {
    "ImageBlockPublicAccessState": "unblocked",
    "SnapshotBlockPublicAccessState": "unblocked",
    "EbsEncryptionByDefault": False,
    "EbsDefaultKmsKeyId": "alias/aws/ebs",
    "AllowedImagesSettingsState": "disabled",
    "InstanceMetadataDefaults": {},
}


def settings_answer(action, s):
    """The Get… answer's elements for settings `s`."""
    bool_text = lambda v: "true" if v else "false"
    if action == "GetImageBlockPublicAccessState":
        return (f"<imageBlockPublicAccessState>{escape(s['ImageBlockPublicAccessState'])}</imageBlockPublicAccessState>"
                "<managedBy>account</managedBy>")
    if action == "GetSnapshotBlockPublicAccessState":
        return f"<state>{escape(s['SnapshotBlockPublicAccessState'])}</state><managedBy>account</managedBy>"
    if action == "GetEbsEncryptionByDefault":
        return f"<ebsEncryptionByDefault>{bool_text(s['EbsEncryptionByDefault'])}</ebsEncryptionByDefault><sseType>sse-ebs</sseType>"
    if action == "GetEbsDefaultKmsKeyId":
        return f"<kmsKeyId>{escape(s['EbsDefaultKmsKeyId'])}</kmsKeyId>"
    if action == "GetAllowedImagesSettings":
        # ImageCriterion (botocore's ec2 model): imageProviderSet, imageNameSet,
        # marketplaceProductCodeSet (lists of <item>), creationDateCondition
        # (maximumDaysSinceCreated), deprecationTimeCondition (maximumDaysSinceDeprecated).
        def items(values):
            return "".join(f"<item>{escape(v)}</item>" for v in values)
        criteria = ""
        for c in s.get("ImageCriteria", []):
            inner = ""
            for key, name in (("ImageProviders", "imageProviderSet"), ("ImageNames", "imageNameSet"),
                              ("MarketplaceProductCodes", "marketplaceProductCodeSet")):
                if key in c:
                    inner += f"<{name}>{items(c[key])}</{name}>"
            if "CreationDateCondition" in c:
                days = c["CreationDateCondition"]["MaximumDaysSinceCreated"]
                inner += f"<creationDateCondition><maximumDaysSinceCreated>{days}</maximumDaysSinceCreated></creationDateCondition>"
            if "DeprecationTimeCondition" in c:
                days = c["DeprecationTimeCondition"]["MaximumDaysSinceDeprecated"]
                inner += f"<deprecationTimeCondition><maximumDaysSinceDeprecated>{days}</maximumDaysSinceDeprecated></deprecationTimeCondition>"
            criteria += f"<item>{inner}</item>"
        return (f"<state>{escape(s['AllowedImagesSettingsState'])}</state>"
                f"<imageCriterionSet>{criteria}</imageCriterionSet><managedBy>account</managedBy>")
    if action == "GetInstanceMetadataDefaults":
        names = {"HttpTokens": "httpTokens", "HttpPutResponseHopLimit": "httpPutResponseHopLimit",
                 "HttpEndpoint": "httpEndpoint", "InstanceMetadataTags": "instanceMetadataTags",
                 "HttpTokensEnforced": "httpTokensEnforced", "ManagedBy": "managedBy"}
        inner = "".join(f"<{names[k]}>{escape(str(v))}</{names[k]}>"
                        for k, v in s["InstanceMetadataDefaults"].items())
        return f"<accountLevel>{inner}</accountLevel>"
    raise KeyError(action)


GET_SETTINGS = {"GetImageBlockPublicAccessState", "GetSnapshotBlockPublicAccessState", "GetEbsEncryptionByDefault",
                "GetEbsDefaultKmsKeyId", "GetAllowedImagesSettings", "GetInstanceMetadataDefaults"}


def set_settings(action, params, s):
    """Makes a change of `amilint fix` on settings `s`; returns its answer's
    elements (API_EnableImageBlockPublicAccess: imageBlockPublicAccessState;
    API_EnableSnapshotBlockPublicAccess: state; API_EnableEbsEncryptionByDefault:
    ebsEncryptionByDefault; API_EnableAllowedImagesSettings:
    allowedImagesSettingsState; API_ModifyInstanceMetadataDefaults: return),
    or raises ValueError for a value EC2 refuses."""
    if action == "EnableImageBlockPublicAccess":
        if params.get("ImageBlockPublicAccessState") != "block-new-sharing":
            raise ValueError("ImageBlockPublicAccessState must be block-new-sharing")
        s["ImageBlockPublicAccessState"] = "block-new-sharing"
        return "<imageBlockPublicAccessState>block-new-sharing</imageBlockPublicAccessState>"
    if action == "EnableSnapshotBlockPublicAccess":
        if params.get("State") not in ("block-all-sharing", "block-new-sharing"):
            raise ValueError("State must be block-all-sharing or block-new-sharing")
        s["SnapshotBlockPublicAccessState"] = params["State"]
        return f"<state>{params['State']}</state>"
    if action == "EnableEbsEncryptionByDefault":
        s["EbsEncryptionByDefault"] = True
        return "<ebsEncryptionByDefault>true</ebsEncryptionByDefault>"
    if action == "EnableAllowedImagesSettings":
        if params.get("AllowedImagesSettingsState") not in ("enabled", "audit-mode"):
            raise ValueError("AllowedImagesSettingsState must be enabled or audit-mode")
        s["AllowedImagesSettingsState"] = params["AllowedImagesSettingsState"]
        return f"<allowedImagesSettingsState>{s['AllowedImagesSettingsState']}</allowedImagesSettingsState>"
    if action == "ModifyInstanceMetadataDefaults":
        tokens = params.get("HttpTokens")
        if tokens not in ("optional", "required", "no-preference"):
            raise ValueError("HttpTokens must be optional, required or no-preference")
        defaults = dict(s["InstanceMetadataDefaults"])
        defaults.pop("HttpTokens", None)
        if tokens != "no-preference":
            defaults["HttpTokens"] = tokens
        s["InstanceMetadataDefaults"] = defaults
        return "<return>true</return>"
    raise KeyError(action)


# Recycle Bin answers REST-JSON (its protocol in botocore's rbin model).
REST_JSON = "application/json"

SET_SETTINGS = {"EnableImageBlockPublicAccess", "EnableSnapshotBlockPublicAccess", "EnableEbsEncryptionByDefault",
                "EnableAllowedImagesSettings", "ModifyInstanceMetadataDefaults"}


class State:
    def __init__(self, opts):
        self.opts = opts
        with open(opts.images) as f:
            doc = json.load(f)
        self.images = doc["Images"] if isinstance(doc, dict) else doc
        self.by_id = {i.get("ImageId"): i for i in self.images}
        self.xml = {}
        # Answers made once and reused (--fleet-instances).
        self.cache = {}
        # Snapshots: describe-snapshots items by id; their create-volume
        # permissions (describe-snapshot-attribute answers) kept beside them.
        self.snapshots = {}
        self.permissions = {}
        if opts.snapshots:
            with open(opts.snapshots) as f:
                for s in json.load(f)["Snapshots"]:
                    self.snapshots[s["SnapshotId"]] = s
        # A saved live scan (or a rule fixture) carries what amilint learnt of
        # each snapshot (`AmilintSnapshot`): serve it back as DescribeSnapshots
        # and DescribeSnapshotAttribute answers (only AWS's keys of each).
        for image in self.images:
            for mapping in image.get("BlockDeviceMappings") or []:
                ebs = mapping.get("Ebs") or {}
                facts, snapshot_id = ebs.get("AmilintSnapshot"), ebs.get("SnapshotId")
                if not facts or not snapshot_id or facts.get("Status") != "found":
                    continue
                item = {"SnapshotId": snapshot_id}
                for key in ("OwnerId", "Encrypted", "KmsKeyId", "VolumeSize", "State"):
                    if key in facts:
                        item[key] = facts[key]
                self.snapshots[snapshot_id] = item
                if "CreateVolumePermissions" in facts:
                    self.permissions[snapshot_id] = list(facts["CreateVolumePermissions"])
        if opts.snapshot_permissions:
            with open(opts.snapshot_permissions) as f:
                text, at = f.read(), 0
            decoder, space = json.JSONDecoder(), re.compile(r"\s*")
            while True:
                at = space.match(text, at).end()
                if at == len(text):
                    break
                answer, at = decoder.raw_decode(text, at)
                self.permissions[answer["SnapshotId"]] = answer["CreateVolumePermissions"]
        # Guardrails by (account, region), from --settings (a settings file).
        self.settings = {}
        if opts.settings:
            with open(opts.settings) as f:
                for entry in json.load(f)["AccountSettings"]:
                    key = (entry.pop("AccountId"), entry.pop("Region"))
                    self.settings[key] = {**SETTINGS_DEFAULTS, **entry}
        self.lock = threading.Lock()
        self.stats = {}
        self.ec2_calls = {}
        self.changes = []
        self.faults_left = {
            "throttle": opts.throttle_first,
            "error500": opts.error500_first,
            "truncate": opts.truncate_first,
        }

    def image_xml(self, image):
        with self.lock:
            key = id(image)
            if key not in self.xml:
                self.xml[key] = to_xml(image)
            return self.xml[key]

    def count(self, key):
        with self.lock:
            self.stats[key] = self.stats.get(key, 0) + 1

    def take_fault(self, name):
        with self.lock:
            if self.faults_left[name] > 0:
                self.faults_left[name] -= 1
                return True
            return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    state = None

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's
        # algorithm and delayed ACKs add ~40 ms to every keep-alive answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def reply(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path in ("/__stats", "/__changes"):
            with self.state.lock:
                what = self.state.stats if self.path == "/__stats" else self.state.changes
                body = json.dumps(what, sort_keys=True)
            data = body.encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif self.path.startswith("/rules/"):
            self.recycle_bin("GET", b"")
        else:
            self.reply(404, ec2_error("NotFound", self.path))

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        params = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        auth = self.headers.get("Authorization", "")
        scope = re.search(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/aws4_request", auth)
        if not scope:
            self.reply(401, ec2_error("AuthFailure", "request is not signed"))
            return
        key, region, service = scope.groups()
        account = key[4:] if key.startswith("ASIA") else self.state.opts.account
        action = params.get("Action", "")
        if service == "rbin":
            self.recycle_bin("POST", raw)
            return
        if service == "autoscaling":
            # A Query-protocol service, as EC2: its action is a parameter.
            self.state.count(f"{action} {region}")
            if self.state.opts.latency_ms:
                time.sleep(self.state.opts.latency_ms / 1000)
            self.autoscaling(action, params)
            return
        if service not in ("ec2", "sts"):
            # A JSON-protocol service (Organizations): its action is in X-Amz-Target.
            action = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
        self.state.count(f"{action} {region}")
        opts = self.state.opts
        if service == "kms" and action == "DescribeKey":
            self.describe_key(raw, account)
            return
        if service not in ("ec2", "sts"):
            if opts.org_accounts and action == "ListAccounts":
                self.list_accounts(raw)
            elif opts.endless_ous and action in ("ListOrganizationalUnitsForParent", "ListAccountsForParent"):
                self.endless_ous(action, raw)
            elif action in opts.fail_action:
                # Organizations' error for a caller that is neither the management
                # account nor a delegated administrator (API_ListAccounts, Errors:
                # AccessDeniedException, HTTP 400; JSON protocol).
                self.reply_json(400, {"__type": "AccessDeniedException",
                                      "Message": "You don't have permissions to access this resource."})
            elif service == "securityhub" and opts.hub_accept:
                # A Security Hub that takes everything and keeps nothing: for
                # timing amilint's side of an import (bench/securityhub.py).
                body = json.loads(raw or b"{}")
                if self.path.startswith("/findings/import"):
                    self.state.count(f"BatchImportFindings {region}")
                    self.reply_json(200, {"FailedCount": 0, "SuccessCount": len(body.get("Findings", [])),
                                          "FailedFindings": []})
                else:
                    self.state.count(f"GetFindings {region}")
                    self.reply_json(200, {"Findings": []})
            elif service == "securityhub" and opts.upstream and self.path.startswith("/findings/import"):
                self.state.count(f"BatchImportFindings {region}")
                self.forward(self.import_as_aws_does(raw))
            elif opts.upstream:
                self.forward(raw)
            else:
                self.reply(400, ec2_error("InvalidAction", f"no {service} here: start with --upstream"))
            return

        if opts.latency_ms:
            time.sleep(opts.latency_ms / 1000)
        if region in opts.hang_region:
            time.sleep(3600)
            return
        if action in opts.hang_action:
            time.sleep(3600)
            return
        if service == "sts":
            self.sts(action, params, account)
            return
        if opts.expire_after is not None and key.startswith("ASIA"):
            with self.state.lock:
                used = self.state.ec2_calls.get(key, 0)
                self.state.ec2_calls[key] = used + 1
            if used >= opts.expire_after:
                self.reply(400, ec2_error("ExpiredToken", "The security token included in the request is expired"))
                return
        if action in opts.fail_action or f"{action}@{region}" in opts.fail_action:
            self.reply(403, ec2_error("UnauthorizedOperation",
                                      f"You are not authorized to perform this operation (ec2:{action})."))
            return
        if region in opts.auth_fail_region:
            self.reply(401, ec2_error("AuthFailure", "AWS was not able to validate the provided access credentials"))
            return
        if action == "DescribeImages":
            if region in opts.throttle_region:
                self.reply(503, ec2_error("RequestLimitExceeded", "Request limit exceeded."))
                return
            if region in opts.html_region:
                # Fault: a proxy's HTML page with status 200.
                self.reply(200, "<!DOCTYPE html><html><body><p>Service available</p></body></html>")
                return
            if region in opts.empty_region:
                self.reply(200, "")
                return
            if region in opts.wrong_root_region:
                # Fault: another operation's (well-formed) answer.
                self.reply(200, f'<DescribeRegionsResponse xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                                f"<regionInfo/></DescribeRegionsResponse>")
                return
            if region in opts.reset_region:
                # Fault: the connection dropped mid-body (more promised than sent).
                self.send_response(200)
                self.send_header("Content-Type", "text/xml;charset=UTF-8")
                self.send_header("Content-Length", "100000")
                self.end_headers()
                self.wfile.write(f'<?xml version="1.0"?><DescribeImagesResponse xmlns="{EC2_NS}"><imagesSet><item>'.encode())
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if self.state.take_fault("throttle"):
                self.reply(503, ec2_error("RequestLimitExceeded", "Request limit exceeded."))
                return
            if self.state.take_fault("error500"):
                self.reply(500, ec2_error("InternalError", "An internal error has occurred"))
                return
            self.describe_images(params, region, account)
        elif action == "DescribeInstances":
            self.describe_instances(params, region, account)
        elif action == "DescribeLaunchTemplateVersions":
            # No launch templates here (API_DescribeLaunchTemplateVersions:
            # launchTemplateVersionSet).
            self.reply(200, f'<DescribeLaunchTemplateVersionsResponse xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}'
                            f"</requestId><launchTemplateVersionSet/></DescribeLaunchTemplateVersionsResponse>")
        elif action == "DescribeImageAttribute":
            self.describe_image_attribute(params)
        elif action == "DescribeImageReferences":
            self.describe_image_references(params)
        elif action == "GetImageAncestry":
            self.get_image_ancestry(params)
        elif action == "DescribeSnapshots":
            self.describe_snapshots(params, account)
        elif action == "DescribeSnapshotAttribute":
            self.describe_snapshot_attribute(params, account)
        elif action in CHANGES:
            self.change(action, params, account, region)
        elif action in GET_SETTINGS:
            with self.state.lock:
                s = self.state.settings.setdefault((account, region), dict(SETTINGS_DEFAULTS))
                body = settings_answer(action, s)
            self.reply(200, f'<{action}Response xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                            f"{body}</{action}Response>")
        elif action in SET_SETTINGS:
            self.set_settings(action, params, account, region)
        elif action == "DescribeRegions":
            items = "".join(
                f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com</regionEndpoint>"
                f"<optInStatus>opt-in-not-required</optInStatus></item>"
                for r in opts.regions.split(",") if r
            )
            self.reply(200, f'<DescribeRegionsResponse xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                            f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>")
        else:
            self.reply(400, ec2_error("InvalidAction", f"The action {action} is not valid for this web service."))

    def change(self, action, params, account, region):
        """The calls `amilint fix` makes, as EC2 answers them: permission first
        (UnauthorizedOperation, with or without DryRun), then DryRun
        (DryRunOperation, nothing changed), then the change itself."""
        opts = self.state.opts
        image_id = params.get("ImageId")
        if action == "ModifySnapshotAttribute":
            image_id = params.get("SnapshotId")
        if action in opts.deny_action:
            self.reply(403, ec2_error(
                "UnauthorizedOperation",
                f"You are not authorized to perform this operation. User: arn:aws:iam::{account}:user/amilint-test "
                f"is not authorized to perform: ec2:{action} on resource: arn:aws:ec2:{region}::image/{image_id} "
                f"because no identity-based policy allows the ec2:{action} action."))
            return
        with self.state.lock:
            if action == "ModifySnapshotAttribute":
                snapshot = self.state.snapshots.get(image_id)
                if snapshot is None or snapshot.get("OwnerId") != account:
                    self.reply(400, ec2_error("InvalidSnapshot.NotFound", f"The snapshot '{image_id}' does not exist."))
                    return
                # The permissions live beside the snapshot (they are another operation's answer).
                image = {"CreateVolumePermissions": self.state.permissions.setdefault(image_id, [])}
            else:
                image = self.state.by_id.get(image_id)
            if image is None:
                self.reply(400, ec2_error("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist"))
                return
            problem = CHANGES[action](image, params, dry_run=True)
            if problem:
                self.reply(400, ec2_error("InvalidParameterValue", problem))
                return
            if params.get("DryRun") == "true":
                self.reply(412, ec2_error("DryRunOperation", "Request would have succeeded, but DryRun flag is set."))
                return
            result = CHANGES[action](image, params, dry_run=False)
            self.state.xml.pop(id(image), None)
            self.state.changes.append({"action": action, "image": image_id, "params": params})
        self.reply(200, f'<{action}Response xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                        f"<return>{escape(result)}</return></{action}Response>")

    def set_settings(self, action, params, account, region):
        """A change of an account's guardrail: permission, then DryRun, then
        the change (as `change` does for images)."""
        if action in self.state.opts.deny_action:
            self.reply(403, ec2_error(
                "UnauthorizedOperation",
                f"You are not authorized to perform this operation. User: arn:aws:iam::{account}:user/amilint-test "
                f"is not authorized to perform: ec2:{action} because no identity-based policy allows the ec2:{action} action."))
            return
        with self.state.lock:
            s = self.state.settings.setdefault((account, region), dict(SETTINGS_DEFAULTS))
            try:
                set_settings(action, params, dict(s))
            except ValueError as e:
                self.reply(400, ec2_error("InvalidParameterValue", str(e)))
                return
            if params.get("DryRun") == "true":
                self.reply(412, ec2_error("DryRunOperation", "Request would have succeeded, but DryRun flag is set."))
                return
            body = set_settings(action, params, s)
            self.state.changes.append({"action": action, "account": account, "region": region, "params": params})
        self.reply(200, f'<{action}Response xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                        f"{body}</{action}Response>")

    def describe_instances(self, params, region, account):
        """DescribeInstances for `--fleet-instances N`: N running instances in
        every account × region, in one reservation, each launched from one of
        the served images in turn, every 50th from a deregistered one (shape: API_DescribeInstances,
        reservationSet > item > instancesSet > item with instanceId, imageId,
        instanceState, placement, tagSet). Without it, none."""
        n = self.state.opts.fleet_instances
        images = [i["ImageId"] for i in self.state.images] if n else []
        # The items are the same in every scope but for the account's part
        # of the ids: made once, then that part is put in (this endpoint's
        # CPU is not what a benchmark measures).
        key = ("instances", region, n)
        with self.state.lock:
            template = self.state.cache.get(key)
        if template is None:
            template = "".join(
                f"<item><instanceId>i-@ACCOUNT@{k:08x}</instanceId>"
                f"<imageId>{'ami-0000000000deadbee' if k % 50 == 49 else images[k % len(images)]}</imageId>"
                f"<instanceState><code>16</code><name>running</name></instanceState>"
                f"<instanceType>t3.micro</instanceType><launchTime>2026-11-01T00:00:00.000Z</launchTime>"
                f"<placement><availabilityZone>{region}a</availabilityZone><tenancy>default</tenancy></placement>"
                f"<tagSet><item><key>Name</key><value>bench-{k}</value></item></tagSet></item>"
                for k in range(n if images else 0)
            )
            with self.state.lock:
                self.state.cache[key] = template
        items = template.replace("@ACCOUNT@", f"{int(account) % 10**9:09x}")
        reservations = (f"<item><reservationId>r-{int(account) % 10**9:017x}</reservationId>"
                        f"<ownerId>{account}</ownerId><groupSet/><instancesSet>{items}</instancesSet></item>"
                        if items else "")
        self.reply(200, f'<DescribeInstancesResponse xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                        f"<reservationSet>{reservations}</reservationSet></DescribeInstancesResponse>")

    def autoscaling(self, action, params):
        """Auto Scaling: no groups (API_DescribeAutoScalingGroups,
        DescribeAutoScalingGroupsResult > AutoScalingGroups)."""
        ns = "http://autoscaling.amazonaws.com/doc/2011-01-01/"
        if action == "DescribeAutoScalingGroups":
            body = "<AutoScalingGroups/>"
        elif action == "DescribeLaunchConfigurations":
            body = "<LaunchConfigurations/>"
        else:
            self.reply(400, ec2_error("InvalidAction", f"no autoscaling {action} here"))
            return
        self.reply(200, f'<{action}Response xmlns="{ns}"><{action}Result>{body}</{action}Result>'
                        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata></{action}Response>")

    def list_accounts(self, raw):
        """Organizations ListAccounts for `--org-accounts N` synthetic ACTIVE
        accounts (ids 100000000000 + i), 20 a page as AWS's default MaxResults
        (API_ListAccounts: Accounts of Id, Arn, Email, Name, Status, State,
        JoinedMethod, JoinedTimestamp; NextToken)."""
        request = json.loads(raw or b"{}")
        start = int(request.get("NextToken") or 0)
        size = min(int(request.get("MaxResults") or 20), 20)
        ids = range(start, min(start + size, self.state.opts.org_accounts))
        accounts = [{
            "Id": str(100000000000 + i),
            "Arn": f"arn:aws:organizations::{self.state.opts.account}:account/o-amilint0000/{100000000000 + i}",
            "Email": f"member-{i}@example.com", "Name": f"member-{i}", "Status": "ACTIVE", "State": "ACTIVE",
            "JoinedMethod": "CREATED", "JoinedTimestamp": 1700000000.0,
        } for i in ids]
        answer = {"Accounts": accounts}
        if start + size < self.state.opts.org_accounts:
            answer["NextToken"] = str(start + size)
        self.reply_json(200, answer)

    def endless_ous(self, action, raw):
        """A broken or hostile Organizations endpoint: every OU has one new child OU
        (ListOrganizationalUnitsForParent: `OrganizationalUnits` of `Id`, `Arn`, `Name`),
        and no account (ListAccountsForParent: `Accounts` empty); API_OrganizationalUnit."""
        parent = json.loads(raw or b"{}").get("ParentId", "ou-root-0")
        if action == "ListAccountsForParent":
            body = {"Accounts": []}
        else:
            depth = int(parent.rsplit("-", 1)[-1]) + 1 if parent.rsplit("-", 1)[-1].isdigit() else 1
            child = f"ou-ab12-{depth:08d}"
            body = {"OrganizationalUnits": [{
                "Id": child, "Name": f"level-{depth}",
                "Arn": f"arn:aws:organizations::{self.state.opts.account}:ou/o-exampleorgid/{child}"}]}
        self.reply_json(200, body)

    def describe_key(self, raw, account):
        """KMS DescribeKey (JSON 1.1, API_DescribeKey): `KeyMetadata` of the key
        ARN asked (KeyId, Arn, AWSAccountId, KeyManager, KeyState, Enabled,
        KeyUsage, KeySpec, Origin, CreationDate). A key is AWS managed when a
        served image's `AmilintSnapshot` says so (`KmsKeyManager`), else a
        customer's; a denied call answers as IAM denies a JSON service."""
        if "DescribeKey" in self.state.opts.fail_action:
            self.reply_json(400, {"__type": "AccessDeniedException",
                                  "message": "User is not authorized to perform: kms:DescribeKey"})
            return
        arn = json.loads(raw or b"{}").get("KeyId", "")
        m = re.fullmatch(r"arn:aws[a-z-]*:kms:([a-z0-9-]+):(\d{12}):key/([0-9a-f-]+)", arn)
        if not m:
            self.reply_json(400, {"__type": "NotFoundException", "message": f"Invalid keyId {arn}"})
            return
        manager = "CUSTOMER"
        for image in self.state.images:
            for mapping in image.get("BlockDeviceMappings") or []:
                facts = (mapping.get("Ebs") or {}).get("AmilintSnapshot") or {}
                if facts.get("KmsKeyId") == arn and facts.get("KmsKeyManager"):
                    manager = facts["KmsKeyManager"]
        self.reply_json(200, {"KeyMetadata": {
            "AWSAccountId": m.group(2), "KeyId": m.group(3), "Arn": arn, "CreationDate": 1735689600.0,
            "Enabled": True, "KeyUsage": "ENCRYPT_DECRYPT", "KeyState": "Enabled", "Origin": "AWS_KMS",
            "KeyManager": manager, "KeySpec": "SYMMETRIC_DEFAULT", "MultiRegion": False}})

    def recycle_bin(self, method, raw):
        """Recycle Bin (REST-JSON; API reference, API_ListRules and API_GetRule):
        `POST /list-rules` with {"ResourceType", "MaxResults", "NextToken"}
        answers {"Rules": [RuleSummary: Identifier, Description,
        RetentionPeriod, LockState, RuleArn], "NextToken"}; `GET /rules/ID`
        answers the rule (GetRuleResponse: Identifier, Description,
        ResourceType, RetentionPeriod, ResourceTags, Status, LockState,
        RuleArn, ExcludeResourceTags). The rules are the served settings'
        `RecycleBinImageRules` and `RecycleBinSnapshotRules` (GetRule answers);
        a denied call answers as IAM denies any call of a JSON service."""
        scope = re.search(r"Credential=([^/]+)/\d+/([^/]+)/", self.headers.get("Authorization", ""))
        if not scope:
            self.reply_json(403, {"message": "Missing Authentication Token"}, REST_JSON)
            return
        key, region = scope.groups()
        account = key[4:] if key.startswith("ASIA") else self.state.opts.account
        action = "ListRules" if method == "POST" else "GetRule"
        self.state.count(f"{action} {region}")
        opts = self.state.opts
        if action in opts.fail_action or f"{action}@{region}" in opts.fail_action:
            self.reply_json(400, {"__type": "AccessDeniedException",
                                  "Message": f"User is not authorized to perform: rbin:{action}"}, REST_JSON)
            return
        with self.state.lock:
            s = self.state.settings.get((account, region), {})
            rules = [dict(r, ResourceType=kind) for field, kind in
                     (("RecycleBinImageRules", "EC2_IMAGE"), ("RecycleBinSnapshotRules", "EBS_SNAPSHOT"))
                     for r in s.get(field, [])]
        if action == "GetRule":
            wanted = unquote(self.path[len("/rules/"):])
            rule = next((r for r in rules if r["Identifier"] == wanted), None)
            if rule is None:
                self.reply_json(404, {"__type": "ResourceNotFoundException", "Message": f"no rule {wanted}",
                                      "Reason": "RULE_NOT_FOUND"}, REST_JSON)
            else:
                self.reply_json(200, rule, REST_JSON)
            return
        body = json.loads(raw or b"{}")
        kind = body.get("ResourceType")
        listed = [{k: r[k] for k in ("Identifier", "Description", "RetentionPeriod", "LockState", "RuleArn") if k in r}
                  for r in rules if r["ResourceType"] == kind]
        # One rule a page: pagination is followed.
        start = int(body.get("NextToken") or 0)
        answer = {"Rules": listed[start:start + 1]}
        if start + 1 < len(listed):
            answer["NextToken"] = str(start + 1)
        self.reply_json(200, answer, REST_JSON)

    def reply_json(self, status, body, content_type="application/x-amz-json-1.1"):
        """An answer of a JSON-protocol service (Organizations, KMS), or of a
        REST-JSON one (`application/json`: Recycle Bin)."""
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def upstream_call(self, path, body):
        """A Security Hub call to moto, signed as the request being served."""
        url = urlparse(self.state.opts.upstream)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() in ("authorization", "x-amz-date", "x-amz-security-token")}
        headers["Content-Type"] = "application/json"
        conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        answer = json.loads(conn.getresponse().read() or b"{}")
        conn.close()
        return answer

    def hub_findings(self):
        """Every finding moto holds (GetFindings, every page)."""
        found, token = [], None
        while True:
            body = {"MaxResults": 100}
            if token:
                body["NextToken"] = token
            page = self.upstream_call("/findings", body)
            found.extend(page.get("Findings", []))
            token = page.get("NextToken")
            if not token:
                return found

    def import_as_aws_does(self, raw):
        """BatchImportFindings as AWS treats a finding that exists (see the top)."""
        body = json.loads(raw or b"{}")
        existing = {f["Id"]: f for f in self.hub_findings()}
        for f in body.get("Findings", []):
            old = existing.get(f.get("Id"))
            if old is None:
                continue
            for key in ("Note", "UserDefinedFields", "VerificationState", "Workflow"):
                f.pop(key, None)
                if key in old:
                    f[key] = old[key]
            provider = f.get("FindingProviderFields", {})
            for key in ("Severity", "Types", "Confidence", "Criticality", "RelatedFindings"):
                if key in provider:
                    f[key] = provider[key]
                elif key in old:
                    f[key] = old[key]
                else:
                    f.pop(key, None)
        return json.dumps(body).encode()

    def do_PATCH(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if not (self.path.startswith("/findings/batchupdate") and self.state.opts.upstream):
            self.reply_json(404, {"__type": "ResourceNotFoundException", "Message": self.path})
            return
        self.state.count("BatchUpdateFindings")
        body = json.loads(raw or b"{}")
        wanted = {(i["Id"], i["ProductArn"]) for i in body.get("FindingIdentifiers", [])}
        changed, processed = [], []
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        for f in self.hub_findings():
            key = (f.get("Id"), f.get("ProductArn"))
            if key not in wanted:
                continue
            if "Workflow" in body:
                f["Workflow"] = {"Status": body["Workflow"]["Status"]}
            if "Note" in body:
                f["Note"] = {**body["Note"], "UpdatedAt": now}
            f["UpdatedAt"] = now
            changed.append(f)
            processed.append({"Id": key[0], "ProductArn": key[1]})
        for i in range(0, len(changed), 100):
            self.upstream_call("/findings/import", {"Findings": changed[i:i + 100]})
        done = {(p["Id"], p["ProductArn"]) for p in processed}
        unprocessed = [{"FindingIdentifier": {"Id": i, "ProductArn": a},
                        "ErrorCode": "FindingNotFound", "ErrorMessage": "no such finding"}
                       for (i, a) in sorted(wanted - done)]
        self.reply_json(200, {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})

    def forward(self, raw):
        """Passes a request this endpoint does not serve (another service's)
        to `--upstream` (moto) unchanged, and its answer back."""
        url = urlparse(self.state.opts.upstream)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() not in ("host", "connection", "content-length")}
        conn.request("POST", self.path, body=raw, headers=headers)
        answer = conn.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    def sts(self, action, params, account):
        meta = f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        if action == "GetCallerIdentity":
            self.reply(200, f'<GetCallerIdentityResponse xmlns="{STS_NS}"><GetCallerIdentityResult>'
                            f"<Arn>arn:aws:iam::{account}:user/amilint-test</Arn><UserId>AIDATEST</UserId>"
                            f"<Account>{account}</Account></GetCallerIdentityResult>{meta}</GetCallerIdentityResponse>")
        elif action == "AssumeRole":
            arn = params.get("RoleArn", "")
            m = re.match(r"arn:aws:iam::(\d{12}):role/(.+)", arn)
            if not m or m.group(1) in self.state.opts.deny_account:
                self.reply(403, f'<ErrorResponse xmlns="{STS_NS}"><Error><Type>Sender</Type><Code>AccessDenied</Code>'
                                f"<Message>not authorized to perform sts:AssumeRole on {escape(arn)}</Message></Error>"
                                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>")
                return
            target = m.group(1)
            self.reply(200, f'<AssumeRoleResponse xmlns="{STS_NS}"><AssumeRoleResult><Credentials>'
                            f"<AccessKeyId>ASIA{target}</AccessKeyId><SecretAccessKey>assumed-s3cr3t-{target}</SecretAccessKey>"
                            f"<SessionToken>token-{target}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>"
                            f"</Credentials><AssumedRoleUser><AssumedRoleId>AROATEST:amilint</AssumedRoleId>"
                            f"<Arn>arn:aws:sts::{target}:assumed-role/{m.group(2)}/amilint</Arn></AssumedRoleUser>"
                            f"</AssumeRoleResult>{meta}</AssumeRoleResponse>")
        else:
            self.reply(400, ec2_error("InvalidAction", action))

    def describe_images(self, params, region, account):
        ids = [v for k, v in params.items() if k.startswith("ImageId.")]
        images = [i for i in self.state.images if not ids or i.get("ImageId") in ids]
        # The `image-id` filter: only those, and an unknown id is no error.
        for key, name in params.items():
            m = re.fullmatch(r"Filter\.(\d+)\.Name", key)
            if m and name == "image-id":
                wanted = {v for k, v in params.items() if re.fullmatch(rf"Filter\.{m.group(1)}\.Value\.\d+", k)}
                images = [i for i in images if i.get("ImageId") in wanted]
        missing = [i for i in ids if i not in {img.get("ImageId") for img in images}]
        if missing:
            self.reply(400, ec2_error("InvalidAMIID.NotFound", f"The image id '[{missing[0]}]' does not exist"))
            return
        token_in = params.get("NextToken", "0") or "0"
        start = int(token_in) if token_in.isdigit() else 0
        size = self.state.opts.page_size
        page = images[start:start + size]
        token = f"<nextToken>{start + size}</nextToken>" if start + size < len(images) else ""
        opts = self.state.opts
        if region in opts.repeat_token_region:
            # Fault: the first page again, with the same token, forever.
            page, token = images[:size], "<nextToken>same-token</nextToken>"
        if region in opts.circle_region:
            # Fault: the first page again, with a fresh token each time.
            page, token = images[:size], f"<nextToken>circle-{uuid.uuid4()}</nextToken>"
        # Each image's XML is made once (changes made by `fix` drop it).
        items = "".join(f"<item>{self.state.image_xml(i)}</item>" for i in page)
        # Every account has the fixture's own images (those of the base
        # account) as its own, as `--owners self` answers in each account.
        if account != opts.account:
            items = items.replace(f"<imageOwnerId>{opts.account}</imageOwnerId>",
                                  f"<imageOwnerId>{account}</imageOwnerId>")
        if region in opts.no_id_region and len(page) > 1:
            # Fault: the second image has no imageId element.
            second = to_xml(page[1:2])
            items = items.replace(second, re.sub(r"<imageId>[^<]*</imageId>", "", second, count=1), 1)
        body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImagesResponse xmlns="{EC2_NS}">'
                f"<requestId>{uuid.uuid4()}</requestId><imagesSet>{items}</imagesSet>{token}"
                f"</DescribeImagesResponse>")
        if region in opts.cut_item_region and len(page) > 1:
            # Fault: cut inside the second item, the root's closing tag added
            # back (a proxy that ends the body early but "completes" it).
            second = body.index("<item>", body.index("<item>") + 1)
            body = body[: second + 40] + "</DescribeImagesResponse>"
        if self.state.take_fault("truncate"):
            body = body[: len(body) // 2]
        self.reply(200, body)

    def page_of(self, items, params):
        """The page of `items` that MaxResults and NextToken ask for (at most
        --page-size), and the next token's element ("" on the last page)."""
        size = min(int(params.get("MaxResults", "1000")), self.state.opts.page_size)
        token_in = params.get("NextToken", "0") or "0"
        start = int(token_in) if token_in.isdigit() else 0
        token = f"<nextToken>{start + size}</nextToken>" if start + size < len(items) else ""
        return items[start:start + size], token

    def describe_image_references(self, params):
        """DescribeImageReferences (API_DescribeImageReferences): 1 to 10 `ImageId.N`,
        `IncludeAllResourceTypes` or `ResourceTypes`, MaxResults/NextToken; answers
        `imageReferenceSet` items of imageId, resourceType, arn (API_ImageReference), from
        the images' `AmilintReferences`."""
        ids = [v for k, v in params.items() if re.fullmatch(r"ImageId\.\d+", k)]
        if not 1 <= len(ids) <= 10:
            self.reply(400, ec2_error("InvalidParameterValue", f"ImageId: 1 to 10 images, not {len(ids)}"))
            return
        if params.get("IncludeAllResourceTypes") != "true" and not any(k.startswith("ResourceType.") for k in params):
            self.reply(400, ec2_error("MissingParameter", "Either IncludeAllResourceTypes or ResourceTypes must be specified."))
            return
        missing = [i for i in ids if i not in self.state.by_id]
        if missing:
            self.reply(400, ec2_error("InvalidAMIID.NotFound", f"The image id '[{missing[0]}]' does not exist"))
            return
        references = [{"ImageId": i, **r} for i in ids for r in self.state.by_id[i].get("AmilintReferences") or []]
        page, token = self.page_of(references, params)
        self.reply(200, f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeImageReferencesResponse xmlns="{EC2_NS}">'
                        f"<requestId>{uuid.uuid4()}</requestId><imageReferenceSet>{to_xml(page)}</imageReferenceSet>"
                        f"{token}</DescribeImageReferencesResponse>")

    def get_image_ancestry(self, params):
        """GetImageAncestry (API_GetImageAncestry): `imageAncestryEntrySet` items of
        creationDate, imageId, imageOwnerAlias, sourceImageId, sourceImageRegion
        (API_ImageAncestryEntry), from the image's `AmilintAncestry`; an image without one
        is an image of its own making: itself."""
        image_id = params.get("ImageId")
        image = self.state.by_id.get(image_id)
        if image is None:
            self.reply(400, ec2_error("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist"))
            return
        entries = image.get("AmilintAncestry") or [{"ImageId": image_id, "CreationDate": image.get("CreationDate")}]
        # Only GetImageAncestry's members (a saved scan adds the root's OwnerId and Name).
        members = ("CreationDate", "ImageId", "ImageOwnerAlias", "SourceImageId", "SourceImageRegion")
        entries = [{k: v for k, v in e.items() if k in members} for e in entries]
        self.reply(200, f'<?xml version="1.0" encoding="UTF-8"?>\n<GetImageAncestryResponse xmlns="{EC2_NS}">'
                        f"<requestId>{uuid.uuid4()}</requestId><imageAncestryEntrySet>{to_xml(entries)}"
                        f"</imageAncestryEntrySet></GetImageAncestryResponse>")

    def visible(self, snapshot, account):
        """DescribeSnapshots without owner parameters lists what the caller may
        create volumes from: its own, public and shared snapshots."""
        grants = self.state.permissions.get(snapshot["SnapshotId"], [])
        return (snapshot.get("OwnerId") == account or {"Group": "all"} in grants
                or {"UserId": account} in grants)

    def describe_snapshots(self, params, account):
        ids = [v for k, v in params.items() if re.fullmatch(r"SnapshotId\.\d+", k)]
        filtered = None
        for key, name in params.items():
            m = re.fullmatch(r"Filter\.(\d+)\.Name", key)
            if m and name == "snapshot-id":
                n = m.group(1)
                filtered = {v for k, v in params.items() if re.fullmatch(rf"Filter\.{n}\.Value\.\d+", k)}
        if len(filtered or ()) > 200:
            self.reply(400, ec2_error("InvalidParameterValue", "too many filter values"))
            return
        with self.state.lock:
            snapshots = [s for s in self.state.snapshots.values() if self.visible(s, account)]
        missing = [i for i in ids if i not in {s["SnapshotId"] for s in snapshots}]
        if missing:
            # With SnapshotIds, one absent id fails the whole call.
            self.reply(400, ec2_error("InvalidSnapshot.NotFound", f"The snapshot '{missing[0]}' does not exist."))
            return
        snapshots = [s for s in snapshots if (not ids or s["SnapshotId"] in ids)
                     and (filtered is None or s["SnapshotId"] in filtered)]
        snapshots.sort(key=lambda s: s["SnapshotId"])
        page, token = self.page_of(snapshots, params)
        self.reply(200, f'<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSnapshotsResponse xmlns="{EC2_NS}">'
                        f"<requestId>{uuid.uuid4()}</requestId><snapshotSet>{to_xml(page, SNAPSHOT_XML_NAMES)}"
                        f"</snapshotSet>{token}</DescribeSnapshotsResponse>")

    def describe_snapshot_attribute(self, params, account):
        snapshot_id = params.get("SnapshotId")
        with self.state.lock:
            snapshot = self.state.snapshots.get(snapshot_id)
            grants = list(self.state.permissions.get(snapshot_id, []))
        if snapshot is None or snapshot.get("OwnerId") != account:
            # Only the owner may read a snapshot's attributes.
            self.reply(400, ec2_error("InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist."))
            return
        if params.get("Attribute") != "createVolumePermission":
            self.reply(400, ec2_error("InvalidParameterValue", f"unsupported attribute {params.get('Attribute')}"))
            return
        self.reply(200, f'<DescribeSnapshotAttributeResponse xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                        f"<snapshotId>{snapshot_id}</snapshotId>"
                        f"<createVolumePermission>{to_xml(grants)}</createVolumePermission>"
                        f"</DescribeSnapshotAttributeResponse>")

    def describe_image_attribute(self, params):
        image_id = params.get("ImageId")
        attribute = params.get("Attribute")
        image = self.state.by_id.get(image_id)
        if image is None:
            self.reply(400, ec2_error("InvalidAMIID.NotFound", f"The image id '[{image_id}]' does not exist"))
            return
        if attribute == "launchPermission":
            value = f"<launchPermission>{to_xml(image.get('LaunchPermissions', []))}</launchPermission>"
        elif attribute in ("lastLaunchedTime", "imdsSupport", "deregistrationProtection"):
            v = image.get(attribute[:1].upper() + attribute[1:])
            value = f"<{attribute}><value>{escape(v)}</value></{attribute}>" if v else f"<{attribute}/>"
        else:
            self.reply(400, ec2_error("InvalidParameterValue", f"unsupported attribute {attribute}"))
            return
        self.reply(200, f'<DescribeImageAttributeResponse xmlns="{EC2_NS}"><requestId>{uuid.uuid4()}</requestId>'
                        f"<imageId>{image_id}</imageId>{value}</DescribeImageAttributeResponse>")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", required=True, help="describe-images JSON to serve")
    ap.add_argument("--snapshots", help="describe-snapshots JSON to serve (DescribeSnapshots)")
    ap.add_argument("--snapshot-permissions",
                    help="describe-snapshot-attribute createVolumePermission answers, back to back")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--account", default="111122223333", help="account of the base credentials")
    ap.add_argument("--regions", default="eu-west-1,us-east-1", help="DescribeRegions answer")
    ap.add_argument("--page-size", type=int, default=1000)
    ap.add_argument("--latency-ms", type=int, default=0, help="delay before every answer")
    ap.add_argument("--throttle-first", type=int, default=0, help="answer the first N DescribeImages with RequestLimitExceeded")
    ap.add_argument("--error500-first", type=int, default=0, help="answer the first N DescribeImages with HTTP 500")
    ap.add_argument("--truncate-first", type=int, default=0, help="cut the first N DescribeImages answers in half")
    ap.add_argument("--auth-fail-region", action="append", default=[], help="answer AuthFailure in this region")
    ap.add_argument("--hang-region", action="append", default=[], help="never answer in this region")
    ap.add_argument("--deny-account", action="append", default=[], help="refuse AssumeRole into this account")
    ap.add_argument("--hang-action", action="append", default=[], help="never answer this action (AssumeRole, …)")
    ap.add_argument("--throttle-region", action="append", default=[],
                    help="in this region, every DescribeImages is throttled (a throttle storm)")
    ap.add_argument("--html-region", action="append", default=[],
                    help="in this region, DescribeImages answers 200 with an HTML page")
    ap.add_argument("--wrong-root-region", action="append", default=[],
                    help="in this region, DescribeImages answers 200 with a DescribeRegions document")
    ap.add_argument("--empty-region", action="append", default=[],
                    help="in this region, DescribeImages answers 200 with an empty body")
    ap.add_argument("--reset-region", action="append", default=[],
                    help="in this region, the connection drops in the middle of the DescribeImages body")
    ap.add_argument("--repeat-token-region", action="append", default=[],
                    help="in this region, DescribeImages returns the first page and the same NextToken forever")
    ap.add_argument("--circle-region", action="append", default=[],
                    help="in this region, DescribeImages returns the first page forever, with fresh NextTokens")
    ap.add_argument("--no-id-region", action="append", default=[],
                    help="in this region, the second image of a page has no imageId")
    ap.add_argument("--cut-item-region", action="append", default=[],
                    help="in this region, a page is cut inside its second item and its root closed")
    ap.add_argument("--deny-action", action="append", default=[],
                    help="answer this EC2 action (ModifyImageAttribute, …) with UnauthorizedOperation")
    ap.add_argument("--fail-action", action="append", default=[],
                    help="answer every call of this EC2 action (DescribeSnapshots, …) with UnauthorizedOperation; "
                         "ACTION@REGION: only in that region")
    ap.add_argument("--expire-after", type=int, default=None,
                    help="assumed-role credentials expire after this many EC2 calls (ExpiredToken)")
    ap.add_argument("--settings", help="account guardrails to serve: an amilint settings file ({\"AccountSettings\": [...]})")
    ap.add_argument("--fleet-instances", type=int, default=0,
                    help="answer DescribeInstances with this many running instances per account × region (benchmarks)")
    ap.add_argument("--org-accounts", type=int, default=0,
                    help="answer Organizations ListAccounts with this many synthetic ACTIVE accounts (benchmarks)")
    ap.add_argument("--endless-ous", action="store_true",
                    help="Organizations: every OU has a new child OU (a walk that never ends)")
    ap.add_argument("--hub-accept", action="store_true",
                    help="answer Security Hub's BatchImportFindings as taking every finding and GetFindings with none (a timing sink)")
    ap.add_argument("--upstream", help="pass other services' requests (Organizations) to this loopback URL (moto)")
    opts = ap.parse_args()
    if opts.upstream and urlparse(opts.upstream).hostname not in ("127.0.0.1", "localhost"):
        ap.error("--upstream must be a loopback URL")

    Handler.state = State(opts)
    # A deep accept queue: a client that opens a hundred connections at once
    # must not wait for SYN retries (socketserver's default backlog is 5).
    ThreadingHTTPServer.request_queue_size = 1024
    server = ThreadingHTTPServer(("127.0.0.1", opts.port), Handler)
    server.daemon_threads = True
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
