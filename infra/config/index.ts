export * from "./errors";
export * from "./load";
export * from "./schema";
export { cidrContains, cidrContainsAddress, cidrsOverlap, subnetOf } from "./cidr";
export { BURST_POOL_OFFSET, controlPlaneCount, MAX_MESH_NODES_PER_POOL, meshAddresses, nodeName, nodeNames } from "./names";
export * from "./platform";
export { isMacInstanceType } from "./rules/nodes";
