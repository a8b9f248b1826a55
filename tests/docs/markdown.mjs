// Reading Markdown the way GitHub renders it, as far as links need: which
// files are the repository's Markdown, the links and images in them (not in
// code), and the anchors their headings get. No dependency: node: only.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/** Folders that hold generated or installed files, never our docs. */
const SKIPPED = new Set(['node_modules', 'build', 'pkg', 'target', 'artifacts', '.git', '.venv', 'dist']);

/**
 * The Markdown files of the repository at `root` (paths relative to it,
 * `/`-separated): those git tracks or would track (untracked but not
 * ignored), or, without git, every `.md` file under `root`; never one under
 * node_modules/, build/, pkg/ or target/.
 */
export function markdownFiles(root) {
  let files;
  try {
    const out = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', '*.md'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    files = out.split('\0').filter(Boolean).filter((f) => existsSync(join(root, f)));
  } catch {
    files = walk(root, root);
  }
  return [...new Set(files)].filter((f) => !f.split('/').some((part) => SKIPPED.has(part))).sort();
}

function walk(root, dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...walk(root, path));
    else if (entry.name.endsWith('.md')) found.push(relative(root, path).split(sep).join('/'));
  }
  return found;
}

/**
 * `text` with fenced code blocks and inline code spans blanked out (same
 * length, newlines kept, so offsets still give line numbers): links there
 * are examples, not links.
 */
export function withoutCode(text) {
  return blankCodeSpans(withoutFences(text));
}

/** `text` with fenced code blocks blanked out (headings keep their code spans). */
function withoutFences(text) {
  const lines = text.split('\n');
  let fence = null;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(`{3,}|~{3,})/.exec(lines[i]);
    if (fence) {
      const closes = m && m[1][0] === fence[0] && m[1].length >= fence.length && /^\s*[`~]+\s*$/.test(lines[i]);
      lines[i] = blank(lines[i]);
      if (closes) fence = null;
    } else if (m) {
      fence = m[1];
      lines[i] = blank(lines[i]);
    }
  }
  return lines.join('\n');
}

function blank(s) {
  return s.replace(/[^\n]/g, ' ');
}

/** Inline code: a run of n backticks up to the next run of exactly n, within a paragraph. */
function blankCodeSpans(text) {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '`') {
      out += text[i++];
      continue;
    }
    let n = 0;
    while (text[i + n] === '`') n++;
    const close = new RegExp(`(?<!\`)\`{${n}}(?!\`)`, 'g');
    close.lastIndex = i + n;
    const m = close.exec(text);
    const paragraphEnd = text.slice(i + n).search(/\n[ \t]*\n/);
    const limit = paragraphEnd < 0 ? text.length : i + n + paragraphEnd;
    if (m && m.index < limit) {
      out += blank(text.slice(i, m.index + n));
      i = m.index + n;
    } else {
      out += text.slice(i, i + n);
      i += n;
    }
  }
  return out;
}

/**
 * Every link target in a Markdown text: inline links and images
 * (`[text](target "title")`, also when the text spans lines), reference
 * definitions (`[id]: target`) and HTML `href`/`src` attributes, outside
 * code. Each is `{ target, line }`.
 */
