/**
 * The backups' bucket on AWS, when the stack creates it: private, encrypted, versioned (a
 * deleted or overwritten dump can be recovered), old versions expired after the retention, and
 * protected: destroying the stack must not take the backups with it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BackupBucketArgs {
    readonly bucket: string;
    readonly region: string;
    readonly retentionDays: number;
    readonly tags: Record<string, string>;
}

export class BackupBucket extends pulumi.ComponentResource {
    readonly bucket: aws.s3.Bucket;

    constructor(name: string, a: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:apps:BackupBucket", name, {}, opts);
        const parent = { parent: this };
        const region = { region: a.region };
        this.bucket = new aws.s3.Bucket(name, { bucket: a.bucket, ...region, tags: a.tags }, { ...parent, protect: true });
        new aws.s3.BucketPublicAccessBlock(`${name}-private`, { bucket: this.bucket.id, ...region, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, parent);
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { bucket: this.bucket.id, ...region, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, parent);
        new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: this.bucket.id, ...region, versioningConfiguration: { status: "Enabled" } }, parent);
        new aws.s3.BucketLifecycleConfiguration(
            `${name}-retention`,
            { bucket: this.bucket.id, ...region, rules: [{ id: "expire-old-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: a.retentionDays } }] },
            parent,
        );
        this.registerOutputs({ bucket: this.bucket.bucket });
    }
}
