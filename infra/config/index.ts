export * from "./errors";
export * from "./load";
export * from "./schema";
export { addressCoverage, cidrContains, cidrContainsAddress, cidrsOverlap, isWorldOpen, subnetOf } from "./cidr";
export { BURST_POOL_OFFSET, controlPlaneCount, MAX_MESH_NODES_PER_POOL, meshAddresses, nodeName, nodeNames } from "./names";
export * from "./platform";
export { isMacInstanceType } from "./rules/nodes";
