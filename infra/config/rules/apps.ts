/** Rules on the application: pinned images in prod, workloads that can be drained and scaled, database and backups. */
import { INGRESS_NODE_PORTS, reservedNamespace } from "../platform";
import type { ValidationContext } from "../validate";
import type { Settings } from "../schema";
import { infraKey as P, type Report } from "./common";

type Apps = NonNullable<Settings["apps"]>;
/** What backend, frontend and the extra workloads have in common. */
type Workload = Pick<Apps["workloads"][number], "image" | "replicas" | "minAvailable" | "autoscaling" | "resources" | "env" | "secrets">;

/** The tag of an image reference (`registry:5000/team/app:1.2` -> `1.2`), if it has one. */
export function imageTag(ref: string): string | undefined {
    const name = ref.split("@")[0];
    const last = name.slice(name.lastIndexOf("/") + 1);
    return last.includes(":") ? last.slice(last.indexOf(":") + 1) : undefined;
}

const CRON_RANGES: [string, number, number][] = [
    ["minute", 0, 59],
    ["hour", 0, 23],
    ["day of month", 1, 31],
    ["month", 1, 12],
    ["day of week", 0, 7],
];

/** The numbers of a (syntactically valid) cron schedule outside their field's range. */
export function cronRangeProblem(schedule: string): string | undefined {
    const fields = schedule.split(" ");
    for (let i = 0; i < 5; i++) {
        const [name, lo, hi] = CRON_RANGES[i];
        for (const n of fields[i].split(/[,\-/]/).filter((x) => /^\d+$/.test(x)).map(Number)) {
            // A step (*/90) is not a value of the field.
            if (fields[i].includes(`/${n}`) && !fields[i].startsWith(`${n}`)) continue;
            if (n < lo || n > hi) return `${name} ${n} is out of range ${lo}-${hi}`;
        }
    }
    return undefined;
}

/**
 * Environment variables the program fills itself (from Secrets or the settings): a plain `env` or an
 * app secret of the same name would shadow or be shadowed by it.
 */
export const PROGRAM_ENV = ["DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "STATIC_ROOT", "DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD"];
/** Names that say "secret": refused in plain `env`, which lands in the Deployment's spec. */
const SECRET_LOOKING = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL)/i;

function envProblems(w: Pick<Apps["workloads"][number], "env" | "secrets">, path: (...more: PropertyKey[]) => string, appSecrets: readonly string[], add: Report): void {
    for (const name of Object.keys(w.env)) {
        if (PROGRAM_ENV.includes(name)) add(path("env", name), `is set by the program (${PROGRAM_ENV.join(", ")}): remove it`);
        else if (SECRET_LOOKING.test(name))
            add(path("env", name), `looks like a secret, and plain env lands in the Deployment's spec: set it with pulumi config set --secret --path 'infra:appSecrets.${name}' ... and list "${name}" in secrets`);
    }
    for (const [i, name] of w.secrets.entries()) {
        if (PROGRAM_ENV.includes(name)) add(path("secrets", i), `${name} is set by the program: pick another name`);
        else if (!appSecrets.includes(name)) add(path("secrets", i), `${name} is not an entry of infra:appSecrets: pulumi config set --secret --path 'infra:appSecrets.${name}' ...`);
        else if (name in w.env) add(path("secrets", i), `${name} is also in env: keep one`);
    }
}

export function appsProblems(s: Settings, apps: Apps, ctx: Pick<ValidationContext, "choices" | "appSecrets">, add: Report): void {
    const choices = ctx.choices;
    const reserved = reservedNamespace(apps.namespace);
    if (reserved) add(P("apps", "namespace"), `cannot be ${apps.namespace}: ${reserved}; use a namespace of the application's own, such as apps`);
    const workloads: [PropertyKey[], Workload][] = [
        ...(apps.backend ? [[["apps", "backend"], apps.backend] as [PropertyKey[], Workload]] : []),
        ...(apps.frontend ? [[["apps", "frontend"], apps.frontend] as [PropertyKey[], Workload]] : []),
        ...apps.workloads.map((w, i) => [["apps", "workloads", i], w] as [PropertyKey[], Workload]),
    ];
    for (const [at, w] of workloads) {
        workloadProblems(s, w, (...more) => P(...at, ...more), add);
        envProblems(w, (...more) => P(...at, ...more), ctx.appSecrets, add);
    }
    const names = new Set(["backend", "frontend", "database"]);
    apps.workloads.forEach((w, i) => {
        if (names.has(w.name)) add(P("apps", "workloads", i, "name"), `"${w.name}" is taken (backend, frontend, database and each workload need distinct names)`);
        names.add(w.name);
        if (w.nodePort !== undefined && w.service !== "NodePort") add(P("apps", "workloads", i, "nodePort"), "is only allowed with service NodePort");
        const port = w.nodePort;
        if (port !== undefined) {
            const first = apps.workloads.findIndex((o) => o.nodePort === port);
            if (first < i) add(P("apps", "workloads", i, "nodePort"), `${port} is already infra:apps.workloads[${first}].nodePort: a node port serves one Service`);
            else if (choices.install.ingress && Object.values(INGRESS_NODE_PORTS).includes(port as never))
                add(P("apps", "workloads", i, "nodePort"), `${port} is the ingress controller's (${INGRESS_NODE_PORTS.http} and ${INGRESS_NODE_PORTS.https} are reserved for it): pick another port in 30000-32767`);
        }
        if (w.useDatabase && !apps.database) add(P("apps", "workloads", i, "useDatabase"), "needs apps.database");
    });
    const db = apps.database;
    if (db?.engine === "percona" && db.members % 2 === 0) add(P("apps", "database", "members"), `must be odd (1, 3, 5...) for Galera quorum, got ${db.members}`);
    if (db?.engine === "percona" && db.initSql) add(P("apps", "database", "initSql"), "is only supported with engine mariadb");
    if (apps.backups) {
        const problem = cronRangeProblem(apps.backups.schedule);
        if (problem) add(P("apps", "backups", "schedule"), `${problem} (cron: minute hour day-of-month month day-of-week)`);
        if (!db) add(P("apps", "backups"), "needs apps.database: there is nothing to back up");
        if (apps.backups.createBucket && apps.backups.endpoint)
            add(P("apps", "backups", "createBucket"), "creates an AWS S3 bucket: it cannot be combined with an endpoint (create buckets on other storage yourself)");
    }
}

function workloadProblems(s: Settings, w: Workload, path: (...more: PropertyKey[]) => string, add: Report): void {
    const tag = imageTag(w.image);
    const pinned = w.image.includes("@sha256:") || (tag !== undefined && tag !== "latest");
    if (s.environment === "prod" && !pinned) add(path("image"), `${w.image} has no version: in prod an image needs a tag other than latest, or a digest`);
    const floor = w.autoscaling?.minReplicas ?? w.replicas;
    if (w.minAvailable !== undefined && w.minAvailable >= floor)
        add(path("minAvailable"), `${w.minAvailable} leaves no pod to evict with ${floor} replica(s): drains could never finish; use at most ${Math.max(0, floor - 1)}`);
    if (w.autoscaling) {
        if (!w.resources.cpuRequest) add(path("resources", "cpuRequest"), "is required with autoscaling: the autoscaler scales on CPU use relative to the request");
        if (w.autoscaling.minReplicas > w.autoscaling.maxReplicas)
            add(path("autoscaling", "minReplicas"), `must not exceed maxReplicas (${w.autoscaling.minReplicas} > ${w.autoscaling.maxReplicas})`);
    }
}
