// Every relative link in the repository's Markdown (README.md, CHANGELOG.md,
// BENCHMARKS.md, docs/, bench/, examples/, crates/: every .md file git
// tracks or would track, outside node_modules/, build/, pkg/ and target/)
// must point at a file or folder that exists, and an `#anchor` into a
// Markdown file at one of its headings (GitHub's slugs). Links in code
// blocks and code spans are examples and are not followed; links with a
// scheme (https:, mailto:) leave the repository and are not fetched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { anchors, brokenLinks, links, markdownFiles, slug } from './markdown.mjs';

const repo = resolve(import.meta.dirname, '..', '..');

test('every relative link in the Markdown files points at something that exists', () => {
  const files = markdownFiles(repo);
  for (const expected of ['README.md', 'CHANGELOG.md', 'BENCHMARKS.md', 'docs/configuration.md']) {
    assert.ok(files.includes(expected), `${expected} is among the files checked (${files.length} found)`);
  }
  const broken = brokenLinks(repo, files);
  const report = broken.map((b) => `  ${b.file}:${b.line}: (${b.target}) ${b.reason}`).join('\n');
  assert.equal(broken.length, 0, `${broken.length} broken link(s):\n${report}`);
});

test('the checker finds a missing file, a missing heading and a link outside the repository', () => {
  const root = mkdtempSync(join(tmpdir(), 'links-'));
  try {
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'b.md'), '# B page\n\n## Running `gc` once\n');
    writeFileSync(
      join(root, 'a.md'),
      [
        '# A',
        'Fine: [b](docs/b.md), [b heading](docs/b.md#running-gc-once), [self](#a),',
        '[spanning',
        'lines](docs/b.md "title"), [web](https://example.com/missing.md), `[code](nowhere.md)`.',
        '',
        '```md',
        '[fenced](nowhere-either.md)',
        '```',
        '',
        'Broken: [gone](docs/gone.md) and [bad anchor](docs/b.md#no-such-heading)',
        'and ![image](img/none.png) and [up](../../outside.md) and [ref][r].',
        '',
        '[r]: docs/missing-ref.md',
      ].join('\n'),
    );
    const broken = brokenLinks(root, ['a.md', 'docs/b.md']).map((b) => `${b.line} ${b.target}`);
    assert.deepEqual(broken, [
      '10 docs/gone.md',
      '10 docs/b.md#no-such-heading',
      '11 img/none.png',
      '11 ../../outside.md',
      '13 docs/missing-ref.md',
    ]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('anchors follow GitHub: punctuation dropped, code kept, repeats numbered', () => {
  assert.equal(slug('Many files: the queue and backpressure'), 'many-files-the-queue-and-backpressure');
  assert.equal(slug('`presign-server cors apply`'), 'presign-server-cors-apply');
  assert.equal(slug('Libraries we chose, and why'), 'libraries-we-chose-and-why');
  assert.equal(slug('POST /api/multipart/{id}/complete'), 'post-apimultipartidcomplete');
  assert.equal(slug('The `checksum: false` option'), 'the-checksum-false-option');
  assert.equal(slug('[Linked](x.md) title'), 'linked-title');
  const found = anchors('# Setup\n\n## Setup\n\nText\n====\n\n```\n# not a heading\n```\n<a id="custom"></a>\n');
  assert.deepEqual([...found].sort(), ['custom', 'setup', 'setup-1', 'text']);
  assert.deepEqual(links('[a](b.md) `[c](d.md)` <img src="e.png">').map((l) => l.target), ['b.md', 'e.png']);
});
