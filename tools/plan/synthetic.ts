/** Synthetic stacks for the bench and the scaling tests: the dev stack resized. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as YAML from "yaml";

/** `Pulumi.dev.yaml` with `controlPlanes` control planes and `workers` workers, as stack file text. */
export function syntheticStack(workers: number, controlPlanes = 1): string {
    const doc = YAML.parse(fs.readFileSync(path.resolve(__dirname, "..", "..", "Pulumi.dev.yaml"), "utf8"));
    const pools = doc.config["infra:pools"] as { role: string; count: number }[];
    pools.find((p) => p.role === "worker")!.count = workers;
    pools.find((p) => p.role === "control-plane")!.count = controlPlanes;
    return YAML.stringify(doc);
}
