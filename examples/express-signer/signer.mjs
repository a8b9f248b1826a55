// A reference signer for presigned-upload: the HTTP protocol of
// presign-server (docs/protocol.md) in one file of Express 5, the AWS SDK v3
// and jose. Copy it into your app, or run it beside it:
//
//   SIGNER_JWT_SECRET=... SIGNER_BUCKET=uploads SIGNER_ALLOW_ORIGIN=https://app.example.com node signer.mjs
//
// The browser's bytes never pass through here: this process signs URLs that
// pin each upload's key, type, size and SHA-256, runs the multipart control
// plane, and checks what the store kept. It keeps no state of its own: a
// multipart upload's id is an HMAC-sealed token naming the store's upload,
// so any number of copies can run behind a load balancer, and a restart
// loses nothing. README.md beside this file lists every setting and what
// this signer leaves out compared with presign-server.
import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import { realpathSync, renameSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import express from "express";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createPresignedPost } from "@aws-sdk/s3-presigned-post";
import { jwtVerify } from "jose";

// ---------------------------------------------------------------------------
// S3's limits (they are the same on every S3-compatible store that matters)

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const MAX_SINGLE_PUT = 5 * GiB;
const MAX_OBJECT = 5 * 1024 * GiB;
const MIN_PART = 5 * MiB;
const MAX_PART = 5 * GiB;
const MAX_PARTS = 10_000;
const DEFAULT_PART = 8 * MiB;
/** SigV4 URLs live at most 7 days. */
const MAX_EXPIRES_IN = 604_800;
/** S3 cannot make a POST form write-once, so a form lives at most a minute. */
const MAX_FORM_EXPIRES_IN = 60;
/** Files in one batch request, parts in one part-urls request. */
const MAX_BATCH = 100;
/** S3's limit on user metadata: the bytes of every name and value. */
const MAX_METADATA_BYTES = 2048;
const METADATA_PREFIX = "x-amz-meta-";
/** The signer's own metadata name (the uploader, pinned into POST forms). */
const RESERVED_METADATA = "user-id";

// ---------------------------------------------------------------------------
// Configuration: the environment, checked once; a bad setting stops the start

function readConfig(env) {
  const dev = env.SIGNER_DEV === "1";
  const jwtSecret = env.SIGNER_JWT_SECRET || undefined;
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    fail("SIGNER_JWT_SECRET must be at least 32 bytes (HS256 keys shorter than the hash are guessable)");
  }
  if (!jwtSecret && !dev) {
    fail("no identity: set SIGNER_JWT_SECRET (the HS256 secret your app signs its users' tokens with, at least 32 bytes), " +
      "or SIGNER_DEV=1 for development, where every caller is the user \"dev\"");
  }
  const bucket = env.SIGNER_BUCKET || env.PRESIGN_BUCKET;
  if (!bucket) fail("set SIGNER_BUCKET (or PRESIGN_BUCKET): the bucket uploads go to");
  const stateSecret = env.SIGNER_STATE_SECRET || jwtSecret;
  if (env.SIGNER_STATE_SECRET && Buffer.byteLength(env.SIGNER_STATE_SECRET) < 32) {
    fail("SIGNER_STATE_SECRET must be at least 32 bytes");
  }
  const origins = list(env.SIGNER_ALLOW_ORIGIN);
  for (const origin of origins) {
    if (origin !== "*" && !/^https?:\/\/[^/\s]+$/.test(origin)) {
      fail(`SIGNER_ALLOW_ORIGIN: ${JSON.stringify(origin)} is not an origin like https://app.example.com (no path, no trailing slash)`);
    }
  }
  const metadataNames = list(env.SIGNER_METADATA);
  for (const name of metadataNames) {
    const problem = metadataNameProblem(name);
    if (problem) fail(`SIGNER_METADATA: ${problem}`);
  }
  return {
    dev,
    jwtSecret,
    audience: list(env.SIGNER_JWT_AUDIENCE),
    issuer: list(env.SIGNER_JWT_ISSUER),
    // Without a secret (dev mode only) upload ids are sealed with a key of
    // this process: they do not survive a restart, which dev can live with.
    stateKey: deriveKey(stateSecret ?? randomBytes(32), "presigned-upload upload ids v1"),
    stateKeyIsEphemeral: !stateSecret,
    bucket,
    endpoint: env.AWS_ENDPOINT_URL || undefined,
    // Keys given in `env`; without them the SDK's usual chain (its own
    // environment, profiles, instance roles) finds them.
    credentials: env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
      ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
      : undefined,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || "us-east-1",
    // Dev mode also allows pages on loopback names (see cors).
    origins,
    metadataNames: new Set(metadataNames),
    // 5 GiB, as presign-server: raise it (up to S3's 5 TiB) for larger files.
    maxSize: positiveInt(env, "SIGNER_MAX_SIZE", MAX_SINGLE_PUT, MAX_OBJECT),
    maxPostSize: positiveInt(env, "SIGNER_MAX_POST_SIZE", 10_000_000, MAX_SINGLE_PUT),
    expiresIn: positiveInt(env, "SIGNER_EXPIRES_IN", 900, MAX_EXPIRES_IN),
    listen: env.SIGNER_LISTEN || "127.0.0.1:8000",
    readyFile: env.SIGNER_READY_FILE || undefined,
  };
}

/** A setting that stops the start: `node signer.mjs` prints it and exits 2. */
export class ConfigError extends Error {}

function fail(message) {
  throw new ConfigError(message);
}

function list(text) {
  return (text ?? "").split(",").map((s) => s.trim()).filter(Boolean);
}

function positiveInt(env, name, fallback, max) {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1 || value > max) fail(`${name} must be a whole number from 1 to ${max}, not ${JSON.stringify(text)}`);
  return value;
}

/** A key for one purpose from a secret shared with others (the JWT secret). */
function deriveKey(secret, purpose) {
  return createHmac("sha256", secret).update(purpose).digest();
}

// ---------------------------------------------------------------------------
// Errors: every refusal is {"error": {"code", "message"}} with its status

