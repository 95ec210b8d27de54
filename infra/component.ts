/**
 * The pulumi-eks pattern without the copying: a component whose constructor hands the work to an
 * exported `createX(name, args, parent)` and whose fields are what that returns. Declare one as
 * `export class X extends thinComponent("infra:<module>:X", createX) {}`; tests call `createX`.
 * Such a class declares no fields: with ES2022 class fields, a declared field (`readonly x: T;`)
 * is redefined as undefined right after this constructor copied `createX`'s result in.
 */
import * as pulumi from "@pulumi/pulumi";

export type ThinComponent<A, R> = new (name: string, args: A, opts?: pulumi.ComponentResourceOptions) => pulumi.ComponentResource & Readonly<R>;

export function thinComponent<A, R extends object>(
    type: string,
    create: (name: string, args: A, parent: pulumi.ComponentResource) => R,
    /** What the component reports as its outputs; nothing by default. */
    outputs: (r: R) => pulumi.Inputs = () => ({}),
): ThinComponent<A, R> {
    class Thin extends pulumi.ComponentResource {
        constructor(name: string, args: A, opts?: pulumi.ComponentResourceOptions) {
            super(type, name, {}, opts);
            const r = create(name, args, this);
            Object.assign(this, r);
            this.registerOutputs(outputs(r));
        }
    }
    return Thin as unknown as ThinComponent<A, R>;
}
