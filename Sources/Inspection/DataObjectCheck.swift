import Layout
import ObjectStore
import RecordFormats

/// One data object for stage 2: its name, what its manifest says about it (nil for a store without
/// manifests) and the companions to read beside it.
struct DataTarget: Sendable {
    var key: String
    var name: ObjectKey
    var expected: ManifestObject?
    var runId: RunID?
    var companionKeys: [String]
    /// The partitioner's folders of a listed object (objects of one folder follow each other).
    var folder = ""
}

/// What reading one data object (and its companions) found.
struct DataCheckResult: Sendable {
    var target: DataTarget
    var findings: [VerifyFinding] = []
    var bytes: Int64 = 0
    var records: Int64 = 0
    var companions = 0
    /// Offsets of the first and last record (envelope), or implied by the name and line count.
    var firstOffset: Int64?
    var lastOffset: Int64?
}

/// Stage 2 for one object: read it in full, compare size and checksum with the manifest, decode
/// every line with the codec its name says, and check record count and offsets; then read each
/// companion and check it has one decodable line per record. An object gone since the listing is a
/// finding; a store that fails to answer (retries used up, access denied) throws: it says nothing
/// about the backup.
enum DataObjectCheck {
    static func run(_ target: DataTarget, store: any ObjectStore, chunkSize: Int) async throws -> DataCheckResult {
        var result = DataCheckResult(target: target)
        func problem(_ subject: String, _ message: String) { result.findings.append(VerifyFinding(.data, subject, message)) }
        let key = target.key
        let isEnvelope = target.name.kind.content == .envelope
        let gzip = target.name.kind.compression == .gzip

        var first: Int64?
        var last: Int64?
        var (oldest, newest): (Int64?, Int64?) = (nil, nil)
        var values = ConfluentJSONCodec()
        var decoded = RecordBatch()
        let scan: ObjectScan
        do {
            let needsSHA256 = target.expected.map { $0.crc64nvme == nil && $0.sha256 != nil } ?? false
            scan = try await ObjectScanner.scan(key, store: store, gzip: gzip, chunkSize: chunkSize, sha256: needsSHA256) { line, _ in
                if isEnvelope {
                    decoded.removeAll()
                    try EnvelopeDecoder.decode(line, into: &decoded)
                    let offset = decoded.offset(at: 0)
                    if let last, offset <= last {
                        throw ContentFault("offset \(offset) does not follow offset \(last) of the line before")
                    }
                    if first == nil { first = offset }
                    last = offset
                    ManifestObject.widen(&oldest, &newest, by: decoded.timestamp(at: 0))
                } else {
                    _ = try values.decodeLine(line)
                }
            }
        } catch let error as StoreError where !error.isNotFound {
            throw InspectionError.store(error)
        } catch {
            problem(key, "could not be read: \(error)")
            return result
        }
        result.bytes = scan.bytes
        result.records = Int64(scan.lines)
        if !isEnvelope, scan.lines > 0 {
            first = target.name.startOffset
            last = target.name.startOffset + Int64(scan.lines) - 1
        }
        result.firstOffset = first
        result.lastOffset = last

        if let expected = target.expected {
            if scan.bytes != expected.byteSize {
                problem(key, "read \(scan.bytes) bytes, the manifest of run \(target.runId?.rawValue ?? "?") recorded \(expected.byteSize)")
            }
            if let crc = expected.crc64nvme {
                if scan.crc64nvme.base64 != crc {
                    problem(key, "CRC64NVME \(scan.crc64nvme.base64) differs from the manifest's \(crc): the object's bytes changed")
                }
            } else if let sha256 = expected.sha256, let read = scan.sha256, read != sha256 {
                problem(key, "SHA-256 \(read.prefix(16))… differs from the manifest's \(sha256.prefix(16))…: the object's bytes changed")
            }
        }
        if let damage = scan.damage {
            problem(key, "damaged content: \(damage)")
            return result  // counts and offsets of a damaged object say nothing more
        }
        if let expected = target.expected {
            if Int64(scan.lines) != expected.recordCount {
                problem(key, "holds \(scan.lines) records, the manifest recorded \(expected.recordCount)")
            } else if isEnvelope, first != expected.firstOffset || last != expected.lastOffset {
                problem(
                    key,
                    "holds offsets \(first.map(String.init) ?? "none")…\(last.map(String.init) ?? "none"), the manifest recorded \(expected.firstOffset)…\(expected.lastOffset)"
                )
            } else if isEnvelope, expected.minTimestamp != nil || expected.maxTimestamp != nil,
                oldest != expected.minTimestamp || newest != expected.maxTimestamp
            {
                // Prune and time-filtered restores decide by these without reading the object.
                func times(_ a: Int64?, _ b: Int64?) -> String { "\(a.map(String.init) ?? "none")…\(b.map(String.init) ?? "none")" }
                problem(
                    key,
                    "holds records timed \(times(oldest, newest)) (epoch ms), the manifest recorded \(times(expected.minTimestamp, expected.maxTimestamp)): prune and restore --from-time/--to-time go by the manifest's"
                )
            }
        } else if scan.lines == 0 {
            problem(key, "holds no records (an object is never written empty)")
        } else if isEnvelope, first != target.name.startOffset {
            problem(key, "first record has offset \(first.map(String.init) ?? "none"), the name says \(target.name.startOffset)")
        }

        for companion in target.companionKeys {
            result.companions += 1
            result.findings += try await checkCompanion(
                companion, of: key, records: scan.lines, expected: target.expected?.companionChecksum(of: companion), store: store,
                chunkSize: chunkSize)
        }
        return result
    }

    /// A `.keys.json` / `.headers.json` companion: one decodable line per record of its data object.
    private static func checkCompanion(
        _ key: String, of dataKey: String, records: Int, expected: CompanionChecksum?, store: any ObjectStore,
        chunkSize: Int
    ) async throws -> [VerifyFinding] {
        let isHeaders = key.contains(".headers.json")
        var codec = ConfluentCompanionCodec()
        let scan: ObjectScan
        do {
            scan = try await ObjectScanner.scan(key, store: store, gzip: key.hasSuffix(".gz"), chunkSize: chunkSize) { line, _ in
                // Any key converter's line (string, JSON, base64) is one JSON value.
                if isHeaders { _ = try codec.decodeHeadersLine(line) } else { _ = try codec.decodeKeyLine(line, style: .json) }
            }
        } catch let error as StoreError where !error.isNotFound {
            throw InspectionError.store(error)
        } catch {
            return [VerifyFinding(.data, key, "could not be read: \(error)")]
        }
        if let expected {
            if scan.bytes != expected.byteSize {
                return [VerifyFinding(.data, key, "read \(scan.bytes) bytes, the manifest recorded \(expected.byteSize)")]
            }
            if scan.crc64nvme.base64 != expected.crc64nvme {
                return [
                    VerifyFinding(
                        .data, key,
                        "CRC64NVME \(scan.crc64nvme.base64) differs from the manifest's \(expected.crc64nvme): the companion's bytes changed"
                    )
                ]
            }
        }
        if let damage = scan.damage { return [VerifyFinding(.data, key, "damaged content: \(damage)")] }
        if scan.lines != records {
            return [VerifyFinding(.data, key, "has \(scan.lines) lines, its data object \(dataKey) holds \(records) records")]
        }
        return []
    }
}

/// A line that decodes but does not belong where it is.
struct ContentFault: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