class ApiError extends Error {
  constructor(status, code, message, headers = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}
const badRequest = (message) => new ApiError(400, "bad_request", message);
const unauthorized = (message) => new ApiError(401, "unauthorized", message, { "WWW-Authenticate": "Bearer" });
// One message for every missing key or upload, another user's included, so
// that answers tell nothing about what others stored.
const noSuchObject = () => new ApiError(404, "not_found", "no such object");
const noSuchUpload = () => new ApiError(404, "not_found", "no such multipart upload");
const tooLarge = (message) => new ApiError(413, "too_large", message);
const unsupportedType = (message) => new ApiError(415, "unsupported_type", message);
// 409: the request was fine, but the store holds something else than agreed.
const conflict = (message) => new ApiError(409, "checksum_mismatch", message);

/** A store failure: logged in full, answered without internals. */
function storeFailure(err, what) {
  console.error(`express-signer: the store failed (${what}):`, err?.name, err?.message);
  const unreachable = err?.$metadata?.httpStatusCode === undefined;
  return unreachable
    ? new ApiError(503, "server", "the storage service cannot be reached; try again later")
    : new ApiError(502, "server", "the storage service failed; try again later");
}

const s3Code = (err) => err?.Code ?? err?.name;
const isNoSuchUpload = (err) => s3Code(err) === "NoSuchUpload";

// ---------------------------------------------------------------------------
// Request bodies: a field spec per route, so unknown fields and wrong types
// are a 400 naming the field

const text = (value, path) => {
  if (typeof value !== "string") throw badRequest(`${path} must be a string`);
  return value;
};
const count = (value, path) => {
  if (!Number.isSafeInteger(value) || value < 0) throw badRequest(`${path} must be a whole number of at least 0`);
  return value;
};
const flag = (value, path) => {
  if (typeof value !== "boolean") throw badRequest(`${path} must be true or false`);
  return value;
};
/** Base64 of a raw 32-byte SHA-256, as S3's x-amz-checksum-sha256. */
const sha256 = (value, path) => {
  text(value, path);
  const raw = Buffer.from(value, "base64");
  if (raw.length !== 32 || raw.toString("base64") !== value) throw badRequest(`${path} must be the base64 of a 32-byte SHA-256 digest`);
  return value;
};
/** Names to text values; the names' rules are checked with the policy. */
const metadataObject = (value, path) => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw badRequest(`${path} must be an object of names and text values`);
  for (const [name, v] of Object.entries(value)) text(v, `${path}.${name}`);
  return value;
};
const arrayOf = (item) => (value, path) => {
  if (!Array.isArray(value)) throw badRequest(`${path} must be an array`);
  return value.map((v, i) => item(v, `${path}[${i}]`));
};
const object = (spec) => (value, path) => fields(value, spec, path);

/** `body` read against `spec` ({name: [check, required]}). */
function fields(body, spec, path = "") {
  const where = path || "the request body";
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw badRequest(`${where} must be a JSON object`);
  const at = (name) => (path ? `${path}.${name}` : name);
  for (const name of Object.keys(body)) {
    if (!Object.hasOwn(spec, name)) throw badRequest(`unknown field \`${at(name)}\``);
  }
  const out = {};
  for (const [name, [check, required]] of Object.entries(spec)) {
    const value = body[name];
    if (value === undefined || value === null) {
      if (required) throw badRequest(`missing field \`${at(name)}\``);
      continue;
    }
    out[name] = check(value, at(name));
  }
  return out;
}

const NEW_UPLOAD = {
  filename: [text, true],
  file_type: [text, true],
  content_type: [text, false],
  size: [count, false],
  sha256: [sha256, false],
  metadata: [metadataObject, false],
};
const CONFIRM = { key: [text, true], file_type: [text, true], size: [count, false], sha256: [sha256, false] };
// A multipart upload's checksums are its parts'; create takes no sha256.
const { sha256: _wholeFile, ...NEW_UPLOAD_NO_DIGEST } = NEW_UPLOAD;
const CREATE_MULTIPART = {
  ...NEW_UPLOAD_NO_DIGEST,
  size: [count, true],
  part_size: [count, false],
  checksum: [flag, false],
  client_token: [text, false],
};
const PART_URLS = { parts: [arrayOf(object({ number: [count, true], size: [count, true], sha256: [sha256, false] })), true] };
const COMPLETE = { parts: [arrayOf(object({ number: [count, true], etag: [text, true], sha256: [sha256, false] })), true] };
const batchOf = (spec) => ({ files: [arrayOf(object(spec)), true] });

function batchFiles(body, spec) {
  const { files } = fields(body, batchOf(spec));
  if (files.length < 1 || files.length > MAX_BATCH) throw badRequest(`files must list 1 to ${MAX_BATCH} files, got ${files.length}`);
  return files;
}

// ---------------------------------------------------------------------------
// Names: users, file types, filenames, keys

const USER_ID = /^[A-Za-z0-9._-]{1,128}$/;
const FILE_TYPE = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_FILENAME_BYTES = 200;
const MAX_EXTENSION_BYTES = 16;
const MAX_KEY_BYTES = 1024;
// Characters that could disguise a name: controls, bidi overrides and other
// format characters, lone surrogates, noncharacters, invisible fillers and
// variation selectors.
const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Noncharacter_Code_Point}\u034F\u115F\u1160\u17B4\u17B5\u180B-\u180F\u3164\uFE00-\uFE0F\uFFA0\u{E0100}-\u{E01EF}]/gu;
// Characters that break URLs, shells or S3 tools, and look-alike slashes.
const UNSAFE = /[#?%"<>|:*`{}^[\]~\u2044\u2215\u29F8\uFF0F\uFF3C]/g;

function checkFileType(value) {
  if (!FILE_TYPE.test(value)) throw badRequest("file_type must be 1 to 64 characters of a-z, 0-9, '_' or '-', starting with a letter or digit");
  return value;
}

/** A browser's filename as one safe key segment (never empty, at most 200 bytes). */
function sanitizeFilename(raw) {
  if (raw.trim() === "") throw badRequest("filename is empty");
  if (Buffer.byteLength(raw) > 4096) throw badRequest("filename is longer than 4096 bytes");
  let name = raw.split(/[/\\]/).pop().normalize("NFC");
  name = name.replace(/\t/g, " ").replace(INVISIBLE, "").replace(UNSAFE, "_").replace(/\s/gu, " ").normalize("NFC");
  while (name.includes("..")) name = name.replaceAll("..", ".");
  name = name.replace(/^[. ]+|[. ]+$/g, "");
  return name === "" ? "file" : capBytes(name, MAX_FILENAME_BYTES);
}

/** `name` cut to `max` UTF-8 bytes on a character boundary, keeping a short extension. */
function capBytes(name, max) {
  if (Buffer.byteLength(name) <= max) return name;
  const dot = name.lastIndexOf(".");
  const hasExt = dot > 0 && Buffer.byteLength(name.slice(dot)) <= MAX_EXTENSION_BYTES;
  const [stem, ext] = hasExt ? [name.slice(0, dot), name.slice(dot)] : [name, ""];
  let room = max - Buffer.byteLength(ext);
  let cut = "";
  for (const ch of stem) {
    room -= Buffer.byteLength(ch);
    if (room < 0) break;
    cut += ch;
  }
  return cut.replace(/[. ]+$/, "") + ext;
}

const utcDay = () => new Date().toISOString().slice(0, 10);
const userPrefix = (user) => `users/${user}/`;

/** `users/{user}/{file_type}/{YYYY-MM-DD}/{id}-{filename}`. */
function newKey(user, fileType, filename, id = randomUUID().replaceAll("-", "")) {
  return `${userPrefix(user)}${fileType}/${utcDay()}/${id}-${filename}`;
}

/**
 * A key a caller names, accepted only under its own prefix. Anything else is
 * "not found", never "forbidden", so others' keys cannot be probed.
 */
function ownKey(key, user) {
  if (key === "") throw badRequest("key is empty");
  if (Buffer.byteLength(key) > MAX_KEY_BYTES) throw badRequest(`key is longer than ${MAX_KEY_BYTES} bytes`);
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(key) || key.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw badRequest("key contains control characters, '\\', empty segments or '.'/'..' segments");
  }
  if (!key.startsWith(userPrefix(user))) throw noSuchObject();
  return key;
}

