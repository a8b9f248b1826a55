// presigned-upload/react as an app meets it: the <PresignedUpload> component
// (the widget) and the useUploader hook (an Uploader of the component's own,
// with a file input of the app's), bundled by Vite.
import { StrictMode, useRef, useState } from "react";
import { createRoot } from "react-dom/client";
import { PresignedUpload, useUploader } from "presigned-upload/react";

function WidgetSection() {
  const [stored, setStored] = useState([]);
  const widget = useRef(null);
  return (
    <section>
      <h2>The component</h2>
      <PresignedUpload
        ref={widget}
        id="widget"
        fileType="react-example"
        multiple
        uploadOptions={{ concurrency: 4 }}
        onUploadComplete={(e) => setStored((s) => [...s, e.detail.result.key])}
      >
        <span slot="hint">Or drop files here</span>
      </PresignedUpload>
      <ul id="stored">
        {stored.map((key) => <li key={key} data-key={key}>{key}</li>)}
      </ul>
    </section>
  );
}

function HookSection() {
  const { ready, uploader, uploadAll, files, progress, errors, busy } = useUploader();
  const [links, setLinks] = useState({});

  async function onChange(event) {
    const chosen = [...event.currentTarget.files];
    const { files: ended } = await uploadAll(chosen, "react-example");
    for (const end of ended) {
      if (end.state !== "done") continue;
      const { url } = await uploader.downloadUrl(end.result.key);
      setLinks((l) => ({ ...l, [end.result.key]: url }));
    }
  }

  return (
    <section>
      <h2>The hook</h2>
      <input id="hook-file" type="file" multiple disabled={!ready} onChange={onChange} />
      <progress id="hook-progress" max={1} value={progress.fraction} />
      <ul id="hook-files" data-busy={String(busy)}>
        {files.map((f) => (
          <li key={f.id} data-state={f.state} data-key={f.result?.key} data-sha256={f.result?.sha256}
            data-href={f.result ? links[f.result.key] : undefined}>
            {f.file.name}: {f.state} {Math.round((f.progress?.fraction ?? 0) * 100)}%
          </li>
        ))}
      </ul>
      {errors.map((e, i) => <p key={i} className="error">{e.message}</p>)}
    </section>
  );
}

function App() {
  const [showHook, setShowHook] = useState(true);
  return (
    <main>
      <h1>Uploads with React</h1>
      <WidgetSection />
      <button id="toggle-hook" type="button" onClick={() => setShowHook((v) => !v)}>
        {showHook ? "Unmount" : "Mount"} the hook's section
      </button>
      {showHook && <HookSection />}
    </main>
  );
}

createRoot(document.getElementById("root")).render(<StrictMode><App /></StrictMode>);
