/**
 * Checks that span more than one key (counts, overlaps, uniqueness, required secrets). They run
 * once the structure is valid, and return every problem rather than the first. The rules live
 * in rules/, one module per concern; the order they run in is the order of the error list.
 */
import type { ConfigProblem } from "./errors";
import type { PlatformChoices } from "./platform";
import { cloudAccessProblems, hostKeyProblems, secretProblems } from "./rules/access";
import { appsProblems } from "./rules/apps";
import type { Report } from "./rules/common";
import { hetznerSubnetProblems, meshProblems, nodeNetworkProblems, onPremEndpointProblems, rangeProblems, subnetCapacityProblems } from "./rules/network";
import { controlPlaneProblems, modeProblems, poolNodeProblems, providerProblems, uniquenessProblems } from "./rules/nodes";
import { certManagerProblems, platformProblems } from "./rules/platform";
import { SECRET_KEYS, type SecretKey, type Settings } from "./schema";

/** What the loader knows beside the validated settings. */
export interface ValidationContext {
    /** Secret keys that are set (and stored encrypted). */
    readonly secretsSet: ReadonlySet<SecretKey>;
    /** `hcloud:token` is set and stored encrypted. */
    readonly hcloudToken: "secret" | "plain" | "missing";
    /** `aws:region`, when set. */
    readonly awsRegion?: string;
    /** The platform choices, computed once by the loader, so validation judges the same ones the platform layer builds. */
    readonly choices: PlatformChoices;
    /** Entry names of `infra:appSecrets`. */
    readonly appSecrets: readonly string[];
    /** Provider credentials set in plain text (aws:secretKey...). */
    readonly plainProviderSecrets: readonly string[];
}

/** Every problem of a structurally valid config; what is allowed but unsafe goes to `warn`. */
export function semanticProblems(s: Settings, clusterName: string, ctx: ValidationContext, warn: Report = () => {}): ConfigProblem[] {
    const out: ConfigProblem[] = [];
    const add: Report = (path, message) => out.push({ path, message });
    modeProblems(s, add);
    controlPlaneProblems(s, add);
    uniquenessProblems(s, clusterName, add);
    providerProblems(s, add);
    poolNodeProblems(s, clusterName, add);
    nodeNetworkProblems(s, add);
    subnetCapacityProblems(s, add);
    meshProblems(s, add);
    rangeProblems(s, add);
    onPremEndpointProblems(s, add);
    hetznerSubnetProblems(s, add);
    cloudAccessProblems(s, ctx, add);
    secretProblems(s, ctx, add);
    hostKeyProblems(s, { error: add, warn });
    // A burst stack's add-ons are its base cluster's.
    if (s.mode !== "burst") {
        platformProblems(s, ctx.choices, add);
        certManagerProblems(s, add);
    }
    if (s.apps) appsProblems(s, s.apps, ctx, add);
    return out;
}

export const SECRET_KEY_NAMES = Object.keys(SECRET_KEYS) as SecretKey[];