// ---------------------------------------------------------------------------
// Content types: one media type, at most a charset; active types refused

const TOKEN = /^[A-Za-z0-9!#$&^_.+-]+$/;

/** The Content-Type to sign, checked and with its spaces collapsed. */
function checkContentType(raw = "application/octet-stream") {
  const value = raw.trim();
  const refuse = (why) => badRequest(`content_type ${JSON.stringify(raw)} ${why}`);
  if (value === "") throw refuse("is empty");
  if (value.length > 255) throw refuse("is longer than 255 characters");
  // eslint-disable-next-line no-control-regex
  if (/[^\x20-\x7e]|["\\]/.test(value.replace(/\t/g, " "))) throw refuse("must not contain quotes, control or non-ASCII characters");
  if (value.includes(",")) throw refuse("must be one media type: a comma lists several, which browsers read differently");
  const [essence, ...params] = value.split(";");
  const [kind, sub, ...rest] = essence.trim().split("/");
  if (!TOKEN.test(kind ?? "") || !TOKEN.test(sub ?? "") || rest.length > 0) {
    throw refuse("must be one media type 'type/subtype' made of RFC 9110 token characters");
  }
  let charset = false;
  for (const param of params.map((p) => p.trim())) {
    const [name, val, ...more] = param.split("=");
    if (charset || more.length > 0 || name.toLowerCase() !== "charset" || !TOKEN.test(val ?? "")) {
      throw refuse(`may carry only a charset parameter ('; charset=utf-8'), not ${JSON.stringify(param)}`);
    }
    charset = true;
  }
  return value.split(/\s+/).join(" ");
}

const essenceOf = (contentType) => contentType.split(";")[0].trim().toLowerCase();

/** Whether a browser would run it on the store's origin: HTML, XHTML, SVG, XML, JavaScript. */
function isActive(contentType) {
  const media = essenceOf(contentType);
  const [kind, sub = ""] = media.split("/");
  return ["text/html", "application/xhtml+xml", "image/svg+xml", "text/xml"].includes(media) ||
    sub === "xml" || sub.endsWith("+xml") || sub.includes("javascript") || sub.includes("ecmascript") ||
    ["jscript", "livescript", "x-js", "js"].includes(sub) || (kind === "text" && sub === "xsl");
}

// ---------------------------------------------------------------------------
// Metadata: x-amz-meta-{name}, the rules of crates/core/src/protocol/metadata.rs

function metadataNameProblem(name) {
  if (name.toLowerCase().startsWith(METADATA_PREFIX)) {
    return `metadata name ${JSON.stringify(name)} must not carry the x-amz-meta- prefix: give ${JSON.stringify(name.slice(METADATA_PREFIX.length).toLowerCase())}`;
  }
  if (!/^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/.test(name)) {
    return `metadata name ${JSON.stringify(name)} must be 1 to 64 of a-z 0-9 - (lowercase), starting and ending with a letter or digit`;
  }
  if (name === RESERVED_METADATA) return `metadata name ${JSON.stringify(name)} is reserved for the signer`;
  return undefined;
}

/** Well formed, within S3's 2 KB, and every name one SIGNER_METADATA allows. */
function checkMetadata(metadata = {}, fileType) {
  const names = Object.keys(metadata).sort();
  let bytes = 0;
  for (const name of names) {
    const problem = metadataNameProblem(name);
    if (problem) throw badRequest(problem);
    const value = metadata[name];
    // HTTP trims spaces at either end, which would break the signature.
    if (!/^[\x20-\x7e]*$/.test(value) || value.startsWith(" ") || value.endsWith(" ")) {
      throw badRequest(`metadata ${JSON.stringify(name)} must be printable ASCII (space to ~) without spaces at either end; encode other text, e.g. with encodeURIComponent`);
    }
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) throw badRequest(`metadata is ${bytes} bytes of names and values; S3 takes at most ${MAX_METADATA_BYTES}`);
  for (const name of names) {
    if (!config.metadataNames.has(name)) throw badRequest(`metadata name ${JSON.stringify(name)} is not allowed for file_type ${fileType}`);
  }
  return metadata;
}

// ---------------------------------------------------------------------------
// Policy: what may be uploaded, how large, how long its URLs live

const METHODS = {
  put: { ceiling: MAX_SINGLE_PUT, how: " with a single PUT; use a multipart upload" },
  multipart: { ceiling: MAX_OBJECT, how: "" },
  post: { ceiling: undefined, how: " with a POST form upload" },
};

/** Refuses active content (415) and sizes over the limit (413); answers the limit and lifetime. */
function checkPolicy({ fileType, contentType, size, method }) {
  if (isActive(contentType)) {
    throw unsupportedType(`content_type ${essenceOf(contentType)} is active content (a browser runs it on the store's origin) and file_type ${fileType} does not allow it`);
  }
  const { how } = METHODS[method];
  const ceiling = method === "post" ? config.maxPostSize : METHODS[method].ceiling;
  const [max, why] = config.maxSize <= ceiling ? [config.maxSize, ""] : [ceiling, how];
  if (size !== undefined && size > max) throw tooLarge(`size ${size} exceeds ${max} bytes, the limit for file_type ${fileType}${why}`);
  // A PUT of unknown size could only be held to S3's own 5 GiB.
  if (size === undefined && method === "put" && max < MAX_SINGLE_PUT) {
    throw badRequest(`size is required: file_type ${fileType} is limited to ${max} bytes`);
  }
  const expiresIn = method === "post" ? Math.min(config.expiresIn, MAX_FORM_EXPIRES_IN) : config.expiresIn;
  return { max, expiresIn };
}

/** The checked parts of a request that starts an upload. */
function newUpload(req, user, method, keyId) {
  const filename = sanitizeFilename(req.filename);
  const fileType = checkFileType(req.file_type);
  const contentType = checkContentType(req.content_type);
  const metadata = checkMetadata(req.metadata, fileType);
  const { max, expiresIn } = checkPolicy({ fileType, contentType, size: req.size, method });
  return { key: newKey(user, fileType, filename, keyId), fileType, contentType, metadata, max, expiresIn };
}

/** Parts of `wanted` bytes, clamped to S3's limits and grown to at most 10,000 parts. */
function planParts(size, wanted = DEFAULT_PART) {
  const floor = Math.max(MIN_PART, Math.ceil(size / MAX_PARTS));
  const partSize = Math.max(Math.min(Math.max(wanted, MIN_PART), MAX_PART), floor);
  return { size, partSize, partCount: Math.ceil(size / partSize) };
}

const partLength = (plan, number) => Math.min(plan.partSize, plan.size - (number - 1) * plan.partSize);

// ---------------------------------------------------------------------------
// The store

let config;
let s3;

function storeClient() {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    credentials: config.credentials,
    // Garage, MinIO and R2 are reached by path (http://host/bucket/key).
    forcePathStyle: Boolean(config.endpoint),
    // The SDK would otherwise add a CRC32 checksum to PUTs and parts, and
    // presigned URLs would then require a header the browser cannot compute.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: { connectionTimeout: 3000, requestTimeout: 30_000 },
    maxAttempts: 3,
  });
}

/** What the store holds at `key` (its SHA-256 included), or null. */
async function headObject(key) {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: config.bucket, Key: key, ChecksumMode: "ENABLED" }));
    return {
      size: head.ContentLength,
      etag: head.ETag,
      sha256: head.ChecksumSHA256 ?? null,
      contentType: head.ContentType ?? null,
      metadata: head.Metadata ?? {},
    };
  } catch (err) {
    if (err?.$metadata?.httpStatusCode === 404) return null;
    throw storeFailure(err, `HEAD ${key}`);
  }
}

