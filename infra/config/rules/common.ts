/** What every rule module shares: how a rule reports a problem, and how it names a setting. */
import { keyPath } from "../errors";
import type { OnpremPoolSettings, Pool, Settings } from "../schema";

/** Records one problem; rules report every problem they find rather than stop at the first. */
export type Report = (path: string, message: string) => void;

/** The key path of an `infra:` setting: `infraKey("pools", 0, "count")` -> `infra:pools[0].count`. */
export const infraKey = (...segments: PropertyKey[]): string => keyPath(["infra:" + String(segments[0]), ...segments.slice(1)]);

/** The cluster's own address ranges, by key path: pods and services, and the mesh when it is on. */
export function clusterRanges(s: Settings): [string, string][] {
    const out: [string, string][] = [];
    if (s.kubernetes) out.push([infraKey("kubernetes", "podCidr"), s.kubernetes.podCidr], [infraKey("kubernetes", "serviceCidr"), s.kubernetes.serviceCidr]);
    if (s.mesh.enabled) out.push([infraKey("mesh", "cidr"), s.mesh.cidr]);
    return out;
}

/** Pools of machines listed by hand (names and addresses given) rather than created by this program. */
export const isOnPrem = (p: Pool): p is OnpremPoolSettings => p.provider === "vmware" || p.provider === "static";

/** The site a pool's machines sit at: static machines are on-prem, beside the vmware ones. */
export const siteOf = (p: Pool): string => (p.provider === "static" ? "vmware" : p.provider);
