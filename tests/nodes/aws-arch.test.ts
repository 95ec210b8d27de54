/**
 * The architecture of an EC2 instance type picks the Ubuntu AMI an AWS pool boots: an arm64 AMI
 * on an x86 instance (or the reverse) does not launch. Checked rule by rule, over every family the
 * AWS provider knows, and end to end: a g5g pool looks up an arm64 AMI.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { InstanceType } from "@pulumi/aws/types/enums/ec2";
import { architectureOf, ubuntuAmiNamePattern } from "../../infra/nodes/aws";
import { awsConfig, planConfig } from "../helpers";

/**
 * AWS's arm64 families: Graviton 1 to 5, and the NVIDIA GB200 (Grace CPUs). Written out by hand
 * from AWS's instance type documentation, not derived from the rule under test.
 */
const ARM64_FAMILIES = [
    "a1",
    "t4g",
    "m6g", "m6gd", "m7g", "m7gd", "m8g", "m8gb", "m8gd", "m8gn", "m9g", "m9gd",
    "c6g", "c6gd", "c6gn", "c7g", "c7gd", "c7gn", "c8g", "c8gb", "c8gd", "c8gn", "c9g", "c9gd",
    "r6g", "r6gd", "r7g", "r7gd", "r8g", "r8gb", "r8gd", "r8gn",
    "x2gd", "x8g",
    "i4g", "i8g", "i8ge", "im4gn", "is4gen",
    "g5g",
    "hpc7g",
    "p6e-gb200",
];

const familyOf = (instanceType: string) => instanceType.split(".")[0];

describe("architectureOf: one case per rule", () => {
    const CASES: [rule: string, instanceType: string, arch: "arm64" | "x86_64"][] = [
        ["Graviton: g after the generation", "t4g.small", "arm64"],
        ["Graviton: g after the generation", "m7g.large", "arm64"],
        ["Graviton with options after the g", "c8gd.xlarge", "arm64"],
        ["Graviton with options after the g", "c7gn.large", "arm64"],
        ["Graviton with options after the g", "r8gb.2xlarge", "arm64"],
        ["Graviton, memory class x", "x2gd.xlarge", "arm64"],
        ["Graviton, two-letter storage classes", "im4gn.large", "arm64"],
        ["Graviton, two-letter storage classes", "is4gen.medium", "arm64"],
        ["Graviton, storage class i", "i8ge.large", "arm64"],
        ["Graviton, HPC class", "hpc7g.16xlarge", "arm64"],
        ["Graviton GPU family: class g, processor g", "g5g.xlarge", "arm64"],
        ["Graviton GPU family: class g, processor g", "g5g.metal", "arm64"],
        ["Graviton 5", "m9g.large", "arm64"],
        ["the first Graviton, named before the convention", "a1.medium", "arm64"],
        ["Grace CPUs of the GB200", "p6e-gb200.36xlarge", "arm64"],
        ["Intel", "t3.medium", "x86_64"],
        ["Intel", "m7i.large", "x86_64"],
        ["Intel flex", "c7i-flex.large", "x86_64"],
        ["AMD", "c7a.large", "x86_64"],
        ["AMD", "m8azn.medium", "x86_64"],
        ["GPU class g on Intel", "g4dn.xlarge", "x86_64"],
        ["GPU class g on AMD", "g4ad.xlarge", "x86_64"],
        ["GPU class g on AMD", "g6.xlarge", "x86_64"],
        ["GPU class gr", "gr6.4xlarge", "x86_64"],
        ["GPU class p", "p5.48xlarge", "x86_64"],
        ["GPU class p with a suffix", "p6-b200.48xlarge", "x86_64"],
        ["Inferentia", "inf2.xlarge", "x86_64"],
        ["Trainium", "trn2.48xlarge", "x86_64"],
        ["Gaudi", "dl1.24xlarge", "x86_64"],
        ["a g before the generation is the class (Cluster GPU), not Graviton", "cg1.4xlarge", "x86_64"],
        ["high memory with a size suffix", "u7i-12tb.224xlarge", "x86_64"],
        ["high memory without a generation", "u-6tb1.metal", "x86_64"],
        ["high frequency", "z1d.large", "x86_64"],
    ];
    for (const [rule, instanceType, arch] of CASES) {
        it(`${instanceType} -> ${arch} (${rule})`, () => assert.equal(architectureOf(instanceType), arch));
    }

    for (const instanceType of ["mac1.metal", "mac2.metal", "mac2-m2pro.metal", "mac-m4.metal"]) {
        it(`${instanceType} is refused: Mac instances run only macOS, there is no Ubuntu AMI`, () => {
            assert.throws(() => architectureOf(instanceType), new RegExp(`^Error: ${instanceType.replace(/\./g, "\\.")} is an EC2 Mac instance: .*no Ubuntu AMI`));
        });
    }
});

