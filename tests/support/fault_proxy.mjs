// A fault-injection proxy for the browser tests: NOT part of the product.
//
// Forwards every request to the store (method, path, query, headers with Host
// unchanged, bodies streamed both ways), so SigV4 signatures still verify.
// Rules set over HTTP inject failures before a request reaches the store:
//
//   POST /__faults        {"match": "partNumber=3", "status": 503, "times": 2}
//                         {"match": "partNumber=2", "delayMs": 3000, "times": 1}
//                         {"match": "partNumber=4", "stall": true}: read nothing
//                           and never answer (until the client gives up)
//                         {"match": "partNumber=5", "corrupt": true}: forward,
//                           with the body's first byte flipped
//                         (also "method": "PUT"; "match" may be a list of
//                         substrings that must all occur; a list of rules is
//                         accepted)
//   POST /__faults/reset  drops every rule and the log
//   POST /__target        {"url": "http://127.0.0.1:9000"} sets the store
//                         (when it is known only after the proxy started)
//   GET  /__log           [{method, url, status, fault, signature}] in order
//
// The control endpoints answer CORS for any origin, so tests running in the
// browser can call them with fetch.
//
// Usage: node fault_proxy.mjs --target http://127.0.0.1:9000 [--port 0]
// Prints "fault-proxy listening on http://127.0.0.1:PORT" once ready.

import http from "node:http";
import { Transform } from "node:stream";

const args = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const initialTarget = arg("--target", process.env.FAULT_PROXY_TARGET ?? "");
let target = initialTarget ? new URL(initialTarget) : null;
const port = Number(arg("--port", process.env.FAULT_PROXY_PORT ?? "0"));

let rules = [];
let log = [];

const cors = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, POST, OPTIONS",
  "access-control-allow-headers": "content-type",
};

function readJson(req) {
  return new Promise((resolve, reject) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c) => (text += c));
    req.on("end", () => {
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (e) {
        reject(e);
      }
    });
  });
}

function control(req, res) {
  const send = (status, body) => {
    res.writeHead(status, { ...cors, "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.method === "OPTIONS") return send(204, {});
  if (req.method === "GET" && req.url === "/__log") return send(200, log);
  if (req.method === "POST" && req.url === "/__faults/reset") {
    rules = [];
    log = [];
    return send(200, { ok: true });
  }
  if (req.method === "POST" && req.url === "/__target") {
    return readJson(req).then(
      (body) => {
        target = new URL(body.url);
        send(200, { target: target.href });
      },
      (e) => send(400, { error: String(e) }),
    );
  }
  if (req.method === "POST" && req.url === "/__faults") {
    return readJson(req).then(
      (body) => {
        for (const rule of Array.isArray(body) ? body : [body]) {
          rules.push({ times: 1, ...rule });
        }
        send(200, { rules });
      },
      (e) => send(400, { error: String(e) }),
    );
  }
  send(404, { error: "unknown control endpoint" });
}

/** The first live rule matching this request, used up by one. */
function takeRule(req) {
  if (req.method === "OPTIONS") return null;
  for (const rule of rules) {
    if (rule.times <= 0) continue;
    if (rule.method && rule.method !== req.method) continue;
    const needles = rule.match === undefined ? [] : [rule.match].flat();
    if (!needles.every((needle) => req.url.includes(needle))) continue;
    rule.times -= 1;
    return rule;
  }
  return null;
}

/** Passes a body through with its first byte inverted (length unchanged). */
function flipFirstByte() {
  let flipped = false;
  return new Transform({
    transform(chunk, _encoding, done) {
      if (!flipped && chunk.length > 0) {
        chunk = Buffer.from(chunk);
        chunk[0] ^= 0xff;
        flipped = true;
      }
      done(null, chunk);
    },
  });
}

function signatureOf(url) {
  return new URL(url, "http://x").searchParams.get("X-Amz-Signature");
}

const server = http.createServer((req, res) => {
  if (req.url.startsWith("/__")) return control(req, res);
  const entry = { method: req.method, url: req.url, signature: signatureOf(req.url), status: null, fault: null };
  log.push(entry);
  const rule = takeRule(req);
  if (rule && rule.status) {
    entry.fault = `status ${rule.status}`;
    entry.status = rule.status;
    // Drain the body, then answer like S3 would, CORS included.
    req.resume();
    req.on("end", () => {
      res.writeHead(rule.status, {
        "content-type": "application/xml",
        "access-control-allow-origin": req.headers.origin ?? "*",
        "access-control-expose-headers": "ETag",
      });
      const code = rule.code ?? (rule.status === 503 ? "SlowDown" : "InternalError");
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>injected by fault_proxy</Message></Error>`);
    });
    return;
  }
  const forward = () => {
    if (!target) {
      entry.status = 502;
      entry.fault = "no target set";
      res.writeHead(502);
      return res.end();
    }
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers, // Host unchanged: the signature covers it.
      },
      (up) => {
        entry.status = up.statusCode;
        res.writeHead(up.statusCode, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      entry.status = 502;
      entry.fault = `upstream error ${e.message}`;
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    (rule && rule.corrupt ? req.pipe(flipFirstByte()) : req).pipe(upstream);
  };
  if (rule && rule.stall) {
    // A dead peer: the body is not read, nothing is answered. The browser's
    // send buffer fills and its progress stops; only the client can end it.
    entry.fault = "stall";
    entry.status = 0;
    req.pause();
    const hold = setTimeout(() => res.destroy(), 600_000);
    req.socket.on("close", () => clearTimeout(hold));
    return;
  }
  if (rule && rule.corrupt) entry.fault = "corrupt";
  if (rule && rule.delayMs) {
    entry.fault = `delay ${rule.delayMs}`;
    req.pause();
    setTimeout(forward, rule.delayMs);
  } else {
    forward();
  }
});

server.listen(port, "127.0.0.1", () => {
  console.log(`fault-proxy listening on http://127.0.0.1:${server.address().port}`);
});
