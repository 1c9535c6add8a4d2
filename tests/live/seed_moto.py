#!/usr/bin/env python3
"""Seeds a moto server with images for amilint's live-scan tests.

    python seed_moto.py http://127.0.0.1:PORT [COUNT]

Base account (moto's 123456789012), eu-west-1: COUNT images (default 2000)
named img-00000…; every 10th tagged Environment=prod, the rest dev;
img-00000 public, img-00001 shared with account 999988887777.
us-east-1: 3 images. Account 222233334444 (reached through AssumeRole),
eu-west-1: 2 images, the first public. Prints the ids it made as JSON.
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
creds = dict(aws_access_key_id="AKIDTEST", aws_secret_access_key="test")


def client(region, **extra):
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint, **{**creds, **extra})


def register(ec2, name, tags):
    image = ec2.register_image(
        Name=name,
        RootDeviceName="/dev/xvda",
        BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": "snap-12345678", "VolumeSize": 8}}],
    )
    # moto drops RegisterImage's TagSpecifications: tag afterwards.
    ec2.create_tags(Resources=[image["ImageId"]], Tags=tags)
    return image["ImageId"]


made = {"eu-west-1": [], "us-east-1": [], "222233334444": []}
eu = client("eu-west-1")
for i in range(count):
    env = "prod" if i % 10 == 0 else "dev"
    made["eu-west-1"].append(register(eu, f"img-{i:05d}", [{"Key": "Environment", "Value": env}]))
eu.modify_image_attribute(ImageId=made["eu-west-1"][0], LaunchPermission={"Add": [{"Group": "all"}]})
eu.modify_image_attribute(ImageId=made["eu-west-1"][1], LaunchPermission={"Add": [{"UserId": "999988887777"}]})

us = client("us-east-1")
for i in range(3):
    made["us-east-1"].append(register(us, f"us-img-{i}", [{"Key": "Environment", "Value": "dev"}]))

sts = boto3.client("sts", region_name="eu-west-1", endpoint_url=endpoint, **creds)
role = sts.assume_role(RoleArn="arn:aws:iam::222233334444:role/Audit", RoleSessionName="seed")["Credentials"]
other = boto3.client(
    "ec2", region_name="eu-west-1", endpoint_url=endpoint,
    aws_access_key_id=role["AccessKeyId"], aws_secret_access_key=role["SecretAccessKey"],
    aws_session_token=role["SessionToken"],
)
for i in range(2):
    made["222233334444"].append(register(other, f"other-img-{i}", [{"Key": "Environment", "Value": "prod"}]))
other.modify_image_attribute(ImageId=made["222233334444"][0], LaunchPermission={"Add": [{"Group": "all"}]})

print(json.dumps(made))
