import ArgumentParser
import Layout
import JobSpec

struct PruneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove old backups: whole objects from the oldest end of each partition, recorded in the store.",
        discussion: """
            Per partition, removes the objects whose every record is older than the cutoff, from the oldest \
            on, stopping at the first that is not (never leaving a hole), and records the partition's new \
            first offset in _ktape/pruned.json before deleting anything, so ls shows what was pruned and when, \
            verify passes and restore restores what remains. Objects under Object Lock retention are kept and \
            named. Holds the store lock: it never runs beside a backup of the same topics.

            Examples:
              ktape prune --store s3://backups/prod --keep-within 30d
              ktape prune --store /mnt/backup --before 2026-06-01T00:00:00Z --topics orders --dry-run

            Exit codes: 0 done; 2 invalid input or a store refusing the job; 1 any other failure (a rerun \
            finishes the deletes); 130/143 stopped by SIGINT/SIGTERM.
            """
    )

    @OptionGroup(title: "Job") var job: JobOptions
    @OptionGroup(title: "Store") var store: StoreOptions
    @OptionGroup(title: "Reporting") var reporting: ReportOptions
    @OptionGroup(title: "Logs") var log: LogOptions

    @Option(
        name: .customLong("keep-within"), parsing: .unconditional,
        help: ArgumentHelp(
            "Keep records newer than this, counted back from now: 30d, 12h, 2w (this or --before is required).", valueName: "duration"))
    var keepWithin: String?

    @Option(
        name: .long, parsing: .unconditional,
        help: ArgumentHelp("Remove records older than this time, RFC 3339 or epoch ms.", valueName: "time"))
    var before: String?

    @Option(
        name: .long, parsing: .singleValue,
        help: ArgumentHelp("Topics to prune, comma-separated or repeated (default: every topic in the store).", valueName: "a,b"))
    var topics: [String] = []

    @Option(
        name: .customLong("topics-regex"),
        help: ArgumentHelp("Prune every topic whose whole name matches (default: every topic).", valueName: "re"))
    var topicsRegex: String?

    @Flag(name: .customLong("dry-run"), inversion: .prefixedNo, help: "Say what would be removed and remove nothing (default: off).")
    var dryRun: Bool?

    func flagValues() -> JobDocument {
        var values = JobDocument()
        job.add(to: &values)
        store.add(to: &values)
        reporting.add(to: &values)
        log.add(to: &values)
        values.flag(.keepWithin, keepWithin)
        values.flag(.before, before)
        if !topics.isEmpty { values.flag(.topics, list: topics.flatMap { $0.split(separator: ",").map(String.init) }) }
        values.flag(.topicsRegex, topicsRegex)
        values.flag(.dryRun, set: dryRun)
        return values
    }

    func run() async throws {
        guard let settings = try await job.settings(for: .prune, flags: flagValues(), log: log) else { return }
        try await PruneRun.run(settings)
    }
}
