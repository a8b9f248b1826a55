// A signer written by the page, as an app would write one: plain functions
// that forward each call to a backend with fetch. Here the backend is the
// test's presign-server; `faults` makes a function throw before it calls.
//
// makeSigner(endpoint, options):
//   options.only:   names of the functions to have (default: all)
//   options.faults: { name: [thrown, ...] }, thrown in order, one per call
//   options.json:   answer parsed objects instead of Response objects
//   options.delayMs: wait this long before each call reaches the backend
//                   (so calls overlap whatever the engine's speed)
// The signer's `log` lists the calls made, by function name; `bodies` the
// JSON bodies they were given, in the same order.

const routes = {
  getUploadUrl: ['POST', () => '/api/get-upload-url'],
  getUploadUrls: ['POST', () => '/api/get-upload-urls'],
  fileUploaded: ['POST', () => '/api/file-uploaded'],
  filesUploaded: ['POST', () => '/api/files-uploaded'],
  getUploadForm: ['POST', () => '/api/get-upload-form'],
  downloadUrl: ['GET', (key) => `/api/download-url?key=${encodeURIComponent(key)}`],
  createMultipart: ['POST', () => '/api/multipart'],
  partUrls: ['POST', (id) => `/api/multipart/${encodeURIComponent(id)}/part-urls`],
  listParts: ['GET', (id) => `/api/multipart/${encodeURIComponent(id)}/parts`],
  completeMultipart: ['POST', (id) => `/api/multipart/${encodeURIComponent(id)}/complete`],
  abortMultipart: ['DELETE', (id) => `/api/multipart/${encodeURIComponent(id)}`],
};
const aboutSubject = new Set(['downloadUrl', 'partUrls', 'listParts', 'completeMultipart', 'abortMultipart']);

export function makeSigner(endpoint, options = {}) {
  const log = [];
  const bodies = [];
  const faults = options.faults ?? {};
  const signer = { log, bodies };
  for (const [name, [method, path]] of Object.entries(routes)) {
    if (options.only && !options.only.includes(name)) continue;
    signer[name] = async (...args) => {
      const context = args[args.length - 1];
      const subject = aboutSubject.has(name) ? args[0] : undefined;
      const body = method === 'POST' ? args[aboutSubject.has(name) ? 1 : 0] : undefined;
      log.push(name);
      bodies.push(body);
      const fault = faults[name]?.shift();
      if (fault !== undefined) throw fault;
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const response = await fetch(endpoint + path(subject), {
        method,
        signal: context.signal,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!options.json) return response;
      if (!response.ok) throw response;
      return response.status === 204 ? null : response.json();
    };
  }
  return signer;
}

// An Error with the fields a signer may give its failures.
export function failure(message, fields) {
  return Object.assign(new Error(message), fields);
}

// A signer whose getUploadUrl never answers (and ignores the signal).
export function silentSigner() {
  return { getUploadUrl: () => new Promise(() => {}) };
}

// A failing Response, as fetch answers it.
export function failingResponse(status, body, headers = {}) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}