describe("architectureOf over every instance family the AWS provider knows", () => {
    const families = [...new Set(Object.values(InstanceType).map(familyOf))].sort();

    it("the hand-written arm64 list names real families", () => {
        for (const f of ARM64_FAMILIES) assert.ok(families.includes(f), `${f} is not an instance family of @pulumi/aws`);
    });

    it("answers arm64 exactly for the arm64 families, x86_64 for the others, and refuses Mac families", () => {
        const wrong: string[] = [];
        for (const f of families) {
            const instanceType = Object.values(InstanceType).find((t) => familyOf(t) === f)!;
            if (f.startsWith("mac")) {
                assert.throws(() => architectureOf(instanceType), /EC2 Mac instance/, instanceType);
                continue;
            }
            const expected = ARM64_FAMILIES.includes(f) ? "arm64" : "x86_64";
            if (architectureOf(instanceType) !== expected) wrong.push(`${instanceType}: ${architectureOf(instanceType)}, expected ${expected}`);
        }
        assert.deepEqual(wrong, []);
    });
});

describe("the Ubuntu AMI name pattern per release and architecture", () => {
    const CASES: [image: "ubuntu-22.04" | "ubuntu-24.04", arch: "arm64" | "x86_64", pattern: string][] = [
        ["ubuntu-24.04", "arm64", "ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-arm64-server-*"],
        ["ubuntu-24.04", "x86_64", "ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-amd64-server-*"],
        ["ubuntu-22.04", "arm64", "ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-arm64-server-*"],
        ["ubuntu-22.04", "x86_64", "ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-amd64-server-*"],
    ];
    for (const [image, arch, pattern] of CASES) {
        it(`${image} ${arch}`, () => assert.equal(ubuntuAmiNamePattern(image, arch), pattern));
    }
});

describe("an AWS pool of g5g.xlarge (Graviton with an NVIDIA T4G)", async () => {
    const config = awsConfig([
        { name: "cp", provider: "aws", role: "control-plane", count: 1, instanceType: "t3.medium" },
        { name: "gpu", provider: "aws", role: "worker", count: 1, instanceType: "g5g.xlarge" },
        { name: "gpuasg", provider: "aws", role: "worker", instanceType: "g5g.xlarge", autoscaling: { min: 0, desired: 1, max: 2 } },
    ]);
    const { plan, named } = await planConfig(config, "arch");
    type Filter = { name: string; values: string[] };
    const amiLookups = plan.lookups.filter((l) => l.token === "aws:ec2/getAmi:getAmi").map((l) => l.args.filters as Filter[]);
    const filter = (filters: Filter[], name: string) => filters.find((f) => f.name === name)?.values;

    it("looks up an arm64 Ubuntu AMI, and an amd64 one only for the t3 control plane", () => {
        assert.deepEqual(amiLookups.map((f) => filter(f, "architecture")).sort(), [["arm64"], ["arm64"], ["x86_64"]]);
        assert.deepEqual(amiLookups.map((f) => filter(f, "name")).sort(), [
            ["ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-amd64-server-*"],
            ["ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-arm64-server-*"],
            ["ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-arm64-server-*"],
        ]);
    });

    it("boots the g5g instance and launch template from that AMI, not the control plane's", () => {
        const gpuAmi = named("infra-arch-gpu-1").inputs.ami;
        assert.equal(named("infra-arch-gpu-1").inputs.instanceType, "g5g.xlarge");
        assert.equal(named("infra-arch-gpuasg-template").inputs.imageId, gpuAmi, "same architecture, same lookup");
        assert.notEqual(named("infra-arch-cp-1").inputs.ami, gpuAmi);
    });
});
