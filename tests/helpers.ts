/** Shared test fixtures: a valid stack config to mutate, ways to plan or parse it, and temporary directories. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after } from "node:test";
import * as YAML from "yaml";
import { ConfigError, isConfigError, parseConfig, type StackConfig } from "../infra/config";
import { noOptions, type PlannedResource } from "../tools/plan/engine";
import { parseStackFile } from "../tools/plan/stack-file";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A small valid cluster: one Hetzner control plane and one worker. */
export function validConfig(): Record<string, Json> {
    return {
        "hcloud:token": { secure: "v1:token" },
        "infra:environment": "dev",
        "infra:kubernetes": { version: "1.35.9" },
        "infra:ssh": {
            publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH2mBf0Mnq5mhvXg0c8Rlp2b1Q3vVd2Q3pDk0t8pXy3a ops@acme",
            adminCidrs: ["198.51.100.0/24"],
        },
        "infra:sshPrivateKey": { secure: "v1:key" },
        "infra:pools": [
            { name: "cp", provider: "hetzner", role: "control-plane", count: 1, serverType: "cx23", location: "fsn1" },
            { name: "workers", provider: "hetzner", role: "worker", count: 1, serverType: "cx23", location: "fsn1" },
        ],
        "infra:platform": { certManager: { email: "ops@example.com" } },
    };
}

export function stackYaml(config: Record<string, Json>): string {
    return YAML.stringify({ config });
}

/** Parses a config map the way the plan hands it to the program. */
export function parse(config: Record<string, Json>, stack = "test"): StackConfig {
    const file = parseStackFile(`Pulumi.${stack}.yaml`, stackYaml(config));
    return parseConfig({ project: "infra", stack, values: file.values, secretKeys: new Set(file.secretKeys) });
}

/** The `path: message` lines of the ConfigError a config raises; [] if it is valid. */
export function problems(config: Record<string, Json>): string[] {
    try {
        parse(config);
        return [];
    } catch (e) {
        if (!isConfigError(e)) throw e;
        return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
    }
}

/** A valid cluster on AWS only (region us-east-1) with these pools. */
export function awsConfig(pools: Json[], zones = 2): Record<string, Json> {
    const c = validConfig();
    delete c["hcloud:token"];
    c["aws:region"] = "us-east-1";
    c["infra:aws"] = { availabilityZones: zones };
    c["infra:pools"] = pools;
    return c;
}

/** Deep copy of `validConfig()` changed by `f`. */
export function withConfig(f: (c: Record<string, any>) => void): Record<string, Json> {
    const c = structuredClone(validConfig()) as Record<string, any>;
    f(c);
    return c;
}

/** Plans a config map under the mock runtime, with lookups by type and name. */
export async function planConfig(config: Record<string, Json>, stack = "test") {
    const { planText } = await import("../tools/plan");
    const plan = await planText(stack, stackYaml(config));
    const ofType = (type: string) => plan.resources.filter((r) => r.type === type);
    const named = (name: string) => {
        const r = plan.resources.find((x) => x.name === name);
        if (!r) throw new Error(`no resource named ${name}; have ${plan.resources.map((x) => x.name).join(", ")}`);
        return r;
    };
    const plain = (name: string) => plan.plainInputs.get(named(name).urn)!;
    return { plan, ofType, named, plain };
}

/**
 * A new directory in the OS temp folder (`<prefix>XXXXXX`), removed with its contents when the
 * test or suite that made it ends (at the end of the file when made outside any test).
 */
export function tempDir(prefix: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    return dir;
}

/** A planned resource with the engine's defaults (custom, unprotected, no options), for hand-made plans. */
export function plannedResource(name: string, type: string, inputs: Record<string, unknown>, extra: Partial<PlannedResource> = {}): PlannedResource {
    return {
        urn: `urn:pulumi:s::infra::${type}::${name}`,
        type,
        name,
        parent: null,
        custom: true,
        dependsOn: [],
        inputs,
        ...noOptions(),
        provider: null,
        ...extra,
    };
}
