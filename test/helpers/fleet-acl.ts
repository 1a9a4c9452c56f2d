/** The Mosquitto acl_file of docs/fleet.md (the docs test checks they agree). */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The first ```text block after "acl_file" in docs/fleet.md. */
function aclFromDocs(): string {
  const doc = readFileSync(path.resolve(__dirname, '../../docs/fleet.md'), 'utf8');
  const m = /<!-- acl_file -->\s*```[a-z]*\n([\s\S]*?)```/.exec(doc);
  if (!m) throw new Error('docs/fleet.md: no acl_file block (marked <!-- acl_file -->)');
  return m[1];
}

export const FLEET_ACL = aclFromDocs();
