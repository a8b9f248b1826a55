"""Reads every object of a soak run back with boto3 (an S3 client that is not
ours) and checks its SHA-256 against the bytes the browser was given; then
checks that no multipart upload is left open in the bucket.

    python verify_s3.py MANIFEST.json

MANIFEST: {"objects": [{"key", "size", "sha256"}]} (sha256 in hex). The store
comes from AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY and PRESIGN_BUCKET. Prints one JSON line of counts;
exits 1 when anything differs.
"""

import hashlib
import json
import os
import sys

import boto3
from botocore.config import Config


def main(manifest_path):
    with open(manifest_path) as f:
        objects = json.load(f)["objects"]
    bucket = os.environ["PRESIGN_BUCKET"]
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=os.environ["AWS_REGION"],
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
    )
    bad = []
    for obj in objects:
        body = s3.get_object(Bucket=bucket, Key=obj["key"])["Body"]
        digest = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: body.read(1 << 20), b""):
            digest.update(chunk)
            size += len(chunk)
        if size != obj["size"] or digest.hexdigest() != obj["sha256"]:
            bad.append({"key": obj["key"], "size": size, "sha256": digest.hexdigest(), "want": obj})
    open_uploads = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        open_uploads += [u["Key"] for u in page.get("Uploads", [])]
    listed = sum(
        len(page.get("Contents", []))
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    )
    report = {
        "verified": len(objects) - len(bad),
        "mismatched": bad,
        "objects_in_bucket": listed,
        "open_multipart_uploads": open_uploads,
    }
    print(json.dumps(report))
    return 0 if not bad and not open_uploads and listed == len(objects) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
