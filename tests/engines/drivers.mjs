// One WebDriver session per browser engine, through selenium-webdriver
// (npm) talking to a driver this module starts on a free loopback port:
//   chromium: Debian's chromedriver and Chromium, headless;
//   firefox:  geckodriver and Debian's Firefox ESR, -headless;
//   webkit:   WebKitGTK's WebKitWebDriver (MiniBrowser) under `xvfb-run -a`.
// Each driver runs in a process group of its own; stopping the engine ends
// the session and then the whole group (driver, browser, Xvfb), and the
// groups still alive when Node exits are killed then.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Builder, Capabilities } from 'selenium-webdriver';

const chromiumArgs = [
  '--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-breakpad',
];

// The command that serves WebDriver on `port`, and the capabilities of the
// session. Environment variables name other binaries.
const ENGINES = {
  chromium: (port) => ({
    command: [process.env.CHROMEDRIVER ?? '/usr/bin/chromedriver', `--port=${port}`],
    capabilities: {
      browserName: 'chrome',
      'goog:chromeOptions': { binary: process.env.CHROMIUM ?? '/usr/bin/chromium', args: chromiumArgs },
    },
  }),
  firefox: (port) => ({
    command: [process.env.GECKODRIVER ?? join(homedir(), '.cargo', 'bin', 'geckodriver'), '--port', String(port)],
    capabilities: {
      browserName: 'firefox',
      'moz:firefoxOptions': { binary: process.env.FIREFOX ?? '/usr/bin/firefox-esr', args: ['-headless'] },
    },
  }),
  // WebKitWebDriver opens MiniBrowser, which needs a display: Xvfb's.
  // selenium-webdriver wants a browserName; MiniBrowser is the one
  // WebKitWebDriver launches by default.
  webkit: (port) => ({
    command: ['xvfb-run', '-a', process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver', `--port=${port}`],
    capabilities: { browserName: 'MiniBrowser' },
  }),
};

export const ENGINE_NAMES = Object.keys(ENGINES);

// Process groups started here and not yet gone.
const groups = new Set();
process.on('exit', () => {
  for (const pgid of groups) {
    try { process.kill(-pgid, 'SIGKILL'); } catch { /* already gone */ }
  }
});

function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer().once('error', fail).listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
  });
}

// Timers that do not keep Node running once the tests are done.
const sleep = (ms) => new Promise((r) => setTimeout(r, ms).unref());
const within = (promise, ms) => Promise.race([promise, sleep(ms).then(() => { throw new Error(`timed out after ${ms} ms`); })]);

/**
 * Starts `engine`'s driver and a session in it. Resolves with `{ driver,
 * browser, version, stop }`; `stop()` ends the session and every process
 * of the driver's group, and may be called more than once.
 */
export async function startEngine(engine) {
  const spec = ENGINES[engine];
  if (!spec) throw new Error(`unknown engine ${engine} (${ENGINE_NAMES.join(', ')})`);
  const port = await freePort();
  const { command, capabilities } = spec(port);
  const child = spawn(command[0], command.slice(1), { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  groups.add(child.pid);
  let logs = '';
  child.stdout.on('data', (d) => { logs = (logs + d).slice(-20_000); });
  child.stderr.on('data', (d) => { logs = (logs + d).slice(-20_000); });
  let gone = null;
  const exited = new Promise((ok) => child.once('exit', (code, signal) => { gone = code ?? signal; groups.delete(child.pid); ok(); }));
  child.once('error', (e) => { logs += `\n${e.message}`; });

  let session = null;
  const stop = async () => {
    if (session) {
      const quitting = session;
      session = null;
      await within(quitting.quit(), 20_000).catch(() => {});
    }
    if (gone === null) {
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      await Promise.race([exited, sleep(5_000)]);
    }
    // Whatever of the group is left (a browser that outlived its driver).
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    groups.delete(child.pid);
    await Promise.race([exited, sleep(2_000)]);
  };

  try {
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (gone !== null) throw new Error(`${command[0]} exited (${gone})`);
      if (Date.now() > deadline) throw new Error(`${command[0]} did not answer on ${url} in 30 s`);
      const ready = await fetch(`${url}/status`).then((r) => r.ok, () => false);
      if (ready) break;
      await sleep(100);
    }
    session = await within(new Builder().usingServer(url).withCapabilities(new Capabilities(capabilities)).build(), 60_000);
    await session.manage().setTimeouts({ script: 120_000, pageLoad: 60_000 });
    const got = await session.getCapabilities();
    return { driver: session, browser: got.getBrowserName(), version: got.getBrowserVersion(), stop, logs: () => logs };
  } catch (e) {
    await stop();
    throw new Error(`${engine}: no WebDriver session: ${e.message}\n${logs}`);
  }
}
