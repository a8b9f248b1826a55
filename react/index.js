// presigned-upload/react: the <presigned-upload> element as a React
// component, and a hook that owns an Uploader for a component's lifetime.
// Plain ES module, no JSX and no build step; React (18 or 19) is a peer
// dependency. Types: index.d.ts.
//
// Importing this module in Node (server-side rendering) touches no browser
// global: the element's module defines nothing there, and the wasm is loaded
// only in an effect, which never runs on the server.
import { createElement, forwardRef, useCallback, useEffect, useLayoutEffect, useRef, useState } from "react";
import init, { Uploader } from "../presigned_upload.js";
import { DEFAULT_NAME } from "../widget/presigned-upload-element.js";

// useLayoutEffect on the client (attributes set before the first paint),
// useEffect on the server (where neither runs, without React 18's warning).
const useClientLayoutEffect = typeof document === "undefined" ? useEffect : useLayoutEffect;

// The element's events and the props that receive them.
const EVENTS = {
  "upload-start": "onUploadStart",
  "upload-progress": "onUploadProgress",
  "upload-complete": "onUploadComplete",
  "upload-error": "onUploadError",
};

// Props set on the element rather than passed to React's createElement.
const OWN = new Set([
  "endpoint", "fileType", "multiple", "accept", "maxSize",
  "getToken", "uploaderOptions", "uploadOptions", ...Object.values(EVENTS),
]);

function shallowEqual(a, b) {
  if (a === b) return true;
  if (a == null || b == null) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.is(a[k], b[k]));
}

function assignRef(ref, value) {
  if (typeof ref === "function") ref(value);
  else if (ref) ref.current = value;
}

/**
 * `<PresignedUpload fileType="images" multiple onUploadComplete={…} />`:
 * renders a `<presigned-upload>` element. Its attributes and properties are
 * set from props (an `uploaderOptions` or `uploadOptions` object equal, key
 * by key, to the last one is not set again, so inline literals do not make
 * the element a new Uploader); its events call the `on…` props; the ref is
 * the element. Other props (`id`, `className`, `style`, `aria-*`, children
 * with `slot="title"` or `slot="hint"`) go to the element as they are.
 */
export const PresignedUpload = forwardRef(function PresignedUpload(props, ref) {
  const element = useRef(null);
  const latest = useRef(props);
  latest.current = props;
  const sent = useRef({});

  const setElement = useCallback((el) => {
    element.current = el;
    assignRef(ref, el);
  }, [ref]);

  const { endpoint, fileType, multiple, accept, maxSize, getToken, uploaderOptions, uploadOptions } = props;
  useClientLayoutEffect(() => {
    const el = element.current;
    if (!el) return;
    if (endpoint === undefined) el.removeAttribute("endpoint");
    else el.endpoint = endpoint;
    if (fileType === undefined) el.removeAttribute("file-type");
    else el.fileType = fileType;
    el.multiple = Boolean(multiple);
    if (accept === undefined) el.removeAttribute("accept");
    else el.accept = accept;
    el.maxSize = maxSize ?? null;
    el.getToken = getToken ?? null;
    // The element makes a new Uploader when these change: only when they do.
    if (!shallowEqual(sent.current.uploaderOptions, uploaderOptions ?? {})) {
      el.uploaderOptions = sent.current.uploaderOptions = { ...uploaderOptions };
    }
    if (!shallowEqual(sent.current.uploadOptions, uploadOptions ?? {})) {
      el.uploadOptions = sent.current.uploadOptions = { ...uploadOptions };
    }
  }, [endpoint, fileType, multiple, accept, maxSize, getToken, uploaderOptions, uploadOptions]);

  // One listener per event for the element's life; it calls the latest prop.
  useEffect(() => {
    const el = element.current;
    if (!el) return undefined;
    const listeners = Object.entries(EVENTS).map(([type, prop]) => {
      const listener = (event) => latest.current[prop]?.(event);
      el.addEventListener(type, listener);
      return [type, listener];
    });
    return () => {
      for (const [type, listener] of listeners) el.removeEventListener(type, listener);
    };
  }, []);

  const rest = {};
  for (const [key, value] of Object.entries(props)) {
    if (!OWN.has(key)) rest[key] = value;
  }
  return createElement(DEFAULT_NAME, { ...rest, ref: setElement });
});

const ENDED = new Set(["done", "failed", "aborted"]);
// Ids of the hook's file records (React keys).
let nextId = 1;

function totals(files) {
  let loaded = 0;
  let total = 0;
  for (const f of files) {
    total += f.file.size;
    loaded += f.state === "done" ? f.file.size : (f.progress?.loaded ?? 0);
  }
  return { loaded, total, fraction: total === 0 ? (files.length > 0 ? 1 : 0) : loaded / total };
}

