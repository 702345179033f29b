import ArgumentParser
import Layout
import JobSpec

/// Where the job file is and what the run writes beside its output; shared by backup and restore.
struct JobOptions: ParsableArguments {
    // An array only to see a second `--job`, which would otherwise replace the first in silence.
    @Option(
        name: .customLong("job"),
        help: ArgumentHelp("YAML job file holding the same settings as the flags; flags override it (default: none).", valueName: "file"))
    var jobs: [String] = []

    var job: String? { jobs.first }

    func validate() throws {
        if jobs.count > 1 {
            throw ValidationError(
                "--job given \(jobs.count) times (\(jobs.joined(separator: ", "))): a run reads one job file; run each job on its own")
        }
    }

    @Flag(name: .customLong("print-config"), help: "Print the effective settings (secrets masked) and exit.")
    var printConfig = false

    @Option(
        name: .customLong("summary-json"),
        help: ArgumentHelp("Write a JSON summary of the run to this file (default: none).", valueName: "file"))
    var summaryJSON: String?

    /// The job file with `flags` over it, validated; nil once `--print-config` has printed it.
    func settings(for command: JobCommand, flags: JobDocument, log: LogOptions) async throws -> JobSpec? {
        log.applyBeforeValidation(command: command)
        // --print-config inspects a job: its refusal is no run's to report.
        let settings = try await EffectiveJob.load(command: command, jobPath: job, flags: flags, reportRefusal: !printConfig)
        Console.configure(settings.common)
        guard !printConfig else {
            print(settings.effectiveConfigText(masked: true) + KafkaSettings.describeMSKIAM(settings.common), terminator: "")
            return nil
        }
        return settings
    }

    func add(to values: inout JobDocument) {
        values.flag(.summaryJSON, summaryJSON)
    }
}

/// How to reach Kafka.
struct KafkaOptions: ParsableArguments {
    @Option(
        name: [.customShort("b"), .customLong("bootstrap-servers")],
        help: ArgumentHelp("Kafka bootstrap list, host:port[,host:port] (required).", valueName: "list"))
    var bootstrapServers: String?

    @Option(
        name: .customShort("X"), parsing: .unconditionalSingleValue,
        help: ArgumentHelp(
            "Any librdkafka property (security.protocol, sasl.*, ssl.*); repeatable. `topic.` goes to the topic config.",
            valueName: "key=value"))
    var properties: [String] = []

    @Flag(
        name: .customLong("msk-iam"), inversion: .prefixedNo,
        help:
            "Amazon MSK IAM authentication: SASL_SSL + OAUTHBEARER with tokens signed by the AWS credentials; region from --region, else the broker host names (default: off)."
    )
    var mskIAM: Bool?

    @Option(
        name: .customLong("stall-timeout"), parsing: .unconditional,
        help: ArgumentHelp(
            "Seconds a run may wait on Kafka without progress (a broker gone, a partition stuck) before it fails with one line (default: 120).",
            valueName: "seconds"))
    var stallTimeout: String?

    func validate() throws {
        for property in properties where !property.contains("=") || property.hasPrefix("=") {
            throw ValidationError("-X \(property): expected key=value")
        }
    }

    func add(to values: inout JobDocument) {
        values.flag(.bootstrapServers, bootstrapServers)
        var map: [String: String] = [:]
        for property in properties {
            let parts = property.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            map[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        values.flag(.kafkaProperty, map: map)
        values.flag(.mskIAM, set: mskIAM)
        values.flag(.stallTimeout, stallTimeout)
    }
}

/// Where the store is and how to write to it.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("s3://bucket[/prefix], file:///path or a plain directory (required).", valueName: "url"))
    var store: String?

    @Option(
        name: .customLong("endpoint-url"),
        help: ArgumentHelp(
            "S3-compatible endpoint (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the profile's services or endpoint_url, else AWS).",
            valueName: "url"))
    var endpointURL: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, else us-east-1).", valueName: "region"))
    var region: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "AWS profile for credentials, region and endpoints; environment keys are then not used (default: AWS_PROFILE, else default).",
            valueName: "name"))
    var profile: String?

    @Option(
        name: .customLong("addressing-style"),
        help: ArgumentHelp(
            "How S3 requests name the bucket; auto is virtual-hosted on AWS, path-style with --endpoint-url (default: the profile's s3 addressing_style, else auto).",
            valueName: "auto|path|virtual"))
    var addressingStyle: String?

    @Option(
        name: .customLong("topics-dir"),
        help: ArgumentHelp("First folder of the data layout, Confluent's topics.dir (default: topics).", valueName: "dir"))
    var topicsDir: String?

    @Option(name: .long, help: ArgumentHelp("Server-side encryption (default: the bucket's).", valueName: "AES256|aws:kms"))
    var sse: String?

    @Option(
        name: .customLong("sse-kms-key-id"),
        help: ArgumentHelp("KMS key for --sse aws:kms (default: the account's aws/s3 key).", valueName: "id"))
    var sseKMSKeyID: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Canned ACL, e.g. bucket-owner-full-control for another account's bucket (default: none).", valueName: "acl"))
    var acl: String?

    @Option(
        name: .customLong("expected-bucket-owner"),
        help: ArgumentHelp("Account id the bucket must belong to (default: not checked).", valueName: "account"))
    var expectedBucketOwner: String?

    func add(to values: inout JobDocument) {
        values.flag(.store, store)
        values.flag(.endpointURL, endpointURL)
        values.flag(.region, region)
        values.flag(.profile, profile)
        values.flag(.addressingStyle, addressingStyle)
        values.flag(.topicsDir, topicsDir)
        values.flag(.sse, sse)
        values.flag(.sseKMSKeyID, sseKMSKeyID)
        values.flag(.acl, acl)
        values.flag(.expectedBucketOwner, expectedBucketOwner)
    }
}
