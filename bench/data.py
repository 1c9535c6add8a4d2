"""Benchmark data shared by the bench scripts: describe-images exports made
with ../shared/gen_images.py, kept in bench-data/ (git-ignored)."""

import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def data_file(n, seed=1, prefix="images"):
    """bench-data/<prefix>_<n>.json: `gen_images.py n seed`, made once."""
    path = os.path.join(ROOT, "bench-data", f"{prefix}_{n}.json")
    if not os.path.exists(path):
        gen = os.path.join(ROOT, "..", "shared", "gen_images.py")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        print(f"generating {path} with {gen} …", file=sys.stderr)
        with open(path + ".tmp", "wb") as out:
            subprocess.run([sys.executable, gen, str(n), str(seed)], stdout=out, check=True)
        os.replace(path + ".tmp", path)
    return path


def snapshots_for(images_path):
    """(bench-data/<images stem>.snapshots.json, ….permissions.json): a
    describe-snapshots export (AWS CLI v2 layout) with one item for every
    SnapshotId the export names, and a describe-snapshot-attribute answer for
    each, back to back, as a loop over `aws ec2 describe-snapshot-attribute`
    writes them. Every 10th snapshot is
    public, every 25th shared with 999988887777, every 7th unencrypted; the
    owner is the image's. Read line by line: the images file may be 2 GB."""
    import re

    stem = os.path.basename(images_path).rsplit(".json", 1)[0]
    path = os.path.join(ROOT, "bench-data", f"{stem}.snapshots.json")
    permissions = os.path.join(ROOT, "bench-data", f"{stem}.permissions.json")
    if os.path.exists(path) and os.path.exists(permissions):
        return path, permissions
    print(f"making {path} …", file=sys.stderr)
    snapshot_re = re.compile(r'"SnapshotId":\s*"(snap-[0-9a-f]+)"')
    owner_re = re.compile(r'"OwnerId":\s*"(\d{12})"')
    found = []  # (snapshot id, owner); an image's owner may follow its mappings
    pending, owner = [], None
    with open(images_path, encoding="utf-8") as f:
        for line in f:
            for m in snapshot_re.finditer(line):
                pending.append(m.group(1))
            m = owner_re.search(line)
            if m:
                owner = m.group(1)
            if line.strip().startswith("}") and line.startswith(" " * 8 + "}"):
                found.extend((s, owner or "111122223333") for s in pending)
                pending, owner = [], None
    found.extend((s, owner or "111122223333") for s in pending)
    with open(path + ".tmp", "w", encoding="utf-8") as out:
        out.write('{\n    "Snapshots": [\n')
        for n, (snap, owner) in enumerate(found):
            encrypted = n % 7 != 0
            key = (f'            "KmsKeyId": "arn:aws:kms:eu-west-1:{owner}:key/'
                   f'{n % 97:08x}-1111-2222-3333-444455556666",\n') if encrypted else ""
            out.write(
                "        {\n"
                f'            "Description": "Created by CreateImage for image {n}",\n'
                f'            "Encrypted": {"true" if encrypted else "false"},\n{key}'
                f'            "OwnerId": "{owner}",\n'
                '            "Progress": "100%",\n'
                f'            "SnapshotId": "{snap}",\n'
                '            "StartTime": "2026-01-01T00:00:00.000Z",\n'
                '            "State": "completed",\n'
                f'            "VolumeId": "vol-{n:017x}",\n'
                '            "VolumeSize": 8,\n'
                '            "StorageTier": "standard"\n'
                f"        }}{',' if n + 1 < len(found) else ''}\n")
        out.write("    ]\n}\n")
    with open(permissions + ".tmp", "w", encoding="utf-8") as out:
        for n, (snap, _) in enumerate(found):
            grants = ('{\n            "Group": "all"\n        }' if n % 10 == 0 else
                      '{\n            "UserId": "999988887777"\n        }' if n % 25 == 0 else "")
            body = f"\n        {grants}\n    " if grants else ""
            out.write(f'{{\n    "CreateVolumePermissions": [{body}],\n    "SnapshotId": "{snap}"\n}}\n')
    os.replace(path + ".tmp", path)
    os.replace(permissions + ".tmp", permissions)
    return path, permissions


def owned_images(n):
    """bench-data/owned_<n>.json: n images of account 111122223333 (the
    fixture endpoint's), each on two snapshots snap-<2i> and snap-<2i+1>, for
    the live snapshot benchmark. The project's own maker."""
    path = os.path.join(ROOT, "bench-data", f"owned_{n}.json")
    if not os.path.exists(path):
        images = []
        for i in range(n):
            images.append({
                "ImageId": f"ami-{i:017x}", "Name": f"owned-{i}", "OwnerId": "111122223333",
                "State": "available", "CreationDate": "2026-01-01T00:00:00.000Z",
                "ImageType": "machine", "Public": False, "RootDeviceName": "/dev/xvda",
                "RootDeviceType": "ebs", "VirtualizationType": "hvm", "Architecture": "x86_64",
                "BlockDeviceMappings": [
                    {"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": f"snap-{2 * i:017x}", "VolumeSize": 8,
                                                       "VolumeType": "gp3", "DeleteOnTermination": True, "Encrypted": True}},
                    {"DeviceName": "/dev/xvdb", "Ebs": {"SnapshotId": f"snap-{2 * i + 1:017x}", "VolumeSize": 8,
                                                       "VolumeType": "gp3", "DeleteOnTermination": True, "Encrypted": True}},
                ],
            })
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"Images": images}, out, indent=4)
    return path


def fixture_server(*args):
    """Starts tests/live/ec2_fixture_server.py (127.0.0.1 only) with `args`:
    (the process, its port)."""
    server = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, "tests", "live", "ec2_fixture_server.py"), *args],
        stdout=subprocess.PIPE, text=True)
    return server, int(server.stdout.readline().split()[1])


def fake_aws_env():
    """The environment of a live scan against a local endpoint: fake keys, no
    AWS config files, no instance metadata."""
    import tempfile

    home = tempfile.mkdtemp()
    return dict(os.environ, HOME=home, AWS_ACCESS_KEY_ID="AKIDBENCH",
                AWS_SECRET_ACCESS_KEY="bench", AWS_CONFIG_FILE=os.path.join(home, "config"),
                AWS_SHARED_CREDENTIALS_FILE=os.path.join(home, "credentials"),
                AWS_EC2_METADATA_DISABLED="true")


def stats(port):
    """The fixture endpoint's requests counted, by "ACTION REGION"."""
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats") as r:
        return json.load(r)


def calls(snapshot, action):
    """Requests of `action` in a stats snapshot, in every region."""
    return sum(n for key, n in snapshot.items() if key.split()[0] == action)
