// service/console/policy_fields.js from openapi.yaml: the policy form's
// fields with their ranges and help, described once (in the spec) and
// derived here. `node policy-fields.mjs write` rewrites the file;
// `node policy-fields.mjs check` (run by the browser tests) fails when the
// committed file is not what the spec gives.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import YAML from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = join(root, 'service', 'console', 'policy_fields.js');

export function generate() {
  const spec = YAML.parse(readFileSync(join(root, 'openapi.yaml'), 'utf8'));
  const schemas = spec.components.schemas;
  const doc = schemas.PolicyDocument;
  const deref = (s) => (s.$ref ? schemas[s.$ref.split('/').pop()] : s);
  const field = (fieldName, s) => {
    const f = { name: fieldName, type: s.type, help: s.description || '' };
    if (s.minimum !== undefined) f.min = s.minimum;
    if (s.maximum !== undefined) f.max = s.maximum;
    if (s.enum) f.enum = s.enum;
    if (s.type === 'array') f.enum = deref(s.items).enum;
    return f;
  };
  const groups = {};
  for (const group of ['remedies', 'costs', 'abuse', 'deadlines']) {
    groups[group] = Object.entries(deref(doc.properties[group]).properties).map(([n, s]) => field(n, s));
  }
  const rule = Object.entries(schemas.PolicyCategoryRule.properties).map(([n, s]) => field(n, s));
  const categories = Object.keys(doc.properties.categories.properties);
  const limit = doc.properties.auto_approve_limit.additionalProperties;
  const out = `// Generated from openapi.yaml by tests/console/policy-fields.mjs: do not edit.
// The policy form's fields, their ranges and help (the API checks them too).
export const POLICY_GROUPS = ${JSON.stringify(groups, null, 2)};
export const CATEGORY_RULE = ${JSON.stringify(rule, null, 2)};
export const CATEGORIES = ${JSON.stringify(categories)};
export const AUTO_APPROVE_LIMIT = ${JSON.stringify({ min: limit.minimum, max: limit.maximum })};
export const NOTE_MAX = ${doc.properties.note.maxLength};
`;
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = generate();
  if (process.argv[2] === 'write') {
    writeFileSync(target, text);
  } else {
    const committed = readFileSync(target, 'utf8');
    if (committed !== text) {
      console.error('service/console/policy_fields.js is not what openapi.yaml gives: run node tests/console/policy-fields.mjs write');
      process.exit(1);
    }
  }
}
