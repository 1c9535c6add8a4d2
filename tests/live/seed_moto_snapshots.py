#!/usr/bin/env python3
"""Seeds a moto server with snapshot-backed images for amilint's snapshot tests.

    python seed_moto_snapshots.py http://127.0.0.1:PORT

Base account (moto's 123456789012), eu-west-1, one image per case. moto makes
a real snapshot for every image it registers (ignoring the mappings given, as
its RegisterImage does); the seed changes that snapshot's createVolumePermission:
  public   Group=all
  shared   account 999988887777
  private  nobody
moto cannot make an image on an encrypted snapshot with a key, nor one whose
snapshot is gone: the fixture endpoint covers those.
Prints {"images": {case: image id}, "snapshots": {case: snapshot id}}.
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
creds = dict(aws_access_key_id="AKIDTEST", aws_secret_access_key="test", region_name="eu-west-1")
ec2 = boto3.client("ec2", endpoint_url=endpoint, **creds)

images, snapshots = {}, {}
for case in ("public", "shared", "private"):
    image_id = ec2.register_image(Name=f"snapshot-{case}", RootDeviceName="/dev/xvda")["ImageId"]
    image = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    images[case] = image_id
    snapshots[case] = image["BlockDeviceMappings"][0]["Ebs"]["SnapshotId"]
ec2.modify_snapshot_attribute(SnapshotId=snapshots["public"], Attribute="createVolumePermission",
                              OperationType="add", GroupNames=["all"])
ec2.modify_snapshot_attribute(SnapshotId=snapshots["shared"], Attribute="createVolumePermission",
                              OperationType="add", UserIds=["999988887777"])
print(json.dumps({"images": images, "snapshots": snapshots}))
