"""A reference signer for presigned-upload in Flask + boto3: one file to copy.

It speaks the HTTP protocol of docs/protocol.md, so the project's client
(`new Uploader({ endpoint, token })`) and its <presigned-upload> widget work
against it unchanged. The browser sends the bytes straight to the store; this
server only signs URLs, runs the multipart control plane and checks what the
store kept. It keeps no database: a multipart upload's state travels in its
`upload_id`, sealed with an HMAC (see "Multipart state" below).

Run:  python app.py   (README.md lists every environment variable)
"""

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import sys
import unicodedata
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode, urlsplit

import boto3
import jwt
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError
from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger("flask-signer")

KIB, MIB, GIB, TIB = 1024, 1024**2, 1024**3, 1024**4
# S3's own limits (the store refuses beyond them whatever we sign).
MAX_SINGLE_PUT = 5 * GIB
MAX_OBJECT = 5 * TIB
MIN_PART, MAX_PART, MAX_PARTS = 5 * MIB, 5 * GIB, 10_000
DEFAULT_PART = 8 * MIB
MAX_PARTS_PER_REQUEST = 100
MAX_BATCH = 100
# A POST form cannot be made write-once: it may be sent again while it lives.
MAX_FORM_LIFETIME = 60


# ---------------------------------------------------------------- settings


def fail_to_start(message):
    sys.exit(f"flask-signer: {message}")


def env_int(name, default):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        fail_to_start(f"{name} must be a whole number, not {raw!r}")
    return int(raw)


def env_list(name):
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEV = os.environ.get("SIGNER_DEV", "") == "1"
JWT_SECRET = os.environ.get("SIGNER_JWT_SECRET") or None
JWT_AUDIENCE = os.environ.get("SIGNER_JWT_AUDIENCE") or None
JWT_LEEWAY = 30  # seconds of clock skew tolerated between the app that issues tokens and us
if JWT_SECRET is not None and len(JWT_SECRET.encode()) < 32:
    fail_to_start("SIGNER_JWT_SECRET must be at least 32 bytes (an HS256 key shorter than its hash is guessable)")
if JWT_SECRET is None and not DEV:
    fail_to_start(
        "no identity: set SIGNER_JWT_SECRET (the HS256 secret of your users' tokens, at least 32 bytes), "
        "or SIGNER_DEV=1 for development, where every caller is the user 'dev'"
    )

BUCKET = os.environ.get("SIGNER_BUCKET") or os.environ.get("PRESIGN_BUCKET")
if not BUCKET:
    fail_to_start("set SIGNER_BUCKET (or PRESIGN_BUCKET) to the bucket's name")

EXPIRES_IN = env_int("SIGNER_EXPIRES_IN", 900)
if not 1 <= EXPIRES_IN <= 604_800:
    fail_to_start("SIGNER_EXPIRES_IN must be 1 to 604800 seconds (SigV4's longest)")
MAX_SIZE = env_int("SIGNER_MAX_SIZE", MAX_OBJECT)
MAX_POST_SIZE = env_int("SIGNER_MAX_POST_SIZE", 10 * 1000 * 1000)
ALLOWED_METADATA = set(env_list("SIGNER_METADATA"))
ALLOW_ORIGINS = set(env_list("SIGNER_ALLOW_ORIGIN"))
# Dev mode also lets pages on a loopback name call the API (http or https,
# any port), as presign-server --dev does; no other origin.
LOOPBACK_ORIGIN = re.compile(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?")

# The key that seals multipart state: its own secret, else derived from the
# JWT secret (a separate HMAC key, so a sealed id is never a valid JWT
# signature), else (dev mode) random: ids then die with the process.
_state_secret = os.environ.get("SIGNER_STATE_SECRET") or JWT_SECRET
if _state_secret is None:
    log.warning("no SIGNER_STATE_SECRET: multipart upload ids will not survive a restart")
    _state_secret = secrets.token_hex(32)
STATE_KEY = hmac.new(_state_secret.encode(), b"flask-signer multipart state", hashlib.sha256).digest()

# The store, from AWS's standard environment: AWS_ENDPOINT_URL, AWS_REGION
# (boto3 itself reads only AWS_DEFAULT_REGION: a SigV4 signature names the
# region, and a wrong one is refused), and credentials from the SDK's chain
# (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile, a role).
# Path-style addressing when an endpoint is named: Garage, MinIO and R2
# want it, and a bucket name in the host name would need DNS for it.
ENDPOINT = os.environ.get("AWS_ENDPOINT_URL") or None
s3 = boto3.client(
    "s3",
    endpoint_url=ENDPOINT,
    region_name=os.environ.get("AWS_REGION") or None,
    config=Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if ENDPOINT else "auto"},
        # Send and sign only the checksums we name (boto3 would otherwise add
        # its own CRC32 to requests, which some S3-compatible stores refuse).
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        retries={"max_attempts": 3, "mode": "standard"},
    ),
)
if not s3.meta.region_name:
    fail_to_start("set AWS_REGION (the bucket's region; 'garage' for Garage, 'auto' for R2)")


