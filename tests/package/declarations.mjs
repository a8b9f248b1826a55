// Reads a package .d.ts with the TypeScript compiler API and lists what its
// public API lacks: a top-level export without a doc comment that has an
// `@example`, a class member without a doc comment, or an `any` type.
// wasm-bindgen's loader glue (init, initSync and their input/output types)
// is generated and documented in docs/client.md instead; its InitOutput lists
// the raw wasm exports, typed `any` by wasm-bindgen.
import ts from 'typescript';
import { readFileSync } from 'node:fs';

const GENERATED = new Set(['__wbg_init', 'default', 'initSync', 'InitInput', 'InitOutput', 'SyncInitInput']);
// Members wasm-bindgen adds to every class.
const GENERATED_MEMBERS = new Set(['free', '[Symbol.dispose]']);

const exported = (node) =>
  ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

function nameOf(node, source) {
  if (ts.isVariableStatement(node)) return node.declarationList.declarations.map((d) => d.name.getText(source)).join(', ');
  if (node.name) return node.name.getText(source);
  return ts.isFunctionDeclaration(node) ? 'default' : '(anonymous)';
}

const docs = (node) => ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
const hasExample = (node) => docs(node).some((d) => (d.tags ?? []).some((t) => t.tagName.text === 'example'));

/** Problems of one declaration file, as `file:line: what` strings. */
export function problems(file) {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found = [];
  const at = (node, what) => {
    const { line } = source.getLineAndCharacterOfPosition(node.getStart(source));
    found.push(`${file}:${line + 1}: ${what}`);
  };
  for (const node of source.statements) {
    if (!exported(node)) continue;
    const name = nameOf(node, source);
    if (GENERATED.has(name)) continue;
    if (!hasExample(node)) at(node, `${name} has no doc comment with an @example`);
    if (ts.isClassDeclaration(node)) {
      for (const member of node.members) {
        const memberName = member.name?.getText(source) ?? 'constructor';
        const isPrivate = (ts.getModifiers(member) ?? []).some((m) => m.kind === ts.SyntaxKind.PrivateKeyword);
        if (GENERATED_MEMBERS.has(memberName) || isPrivate || ts.isConstructorDeclaration(member)) continue;
        if (docs(member).length === 0) at(member, `${name}.${memberName} has no doc comment`);
      }
    }
    const visit = (n) => {
      if (n.kind === ts.SyntaxKind.AnyKeyword) at(n, `${name} uses any`);
      ts.forEachChild(n, visit);
    };
    visit(node);
  }
  return found;
}
