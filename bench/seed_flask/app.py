"""The seed's Flask + boto3 signer, written from the design note (a bench-only
baseline, not part of the product), with the same endpoints and JSON as
presign-server so one load generator drives both:

    POST /api/get-upload-url          {filename, file_type, size?, sha256?, content_type?}
                                      -> {upload_url, key, expires_in, method, headers}
    POST /api/multipart               {filename, file_type, size, part_size?}
                                      -> {upload_id, key, part_size, part_count, expires_in}
    POST /api/multipart/<id>/part-urls {parts: [{number, size, sha256}]}
                                      -> {urls: [{number, url, headers, expires_in}]}
    POST /api/file-uploaded           {key, file_type, size?} -> {key, size, etag}
    POST /upload                      multipart/form-data `file`, `file_type`
                                      -> {key, size, etag}  (the seed's "traditional
                                      flow": the file passes through this server)

As in the seed, URLs come from `generate_presigned_url` and the traditional
flow reads the whole file (`file.read()`) and uploads it with boto3. Where the
seed is loose, this does what presign-server does, so the work compared is
the same: the size and SHA-256 are signed headers, keys are
`users/{user}/{file_type}/{date}/{uuid}-{filename}`, bad input is a 400 with
`{"error": {"code", "message"}}`, multipart sessions live in SQLite. One
difference favours this baseline: the seed makes a boto3 client per request
(`boto3.client('s3')` inside the handler), which costs milliseconds; here each
worker makes its clients once, unless SEED_FLASK_CLIENT_PER_REQUEST=1 (then
get-upload-url makes one per request, as the seed's code does; the seed shows
no code for the multipart endpoints).

Configuration (environment): AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID,
AWS_SECRET_ACCESS_KEY, PRESIGN_BUCKET; SEED_FLASK_PUBLIC_ENDPOINT (the store
address put in presigned URLs, default AWS_ENDPOINT_URL); SEED_FLASK_DB (the
SQLite file, default seed_flask.sqlite3); SEED_FLASK_CLIENT_PER_REQUEST (above).
"""

import base64
import binascii
import datetime
import os
import re
import sqlite3
import threading
import uuid

import boto3
from botocore.config import Config
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.utils import secure_filename

USER = "dev"
EXPIRES_IN = 900
MAX_SINGLE_PUT = 5 * 1024**3
MIN_PART, MAX_PART, MAX_PARTS = 5 * 1024**2, 5 * 1024**3, 10_000
DEFAULT_PART = 8 * 1024**2
FILE_TYPE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")

BUCKET = os.environ["PRESIGN_BUCKET"]
_config = Config(
    s3={"addressing_style": "path"},
    signature_version="s3v4",
    # Presigned URLs carry exactly the checksum given, as presign-server's do.
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)
# The store as this server reaches it, and as clients reach it.
REGION = os.environ.get("AWS_REGION", "us-east-1")
s3 = boto3.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL"), region_name=REGION, config=_config)
PUBLIC_ENDPOINT = os.environ.get("SEED_FLASK_PUBLIC_ENDPOINT", os.environ.get("AWS_ENDPOINT_URL"))
presigner = boto3.client("s3", endpoint_url=PUBLIC_ENDPOINT, region_name=REGION, config=_config)
# SEED_FLASK_CLIENT_PER_REQUEST=1: get-upload-url makes its boto3 client on
# each request, as the seed's `generate_upload_url` does
# (`s3_client = boto3.client('s3')` inside the function): "the seed as written".
CLIENT_PER_REQUEST = os.environ.get("SEED_FLASK_CLIENT_PER_REQUEST") == "1"


def upload_url_presigner():
    if CLIENT_PER_REQUEST:
        return boto3.client("s3", endpoint_url=PUBLIC_ENDPOINT, region_name=REGION, config=_config)
    return presigner
DB_PATH = os.environ.get("SEED_FLASK_DB", "seed_flask.sqlite3")
_local = threading.local()

app = Flask(__name__)


class BadRequest(Exception):
    def __init__(self, message, status=400, code="bad_request"):
        super().__init__(message)
        self.status, self.code = status, code


@app.errorhandler(BadRequest)
def bad_request(e):
    return jsonify(error={"code": e.code, "message": str(e)}), e.status


@app.errorhandler(HTTPException)
def http_error(e):
    code = "not_found" if e.code == 404 else "bad_request"
    return jsonify(error={"code": code, "message": e.description}), e.code


def db():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = sqlite3.connect(DB_PATH, timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, key TEXT NOT NULL,"
            " store_upload_id TEXT NOT NULL, size INTEGER NOT NULL, part_size INTEGER NOT NULL)"
        )
        _local.conn = conn
    return conn


def body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data


def text(data, name):
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{name} must be a non-empty string")
    return value


def size_of(data, name, required):
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BadRequest(f"{name} must be a whole number of bytes")
    return value


def sha256_of(value, name="sha256"):
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, TypeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise BadRequest(f"{name} must be a SHA-256 digest in base64")
    return value


def new_key(data):
    filename = secure_filename(text(data, "filename")) or "file"
    file_type = text(data, "file_type")
    if not FILE_TYPE.match(file_type):
        raise BadRequest("file_type must be 1 to 63 of a-z, 0-9, '_' or '-'")
    day = datetime.datetime.now(datetime.timezone.utc).date().isoformat()
    return f"users/{USER}/{file_type}/{day}/{uuid.uuid4().hex}-{filename}"


