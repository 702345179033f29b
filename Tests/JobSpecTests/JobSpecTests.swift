import Foundation
import Testing
import Layout
@testable import JobSpec

@Suite struct JobSpecTests {
    /// A document from flags alone.
    func flags(_ pairs: [String: String], extra: [String: JobRawValue] = [:]) -> JobDocument {
        var document = JobDocument.flags(pairs.mapValues { .scalar($0) })
        for (key, value) in extra { document.setFlag(key, value) }
        return document
    }

    let minimalBackup = ["bootstrap-servers": "localhost:9092", "store": "/tmp/s", "topics": "a,b"]
    let minimalRestore = ["bootstrap-servers": "localhost:9092", "store": "s3://bucket/p/"]

    func error(_ document: JobDocument, _ command: JobCommand) -> String? {
        do {
            _ = try JobSpec(document: document, command: command)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func backupError(_ changes: [String: String]) -> String? {
        error(flags(minimalBackup.merging(changes) { _, new in new }), .backup)
    }

    @Test func awsProfileAndAddressingStyleFromAFileOrTheirDefaults() throws {
        let file = JobDocument(
            path: "handoff.yaml",
            entries: [
                JobEntry(key: "bootstrap-servers", value: .scalar("k:9092"), origin: .file(path: "handoff.yaml", line: 1)),
                JobEntry(key: "store", value: .scalar("s3://bucket/p"), origin: .file(path: "handoff.yaml", line: 2)),
                JobEntry(key: "profile", value: .scalar("team-b-inbox"), origin: .file(path: "handoff.yaml", line: 3)),
                JobEntry(key: "addressing-style", value: .scalar("path"), origin: .file(path: "handoff.yaml", line: 4))
            ])
        let common = try JobSpec(document: file, command: .restore).common
        #expect(common.profile == Setting("team-b-inbox", .file(path: "handoff.yaml", line: 3)))
        #expect(common.addressingStyle == Setting(.path, .file(path: "handoff.yaml", line: 4)))
        #expect(try JobSpec(document: flags(minimalBackup), command: .backup).common.addressingStyle == Setting(.auto, .default))
        var wrong = file
        wrong.set(JobEntry(key: "addressing-style", value: .scalar("dns"), origin: .file(path: "handoff.yaml", line: 4)))
        #expect(error(wrong, .restore) == "handoff.yaml:4: addressing-style: must be one of auto, path, virtual (got 'dns')")
        #expect(backupError(["profile": " "]) == "--profile: is empty")
    }

    @Test func defaultsAreDocumentedValuesWithDefaultOrigin() throws {
        let job = try JobSpec(document: flags(minimalBackup), command: .backup)
        let backup = try #require(job.backup)
        #expect(backup.flushSize == Setting(100_000, .default))
        #expect(backup.partSize == Setting(8 << 20, .default))
        #expect(backup.maxObjectBytes.value == 1 << 30)
        #expect(backup.maxOpenObjects.value == 8)
        #expect(backup.format.value == .envelope)
        #expect(backup.compression.value == .none)
        #expect(backup.onInvalidJSON.value == .fail)
        #expect(backup.storageClass.value == .standard)
        #expect(backup.topics == Setting(["a", "b"], .flag))
        #expect(job.common.topicsDir.value == "topics")
        #expect(job.common.store.value == .directory(path: "/tmp/s"))
        #expect(job.restore == nil)
    }

    @Test func requiredKeysNameTheFileOrTheFlag() {
        #expect(error(flags(["store": "/x", "topics": "a"]), .backup)?.hasPrefix("--bootstrap-servers: is required") == true)
        var fromFile = JobDocument(path: "nightly.yaml")
        fromFile.set(JobEntry(key: "store", value: .scalar("/x"), origin: .file(path: "nightly.yaml", line: 1)))
        fromFile.set(JobEntry(key: "bootstrap-servers", value: .scalar("k:9092"), origin: .file(path: "nightly.yaml", line: 2)))
        #expect(error(fromFile, .backup) == "nightly.yaml: topics: is required: name topics with topics or topics-regex")
        #expect(error(flags(["store": "/x"]), .ls) == nil)
        #expect(error(flags([:]), .verify)?.hasPrefix("--store: is required") == true)
    }

    @Test(arguments: [
        (["flush-size": "0"], "--flush-size: must be at least 1 (got 0)"),
        (["flush-size": "ten"], "--flush-size: expected a whole number (got 'ten')"),
        (["part-size": "1048576"], "--part-size: must be at least 5 MiB (got 1048576)"),
        (["part-size": "6GiB"], "--part-size: must be at most 5 GiB"),
        (["part-size": "16 furlongs"], "--part-size: expected bytes"),
        (["max-object-bytes": "6MiB"], "--max-object-bytes: must be at least part-size 8 MiB"),
        (["max-object-bytes": "100GiB"], "--max-object-bytes: must be at most part-size × 10000 parts"),
        (["max-open-objects": "0"], "--max-open-objects: must be at least 1"),
        (["concurrency": "-2"], "--concurrency: must be at least 1 (got -2)"),
        // librdkafka tried these until the stall timeout, then exit 1.
        (["bootstrap-servers": ",,,"], "--bootstrap-servers: has an empty entry (',,,')"),
        (
            ["bootstrap-servers": "a:9092,127.0.0.1:99999"],
            "--bootstrap-servers: '127.0.0.1:99999' has a port that is not a number from 1 to 65535"
        ),
        (["bootstrap-servers": ":9092"], "--bootstrap-servers: ':9092' names no host"),
        // A variable the job file's author expected expanded: exit 1 after the stall timeout, run after run.
        (["bootstrap-servers": "${KAFKA_BOOTSTRAP}"], "--bootstrap-servers: '${KAFKA_BOOTSTRAP}' has '$', '{' or '}'"),
        (["endpoint-url": "http://${S3_HOST}:9000"], "--endpoint-url: has '$', '{' or '}'"),
        // The gateway answered each push 400, exit 1.
        (
            ["metrics-push-url": "http://127.0.0.1:9091/metrics/job/ktape"],
            "--metrics-push-url: must be the Pushgateway's base URL (and any route prefix): ktape adds /metrics/job/... itself"
        ),
        (["metrics-push-url": "http://gw:9091/pushgateway/"], ""),
        (["metrics-push-url": "http://gw:9091/x/metrics/jobber"], ""),
        (["metrics-push-url": "http://gw:9091/metrics/job@base64/a3RhcGU="], "--metrics-push-url: must be the Pushgateway's base URL"),
        (["bootstrap-servers": "SASL_SSL://b-1.msk:9098, [::1]:9092,kafka,::1"], ""),
        // Past these, sizes computed from them overflowed and trapped the run (exit 132).
        (["max-open-objects": "9223372036854775807"], "--max-open-objects: must be at most 10000"),
        (["concurrency": "1001"], "--concurrency: must be at most 1000 (got 1001)"),
        (
            ["object-lock-mode": "GOVERNANCE", "object-lock-retain-days": "106751991167300"],
            "--object-lock-retain-days: must be at most 36500"
        ),
        (["format": "avro"], "--format: must be one of envelope, confluent-json (got 'avro')"),
        (["compression": "zstd"], "--compression: must be one of none, gzip"),
        (["store-keys": "true"], "--store-keys: only applies with format: confluent-json"),
        (["on-invalid-json": "skip"], "--on-invalid-json: only applies with format: confluent-json"),
        (["store-headers": "yes"], "--store-headers: expected true or false (got 'yes')"),
        (["shard": "3/3"], "--shard: expected i/n with 0 ≤ i < n"),
        (["shard": "1/2", "group-id": "g"], "--shard: cannot be combined with group-id (set at --group-id)"),
        (["storage-class": "DEEP_ARCHIVE"], "--storage-class: DEEP_ARCHIVE is refused: objects in DEEP_ARCHIVE must be thawed"),
        (["storage-class": "REDUCED"], "--storage-class: must be one of STANDARD"),
        (["object-lock-mode": "GOVERNANCE"], "--object-lock-retain-days: is required with object-lock-mode"),
        (["object-lock-retain-days": "3"], "--object-lock-retain-days: needs object-lock-mode"),
        (["object-lock-mode": "COMPLIANCE", "object-lock-retain-days": "0"], "--object-lock-retain-days: must be at least 1"),
        (
            ["object-lock-mode": "COMPLIANCE", "object-lock-retain-days": "7"],
            "--object-lock-mode: needs an S3 store: a directory store (store, flag) keeps no Object Lock retention"
        ),
        (["object-lock-mode": "COMPLIANCE", "object-lock-retain-days": "7", "store": "s3://bucket/p/"], ""),
        (["topics": "a,,b"], "--topics: has an empty item"),
        (["topics": "a b"], "--topics: 'a b': topic name has illegal character ' '"),
        (["topics-regex": "("], "--topics-regex: regex does not compile"),
        (["store": "gs://bucket"], "--store: scheme 'gs' is not supported"),
        (["store": "s3://"], "--store: 's3://' names no bucket"),
        (["store": "file://relative"], "--store: 'file://relative' is not file:///absolute/path"),
        (["endpoint-url": "127.0.0.1:9000"], "--endpoint-url: must start with http:// or https://"),
        (["endpoint-url": "http://user:pw@127.0.0.1:9000"], "--endpoint-url: must not carry user:password@"),
        (["endpoint-url": "http://bad host:9"], "--endpoint-url: has no valid host"),
        (["endpoint-url": "https://minio.internal:9000/"], ""),
        // These were retried six times as transport failures, then exit 1.
        (["endpoint-url": "http://:80"], "--endpoint-url: names no host"),
        (["endpoint-url": "http://127.0.0.1:99999"], "--endpoint-url: has a port that is not a number from 1 to 65535 ('99999')"),
        (["endpoint-url": "http://[::1"], "--endpoint-url: has an unclosed '['"),
        (["endpoint-url": "http://h:9/a\nb"], "--endpoint-url: has a control character (a line break?)"),
        (["endpoint-url": "http://[::1]:9000"], ""),
        (["region": "us east"], "--region: must look like eu-west-1"),
        (["region": "evil.example.com/x"], "--region: must look like eu-west-1"),
        (["region": "eu-west-1"], ""),
        (["sse-kms-key-id": "k"], "--sse-kms-key-id: needs sse: aws:kms"),
        (["sse": "aws:kms", "sse-kms-key-id": "k"], ""),
        (["expected-bucket-owner": "1234"], "--expected-bucket-owner: must be a 12-digit AWS account id"),
        (["acl": "everyone"], "--acl: must be one of private"),
        (["topics-dir": "_ktape"], "--topics-dir: cannot contain"),
        (["log-format": "xml"], "--log-format: must be one of text, json"),
        (["summary-json": "-"], "--summary-json: names a file, and '-' is not stdout here"),
        (["summary-json": "./-"], ""),
        (["create-topics": "true"], "--create-topics: is a restore setting; backup does not use it"),
        (["flush-sise": "1"], "--flush-sise: unknown setting (did you mean 'flush-size'?)"),
        (["zzzzzzzz": "1"], "--zzzzzzzz: unknown setting")
    ])
    func backupValidation(changes: [String: String], expected: String) {
        let got = backupError(changes)
        if expected.isEmpty {
            #expect(got == nil)
        } else {
            #expect(got?.hasPrefix(expected) == true, "got \(got ?? "no error")")
            #expect(got?.contains("\n") == false)
        }
    }

    @Test(arguments: [
        (["topics": "a"], "--topics: is a backup setting; restore does not use it"),
        (["rename-replacement": "x"], "--rename-regex: is required with rename-replacement"),
        (["rename-regex": "(.*)", "rename-replacement": "$2"], "--rename-replacement: no group 2 in the regex"),
        (["rename-regex": "(", "rename-replacement": "x"], "--rename-regex: regex does not compile"),
        (["from-time": "2026-11-02T00:00:00Z", "to-time": "2026-11-01T00:00:00Z"], "--to-time: must be after from-time"),
        (["from-time": "last tuesday"], "--from-time: expected an RFC 3339 time"),
        (["from-time": "9223372036854775807"], "--from-time: must be from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z"),
        (["to-time": "99999999999999999999"], "--to-time: must be from 1970-01-01T00:00:00Z"),
        (["to-time": "1969-12-31T23:59:59Z"], "--to-time: must be from 1970-01-01T00:00:00Z"),
        (["to-time": "9999-12-31T23:59:59.999Z"], ""),
        (["stall-timeout": "9223372036854775807"], "--stall-timeout: must be at most 604800"),
        (["stall-timeout": "604800"], ""),
        (["as-of": "latest"], "--as-of: 'latest' is not a run id"),
        (["replication-factor": "0"], "--replication-factor: must be at least 1 (got 0)"),
        (["replication-factor": "32768"], "--replication-factor: must be at most 32767 (got 32768)"),
        (["replication-factor": "32767"], ""),
        (["topic-regex-list": "a:(,b:x"], "--topic-regex-list: entry 1 'a:(,b:x': regex does not compile"),
        (["topic-regex-list": "a:.*,a:x"], "--topic-regex-list: entry 2 'a:x': topic 'a' is already listed"),
        (["repartition": "maybe"], "--repartition: expected true or false (got 'maybe')"),
        (
            ["repartition": "true", "consumer-groups": "app"],
            "--repartition: cannot be combined with consumer-groups: offsets cannot be translated once records change partitions"
        ),
        (["repartition": "false", "consumer-groups": "app"], ""),
        (["repartition": "true"], "")
    ])
    func restoreValidation(changes: [String: String], expected: String) {
        let got = error(flags(minimalRestore.merging(changes) { _, new in new }), .restore)
        if expected.isEmpty {
            #expect(got == nil)
        } else {
            #expect(got?.hasPrefix(expected) == true, "got \(got ?? "no error")")
        }
    }

    /// A bare `m` is refused: other retention tools read it as months, and as minutes a `6m` meant
    /// as half a year pruned all but the last six minutes. Minutes are spelled `min`.
    @Test(arguments: [
        ("6m", nil as TimeInterval?, "--keep-within: '6m': m could mean minutes or months; write 6min for minutes, or days (30d a month)"),
        ("90min", 5_400, ""), ("90MIN", 5_400, ""), ("30d", 2_592_000, ""), ("2w", 1_209_600, ""), ("45s", 45, ""),
        ("12h", 43_200, ""), ("1y", nil, "--keep-within: expected a positive duration like 30d, 12h, 90min or 2w (got '1y')"),
        ("min", nil, "--keep-within: expected a positive duration"), ("0d", nil, "--keep-within: expected a positive duration")
    ])
    func keepWithinUnits(text: String, seconds: TimeInterval?, expected: String) throws {
        let document = flags(["store": "/tmp/s", "keep-within": text])
        guard let seconds else {
            let got = error(document, .prune)
            #expect(got?.hasPrefix(expected) == true, "got \(got ?? "no error")")
            return
        }
        let prune = try #require(try JobSpec(document: document, command: .prune).prune)
        #expect(prune.cutoff.value == .keepWithin(seconds))
    }

    @Test func restoreValuesParse() throws {
        let document = flags(
            minimalRestore.merging([
                "from-time": "1795523354000", "to-time": "2026-11-24T13:29:14.5+01:00", "state-dir": "/s",
                "consumer-groups": "^billing-(eu|us)$"
            ]) { _, new in new })
        let job = try JobSpec(document: document, command: .restore)
        let restore = try #require(job.restore)
        #expect(restore.fromTime?.value == 1_795_523_354_000)
        #expect(restore.toTime?.value == 1_795_523_354_500)
        #expect(restore.topicRegexList == nil)
        #expect(job.common.store.value == .s3(bucket: "bucket", prefix: "p"))
        #expect(job.common.storeLayout.prefix == "p")
        #expect(job.common.consumerGroups?.value.selects("billing-eu") == true)
        #expect(job.common.consumerGroups?.value.selects("billing-asia") == false)
    }

    @Test func kafkaPropertiesMustBeAMapAndMergeByKey() throws {
        let wrong = flags(minimalBackup, extra: ["X": .scalar("a=b")])
        #expect(error(wrong, .backup)?.hasPrefix("-X: expected a mapping of librdkafka properties") == true)
        var file = JobDocument(path: "j.yaml")
        file.set(JobEntry(key: "X", value: .map(["a": "1", "b": "2"]), origin: .file(path: "j.yaml", line: 3)))
        let merged = file.merging(JobDocument.flags(["X": .map(["b": "3"])]))
        #expect(merged["X"]?.value == .map(["a": "1", "b": "3"]))
        #expect(JobKey.isSecretProperty("sasl.password"))
        #expect(JobKey.isSecretProperty("ssl.key.password"))
        #expect(JobKey.isSecretProperty("sasl.oauthbearer.config"))
        #expect(!JobKey.isSecretProperty("sasl.username"))
    }

    @Test func byteCounts() {
        #expect(ByteCount.parse("16MiB") == 16 << 20)
        #expect(ByteCount.parse("8 mib") == 8 << 20)
        #expect(ByteCount.parse("1GB") == 1_000_000_000)
        #expect(ByteCount.parse("5242880") == 5 << 20)
        #expect(ByteCount.parse("1.5GiB") == nil)
        #expect(ByteCount.parse("-1") == nil)
        #expect(ByteCount.parse("99999999999TiB") == nil)
        #expect(ByteCount.describe(8 << 20) == "8 MiB")
    }

    @Test func printedConfigOmitsUnsetKeysAndQuotesWhatYAMLWouldMisread() throws {
        var document = flags(minimalBackup)
        document.setFlag("topics-regex", .scalar("orders\\..*: x"))
        let text = try JobSpec(document: document, command: .backup).effectiveConfigText()
        #expect(text.contains("topics-regex: \"orders\\\\..*: x\"  # flag"))
        #expect(text.contains("bootstrap-servers: \"localhost:9092\"  # flag"))
        #expect(!text.contains("group-id"))
        #expect(!text.contains("rename-regex"))
    }
}
