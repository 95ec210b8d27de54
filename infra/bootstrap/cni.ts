/**
 * Calico through the Tigera operator's official chart, pinned: VXLAN encapsulation (works on
 * every provider's network, unlike IP-in-IP, which Hetzner and AWS filter), pod CIDR from the
 * config, node addresses autodetected from the kubelet's node IP (the private address).
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../config";
import { installChart } from "../platform/helm";

export const CALICO_CHART_REPO = "https://docs.tigera.io/calico/charts";

export interface CalicoArgs {
    readonly version: string;
    readonly podCidr: string;
    /** The pod network's MTU, when the nodes' links need less than Calico detects (the WireGuard mesh). */
    readonly mtu?: number;
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
            mtu?: number;
        };
    };
}

/**
 * `mtu`: Felix sizes VXLAN from the interfaces its regex matches, which leaves wg0 out; over the
 * mesh it must be set, or full-size pod packets fragment.
 */
export function calicoValues(podCidr: string, mtu?: number): CalicoValues {
    return {
        installation: {
            cni: { type: "Calico" },
            calicoNetwork: {
                bgp: "Disabled",
                ipPools: [{ cidr: podCidr, encapsulation: "VXLAN", natOutgoing: "Enabled", blockSize: 26, nodeSelector: "all()" }],
                nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
                ...(mtu ? { mtu } : {}),
            },
        },
    };
}

/**
 * Since Calico 3.32 the tigera-operator chart carries no CRDs (its README: install the
 * `crd.projectcalico.org.v1` chart first): without them its Installation and APIServer objects have
 * no kind to be. The CRD chart goes first, at the same version; the operator leaves the CRDs to it
 * (`manageCRDs: false`: one owner, no field manager fight on an upgrade).
 */
export function installCalico(name: string, args: CalicoArgs, parent: pulumi.Resource): k8s.helm.v4.Chart {
    const crds = installChart(
        `${name}-calico-crds`,
        {
            ref: { chart: CALICO_CRD_CHART, version: `v${args.version}`, repo: CALICO_CHART_REPO },
            namespace: PLATFORM_NAMESPACES.calicoOperator,
            createNamespace: false,
            podSecurity: "privileged",
            values: {},
            provider: args.provider,
            dependsOn: args.dependsOn,
        },
        parent,
    );
    return installChart(
        `${name}-calico`,
        {
            ref: { chart: "tigera-operator", version: `v${args.version}`, repo: CALICO_CHART_REPO },
            namespace: PLATFORM_NAMESPACES.calicoOperator,
            podSecurity: "privileged",
            values: { ...calicoValues(args.podCidr, args.mtu), manageCRDs: false },
            provider: args.provider,
            dependsOn: [...args.dependsOn, crds],
        },
        parent,
    );
}

export const CALICO_CRD_CHART = "crd.projectcalico.org.v1";
