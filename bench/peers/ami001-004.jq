# AMI001–AMI004 in jq, for the throughput benchmark (bench/throughput.py):
# the same checks as amilint's rules, on machine images (kernel and ramdisk
# images are skipped, as amilint skips them). Prints a count per rule.
[.Images[] | select((.ImageType // "machine") | IN("kernel", "ramdisk") | not)]
| {
    images: length,
    AMI001: map(select(.ImdsSupport != "v2.0")) | length,
    AMI002: map(select((.DeprecationTime // "") | test("^\\s*$"))) | length,
    AMI003: map(select([.BlockDeviceMappings[]? | select(.Ebs != null and .Ebs.Encrypted != true)] | length > 0)) | length,
    AMI004: map(select((.PlatformDetails // "") | test("^\\s*$"))) | length
  }
