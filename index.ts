// Pulumi entry point: the stack's outputs are what the composition returns.
import { program } from "./stacks";

export = program();
