import ArgumentParser
import Layout
import JobSpec

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Snapshot topics into a store; each run continues from the last and exits when caught up.",
        discussion: """
            Examples:
              ktape backup -b kafka:9092 --topics orders,payments --store s3://backups/prod
              ktape backup --job nightly.yaml --summary-json /var/run/ktape.json
              ktape backup -b kafka:9092 --topics-regex 'events\\..*' --store /mnt/backup \\
                --format confluent-json --compression gzip --flush-size 10000
            """
    )

    @OptionGroup(title: "Job") var job: JobOptions
    @OptionGroup(title: "Kafka") var kafka: KafkaOptions
    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Reporting") var reporting: ReportOptions
    @OptionGroup(title: "Logs") var log: LogOptions

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp(
            "Topics to back up, comma-separated or repeated (default: none; this or --topics-regex is required).", valueName: "a,b"))
    var topics: [String] = []

    @Option(
        name: .customLong("topics-regex"),
        help: ArgumentHelp(
            "Back up every topic whose whole name matches; internal topics only when named (default: none).", valueName: "re"))
    var topicsRegex: String?

    @Option(name: .long, help: ArgumentHelp("Object format (default: envelope, byte-exact).", valueName: "envelope|confluent-json"))
    var format: String?

    @Option(name: .long, help: ArgumentHelp("Object compression; gzip objects end in .gz (default: none).", valueName: "none|gzip"))
    var compression: String?

    @Option(
        name: .customLong("compression-level"), parsing: .unconditional,
        help: ArgumentHelp(
            "With gzip: zlib level, 1 (fastest) to 9 (smallest) (default: \(BackupSettings.defaultCompressionLevel)).", valueName: "n"))
    var compressionLevel: String?

    @Option(
        name: .customLong("flush-size"), parsing: .unconditional,
        help: ArgumentHelp("Records per object, Confluent's flush.size (default: 100000).", valueName: "n"))
    var flushSize: String?

    @Option(
        name: .customLong("part-size"), parsing: .unconditional,
        help: ArgumentHelp("Multipart part size, at least 5 MiB, Confluent's s3.part.size (default: 8MiB).", valueName: "bytes"))
    var partSize: String?

    @Option(
        name: .customLong("max-object-bytes"), parsing: .unconditional,
        help: ArgumentHelp("Start a new object before one passes this size (default: 1GiB).", valueName: "bytes"))
    var maxObjectBytes: String?

    @Option(
        name: .customLong("max-open-objects"), parsing: .unconditional,
        help: ArgumentHelp("Objects being written at once (partitions read at once); bounds memory (default: 8).", valueName: "n"))
    var maxOpenObjects: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Uploads in flight; bounds memory (default: 4).", valueName: "n"))
    var concurrency: String?

    @Option(
        name: .customLong("on-invalid-json"),
        help: ArgumentHelp("With confluent-json: what a value that is not JSON gets (default: fail).", valueName: "fail|skip"))
    var onInvalidJSON: String?

    @Flag(
        name: .customLong("store-keys"), inversion: .prefixedNo,
        help: "With confluent-json: also write .keys.json companions (default: off).")
    var storeKeys: Bool?

    @Flag(
        name: .customLong("store-headers"), inversion: .prefixedNo,
        help: "With confluent-json: also write .headers.json companions (default: off).")
    var storeHeaders: Bool?

    @Option(
        name: .customLong("group-id"),
        help: ArgumentHelp(
            "Share this job's partitions among processes through the Kafka group protocol (default: none).", valueName: "group"))
    var groupID: String?

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp(
            "Static share i of n of the job's partitions, counted from 0 (0 <= i < n) as a Kubernetes indexed Job's JOB_COMPLETION_INDEX is (default: all).",
            valueName: "i/n"))
    var shard: String?

    @Option(
        name: .customLong("consumer-groups"),
        help: ArgumentHelp(
            "Groups whose committed offsets to save: a list a,b or a regex (default: every group with offsets on the topics).",
            valueName: "list|re"))
    var consumerGroups: String?

    @Option(
        name: .customLong("storage-class"),
        help: ArgumentHelp(
            "Storage class of data objects, e.g. STANDARD_IA or GLACIER_IR; GLACIER and DEEP_ARCHIVE are refused (default: STANDARD).",
            valueName: "class"))
    var storageClass: String?

    @Option(
        name: .customLong("object-lock-mode"),
        help: ArgumentHelp("Object Lock retention mode (default: none).", valueName: "GOVERNANCE|COMPLIANCE"))
    var objectLockMode: String?

    @Option(
        name: .customLong("object-lock-retain-days"), parsing: .unconditional,
        help: ArgumentHelp("Days objects stay locked; required with --object-lock-mode (default: none).", valueName: "n"))
    var objectLockRetainDays: String?

    func flagValues() -> JobDocument {
        var values = JobDocument()
        job.add(to: &values)
        kafka.add(to: &values)
        store.add(to: &values)
        reporting.add(to: &values)
        log.add(to: &values)
        values.flag(.topics, list: topics.flatMap { $0.split(separator: ",").map(String.init) })
        values.flag(.topicsRegex, topicsRegex)
        values.flag(.format, format)
        values.flag(.compression, compression)
        values.flag(.compressionLevel, compressionLevel)
        values.flag(.flushSize, flushSize)
        values.flag(.partSize, partSize)
        values.flag(.maxObjectBytes, maxObjectBytes)
        values.flag(.maxOpenObjects, maxOpenObjects)
        values.flag(.concurrency, concurrency)
        values.flag(.onInvalidJSON, onInvalidJSON)
        values.flag(.storeKeys, set: storeKeys)
        values.flag(.storeHeaders, set: storeHeaders)
        values.flag(.groupID, groupID)
        values.flag(.shard, shard)
        values.flag(.consumerGroups, consumerGroups)
        values.flag(.storageClass, storageClass)
        values.flag(.objectLockMode, objectLockMode)
        values.flag(.objectLockRetainDays, objectLockRetainDays)
        return values
    }

    func run() async throws {
        guard let settings = try await job.settings(for: .backup, flags: flagValues(), log: log) else { return }
        try await BackupRun.run(settings)
    }
}
