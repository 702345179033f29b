import ArgumentParser
import Layout
import JobSpec

struct RestoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "restore",
        abstract: "Produce a store's records back into a cluster, each into the partition of the same number (or by key, --repartition).",
        discussion: """
            Examples:
              ktape restore -b new-kafka:9092 --store s3://backups/prod --dry-run
              ktape restore -b new-kafka:9092 --store s3://backups/prod \\
                --topic-regex-list 'source-topic-1:.*,source-topic-2:.*' \\
                --rename-regex 'source-topic-(\\d)' --rename-replacement 'sink-topic-$1' --create-topics
              ktape restore --job migrate.yaml --from-time 2026-11-01T00:00:00Z
            """
    )

    @OptionGroup(title: "Job") var job: JobOptions
    @OptionGroup(title: "Kafka") var kafka: KafkaOptions
    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Reporting") var reporting: ReportOptions
    @OptionGroup(title: "Logs") var log: LogOptions

    @Option(
        name: .customLong("topic-regex-list"),
        help: ArgumentHelp(
            "Which files of which topics, Confluent's topic.regex.list; each regex matches the whole file name (default: every topic, every file).",
            valueName: "topic:re,..."))
    var topicRegexList: String?

    @Option(
        name: .customLong("rename-regex"),
        help: ArgumentHelp("RegexRouter: whole-name match on the source topic (default: names kept).", valueName: "re"))
    var renameRegex: String?

    @Option(
        name: .customLong("rename-replacement"),
        help: ArgumentHelp("RegexRouter replacement: $0 whole name, $1… groups, \\$ a dollar (default: none).", valueName: "text"))
    var renameReplacement: String?

    @Flag(
        name: .customLong("create-topics"), inversion: .prefixedNo,
        help:
            "Create missing target topics with the source's partition count and the configs a faithful copy needs, those at the target's default left to it (default: off)."
    )
    var createTopics: Bool?

    @Option(
        name: .customLong("replication-factor"), parsing: .unconditional,
        help: ArgumentHelp("Replication factor of created topics (default: the broker's default).", valueName: "n"))
    var replicationFactor: String?

    @Flag(
        name: .customLong("dry-run"), inversion: .prefixedNo,
        help:
            "Print the plan (source → target, partitions, objects, records in the time range, records already restored, every problem), produce nothing, and exit 2 if a problem would stop the run (default: off)."
    )
    var dryRun: Bool?

    @Option(
        name: .customLong("from-time"), parsing: .unconditional,
        help: ArgumentHelp("Only records at or after this timestamp, RFC 3339 or epoch ms (default: all).", valueName: "time"))
    var fromTime: String?

    @Option(
        name: .customLong("to-time"), parsing: .unconditional,
        help: ArgumentHelp("Only records before this timestamp, RFC 3339 or epoch ms (default: all).", valueName: "time"))
    var toTime: String?

    @Option(
        name: .customLong("as-of"),
        help: ArgumentHelp("Restore the store as it was after this backup run (default: the latest).", valueName: "run"))
    var asOf: String?

    @Option(
        name: .customLong("consumer-groups"),
        help: ArgumentHelp(
            "Groups whose saved offsets to translate and commit: a list a,b or a regex (default: none).", valueName: "list|re"))
    var consumerGroups: String?

    @Flag(
        name: .customLong("repartition"), inversion: .prefixedNo,
        help:
            "A target with another partition count than its source gets each record in the partition Kafka's default partitioner picks for its key (murmur2; records without a key spread as the Java client's sticky partitioner does); not with --consumer-groups (default: off, such a target is refused or warned about)."
    )
    var repartition: Bool?

    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Keep resume state in this directory instead of the store, for a read-only bucket (default: in the store).", valueName: "dir"))
    var stateDir: String?

    @Flag(
        name: .customLong("allow-missing"), inversion: .prefixedNo,
        help:
            "Restore what is there when objects the manifests name are gone (a lifecycle rule, a manual delete), listing the missing ranges in the summary; without it such a restore stops before producing (default: off)."
    )
    var allowMissing: Bool?

    @Option(
        name: .customLong("key-converter"),
        help: ArgumentHelp(
            "How the .keys.json companions of a Confluent sink's bucket were written, after its key.converter: string (StringConverter, and ktape's own), json (JsonConverter, schemas off) or bytearray (ByteArrayConverter, base64) (default: string).",
            valueName: "string|json|bytearray"))
    var keyConverter: String?

    func flagValues() -> JobDocument {
        var values = JobDocument()
        job.add(to: &values)
        kafka.add(to: &values)
        store.add(to: &values)
        reporting.add(to: &values)
        log.add(to: &values)
        values.flag(.topicRegexList, topicRegexList)
        values.flag(.renameRegex, renameRegex)
        values.flag(.renameReplacement, renameReplacement)
        values.flag(.createTopics, set: createTopics)
        values.flag(.replicationFactor, replicationFactor)
        values.flag(.dryRun, set: dryRun)
        values.flag(.fromTime, fromTime)
        values.flag(.toTime, toTime)
        values.flag(.asOf, asOf)
        values.flag(.consumerGroups, consumerGroups)
        values.flag(.stateDir, stateDir)
        values.flag(.repartition, set: repartition)
        values.flag(.allowMissing, set: allowMissing)
        values.flag(.keyConverter, keyConverter)
        return values
    }

    func run() async throws {
        guard let settings = try await job.settings(for: .restore, flags: flagValues(), log: log) else { return }
        try await RestoreRun.run(settings)
    }
}
