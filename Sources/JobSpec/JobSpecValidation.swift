import Foundation
import Layout

extension JobSpec {
    /// Validates `document` for `command`; the first problem is thrown as one line naming the key
    /// and its origin. Unknown keys get a "did you mean"; keys of the other command are refused.
    public init(document: JobDocument, command: JobCommand) throws {
        let reader = SettingsReader(document: document)
        try Self.checkKeys(document, command: command, reader: reader)
        self.command = command
        self.document = document
        common = try Self.readCommon(reader, command: command)
        backup = command == .backup ? try Self.readBackup(reader) : nil
        // A directory keeps no retention: taken silently, the setting would promise what nothing enforces.
        if backup?.objectLock != nil, case .directory = common.store.value {
            throw reader.error(
                .objectLockMode, "needs an S3 store: a directory store (store, \(common.store.origin)) keeps no Object Lock retention")
        }
        restore = command == .restore ? try Self.readRestore(reader) : nil
        prune = command == .prune ? try Self.readPrune(reader) : nil
        inspect = command == .ls || command == .verify ? InspectSettings(json: try reader.bool(.json)) : nil
    }

    static func checkKeys(_ document: JobDocument, command: JobCommand, reader: SettingsReader) throws {
        // In file order, so the first problem reported is the first one written.
        func line(_ origin: SettingOrigin) -> Int { if case .file(_, let line) = origin { return line } else { return 0 } }
        for entry in document.entries.values.sorted(by: { (line($0.origin), $0.key) < (line($1.origin), $1.key) }) {
            guard let key = JobKey(rawValue: entry.key) else {
                let hint = JobKey.suggestion(for: entry.key).map { " (did you mean '\($0.rawValue)'?)" } ?? ""
                throw JobSpecError(location: entry.origin.locate(entry.key), reason: "unknown setting\(hint)")
            }
            guard command.accepts(key) else {
                throw JobSpecError(
                    location: entry.origin.locate(entry.key),
                    reason: "is a \(key.scope.rawValue) setting; \(command.rawValue) does not use it")
            }
        }
    }

    /// What is wrong with a bootstrap list, if anything: librdkafka takes a malformed one without a
    /// word and tries it until the stall timeout, and the run then exits 1, worth a retry.
    static func bootstrapProblem(_ list: String) -> String? {
        for entry in list.split(separator: ",", omittingEmptySubsequences: false) {
            var address = entry.trimmingCharacters(in: .whitespaces)
            if address.isEmpty { return "has an empty entry ('\(list)')" }
            if let scheme = address.range(of: "://") { address = String(address[scheme.upperBound...]) }
            if let problem = hostPortProblem(address) { return "'\(entry)' \(problem)" }
        }
        return nil
    }

    /// What is wrong with `host`, `host:port` or `[v6]:port`, if anything (a bare IPv6 address has no port).
    static func hostPortProblem(_ address: String) -> String? {
        if address.contains(where: { $0.isWhitespace || $0.isNewline || ($0.asciiValue ?? 32) < 32 }) {
            return "has a space or control character"
        }
        // No host name holds these: an unexpanded `${VAR}` (job files take values as written), which a
        // retry would meet again.
        if address.contains(where: { "${}".contains($0) }) {
            return
                "has '$', '{' or '}', which no host name holds: ktape does not expand variables (docs/job-files.md); give the value itself"
        }
        if address.hasPrefix("[") && !address.contains("]") { return "has an unclosed '['" }
        guard let colon = address.lastIndex(of: ":"), address.hasPrefix("[") || address.filter({ $0 == ":" }).count == 1 else {
            return address.isEmpty ? "names no host" : nil
        }
        let host = address[..<colon]
        let port = address[address.index(after: colon)...]
        if host.isEmpty || host == "[]" { return "names no host" }
        guard let number = Int(port), (1...65535).contains(number) else {
            return "has a port that is not a number from 1 to 65535 ('\(port)')"
        }
        return nil
    }

