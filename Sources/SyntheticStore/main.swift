import Foundation
import Checksums
import Layout
import JobSpec
import RecordFormats

// ktape-synthetic-store: writes a directory store as a year of hourly backup runs would leave it,
// straight to disk, for scripts/bench-scale (not shipped). Each run backs up one record into one
// object for each of a window of partitions that moves along by `per-run` partitions a run, so
// every partition gets objects/partitions objects with offsets 0, 1, 2, ... The manifests carry the
// settings hash a default `ktape backup` computes, and the store index is written as the runs'
// backups would have folded it, so a `ktape backup` of a cluster holding the same offsets has
// nothing new to do.
//
// Usage: ktape-synthetic-store DIR [--topic scale] [--partitions 1000] [--runs 10000] [--objects 1000000]

struct Options {
    var directory = ""
    var topic = "scale"
    var partitions = 1_000
    var runs = 10_000
    var objects = 1_000_000

    init(_ arguments: [String]) throws {
        var rest = arguments[...]
        while let word = rest.popFirst() {
            func number() throws -> Int {
                guard let text = rest.popFirst(), let value = Int(text), value > 0 else { throw Failure("\(word) needs a positive number") }
                return value
            }
            switch word {
            case "--topic": topic = rest.popFirst() ?? topic
            case "--partitions": partitions = try number()
            case "--runs": runs = try number()
            case "--objects": objects = try number()
            default:
                guard directory.isEmpty, !word.hasPrefix("-") else { throw Failure("unknown argument \(word)") }
                directory = word
            }
        }
        guard !directory.isEmpty else { throw Failure("usage: ktape-synthetic-store DIR [--partitions N] [--runs N] [--objects N]") }
        guard objects % runs == 0, objects / runs <= partitions else {
            throw Failure("objects must be a multiple of runs, at most partitions per run")
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes `body` to `path`, creating nothing but the file (the folders exist).
func write(_ body: [UInt8], to path: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    guard fd >= 0 else { throw Failure("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let written = body.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    guard written == body.count else { throw Failure("cannot write \(path)") }
}

func generate(_ options: Options) throws {
    let layout = StoreLayout()
    let root = URL(fileURLWithPath: options.directory).standardizedFileURL.path
    let spec = try JobSpec(
        document: .flags([
            "bootstrap-servers": .scalar("synthetic:9092"), "store": .scalar(root),
            "topics": .list([options.topic])
        ]), command: .backup)
    guard let settings = spec.backup else { throw Failure("no backup settings") }
    let configHash = Digest.hex(Digest.sha256(Array(settings.configHashText(topicsDir: layout.topicsDir).utf8)))
    let perRun = options.objects / options.runs
    let kind = ObjectFileKind(.envelope, .none)
    for partition in 0..<options.partitions {
        let folder = root + "/" + layout.topicFolder(options.topic) + "partition=\(partition)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }
    let manifestFolder = (layout.runManifestKey(RunID(rawValue: "probe")) as NSString).deletingLastPathComponent
    try FileManager.default.createDirectory(atPath: root + "/" + manifestFolder, withIntermediateDirectories: true)
    let topic = ManifestTopic(name: options.topic, partitionCount: Int32(options.partitions))
    let storeSettings = ManifestStoreSettings(topicsDir: layout.topicsDir, format: .envelope, compression: .none)
    let firstRun = Date().addingTimeInterval(-Double(options.runs) * 3600)
    var next = [Int64](repeating: 0, count: options.partitions)
    var runIds: [RunID] = []
    var previous: RunID?
    for run in 0..<options.runs {
        let started = firstRun.addingTimeInterval(Double(run) * 3600)
        let runId = RunID(startedAt: started, shard: "all", randomSuffix: UInt32(truncatingIfNeeded: run &* 2_654_435_761))
        var partitions: [ManifestPartition] = []
        var objects: [ManifestObject] = []
        for step in 0..<perRun {
            let partition = (run * perRun + step) % options.partitions
            let offset = next[partition]
            let timestamp = Int64(started.timeIntervalSince1970 * 1000) + Int64(step)
            let record = KafkaRecord(
                offset: offset, timestamp: timestamp, timestampType: .createTime,
                key: Array("key-\(partition)-\(offset)".utf8),
                value: Array("{\"partition\":\(partition),\"offset\":\(offset),\"run\":\(run)}".utf8), headers: [])
            var body: [UInt8] = []
            EnvelopeEncoder.append(record, to: &body)
            let name = try ObjectKey(topic: options.topic, partition: Int32(partition), startOffset: offset, kind: kind)
            let key = layout.key(for: name)
            try write(body, to: root + "/" + key)
            objects.append(
                ManifestObject(
                    key: key, topic: options.topic, partition: Int32(partition), firstOffset: offset, lastOffset: offset,
                    spanStart: offset, spanEnd: offset + 1, recordCount: 1, byteSize: Int64(body.count),
                    crc64nvme: CRC64NVME.checksum(body).base64, minTimestamp: timestamp, maxTimestamp: timestamp))
            partitions.append(
                ManifestPartition(
                    topic: options.topic, partition: Int32(partition), startOffset: offset,
                    endOffset: offset + 1, endOffsetAtStart: offset + 1))
            next[partition] = offset + 1
        }
        let manifest = RunManifest(
            runId: runId, previousRunId: previous, job: JobSpec.jobName(forJobFile: nil), shard: "all",
            startedAt: started, finishedAt: started.addingTimeInterval(2), store: storeSettings,
            configHash: configHash, topics: [topic], partitions: partitions, objects: objects,
            consumerGroupOffsets: [])
        try write(Array(try manifest.encoded(layout: layout)), to: root + "/" + layout.runManifestKey(runId))
        runIds.append(runId)
        previous = runId
    }
    let index = StoreIndex(
        configHash: configHash, lastRunId: previous, runs: runIds,
        partitions: next.indices.map { StoreIndex.Entry(topic: options.topic, partition: Int32($0), nextOffset: next[$0]) })
    try write(Array(try index.encoded()), to: root + "/" + layout.indexKey)
    print("wrote \(options.objects) objects over \(options.partitions) partitions and \(options.runs) runs to \(root)")
}

do {
    try generate(try Options(Array(CommandLine.arguments.dropFirst())))
} catch {
    FileHandle.standardError.write(Data("ktape-synthetic-store: \(error)\n".utf8))
    exit(2)
}
