#!/usr/bin/env python3
"""Seeds a moto server with an AWS Organization for amilint's `--org` tests.

    python seed_moto_org.py http://127.0.0.1:PORT

The base account (moto's 123456789012) creates the organisation and is its
management account. Under the root: OU `workloads`, and under it OU `prod`.
Five member accounts: `root-a` (under the root), `work-a` and `work-b` (in
`workloads`), `prod-a` (in `prod`), `closed-a` (in `workloads`, then closed:
not ACTIVE). Each member gets one image in eu-west-1 (through AssumeRole of
OrganizationAccountAccessRole), named after the account. Prints, as JSON,
the ids of the root, both OUs and the accounts (by name, plus `management`).
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
creds = dict(aws_access_key_id="AKIDTEST", aws_secret_access_key="test")
org = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint, **creds)
sts = boto3.client("sts", region_name="eu-west-1", endpoint_url=endpoint, **creds)

org.create_organization(FeatureSet="ALL")
root = org.list_roots()["Roots"][0]["Id"]
workloads = org.create_organizational_unit(ParentId=root, Name="workloads")["OrganizationalUnit"]["Id"]
prod = org.create_organizational_unit(ParentId=workloads, Name="prod")["OrganizationalUnit"]["Id"]

made = {"root": root, "workloads": workloads, "prod": prod,
        "management": sts.get_caller_identity()["Account"], "accounts": {}}
for name, parent in [("root-a", None), ("work-a", workloads), ("work-b", workloads),
                     ("prod-a", prod), ("closed-a", workloads)]:
    status = org.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
    account = status["AccountId"]
    made["accounts"][name] = account
    if parent:
        org.move_account(AccountId=account, SourceParentId=root, DestinationParentId=parent)
    role = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole",
                           RoleSessionName="seed")["Credentials"]
    ec2 = boto3.client("ec2", region_name="eu-west-1", endpoint_url=endpoint,
                       aws_access_key_id=role["AccessKeyId"], aws_secret_access_key=role["SecretAccessKey"],
                       aws_session_token=role["SessionToken"])
    ec2.register_image(Name=f"{name}-image", RootDeviceName="/dev/xvda",
                       BlockDeviceMappings=[{"DeviceName": "/dev/xvda",
                                             "Ebs": {"SnapshotId": "snap-12345678", "VolumeSize": 8}}])
org.close_account(AccountId=made["accounts"]["closed-a"])
print(json.dumps(made))