def metadata_in_query(request, **_):
    """Moves a PUT's x-amz-meta-* headers into its URL's query, where they
    are signed too, so the browser sends no metadata headers. A bucket's CORS
    rule may allow `x-amz-*`, but a store that answers a preflight with that
    pattern as it stands (Garage does) is refused by browsers, which read only
    `*` or exact names there. S3 and Garage take the x-amz-* query parameters
    of a presigned URL as the headers they stand for. (This app calls
    PutObject only to presign it.)"""
    meta = [(name.lower(), value) for name, value in request.headers.items() if name.lower().startswith("x-amz-meta-")]
    if not meta:
        return
    for name, _ in meta:
        del request.headers[name]
    request.url += ("&" if urlsplit(request.url).query else "?") + urlencode(meta, quote_via=quote, safe="")


s3.meta.events.register("before-sign.s3.PutObject", metadata_in_query)


# ---------------------------------------------------------------- errors

# Every refusal says what was wrong and never more: a key or upload of
# another user gets the same answer as one that does not exist.
NO_SUCH_OBJECT = "no such object"
NO_SUCH_UPLOAD = "no such multipart upload"


class ApiError(Exception):
    """A refusal: `{"error": {"code", "message"}}` with its HTTP status."""

    def __init__(self, status, code, message, headers=None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}

    def body(self):
        return {"error": {"code": self.code, "message": self.message}}


def bad_request(message):
    return ApiError(400, "bad_request", message)


def not_found(message=NO_SUCH_OBJECT):
    return ApiError(404, "not_found", message)


def mismatch(message):
    return ApiError(409, "checksum_mismatch", message)


def store_failure(error):
    """The store failed (502) or cannot be reached (503): logged, not told."""
    log.error("store error: %s", error)
    if isinstance(error, EndpointConnectionError):
        return ApiError(503, "server", "the storage service cannot be reached; try again later")
    return ApiError(502, "server", "the storage service failed; try again later")


def s3_code(error):
    return error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""


def s3_status(error):
    return error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)


# ---------------------------------------------------------------- request bodies
#
# Each request is a table of fields: name -> (required, check). A check
# turns the JSON value into what we use or raises a 400 naming the field.
# Unknown fields are refused, so a client's typo is an error, not ignored.


def text(value, name):
    if not isinstance(value, str):
        raise bad_request(f"{name} must be a string")
    return value


def count(value, name):
    # bool is an int in Python; JSON's true is not a size.
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**64:
        raise bad_request(f"{name} must be a whole number from 0")
    return value


def flag(value, name):
    if not isinstance(value, bool):
        raise bad_request(f"{name} must be true or false")
    return value