/**
 * Presigns `command` with `headers` as SIGNED headers. getSignedUrl moves
 * x-amz-* headers into the query string (where S3 ignores a checksum) and
 * never signs Content-Type unless told; both are undone here, and the URL is
 * checked to sign every header the browser is told to send.
 */
async function presign(command, headers, expiresIn) {
  const names = Object.keys(headers);
  const url = await getSignedUrl(s3, command, {
    expiresIn,
    signableHeaders: new Set(names),
    unhoistableHeaders: new Set(names.filter((n) => n.startsWith("x-amz-"))),
  });
  const signed = new URL(url).searchParams.get("X-Amz-SignedHeaders")?.split(";") ?? [];
  const unsigned = names.filter((n) => !signed.includes(n));
  if (unsigned.length > 0) throw new Error(`presigned URL does not sign ${unsigned.join(", ")}`);
  return url;
}

function metadataHeaders(metadata) {
  return Object.fromEntries(Object.entries(metadata).map(([n, v]) => [METADATA_PREFIX + n, v]));
}

// ---------------------------------------------------------------------------
// Identity: a bearer JWT (HS256), or the user "dev" in dev mode

async function authenticate(req, res, next) {
  if (!config.jwtSecret) {
    req.user = "dev";
    return next();
  }
  const header = req.get("authorization");
  if (!header) throw unauthorized("missing Authorization: Bearer <token> header");
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw unauthorized("the Authorization header must be `Bearer <token>`");
  let payload;
  try {
    ({ payload } = await jwtVerify(match[1], jwtKey, {
      algorithms: ["HS256"],
      audience: config.audience.length ? config.audience : undefined,
      issuer: config.issuer.length ? config.issuer : undefined,
      requiredClaims: ["exp", "sub"],
      clockTolerance: 30,
    }));
  } catch (err) {
    throw unauthorized(tokenProblem(err));
  }
  const sub = payload.sub;
  if (typeof sub !== "string" || !USER_ID.test(sub) || sub === "." || sub === "..") {
    throw unauthorized("the token's sub is not a valid user id (1 to 128 of A-Z, a-z, 0-9, '.', '_', '-')");
  }
  req.user = sub;
  next();
}
let jwtKey;

/** Why jose refused a token, in words for the 401 (never the token itself). */
function tokenProblem(err) {
  switch (err?.code) {
    case "ERR_JWT_EXPIRED": return "the token has expired";
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED": return "the token's signature does not verify";
    case "ERR_JOSE_ALG_NOT_ALLOWED": return "the token's algorithm is not accepted (HS256 only)";
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (err.claim === "aud") return "the token's audience is not accepted";
      if (err.claim === "iss") return "the token's issuer is not accepted";
      if (err.reason === "missing") return `the token lacks the required claim \`${err.claim}\``;
      return `the token's claim \`${err.claim}\` is not valid`;
    default: return "the token is not a well-formed JWT";
  }
}

// ---------------------------------------------------------------------------
// Multipart upload ids: sealed tokens instead of a database
//
// The id names the store's upload, its key, owner and plan; an HMAC makes it
// unforgeable, and the owner inside it keeps one user off another's upload
// (any mismatch is the same 404 as an unknown id).

function sealUploadId(state) {
  const body = Buffer.from(JSON.stringify(state)).toString("base64url");
  return `${body}.${idMac(body)}`;
}

function openUploadId(id, user) {
  const [body, mac, ...rest] = String(id).split(".");
  if (!body || !mac || rest.length > 0) throw noSuchUpload();
  const want = Buffer.from(idMac(body));
  const got = Buffer.from(mac);
  if (got.length !== want.length || !timingSafeEqual(got, want)) throw noSuchUpload();
  const state = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
  if (state.user !== user) throw noSuchUpload();
  return { ...state, plan: planParts(state.size, state.partSize) };
}

const idMac = (body) => createHmac("sha256", config.stateKey).update(body).digest("base64url");

// client_token makes create idempotent without a database: the new key's id
// is derived from the token (24 hex) and the request (8 hex), so a retry
// finds its upload among the caller's open ones (ListMultipartUploads), and
// the same token with another request is recognised as such (422).
function tokenKeyId(user, clientToken, request) {
  const tag = (label, value) => createHmac("sha256", config.stateKey).update(`${label}\n${user}\n${value}`).digest("hex");
  const canonical = JSON.stringify(Object.keys(request).sort().map((k) => [k, request[k]]));
  return { tokenPart: tag("client_token", clientToken).slice(0, 24), requestPart: tag("request", canonical).slice(0, 8) };
}

/** The caller's open uploads whose key's last segment starts with `idPrefix`. */
async function openUploadsLike(user, idPrefix, prefix = userPrefix(user)) {
  const found = [];
  let KeyMarker;
  let UploadIdMarker;
  do {
    const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: config.bucket, Prefix: prefix, KeyMarker, UploadIdMarker }));
    for (const u of page.Uploads ?? []) {
      if (u.Key.split("/").pop().startsWith(idPrefix)) found.push(u);
    }
    ({ NextKeyMarker: KeyMarker, NextUploadIdMarker: UploadIdMarker } = page);
    if (!page.IsTruncated) break;
  } while (KeyMarker);
  // The oldest first: when two retries raced, everyone agrees on the first.
  return found.sort((a, b) => (a.Initiated - b.Initiated) || a.UploadId.localeCompare(b.UploadId));
}