/**
 * An Uploader for the calling component's lifetime (made once the wasm has
 * loaded, freed on unmount after its uploads are cancelled), with React
 * state for what it uploads: see index.d.ts.
 */
export function useUploader(options = {}) {
  const [uploader, setUploader] = useState(null);
  const [error, setError] = useState(null);
  const [files, setFiles] = useState([]);
  const latest = useRef(options);
  latest.current = options;
  // What is running: Upload and Batch objects, cancelled on unmount.
  const running = useRef(new Set());
  const alive = useRef(false);
  const live = useRef(null); // the uploader of the current mount

  useEffect(() => {
    alive.current = true;
    // This mount's own flag: React's StrictMode mounts twice, and the first
    // mount's init() must not make an Uploader after its cleanup ran.
    let unmounted = false;
    let made = null;
    const { getToken, ...rest } = latest.current;
    init()
      .then(() => {
        if (unmounted) return;
        made = new Uploader({
          ...rest,
          // The latest getToken prop, not the one of the first render.
          ...(getToken ? { getToken: () => latest.current.getToken() } : {}),
        });
        live.current = made;
        setUploader(made);
      })
      .catch((e) => unmounted || setError(e));
    const active = running.current;
    return () => {
      unmounted = true;
      alive.current = false;
      live.current = null;
      const results = [];
      for (const job of active) {
        results.push(job.result);
        if (typeof job.cancel === "function") job.cancel();
        else job.abort();
      }
      active.clear();
      // Free the uploader once what it ran has settled.
      if (made) {
        const uploaderToFree = made;
        Promise.allSettled(results).then(() => uploaderToFree.free());
      }
    };
  }, []);

  // Changes the record `id` (an object, or a function of the record), if still mounted.
  const update = useCallback((id, change) => {
    if (!alive.current) return;
    setFiles((list) => list.map((f) => (f.id === id ? { ...f, ...(typeof change === "function" ? change(f) : change) } : f)));
  }, []);

  const need = () => {
    const u = live.current;
    if (!u) throw new Error("useUploader: the uploader is not ready yet (check `ready`)");
    return u;
  };

  // Appends a record for each of `blobs`; returns their ids.
  const append = (blobs) => {
    const records = blobs.map((file) => ({ id: nextId++, file, state: "queued", progress: null, result: null, error: null }));
    setFiles((list) => [...list, ...records]);
    return records.map((r) => r.id);
  };

  const upload = useCallback((file, uploadOptions) => {
    const u = need();
    const opts = typeof uploadOptions === "string" ? { fileType: uploadOptions } : uploadOptions;
    const [id] = append([file]);
    const job = u.start(file, {
      ...opts,
      onProgress: (progress) => {
        update(id, { progress });
        opts.onProgress?.(progress);
      },
      onStateChange: (state) => {
        update(id, { state });
        opts.onStateChange?.(state);
      },
    });
    running.current.add(job);
    return job.result.then(
      (result) => {
        running.current.delete(job);
        update(id, { state: "done", result });
        return result;
      },
      (e) => {
        running.current.delete(job);
        update(id, (f) => ({ error: e, state: ENDED.has(f.state) ? f.state : "failed" }));
        throw e;
      },
    );
  }, []);

  const uploadAll = useCallback((list, batchOptions) => {
    const u = need();
    const opts = typeof batchOptions === "string" ? { fileType: batchOptions } : batchOptions;
    const blobs = Array.from(list);
    const ids = append(blobs);
    const batch = u.uploadAll(blobs, {
      ...opts,
      onFileProgress: (progress, i) => {
        update(ids[i], { progress });
        opts.onFileProgress?.(progress, i);
      },
      onFileStateChange: (state, i) => {
        update(ids[i], { state });
        opts.onFileStateChange?.(state, i);
      },
      onFileComplete: (result, i) => {
        update(ids[i], { state: "done", result });
        opts.onFileComplete?.(result, i);
      },
      onFileError: (e, i) => {
        update(ids[i], (f) => ({ error: e, state: ENDED.has(f.state) ? f.state : "failed" }));
        opts.onFileError?.(e, i);
      },
    });
    running.current.add(batch);
    const settled = () => running.current.delete(batch);
    batch.result.then(settled, settled);
    return batch.result;
  }, []);

  const cancel = useCallback(() => {
    for (const job of running.current) {
      if (typeof job.cancel === "function") job.cancel();
      else job.abort();
    }
  }, []);

  const clear = useCallback(() => {
    setFiles((list) => list.filter((f) => !ENDED.has(f.state)));
  }, []);

  const errors = files.flatMap((f) => (f.error ? [f.error] : []));
  return {
    uploader,
    ready: uploader !== null,
    loadError: error,
    files,
    progress: totals(files),
    busy: files.some((f) => !ENDED.has(f.state)),
    errors,
    upload,
    uploadAll,
    cancel,
    clear,
  };
}