    static func readCommon(_ r: SettingsReader, command: JobCommand) throws -> CommonSettings {
        let needsKafka = command == .backup || command == .restore
        let bootstrap =
            needsKafka
            ? try r.required(.bootstrapServers, "(the Kafka cluster to \(command == .backup ? "read" : "write"))")
            : try r.nonEmpty(.bootstrapServers)
        if let list = bootstrap?.value, let problem = Self.bootstrapProblem(list) { throw r.error(.bootstrapServers, problem) }
        let store = try r.required(.store, "(s3://bucket[/prefix], file:///path or a directory)")
        let location: StoreLocation
        switch StoreLocation.parse(store.value) {
        case .success(let parsed): location = parsed
        case .failure(let problem): throw r.error(.store, problem.text)
        }
        var properties: Setting<[String: String]> = Setting([:], .default)
        if let entry = r.entry(.kafkaProperty) {
            guard case .map(let map) = entry.value else {
                throw r.error(.kafkaProperty, "expected a mapping of librdkafka properties, got \(entry.value.typeName)")
            }
            if let empty = map.keys.sorted().first(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                throw r.error(.kafkaProperty, "has an empty property name ('\(empty)')")
            }
            // librdkafka would take it over bootstrap-servers, while every message names that list.
            if let list = ["bootstrap.servers", "metadata.broker.list"].first(where: { map[$0] != nil }) {
                throw r.error(
                    .kafkaProperty, "\(list) would replace the bootstrap-servers list: give the brokers with -b (bootstrap-servers) alone")
            }
            properties = Setting(map, entry.origin)
        }
        let endpoint = try r.nonEmpty(.endpointURL)
        if let endpoint {
            let value = endpoint.value
            guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                throw r.error(.endpointURL, "must start with http:// or https:// (got '\(value)')")
            }
            let authority = value.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? ""
            // A password in the URL would be printed by --print-config and logs; S3 takes keys from the credential chain.
            if authority.contains("@") {
                throw r.error(.endpointURL, "must not carry user:password@; credentials come from the AWS credential chain")
            }
            if authority.isEmpty || authority.contains(where: { $0 == " " || $0 == "\\" }) {
                throw r.error(.endpointURL, "has no valid host (got '\(value)')")
            }
            if value.contains(where: { $0.isNewline || ($0.asciiValue ?? 32) < 32 }) {
                throw r.error(.endpointURL, "has a control character (a line break?)")
            }
            if let problem = Self.hostPortProblem(String(authority)) { throw r.error(.endpointURL, "\(problem) (got '\(value)')") }
        }
        let pushURL = try r.nonEmpty(.metricsPushURL)
        if let pushURL {
            let value = pushURL.value
            guard value.hasPrefix("http://") || value.hasPrefix("https://"), !value.contains("?"), !value.contains("#") else {
                throw r.error(.metricsPushURL, "must be http:// or https://host:port with an optional path, no query (got '\(value)')")
            }
            let afterScheme = value[value.range(of: "://")!.upperBound...]
            let authority = afterScheme.prefix { $0 != "/" }
            if authority.contains("@") { throw r.error(.metricsPushURL, "must not carry user:password@ (it would be printed)") }
            if authority.isEmpty { throw r.error(.metricsPushURL, "has no host (got '\(value)')") }
            // The form Pushgateway's examples show: ktape adds its own grouping key after the path,
            // and the gateway answers 400 to every push (exit 1, a retry that never helps).
            let segments = afterScheme.dropFirst(authority.count).split(separator: "/")
            if zip(segments, segments.dropFirst()).contains(where: { $0 == "metrics" && ($1 == "job" || $1.hasPrefix("job@")) }) {
                throw r.error(
                    .metricsPushURL,
                    "must be the Pushgateway's base URL (and any route prefix): ktape adds /metrics/job/... itself (got '\(value)')")
            }
        }
        if let region = try r.nonEmpty(.region),
            !region.value.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        {
            // The region becomes part of the S3 host name: nothing but a-z, 0-9 and '-' may go there.
            throw r.error(.region, "must look like eu-west-1 (lower-case letters, digits, '-'; got '\(region.value)')")
        }
        let topicsDir = try r.withDefault(.topicsDir) { text -> String in
            let trimmed = KeyParts.trimSlashes(text)
            if trimmed.isEmpty { throw r.error(.topicsDir, "is empty") }
            if trimmed.split(separator: "/").contains(where: { $0 == "." || $0 == ".." || $0 == StoreLayout.metadataFolder }) {
                throw r.error(.topicsDir, "cannot contain '.', '..' or '\(StoreLayout.metadataFolder)' (got '\(text)')")
            }
            return trimmed
        }
        let sse = try r.choice(.sse, ServerSideEncryption.self)
        let kmsKey = try r.nonEmpty(.sseKMSKeyID)
        if kmsKey != nil, sse?.value != .kms {
            throw r.error(.sseKMSKeyID, "needs sse: aws:kms")
        }
        let summaryJSON = try r.nonEmpty(.summaryJSON)
        if summaryJSON?.value == "-" {
            // Not stdout: that has the summary line already; a file named '-' is surely a mistake.
            throw r.error(
                .summaryJSON, "names a file, and '-' is not stdout here (the summary line is on stdout); for a file named '-' give ./-")
        }
        let owner = try r.nonEmpty(.expectedBucketOwner)
        if let owner, !(owner.value.count == 12 && owner.value.allSatisfy { $0.isASCII && $0.isNumber }) {
            throw r.error(.expectedBucketOwner, "must be a 12-digit AWS account id (got '\(owner.value)')")
        }
        return CommonSettings(
            bootstrapServers: bootstrap, kafkaProperties: properties,
            store: Setting(location, store.origin), endpointURL: endpoint, region: try r.nonEmpty(.region),
            profile: try r.nonEmpty(.profile), addressingStyle: try r.choiceWithDefault(.addressingStyle, AddressingStyle.self),
            topicsDir: topicsDir, logFormat: try r.choiceWithDefault(.logFormat, LogFormat.self),
            summaryJSON: summaryJSON, metricsFile: try r.nonEmpty(.metricsFile),
            metricsPushURL: pushURL, verbose: try r.bool(.verbose), mskIAM: try r.bool(.mskIAM),
            stallTimeout: try r.integerWithDefault(.stallTimeout, atLeast: 1, atMost: CommonSettings.longestStallTimeout),
            consumerGroups: try readConsumerGroups(r),
            sse: sse, sseKMSKeyID: kmsKey, acl: try r.choice(.acl, CannedACL.self), expectedBucketOwner: owner)
    }

    /// A YAML list or a plain `a,b` list names groups; anything else is a whole-name regex.
    static func readConsumerGroups(_ r: SettingsReader) throws -> Setting<ConsumerGroupSelection>? {
        guard let entry = r.entry(.consumerGroups) else { return nil }
        if case .list = entry.value, let names = try r.list(.consumerGroups) {
            return Setting(.names(names.value), names.origin)
        }
        guard let text = try r.nonEmpty(.consumerGroups) else { return nil }
        let plainList = text.value.range(of: #"^\s*[A-Za-z0-9._-]+\s*(,\s*[A-Za-z0-9._-]+\s*)*$"#, options: .regularExpression) != nil
        if plainList, let names = try r.list(.consumerGroups) { return Setting(.names(names.value), names.origin) }
        guard let regex = try r.regex(.consumerGroups) else { return nil }
        return Setting(.regex(regex.value), regex.origin)
    }
}

extension JobSpec {
    static func readPrune(_ r: SettingsReader) throws -> PruneSettings {
        let keepWithin = try r.duration(.keepWithin)
        let before = try r.time(.before)
        let cutoff: Setting<PruneCutoff>
        switch (keepWithin, before) {
        case (let keep?, nil): cutoff = Setting(.keepWithin(keep.value), keep.origin)
        case (nil, let time?): cutoff = Setting(.before(time.value), time.origin)
        case (.some, .some): throw r.error(.before, "cannot be given with keep-within: name one cutoff")
        case (nil, nil): throw r.error(.keepWithin, "is required: say what to keep with keep-within (e.g. 30d) or before (a time)")
        }
        let topics = try r.list(.topics)
        for topic in topics?.value ?? [] {
            if let problem = TopicName.problem(with: topic) { throw r.error(.topics, "'\(topic)': \(problem)") }
        }
        return PruneSettings(cutoff: cutoff, topics: topics, topicsRegex: try r.regex(.topicsRegex), dryRun: try r.bool(.dryRun))
    }
}