// ---------------------------------------------------------------------------
// Single PUT

async function signPut(req, user) {
  const upload = newUpload(req, user, "put");
  const headers = { "content-type": upload.contentType, "if-none-match": "*", ...metadataHeaders(upload.metadata) };
  if (req.size !== undefined) headers["content-length"] = String(req.size);
  if (req.sha256) headers["x-amz-checksum-sha256"] = req.sha256;
  const command = new PutObjectCommand({
    Bucket: config.bucket,
    Key: upload.key,
    ContentType: upload.contentType,
    ContentLength: req.size,
    ChecksumSHA256: req.sha256,
    // Write-once: the URL cannot overwrite the object it stored.
    IfNoneMatch: "*",
    Metadata: upload.metadata,
  });
  return {
    upload_url: await presign(command, headers, upload.expiresIn),
    key: upload.key,
    expires_in: upload.expiresIn,
    method: "PUT",
    headers,
  };
}

/** HEADs the object, checks what the client declares, answers what the store holds. */
async function confirm(req, user) {
  const key = ownKey(req.key, user);
  const fileType = checkFileType(req.file_type);
  const typePrefix = `${userPrefix(user)}${fileType}/`;
  if (!key.startsWith(typePrefix)) {
    throw badRequest(`file_type ${JSON.stringify(fileType)} does not match the key (expected it to start with ${JSON.stringify(typePrefix)})`);
  }
  const info = await headObject(key);
  if (!info) throw noSuchObject();
  if (req.size !== undefined && req.size !== info.size) {
    throw conflict(`the stored object has ${info.size} bytes, not the ${req.size} declared`);
  }
  // Only a whole-object checksum can vouch for a declared digest; a
  // composite one ("…-N") or none cannot.
  if (req.sha256 !== undefined && info.sha256 !== req.sha256) {
    throw conflict(`the stored object's SHA-256 is ${info.sha256 ?? "unknown"}, not the ${req.sha256} declared`);
  }
  const { [RESERVED_METADATA]: _owner, ...metadata } = info.metadata;
  return {
    key,
    size: info.size,
    etag: info.etag,
    sha256: info.sha256,
    content_type: info.contentType,
    ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
  };
}

// ---------------------------------------------------------------------------
// Batches: one outcome per file, so one refused file does not fail the rest

async function eachFile(files, handle, concurrency = 16) {
  const outcomes = new Array(files.length);
  let next = 0;
  const worker = async () => {
    while (next < files.length) {
      const i = next++;
      try {
        outcomes[i] = { ok: await handle(files[i]) };
      } catch (err) {
        const e = asApiError(err);
        outcomes[i] = { status: e.status, error: { code: e.code, message: e.message } };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, files.length) }, worker));
  return { uploads: outcomes };
}

// ---------------------------------------------------------------------------
// POST forms

async function signForm(req, user) {
  if (req.size === 0) {
    throw badRequest("size 0: a POST form upload holds at least 1 byte (its policy's content-length-range starts at 1); upload an empty file with get-upload-url");
  }
  const upload = newUpload(req, user, "post");
  // Every field below becomes an exact-match condition of the signed policy.
  const pinned = {
    "Content-Type": upload.contentType,
    success_action_status: "201",
    "x-amz-meta-user-id": user,
    ...metadataHeaders(upload.metadata),
  };
  if (req.sha256) {
    // Garage (and S3's docs) want the algorithm named besides the value.
    pinned["x-amz-checksum-algorithm"] = "SHA256";
    pinned["x-amz-checksum-sha256"] = req.sha256;
  }
  const form = await createPresignedPost(s3, {
    Bucket: config.bucket,
    Key: upload.key,
    Conditions: [["starts-with", "$key", userPrefix(user)], ["content-length-range", 1, upload.max]],
    Fields: pinned,
    Expires: upload.expiresIn,
  });
  // The URL names the bucket; the policy still pins it.
  const { bucket: _bucket, ...fields } = form.fields;
  return { url: form.url, fields, key: upload.key, expires_in: upload.expiresIn };
}

// ---------------------------------------------------------------------------
// Multipart uploads

async function createMultipart(body, user) {
  const { client_token: clientToken, ...request } = body;
  if (clientToken !== undefined && !/^[A-Za-z0-9_-]{16,64}$/.test(clientToken)) {
    throw badRequest("client_token must be 16 to 64 characters of A-Z, a-z, 0-9, '_' or '-'");
  }
  if (request.size === 0) {
    throw badRequest("size must be at least 1 byte; upload an empty file with a single PUT (POST /api/get-upload-url)");
  }
  if (request.size > MAX_OBJECT) throw tooLarge(`size: ${request.size} bytes is more than S3's largest object (${MAX_OBJECT} bytes)`);
  const plan = planParts(request.size, request.part_size);
  const checksum = request.checksum ?? true;
  const ids = clientToken && tokenKeyId(user, clientToken, request);
  const upload = newUpload(request, user, "multipart", ids && ids.tokenPart + ids.requestPart);
  const answer = (key, uploadId) => ({
    upload_id: sealUploadId({ user, key, uploadId, size: plan.size, partSize: plan.partSize, checksum }),
    key,
    part_size: plan.partSize,
    part_count: plan.partCount,
    expires_in: upload.expiresIn,
  });
  if (ids) {
    const earlier = await uploadsOfToken(user, ids.tokenPart);
    if (earlier?.length) {
      const same = earlier.find((u) => u.Key.split("/").pop().startsWith(ids.tokenPart + ids.requestPart));
      if (!same) {
        throw new ApiError(422, "bad_request", `client_token ${clientToken} was sent with another request; use a new token for each upload`);
      }
      return answer(same.Key, same.UploadId);
    }
  }
  let uploadId;
  try {
    ({ UploadId: uploadId } = await s3.send(new CreateMultipartUploadCommand({
      Bucket: config.bucket,
      Key: upload.key,
      ContentType: upload.contentType,
      Metadata: upload.metadata,
      ...(checksum ? { ChecksumAlgorithm: "SHA256" } : {}),
    })));
  } catch (err) {
    throw storeFailure(err, `CreateMultipartUpload ${upload.key}`);
  }
  if (ids) uploadId = await firstOfRace(user, upload.key, uploadId, ids.tokenPart);
  return answer(upload.key, uploadId);
}