def digest(value, name):
    """A base64 SHA-256 as S3's x-amz-checksum-sha256 carries it."""
    try:
        raw = base64.b64decode(text(value, name).strip(), validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(f"{name} must be standard base64 (44 characters ending in '=')") from None
    if len(raw) != 32:
        raise bad_request(f"{name} must decode to 32 bytes, got {len(raw)}")
    return base64.b64encode(raw).decode()


def metadata_of(value, name):
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise bad_request(f"{name} must be an object of names and string values")
    return value


def fields(data, spec, where="the request body"):
    if not isinstance(data, dict):
        raise bad_request(f"{where} must be a JSON object")
    unknown = sorted(set(data) - set(spec))
    if unknown:
        raise bad_request(f"unknown field `{unknown[0]}` in {where}; expected one of {', '.join(spec)}")
    out = {}
    for name, (required, check) in spec.items():
        path = name if where == "the request body" else f"{where}.{name}"
        if data.get(name) is None:
            if required:
                raise bad_request(f"missing field `{path}`")
            out[name] = None
        else:
            out[name] = check(data[name], path)
    return out


def list_of(spec, low, high):
    def check(value, name):
        if not isinstance(value, list) or not low <= len(value) <= high:
            raise bad_request(f"{name} must list {low} to {high} entries")
        return [fields(item, spec, f"{name}[{i}]") for i, item in enumerate(value)]

    return check


def json_body(spec):
    # JSON only: a cross-site form cannot send application/json without a
    # CORS preflight, which only the allowed origins pass.
    if not request.is_json:
        raise ApiError(415, "unsupported_type", "the request body must be JSON (Content-Type: application/json)")
    try:
        data = json.loads(request.get_data(as_text=True) or "null")
    except ValueError as e:
        raise bad_request(f"the request body is not valid JSON: {e}") from None
    return fields(data, spec)


NEW_UPLOAD = {
    "filename": (True, text),
    "file_type": (True, text),
    "content_type": (False, text),
    "size": (False, count),
    "sha256": (False, digest),
    "metadata": (False, metadata_of),
}
CONFIRM = {"key": (True, text), "file_type": (True, text), "size": (False, count), "sha256": (False, digest)}
CREATE_MULTIPART = {
    "filename": (True, text),
    "file_type": (True, text),
    "content_type": (False, text),
    "size": (True, count),
    "part_size": (False, count),
    "checksum": (False, flag),
    "client_token": (False, text),
    "metadata": (False, metadata_of),
}
PART_TO_SIGN = {"number": (True, count), "size": (True, count), "sha256": (False, digest)}
PART_DONE = {"number": (True, count), "etag": (True, text), "sha256": (False, digest)}


# ---------------------------------------------------------------- identity

USER_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")


def unauthorized(message):
    return ApiError(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


def caller():
    """The user every key of this request must belong to."""
    if JWT_SECRET is None:
        return "dev"  # dev mode: no token needed, everyone is one user
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("missing Authorization: Bearer <token> header")
    try:
        claims = jwt.decode(
            token.strip(),
            JWT_SECRET,
            algorithms=["HS256"],  # never the token's own choice ("none", or RS256 with our secret as a key)
            audience=JWT_AUDIENCE,
            leeway=JWT_LEEWAY,
            options={"require": ["exp", "sub"] + (["aud"] if JWT_AUDIENCE else []), "verify_aud": bool(JWT_AUDIENCE)},
        )
    except jwt.ExpiredSignatureError:
        raise unauthorized("the token has expired") from None
    except jwt.InvalidTokenError as e:
        raise unauthorized(f"the token is not valid: {e}") from None
    user = claims["sub"]
    if not isinstance(user, str) or not USER_ID.fullmatch(user):
        raise unauthorized("the token's sub must be 1 to 128 of A-Z a-z 0-9 . _ -")
    return user


# ---------------------------------------------------------------- names and policy

FILE_TYPE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
MAX_FILENAME_BYTES = 200
# Characters that break URLs, shells or S3 tools, and slashes' look-alikes.
REPLACED = set('#?%"<>|:*`{}^[]~') | set("\u2044\u2215\u29f8\uff0f\uff3c")
# Invisible characters that are not Unicode format (Cf) characters.
INVISIBLE = set("\u034f\u115f\u1160\u17b4\u17b5\u3164\uffa0") | {chr(c) for c in range(0x180B, 0x1810)} | {
    chr(c) for c in range(0xFE00, 0xFE10)
}


def invisible(c):
    point = ord(c)
    noncharacter = 0xFDD0 <= point <= 0xFDEF or point & 0xFFFE == 0xFFFE
    return unicodedata.category(c) in ("Cc", "Cf") or c in INVISIBLE or noncharacter


def sanitise_filename(raw):
    """One safe key segment from the browser's file name (as presign-server's
    filename::sanitize): the last path component, NFC, no control or invisible
    characters (the "invoice\\u202Efdp.exe" trick), no `..`, at most 200 bytes
    keeping the extension; "file" when nothing is left."""
    if not raw.strip():
        raise bad_request("filename is empty")
    if len(raw.encode()) > 4096:
        raise bad_request("filename is longer than 4096 bytes")
    last = re.split(r"[/\\]", raw)[-1]
    kept = "".join(
        " " if c == "\t" or (c.isspace() and not invisible(c)) else "_" if c in REPLACED else c
        for c in unicodedata.normalize("NFC", last)
        if c == "\t" or not invisible(c)
    )
    name = unicodedata.normalize("NFC", kept)
    while ".." in name:
        name = name.replace("..", ".")
    name = name.strip(". ")
    if not name:
        return "file"
    if len(name.encode()) <= MAX_FILENAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if not stem or len(ext.encode()) + 1 > 16:
        stem, dot, ext = name, "", ""
    room = MAX_FILENAME_BYTES - len((dot + ext).encode())
    cut = stem.encode()[:room].decode(errors="ignore").rstrip(". ")
    return cut + dot + ext


def file_type_of(raw):
    if not FILE_TYPE.fullmatch(raw):
        raise bad_request("file_type must be 1 to 64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit")
    return raw


TOKEN = re.compile(r"[!#$&\-^_.+A-Za-z0-9]+")  # RFC 9110 token characters


def content_type_of(raw):
    """One media type with at most a charset parameter, whitespace collapsed:
    browsers and stores read lists and other parameters differently, and a
    signed type must mean one thing to all of them."""
    if raw is None:
        return "application/octet-stream"
    value = raw.strip()
    problem = None
    if not value or len(value) > 255:
        problem = "must be 1 to 255 characters"
    elif any(ord(c) < 0x20 or ord(c) > 0x7E or c in '"\\' for c in value):
        problem = "must not contain quotes, control or non-ASCII characters"
    elif "," in value:
        problem = "must be one media type: a comma lists several, which browsers read differently"
    else:
        essence, *params = value.split(";")
        kind, slash, sub = essence.strip().partition("/")
        if not (slash and TOKEN.fullmatch(kind) and TOKEN.fullmatch(sub)):
            problem = "must be one media type 'type/subtype' made of RFC 9110 token characters"
        elif len(params) > 1 or any(
            not re.fullmatch(r"charset=[!#$&\-^_.+A-Za-z0-9]+", p.strip(), re.IGNORECASE) for p in params
        ):
            problem = "may carry only a charset parameter ('; charset=utf-8')"
    if problem:
        raise bad_request(f"content_type {raw!r} {problem}")
    return " ".join(value.split())


def media_type(content_type):
    return content_type.split(";")[0].strip().lower()


def is_active(content_type):
    """Whether a browser would run it as a page or a script on the store's origin."""
    media = media_type(content_type)
    kind, _, sub = media.partition("/")
    return (
        media in ("text/html", "application/xhtml+xml", "image/svg+xml")
        or sub == "xml"
        or sub.endswith("+xml")
        or "javascript" in sub
        or "ecmascript" in sub
        or sub in ("jscript", "livescript", "x-js", "js")
        or (kind == "text" and sub == "xsl")
    )


def check_policy(content_type, size, method):
    """415 for active content, 413 over the limit of `method` ("put",
    "multipart" or "post"); answers the largest size the upload may have."""
    if is_active(content_type):
        raise ApiError(
            415,
            "unsupported_type",
            f"content_type {media_type(content_type)} is active content (a browser runs it on the store's origin) "
            "and this signer does not take it",
        )
    ceiling, how = {
        "put": (MAX_SINGLE_PUT, " with a single PUT; use a multipart upload"),
        "multipart": (MAX_OBJECT, ""),
        "post": (MAX_POST_SIZE, " with a POST form upload"),
    }[method]
    limit, how = (MAX_SIZE, "") if MAX_SIZE <= ceiling else (ceiling, how)
    if size is not None and size > limit:
        raise ApiError(413, "too_large", f"size {size} exceeds {limit} bytes, the limit{how}")
    if size is None and method == "put" and limit < MAX_SINGLE_PUT:
        # Without a signed content-length a PUT cannot be held to our limit.
        raise bad_request(f"size is required: uploads are limited to {limit} bytes")
    return limit


META_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?")


def check_metadata(metadata):
    """The rules of crates/core/src/protocol/metadata.rs; each message names the entry."""
    total = 0
    for name, value in sorted((metadata or {}).items()):
        if name.lower().startswith("x-amz-meta-"):
            raise bad_request(f"metadata name {name!r} must not carry the x-amz-meta- prefix: give {name[11:].lower()!r}")
        if not META_NAME.fullmatch(name):
            raise bad_request(
                f"metadata name {name!r} must be 1 to 64 of a-z 0-9 - (lowercase), starting and ending with a letter or digit"
            )
        if name == "user-id":
            raise bad_request(f"metadata name {name!r} is reserved for the signer")
        if not all(" " <= c <= "~" for c in value) or value != value.strip(" "):
            raise bad_request(f"metadata {name!r} must be printable ASCII (space to ~) without spaces at either end")
        if name not in ALLOWED_METADATA:
            raise bad_request(f"metadata name {name!r} is not allowed by this signer (SIGNER_METADATA)")
        total += len(name) + len(value)
    if total > 2048:
        raise bad_request(f"metadata is {total} bytes of names and values; S3 takes at most 2048")
    return metadata or {}


def today():
    return datetime.now(timezone.utc).date()


def new_key(user, file_type, filename, day=None, id_hex=None):
    """users/{user}/{file_type}/{YYYY-MM-DD}/{32 hex}-{filename}: a fresh key
    under the caller's prefix, so no upload can overwrite another."""
    day = day or today()
    return f"users/{user}/{file_type}/{day.isoformat()}/{id_hex or uuid.uuid4().hex}-{filename}"


def owned_key(user, key):
    """A key the caller names: 400 if malformed, 404 if outside its prefix
    (never 403: others' keys must not be probed)."""
    if not key or len(key.encode()) > 1024:
        raise bad_request("key must be 1 to 1024 bytes")
    if any(unicodedata.category(c) == "Cc" or c == "\\" for c in key) or any(
        seg in ("", ".", "..") for seg in key.split("/")
    ):
        raise bad_request("key is malformed")
    if not key.startswith(f"users/{user}/"):
        raise not_found()
    return key


class NewUpload:
    """What every upload-starting route checks first: names, type, metadata."""

    def __init__(self, user, req):
        self.filename = sanitise_filename(req["filename"])
        self.file_type = file_type_of(req["file_type"])
        self.content_type = content_type_of(req["content_type"])
        self.metadata = check_metadata(req["metadata"])
        self.user = user


# ---------------------------------------------------------------- the store


def head(key):
    """What the store holds at `key`, with its checksum, or None."""
    try:
        r = s3.head_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    except ClientError as e:
        if s3_status(e) == 404:
            return None
        raise
    return {
        "size": r["ContentLength"],
        "etag": r["ETag"],
        "sha256": r.get("ChecksumSHA256"),
        "content_type": r.get("ContentType"),
        "metadata": {k: v for k, v in r.get("Metadata", {}).items() if k != "user-id"},
    }


def presign(operation, params, expires_in):
    # Every param that becomes a header (ContentType, ContentLength,
    # ChecksumSHA256, IfNoneMatch, Metadata) is in X-Amz-SignedHeaders, so
    # the store refuses a request without exactly these values.
    return s3.generate_presigned_url(operation, Params={"Bucket": BUCKET, **params}, ExpiresIn=expires_in)


def composite(digests_b64):
    """S3's COMPOSITE checksum of a multipart object: the SHA-256 of the
    parts' raw digests, then "-N"."""
    raw = b"".join(base64.b64decode(d) for d in digests_b64)
    return f"{base64.b64encode(hashlib.sha256(raw).digest()).decode()}-{len(digests_b64)}"


# ---------------------------------------------------------------- app and plumbing

app = Flask(__name__)
app.config["MAX_CONTENT_LENGTH"] = 4 * MIB  # a Complete of 10,000 parts fits


@app.errorhandler(ApiError)
def api_error(e):
    return jsonify(e.body()), e.status, e.headers


@app.errorhandler(HTTPException)
def http_error(e):
    if e.code == 404:
        return api_error(not_found("no such route"))
    if e.code == 405:
        return api_error(ApiError(405, "bad_request", f"method {request.method} is not allowed here"))
    if e.code == 413:
        return api_error(ApiError(413, "too_large", "the request body is too large"))
    return api_error(ApiError(e.code or 400, "bad_request", e.description or "bad request"))


@app.errorhandler(ClientError)
@app.errorhandler(BotoCoreError)
def store_error(e):
    return api_error(store_failure(e))


@app.errorhandler(Exception)
def internal_error(e):
    log.exception("internal error")  # the trace goes to the log, never to the caller
    return api_error(ApiError(500, "server", "internal server error"))


def origin_allowed(origin):
    return bool(origin) and (origin in ALLOW_ORIGINS or (DEV and LOOPBACK_ORIGIN.fullmatch(origin) is not None))


@app.before_request
def preflight():
    # The browser asks before a cross-origin POST of JSON, a DELETE or any
    # request with Authorization; answer here, for every /api path.
    if request.method == "OPTIONS":
        response = app.make_response(("", 204))
        if origin_allowed(request.headers.get("Origin")):
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE"
            response.headers["Access-Control-Allow-Headers"] = "authorization, content-type"
            response.headers["Access-Control-Max-Age"] = "600"
        return response
    return None


@app.after_request
def cors(response):
    origin = request.headers.get("Origin")
    if origin_allowed(origin):
        response.headers["Access-Control-Allow-Origin"] = origin
        # Scripts may read how long a 429 asks them to wait.
        response.headers["Access-Control-Expose-Headers"] = "Retry-After"
    response.vary.add("Origin")
    return response


def batch(handle, items):
    """One outcome per item, in order: `{"ok": answer}` or `{"status", "error"}`."""

    def one(item):
        try:
            return {"ok": handle(item)}
        except ApiError as e:
            return {"status": e.status, **e.body()}
        except (ClientError, BotoCoreError) as e:
            failure = store_failure(e)
            return {"status": failure.status, **failure.body()}

    # The store calls of a batch (HEADs) go out together, not one by one.
    with ThreadPoolExecutor(max_workers=min(8, len(items))) as pool:
        return list(pool.map(one, items))


# ---------------------------------------------------------------- single PUT


def sign_put(user, req):
    upload = NewUpload(user, req)
    size, sha256 = req["size"], req["sha256"]
    check_policy(upload.content_type, size, "put")
    key = new_key(user, upload.file_type, upload.filename)
    # Content-Type and If-None-Match: * always (write-once: the URL cannot
    # replace what it stored); the size and checksum when the client gave them.
    params = {"Key": key, "ContentType": upload.content_type, "IfNoneMatch": "*"}
    headers = {"content-type": upload.content_type, "if-none-match": "*"}
    if size is not None:
        params["ContentLength"] = size
        headers["content-length"] = str(size)
    if sha256 is not None:
        params["ChecksumSHA256"] = sha256
        headers["x-amz-checksum-sha256"] = sha256
    if upload.metadata:
        params["Metadata"] = upload.metadata  # signed in the URL's query (metadata_in_query)
    url = presign("put_object", params, EXPIRES_IN)
    return {"upload_url": url, "key": key, "expires_in": EXPIRES_IN, "method": "PUT", "headers": headers}


@app.post("/api/get-upload-url")
def get_upload_url():
    user = caller()
    return jsonify(sign_put(user, json_body(NEW_UPLOAD)))


@app.post("/api/get-upload-urls")
def get_upload_urls():
    user = caller()
    req = json_body({"files": (True, list_of(NEW_UPLOAD, 1, MAX_BATCH))})
    return jsonify(uploads=batch(lambda f: sign_put(user, f), req["files"]))


def confirm(user, req):
    """HEADs the object and answers what the store holds; 409 when it is not
    what the client declared. Nothing is deleted: it is the caller's to look at."""
    key = owned_key(user, req["key"])
    file_type = file_type_of(req["file_type"])
    if not key.startswith(f"users/{user}/{file_type}/"):
        raise bad_request(f"file_type {file_type!r} does not match the key")
    info = head(key)
    if info is None:
        raise not_found()
    if req["size"] is not None and req["size"] != info["size"]:
        raise mismatch(f"the stored object has {info['size']} bytes, not the {req['size']} declared")
    # A declared digest needs a full-object checksum equal to it; a store that
    # kept none, or a composite one ("…-N"), cannot vouch for it.
    if req["sha256"] is not None and info["sha256"] != req["sha256"]:
        raise mismatch(f"the stored object's SHA-256 is {info['sha256'] or 'unknown'}, not the {req['sha256']} declared")
    answer = {k: info[k] for k in ("size", "etag", "sha256", "content_type")}
    if info["metadata"]:
        answer["metadata"] = info["metadata"]
    return {"key": key, **answer}


@app.post("/api/file-uploaded")
def file_uploaded():
    user = caller()
    return jsonify(confirm(user, json_body(CONFIRM)))


@app.post("/api/files-uploaded")
def files_uploaded():
    user = caller()
    req = json_body({"files": (True, list_of(CONFIRM, 1, MAX_BATCH))})
    return jsonify(uploads=batch(lambda f: confirm(user, f), req["files"]))


# ---------------------------------------------------------------- POST forms


@app.post("/api/get-upload-form")
def get_upload_form():
    user = caller()
    req = json_body(NEW_UPLOAD)
    upload = NewUpload(user, req)
    if req["size"] == 0:
        raise bad_request("size 0: a POST form upload holds at least 1 byte; upload an empty file with get-upload-url")
    limit = check_policy(upload.content_type, req["size"], "post")
    key = new_key(user, upload.file_type, upload.filename)
    expires_in = min(EXPIRES_IN, MAX_FORM_LIFETIME)
    # Every field is pinned by an exact condition of the signed policy (boto3
    # adds the bucket, the key and the SigV4 fields), so the store refuses a
    # form with any other value, a larger file or an extra x-amz-meta-*.
    form = {
        "Content-Type": upload.content_type,
        "success_action_status": "201",
        "x-amz-meta-user-id": user,
        **{f"x-amz-meta-{name}": value for name, value in upload.metadata.items()},
    }
    if req["sha256"] is not None:
        # Garage (and S3's docs) want the algorithm named beside the value.
        form["x-amz-checksum-algorithm"] = "SHA256"
        form["x-amz-checksum-sha256"] = req["sha256"]
    conditions = [
        ["starts-with", "$key", f"users/{user}/"],
        ["content-length-range", 1, limit],
        *({name: value} for name, value in form.items()),
    ]
    post = s3.generate_presigned_post(BUCKET, key, Fields=form, Conditions=conditions, ExpiresIn=expires_in)
    return jsonify(url=post["url"], fields=post["fields"], key=key, expires_in=expires_in)


# ---------------------------------------------------------------- downloads

INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"}


def filename_of_key(key):
    last = key.rsplit("/", 1)[-1]
    if len(last) > 33 and last[32] == "-" and re.fullmatch(r"[0-9a-f]{32}", last[:32]):
        last = last[33:]
    return last or "download"


def content_disposition(kind, filename):
    """RFC 6266: an ASCII fallback and the exact name as RFC 8187 filename*."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\%' else "_" for c in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='!#$&+-.^_`|~')}"


@app.get("/api/download-url")
def download_url():
    user = caller()
    unknown = sorted(set(request.args) - {"key"})
    if unknown:
        raise bad_request(f"unknown query parameter `{unknown[0]}`; expected key")
    key = owned_key(user, request.args.get("key", ""))
    info = head(key)
    if info is None:
        raise not_found()
    # An attachment, so an uploaded page never renders on the bucket's
    # origin; raster images and plain text, which browsers only display, inline.
    media = media_type(info["content_type"] or "")
    inline = None
    if media in INLINE_IMAGES:
        inline = media
    elif media == "text/plain":
        inline = "text/plain; charset=utf-8"
    params = {
        "Key": key,
        "ResponseContentDisposition": content_disposition("inline" if inline else "attachment", filename_of_key(key)),
    }
    if inline:
        params["ResponseContentType"] = inline
    return jsonify(url=presign("get_object", params, EXPIRES_IN), key=key, expires_in=EXPIRES_IN)


# ---------------------------------------------------------------- multipart state
#
# The upload_id the client sees is the upload's state, sealed:
# base64url(JSON {user, key, upload, size, part_size, checksum}) "." base64url(HMAC-SHA256).
# Nobody can forge or alter one without the secret, and every route checks
# that its user is the caller, so no one acts on another's upload; the store
# keeps the rest (which parts it holds, whether the upload is still open).


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def seal(state):
    payload = b64url(json.dumps(state, separators=(",", ":"), sort_keys=True).encode())
    mac = b64url(hmac.new(STATE_KEY, payload.encode(), hashlib.sha256).digest())
    return f"{payload}.{mac}"


def unseal(upload_id, user):
    """The caller's upload state, or 404: the same for a forged id, another
    user's, and one that never existed."""
    payload, _, mac = upload_id.partition(".")
    want = b64url(hmac.new(STATE_KEY, payload.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(mac.encode(), want.encode()):
        raise not_found(NO_SUCH_UPLOAD)
    state = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    if state["user"] != user:
        raise not_found(NO_SUCH_UPLOAD)
    return state


def plan(size, wanted):
    """The part size: the one asked for (8 MiB by default) within 5 MiB..5 GiB,
    grown so there are at most 10,000 parts."""
    if size == 0:
        raise bad_request("size must be at least 1 byte; upload an empty file with a single PUT")
    if size > MAX_OBJECT:
        raise ApiError(413, "too_large", f"size {size} is more than S3's largest object ({MAX_OBJECT} bytes)")
    wanted = DEFAULT_PART if wanted is None else wanted
    part_size = max(min(max(wanted, MIN_PART), MAX_PART), -(-size // MAX_PARTS))
    return part_size, -(-size // part_size)


def part_len(state, number):
    size, part_size = state["size"], state["part_size"]
    count = -(-size // part_size)
    if not 1 <= number <= count:
        raise bad_request(f"part {number} does not exist (the plan has {count} parts)")
    return min(part_size, size - (number - 1) * part_size)


def check_sha256(state, number, given):
    if state["checksum"] and not given:
        raise bad_request(f"part {number} has no sha256 (this upload has SHA-256 checksums)")
    if not state["checksum"] and given:
        raise bad_request(f'part {number} has a sha256, but this upload was created with "checksum": false')


def created_answer(state, store_upload_id=None):
    if store_upload_id:
        state = {**state, "upload": store_upload_id}
    return {
        "upload_id": seal(state),
        "key": state["key"],
        "part_size": state["part_size"],
        "part_count": -(-state["size"] // state["part_size"]),
        "expires_in": EXPIRES_IN,
    }


def token_key(user, token, req, upload):
    """The key of a create with a client_token, the same on every retry: its
    32 hex digits are HMAC(user, token) then HMAC(the whole request), 16 each.
    A retry finds its open upload at that key; an open upload whose first
    half matches but not its key came with another request (422)."""
    request_json = json.dumps({k: v for k, v in req.items() if k != "client_token"}, sort_keys=True)
    who = hmac.new(STATE_KEY, f"client-token\n{user}\n{token}".encode(), hashlib.sha256).hexdigest()[:16]
    what = hmac.new(STATE_KEY, f"request\n{user}\n{token}\n{request_json}".encode(), hashlib.sha256).hexdigest()[:16]
    return who, what


def open_upload_for_token(user, upload, who, what):
    """(key, UploadId) of the open upload this token created, or None; a 422
    when the token came with another request. Today and yesterday (UTC): a
    retry may cross midnight."""
    for day in (today(), today() - timedelta(days=1)):
        key = new_key(user, upload.file_type, upload.filename, day, who + what)
        prefix = f"users/{user}/{upload.file_type}/{day.isoformat()}/{who}"
        found = s3.list_multipart_uploads(Bucket=BUCKET, Prefix=prefix).get("Uploads", [])
        for u in found:
            if u["Key"] == key:
                return key, u["UploadId"]
        if found:
            raise ApiError(422, "bad_request", "client_token was sent before with another request; use a new token for each upload")
    return None


@app.post("/api/multipart")
def create_multipart():
    user = caller()
    req = json_body(CREATE_MULTIPART)
    token = req["client_token"]
    if token is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token):
        raise bad_request("client_token must be 16 to 64 characters of A-Z, a-z, 0-9, '_' or '-'")
    upload = NewUpload(user, req)
    part_size, _ = plan(req["size"], req["part_size"])
    check_policy(upload.content_type, req["size"], "multipart")
    checksum = req["checksum"] is not False
    state = {"user": user, "size": req["size"], "part_size": part_size, "checksum": checksum}
    if token is None:
        key = new_key(user, upload.file_type, upload.filename)
    else:
        who, what = token_key(user, token, req, upload)
        existing = open_upload_for_token(user, upload, who, what)
        if existing:
            return jsonify(created_answer({**state, "key": existing[0]}, existing[1]))
        key = new_key(user, upload.file_type, upload.filename, id_hex=who + what)
    params = {"Bucket": BUCKET, "Key": key, "ContentType": upload.content_type}
    if checksum:
        params["ChecksumAlgorithm"] = "SHA256"  # every part then must carry its SHA-256
    if upload.metadata:
        params["Metadata"] = upload.metadata
    created = s3.create_multipart_upload(**params)
    log.info("multipart upload started: %s", key)
    return jsonify(created_answer({**state, "key": key}, created["UploadId"]))


def still_open(state):
    """404 once the store has forgotten the upload (completed or aborted)."""
    try:
        s3.list_parts(Bucket=BUCKET, Key=state["key"], UploadId=state["upload"], MaxParts=1)
    except ClientError as e:
        if s3_code(e) in ("NoSuchUpload", "NoSuchKey") or s3_status(e) == 404:
            raise not_found(NO_SUCH_UPLOAD) from None
        raise


@app.post("/api/multipart/<upload_id>/part-urls")
def part_urls(upload_id):
    user = caller()
    state = unseal(upload_id, user)
    parts = json_body({"parts": (True, list_of(PART_TO_SIGN, 1, MAX_PARTS_PER_REQUEST))})["parts"]
    seen = set()
    for p in parts:
        want = part_len(state, p["number"])
        if p["size"] != want:
            raise bad_request(f"part {p['number']} must be {want} bytes (the plan's), got size {p['size']}")
        if p["number"] in seen:
            raise bad_request(f"part {p['number']} is listed twice")
        seen.add(p["number"])
        check_sha256(state, p["number"], p["sha256"] is not None)
    still_open(state)
    urls = []
    for p in parts:
        params = {"Key": state["key"], "UploadId": state["upload"], "PartNumber": p["number"], "ContentLength": p["size"]}
        headers = {"content-length": str(p["size"])}
        if p["sha256"]:
            params["ChecksumSHA256"] = p["sha256"]
            headers["x-amz-checksum-sha256"] = p["sha256"]
        url = presign("upload_part", params, EXPIRES_IN)
        urls.append({"number": p["number"], "url": url, "headers": headers, "expires_in": EXPIRES_IN})
    return jsonify(urls=urls)


@app.get("/api/multipart/<upload_id>/parts")
def list_parts(upload_id):
    user = caller()
    state = unseal(upload_id, user)
    parts, marker = [], 0
    while True:  # ListParts answers at most 1,000 parts a page
        try:
            page = s3.list_parts(Bucket=BUCKET, Key=state["key"], UploadId=state["upload"], PartNumberMarker=marker)
        except ClientError as e:
            if s3_code(e) == "NoSuchUpload":
                raise not_found(NO_SUCH_UPLOAD) from None
            raise
        parts += [
            {"number": p["PartNumber"], "size": p["Size"], "etag": p["ETag"], "sha256": p.get("ChecksumSHA256")}
            for p in page.get("Parts", [])
        ]
        if not page.get("IsTruncated"):
            break
        marker = page["NextPartNumberMarker"]
    parts.sort(key=lambda p: p["number"])
    return jsonify(upload_id=upload_id, key=state["key"], parts=parts)


def in_plan_order(state, parts):
    count = -(-state["size"] // state["part_size"])
    numbers = sorted(p["number"] for p in parts)
    if numbers != list(range(1, count + 1)):
        raise bad_request(f"parts must list parts 1 to {count} once each")
    return sorted(parts, key=lambda p: p["number"])


def verified(state, parts, info, returned_checksum):
    """The stored object's checksum once it is what was agreed: the planned
    size, the checksum Complete returned, and a COMPOSITE checksum that is the
    composite of the parts' digests. A FULL_OBJECT one (some stores give it)
    is passed on for the client, which hashed the file, to check."""
    if info["size"] != state["size"]:
        raise mismatch(f"the store assembled {info['size']} bytes but the upload was planned for {state['size']} bytes")
    stored = info["sha256"] or returned_checksum
    if info["sha256"] and returned_checksum and info["sha256"] != returned_checksum:
        raise mismatch(f"the stored object's checksum {info['sha256']} is not the {returned_checksum} Complete returned")
    if state["checksum"] and stored and re.search(r"-\d+$", stored):
        want = composite([p["sha256"] for p in parts])
        if stored != want:
            raise mismatch(f"the store's checksum {stored} is not the composite of the parts' SHA-256 ({want})")
    return stored


def completion_refused(error):
    """A Complete the store refused because of the parts listed: 400
    (checksum_mismatch for a digest it did not match); else its own failure."""
    code, message = s3_code(error), error.response.get("Error", {}).get("Message", "")
    text_ = f"the store refused to complete the upload: {code}: {message}"
    if code in ("BadDigest", "InvalidDigest") or (code == "InvalidPart" and "checksum" in message.lower()):
        return ApiError(400, "checksum_mismatch", text_)
    if code in ("InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML", "InvalidRequest", "InvalidArgument"):
        return bad_request(text_)
    return store_failure(error)


@app.post("/api/multipart/<upload_id>/complete")
def complete_multipart(upload_id):
    user = caller()
    state = unseal(upload_id, user)
    parts = json_body({"parts": (True, list_of(PART_DONE, 0, MAX_PARTS))})["parts"]
    parts = in_plan_order(state, parts)
    for p in parts:
        check_sha256(state, p["number"], p["sha256"] is not None)
    listed = [
        {"PartNumber": p["number"], "ETag": p["etag"], **({"ChecksumSHA256": p["sha256"]} if p["sha256"] else {})}
        for p in parts
    ]
    returned = None
    try:
        done = s3.complete_multipart_upload(
            Bucket=BUCKET,
            Key=state["key"],
            UploadId=state["upload"],
            MultipartUpload={"Parts": listed},
            IfNoneMatch="*",  # create the object, never replace one
        )
        returned = done.get("ChecksumSHA256")
    except ClientError as e:
        # Gone or already there: a retry of a Complete whose answer was lost
        # finds the object; it is checked like a fresh one. Otherwise 404.
        if s3_code(e) not in ("NoSuchUpload", "PreconditionFailed"):
            raise completion_refused(e) from None
        info = head(state["key"])
        if info is None or info["size"] != state["size"]:
            raise not_found(NO_SUCH_UPLOAD) from None
    info = head(state["key"])
    if info is None:
        raise ApiError(500, "server", "internal server error")
    checksum = verified(state, parts, info, returned)
    log.info("multipart upload completed: %s (%d bytes)", state["key"], info["size"])
    return jsonify(key=state["key"], size=info["size"], etag=info["etag"], checksum_sha256=checksum)


@app.delete("/api/multipart/<upload_id>")
def abort_multipart(upload_id):
    user = caller()
    state = unseal(upload_id, user)
    try:
        s3.abort_multipart_upload(Bucket=BUCKET, Key=state["key"], UploadId=state["upload"])
    except ClientError as e:
        if s3_code(e) == "NoSuchUpload":
            raise not_found(NO_SUCH_UPLOAD) from None
        raise
    log.info("multipart upload aborted: %s", state["key"])
    return "", 204


# ---------------------------------------------------------------- operations


@app.get("/healthz")
def healthz():
    try:
        s3.head_bucket(Bucket=BUCKET)
    except (ClientError, BotoCoreError) as e:
        log.warning("healthz: the store check failed: %s", e)
        message = "the store does not answer HEAD on the bucket"
        return jsonify(
            status="failing",
            checks={"store": {"status": "failing", "message": message}},
            error={"code": "server", "message": message},
        ), 503
    return jsonify(status="ok", checks={"store": {"status": "ok"}})


def main():
    """Serves on SIGNER_LISTEN with waitress (a production WSGI server in pure
    Python); says where once it is listening."""
    from waitress import create_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    host, _, port = os.environ.get("SIGNER_LISTEN", "127.0.0.1:8000").rpartition(":")
    server = create_server(app, host=host.strip("[]") or "127.0.0.1", port=int(port), threads=16)
    url = f"http://{host or '127.0.0.1'}:{server.effective_port}"
    ready_file = os.environ.get("SIGNER_READY_FILE")
    if ready_file:
        with open(ready_file + ".tmp", "w") as f:
            json.dump({"url": url}, f)
        os.replace(ready_file + ".tmp", ready_file)  # readers never see half a file
    print(f"listening on {url}", flush=True)
    server.run()


if __name__ == "__main__":
    main()