def content_type_of(data):
    value = data.get("content_type", "application/octet-stream")
    if not isinstance(value, str) or "/" not in value:
        raise BadRequest("content_type must be a MIME type")
    return value


@app.post("/api/get-upload-url")
def get_upload_url():
    data = body()
    key = new_key(data)
    content_type = content_type_of(data)
    size = size_of(data, "size", required=False)
    sha256 = sha256_of(data.get("sha256"))
    if size is not None and size > MAX_SINGLE_PUT:
        raise BadRequest(f"size {size} exceeds a single PUT's 5 GiB", 413, "too_large")
    params = {"Bucket": BUCKET, "Key": key, "ContentType": content_type}
    headers = {"content-type": content_type}
    if size is not None:
        params["ContentLength"] = size
        headers["content-length"] = str(size)
    if sha256 is not None:
        params["ChecksumSHA256"] = sha256
        headers["x-amz-checksum-sha256"] = sha256
    url = upload_url_presigner().generate_presigned_url("put_object", Params=params, ExpiresIn=EXPIRES_IN)
    return jsonify(upload_url=url, key=key, expires_in=EXPIRES_IN, method="PUT", headers=headers)


@app.post("/api/multipart")
def create_multipart():
    data = body()
    key = new_key(data)
    size = size_of(data, "size", required=True)
    if size == 0:
        raise BadRequest("size must be at least 1 byte")
    wanted = size_of(data, "part_size", required=False) or DEFAULT_PART
    part_size = min(max(wanted, MIN_PART, -(-size // MAX_PARTS)), MAX_PART)
    created = s3.create_multipart_upload(
        Bucket=BUCKET, Key=key, ContentType=content_type_of(data), ChecksumAlgorithm="SHA256"
    )
    upload_id = uuid.uuid4().hex
    conn = db()
    with conn:
        conn.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?, ?)",
            (upload_id, key, created["UploadId"], size, part_size),
        )
    part_count = -(-size // part_size)
    return jsonify(
        upload_id=upload_id, key=key, part_size=part_size, part_count=part_count, expires_in=EXPIRES_IN
    )


@app.post("/api/multipart/<upload_id>/part-urls")
def part_urls(upload_id):
    data = body()
    row = db().execute(
        "SELECT key, store_upload_id, size, part_size FROM sessions WHERE id = ?", (upload_id,)
    ).fetchone()
    if row is None:
        raise BadRequest("no such upload", 404, "not_found")
    key, store_upload_id, size, part_size = row
    parts = data.get("parts")
    if not isinstance(parts, list) or not 1 <= len(parts) <= 100:
        raise BadRequest("parts must list 1 to 100 parts")
    part_count = -(-size // part_size)
    urls, seen = [], set()
    for part in parts:
        if not isinstance(part, dict):
            raise BadRequest("each part must be an object")
        number = part.get("number")
        if not isinstance(number, int) or not 1 <= number <= part_count or number in seen:
            raise BadRequest(f"part number {number!r} is not in the plan or is listed twice")
        seen.add(number)
        want = part_size if number < part_count else size - part_size * (part_count - 1)
        if size_of(part, "size", required=True) != want:
            raise BadRequest(f"part {number} must be {want} bytes")
        sha256 = sha256_of(part.get("sha256"))
        if sha256 is None:
            raise BadRequest(f"part {number} needs its sha256")
        url = presigner.generate_presigned_url(
            "upload_part",
            Params={
                "Bucket": BUCKET,
                "Key": key,
                "UploadId": store_upload_id,
                "PartNumber": number,
                "ContentLength": want,
                "ChecksumSHA256": sha256,
            },
            ExpiresIn=EXPIRES_IN,
        )
        headers = {"content-length": str(want), "x-amz-checksum-sha256": sha256}
        urls.append({"number": number, "url": url, "headers": headers, "expires_in": EXPIRES_IN})
    return jsonify(urls=urls)


def owned(key):
    if not isinstance(key, str) or not key.startswith(f"users/{USER}/"):
        raise BadRequest("no such object", 404, "not_found")
    return key


@app.post("/api/file-uploaded")
def file_uploaded():
    data = body()
    key = owned(data.get("key"))
    try:
        head = s3.head_object(Bucket=BUCKET, Key=key)
    except s3.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            raise BadRequest("no such object", 404, "not_found") from e
        raise
    size = size_of(data, "size", required=False)
    if size is not None and size != head["ContentLength"]:
        raise BadRequest(f"the stored object has {head['ContentLength']} bytes, not {size}", 409, "conflict")
    return jsonify(key=key, size=head["ContentLength"], etag=head["ETag"])


@app.post("/upload")
def upload():
    # The seed's "traditional flow", as the seed wrote it: the whole file is
    # read into the server's memory and uploaded from there.
    file = request.files.get("file")
    if file is None:
        raise BadRequest("the form needs a `file` field")
    key = new_key({"filename": file.filename or "file", "file_type": request.form.get("file_type", "")})
    file_data = file.read()
    put = s3.put_object(
        Bucket=BUCKET, Key=key, Body=file_data, ContentType=file.mimetype or "application/octet-stream"
    )
    return jsonify(key=key, size=len(file_data), etag=put["ETag"])