/** The caller's open uploads of a client token; undefined where the store cannot list them. */
async function uploadsOfToken(user, tokenPart, prefix) {
  try {
    return await openUploadsLike(user, tokenPart, prefix);
  } catch (err) {
    if (s3Code(err) === "NotImplemented") return undefined;
    throw storeFailure(err, "ListMultipartUploads");
  }
}

/**
 * Two attempts of one create that ran at once both opened an upload: every
 * attempt keeps the oldest, and aborts its own if it is not that one.
 */
async function firstOfRace(user, key, mine, tokenPart) {
  const open = (await uploadsOfToken(user, tokenPart, key)) ?? [];
  const first = open[0]?.UploadId ?? mine;
  if (first !== mine) {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: config.bucket, Key: key, UploadId: mine })).catch(() => {});
  }
  return first;
}

/** A part's sha256 must be given exactly when the upload has checksums. */
function checkPartSha256(upload, number, given) {
  if (upload.checksum && !given) {
    throw badRequest(`part ${number} has no sha256 (this upload has SHA-256 checksums; create it with "checksum": false to send none)`);
  }
  if (!upload.checksum && given) throw badRequest(`part ${number} has a sha256, but this upload was created with "checksum": false`);
}

/** Whether the store still has the upload open (a finished or aborted one is a 404). */
async function ensureOpen(upload) {
  try {
    await s3.send(new ListPartsCommand({ Bucket: config.bucket, Key: upload.key, UploadId: upload.uploadId, MaxParts: 1 }));
  } catch (err) {
    if (isNoSuchUpload(err) || err?.$metadata?.httpStatusCode === 404) throw noSuchUpload();
    throw storeFailure(err, `ListParts ${upload.key}`);
  }
}

async function partUrls(uploadIdText, body, user) {
  const upload = openUploadId(uploadIdText, user);
  const { parts } = body;
  if (parts.length < 1 || parts.length > MAX_BATCH) throw badRequest(`parts must list 1 to ${MAX_BATCH} parts, got ${parts.length}`);
  const seen = new Set();
  for (const p of parts) {
    if (p.number < 1 || p.number > upload.plan.partCount) {
      throw badRequest(`parts: part ${p.number} does not exist (the plan has ${upload.plan.partCount} parts)`);
    }
    const want = partLength(upload.plan, p.number);
    if (p.size !== want) throw badRequest(`part ${p.number} must be ${want} bytes (the plan's), got size ${p.size}`);
    if (seen.has(p.number)) throw badRequest(`part ${p.number} is listed twice`);
    seen.add(p.number);
    checkPartSha256(upload, p.number, p.sha256 !== undefined);
  }
  await ensureOpen(upload);
  const expiresIn = config.expiresIn;
  const urls = await Promise.all(parts.map(async (p) => {
    const headers = { "content-length": String(p.size) };
    if (p.sha256) headers["x-amz-checksum-sha256"] = p.sha256;
    const command = new UploadPartCommand({
      Bucket: config.bucket,
      Key: upload.key,
      UploadId: upload.uploadId,
      PartNumber: p.number,
      ContentLength: p.size,
      ChecksumSHA256: p.sha256,
    });
    return { number: p.number, url: await presign(command, headers, expiresIn), headers, expires_in: expiresIn };
  }));
  return { urls };
}

async function listParts(uploadIdText, user) {
  const upload = openUploadId(uploadIdText, user);
  const parts = [];
  let PartNumberMarker;
  try {
    for (;;) {
      const page = await s3.send(new ListPartsCommand({ Bucket: config.bucket, Key: upload.key, UploadId: upload.uploadId, PartNumberMarker }));
      for (const p of page.Parts ?? []) {
        parts.push({ number: p.PartNumber, size: p.Size, etag: p.ETag, sha256: p.ChecksumSHA256 ?? null });
      }
      if (!page.IsTruncated) break;
      PartNumberMarker = page.NextPartNumberMarker;
    }
  } catch (err) {
    if (isNoSuchUpload(err) || err?.$metadata?.httpStatusCode === 404) throw noSuchUpload();
    throw storeFailure(err, `ListParts ${upload.key}`);
  }
  parts.sort((a, b) => a.number - b.number);
  return { upload_id: uploadIdText, key: upload.key, parts };
}

/** The parts sorted, when they are exactly 1..part_count once each. */
function inPlanOrder(plan, parts) {
  const numbers = parts.map((p) => p.number).sort((a, b) => a - b);
  const show = (list) => list.slice(0, 10).join(", ") + (list.length > 10 ? `, and ${list.length - 10} more` : "");
  const extra = numbers.filter((n) => n === 0 || n > plan.partCount);
  const twice = [...new Set(numbers.filter((n, i) => numbers[i + 1] === n))];
  const have = new Set(numbers);
  const missing = [];
  for (let n = 1; n <= plan.partCount && missing.length <= 10; n++) if (!have.has(n)) missing.push(n);
  const problems = [
    missing.length && `missing part(s) ${show(missing)}`,
    extra.length && `part(s) ${show(extra)} not in the plan (1..=${plan.partCount})`,
    twice.length && `part(s) ${show(twice)} listed more than once`,
  ].filter(Boolean);
  if (problems.length) throw badRequest(`parts must list parts 1 to ${plan.partCount} once each: ${problems.join("; ")}`);
  return [...parts].sort((a, b) => a.number - b.number);
}

/** S3's COMPOSITE checksum of parts: base64(sha256(concat(part digests)))-N. */
function compositeOf(digests) {
  const hash = createHash("sha256");
  for (const d of digests) hash.update(Buffer.from(d, "base64"));
  return `${hash.digest("base64")}-${digests.length}`;
}

async function completeMultipart(uploadIdText, body, user) {
  const upload = openUploadId(uploadIdText, user);
  const parts = inPlanOrder(upload.plan, body.parts);
  for (const p of parts) checkPartSha256(upload, p.number, p.sha256 !== undefined);
  let completed;
  try {
    completed = await s3.send(new CompleteMultipartUploadCommand({
      Bucket: config.bucket,
      Key: upload.key,
      UploadId: upload.uploadId,
      // Created, never replacing an object.
      IfNoneMatch: "*",
      MultipartUpload: {
        Parts: parts.map((p) => ({ PartNumber: p.number, ETag: p.etag, ...(p.sha256 ? { ChecksumSHA256: p.sha256 } : {}) })),
      },
    }));
  } catch (err) {
    completed = await completeRefused(err, upload);
  }
  const info = await headObject(upload.key);
  if (!info) throw new ApiError(500, "server", "internal server error");
  return verifyAssembled(upload, info, completed.ChecksumSHA256, parts);
}

/**
 * A Complete the store refused: done before (a retry whose first answer was
 * lost: the upload is gone and the object there, with the planned size), the
 * caller's parts were wrong (400), or the store failed (5xx).
 */
