/**
 * One fact for bursting: the taint burst workers carry is the one the base's apps tolerate
 * (infra/nodes/labels.ts). The label is not a setting: a burst stack's settings never reach the
 * base stack that deploys the tolerating workloads, so a configurable label could only diverge.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as YAML from "yaml";
import { parseBundle } from "../../infra/bootstrap/remote";
import { isConfigError } from "../../infra/config";
import { BURST_LABEL } from "../../infra/nodes/labels";
import { planStack, planText, readStackFile, stackFilePath } from "../../tools/plan";

interface Taint {
    key: string;
    value?: string;
    effect: string;
}
interface Toleration {
    key?: string;
    operator?: string;
    value?: string;
    effect?: string;
}

/** Kubernetes' rule: does a toleration tolerate a taint. */
function tolerates(t: Toleration, taint: Taint): boolean {
    if (t.effect && t.effect !== taint.effect) return false;
    if (t.operator === "Exists") return !t.key || t.key === taint.key;
    return t.key === taint.key && (t.value ?? "") === (taint.value ?? "");
}

const stackDoc = (stack: string) => YAML.parse(require("node:fs").readFileSync(readStackFile(stackFilePath(stack)).path, "utf8"));

describe("burst workers and the apps that tolerate them", async () => {
    const burst = await planStack("prod-burst");
    const prodDoc = stackDoc("prod");
    prodDoc.config["infra:apps"].tolerateBurst = true;
    const prod = await planText("prod", YAML.stringify(prodDoc));

    it("every taint a burst worker registers with is tolerated by prod's app pods with apps.tolerateBurst", () => {
        const joins = burst.resources.filter((r) => r.type === "command:remote:Command" && r.name.endsWith("-join"));
        assert.ok(joins.length > 0);
        const pods = prod.resources.filter((r) => r.inputs.kind === "Deployment");
        const tolerating = pods.filter((d) => ((d.inputs.spec as any).template.spec.tolerations ?? []).length > 0);
        assert.ok(tolerating.length > 0, "prod sets apps.tolerateBurst");
        for (const j of joins) {
            const cfg = YAML.parse(parseBundle((burst.plainInputs.get(j.urn) as any).stdin).get("/etc/kubernetes/infra/kubeadm-join.yaml")!);
            const taints = cfg.nodeRegistration.taints as Taint[];
            assert.ok(taints.length > 0, `${j.name} is tainted`);
            for (const d of tolerating)
                for (const taint of taints)
                    assert.ok(
                        ((d.inputs.spec as any).template.spec.tolerations as Toleration[]).some((t) => tolerates(t, taint)),
                        `${(d.inputs.metadata as any).name} tolerates ${taint.key}=${taint.value}:${taint.effect}`,
                    );
        }
    });

    it("refuses infra:burst.label, which could only make the two sides disagree, saying why and what to do", async () => {
        const doc = stackDoc("prod-burst");
        doc.config["infra:burst"].label = "team.example.com/spot=yes";
        const message =
            `is no longer a setting: burst workers are labelled and tainted ${BURST_LABEL.key}=${BURST_LABEL.value}, ` +
            "which the base's apps tolerate (apps.tolerateBurst); delete the key";
        await assert.rejects(planText("burst-label", YAML.stringify(doc)), (e: unknown) => {
            assert.ok(isConfigError(e));
            assert.deepEqual(
                e.problems.filter((p) => p.path === "infra:burst.label"),
                [{ path: "infra:burst.label", message }],
            );
            return true;
        });
    });
});
