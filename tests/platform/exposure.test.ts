/** How the ingress controller is exposed on each cloud, as pure functions of the platform choices. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hetznerIngressAnnotations, ingressExposure } from "../../infra/platform";

describe("ingressExposure", () => {
    const cases: [string, "hetzner" | "aws" | "none", "loadBalancer" | "nodePort" | "hostNetwork", string][] = [
        ["AWS load balancer: the program's NLB feeds node ports (no AWS cloud controller in the cluster)", "aws", "loadBalancer", "nodePort"],
        ["Hetzner load balancer: the cloud controller implements the LoadBalancer Service", "hetzner", "loadBalancer", "loadBalancer"],
        ["node ports stay node ports", "none", "nodePort", "nodePort"],
        ["host network on AWS stays host network", "aws", "hostNetwork", "hostNetwork"],
    ];
    for (const [name, cloudIntegration, exposure, expected] of cases) it(name, () => assert.equal(ingressExposure({ cloudIntegration, exposure }), expected));
});

describe("hetznerIngressAnnotations", () => {
    it("names the balancer, places it, and sends traffic to the nodes' private addresses without PROXY protocol", () => {
        assert.deepEqual(hetznerIngressAnnotations({ loadBalancerName: "acme-dev-ingress", location: "fsn1" }), {
            "load-balancer.hetzner.cloud/name": "acme-dev-ingress",
            "load-balancer.hetzner.cloud/location": "fsn1",
            "load-balancer.hetzner.cloud/use-private-ip": "true",
            "load-balancer.hetzner.cloud/uses-proxyprotocol": "false",
        });
    });
});
