export * from "./errors";
export * from "./load";
export * from "./schema";
export { cidrContains, cidrContainsAddress, cidrsOverlap, subnetOf } from "./cidr";
export { controlPlaneCount, nodeName, nodeNames } from "./names";
export * from "./platform";
export { isMacInstanceType } from "./rules/nodes";
