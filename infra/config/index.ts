export * from "./errors";
export * from "./load";
export * from "./schema";
export { cidrContains, cidrContainsAddress, cidrsOverlap, controlPlaneCount, nodeNames } from "./validate";
export * from "./platform";
