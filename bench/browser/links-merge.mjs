#!/usr/bin/env node
// Replaces, in a links run's JSON, the profiles another run measured, and
// writes the Markdown report beside it (lib/links-merge.mjs says why):
//   node bench/browser/links-merge.mjs bench/results/links.json FROM.json
import { readFileSync, writeFileSync } from 'node:fs';
import { mergeLinks } from './lib/links-merge.mjs';
import { linksReport } from './lib/links-report.mjs';

const [into, from] = process.argv.slice(2);
if (!into || !from || !into.endsWith('.json')) throw new Error('usage: links-merge.mjs INTO.json FROM.json');
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));
const newer = read(from);
const merged = mergeLinks(read(into), newer);
writeFileSync(into, JSON.stringify(merged, null, 1) + '\n');
writeFileSync(into.replace(/\.json$/, '.md'), linksReport(merged));
console.error(`links-merge: ${from}'s ${Object.keys(newer.runs)} into ${into} and its .md`);