async function completeRefused(err, upload) {
  const code = s3Code(err);
  if (["NoSuchUpload", "AccessDenied", "PreconditionFailed"].includes(code)) {
    const info = await headObject(upload.key);
    if (info && info.size === upload.plan.size) return {};
    if (code === "NoSuchUpload") throw noSuchUpload();
  }
  const status = err?.$metadata?.httpStatusCode;
  const message = `the store refused to complete the upload: ${code}: ${err?.message}`;
  if (status >= 400 && status < 500) {
    if (["BadDigest", "InvalidDigest"].includes(code) || (code === "InvalidPart" && /checksum/i.test(err?.message))) {
      throw new ApiError(400, "checksum_mismatch", message);
    }
    if (["InvalidPart", "InvalidPartOrder", "EntityTooSmall", "MalformedXML", "InvalidRequest", "InvalidArgument"].includes(code)) {
      throw badRequest(message);
    }
  }
  throw storeFailure(err, `CompleteMultipartUpload ${upload.key}`);
}

/** The object is what was agreed: the planned size, and a composite checksum of the parts' digests. */
function verifyAssembled(upload, info, returned, parts) {
  if (info.size !== upload.plan.size) {
    console.error(`express-signer: ${upload.key}: the store assembled ${info.size} bytes, ${upload.plan.size} planned; kept`);
    throw conflict(`the store assembled ${info.size} bytes but the upload was planned for ${upload.plan.size} bytes`);
  }
  if (info.sha256 && returned && info.sha256 !== returned) {
    throw conflict(`the stored object's checksum ${info.sha256} is not the ${returned} that Complete returned`);
  }
  const checksum = info.sha256 ?? returned ?? null;
  // A FULL_OBJECT checksum (some stores give one) is passed on for the
  // client, which hashed the file, to check.
  if (checksum && /-\d+$/.test(checksum) && upload.checksum) {
    const want = compositeOf(parts.map((p) => p.sha256));
    if (checksum !== want) throw conflict(`the store's checksum ${checksum} is not the composite of the parts' SHA-256 (${want})`);
  }
  return { key: upload.key, size: info.size, etag: info.etag, checksum_sha256: checksum };
}

async function abortMultipart(uploadIdText, user) {
  const upload = openUploadId(uploadIdText, user);
  // S3 answers 204 even for an upload it no longer has; ask first, so a
  // finished or aborted upload is a 404 here as in presign-server.
  await ensureOpen(upload);
  try {
    await s3.send(new AbortMultipartUploadCommand({ Bucket: config.bucket, Key: upload.key, UploadId: upload.uploadId }));
  } catch (err) {
    if (isNoSuchUpload(err)) throw noSuchUpload();
    throw storeFailure(err, `AbortMultipartUpload ${upload.key}`);
  }
}

// ---------------------------------------------------------------------------
// Downloads: a presigned GET that never renders active content on the store's origin

const INLINE_IMAGES = ["image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"];

/** The file's name: the key's last segment without the signer's `{32 hex}-`. */
function filenameOfKey(key) {
  const last = key.split("/").pop();
  const name = /^[0-9a-f]{32}-/.test(last) ? last.slice(33) : last;
  return name || "download";
}

