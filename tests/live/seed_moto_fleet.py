#!/usr/bin/env python3
"""Seeds a moto server with a fleet for amilint's fleet tests.

    python seed_moto_fleet.py http://127.0.0.1:PORT

Base account (moto's 123456789012), eu-west-1:
  images    "current" (app-2026-11-01), "gone" (launched, then deregistered),
            "off" (launched, then disabled: moto's DisableImage); "amazon", one
            of moto's own public Amazon images
  instances "on-gone" (running, from "gone"), "on-off" (stopped, from "off"),
            "on-current" (running, from "current"), "on-amazon" (running)
  templates "gone-lt" (version 1 = $Default: "gone"; version 2 = $Latest: "current"),
            "ssm-lt" (ImageId resolve:ssm:/amilint/golden, the parameter naming "current")
  group     "web-asg" (launch template gone-lt version 1)
Prints {"images": {...}, "instances": {...}, "templates": {...}}.
"""

import json
import sys

import boto3

endpoint = sys.argv[1]
creds = dict(aws_access_key_id="AKIDTEST", aws_secret_access_key="test", region_name="eu-west-1")
ec2 = boto3.client("ec2", endpoint_url=endpoint, **creds)
ssm = boto3.client("ssm", endpoint_url=endpoint, **creds)
autoscaling = boto3.client("autoscaling", endpoint_url=endpoint, **creds)

images = {
    case: ec2.register_image(Name=name, RootDeviceName="/dev/xvda")["ImageId"]
    for case, name in (("current", "app-2026-11-01"), ("gone", "app-2026-01-01"), ("off", "tools-2025"))
}
public = sorted(ec2.describe_images(Owners=["amazon"])["Images"], key=lambda i: i["ImageId"])
images["amazon"] = public[0]["ImageId"]
instances = {}
for case, image, state in (("on-gone", "gone", "running"), ("on-off", "off", "stopped"),
                           ("on-current", "current", "running"), ("on-amazon", "amazon", "running")):
    made = ec2.run_instances(ImageId=images[image], MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             TagSpecifications=[{"ResourceType": "instance",
                                                 "Tags": [{"Key": "Name", "Value": case}]}])
    instances[case] = made["Instances"][0]["InstanceId"]
    if state == "stopped":
        ec2.stop_instances(InstanceIds=[instances[case]])

templates = {}
lt = ec2.create_launch_template(LaunchTemplateName="gone-lt",
                                LaunchTemplateData={"ImageId": images["gone"], "InstanceType": "t3.micro"})
templates["gone-lt"] = lt["LaunchTemplate"]["LaunchTemplateId"]
ec2.create_launch_template_version(LaunchTemplateId=templates["gone-lt"],
                                   LaunchTemplateData={"ImageId": images["current"], "InstanceType": "t3.micro"})
ssm.put_parameter(Name="/amilint/golden", Value=images["current"], Type="String", DataType="aws:ec2:image")
lt = ec2.create_launch_template(LaunchTemplateName="ssm-lt",
                                LaunchTemplateData={"ImageId": "resolve:ssm:/amilint/golden",
                                                    "InstanceType": "t3.micro"})
templates["ssm-lt"] = lt["LaunchTemplate"]["LaunchTemplateId"]
autoscaling.create_auto_scaling_group(
    AutoScalingGroupName="web-asg", MinSize=0, MaxSize=2, DesiredCapacity=0,
    AvailabilityZones=["eu-west-1a"],
    LaunchTemplate={"LaunchTemplateId": templates["gone-lt"], "Version": "1"})

ec2.deregister_image(ImageId=images["gone"])
ec2.disable_image(ImageId=images["off"])
print(json.dumps({"images": images, "instances": instances, "templates": templates}))
