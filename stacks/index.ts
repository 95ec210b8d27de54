/**
 * The composition root: reads and validates the stack configuration, then builds what the
 * stack's `mode` says. `index.ts` (the Pulumi entry point) and the offline plan both run this.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadConfig } from "../infra/config";
import { appsOnlyStack } from "./apps-only";
import { burstStack } from "./burst";
import { clusterStack } from "./cluster";

export async function program(): Promise<object> {
    const cfg = loadConfig();
    for (const w of cfg.warnings) void pulumi.log.warn(`${w.path}: ${w.message}`);
    switch (cfg.mode) {
        case "cluster":
            return clusterStack(cfg);
        case "burst":
            return burstStack(cfg);
        case "apps-only":
            return appsOnlyStack(cfg);
    }
}
