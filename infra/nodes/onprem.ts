/**
 * On-prem machines that already exist (VMware VMs or bare metal): nothing is created, each
 * listed machine becomes a node once its readiness gate reached it over SSH.
 */
import * as pulumi from "@pulumi/pulumi";
import type { OnpremPoolSettings } from "../config";
import type { NodeAccess } from "./access";
import { machineNode } from "./node";
import type { ClusterNode } from "./types";

export interface OnpremPoolArgs {
    readonly pool: OnpremPoolSettings;
    readonly access: NodeAccess;
}

export class OnpremPool extends pulumi.ComponentResource {
    readonly nodes: ClusterNode[];

    constructor(name: string, args: OnpremPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        const { pool } = args;
        super(pool.provider === "vmware" ? "infra:nodes:VmwarePool" : "infra:nodes:StaticPool", name, {}, opts);
        this.nodes = pool.nodes.map((n) =>
            machineNode(
                pool,
                { name: n.name, publicAddress: pulumi.output(n.address), privateAddress: pulumi.output(n.privateAddress ?? n.address), user: n.user, port: n.port, viaBastion: true },
                args.access,
                this,
            ),
        );
        this.registerOutputs({ nodes: this.nodes.map((n) => n.name) });
    }
}
