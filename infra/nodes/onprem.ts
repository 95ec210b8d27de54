/**
 * On-prem machines that already exist (VMware VMs or bare metal): nothing is created, each
 * listed machine becomes a node once its readiness gate reached it over SSH. The pool's type
 * says which kind it is: `VmwarePool` or `StaticPool`, one component each over `createOnpremPool`.
 */
import * as pulumi from "@pulumi/pulumi";
import type { OnpremPoolSettings } from "../config";
import { thinComponent } from "../component";
import type { NodeAccess } from "./access";
import { machineNode } from "./node";
import type { ClusterNode } from "./types";

export interface OnpremPoolArgs {
    readonly pool: OnpremPoolSettings;
    readonly access: NodeAccess;
}

export interface OnpremPoolParts {
    readonly nodes: ClusterNode[];
}

export function createOnpremPool(_name: string, args: OnpremPoolArgs, parent: pulumi.Resource): OnpremPoolParts {
    const { pool } = args;
    const nodes = pool.nodes.map((n) =>
        machineNode(
            pool,
            { name: n.name, publicAddress: pulumi.output(n.address), privateAddress: pulumi.output(n.privateAddress ?? n.address), user: n.user, port: n.port, viaBastion: true, hostKey: n.hostKey },
            args.access,
            parent,
        ),
    );
    return { nodes };
}

const outputs = (p: OnpremPoolParts) => ({ nodes: p.nodes.map((n) => n.name) });

export class VmwarePool extends thinComponent("infra:nodes:VmwarePool", createOnpremPool, outputs) {}
export class StaticPool extends thinComponent("infra:nodes:StaticPool", createOnpremPool, outputs) {}

/** A pool of existing machines, whichever kind. */
export type OnpremPool = VmwarePool | StaticPool;

/** The component of an on-prem pool: its type token follows the pool's provider. */
export function onpremPool(name: string, args: OnpremPoolArgs, opts?: pulumi.ComponentResourceOptions): OnpremPool {
    return args.pool.provider === "vmware" ? new VmwarePool(name, args, opts) : new StaticPool(name, args, opts);
}
