/**
 * `npm run --silent policy-config -- <stack>`: the policy pack's config for a stack, from its
 * stack file (infra:environment, infra:ssh.allowWorldAdmin), one entry per invariant. Pass it to a
 * real preview or up: `pulumi preview --policy-pack policy --policy-pack-config <file>`. CI does.
 */
import * as fs from "node:fs";
import { INVARIANTS } from "../infra/policy/invariants";
import { readStackFile } from "./plan/stack-file";

const stack = process.argv[2];
if (!stack || !/^[A-Za-z0-9_.-]+$/.test(stack)) {
    console.error("usage: npm run --silent policy-config -- <stack>");
    process.exit(2);
}
const file = `Pulumi.${stack}.yaml`;
if (!fs.existsSync(file)) {
    console.error(`policy-config: ${file} does not exist`);
    process.exit(2);
}
// Read as the plan and the Pulumi CLI read it (merge keys, aliases), values as the program gets them.
const values = readStackFile(file).values;
const environment = values["infra:environment"];
if (typeof environment !== "string") {
    console.error(`policy-config: ${file}: infra:environment is not set`);
    process.exit(2);
}
const ssh = values["infra:ssh"] ? (JSON.parse(values["infra:ssh"]) as { allowWorldAdmin?: unknown }) : {};
const props = { environment, allowWorldAdmin: ssh.allowWorldAdmin === true };
console.log(JSON.stringify(Object.fromEntries(INVARIANTS.map((i) => [i.name, props])), null, 2));
