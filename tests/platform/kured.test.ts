/**
 * kured (issue 18): opt-in, its chart pinned, the stack file's window passed as the chart reads it
 * (kured's timewindow: HH:MM, day abbreviations, an IANA zone), never forcing a reboot past a
 * PodDisruptionBudget, in a privileged namespace of its own (hostPID, nsenter), and only on a
 * cluster this stack builds.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CHARTS } from "../../infra/platform/versions";
import { planConfig, problems, withConfig } from "../helpers";

describe("kured", () => {
    it("is not installed unless enabled", async () => {
        const { plan } = await planConfig(withConfig(() => undefined));
        assert.ok(!plan.resources.some((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "kured"));
    });

    it("installs the pinned chart with the window, concurrency 1 and no forced reboots, in a privileged namespace", async () => {
        const { plan } = await planConfig(withConfig((c) => (c["infra:platform"].kured = { enabled: true, days: ["sa", "su"], start: "01:30", end: "04:00", timeZone: "Europe/Madrid" })));
        const chart = plan.resources.find((r) => r.type === "kubernetes:helm.sh/v4:Chart" && r.inputs.chart === "kured")!;
        assert.equal(chart.inputs.version, CHARTS.kured.version);
        assert.equal(chart.inputs.namespace, "kured");
        const conf = (chart.inputs.values as { configuration: Record<string, unknown> }).configuration;
        assert.deepEqual(
            { days: conf.rebootDays, start: conf.startTime, end: conf.endTime, zone: conf.timeZone, concurrency: conf.concurrency, force: conf.forceReboot },
            { days: ["sa", "su"], start: "01:30", end: "04:00", zone: "Europe/Madrid", concurrency: 1, force: false },
        );
        const ns = plan.resources.find((r) => r.type === "kubernetes:core/v1:Namespace" && (r.inputs.metadata as { name: string }).name === "kured")!;
        assert.equal((ns.inputs.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"], "privileged");
    });

    it("refuses a malformed window and a stack that does not build its nodes, naming the key", () => {
        assert.deepEqual(problems(withConfig((c) => (c["infra:platform"].kured = { enabled: true, start: "2am" }))), ["infra:platform.kured.start: must be a time HH:MM (24 hours)"]);
        assert.deepEqual(problems(withConfig((c) => (c["infra:platform"].kured = { enabled: true, days: ["monday"] }))), ["infra:platform.kured.days[0]: must be a day: mo, tu, we, th, fr, sa or su"]);
        const appsOnly = problems(
            withConfig((c) => {
                c["infra:mode"] = "apps-only";
                c["infra:platform"].kured = { enabled: true };
            }),
        );
        assert.ok(appsOnly.some((p) => p.startsWith("infra:platform.kured.enabled: reboots nodes this stack builds")), appsOnly.join("\n"));
    });
});
