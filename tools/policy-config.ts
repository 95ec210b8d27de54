/**
 * `npm run --silent policy-config -- <stack>`: the policy pack's config for a stack, from its
 * stack file (infra:environment, infra:ssh.allowWorldAdmin), one entry per invariant. Pass it to a
 * real preview or up: `pulumi preview --policy-pack policy --policy-pack-config <file>`. CI does.
 */
import * as fs from "node:fs";
import * as YAML from "yaml";
import { INVARIANTS } from "../infra/policy/invariants";

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
const config = (YAML.parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, any> } | null)?.config ?? {};
const environment = config["infra:environment"];
if (typeof environment !== "string") {
    console.error(`policy-config: ${file}: infra:environment is not set`);
    process.exit(2);
}
const props = { environment, allowWorldAdmin: config["infra:ssh"]?.allowWorldAdmin === true };
console.log(JSON.stringify(Object.fromEntries(INVARIANTS.map((i) => [i.name, props])), null, 2));
