/**
 * Calico through the Tigera operator's official chart, pinned: VXLAN encapsulation (works on
 * every provider's network, unlike IP-in-IP, which Hetzner and AWS filter), pod CIDR from the
 * config, node addresses autodetected from the kubelet's node IP (the private address).
 */
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

export const CALICO_CHART_REPO = "https://docs.tigera.io/calico/charts";

export interface CalicoArgs {
    readonly version: string;
    readonly podCidr: string;
    readonly provider: k8s.Provider;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The chart's values, typed: only what this program sets. */
export interface CalicoValues {
    installation: {
        cni: { type: "Calico" };
        calicoNetwork: {
            bgp: "Disabled";
            ipPools: { cidr: string; encapsulation: "VXLAN"; natOutgoing: "Enabled"; blockSize: number; nodeSelector: string }[];
            nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" };
        };
    };
}

export function calicoValues(podCidr: string): CalicoValues {
    return {
        installation: {
            cni: { type: "Calico" },
            calicoNetwork: {
                bgp: "Disabled",
                ipPools: [{ cidr: podCidr, encapsulation: "VXLAN", natOutgoing: "Enabled", blockSize: 26, nodeSelector: "all()" }],
                nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
            },
        },
    };
}

export function installCalico(name: string, args: CalicoArgs, parent: pulumi.Resource): k8s.helm.v4.Chart {
    const ns = new k8s.core.v1.Namespace(
        `${name}-tigera-operator`,
        { metadata: { name: "tigera-operator", labels: { "pod-security.kubernetes.io/enforce": "privileged" } } },
        { provider: args.provider, parent, dependsOn: args.dependsOn },
    );
    return new k8s.helm.v4.Chart(
        `${name}-calico`,
        {
            chart: "tigera-operator",
            version: `v${args.version}`,
            repositoryOpts: { repo: CALICO_CHART_REPO },
            namespace: "tigera-operator",
            values: calicoValues(args.podCidr) as unknown as Record<string, pulumi.Input<unknown>>,
        },
        { provider: args.provider, parent, dependsOn: [ns] },
    );
}
