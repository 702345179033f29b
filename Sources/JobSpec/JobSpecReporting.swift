extension JobSpec {
    /// For a job whose settings were refused: a spec of only where and how its runs report (log
    /// format, summary JSON, metrics file and push URL) and what labels them (job name, store,
    /// shard), the rest stand-ins, so the refusal is reported where a scheduler looks rather than
    /// leaving the last run's success there. Nil when those keys themselves do not validate.
    public static func reporting(_ document: JobDocument, command: JobCommand) -> JobSpec? {
        // Another command's job file (a backup's given to restore) reports that command's runs:
        // writing this refusal there would replace their metrics and summary.
        guard document.entries.keys.allSatisfy({ JobKey(rawValue: $0).map(command.accepts) ?? true }) else { return nil }
        let kept: Set<JobKey> = [.store, .logFormat, .verbose, .summaryJSON, .metricsFile, .metricsPushURL, .shard, .groupID]
        var reduced = JobDocument(
            path: document.path,
            entries: document.entries.values.filter { JobKey(rawValue: $0.key).map { kept.contains($0) && command.accepts($0) } ?? false })
        var standIns: [JobKey: JobRawValue] = [:]
        switch command {
        case .backup:
            standIns = [.bootstrapServers: .scalar("localhost:9092"), .topics: .list(["reporting"])]
        case .restore:
            standIns = [.bootstrapServers: .scalar("localhost:9092")]
        case .prune:
            standIns = [.keepWithin: .scalar("1d")]
        default:
            break
        }
        for (key, value) in standIns { reduced.setFlag(key.rawValue, value) }
        return try? JobSpec(document: reduced, command: command)
    }
}
