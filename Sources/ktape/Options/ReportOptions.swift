import ArgumentParser
import Layout
import JobSpec

/// How a run reports itself to monitoring: a node-exporter textfile and a Pushgateway (backup,
/// restore, verify; see docs/operations.md, "Metrics").
struct ReportOptions: ParsableArguments {
    @Option(
        name: .customLong("metrics-file"),
        help: ArgumentHelp(
            "Write Prometheus text-format metrics here at the end, e.g. into node-exporter's textfile directory (default: none).",
            valueName: "file"))
    var metricsFile: String?

    @Option(
        name: .customLong("metrics-push-url"),
        help: ArgumentHelp(
            "Push the run's metrics to this Prometheus Pushgateway, grouped by job, command, store and shard (default: none).",
            valueName: "url"))
    var metricsPushURL: String?

    func add(to values: inout JobDocument) {
        values.flag(.metricsFile, metricsFile)
        values.flag(.metricsPushURL, metricsPushURL)
    }
}

/// How log lines look and how many there are; every command that reads settings has these.
struct LogOptions: ParsableArguments {
    @Option(
        name: .customLong("log-format"),
        help: ArgumentHelp("Log lines as text or json, one JSON object per line with fields (default: text).", valueName: "text|json"))
    var logFormat: String?

    @Flag(
        name: [.customShort("v"), .customLong("verbose")],
        help: "Log every S3 request (method, key, status, attempt, ms) and librdkafka's debug contexts (default: off).")
    var verbose = false

    /// A scheduler asking for JSON logs gets them for a refused flag or job file too, naming `command`.
    func applyBeforeValidation(command: JobCommand) {
        if logFormat == "json" { Console.configure(format: .json, verbose: verbose) }
        Console.nameCommand(command)
    }

    func add(to values: inout JobDocument) {
        values.flag(.logFormat, logFormat)
        values.flag(.verbose, set: verbose)
    }
}
