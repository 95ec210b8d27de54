/**
 * What a burst stack accepts from its base (`checkBase`, a pure function): every case a user
 * meets, with the key to change and what to do.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type BaseOutputs, type BurstRequest, checkBase } from "../../stacks/outputs";

const base: BaseOutputs = {
    clusterName: "acme-prod",
    join: {
        endpoint: "k8s-api.acme.internal:6443",
        token: "abcdef.0123456789abcdef",
        caCertHash: "sha256:00",
        kubernetesVersion: "1.35.9",
        containerdVersion: "2.1.4",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.96.0.0/12",
    },
    access: { controlPlane: { name: "k8s-cp-1", host: "192.168.18.201", port: 22, user: "ubuntu", viaBastion: true }, nodes: [], bastion: null },
    mesh: { cidr: "10.200.0.0/16", port: 51820, peers: [] },
};
const request: BurstRequest = { baseStack: "acme/infra/prod", clusterName: "acme-prod-burst" };
const problemsOf = (r: ReturnType<typeof checkBase>) => ("problems" in r ? r.problems.map((p) => `${p.path}: ${p.message}`) : []);

describe("checkBase", () => {
    it("accepts a current base and returns it typed", () => {
        const r = checkBase(request, base);
        assert.ok("base" in r);
        assert.equal(r.base.join.kubernetesVersion, "1.35.9");
    });

    const cases: [string, Partial<BurstRequest>, Partial<Record<keyof BaseOutputs, unknown>>, string[]][] = [
        [
            "a base stack with no outputs at all (a typo, no access, never deployed)",
            {},
            { clusterName: undefined, join: undefined, access: undefined, mesh: undefined },
            ["infra:burst.baseStack: acme/infra/prod has no outputs: it does not exist, is not readable with your Pulumi login, or was never deployed (run pulumi up on it first)"],
        ],
        [
            "a base deployed before join material was exported",
            {},
            { join: undefined, access: undefined, mesh: undefined },
            ["infra:burst.baseStack: acme/infra/prod exports no join material (output `join`): it was deployed by an older version of this program; run pulumi up on it first"],
        ],
        ["a base without node access", {}, { access: undefined }, ["infra:burst.baseStack: acme/infra/prod exports no node access (output `access`): run pulumi up on it with this version first"]],
        [
            "a Kubernetes version other than the base's",
            { kubernetesVersion: "1.36.2" },
            {},
            ["infra:kubernetes.version: 1.36.2 differs from the base cluster's 1.35.9: burst workers run the base's version (leave it out, or match it)"],
        ],
        [
            "a cluster name the base's certificate approver would not accept",
            { clusterName: "burst" },
            {},
            ["infra:clusterName: must start with the base cluster's name and a dash (e.g. acme-prod-burst): the base approves kubelet certificates by node name"],
        ],
    ];
    for (const [name, req, raw, expected] of cases)
        it(name, () => {
            assert.deepEqual(problemsOf(checkBase({ ...request, ...req }, { ...base, ...raw } as Record<keyof BaseOutputs, unknown>)), expected);
        });

    it("a burst or apps-only stack named as the base is refused as such, not as an older version", () => {
        for (const mode of ["burst", "apps-only"])
            assert.deepEqual(problemsOf(checkBase(request, { clusterName: "acme-local", join: undefined, access: undefined, mesh: undefined }, mode)), [
                `infra:burst.baseStack: acme/infra/prod is a ${mode} stack, not a cluster: infra:burst.baseStack names the running cluster's stack`,
            ]);
        assert.ok("base" in checkBase(request, base, "cluster"));
    });

    it("a base without a mesh: its private addresses are out of the burst workers' reach", () => {
        assert.deepEqual(problemsOf(checkBase(request, { ...base, mesh: null })), [
            "infra:burst.baseStack: acme/infra/prod has no mesh (infra:mesh.enabled on the base): burst workers sit on a network of their own and reach the base's API only over the mesh; enable it on the base first",
        ]);
    });
});