/** `kind; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266, RFC 8187). */
function contentDisposition(kind, filename) {
  const fallback = [...filename].map((c) => (/^[\x20-\x7e]$/.test(c) && !`"\\%`.includes(c) ? c : "_")).join("");
  const encoded = [...Buffer.from(filename)].map((b) => {
    const c = String.fromCharCode(b);
    return /[A-Za-z0-9!#$&+\-.^_`|~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }).join("");
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

async function downloadUrl(query, user) {
  if (typeof query.key !== "string") throw badRequest("invalid query string: missing field `key`");
  const key = ownKey(query.key, user);
  const info = await headObject(key);
  if (!info) throw noSuchObject();
  // Raster images and plain text are shown; everything else is saved.
  const media = info.contentType ? essenceOf(info.contentType) : "";
  const inlineType = INLINE_IMAGES.includes(media) ? media : media === "text/plain" ? "text/plain; charset=utf-8" : undefined;
  const command = new GetObjectCommand({
    Bucket: config.bucket,
    Key: key,
    ResponseContentDisposition: contentDisposition(inlineType ? "inline" : "attachment", filenameOfKey(key)),
    ResponseContentType: inlineType,
  });
  return { url: await presign(command, {}, config.expiresIn), key, expires_in: config.expiresIn };
}

// ---------------------------------------------------------------------------
// Health

async function healthz(_req, res) {
  let store;
  try {
    await s3.send(new HeadBucketCommand({ Bucket: config.bucket }), { abortSignal: AbortSignal.timeout(3000) });
    store = { status: "ok" };
  } catch (err) {
    console.error("express-signer: healthz: the store check failed:", err?.name, err?.message);
    store = { status: "failing", message: err?.$metadata?.httpStatusCode === 404 ? "the bucket does not exist" : "the store does not answer" };
  }
  if (store.status === "ok") return res.json({ status: "ok", checks: { store } });
  res.status(503).json({ status: "failing", checks: { store }, error: { code: "server", message: "failing checks: store" } });
}

// ---------------------------------------------------------------------------
// HTTP: routes, CORS, errors

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];

/** Whether `origin` is a page on this machine: http(s), a loopback name, any port. */
function isLoopbackOrigin(origin) {
  try {
    const url = new URL(origin);
    return ["http:", "https:"].includes(url.protocol) && LOOPBACK_NAMES.includes(url.hostname);
  } catch {
    return false;
  }
}

/** Dev mode answers only a loopback Host, so a rebound DNS name cannot reach it from a web page. */
function loopbackHost(req, _res, next) {
  if (!config.dev) return next();
  const host = req.get("host") ?? "";
  if (!LOOPBACK_NAMES.includes(host.replace(/:\d+$/, "").toLowerCase())) {
    throw new ApiError(403, "forbidden", `Host ${JSON.stringify(host)} is not a loopback name; in dev mode the signer answers only localhost, 127.0.0.1 and [::1]`);
  }
  next();
}

/**
 * CORS for the API: the listed origins (and, in dev mode, pages on loopback
 * names) may call it with a bearer token and read Retry-After.
 */
function cors(req, res, next) {
  const origin = req.get("origin");
  const any = config.origins.includes("*");
  if (!any) res.vary("Origin");
  if (!origin || !(any || config.origins.includes(origin) || (config.dev && isLoopbackOrigin(origin)))) return next();
  res.set("Access-Control-Allow-Origin", any ? "*" : origin);
  res.set("Access-Control-Expose-Headers", "Retry-After");
  if (req.method === "OPTIONS" && req.get("access-control-request-method")) {
    res.set({
      "Access-Control-Allow-Methods": "GET, POST, DELETE",
      "Access-Control-Allow-Headers": "Content-Type, Authorization",
      "Access-Control-Max-Age": "600",
    });
    return res.status(204).end();
  }
  next();
}

// 64 KiB is room for a batch of 100 files; a Complete of S3's 10,000 parts
// takes about 1 MB (a number, a quoted ETag and a SHA-256 each).
const BODY_LIMIT = "64kb";
const COMPLETE_BODY_LIMIT = "2mb";

/** The JSON body up to `limit` (after authentication, as presign-server reads them). */
function jsonBody(limit = BODY_LIMIT) {
  const parse = express.json({ limit });
  return (req, res, next) => {
    if (!req.is("application/json")) {
      throw new ApiError(415, "unsupported_type", "the request body must be JSON (Content-Type: application/json)");
    }
    parse(req, res, (err) => {
      if (err) return next(err);
      if (req.body === undefined) return next(badRequest("the request body is empty; expected a JSON object"));
      next();
    });
  };
}

const methodNotAllowed = (req) => {
  throw new ApiError(405, "bad_request", `method ${req.method} is not allowed here`);
};

/** A route answering `handle(req)` as JSON. */
const answer = (handle) => async (req, res) => res.json(await handle(req));

function router() {
  const api = express.Router();
  api.route("/get-upload-url")
    .post(authenticate, jsonBody(), answer((req) => signPut(fields(req.body, NEW_UPLOAD), req.user)))
    .all(methodNotAllowed);
  api.route("/get-upload-urls")
    .post(authenticate, jsonBody(), answer((req) => eachFile(batchFiles(req.body, NEW_UPLOAD), (f) => signPut(f, req.user))))
    .all(methodNotAllowed);
  api.route("/file-uploaded")
    .post(authenticate, jsonBody(), answer((req) => confirm(fields(req.body, CONFIRM), req.user)))
    .all(methodNotAllowed);
  api.route("/files-uploaded")
    .post(authenticate, jsonBody(), answer((req) => eachFile(batchFiles(req.body, CONFIRM), (f) => confirm(f, req.user))))
    .all(methodNotAllowed);
  api.route("/get-upload-form")
    .post(authenticate, jsonBody(), answer((req) => signForm(fields(req.body, NEW_UPLOAD), req.user)))
    .all(methodNotAllowed);
  api.route("/download-url")
    .get(authenticate, answer((req) => downloadUrl(req.query, req.user)))
    .all(methodNotAllowed);
  api.route("/multipart")
    .post(authenticate, jsonBody(), answer((req) => createMultipart(fields(req.body, CREATE_MULTIPART), req.user)))
    .all(methodNotAllowed);
  api.route("/multipart/:id/part-urls")
    .post(authenticate, jsonBody(), answer((req) => partUrls(req.params.id, fields(req.body, PART_URLS), req.user)))
    .all(methodNotAllowed);
  api.route("/multipart/:id/parts")
    .get(authenticate, answer((req) => listParts(req.params.id, req.user)))
    .all(methodNotAllowed);
  api.route("/multipart/:id/complete")
    .post(authenticate, jsonBody(COMPLETE_BODY_LIMIT), answer((req) => completeMultipart(req.params.id, fields(req.body, COMPLETE), req.user)))
    .all(methodNotAllowed);
  api.route("/multipart/:id")
    .delete(authenticate, async (req, res) => {
      await abortMultipart(req.params.id, req.user);
      res.status(204).end();
    })
    .all(methodNotAllowed);
  return api;
}

/** Any error as an ApiError: body-parser's (400, 413), ours, or a bug (500, logged). */
function asApiError(err) {
  if (err instanceof ApiError) return err;
  if (err?.type === "entity.too.large") return tooLarge(`the request body is larger than ${err.limit} bytes`);
  if (err?.type === "entity.parse.failed") return badRequest(`the request body is not valid JSON: ${err.message}`);
  if (err?.type === "encoding.unsupported" || err?.type === "charset.unsupported") return unsupportedType(err.message);
  console.error("express-signer: internal error:", err);
  return new ApiError(500, "server", "internal server error");
}

function errorHandler(err, req, res, _next) {
  const e = asApiError(err);
  res.status(e.status).set(e.headers).json({ error: { code: e.code, message: e.message } });
}

function app() {
  const server = express();
  server.disable("x-powered-by");
  server.set("query parser", "simple");
  server.use(loopbackHost);
  server.use(cors);
  server.get("/healthz", healthz);
  server.use("/api", router());
  server.use((req) => {
    throw new ApiError(404, "not_found", `no route ${req.method} ${req.path}`);
  });
  server.use(errorHandler);
  return server;
}

// ---------------------------------------------------------------------------
// Start

function hostAndPort(listen) {
  const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(listen);
  if (!m) fail(`SIGNER_LISTEN must be HOST:PORT, not ${JSON.stringify(listen)}`);
  return [m[1].replace(/^\[|\]$/g, ""), Number(m[2])];
}

/**
 * The signer as an Express app, configured from `env` (a bad setting throws
 * a ConfigError). Run this file to serve it alone; or mount it in your own
 * Express app under a path of its own, say
 * `app.use("/uploads", createSignerApp())`, and give the client that path
 * as its `endpoint`. One signer per process: the settings are module-wide.
 */
export function createSignerApp(env = process.env) {
  config = readConfig(env);
  s3 = storeClient();
  if (config.jwtSecret) jwtKey = new TextEncoder().encode(config.jwtSecret);
  if (!config.jwtSecret) console.error("express-signer: dev mode: every caller is the user \"dev\"; never expose this");
  if (config.stateKeyIsEphemeral) console.error("express-signer: no SIGNER_STATE_SECRET: multipart upload ids will not survive a restart");
  return app();
}

function main() {
  let signer;
  let host;
  let port;
  try {
    signer = createSignerApp(process.env);
    [host, port] = hostAndPort(config.listen);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`express-signer: ${err.message}`);
    process.exit(2);
  }
  const server = signer.listen(port, host, () => {
    const { address, port: bound } = server.address();
    const url = `http://${address.includes(":") ? `[${address}]` : address}:${bound}`;
    if (config.readyFile) {
      // Written whole, then renamed: a reader never sees half of it.
      writeFileSync(`${config.readyFile}.tmp`, JSON.stringify({ url }));
      renameSync(`${config.readyFile}.tmp`, config.readyFile);
    }
    console.log(`listening on ${url}`);
  });
  server.on("error", (err) => {
    console.error(`express-signer: cannot listen on ${config.listen}: ${err.message}`);
    process.exit(1);
  });
  // Requests in flight may finish (5 s at most); idle connections close now.
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      server.close(() => process.exit(0));
      server.closeIdleConnections();
      setTimeout(() => process.exit(0), 5000).unref();
    });
  }
}

// Run as a program (node signer.mjs), not when imported.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) main();
