/** Images the apps layer runs itself (the app's own images come from the stack file), pinned. */
export const IMAGES = {
    // MariaDB 11.4 LTS.
    mariadb: "docker.io/library/mariadb:11.4.12",
    // Client for Percona XtraDB (MySQL 8 protocol and authentication).
    mysqlClient: "docker.io/library/mysql:8.4.6",
    awsCli: "docker.io/amazon/aws-cli:2.27.0",
} as const;