export function links(text) {
  const plain = withoutCode(text);
  const found = [];
  const lineOf = (index) => plain.slice(0, index).split('\n').length;
  const inline = /\]\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:"[^"]*"|'[^']*'|\([^)]*\)))?\s*\)/g;
  for (const m of plain.matchAll(inline)) {
    found.push({ target: m[1].replace(/^<|>$/g, ''), line: lineOf(m.index) });
  }
  const definition = /^ {0,3}\[[^\]\n]+\]:[ \t]*(<[^>\n]*>|\S+)/gm;
  for (const m of plain.matchAll(definition)) {
    found.push({ target: m[1].replace(/^<|>$/g, ''), line: lineOf(m.index) });
  }
  const html = /<(?:a|img|source)\b[^>]*?\s(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi;
  for (const m of plain.matchAll(html)) {
    found.push({ target: m[1] ?? m[2], line: lineOf(m.index) });
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Whether a target leaves the repository (a scheme like `https:`, or `//host`). */
export function isExternal(target) {
  return /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');
}

/**
 * GitHub's anchor for a heading's text: the rendered text lower-cased,
 * punctuation dropped (letters, digits, marks, `_`, `-` and spaces kept),
 * spaces turned into `-`.
 */
export function slug(heading) {
  return rendered(heading)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** A heading's text as GitHub shows it: no link targets, code ticks, emphasis or tags. */
function rendered(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/!?\[([^\]]*)\]\[[^\]]*\]/g, '$1')
    .replace(/<[^>]+>/g, '')
    .replace(/`+/g, '')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\p{L}\p{N}])[*_](.+?)[*_](?=[^\p{L}\p{N}]|$)/gu, '$1$2')
    .trim();
}

/**
 * The anchors a Markdown text offers: each heading's slug (a repeated one
 * gets `-1`, `-2`, … as on GitHub) and every HTML `id`/`name` attribute.
 */
export function anchors(text) {
  const plain = withoutFences(text);
  const lines = plain.split('\n');
  const seen = new Map();
  const result = new Set();
  const add = (heading) => {
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const atx = /^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/.exec(lines[i]);
    if (atx) {
      add(atx[1] ?? '');
      continue;
    }
    const next = lines[i + 1];
    if (next !== undefined && lines[i].trim() !== '' && /^ {0,3}(=+|-+)[ \t]*$/.test(next)
        && !/^ {0,3}([-*+]|\d+[.)])\s|^ {0,3}(>|\|)/.test(lines[i])) {
      add(lines[i].trim());
      i++;
    }
  }
  for (const m of withoutCode(text).matchAll(/<[a-z][^>]*?\s(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)')/gi)) {
    result.add(m[1] ?? m[2]);
  }
  return result;
}

/**
 * The broken relative links of the Markdown files `files` (relative to
 * `root`): a target that is not a file or folder of the repository, or an
 * `#anchor` into a Markdown file that no heading of it offers. Each is
 * `{ file, line, target, reason }`.
 */
export function brokenLinks(root, files) {
  const anchorCache = new Map();
  const anchorsOf = (path) => {
    if (!anchorCache.has(path)) anchorCache.set(path, anchors(readFileSync(path, 'utf8')));
    return anchorCache.get(path);
  };
  const broken = [];
  for (const file of files) {
    const source = join(root, file);
    for (const { target, line } of links(readFileSync(source, 'utf8'))) {
      if (isExternal(target)) continue;
      const report = (reason) => broken.push({ file, line, target, reason });
      if (target === '') {
        report('empty link');
        continue;
      }
      const hashAt = target.indexOf('#');
      const pathPart = (hashAt < 0 ? target : target.slice(0, hashAt)).replace(/\?.*$/, '');
      const anchor = hashAt < 0 ? null : target.slice(hashAt + 1);
      let path;
      try {
        const decoded = decodeURIComponent(pathPart);
        path = decoded === '' ? source : decoded.startsWith('/') ? join(root, decoded) : resolve(dirname(source), decoded);
      } catch {
        report('not a valid URL path');
        continue;
      }
      if (relative(root, path).startsWith('..')) {
        report('points outside the repository');
        continue;
      }
      if (!existsSync(path)) {
        report(`no such file: ${relative(root, path).split(sep).join('/')}`);
        continue;
      }
      if (anchor !== null && path.endsWith('.md') && statSync(path).isFile()) {
        let wanted;
        try {
          wanted = decodeURIComponent(anchor);
        } catch {
          wanted = anchor;
        }
        if (!anchorsOf(path).has(wanted.toLowerCase()) && !anchorsOf(path).has(wanted)) {
          report(`no heading with the anchor #${anchor} in ${relative(root, path).split(sep).join('/')}`);
        }
      }
    }
  }
  return broken;
}
