// docs/configuration.md and `presign-server --help` must agree, so that the
// reference and the command line cannot drift apart:
// - every long flag of `presign-server --help` and of each subcommand's
//   `--help` (gc, cors, cors print, cors apply: found by walking the
//   "Commands:" sections) is named in the doc, as does every subcommand;
// - every environment variable the help names (PRESIGN_*, AWS_*, $PORT) is
//   named in the doc;
// - every `--flag` and `PRESIGN_*` variable the doc names exists in some
//   `--help`.
// Needs target/debug/presign-server (scripts/test's lint stage builds it;
// by hand: `cargo build -p presign-server`). PRESIGN_SERVER_BIN points at
// another binary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '..', '..');
const bin = process.env.PRESIGN_SERVER_BIN ?? join(repo, 'target', 'debug', 'presign-server');
const docPath = process.env.PRESIGN_CONFIG_DOC ?? join(repo, 'docs', 'configuration.md');

/** The long help of `presign-server ...path`. */
function help(path) {
  return execFileSync(bin, [...path, '--help'], { encoding: 'utf8', env: { PATH: process.env.PATH } });
}

/**
 * The long flags a help text defines: its option lines (`      --dev`,
 * `  -h, --help`), not flags its prose mentions.
 */
export function definedFlags(text) {
  const flags = new Set();
  for (const line of text.split('\n')) {
    const m = /^ {2,6}(?:-[A-Za-z0-9], )?--([a-z0-9][a-z0-9-]*)/.exec(line);
    if (m) flags.add(`--${m[1]}`);
  }
  return flags;
}

/** The subcommands a help text lists under "Commands:" (not `help`). */
export function subcommands(text) {
  const found = [];
  let inCommands = false;
  for (const line of text.split('\n')) {
    if (/^\S/.test(line)) inCommands = /^Commands:\s*$/.test(line);
    else if (inCommands) {
      const m = /^ {2}([a-z][a-z0-9-]*)\s/.exec(line);
      if (m && m[1] !== 'help') found.push(m[1]);
    }
  }
  return found;
}

/** Environment variables a text names: PRESIGN_*, AWS_*, and PORT as `$PORT`. */
export function envVars(text) {
  const vars = new Set(text.match(/\b(?:PRESIGN|AWS)_[A-Z0-9_]*[A-Z0-9]\b/g) ?? []);
  if (/\$PORT\b/.test(text)) vars.add('PORT');
  return vars;
}

/** The `--flags` a Markdown text names, wherever (tables, prose, examples). */
export function namedFlags(text) {
  return new Set(text.match(/(?<![\w-])--[a-z0-9][a-z0-9-]*/g) ?? []);
}

/** Every help text of the binary, by command path, walking "Commands:". */
function allHelp() {
  const texts = new Map();
  const walk = (path) => {
    const text = help(path);
    texts.set(path.join(' '), text);
    for (const sub of subcommands(text)) walk([...path, sub]);
  };
  walk([]);
  return texts;
}

/** What the doc lacks, and what it names that the binary does not have. */
export function compare(helpTexts, doc) {
  const inHelp = new Set();
  const envInHelp = new Set();
  for (const text of helpTexts.values()) {
    for (const flag of definedFlags(text)) inHelp.add(flag);
    for (const name of envVars(text)) envInHelp.add(name);
  }
  const named = namedFlags(doc);
  const docEnv = envVars(doc.replace(/`PORT`/g, '`$PORT`'));
  const problems = [];
  for (const flag of inHelp) {
    if (!named.has(flag)) problems.push(`${flag} is in --help but not in docs/configuration.md`);
  }
  for (const name of envInHelp) {
    if (!docEnv.has(name)) problems.push(`${name} is in --help but not in docs/configuration.md`);
  }
  for (const flag of named) {
    if (!inHelp.has(flag)) problems.push(`docs/configuration.md names ${flag}, which no --help has`);
  }
  for (const name of docEnv) {
    if (name.startsWith('PRESIGN_') && !envInHelp.has(name)) {
      problems.push(`docs/configuration.md names ${name}, which no --help has`);
    }
  }
  for (const path of helpTexts.keys()) {
    if (path && !doc.includes(`presign-server ${path}`) && !doc.includes(`\`${path}\``)) {
      problems.push(`the subcommand "presign-server ${path}" is not in docs/configuration.md`);
    }
  }
  return problems.sort();
}

test('docs/configuration.md documents every flag and variable of --help, and no other', () => {
  assert.ok(existsSync(bin), `${bin} is missing: build it with \`cargo build -p presign-server\``);
  const texts = allHelp();
  for (const expected of ['', 'gc', 'cors', 'cors print', 'cors apply']) {
    assert.ok(texts.has(expected), `the help of "presign-server ${expected}" was read (${[...texts.keys()].join(', ')})`);
  }
  const flags = new Set([...texts.values()].flatMap((t) => [...definedFlags(t)]));
  for (const flag of ['--dev', '--jwt-secret', '--config', '--older-than', '--webhook-url']) {
    assert.ok(flags.has(flag), `${flag} was read from --help (${flags.size} flags found)`);
  }
  const problems = compare(texts, readFileSync(docPath, 'utf8'));
  assert.deepEqual(problems, [], `docs/configuration.md and --help disagree:\n  ${problems.join('\n  ')}`);
});

test('the comparison finds a flag or variable missing on either side', () => {
  const helpText = [
    'Usage: presign-server [OPTIONS] [COMMAND]',
    '',
    'Commands:',
    '  gc    Abort stale uploads; see --gc-interval',
    '  help  Print this message',
    '',
    'Options:',
    '      --dev',
    '          Development mode; unlike --not-a-flag in prose',
    '      --bucket <BUCKET>',
    '          Bucket [default: `uploads` with --dev, else env PRESIGN_BUCKET]',
    '  -h, --help',
    '          Print help',
  ].join('\n');
  assert.deepEqual([...definedFlags(helpText)], ['--dev', '--bucket', '--help']);
  assert.deepEqual(subcommands(helpText), ['gc']);
  const gcHelp = 'Options:\n      --older-than <DURATION>\n          Age\n';
  const texts = new Map([['', helpText], ['gc', gcHelp]]);
  const good = '`--dev`, `--bucket` (`PRESIGN_BUCKET`), `--help`, `presign-server gc --older-than 24h`';
  assert.deepEqual(compare(texts, good), []);
  assert.deepEqual(compare(texts, good.replace('`--bucket` (`PRESIGN_BUCKET`)', '`--bucket`')), [
    'PRESIGN_BUCKET is in --help but not in docs/configuration.md',
  ]);
  assert.deepEqual(compare(texts, `${good} --invented and PRESIGN_INVENTED`), [
    'docs/configuration.md names --invented, which no --help has',
    'docs/configuration.md names PRESIGN_INVENTED, which no --help has',
  ]);
  assert.deepEqual(compare(texts, good.replace('presign-server gc --older-than 24h', '--older-than')), [
    'the subcommand "presign-server gc" is not in docs/configuration.md',
  ]);
});
