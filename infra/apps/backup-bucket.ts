/**
 * The backups' bucket on AWS, when the stack creates it: private, encrypted, versioned (a
 * deleted or overwritten dump can be recovered), old versions expired after the retention, and
 * protected: destroying the stack must not take the backups with it.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface BackupBucketArgs {
    /** Name of the bucket. */
    readonly bucket: string;
    /** AWS region of the bucket. */
    readonly region: string;
    /** Days an overwritten or deleted dump stays recoverable. */
    readonly retentionDays: number;
    /** Tags of the bucket. */
    readonly tags: Record<string, string>;
}

export function createBackupBucket(name: string, a: BackupBucketArgs, parent: pulumi.Resource): aws.s3.Bucket {
    const opts = { parent };
    const region = { region: a.region };
    const bucket = new aws.s3.Bucket(name, { bucket: a.bucket, ...region, tags: a.tags }, { ...opts, protect: true });
    new aws.s3.BucketPublicAccessBlock(`${name}-private`, { bucket: bucket.id, ...region, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true }, opts);
    new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, { bucket: bucket.id, ...region, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] }, opts);
    new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, ...region, versioningConfiguration: { status: "Enabled" } }, opts);
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-retention`,
        { bucket: bucket.id, ...region, rules: [{ id: "expire-old-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: a.retentionDays } }] },
        opts,
    );
    return bucket;
}

export class BackupBucket extends pulumi.ComponentResource {
    readonly bucket: aws.s3.Bucket;

    constructor(name: string, a: BackupBucketArgs, opts?: pulumi.ComponentResourceOptions) {
        super("infra:apps:BackupBucket", name, {}, opts);
        this.bucket = createBackupBucket(name, a, this);
        this.registerOutputs({ bucket: this.bucket.bucket });
    }
}
