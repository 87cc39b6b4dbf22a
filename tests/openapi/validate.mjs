// Validates every response the test suites saw (one JSON object a line:
// method, path, status, content_type, body) against openapi.yaml: the
// operation must document the status and the media type, and the body must
// validate against its schema (Ajv, JSON Schema 2020-12, formats checked).
// Unknown paths and methods must answer 404/405 problem+json.
import fs from 'node:fs';
import YAML from 'yaml';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [specPath, capturePath] = process.argv.slice(2);
const spec = YAML.parse(fs.readFileSync(specPath, 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(spec, 'spec');

const escape = (s) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const unescape = (s) => s.replace(/~1/g, '/').replace(/~0/g, '~');
const at = (pointer) => pointer.split('/').slice(1).reduce((node, key) => node?.[unescape(key)], spec);
const templates = Object.keys(spec.paths).map((t) => ({
  template: t,
  pattern: new RegExp('^' + t.replace(/\{[^}]+\}/g, '[^/]+') + '$'),
}));
const validators = new Map();
const validatorFor = (pointer) => {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: 'spec#' + pointer }));
  return validators.get(pointer);
};

let passed = 0;
let failed = 0;
const seen = new Set();
for (const line of fs.readFileSync(capturePath, 'utf8').split('\n')) {
  if (!line) continue;
  const r = JSON.parse(line);
  const fail = (why) => {
    failed++;
    if (failed <= 25) console.error(`  ${r.method} ${r.path} -> ${r.status}: ${why}`);
  };
  if (r.method === 'HEAD') { passed++; continue; } // no body to check
  const type = (r.content_type || '').split(';')[0].trim();
  const match = templates.find((t) => t.pattern.test(r.path));
  const operation = match && spec.paths[match.template][r.method.toLowerCase()];
  let pointer;
  if (!operation) {
    if (![404, 405].includes(r.status)) { fail('path or method not in the spec'); continue; }
    if (type !== 'application/problem+json') { fail(`content type ${type}`); continue; }
    pointer = '/components/schemas/Problem';
  } else {
    let responsePointer = `/paths/${escape(match.template)}/${r.method.toLowerCase()}/responses/${r.status}`;
    let response = at(responsePointer);
    if (!response) { fail(`status ${r.status} is not documented`); continue; }
    if (response.$ref) { responsePointer = response.$ref.slice(1); response = at(responsePointer); }
    // A response documented without content (204): nothing may come with it.
    if (!response.content) {
      if (type || r.body) { fail('a body where none is documented'); continue; }
      seen.add(`${r.method} ${match.template} ${r.status}`);
      passed++;
      continue;
    }
    if (!response.content?.[type]) { fail(`content type ${type} is not documented`); continue; }
    pointer = `${responsePointer}/content/${escape(type)}/schema`;
    seen.add(`${r.method} ${match.template} ${r.status}`);
  }
  let body = r.body;
  // A binary body is recorded by its size only (tests/harness.c).
  if (type === 'application/pdf' && !(r.body_bytes > 0)) { fail('empty PDF'); continue; }
  if (type.endsWith('json')) {
    try { body = JSON.parse(r.body); } catch { fail('body is not JSON'); continue; }
  }
  const validate = validatorFor(pointer);
  if (validate(body)) passed++;
  else fail(ajv.errorsText(validate.errors));
}
console.log(`openapi: ${seen.size} documented operation/status pairs exercised`);
console.log(`openapi: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 && passed > 0 ? 0 : 1);
